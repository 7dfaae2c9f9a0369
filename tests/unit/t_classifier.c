/*
 * t_classifier.c: the trained router: deterministic training on a small
 * labelled set, the model file and its errors, labelled files, and the
 * chain classifier -> keywords -> base behind router_route.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classifier.h"
#include "error.h"
#include "fsutil.h"
#include "router.h"
#include "unit.h"
#include "util.h"

static const char *const math_q[] = {
	"solve the equation 2x + 3 = 7", "what is the derivative of x^2",
	"calculate the area of a circle", "integrate x squared",
	"what is 15 percent of 80", "solve for x in 5x = 20",
	"compute the sum of 1 to 100", "find the square root of 144",
	"calculate the average of these numbers", "what is 7 times 8",
	NULL };
static const char *const code_q[] = {
	"write a python function to reverse a list",
	"fix this javascript bug", "how do I sort a list in python",
	"write a function that returns the maximum", "python class example",
	"debug my python script", "write a sql query to count rows",
	"what does this javascript function return",
	"write a python function to parse json", "compile error in my code",
	NULL };
static const char *const none_q[] = {
	"hello there", "what is the capital of france",
	"how are you today", "tell me a joke", "who wrote hamlet",
	"what is the weather like", "recommend a good film",
	"how do I make tea", "what time is it in tokyo",
	"why is the sky blue", NULL };

static void
small_set(struct clf_data *d)
{
	size_t i, c;

	clf_data_init(d);
	c = clf_data_class(d, "math");
	for (i = 0; math_q[i] != NULL; i++)
		clf_data_add(d, c, math_q[i]);
	c = clf_data_class(d, "code");
	for (i = 0; code_q[i] != NULL; i++)
		clf_data_add(d, c, code_q[i]);
	c = clf_data_class(d, "none");
	for (i = 0; none_q[i] != NULL; i++)
		clf_data_add(d, c, none_q[i]);
	clf_data_seal(d);
}

static size_t
top(const double *p, size_t n)
{
	size_t i, best = 0;

	for (i = 1; i < n; i++)
		if (p[i] > p[best])
			best = i;
	return best;
}

static char *
slurp(const char *path)
{
	char *data = NULL;
	size_t len;
	struct error *err = fs_read_file(path, 1 << 24, &data, &len);

	if (err != NULL) {
		error_free(err);
		return xstrdup("");
	}
	return data;
}

TEST(classifier_deterministic)
{
	struct clf_data d;
	struct classifier *a, *b;
	char pa[512], pb[512], *ta, *tb;
	double p[3];

	small_set(&d);
	CHECK_INT(d.n, 30);
	CHECK_INT(d.nclasses, 3);
	a = clf_train(&d, 1);
	b = clf_train(&d, 1);
	snprintf(pa, sizeof(pa), "%s/a.model", unit_tmpdir());
	snprintf(pb, sizeof(pb), "%s/b.model", unit_tmpdir());
	CHECK_OK(clf_save(a, pa));
	CHECK_OK(clf_save(b, pb));
	ta = slurp(pa);
	tb = slurp(pb);
	CHECK(*ta != '\0');
	CHECK_STR(ta, tb);
	free(ta);
	free(tb);
	CHECK_STR(clf_data_sha256(a), d.sha256);
	CHECK_INT(clf_nclasses(a), 3);
	CHECK_STR(clf_class(a, 2), "none");

	CHECK_OK(clf_predict(a, "solve the equation 3x = 9", p));
	CHECK_DBL(p[0] + p[1] + p[2], 1, 1e-9);
	CHECK_INT(top(p, 3), 0);
	CHECK_OK(clf_predict(a, "write a python function", p));
	CHECK_INT(top(p, 3), 1);
	CHECK_OK(clf_predict(a, "what is the capital of spain", p));
	CHECK_INT(top(p, 3), 2);
	/* A typo keeps most character n-grams. */
	CHECK_OK(clf_predict(a, "pyhton function", p));
	CHECK_INT(top(p, 3), 1);
	clf_free(a);
	clf_free(b);
	clf_data_release(&d);
}

