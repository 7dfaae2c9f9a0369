/*
 * t_progress.c: the line shown while answers wait for their first byte,
 * and that nothing is drawn where stderr takes no progress lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"
#include "unit.h"

#define S 1000000000LL

static const char *
wait_text(size_t waiting, size_t running, long long ns)
{
	static char buf[96];

	progress_wait_text(buf, sizeof(buf), waiting, running, ns);
	return buf;
}

TEST(progress_wait_texts)
{
	/* Nothing the first second: most answers begin within it. */
	CHECK_STR(wait_text(1, 1, 0), "");
	CHECK_STR(wait_text(1, 1, S - 1), "");
	CHECK_STR(wait_text(1, 1, S), "waiting for the model (1s)");
	CHECK_STR(wait_text(1, 1, 12 * S + S / 2), "waiting for the model (12s)");
	/* None waits: the answers flow. */
	CHECK_STR(wait_text(0, 3, 5 * S), "");
	CHECK_STR(wait_text(0, 0, 0), "");
	/* Several in flight: how many of them wait. */
	CHECK_STR(wait_text(3, 4, 5 * S),
	    "waiting for the model (5s, 3 of 4 requests)");
	CHECK_STR(wait_text(1, 2, 900 * S),
	    "waiting for the model (900s, 1 of 2 requests)");
	/* A short buffer is cut, not overrun. */
	{
		char small[8];

		progress_wait_text(small, sizeof(small), 1, 1, 3 * S);
		CHECK_STR(small, "waiting");
	}
}

/* Run progress_wait with stderr on a file; what it wrote. */
static char *
drawn(int tty, int quiet)
{
	struct progress p;
	const char *path = unit_write("stderr", "");
	FILE *f;
	char *buf = calloc(1, 512);
	int saved = dup(STDERR_FILENO);
	size_t n;

	fflush(stderr);
	if ((f = freopen(path, "w", stderr)) == NULL)
		abort();
	progress_init(&p, tty, quiet);
	progress_wait(1, 1, 2 * S, &p);
	progress_wait(1, 1, 2 * S + 1, &p);	/* the same line: not again */
	progress_wait(2, 3, 3 * S, &p);
	progress_wait(0, 1, 0, &p);
	progress_done(&p);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	if ((f = fopen(path, "r")) == NULL)
		abort();
	n = fread(buf, 1, 511, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

TEST(progress_wait_draws)
{
	char *s;

	s = drawn(1, 0);
	CHECK_STR(s, "\r\033[Kwaiting for the model (2s)"
	    "\r\033[Kwaiting for the model (3s, 2 of 3 requests)\r\033[K");
	free(s);
	s = drawn(0, 0);
	CHECK_STR(s, "");
	free(s);
	s = drawn(1, 1);
	CHECK_STR(s, "");
	free(s);
}
