/*
 * ndjson.h: split a byte stream into lines (newline-delimited JSON).
 * Chunks may end anywhere, inside a line or a UTF-8 sequence; each complete
 * line is handed over once.  Lines over max_line bytes are an error.
 */
#ifndef LOCO_NDJSON_H
#define LOCO_NDJSON_H

#include <stddef.h>

#include "error.h"
#include "strbuf.h"

/* Called for each line without its "\n" (and "\r"); may return an error. */
typedef struct error *(*ndjson_line_fn)(const char *line, size_t len,
    void *arg);

struct ndjson {
	struct strbuf	 line;
	size_t		 max_line;
	long		 lineno;	/* lines handed over so far */
	ndjson_line_fn	 fn;
	void		*arg;
};

void		 ndjson_init(struct ndjson *, size_t max_line, ndjson_line_fn,
		    void *arg);
struct error	*ndjson_feed(struct ndjson *, const char *data, size_t len);
/* End of stream: hand over a last line that had no newline. */
struct error	*ndjson_finish(struct ndjson *);
void		 ndjson_release(struct ndjson *);

#endif
