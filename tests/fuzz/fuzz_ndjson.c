/*
 * fuzz_ndjson.c: ndjson_feed and ndjson_finish over arbitrary chunking.
 *
 * Input: byte 0 picks max_line (1..256, or 0 for 16 MiB), bytes 1..8 are
 * chunk sizes (0 means "the rest"), used in turn; the rest is the stream.
 * The lines handed over must be the same as splitting the whole stream at
 * once, whatever the chunks: each '\n'-ended line less one trailing '\r',
 * blank ones skipped, and an error exactly when a line (before the '\r' is
 * stripped) is longer than max_line, or holds \u0000 in a string.
 */
#include "fuzz.h"
#include "ndjson.h"
#include "ollama.h"
#include "strbuf.h"

#define NSIZES 8

struct got {
	struct strbuf	 out;		/* lines, each followed by '\n' */
	size_t		 max_line;
};

static struct error *
on_line(const char *line, size_t len, void *arg)
{
	struct got *g = arg;

	FUZZ_CHECK(len > 0);
	FUZZ_CHECK(len <= g->max_line);
	FUZZ_CHECK(memchr(line, '\n', len) == NULL);
	strbuf_add(&g->out, line, len);
	strbuf_addch(&g->out, '\n');
	return NULL;
}

/* The reference: split the whole stream in one go. */
static int
reference(const uint8_t *data, size_t len, size_t max_line,
    struct strbuf *out)
{
	const uint8_t *nl;
	size_t n;

	while (len > 0) {
		nl = memchr(data, '\n', len);
		n = nl ? (size_t)(nl - data) : len;
		if (n > max_line)
			return -1;
		if (n > 0 && data[n - 1] == '\r')
			n--;
		if (json_has_nul((const char *)data, n))
			return -2;
		if (n > 0) {
			strbuf_add(out, data, n);
			strbuf_addch(out, '\n');
		}
		if (nl == NULL)
			break;
		len -= (size_t)(nl - data) + 1;
		data = nl + 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_bytes fb = { data, size };
	struct strbuf want = STRBUF_INIT;
	struct ndjson nd;
	struct got g;
	struct error *err = NULL;
	size_t sizes[NSIZES], off, n, i;
	unsigned m;
	int ref;

	m = fuzz_byte(&fb);
	g.max_line = m == 0 ? CHAT_MAX_LINE : m;
	for (i = 0; i < NSIZES; i++)
		sizes[i] = fuzz_byte(&fb);
	strbuf_init(&g.out, 0);

	ndjson_init(&nd, g.max_line, on_line, &g);
	for (off = 0, i = 0; off < fb.len && err == NULL; off += n, i++) {
		n = sizes[i % NSIZES];
		if (n == 0 || n > fb.len - off)
			n = fb.len - off;
		err = ndjson_feed(&nd, (const char *)fb.p + off, n);
	}
	if (err == NULL)
		err = ndjson_finish(&nd);

	ref = reference(fb.p, fb.len, g.max_line, &want);
	FUZZ_CHECK((ref < 0) == (err != NULL));
	if (ref == -1)
		FUZZ_CHECK(strstr(err->msg, "is longer than") != NULL);
	if (ref == -2)
		FUZZ_CHECK(strstr(err->msg, "holds \\u0000") != NULL);
	/* On error, what came before the long line arrived all the same. */
	FUZZ_CHECK(g.out.len == want.len);
	FUZZ_CHECK(memcmp(g.out.buf, want.buf, want.len) == 0);
	fuzz_error_free(err);
	ndjson_release(&nd);
	strbuf_release(&g.out);
	strbuf_release(&want);
	return 0;
}