TEST(classifier_roundtrip_and_explain)
{
	struct clf_data d;
	struct classifier *a, *b = NULL;
	struct clf_feature f[3];
	char path[512];
	double pa[3], pb[3];
	size_t i, n;

	small_set(&d);
	d.check = 0xfedcba9876543210ULL;
	a = clf_train(&d, 1);
	snprintf(path, sizeof(path), "%s/r.model", unit_tmpdir());
	CHECK_OK(clf_save(a, path));
	CHECK_OK(clf_load(path, &b));
	if (b == NULL)
		return;
	CHECK_INT(clf_nfeatures(b), clf_nfeatures(a));
	CHECK_STR(clf_data_sha256(b), d.sha256);
	CHECK(clf_data_check(b) == 0xfedcba9876543210ULL);
	CHECK_OK(clf_predict(a, "calculate the derivative", pa));
	CHECK_OK(clf_predict(b, "calculate the derivative", pb));
	for (i = 0; i < 3; i++)
		CHECK_DBL(pa[i], pb[i], 1e-4);
	CHECK_OK(clf_explain(b, "calculate the derivative", 0, f, 3, &n));
	CHECK_INT(n, 3);
	CHECK(f[0].contrib >= f[1].contrib && f[1].contrib >= f[2].contrib);
	CHECK(f[2].contrib > 0);
	/* Nothing known: no features. */
	CHECK_OK(clf_explain(b, "zzzz", 0, f, 3, &n));
	CHECK_INT(n, 0);
	clf_free(a);
	clf_free(b);
	clf_data_release(&d);
}

/* The model's numbers are written as "%.6g" would write them. */
TEST(classifier_save_numbers)
{
	struct clf_data d;
	struct classifier *a;
	char path[512], *text, *line, *nl, *f, *tab, buf[64];
	size_t n = 0, lineno = 0, skip = 0;

	small_set(&d);
	a = clf_train(&d, 1);
	snprintf(path, sizeof(path), "%s/n.model", unit_tmpdir());
	CHECK_OK(clf_save(a, path));
	text = slurp(path);
	for (line = text; *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		else
			nl = line + strlen(line);
		/* The header, and the index: names and offsets. */
		if (++lineno <= 7)
			continue;
		if (strncmp(line, "index\t", 6) == 0) {
			skip = strtoul(line + 6, NULL, 10);
			continue;
		}
		if (skip > 0) {
			skip--;
			continue;
		}
		/* The fields after the feature's name: idf, weights. */
		for (f = strchr(line, '\t'); f != NULL; f = tab) {
			f++;
			if ((tab = strchr(f, '\t')) != NULL)
				*tab = '\0';
			snprintf(buf, sizeof(buf), "%.6g", strtod(f, NULL));
			CHECK_STR(f, buf);
			n++;
		}
	}
	CHECK_INT(n, clf_nfeatures(a) * 4);
	free(text);
	clf_free(a);
	clf_data_release(&d);
}

TEST(classifier_data_hash)
{
	struct clf_data a, b;

	small_set(&a);
	small_set(&b);
	CHECK_STR(a.sha256, b.sha256);
	clf_data_add(&b, 0, "one more sum");
	clf_data_seal(&b);
	CHECK(strcmp(a.sha256, b.sha256) != 0);
	clf_data_release(&a);
	clf_data_release(&b);
}

#define HEAD0 "loco-router-model\t2\n" \
	"data\t0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
#define HEAD HEAD0 "check\t0123456789abcdef\n"
/* Version 3: the same, then an index after the feature count. */
#define HEAD3 "loco-router-model\t3\n" \
	"data\t0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n" \
	"check\t0123456789abcdef\nclasses\ta\tb\ntemperature\t1\n" \
	"bias\t0\t0\n"

static void
check_bad(const char *text, const char *want_tail)
{
	struct classifier *m = (struct classifier *)1;
	const char *path = unit_write("bad.model", text);
	char *want = xasprintf("malformed router model '%s': %s; run 'loco "
	    "router train'", path, want_tail);

	CHECK_ERR(clf_load(path, &m), want);
	CHECK(m == NULL);
	free(want);
}

/* A model that loads but fails when text uses a bad feature line. */
static void
check_bad_use(const char *text, const char *query, const char *want_tail)
{
	struct classifier *m = NULL;
	const char *path = unit_write("bad.model", text);
	char *want = xasprintf("malformed router model '%s': %s; run 'loco "
	    "router train'", path, want_tail);
	struct clf_feature f[2];
	double p[2];
	size_t n;

	CHECK_OK(clf_load(path, &m));
	if (m != NULL) {
		CHECK_ERR(clf_predict(m, query, p), want);
		CHECK_ERR(clf_explain(m, query, 0, f, 2, &n), want);
		CHECK_OK(clf_predict(m, "unknown words only", p));
		clf_free(m);
	}
	free(want);
}

