/* progress.c: progress bars and lines on stderr (see progress.h). */
#include <sys/ioctl.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "progress.h"
#include "util.h"
#include "banned.h"

#define BAR_MIN		10
#define BAR_MAX		30
/*
 * Room kept for what follows the bar ("  45%  1.2 GB / 2.5 GB  12 MB/s
 * ETA 1m40s"), so the bar keeps its width as the numbers change.
 */
#define ITEMS_ROOM	45
#define SECOND		1000000000LL
#define PLAIN_EVERY	(10 * SECOND)	/* plain lines at least this often */
#define REDRAW_EVERY	SECOND		/* a bar whose percentage stays */
#define SAMPLE_EVERY	(SECOND / 2)	/* rate samples: 10 span 5 s */
/* What a server's lines can make us keep: layers, their names, bytes. */
#define MAX_LAYERS	256
#define KEY_MAX		100
#define BYTES_MAX	1000000000000000ULL	/* 1 PB a layer */

static const struct {
	const char	*doing;
	const char	*done;
	int		 brief;		/* no trace unless it lasts */
} kinds[] = {
	[PROGRESS_PULL] = { "pulling", "pulled", 0 },
	[PROGRESS_UPLOAD] = { "uploading", "uploaded", 0 },
	[PROGRESS_HASH] = { "hashing", "hashed", 1 },
	[PROGRESS_CREATE] = { "creating", "created", 1 },
};

/* The bytes of a step, summed over its layers. */
struct sums {
	unsigned long long	 done;
	unsigned long long	 total;
	unsigned long long	 moved;		/* done, less what was there */
};

void
progress_init(struct progress *p, int tty, int quiet)
{
	memset(p, 0, sizeof(*p));
	p->tty = tty;
	p->quiet = quiet;
}

static long long
clock_now(const struct progress *p)
{
	return p->clock != NULL ? p->clock() : now_ns();
}

