/* t_ydoc.c: the YAML tree: positions, aliases and the errors it reports. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "strbuf.h"
#include "util.h"
#include "ydoc.h"
#include "unit.h"

static struct error *
parse(const char *text, struct ynode **root)
{
	return ydoc_parse_string("t.yaml", text, strlen(text), root);
}

TEST(ydoc_positions)
{
	struct ynode *root, *n;

	CHECK_OK(parse("a: 1\nb:\n  - x\n  - 'y'\nc: {d: e}\n", &root));
	CHECK(root != NULL && root->type == YNODE_MAP);
	if (root == NULL)
		return;
	CHECK_INT(root->nents, 3);
	CHECK_INT(root->line, 1);
	CHECK_INT(root->col, 1);
	n = ydoc_get(root, "a");
	CHECK(n != NULL && n->type == YNODE_SCALAR);
	CHECK_STR(n->value, "1");
	CHECK_INT(n->line, 1);
	CHECK_INT(n->col, 4);
	CHECK(n->plain);
	n = ydoc_get(root, "b");
	CHECK_INT(n->type, YNODE_SEQ);
	CHECK_INT(n->nitems, 2);
	CHECK_INT(n->items[1]->line, 4);
	CHECK_INT(n->items[1]->col, 5);
	CHECK_STR(n->items[1]->value, "y");
	CHECK(!n->items[1]->plain);
	CHECK(n->items[0]->plain);
	n = ydoc_get(root, "c");
	CHECK_INT(n->type, YNODE_MAP);
	CHECK_STR(ydoc_get(n, "d")->value, "e");
	CHECK_INT(root->ents[2].key->line, 5);
	CHECK_INT(root->ents[2].key->col, 1);
	CHECK(ydoc_get(root, "zz") == NULL);
	CHECK(ydoc_get(n->ents[0].value, "d") == NULL);
	ydoc_free(root);
}

TEST(ydoc_scalar_styles)
{
	struct ynode *root;

	CHECK_OK(parse("a: |\n  text\nb: \"q\"\nc: 1.0\nd:\ne: ~\nf: ''\n",
	    &root));
	CHECK(!ydoc_get(root, "a")->plain);
	CHECK_STR(ydoc_get(root, "a")->value, "text\n");
	CHECK(!ydoc_get(root, "b")->plain);
	CHECK(ydoc_get(root, "c")->plain);
	CHECK(ydoc_is_null(ydoc_get(root, "d")));
	CHECK(ydoc_is_null(ydoc_get(root, "e")));
	CHECK(!ydoc_is_null(ydoc_get(root, "f")));
	CHECK(!ydoc_is_null(ydoc_get(root, "c")));
	CHECK(ydoc_is_null(NULL));
	CHECK_STR(ydoc_type_name(ydoc_get(root, "c")), "scalar");
	CHECK_STR(ydoc_type_name(root), "mapping");
	CHECK_STR(ydoc_type_name(ydoc_get(root, "d")), "null");
	ydoc_free(root);
}

TEST(ydoc_empty)
{
	struct ynode *root = (struct ynode *)1;

	CHECK_OK(parse("", &root));
	CHECK(root == NULL);
	root = (struct ynode *)1;
	CHECK_OK(parse("# only a comment\n", &root));
	CHECK(root == NULL);
}

TEST(ydoc_aliases)
{
	struct ynode *root, *n;

	CHECK_OK(parse("base: &b {x: 1, y: [2, 3]}\ncopy: *b\n", &root));
	n = ydoc_get(root, "copy");
	CHECK(n != NULL && n->type == YNODE_MAP);
	CHECK_STR(ydoc_get(n, "x")->value, "1");
	CHECK_INT(ydoc_get(n, "y")->nitems, 2);
	/* A copy, not shared: freeing the tree must not double-free. */
	CHECK(n != ydoc_get(root, "base"));
	ydoc_free(root);

	CHECK_ERR(parse("a: *nope\n", &root),
	    "t.yaml:1:4: found undefined alias");
}

TEST(ydoc_alias_bomb)
{
	struct ynode *root;
	struct error *err;

	err = parse("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n", &root);
	CHECK(err != NULL);
	if (err != NULL) {
		CHECK(strstr(err->msg, "too many aliases") != NULL);
		error_free(err);
	}
}