TEST(classifier_malformed)
{
	struct classifier *m = NULL;
	const char *path;

	check_bad("", "line 1: not a loco router model");
	check_bad("hello\n", "line 1: not a loco router model");
	check_bad("loco-router-model\t4\n", "line 1: unknown model version");
	/* Version 1 had its features unsorted. */
	check_bad("loco-router-model\t1\n", "line 1: unknown model version");
	check_bad("loco-router-model\t2\ndata\tabc\n",
	    "line 2: expected a SHA-256 after 'data'");
	check_bad(HEAD0, "line 3: expected 'check', found the end of the "
	    "file");
	check_bad(HEAD0 "check\t12345\n", "line 3: expected 16 hexadecimal "
	    "digits after 'check'");
	check_bad(HEAD, "line 4: expected 'classes', found the end of the "
	    "file");
	check_bad(HEAD "classes\ta\n", "line 4: expected 2 to 63 classes");
	check_bad(HEAD "classes\ta\tb\ntemperature\t0\n",
	    "line 5: expected a positive temperature");
	check_bad(HEAD "classes\ta\tb\ntemperature\t1\nbias\t1\n",
	    "line 6: expected 2 fields after 'bias', found 1");
	check_bad(HEAD "classes\ta\tb\ntemperature\t1\nbias\t1\tx\n",
	    "line 6: expected a number");
	check_bad(HEAD "classes\ta\tb\ntemperature\t1\nbias\t1\t2\n"
	    "features\t2\n",
	    "line 8: expected a feature, found the end of the file");
	check_bad(HEAD "classes\ta\tb\ntemperature\t1\nbias\t1\t2\n"
	    "features\t0\nw:a\t1\t0.5\t1\n",
	    "line 8: more features than the count says");
	/*
	 * Only the header is read when the model loads; a feature's line is
	 * read, and checked against its neighbours, when a text uses it.
	 */
	check_bad_use(HEAD "classes\ta\tb\ntemperature\t1\nbias\t1\t2\n"
	    "features\t1\nw:a\n", "a",
	    "line 8: expected a feature, its idf and 2 weights");
	check_bad_use(HEAD "classes\ta\tb\ntemperature\t1\nbias\t1\t2\n"
	    "features\t2\nw:b\t1\t0.5\t1\nw:a\t1\t0.5\t1\n", "b",
	    "line 9: features out of order");
	check_bad_use(HEAD "classes\ta\tb\ntemperature\t1\nbias\t1\t2\n"
	    "features\t2\nw:a\t1\t0.5\t1\nw:a\t1\t0.5\t1\n", "a",
	    "line 9: duplicate feature");
	/* The numbers of a feature are read when a text uses it. */
	check_bad_use(HEAD "classes\ta\tb\ntemperature\t1\nbias\t1\t2\n"
	    "features\t2\nw:a\t1\t0.5\nw:b\t1\t0.5\t1\n", "a",
	    "line 8: expected a feature, its idf and 2 weights");
	check_bad_use(HEAD "classes\ta\tb\ntemperature\t1\nbias\t1\t2\n"
	    "features\t2\nw:a\t1\t0.5\t1\nw:b\t1\t0.5\t1\t2\n", "b a",
	    "line 9: expected a feature, its idf and 2 weights");
	check_bad_use(HEAD "classes\ta\tb\ntemperature\t1\nbias\t1\t2\n"
	    "features\t1\nw:a\t1\t0.5\t1e\n", "a",
	    "line 8: expected a number");
	check_bad_use(HEAD "classes\ta\tb\ntemperature\t1\nbias\t1\t2\n"
	    "features\t1\nw:a\tx\t0.5\t1\n", "a",
	    "line 8: expected a number for the idf");
	/* Version 3's index: every INDEX_STEP-th name and its offset. */
	check_bad(HEAD3 "features\t1\nw:a\t1\t0.5\t1\n",
	    "line 8: expected 'index', the number of entries and their size");
	check_bad(HEAD3 "features\t1\nindex\t1\t99\nw:a\t0\nw:a\t1\t0.5\t1\n",
	    "line 8: the index does not match the file");
	check_bad(HEAD3 "features\t1\nindex\t0\t0\nw:a\t1\t0.5\t1\n",
	    "line 8: the index does not match the file");
	/* An entry is checked when a lookup uses it. */
	check_bad_use(HEAD3 "features\t1\nindex\t1\t7\nw:zz\t0\n"
	    "w:a\t1\t0.5\t1\n", "zz",
	    "line 9: the index does not match the features");
	check_bad_use(HEAD3 "features\t1\nindex\t1\t7\nw:zz\t5\n"
	    "w:zz\t1\t0.5\t1\n", "zz",
	    "line 9: the index does not match the features");
	path = unit_write("good.model", HEAD3 "features\t2\nindex\t1\t6\n"
	    "w:a\t0\nw:a\t1\t0.5\t1\nw:b\t1\t0.5\t1\n");
	CHECK_OK(clf_load(path, &m));
	if (m != NULL) {
		double p[2];

		CHECK_OK(clf_predict(m, "a b", p));
		CHECK_INT(clf_nfeatures(m), 2);
		clf_free(m);
	}

	path = unit_write("good.model", HEAD "classes\ta\tb\ntemperature\t1\n"
	    "bias\t0\t0\nfeatures\t1\nw:yes\t1\t-2.5e-1\t1.5E+0\n");
	CHECK_OK(clf_load(path, &m));
	if (m != NULL) {
		double p[2];

		CHECK_OK(clf_predict(m, "yes", p));
		/* logits -0.25 and 1.5 on a unit vector. */
		CHECK_DBL(p[1], 1 / (1 + exp(-1.75)), 1e-9);
		clf_free(m);
	}
}