void
progress_size(char *buf, size_t len, unsigned long long n)
{
	static const char *const unit[] = { "kB", "MB", "GB", "TB", "PB",
	    "EB" };
	double v = (double)n / 1000;
	size_t u;

	if (n < 1000) {
		snprintf(buf, len, "%llu B", n);
		return;
	}
	/* 999.7 kB would print as 1000 kB: 1.0 MB. */
	for (u = 0; u + 1 < ARRAY_SIZE(unit) && v >= 999.5; u++)
		v /= 1000;
	snprintf(buf, len, v < 9.95 ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

void
progress_duration(char *buf, size_t len, double s)
{
	long long t;

	if (!(s > 0))
		s = 0;
	if (s < 9.95) {
		snprintf(buf, len, "%.1fs", s);
		return;
	}
	t = (long long)(s + 0.5);
	if (t < 60)
		snprintf(buf, len, "%llds", t);
	else if (t < 3600)
		snprintf(buf, len, "%lldm%02llds", t / 60, t % 60);
	else
		snprintf(buf, len, "%lldh%02lldm", t / 3600, t / 60 % 60);
}

static void
sums(const struct progress *p, struct sums *s)
{
	const struct progress_layer *l;
	unsigned long long c;
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < p->nlayers; i++) {
		l = &p->layers[i];
		c = l->completed < l->total ? l->completed : l->total;
		s->done += c;
		s->total += l->total;
		if (c > l->first)
			s->moved += c - l->first;
	}
}

/* Whole percent done, rounded down; -1 without a total. */
static int
percent(const struct sums *s)
{
	return s->total > 0 ? (int)((double)s->done * 100 /
	    (double)s->total) : -1;
}

/* Bytes a second over the samples (about 5 s); -1 before a second. */
static double
rate(const struct progress *p, long long now, unsigned long long moved)
{
	long long span;

	if (p->nsamples == 0)
		return -1;
	span = now - p->sample_t[0];
	if (span < SECOND)
		return -1;
	if (moved < p->sample_b[0])
		return 0;
	return (double)(moved - p->sample_b[0]) * 1e9 / (double)span;
}

static void
sample(struct progress *p, long long now, unsigned long long moved)
{
	size_t n = p->nsamples;

	if (n > 0 && now - p->sample_t[n - 1] < SAMPLE_EVERY)
		return;
	if (n == PROGRESS_SAMPLES) {
		memmove(p->sample_t, p->sample_t + 1, (n - 1) *
		    sizeof(p->sample_t[0]));
		memmove(p->sample_b, p->sample_b + 1, (n - 1) *
		    sizeof(p->sample_b[0]));
		n--;
	}
	p->sample_t[n] = now;
	p->sample_b[n] = moved;
	p->nsamples = n + 1;
}

/* Cut s to at most max bytes, not inside a UTF-8 sequence. */
static void
cut(char *s, size_t max)
{
	if (strlen(s) <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	s[max] = '\0';
}

/* The items after the bar, in this order; which of them show (fit()). */
enum { IT_PCT, IT_SIZES, IT_RATE, IT_ETA, IT_PHASE, IT_N };
#define B(i)	(1u << (i))

/*
 * On a narrow terminal the items go in this order: the estimate, then the
 * sizes, while an estimate or a status is there to show instead (a long
 * pull's rate and estimate say more than its bytes), then the rest.
 */
static const struct {
	unsigned	show;
	unsigned	needs;		/* taken only with these items */
} fits[] = {
	{ B(IT_PCT) | B(IT_SIZES) | B(IT_RATE) | B(IT_ETA) | B(IT_PHASE), 0 },
	{ B(IT_PCT) | B(IT_SIZES) | B(IT_RATE) | B(IT_PHASE), 0 },
	{ B(IT_PCT) | B(IT_RATE) | B(IT_ETA), B(IT_ETA) },
	{ B(IT_PCT) | B(IT_PHASE), B(IT_PHASE) },
	{ B(IT_PCT) | B(IT_SIZES), 0 },
	{ B(IT_PCT) | B(IT_RATE), 0 },
	{ B(IT_PCT), 0 },
	{ 0, 0 }
};

void
progress_text(const struct progress *p, long long now, int bar, int width,
    char *buf, size_t len)
{
	struct sums s;
	char head[300], item[IT_N][80], a[32], b[32];
	size_t i, f, need, avail, off;
	int pct, barw, filled;
	double r, eta;

	memset(item, 0, sizeof(item));
	sums(p, &s);
	snprintf(head, sizeof(head), "%s %s", kinds[p->kind].doing,
	    p->name != NULL ? p->name : "");
	pct = percent(&s);
	if (pct >= 0) {
		progress_size(a, sizeof(a), s.done);
		progress_size(b, sizeof(b), s.total);
		snprintf(item[IT_PCT], sizeof(item[0]), bar ? "%3d%%" : "%d%%",
		    pct);
		snprintf(item[IT_SIZES], sizeof(item[0]), bar ? "%s / %s" :
		    "%s of %s", a, b);
	}
	if (p->phase != NULL)
		snprintf(item[IT_PHASE], sizeof(item[0]), "%s", p->phase);
	else if (pct >= 0 && (r = rate(p, now, s.moved)) >= 0) {
		progress_size(a, sizeof(a), (unsigned long long)r);
		snprintf(item[IT_RATE], sizeof(item[0]), "%s/s", a);
		/* Not "ETA 0.0s" for the last small layers. */
		if (r >= 1 && s.done < s.total &&
		    (eta = (double)(s.total - s.done) / r) >= 0.5) {
			progress_duration(a, sizeof(a), eta);
			snprintf(item[IT_ETA], sizeof(item[0]), "ETA %s", a);
		}
	}
	if (!bar) {
		off = (size_t)snprintf(buf, len, "%s", head);
		for (i = 0, f = 0; i < IT_N && off < len; i++)
			if (*item[i] != '\0')
				off += (size_t)snprintf(buf + off, len - off,
				    "%s%s", f++ == 0 ? ": " : ", ", item[i]);
		return;
	}
	/* What fits in width - 1 columns: the head, a bar, then items. */
	avail = width > 1 ? (size_t)width - 1 : 1;
	for (f = 0;; f++) {
		need = strlen(head) + (pct >= 0 ? 4 + BAR_MIN : 0);
		for (i = 0; i < IT_N; i++) {
			if ((fits[f].needs & B(i)) && *item[i] == '\0')
				need = SIZE_MAX;
			else if ((fits[f].show & B(i)) && *item[i] != '\0' &&
			    need != SIZE_MAX)
				need += 2 + strlen(item[i]);
		}
		if (need <= avail || fits[f].show == 0)
			break;
	}
	if (need > avail) {
		cut(head, avail);
		snprintf(buf, len, "%s", head);
		return;
	}
	off = (size_t)snprintf(buf, len, "%s", head);
	if (pct >= 0 && off < len) {
		barw = (int)avail - (int)strlen(head) - 4 - ITEMS_ROOM;
		if (barw > BAR_MAX)
			barw = BAR_MAX;
		if (barw < BAR_MIN)
			barw = BAR_MIN;
		if ((size_t)(barw - BAR_MIN) > avail - need)
			barw = BAR_MIN + (int)(avail - need);
		filled = (int)((double)s.done / (double)s.total * barw);
		off += (size_t)snprintf(buf + off, len - off, "  [");
		for (i = 0; i < (size_t)barw && off + 1 < len; i++)
			buf[off++] = (int)i < filled ? '#' : '.';
		buf[off] = '\0';
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "]");
	}
	for (i = 0; i < IT_N && off < len; i++)
		if ((fits[f].show & B(i)) && *item[i] != '\0')
			off += (size_t)snprintf(buf + off, len - off, "  %s",
			    item[i]);
}

static int
columns(const struct progress *p)
{
	struct winsize ws;
	const char *env;
	char *end;
	long n;

	if (p->width > 0)
		return p->width;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if ((env = getenv("COLUMNS")) != NULL && *env != '\0') {
		n = strtol(env, &end, 10);
		if (*end == '\0' && n > 0 && n < 10000)
			return (int)n;
	}
	return 80;
}

static void
erase(struct progress *p)
{
	if (p->drawn)
		fputs("\r\033[K", stderr);
	p->drawn = 0;
}

static void
draw(struct progress *p, long long now)
{
	struct sums s;
	char line[512];

	progress_text(p, now, 1, columns(p), line, sizeof(line));
	if (!p->drawn || p->last == NULL || strcmp(p->last, line) != 0) {
		fprintf(stderr, "\r\033[K%s", line);
		fflush(stderr);
		free(p->last);
		p->last = xstrdup(line);
	}
	sums(p, &s);
	p->drawn = 1;
	p->dirty = 0;
	p->last_draw = now;
	p->last_pct = percent(&s);
}

static void
plain_line(struct progress *p, long long now)
{
	char line[512];

	progress_text(p, now, 0, 0, line, sizeof(line));
	fprintf(stderr, "%s\n", line);
	fflush(stderr);
	p->lines++;
	p->last_line = now;
}

static void
step_clear(struct progress *p)
{
	size_t i;

	for (i = 0; i < p->nlayers; i++)
		free(p->layers[i].key);
	free(p->layers);
	free(p->name);
	free(p->phase);
	p->layers = NULL;
	p->nlayers = 0;
	p->name = p->phase = NULL;
	p->nsamples = 0;
	p->active = 0;
	free(p->last);
	p->last = NULL;
}

void
progress_begin(struct progress *p, enum progress_kind kind, const char *name)
{
	long long now;

	if (p == NULL)
		return;
	if (p->active)
		step_clear(p);
	if (!p->quiet)
		erase(p);
	free(p->last);
	p->last = NULL;
	now = clock_now(p);
	p->active = 1;
	p->kind = kind;
	p->name = str_sanitize(name, 200);
	p->start = p->last_line = now;
	p->last_pct = -1;
	p->last_tenth = 0;
	p->lines = 0;
	p->dirty = 1;
	if (p->quiet)
		return;
	if (p->tty)
		draw(p, now);
	else if (!kinds[kind].brief)
		plain_line(p, now);
}

static struct progress_layer *
layer(struct progress *p, const char *key, unsigned long long completed)
{
	struct progress_layer *l;
	size_t i;

	for (i = 0; i < p->nlayers; i++)
		if (strncmp(p->layers[i].key, key, KEY_MAX) == 0)
			return &p->layers[i];
	if (p->nlayers == MAX_LAYERS)
		return NULL;
	p->layers = xreallocarray(p->layers, p->nlayers + 1,
	    sizeof(*p->layers));
	l = &p->layers[p->nlayers++];
	l->key = xasprintf("%.*s", KEY_MAX, key);
	/* Complete, or partly there, at first sight: not moved now. */
	l->first = completed;
	p->dirty = 1;
	return l;
}

/*
 * A status for the line: "using existing layer sha256:<64 hex>" with 12
 * of them, as Ollama names layers; sanitized.
 */
static char *
phase_text(const char *status)
{
	char *t = str_sanitize(status, 120), *d;
	size_t n;

	if ((d = strstr(t, "sha256:")) != NULL) {
		d += 7;
		n = strspn(d, "0123456789abcdef");
		if (n > 12)
			memmove(d + 12, d + n, strlen(d + n) + 1);
	}
	return t;
}

/* Outside a step: each new status a line, or a bar for bytes. */
static void
status_line(struct progress *p, const char *status,
    unsigned long long completed, unsigned long long total)
{
	char *clean, a[32], b[32], bar[BAR_MAX + 1];
	int filled, i;

	clean = str_sanitize(status, 60);
	if (p->tty && total > 0) {
		filled = (int)((double)completed / (double)total * BAR_MAX);
		if (filled > BAR_MAX)
			filled = BAR_MAX;
		for (i = 0; i < BAR_MAX; i++)
			bar[i] = i < filled ? '#' : '.';
		bar[BAR_MAX] = '\0';
		progress_size(a, sizeof(a), completed);
		progress_size(b, sizeof(b), total);
		fprintf(stderr, "\r\033[K%s [%s] %3.0f%% %s/%s", clean, bar,
		    (double)completed * 100 / (double)total, a, b);
		p->drawn = 1;
	} else if (p->last == NULL || strcmp(p->last, clean) != 0) {
		if (p->drawn)
			fputc('\n', stderr);
		p->drawn = 0;
		if (!p->tty && total > 0) {
			progress_size(b, sizeof(b), total);
			fprintf(stderr, "%s (%s)\n", clean, b);
		} else
			fprintf(stderr, "%s\n", clean);
	}
	free(p->last);
	p->last = clean;
}

void
progress_update(const char *status, unsigned long long completed,
    unsigned long long total, void *arg)
{
	struct progress *p = arg;
	struct progress_layer *l;
	struct sums s;
	long long now;
	char *clean;
	int pct;

	if (p == NULL || status == NULL)
		return;
	if (!p->active) {
		if (!p->quiet)
			status_line(p, status, completed, total);
		return;
	}
	now = clock_now(p);
	if (total > 0) {
		if (total > BYTES_MAX)
			total = BYTES_MAX;
		if (completed > total)
			completed = total;
		if ((l = layer(p, status, completed)) == NULL)
			return;
		l->completed = completed;
		l->total = total;
		if (p->phase != NULL) {
			free(p->phase);
			p->phase = NULL;
			p->dirty = 1;
		}
		sums(p, &s);
		sample(p, now, s.moved);
	} else if (completed == 0 && *status != '\0' &&
	    strcmp(status, "success") != 0) {
		/* "pulling manifest", "verifying sha256 digest", ... */
		clean = phase_text(status);
		if (p->phase != NULL && strcmp(p->phase, clean) == 0)
			free(clean);
		else {
			free(p->phase);
			p->phase = clean;
			p->dirty = 1;
		}
		sums(p, &s);
	} else
		return;
	if (p->quiet)
		return;
	pct = percent(&s);
	if (p->tty) {
		if (p->dirty || pct != p->last_pct ||
		    now - p->last_draw >= REDRAW_EVERY)
			draw(p, now);
	} else if (kinds[p->kind].brief) {
		if (now - p->last_line >= PLAIN_EVERY)
			plain_line(p, now);
	} else if (total > 0) {
		/*
		 * Each further tenth, rounded: the last layers of a pull are
		 * small and would print "99%" just before the end.
		 */
		int tenth = (int)((double)s.done * 100 / (double)s.total +
		    0.5) / 10;

		if (tenth < 10 && (tenth > p->last_tenth ||
		    now - p->last_line >= PLAIN_EVERY)) {
			plain_line(p, now);
			if (tenth > p->last_tenth)
				p->last_tenth = tenth;
		}
	}
}

void
progress_end(struct progress *p, const struct error *err)
{
	struct sums s;
	char line[512], a[32], b[32], d[32];
	const char *what;
	size_t off;
	int brief;

	if (p == NULL || !p->active)
		return;
	brief = kinds[p->kind].brief;
	if (!p->quiet && (p->tty || !brief || p->lines > 0)) {
		sums(p, &s);
		progress_duration(d, sizeof(d),
		    (double)(clock_now(p) - p->start) / 1e9);
		if (err == NULL) {
			off = (size_t)snprintf(line, sizeof(line), "%s %s",
			    kinds[p->kind].done, p->name);
			progress_size(a, sizeof(a), s.total);
			if (off < sizeof(line))
				snprintf(line + off, sizeof(line) - off,
				    s.total > 0 ? ": %s in %s" : "%.0s in %s",
				    a, d);
		} else {
			what = err->code == EXIT_INTERRUPT ? "interrupted" :
			    "failed";
			progress_size(a, sizeof(a), s.done);
			progress_size(b, sizeof(b), s.total);
			if (s.total > 0)
				snprintf(line, sizeof(line), "%s %s: %s at "
				    "%d%%, %s of %s", kinds[p->kind].doing,
				    p->name, what, percent(&s), a, b);
			else
				snprintf(line, sizeof(line), "%s %s: %s",
				    kinds[p->kind].doing, p->name, what);
		}
		if (p->tty && brief)
			erase(p);
		else if (p->tty) {
			fprintf(stderr, "\r\033[K%s\n", line);
			p->drawn = 0;
		} else
			fprintf(stderr, "%s\n", line);
		fflush(stderr);
	}
	step_clear(p);
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
	if (p->active) {
		/* A step nobody ended: leave no half-drawn line. */
		if (!p->quiet)
			erase(p);
		step_clear(p);
	}
	if (p->drawn)
		fputc('\n', stderr);
	p->drawn = 0;
	free(p->last);
	p->last = NULL;
}