TEST(ydoc_duplicate_key)
{
	struct ynode *root;

	CHECK_ERR(parse("a: 1\nb: 2\na: 3\n", &root),
	    "t.yaml:3:1: duplicate key 'a'");
	CHECK_ERR(parse("x:\n  k: 1\n  k: 2\n", &root),
	    "t.yaml:3:3: duplicate key 'k'");
	CHECK_ERR(parse("{\"a\\tb\": 1, \"a\\tb\": 2}\n", &root),
	    "t.yaml:1:13: duplicate key 'a?b'");
}

TEST(ydoc_complex_key)
{
	struct ynode *root;

	CHECK_ERR(parse("? [a, b]\n: 1\n", &root),
	    "t.yaml:1:3: a mapping key must be a scalar, not a list");
}

TEST(ydoc_multi_document)
{
	struct ynode *root;

	CHECK_ERR(parse("a: 1\n---\nb: 2\n", &root),
	    "t.yaml:2:1: only one YAML document is allowed");
	CHECK_ERR(parse("---\na: 1\n...\n---\n", &root),
	    "t.yaml:4:1: only one YAML document is allowed");
	CHECK_OK(parse("---\na: 1\n...\n", &root));
	ydoc_free(root);
}

/* Two trees alike: types, positions, values, in document order. */
static int
same_tree(const struct ynode *a, const struct ynode *b)
{
	size_t i;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->type != b->type || a->line != b->line || a->col != b->col ||
	    a->nitems != b->nitems || a->nents != b->nents)
		return 0;
	if (a->type == YNODE_SCALAR)
		return strcmp(a->value, b->value) == 0 && a->plain == b->plain;
	for (i = 0; i < a->nitems; i++)
		if (!same_tree(a->items[i], b->items[i]))
			return 0;
	for (i = 0; i < a->nents; i++)
		if (!same_tree(a->ents[i].key, b->ents[i].key) ||
		    !same_tree(a->ents[i].value, b->ents[i].value))
			return 0;
	return 1;
}

/*
 * Most documents are built straight from libyaml's events; one with an
 * anchor, or anything the tree refuses, goes through libyaml's document.
 * Both ways must give the same tree, and the same first error.
 */
TEST(ydoc_two_ways)
{
	static const char *const plain =
	    "a: 1\nb: [c, {d: 'e'}]\nf: |\n  g\n\"h\": ~\nlist:\n"
	    "  - x\n  - y: z\n    w: \"\"\nlast: 1\n";
	static const char *const anchored =
	    "a: 1\nb: [c, {d: 'e'}]\nf: |\n  g\n\"h\": ~\nlist:\n"
	    "  - x\n  - y: z\n    w: \"\"\nlast: &n 1\n";
	struct ynode *r1, *r2;
	size_t i;

	CHECK_OK(parse(plain, &r1));
	CHECK_OK(parse(anchored, &r2));
	CHECK(r1 != NULL && r2 != NULL && r1->nents == 6 && r2->nents == 6);
	if (r1 != NULL && r2 != NULL && r1->nents == 6 && r2->nents == 6) {
		/* All but the anchored value, whose column differs. */
		for (i = 0; i < 5; i++) {
			CHECK(same_tree(r1->ents[i].key, r2->ents[i].key));
			CHECK(same_tree(r1->ents[i].value, r2->ents[i].value));
		}
		CHECK(same_tree(r1->ents[5].key, r2->ents[5].key));
		CHECK_STR(r2->ents[5].value->value, "1");
		CHECK_STR(ydoc_get(r1, "f")->value, "g\n");
		CHECK(ydoc_is_null(ydoc_get(r1, "h")));
		CHECK(!ydoc_get(r1, "w") && ydoc_get(r1, "list")->nitems == 2);
	}
	ydoc_free(r1);
	ydoc_free(r2);

	/* Empty streams and documents. */
	CHECK_OK(parse("# nothing\n", &r1));
	CHECK(r1 == NULL);
	CHECK_OK(parse("---\n", &r1));
	CHECK(r1 != NULL && ydoc_is_null(r1));
	ydoc_free(r1);
	CHECK_OK(parse("[]\n", &r1));
	CHECK(r1 != NULL && r1->type == YNODE_SEQ && r1->nitems == 0);
	ydoc_free(r1);

	/* A syntax error after a refused key still comes first. */
	CHECK_ERR(parse("a: 1\na: 2\nb: [\n", &r1),
	    "t.yaml:4:1: did not find expected node content "
	    "(while parsing a flow node)");
	CHECK_ERR(parse("? [k]\n: 1\n---\nx\n", &r1),
	    "t.yaml:3:1: only one YAML document is allowed");
	CHECK_ERR(parse("a: \"x\\0y\"\n", &r1),
	    "t.yaml:1:4: NUL character in a scalar");
}