TEST(classifier_labels)
{
	struct clf_data d;
	const char *path;
	char *want;

	path = unit_write("l.tsv", "# comment\n\nmath\tsolve x\r\n"
	    "none\thello\tthere\n");
	CHECK_OK(router_labels_load(path, &d));
	CHECK_INT(d.n, 2);
	CHECK_STR(d.classes[d.labels[0]], "math");
	CHECK_STR(d.texts[0], "solve x");
	CHECK_STR(d.texts[1], "hello\tthere");
	clf_data_release(&d);

	path = unit_write("l.jsonl", "{\"domain\": \"code\", \"query\": "
	    "\"fix it\"}\n");
	CHECK_OK(router_labels_load(path, &d));
	CHECK_INT(d.n, 1);
	CHECK_STR(d.classes[0], "code");
	clf_data_release(&d);

	path = unit_write("bad.tsv", "math\tok\nno tab here\n");
	want = xasprintf("cannot read '%s': line 2: expected "
	    "domain<TAB>query", path);
	CHECK_ERR(router_labels_load(path, &d), want);
	free(want);
	path = unit_write("bad.jsonl", "{\"domain\": \"code\"}\n");
	want = xasprintf("cannot read '%s': line 1: expected string for "
	    "\"query\"", path);
	CHECK_ERR(router_labels_load(path, &d), want);
	free(want);
}

/* The chain: classifier, then keywords below the threshold, then base. */
TEST(classifier_router_chain)
{
	struct clf_data d;
	struct registry reg;
	struct adapter ads[2];
	struct keyword kw = { "hello", 2 };
	struct route_result rr;
	struct router *r;

	memset(&reg, 0, sizeof(reg));
	memset(ads, 0, sizeof(ads));
	ads[0].name = "m";
	ads[0].domain = "math";
	ads[0].active = 1;
	ads[1].name = "c";
	ads[1].domain = "code";
	ads[1].active = 1;
	ads[1].keywords = &kw;	/* a keyword the classifier calls none */
	ads[1].nkeywords = 1;
	reg.adapters = ads;
	reg.nadapters = 2;
	small_set(&d);

	r = router_new_classifier(&reg, clf_train(&d, 1), 0.5, 1);
	CHECK_STR(router_kind(r), "classifier");
	CHECK_OK(router_route(r, "solve the equation 4x = 8", &rr));
	CHECK(rr.adapter == &ads[0]);
	CHECK_STR(rr.link, "classifier");
	CHECK_INT(rr.nclasses, 3);
	CHECK(rr.confidence >= 0.5);
	CHECK(rr.nfeatures > 0);
	route_result_release(&rr);
	CHECK_OK(router_route(r, "tell me a joke", &rr));
	CHECK(rr.adapter == NULL);
	CHECK_STR(rr.link, "classifier");
	CHECK_STR(rr.reason, "classifier: none");
	route_result_release(&rr);
	router_free(r);

	/* Threshold 1: the classifier never decides. */
	r = router_new_classifier(&reg, clf_train(&d, 1), 1, 1);
	CHECK_OK(router_route(r, "hello there", &rr));
	CHECK(rr.adapter == &ads[1]);
	CHECK_STR(rr.link, "keyword");
	CHECK_STR(rr.reason, "classifier below router.threshold, keywords");
	CHECK_INT(rr.nclasses, 3);
	route_result_release(&rr);
	CHECK_OK(router_route(r, "solve the equation 4x = 8", &rr));
	CHECK(rr.adapter == NULL);
	CHECK_STR(rr.link, "base");
	CHECK_STR(rr.reason, "classifier below router.threshold, no keyword "
	    "decision");
	route_result_release(&rr);
	router_free(r);

	/* A domain without an active adapter falls through too. */
	ads[0].active = 0;
	r = router_new_classifier(&reg, clf_train(&d, 1), 0.5, 1);
	CHECK_OK(router_route(r, "solve the equation 4x = 8", &rr));
	CHECK(rr.adapter == NULL);
	CHECK_STR(rr.link, "base");
	route_result_release(&rr);
	router_free(r);

	/* The keyword router names its links too. */
	r = router_new_keyword(&reg, 1);
	CHECK_OK(router_route(r, "hello", &rr));
	CHECK_STR(rr.link, "keyword");
	route_result_release(&rr);
	CHECK_OK(router_route(r, "nothing", &rr));
	CHECK_STR(rr.link, "base");
	route_result_release(&rr);
	router_free(r);
	clf_data_release(&d);
}
