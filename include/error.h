/*
 * error.h: errors are values.  A function that can fail returns a
 * struct error * (NULL on success); the caller either handles it or passes it
 * up, and main() prints it once as "loco: <message>" and exits with its code.
 */
#ifndef LOCO_ERROR_H
#define LOCO_ERROR_H

#include "util.h"

/* Exit statuses; each is documented in loco(1) EXIT STATUS. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* any other failure */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_UNREACHABLE = 3,	/* cannot reach the server */
	EXIT_NOMODEL = 4,	/* the model is not in Ollama */
	EXIT_INTEGRITY = 5,	/* checksum or file-format check failed */
	EXIT_GATE = 6,		/* an evaluation gate failed */
	EXIT_CONFIG = 7,	/* bad configuration or registry file */
	EXIT_REFUSED = 8,	/* Ollama refuses to create adapter models */
	EXIT_SANDBOX = 9,	/* the sandbox lacks a required protection */
	EXIT_INTERRUPT = 130	/* interrupted by SIGINT */
};

struct error {
	int	 code;
	char	*msg;
};

struct error	*error_new(int code, const char *fmt, ...) PRINTFLIKE(2, 3);
/* Prepend "prefix: " to the message; returns err. */
struct error	*error_prefix(struct error *err, const char *fmt, ...)
		    PRINTFLIKE(2, 3);
void		 error_free(struct error *);

#endif