TEST(ydoc_bad_yaml)
{
	struct ynode *root;

	CHECK_ERR(parse("a: 1\n b: 2\n", &root),
	    "t.yaml:2:3: mapping values are not allowed in this context");
	CHECK_ERR(parse("a: [1, 2\n", &root),
	    "t.yaml:2:1: did not find expected ',' or ']' "
	    "(while parsing a flow sequence)");
	CHECK_ERR(parse("a: b\n- c\n", &root),
	    "t.yaml:2:1: did not find expected key "
	    "(while parsing a block mapping)");
	CHECK_ERR(parse("a: \"\xff\"\n", &root),
	    "t.yaml:1:5: invalid leading UTF-8 octet");
}

TEST(ydoc_file)
{
	struct ynode *root;
	const char *path;
	char *missing, *want;

	path = unit_write("f.yaml", "k: v\n");
	CHECK_OK(ydoc_parse_file(path, &root));
	CHECK_STR(ydoc_get(root, "k")->value, "v");
	ydoc_free(root);

	path = unit_write("bad.yaml", "k: v\nk: w\n");
	want = xasprintf("%s:2:1: duplicate key 'k'", path);
	CHECK_ERR(ydoc_parse_file(path, &root), want);
	free(want);

	missing = xasprintf("%s/nope.yaml", unit_tmpdir());
	want = xasprintf("cannot open '%s': No such file or directory",
	    missing);
	{
		struct error *err = ydoc_parse_file(missing, &root);

		CHECK(err != NULL && err->code == EXIT_FAIL);
		CHECK_ERR(err, want);
	}
	free(want);
	free(missing);
}

TEST(ydoc_file_too_big)
{
	struct ynode *root;
	const char *path;
	char *want, *big;
	struct error *err;
	size_t n = 16u * 1024 * 1024 + 10;

	big = xmalloc(n + 1);
	memset(big, '#', n);
	big[n] = '\0';
	path = unit_write("big.yaml", big);
	free(big);
	want = xasprintf("%s: file is larger than 16 MiB", path);
	err = ydoc_parse_file(path, &root);
	CHECK(err != NULL && err->code == EXIT_CONFIG);
	CHECK_ERR(err, want);
	free(want);
}

TEST(ydoc_error_format)
{
	struct ynode *root;

	CHECK_OK(parse("a: b\n", &root));
	CHECK_ERR(ydoc_error("p", ydoc_get(root, "a"), "bad %s", "thing"),
	    "p:1:4: bad thing");
	CHECK_ERR(ydoc_error("p", NULL, "whole file"), "p: whole file");
	ydoc_free(root);
}

TEST(ydoc_suggest_nearest)
{
	static const char *const c[] = { "reread", "votes", "tag", "tags" };

	CHECK_STR(str_suggest("rereed", c, 4), "reread");
	CHECK_STR(str_suggest("vtoes", c, 4), "votes");
	CHECK_STR(str_suggest("tagz", c, 4), "tag");
	CHECK(str_suggest("completely", c, 4) == NULL);
	CHECK(str_suggest("ab", c, 4) == NULL);
	CHECK(str_suggest("votes", c, 4) == NULL);
}

/* ydoc_check_nesting at depth max on text, the error or NULL. */
static struct error *
nest(const char *text, int max)
{
	return ydoc_check_nesting("n.yaml", text, strlen(text), max);
}

/* Does ydoc_check_nesting refuse text at depth max? */
static int
refused(const char *text, int max)
{
	struct error *err = nest(text, max);
	int r = err != NULL;

	error_free(err);
	return r;
}

static char *
repeat(const char *open, int n, const char *mid, const char *close)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	for (i = 0; i < n; i++)
		strbuf_addstr(&sb, open);
	strbuf_addstr(&sb, mid);
	for (i = 0; i < n && close != NULL; i++)
		strbuf_addstr(&sb, close);
	return strbuf_detach(&sb, NULL);
}

