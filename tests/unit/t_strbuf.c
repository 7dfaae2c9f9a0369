/* t_strbuf.c: the string buffer and small helpers. */
#include <stdlib.h>

#include "strbuf.h"
#include "unit.h"

TEST(strbuf_basics)
{
	struct strbuf sb;
	char *s;
	size_t len;

	strbuf_init(&sb, 0);
	CHECK_STR(sb.buf, "");
	CHECK_INT(strbuf_addstr(&sb, "hello"), 0);
	CHECK_INT(strbuf_addf(&sb, ", %s %d", "world", 42), 0);
	CHECK_STR(sb.buf, "hello, world 42");
	strbuf_remove_front(&sb, 7);
	CHECK_STR(sb.buf, "world 42");
	s = strbuf_detach(&sb, &len);
	CHECK_STR(s, "world 42");
	CHECK_INT(len, 8);
	CHECK_STR(sb.buf, "");
	free(s);
	strbuf_release(&sb);
}

TEST(strbuf_cap)
{
	struct strbuf sb;

	strbuf_init(&sb, 10);
	CHECK_INT(strbuf_addstr(&sb, "0123456789"), 0);
	CHECK_INT(strbuf_addch(&sb, 'x'), -1);
	CHECK_INT(strbuf_addf(&sb, "%d", 1), -1);
	CHECK_STR(sb.buf, "0123456789");
	strbuf_release(&sb);
}

TEST(util_parse)
{
	long l;
	double d;
	int b;

	CHECK_INT(parse_long("42", 0, 100, &l), 0);
	CHECK_INT(l, 42);
	CHECK_INT(parse_long("101", 0, 100, &l), -1);
	CHECK_INT(parse_long("4x", 0, 100, &l), -1);
	CHECK_INT(parse_long("", 0, 100, &l), -1);
	CHECK_INT(parse_long(" 4", 0, 100, &l), -1);
	CHECK_INT(parse_double("0.7", 0, 2, &d), 0);
	CHECK_DBL(d, 0.7, 1e-12);
	CHECK_INT(parse_double("nan", 0, 2, &d), -1);
	CHECK_INT(parse_double("2.5", 0, 2, &d), -1);
	CHECK_INT(parse_bool("Yes", &b), 0);
	CHECK_INT(b, 1);
	CHECK_INT(parse_bool("off", &b), 0);
	CHECK_INT(b, 0);
	CHECK_INT(parse_bool("maybe", &b), -1);
}

TEST(util_sanitize)
{
	char *s = str_sanitize("a\x1b[31mb\n\x7f", 0);

	CHECK_STR(s, "a?[31mb??");
	free(s);
	s = str_sanitize("abcdef", 3);
	CHECK_STR(s, "abc...");
	free(s);
	/* C1 controls in UTF-8 (CSI is U+009B) too; other characters stay. */
	s = str_sanitize("a\xc2\x9b" "2Jb\xc2\x85\xc2\xa0\xc3\xa9", 0);
	CHECK_STR(s, "a?2Jb?\xc2\xa0\xc3\xa9");
	free(s);
}

/* NO_COLOR takes colour away; no terminal, or a dumb one, progress bars too. */
TEST(term_rule)
{
	CHECK_INT(term_level_of(0, "xterm", NULL), TERM_PLAIN);
	CHECK_INT(term_level_of(1, "xterm", NULL), TERM_COLOR);
	CHECK_INT(term_level_of(1, "xterm", ""), TERM_COLOR);
	CHECK_INT(term_level_of(1, "xterm", "1"), TERM_REWRITE);
	CHECK_INT(term_level_of(1, "dumb", NULL), TERM_PLAIN);
	CHECK_INT(term_level_of(1, NULL, NULL), TERM_PLAIN);
	CHECK_INT(term_level_of(1, "", NULL), TERM_PLAIN);
	CHECK_INT(term_level_of(0, "xterm", "1"), TERM_PLAIN);
}
