/* ndjson.c: line splitting for streamed JSON replies. */
#include <string.h>

#include "ndjson.h"
#include "util.h"
#include "banned.h"

void
ndjson_init(struct ndjson *nd, size_t max_line, ndjson_line_fn fn, void *arg)
{
	strbuf_init(&nd->line, 0);
	nd->max_line = max_line;
	nd->lineno = 0;
	nd->fn = fn;
	nd->arg = arg;
}

void
ndjson_release(struct ndjson *nd)
{
	strbuf_release(&nd->line);
}

static struct error *
emit(struct ndjson *nd, const char *p, size_t len)
{
	if (len > 0 && p[len - 1] == '\r')
		len--;
	nd->lineno++;
	/* Blank lines carry nothing; Ollama never sends them. */
	if (len == 0)
		return NULL;
	/*
	 * The JSON parser would cut such a string short, silently: an
	 * answer would lose its end without a word.
	 */
	if (json_has_nul(p, len))
		return error_new(EXIT_FAIL, "line %ld of the reply: a string "
		    "holds \\u0000 (a NUL character), which loco refuses "
		    "rather than cut the text short", nd->lineno);
	return nd->fn(p, len, nd->arg);
}

static struct error *
too_long(struct ndjson *nd)
{
	return error_new(EXIT_FAIL, "line %ld of the reply is longer than "
	    "%zu bytes", nd->lineno + 1, nd->max_line);
}

struct error *
ndjson_feed(struct ndjson *nd, const char *data, size_t len)
{
	struct error *err;
	const char *nl;

	/* Complete the pending partial line first. */
	if (nd->line.len > 0) {
		nl = memchr(data, '\n', len);
		if (nl == NULL) {
			if (nd->line.len + len > nd->max_line)
				return too_long(nd);
			strbuf_add(&nd->line, data, len);
			return NULL;
		}
		if (nd->line.len + (size_t)(nl - data) > nd->max_line)
			return too_long(nd);
		strbuf_add(&nd->line, data, (size_t)(nl - data));
		err = emit(nd, nd->line.buf, nd->line.len);
		strbuf_reset(&nd->line);
		if (err != NULL)
			return err;
		len -= (size_t)(nl - data) + 1;
		data = nl + 1;
	}
	/* Whole lines straight from the chunk, without copying. */
	while ((nl = memchr(data, '\n', len)) != NULL) {
		if ((size_t)(nl - data) > nd->max_line)
			return too_long(nd);
		if ((err = emit(nd, data, (size_t)(nl - data))) != NULL)
			return err;
		len -= (size_t)(nl - data) + 1;
		data = nl + 1;
	}
	if (len > 0) {
		if (len > nd->max_line)
			return too_long(nd);
		strbuf_add(&nd->line, data, len);
	}
	return NULL;
}

struct error *
ndjson_finish(struct ndjson *nd)
{
	struct error *err = NULL;

	if (nd->line.len > 0) {
		err = emit(nd, nd->line.buf, nd->line.len);
		strbuf_reset(&nd->line);
	}
	return err;
}
