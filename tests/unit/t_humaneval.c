/*
 * t_humaneval.c: HumanEval through loco's code_execution scorer, read
 * from ../shared/data/HumanEval.jsonl.gz as loco bench import reads it:
 * the canonical solutions pass, a wrong solution fails, and so does a
 * wrong solution followed by each way of ending early (bypasses.h).
 * Without the data (a user's clone) the tests say so and pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "benchfile.h"
#include "bypasses.h"
#include "sandbox.h"
#include "score.h"
#include "unit.h"
#include "util.h"

#define HUMANEVAL "../shared/data/HumanEval.jsonl.gz"

static struct bench *
load_humaneval(void)
{
	struct bench *b = NULL;
	struct error *err;
	const char *path;
	size_t n = 0;
	FILE *fp;

	if (access(HUMANEVAL, R_OK) != 0 || access(SANDBOX_PYTHON, X_OK) !=
	    0) {
		fprintf(stderr, "t_humaneval: no %s or no %s: skipped\n",
		    HUMANEVAL, SANDBOX_PYTHON);
		return NULL;
	}
	path = unit_write("humaneval.jsonl", "");
	if ((fp = fopen(path, "w")) == NULL) {
		unit_fail(__FILE__, __LINE__, "cannot write '%s'", path);
		return NULL;
	}
	err = bench_import("humaneval", HUMANEVAL, fp, &n);
	if (fclose(fp) != 0 && err == NULL)
		unit_fail(__FILE__, __LINE__, "cannot write '%s'", path);
	if (err == NULL)
		err = bench_load(path, 0, &b);
	if (err != NULL) {
		unit_fail(__FILE__, __LINE__, "%s", err->msg);
		error_free(err);
		return NULL;
	}
	CHECK_INT(b->n, 164);
	return b;
}

/* Score response on case c; 1 when it passed.  Errors are failures. */
static int
passes(const struct bench_case *c, const char *response, char **reason)
{
	struct score_result r;
	struct error *err = score_case(c, response, NULL, &r);
	int pass;

	if (reason != NULL)
		*reason = NULL;
	if (err != NULL) {
		unit_fail(__FILE__, __LINE__, "%s: %s", c->id, err->msg);
		error_free(err);
		return -1;
	}
	pass = r.pass;
	if (reason != NULL)
		*reason = r.reason ? xstrdup(r.reason) : NULL;
	score_result_release(&r);
	return pass;
}

TEST(humaneval_canonical_solutions_pass)
{
	struct bench *b = load_humaneval();
	char *resp, *why = NULL;
	size_t i, n = 0;
	long long t0 = now_ns();

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++) {
		resp = xasprintf("```python\n%s\n```\n", b->cases[i].expected);
		if (passes(&b->cases[i], resp, &why) == 1)
			n++;
		else
			unit_fail(__FILE__, __LINE__, "%s: the canonical "
			    "solution failed: %s", b->cases[i].id,
			    why ? why : "");
		free(why);
		free(resp);
	}
	fprintf(stderr, "t_humaneval: %zu of %zu canonical solutions passed "
	    "in %.1f s\n", n, b->n, (double)(now_ns() - t0) / 1e9);
	bench_free(b);
}

/*
 * The canonical solution with its function then redefined to return
 * None, which fails every case's tests, and an ending after it.
 */
static int
wrong_passes(const struct bench_case *c, const char *ending)
{
	char *resp;
	int pass;

	resp = xasprintf("```python\n%s\n\ndef %s(*args, **kwargs):\n"
	    "    return None\n\n%s```\n", c->expected, c->entry_point, ending);
	pass = passes(c, resp, NULL);
	free(resp);
	return pass;
}

/*
 * Every bypass on 4 cases, a different 4 for each, and a wrong solution
 * on 21: about 100 runs, 5 s.  LOCO_TEST_HUMANEVAL_ALL=1 runs every
 * bypass on every case (3,280 runs, minutes).
 */
TEST(humaneval_wrong_solutions_fail)
{
	struct bench *b = load_humaneval();
	const char *all = getenv("LOCO_TEST_HUMANEVAL_ALL");
	size_t i, k, runs = 0, passed = 0;
	int every = all != NULL && strcmp(all, "1") == 0;
	long long t0 = now_ns();

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++) {
		if (!every && i % 8 != 0)
			continue;
		runs++;
		if (wrong_passes(&b->cases[i], "") != 0) {
			passed++;
			unit_fail(__FILE__, __LINE__, "%s: a wrong solution "
			    "passed", b->cases[i].id);
		}
	}
	for (k = 0; k < code_nbypasses; k++)
		for (i = 0; i < b->n; i++) {
			if (!every && (i + 7 * k) % 41 != 0)
				continue;
			runs++;
			if (wrong_passes(&b->cases[i], code_bypasses[k]) !=
			    0) {
				passed++;
				unit_fail(__FILE__, __LINE__, "%s: a wrong "
				    "solution passed with:\n%s",
				    b->cases[i].id, code_bypasses[k]);
			}
		}
	fprintf(stderr, "t_humaneval: %zu of %zu wrong solutions passed in "
	    "%.1f s%s\n", passed, runs, (double)(now_ns() - t0) / 1e9,
	    every ? "" : " (a sample; LOCO_TEST_HUMANEVAL_ALL=1 for all)");
	bench_free(b);
}
