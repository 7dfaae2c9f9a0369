/*
 * t_progress.c: the steps of setup (sizes, durations, the bar fitted to
 * the width, plain lines for a log, the end of a step), the line shown
 * while answers wait for their first byte,
 * and that nothing is drawn where stderr takes no progress lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
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

TEST(progress_sizes)
{
	char b[32];

	progress_size(b, sizeof(b), 0);
	CHECK_STR(b, "0 B");
	progress_size(b, sizeof(b), 999);
	CHECK_STR(b, "999 B");
	progress_size(b, sizeof(b), 1000);
	CHECK_STR(b, "1.0 kB");
	progress_size(b, sizeof(b), 9949);
	CHECK_STR(b, "9.9 kB");
	progress_size(b, sizeof(b), 9950);
	CHECK_STR(b, "10 kB");
	progress_size(b, sizeof(b), 999499);
	CHECK_STR(b, "999 kB");
	/* Not "1000 kB". */
	progress_size(b, sizeof(b), 999500);
	CHECK_STR(b, "1.0 MB");
	progress_size(b, sizeof(b), 12345678);
	CHECK_STR(b, "12 MB");
	progress_size(b, sizeof(b), 2500000000ULL);
	CHECK_STR(b, "2.5 GB");
	progress_size(b, sizeof(b), 1234567890123ULL);
	CHECK_STR(b, "1.2 TB");
	progress_size(b, sizeof(b), 18446744073709551615ULL);
	CHECK_STR(b, "18 EB");
	progress_size(b, 4, 2500000000ULL);
	CHECK_STR(b, "2.5");
}

TEST(progress_durations)
{
	char b[32];

	progress_duration(b, sizeof(b), 0);
	CHECK_STR(b, "0.0s");
	progress_duration(b, sizeof(b), -3);
	CHECK_STR(b, "0.0s");
	progress_duration(b, sizeof(b), 0.44);
	CHECK_STR(b, "0.4s");
	progress_duration(b, sizeof(b), 9.94);
	CHECK_STR(b, "9.9s");
	progress_duration(b, sizeof(b), 9.96);
	CHECK_STR(b, "10s");
	progress_duration(b, sizeof(b), 45);
	CHECK_STR(b, "45s");
	progress_duration(b, sizeof(b), 59.6);
	CHECK_STR(b, "1m00s");
	progress_duration(b, sizeof(b), 192);
	CHECK_STR(b, "3m12s");
	progress_duration(b, sizeof(b), 3599.4);
	CHECK_STR(b, "59m59s");
	progress_duration(b, sizeof(b), 3900);
	CHECK_STR(b, "1h05m");
}

static long long fake_now;

static long long
fake_clock(void)
{
	return fake_now;
}

static void
quiet_step(struct progress *p, enum progress_kind kind, const char *name)
{
	progress_init(p, 1, 1);
	p->clock = fake_clock;
	fake_now = 0;
	progress_begin(p, kind, name);
}

static const char *
text(const struct progress *p, int bar, int width)
{
	static char buf[512];

	progress_text(p, fake_now, bar, width, buf, sizeof(buf));
	return buf;
}

