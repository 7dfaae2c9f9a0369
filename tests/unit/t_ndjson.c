/* t_ndjson.c: line splitting across arbitrary chunk boundaries. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "ndjson.h"
#include "strbuf.h"
#include "unit.h"

struct collect {
	struct strbuf	out;
	int		lines;
	int		fail_at;	/* return an error on this line */
};

static struct error *
collect_line(const char *line, size_t len, void *arg)
{
	struct collect *c = arg;

	c->lines++;
	if (c->fail_at == c->lines)
		return error_new(EXIT_FAIL, "stop at %d", c->lines);
	strbuf_add(&c->out, line, len);
	strbuf_addch(&c->out, '|');
	return NULL;
}

/* Feed text in pieces of every size from 1 to len. */
TEST(ndjson_every_split)
{
	const char *text = "{\"a\":1}\n{\"b\":\"\xc3\xa9\\u003c\"}\r\n\n{\"c\":3}";
	size_t len = strlen(text), step, off;

	for (step = 1; step <= len; step++) {
		struct ndjson nd;
		struct collect c = { STRBUF_INIT, 0, 0 };

		ndjson_init(&nd, 1024, collect_line, &c);
		for (off = 0; off < len; off += step)
			CHECK_OK(ndjson_feed(&nd, text + off,
			    off + step > len ? len - off : step));
		CHECK_OK(ndjson_finish(&nd));
		CHECK_STR(c.out.buf,
		    "{\"a\":1}|{\"b\":\"\xc3\xa9\\u003c\"}|{\"c\":3}|");
		CHECK_INT(c.lines, 3);
		ndjson_release(&nd);
		strbuf_release(&c.out);
	}
}

TEST(ndjson_line_cap)
{
	struct ndjson nd;
	struct collect c = { STRBUF_INIT, 0, 0 };

	ndjson_init(&nd, 8, collect_line, &c);
	CHECK_OK(ndjson_feed(&nd, "12345678\n", 9));
	CHECK_OK(ndjson_feed(&nd, "1234", 4));
	CHECK_ERR(ndjson_feed(&nd, "56789\n", 6),
	    "line 2 of the reply is longer than 8 bytes");
	ndjson_release(&nd);
	strbuf_release(&c.out);
}

TEST(ndjson_line_cap_split)
{
	struct ndjson nd;
	struct collect c = { STRBUF_INIT, 0, 0 };

	ndjson_init(&nd, 8, collect_line, &c);
	CHECK_OK(ndjson_feed(&nd, "12345", 5));
	CHECK_ERR(ndjson_feed(&nd, "6789", 4),
	    "line 1 of the reply is longer than 8 bytes");
	ndjson_release(&nd);
	strbuf_release(&c.out);
}

TEST(ndjson_callback_error)
{
	struct ndjson nd;
	struct collect c = { STRBUF_INIT, 0, 2 };

	ndjson_init(&nd, 100, collect_line, &c);
	CHECK_ERR(ndjson_feed(&nd, "a\nb\nc\n", 6), "stop at 2");
	CHECK_STR(c.out.buf, "a|");
	ndjson_release(&nd);
	strbuf_release(&c.out);
}

/*
 * A string holding \u0000 would be cut short by cJSON without a word: the
 * line is refused, wherever the chunks split it.  An escaped backslash
 * before u0000 is no NUL.
 */
TEST(ndjson_refuses_nul)
{
	static const char text[] =
	    "{\"a\":\"x\\\\u0000\"}\n{\"message\":{\"content\":\"ab\\u0000cd\"}}\n";
	size_t len = strlen(text), step, off;
	struct error *err;

	for (step = 1; step <= len; step += 7) {
		struct ndjson nd;
		struct collect c = { STRBUF_INIT, 0, 0 };

		err = NULL;
		ndjson_init(&nd, 1024, collect_line, &c);
		for (off = 0; off < len && err == NULL; off += step)
			err = ndjson_feed(&nd, text + off,
			    off + step > len ? len - off : step);
		CHECK_ERR(err, "line 2 of the reply: a string holds \\u0000 "
		    "(a NUL character), which loco refuses rather than cut "
		    "the text short");
		CHECK_INT(c.lines, 1);
		ndjson_release(&nd);
		strbuf_release(&c.out);
	}
}
