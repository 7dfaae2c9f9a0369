/* progress.c: status lines and a progress bar on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"
#include "util.h"
#include "banned.h"

#define BAR_WIDTH 30

void
progress_init(struct progress *p, int tty, int quiet)
{
	memset(p, 0, sizeof(*p));
	p->tty = tty;
	p->quiet = quiet;
}

static void
human(unsigned long long n, char *buf, size_t len)
{
	if (n >= 1000ULL * 1000 * 1000)
		snprintf(buf, len, "%.1f GB", (double)n / 1e9);
	else if (n >= 1000ULL * 1000)
		snprintf(buf, len, "%.1f MB", (double)n / 1e6);
	else if (n >= 1000)
		snprintf(buf, len, "%.1f kB", (double)n / 1e3);
	else
		snprintf(buf, len, "%llu B", n);
}

void
progress_update(const char *status, unsigned long long completed,
    unsigned long long total, void *arg)
{
	struct progress *p = arg;
	char *clean, a[32], b[32], bar[BAR_WIDTH + 1];
	int filled, i;

	if (p == NULL || p->quiet)
		return;
	clean = str_sanitize(status, 60);
	if (p->tty && total > 0) {
		filled = (int)((double)completed / (double)total * BAR_WIDTH);
		if (filled > BAR_WIDTH)
			filled = BAR_WIDTH;
		for (i = 0; i < BAR_WIDTH; i++)
			bar[i] = i < filled ? '#' : '.';
		bar[BAR_WIDTH] = '\0';
		human(completed, a, sizeof(a));
		human(total, b, sizeof(b));
		fprintf(stderr, "\r\033[K%s [%s] %3.0f%% %s/%s", clean, bar,
		    (double)completed * 100 / (double)total, a, b);
		p->drawn = 1;
	} else if (p->last == NULL || strcmp(p->last, clean) != 0) {
		if (p->drawn)
			fputc('\n', stderr);
		p->drawn = 0;
		if (!p->tty && total > 0) {
			human(total, b, sizeof(b));
			fprintf(stderr, "%s (%s)\n", clean, b);
		} else
			fprintf(stderr, "%s\n", clean);
	}
	free(p->last);
	p->last = clean;
}

void
progress_wait_text(char *buf, size_t len, size_t waiting, size_t running,
    long long waited_ns)
{
	long long s = waited_ns / 1000000000LL;

	if (waiting == 0 || s < 1)
		snprintf(buf, len, "%s", "");
	else if (running <= 1)
		snprintf(buf, len, "waiting for the model (%llds)", s);
	else
		snprintf(buf, len, "waiting for the model (%llds, %zu of %zu "
		    "requests)", s, waiting, running);
}

void
progress_wait(size_t waiting, size_t running, long long waited_ns, void *arg)
{
	struct progress *p = arg;
	char text[96];

	if (p == NULL || p->quiet || !p->tty)
		return;
	progress_wait_text(text, sizeof(text), waiting, running, waited_ns);
	if (p->last != NULL && strcmp(p->last, text) == 0)
		return;
	if (*text != '\0') {
		fprintf(stderr, "\r\033[K%s", text);
		p->drawn = 1;
	} else if (p->drawn) {
		fputs("\r\033[K", stderr);
		p->drawn = 0;
	}
	fflush(stderr);
	free(p->last);
	p->last = xstrdup(text);
}

void
progress_done(struct progress *p)
{
	if (p->drawn)
		fputc('\n', stderr);
	p->drawn = 0;
	free(p->last);
	p->last = NULL;
}
