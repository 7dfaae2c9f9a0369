/*
 * fuzz_router.c: router_words and the keyword router.
 *
 * Input: the first line is the question; each further line is a keyword
 * phrase of an extra adapter (weights 0.5, 1, 2 in turn), which joins a
 * small fixed registry.  Only the question comes from outside in loco; the
 * phrases stand for a hand-written registry.
 */
#include <ctype.h>

#include "fuzz.h"
#include "registry.h"
#include "router.h"

#define MAXPHRASES 32

static struct keyword math_kw[] = {
	{ "solve", 2 }, { "integr*", 2 }, { "square root", 2 },
	{ "how many", 1 }, { "sum of", 1 }, { "percent*", 1.5 }
};
static struct keyword code_kw[] = {
	{ "python", 3 }, { "c++", 2 }, { "c#", 2 }, { "def", 1.5 },
	{ "function*", 1 }, { "*", 1 }, { "", 1 }
};
static struct keyword off_kw[] = {
	{ "solve", 5 }
};

/* Each word: non-empty, lower case, word bytes then maybe '+'s or '#'s. */
static void
check_words(char **w, size_t n)
{
	size_t i, j, len;

	for (i = 0; i < n; i++) {
		len = strlen(w[i]);
		FUZZ_CHECK(len > 0);
		for (j = 0; j < len; j++) {
			unsigned char c = (unsigned char)w[i][j];

			FUZZ_CHECK(!isupper(c));
			FUZZ_CHECK(isalnum(c) || c >= 0x80 ||
			    (j > 0 && (c == '+' || c == '#')));
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const double weights[] = { 0.5, 1, 2 };
	struct keyword kw[MAXPHRASES];
	struct adapter ads[4];
	struct registry reg;
	struct route_result res;
	struct router *rt;
	char *s = fuzz_cstr(data, size), *p, *nl, **words;
	size_t nkw = 0, n, i;

	p = s;
	if ((nl = strchr(p, '\n')) != NULL) {
		*nl = '\0';
		p = nl + 1;
		while (nkw < MAXPHRASES && *p != '\0') {
			kw[nkw].phrase = p;
			kw[nkw].weight = weights[nkw % ARRAY_SIZE(weights)];
			nkw++;
			if ((nl = strchr(p, '\n')) == NULL)
				break;
			*nl = '\0';
			p = nl + 1;
		}
	}

	n = router_words(s, &words);
	check_words(words, n);
	words_free(words, n);

	memset(&reg, 0, sizeof(reg));
	memset(ads, 0, sizeof(ads));
	ads[0].name = "math";
	ads[0].domain = "math";
	ads[0].keywords = math_kw;
	ads[0].nkeywords = ARRAY_SIZE(math_kw);
	ads[0].active = 1;
	ads[1].name = "code";
	ads[1].domain = "code";
	ads[1].keywords = code_kw;
	ads[1].nkeywords = ARRAY_SIZE(code_kw);
	ads[1].active = 1;
	ads[2].name = "off";
	ads[2].domain = "off";
	ads[2].keywords = off_kw;
	ads[2].nkeywords = ARRAY_SIZE(off_kw);
	ads[2].active = 0;
	ads[3].name = "fuzz";
	ads[3].domain = (size & 1) ? "math" : NULL;	/* math's domain, or its own */
	ads[3].keywords = kw;
	ads[3].nkeywords = nkw;
	ads[3].active = 1;
	reg.adapters = ads;
	reg.nadapters = ARRAY_SIZE(ads);

	rt = router_new_keyword(&reg, 1.0);
	FUZZ_CHECK(strcmp(router_kind(rt), "keyword") == 0);
	FUZZ_CHECK(router_route(rt, s, &res) == NULL);
	FUZZ_CHECK(res.reason != NULL);
	FUZZ_CHECK(res.confidence >= 0 && res.confidence <= 1);
	for (i = 0; i < res.ncandidates; i++) {
		const struct route_candidate *c = &res.candidates[i];

		FUZZ_CHECK(c->adapter != NULL && c->adapter->active);
		FUZZ_CHECK(c->score > 0 && c->nhits > 0);
		if (i > 0)
			FUZZ_CHECK(res.candidates[i - 1].score >= c->score);
	}
	if (res.adapter != NULL) {
		FUZZ_CHECK(res.adapter == res.candidates[0].adapter);
		FUZZ_CHECK(res.score >= 1.0);
	}
	route_result_release(&res);
	router_free(rt);
	free(s);
	return 0;
}