TEST(ydoc_nesting_counts_flow_and_block)
{
	char *s;

	CHECK_OK(nest("a: [b, {c: [d]}]\n", 4));
	CHECK_ERR(nest("a: [b, {c: [d]}]\n", 3), "n.yaml:1:12: lists and "
	    "mappings nested more than 3 levels deep; nest them less");
	CHECK_OK(nest("a:\n  b:\n    - c\n", 3));
	CHECK_ERR(nest("a:\n  b:\n    - c\n", 2), "n.yaml:3:5: lists and "
	    "mappings nested more than 2 levels deep; nest them less");
	/* Closed collections give their levels back. */
	CHECK_OK(nest("- [[1], [2], {a: [3]}]\n- [[4]]\n", 4));
	/* Back out of a block mapping by indentation. */
	CHECK_OK(nest("a:\n  b:\n    c: d\ne:\n  f: g\n", 3));
	s = repeat("[", 362, "", "]");
	CHECK_ERR(nest(s, 64), "n.yaml:1:65: lists and mappings nested more "
	    "than 64 levels deep; nest them less");
	free(s);
	s = repeat("- ", 70, "x\n", NULL);
	CHECK(refused(s, 64));
	free(s);
}

TEST(ydoc_nesting_ignores_scalars_and_comments)
{
	char *s, *t;

	s = repeat("[", 100, "", NULL);
	t = xasprintf("a: \"%s\"\nb: '%s'\n# %s\nc: x%s\nd: |\n  %s\n"
	    "e: >-\n    %s\n\n    %s\nf: [\"%s\", '%s' , ok]\n", s, s, s, s, s,
	    s, s, s, s);
	CHECK_OK(nest(t, 3));
	free(t);
	/* Escapes and doubled quotes do not end a quoted scalar. */
	t = xasprintf("a: \"x\\\"%s\"\nb: 'it''s %s'\n", s, s);
	CHECK_OK(nest(t, 2));
	free(t);
	/* A plain scalar goes on across lines indented under it. */
	t = xasprintf("a: x\n  \"%s\n  y\n", s);
	CHECK_OK(nest(t, 2));
	free(t);
	/* But not onto a line that is not: there '"' starts a scalar. */
	CHECK_OK(nest("a: x\n\"[[[\": y\n", 2));
	/* A quote inside a plain scalar starts nothing. */
	t = xasprintf("a: x \"\nb: %s\nc: \"\n", s);
	CHECK(refused(t, 64));
	free(t);
	/* ']' in a quoted scalar closes nothing. */
	t = xasprintf("a: [[[[\"]]]]\", '}}}}' # ]]]]\n ]]]]\nb: %s\n", s);
	CHECK(refused(t, 64));
	free(t);
	/* A block scalar ends at a line less indented than its content. */
	t = xasprintf("- k: |\n    text\n  a: %s\n", s);
	CHECK(refused(t, 64));
	free(t);
	t = xasprintf("- k: |\n  a: %s\n", s);
	CHECK(refused(t, 64));
	free(t);
	/* In a flow, '?' inside a plain scalar ends nothing (libyaml 0.2.5). */
	t = xasprintf("x: [a?\"%s\"]\n", s);
	CHECK(refused(t, 64));
	free(t);
	/* A comment starts only after a blank. */
	t = xasprintf("a: x#y %s\n", s);
	CHECK_OK(nest(t, 2));
	free(t);
	t = xasprintf("a: [x]#\nb: %s\n", s);
	CHECK(refused(t, 64));
	free(t);
	/* Line breaks as libyaml sees them: NEL ends a comment. */
	t = xasprintf("# x\xc2\x85" "a: %s\n", s);
	CHECK(refused(t, 64));
	free(t);
	CHECK_ERR(nest("\xff\xfe" "a\0:\0", 64), "n.yaml:1:1: UTF-16 text; "
	    "save the file as UTF-8");
	free(s);
}

TEST(ydoc_nesting_before_libyaml)
{
	struct ynode *root = NULL;
	char *s = repeat("{a: ", 200, "b", "}");

	CHECK_ERR(ydoc_parse_string("deep.yaml", s, strlen(s), &root),
	    "deep.yaml:1:257: lists and mappings nested more than 64 levels "
	    "deep; nest them less");
	CHECK(root == NULL);
	free(s);
}
