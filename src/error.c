/* error.c: error values with an exit code and a message. */
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "banned.h"

struct error *
error_new(int code, const char *fmt, ...)
{
	struct error *err = xmalloc(sizeof(*err));
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	err->msg = xvasprintf(fmt, ap);
	va_end(ap);
	return err;
}

struct error *
error_prefix(struct error *err, const char *fmt, ...)
{
	va_list ap;
	char *prefix, *msg;

	va_start(ap, fmt);
	prefix = xvasprintf(fmt, ap);
	va_end(ap);
	msg = xasprintf("%s: %s", prefix, err->msg);
	free(prefix);
	free(err->msg);
	err->msg = msg;
	return err;
}

void
error_free(struct error *err)
{
	if (err == NULL)
		return;
	free(err->msg);
	free(err);
}