TEST(progress_texts)
{
	struct progress p;

	quiet_step(&p, PROGRESS_PULL, "qwen3:4b");
	CHECK_STR(text(&p, 1, 100), "pulling qwen3:4b");
	progress_update("pulling manifest", 0, 0, &p);
	CHECK_STR(text(&p, 1, 100), "pulling qwen3:4b  pulling manifest");
	CHECK_STR(text(&p, 0, 0), "pulling qwen3:4b: pulling manifest");
	/* One layer complete at first sight: done, but not in the rate. */
	progress_update("pulling aaaaaaaaaaaa", 1000, 1000, &p);
	progress_update("pulling bbbbbbbbbbbb", 0, 2000000000, &p);
	CHECK_STR(text(&p, 1, 100), "pulling qwen3:4b  "
	    "[..............................]    0%  1.0 kB / 2.0 GB");
	fake_now = 1000000000;
	progress_update("pulling bbbbbbbbbbbb", 500000000, 2000000000, &p);
	CHECK_STR(text(&p, 1, 100), "pulling qwen3:4b  "
	    "[#######.......................]   25%  500 MB / 2.0 GB  "
	    "500 MB/s  ETA 3.0s");
	CHECK_STR(text(&p, 0, 0),
	    "pulling qwen3:4b: 25%, 500 MB of 2.0 GB, 500 MB/s, ETA 3.0s");
	/*
	 * Narrower: the bar shrinks, the sizes go before the rate and the
	 * estimate, then the rest, then the bar.
	 */
	CHECK_STR(text(&p, 1, 60),
	    "pulling qwen3:4b  [##........]   25%  500 MB/s  ETA 3.0s");
	CHECK_STR(text(&p, 1, 55),
	    "pulling qwen3:4b  [##........]   25%  500 MB / 2.0 GB");
	CHECK_STR(text(&p, 1, 50), "pulling qwen3:4b  [##........]   25%  "
	    "500 MB/s");
	CHECK_STR(text(&p, 1, 40), "pulling qwen3:4b  [##........]   25%");
	CHECK_STR(text(&p, 1, 20), "pulling qwen3:4b");
	CHECK_STR(text(&p, 1, 10), "pulling q");
	/* A status with no total names what happens now. */
	progress_update("verifying sha256 digest", 0, 0, &p);
	CHECK_STR(text(&p, 1, 100), "pulling qwen3:4b  "
	    "[#######.......................]   25%  500 MB / 2.0 GB  "
	    "verifying sha256 digest");
	/* A total that changes; more done than the total counts as all. */
	progress_update("pulling bbbbbbbbbbbb", 500000000, 4000000000ULL, &p);
	progress_update("pulling cccccccccccc", 200, 100, &p);
	CHECK_STR(text(&p, 0, 0), "pulling qwen3:4b: 12%, 500 MB of 4.0 GB, "
	    "500 MB/s, ETA 7.0s");
	/* "success" is no phase. */
	progress_update("success", 0, 0, &p);
	CHECK(p.phase == NULL);
	progress_done(&p);
	CHECK(!p.active);

	/* No "ETA 0.0s" at the very end. */
	quiet_step(&p, PROGRESS_PULL, "e");
	progress_update("pulling aaaaaaaaaaaa", 0, 1000000, &p);
	fake_now = 1000000000;
	progress_update("pulling aaaaaaaaaaaa", 999900, 1000000, &p);
	CHECK_STR(text(&p, 0, 0), "pulling e: 99%, 1.0 MB of 1.0 MB, 1.0 MB/s");
	progress_done(&p);

	/* A hostile server: absurd totals, endless layers, long names. */
	quiet_step(&p, PROGRESS_PULL, "h");
	progress_update("pulling aaaaaaaaaaaa", 18446744073709551615ULL,
	    18446744073709551615ULL, &p);
	{
		char key[300];
		int i;

		for (i = 0; i < 1000; i++) {
			snprintf(key, sizeof(key), "pulling %d %0200d", i, 0);
			progress_update(key, 0, 18446744073709551615ULL, &p);
		}
	}
	CHECK_INT(p.nlayers, 256);
	CHECK_INT(strlen(p.layers[1].key), 100);
	CHECK_STR(text(&p, 0, 0), "pulling h: 0%, 1.0 PB of 256 PB");
	progress_done(&p);

	/* A create names its layers by 12 hex digits. */
	quiet_step(&p, PROGRESS_CREATE, "loco-math:1.0.0");
	progress_update("using existing layer sha256:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    0, 0, &p);
	CHECK_STR(text(&p, 0, 0),
	    "creating loco-math:1.0.0: using existing layer sha256:0123456789ab");
	progress_done(&p);
	/* Control characters from the server or a file are not printed. */
	quiet_step(&p, PROGRESS_UPLOAD, "a\033[2Jb.gguf for x");
	progress_update("\033]0;title\007", 0, 0, &p);
	CHECK_STR(text(&p, 0, 0), "uploading a?[2Jb.gguf for x: ?]0;title?");
	progress_done(&p);
}

/* Run steps with stderr on a file; what they wrote. */
static char *
captured(void (*steps)(struct progress *), int tty, int quiet)
{
	struct progress p;
	const char *path = unit_write("stderr", "");
	FILE *f;
	char *buf = calloc(1, 4096);
	int saved = dup(STDERR_FILENO);
	size_t n;

	fflush(stderr);
	if ((f = freopen(path, "w", stderr)) == NULL)
		abort();
	progress_init(&p, tty, quiet);
	p.clock = fake_clock;
	p.width = 60;
	fake_now = 0;
	steps(&p);
	progress_done(&p);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	if ((f = fopen(path, "r")) == NULL)
		abort();
	n = fread(buf, 1, 4095, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
pull_steps(struct progress *p)
{
	struct error *err;

	progress_begin(p, PROGRESS_PULL, "m");
	progress_update("pulling manifest", 0, 0, p);
	progress_update("pulling aaaaaaaaaaaa", 0, 1000, p);
	fake_now = S / 10;
	progress_update("pulling aaaaaaaaaaaa", 340, 1000, p);
	fake_now = S / 5;
	progress_update("pulling aaaaaaaaaaaa", 350, 1000, p);
	/* No further tenth, but 10 s went by. */
	fake_now = 12 * S;
	progress_update("pulling aaaaaaaaaaaa", 360, 1000, p);
	fake_now = 12 * S + S / 2;
	progress_update("pulling aaaaaaaaaaaa", 1000, 1000, p);
	/* Tiny layers after the big one: no "99%" line. */
	progress_update("pulling bbbbbbbbbbbb", 0, 1, p);
	progress_update("verifying sha256 digest", 0, 0, p);
	progress_update("success", 0, 0, p);
	fake_now = 13 * S;
	progress_end(p, NULL);
	/* A failed pull says where it stopped. */
	progress_begin(p, PROGRESS_PULL, "n");
	progress_update("pulling cccccccccccc", 50, 200, p);
	err = error_new(EXIT_FAIL, "max retries exceeded");
	progress_end(p, err);
	error_free(err);
	/* Interrupted before any byte. */
	progress_begin(p, PROGRESS_UPLOAD, "f.gguf for x");
	err = error_new(EXIT_INTERRUPT, "interrupted");
	progress_end(p, err);
	error_free(err);
}

TEST(progress_pull_lines)
{
	char *s;

	/* A CI log: the start, each further tenth or 10 s, the end. */
	s = captured(pull_steps, 0, 0);
	CHECK_STR(s, "pulling m\n"
	    "pulling m: 34%, 340 B of 1.0 kB\n"
	    "pulling m: 36%, 360 B of 1.0 kB, 30 B/s, ETA 21s\n"
	    "pulled m: 1.0 kB in 13s\n"
	    "pulling n\n"
	    "pulling n: 25%, 50 B of 200 B\n"
	    "pulling n: failed at 25%, 50 B of 200 B\n"
	    "uploading f.gguf for x\n"
	    "uploading f.gguf for x: interrupted\n");
	free(s);
	s = captured(pull_steps, 1, 1);
	CHECK_STR(s, "");
	free(s);
}

TEST(progress_pull_bar)
{
	char *s;

	/* A terminal: one line rewritten, ended with what happened. */
	s = captured(pull_steps, 1, 0);
	CHECK_STR(s, "\r\033[Kpulling m"
	    "\r\033[Kpulling m  pulling manifest"
	    "\r\033[Kpulling m  [..........]    0%  0 B / 1.0 kB"
	    "\r\033[Kpulling m  [###.......]   34%  340 B / 1.0 kB"
	    "\r\033[Kpulling m  [###.......]   35%  350 B / 1.0 kB"
	    "\r\033[Kpulling m  [###.......]   36%  360 B / 1.0 kB  30 B/s"
	    "\r\033[Kpulling m  [##########]  100%  1.0 kB / 1.0 kB  "
	    "80 B/s"
	    "\r\033[Kpulling m  [#########.]   99%  1.0 kB / 1.0 kB  "
	    "80 B/s"
	    /* In 60 columns, what happens now rather than the sizes. */
	    "\r\033[Kpulling m  [#########.]   99%  verifying sha256 digest"
	    "\r\033[Kpulled m: 1.0 kB in 13s\n"
	    "\r\033[Kpulling n"
	    "\r\033[Kpulling n  [##........]   25%  50 B / 200 B"
	    "\r\033[Kpulling n: failed at 25%, 50 B of 200 B\n"
	    "\r\033[Kuploading f.gguf for x"
	    "\r\033[Kuploading f.gguf for x: interrupted\n");
	free(s);
}

static void
brief_steps(struct progress *p)
{
	struct error *err;

	progress_begin(p, PROGRESS_CREATE, "x");
	progress_update("parsing GGUF", 0, 0, p);
	progress_update("writing manifest", 0, 0, p);
	progress_end(p, NULL);
	progress_begin(p, PROGRESS_HASH, "big.gguf for y");
	progress_update("hashing", 0, 4000, p);
	fake_now = 11 * S;
	progress_update("hashing", 2000, 4000, p);
	fake_now = 12 * S;
	progress_update("hashing", 3000, 4000, p);
	progress_end(p, NULL);
	fake_now = 0;
	progress_begin(p, PROGRESS_CREATE, "z");
	err = error_new(EXIT_FAIL, "refused");
	progress_end(p, err);
	error_free(err);
}

TEST(progress_brief_steps)
{
	char *s;

	/* Off a terminal, only what lasts 10 s says so. */
	s = captured(brief_steps, 0, 0);
	CHECK_STR(s, "hashing big.gguf for y: 50%, 2.0 kB of 4.0 kB, 181 B/s, "
	    "ETA 11s\n"
	    "hashed big.gguf for y: 4.0 kB in 12s\n");
	free(s);
	/* On a terminal, erased when they end. */
	s = captured(brief_steps, 1, 0);
	CHECK_STR(s, "\r\033[Kcreating x"
	    "\r\033[Kcreating x  parsing GGUF"
	    "\r\033[Kcreating x  writing manifest"
	    "\r\033[K"
	    "\r\033[Khashing big.gguf for y"
	    "\r\033[Khashing big.gguf for y  [..........]    0%  0 B / 4.0 kB"
	    "\r\033[Khashing big.gguf for y  [#####.....]   50%  2.0 kB / "
	    "4.0 kB"
	    "\r\033[Khashing big.gguf for y  [#######...]   75%  3.0 kB / "
	    "4.0 kB"
	    "\r\033[K"
	    "\r\033[Kcreating z"
	    "\r\033[K");
	free(s);
}
