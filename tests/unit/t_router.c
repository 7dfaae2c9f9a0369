/* t_router.c: the keyword router, its word boundaries and its tie rule. */
#include <stdlib.h>

#include "error.h"
#include "router.h"
#include "unit.h"

struct kwdef {
	const char	*phrase;
	double		 weight;
};

static struct keyword *
keywords(const struct kwdef *d, size_t *n)
{
	struct keyword *k;
	size_t i;

	for (*n = 0; d[*n].phrase != NULL; (*n)++)
		;
	k = calloc(*n + 1, sizeof(*k));
	for (i = 0; i < *n; i++) {
		k[i].phrase = (char *)d[i].phrase;
		k[i].weight = d[i].weight;
	}
	return k;
}

static const struct kwdef math_kw[] = {
	{ "sum", 1 }, { "solve", 2 }, { "equation*", 2 }, { "square root", 2 },
	{ "how many", 1 }, { NULL, 0 } };
static const struct kwdef code_kw[] = {
	{ "code", 2 }, { "class", 1 }, { "function", 2 }, { "c++", 2 },
	{ "c#", 2 }, { "python", 2 }, { NULL, 0 } };
static const struct kwdef analysis_kw[] = {
	{ "compare", 1.5 }, { "evidence", 1.5 }, { NULL, 0 } };
static const struct kwdef writing_kw[] = {
	{ "write", 1.5 }, { "essay", 2 }, { "compare", 1.5 }, { NULL, 0 } };

static struct registry reg;

static void
setup(void)
{
	static const char *names[] = { "math", "code", "analysis", "writing" };
	const struct kwdef *kws[] = { math_kw, code_kw, analysis_kw,
	    writing_kw };
	size_t i;

	memset(&reg, 0, sizeof(reg));
	reg.base.tag = "qwen3:4b";
	reg.nadapters = 4;
	reg.adapters = calloc(4, sizeof(*reg.adapters));
	for (i = 0; i < 4; i++) {
		reg.adapters[i].name = (char *)names[i];
		reg.adapters[i].domain = (char *)names[i];
		reg.adapters[i].active = 1;
		reg.adapters[i].keywords = keywords(kws[i],
		    &reg.adapters[i].nkeywords);
	}
}

static void
teardown(void)
{
	size_t i;

	for (i = 0; i < reg.nadapters; i++)
		free(reg.adapters[i].keywords);
	free(reg.adapters);
}

/* Route q and return the winner's name or "base". */
static const char *
route(const char *q, double min_score, double *score, double *conf)
{
	struct router *r = router_new_keyword(&reg, min_score);
	struct route_result rr;
	const char *name;

	CHECK_OK(router_route(r, q, &rr));
	name = rr.adapter ? rr.adapter->name : "base";
	if (score)
		*score = rr.score;
	if (conf)
		*conf = rr.confidence;
	route_result_release(&rr);
	router_free(r);
	return name;
}

TEST(router_substring_traps)
{
	setup();
	CHECK_STR(route("Assume the worst", 1, NULL, NULL), "base");
	CHECK_STR(route("How do I decode base64?", 1, NULL, NULL), "base");
	CHECK_STR(route("Classify these animals", 1, NULL, NULL), "base");
	CHECK_STR(route("functional programming", 1, NULL, NULL), "base");
	CHECK_STR(route("What is the sum of 2 and 3?", 1, NULL, NULL), "math");
	CHECK_STR(route("Explain this CODE.", 1, NULL, NULL), "code");
	CHECK_STR(route("a class in java", 1, NULL, NULL), "code");
	teardown();
}

TEST(router_phrases_and_prefixes)
{
	double score;

	setup();
	CHECK_STR(route("what is the square root of 2", 1, &score, NULL),
	    "math");
	CHECK_DBL(score, 2, 1e-9);
	CHECK_STR(route("the root is square", 1, NULL, NULL), "base");
	CHECK_STR(route("solve these equations", 1, &score, NULL), "math");
	CHECK_DBL(score, 4, 1e-9);
	CHECK_STR(route("Equation!", 1, NULL, NULL), "math");
	CHECK_STR(route("How   many\tapples?", 1, NULL, NULL), "math");
	CHECK_STR(route("is c++ faster than c#?", 1, &score, NULL), "code");
	CHECK_DBL(score, 4, 1e-9);
	teardown();
}

TEST(router_scores_and_confidence)
{
	double score, conf;

	setup();
	/* math: solve 2 + how many 1 = 3; code: python 2. */
	CHECK_STR(route("solve how many python snakes", 1, &score, &conf),
	    "math");
	CHECK_DBL(score, 3, 1e-9);
	CHECK_DBL(conf, 0.6, 1e-9);
	/* Each phrase counts once however often it appears. */
	CHECK_STR(route("code code code python", 1, &score, &conf), "code");
	CHECK_DBL(score, 4, 1e-9);
	CHECK_DBL(conf, 1, 1e-9);
	teardown();
}

TEST(router_tie_rule)
{
	struct router *r;
	struct route_result rr;

	setup();
	/* analysis and writing both score 1.5 on "compare": registry order. */
	CHECK_STR(route("compare", 1, NULL, NULL), "analysis");
	/* Equal score, more distinct phrases wins: writing has 2 hits. */
	r = router_new_keyword(&reg, 1);
	CHECK_OK(router_route(r, "compare the evidence, then write an essay",
	    &rr));
	CHECK_STR(rr.adapter->name, "writing");
	CHECK_INT(rr.ncandidates, 2);
	CHECK_STR(rr.candidates[1].adapter->name, "analysis");
	CHECK_INT(rr.candidates[0].nhits, 3);
	CHECK_STR(rr.candidates[0].hits[0], "write");
	route_result_release(&rr);
	router_free(r);
	teardown();
}

TEST(router_min_score_and_inactive)
{
	struct router *r;
	struct route_result rr;

	setup();
	CHECK_STR(route("sum", 1.5, NULL, NULL), "base");
	r = router_new_keyword(&reg, 1.5);
	CHECK_OK(router_route(r, "sum", &rr));
	CHECK(rr.adapter == NULL);
	CHECK_INT(rr.ncandidates, 1);
	CHECK_STR(rr.reason, "keyword score below router.min_score");
	route_result_release(&rr);
	router_free(r);
	reg.adapters[0].active = 0;
	CHECK_STR(route("solve it", 1, NULL, NULL), "base");
	teardown();
}

TEST(router_words_split)
{
	char **w;
	size_t n = router_words("Hello, WORLD! c++ x#y naïve 3.14", &w);

	CHECK_INT(n, 8);
	CHECK_STR(w[0], "hello");
	CHECK_STR(w[1], "world");
	CHECK_STR(w[2], "c++");
	CHECK_STR(w[3], "x#");
	CHECK_STR(w[4], "y");
	CHECK_STR(w[5], "naïve");
	CHECK_STR(w[6], "3");
	CHECK_STR(w[7], "14");
	words_free(w, n);
}
