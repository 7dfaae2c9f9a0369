/* score.c: the scorers of loco eval (see score.h). */
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extract.h"
#include "prompt.h"
#include "rouge.h"
#include "sandbox.h"
#include "score.h"
#include "strbuf.h"
#include "banned.h"

#define DEFAULT_THRESHOLD 0.5

typedef struct error *(*scorer_fn)(const struct bench_case *, const char *,
    const struct judge *, struct score_result *);

static void
verdict(struct score_result *r, int pass, double score, const char *why)
{
	r->pass = pass;
	r->score = score;
	if (!pass && why != NULL && r->reason == NULL)
		r->reason = xstrdup(why);
}

/* The answer type of an exact_match case: given, else from the answer. */
static enum answer_type
case_answer_type(const struct bench_case *c)
{
	enum answer_type t;
	double d;

	if (c->extract_pattern != NULL)
		return ANSWER_REGEX;
	if (c->answer_type != NULL && answer_type_parse(c->answer_type, &t) == 0)
		return t;
	return number_parse(c->expected, &d) == 0 ? ANSWER_NUMBER :
	    ANSWER_TEXT;
}

static struct error *
score_exact(const struct bench_case *c, const char *response,
    const struct judge *j, struct score_result *r)
{
	struct extractor *x;
	struct error *err;
	enum answer_type t = case_answer_type(c);
	char *want = NULL;
	double d;
	int ok;

	(void)j;
	if ((err = extractor_new(t, c->extract_pattern, &x)) != NULL)
		return err;
	r->extracted = extractor_run(x, response);
	/* The expected answer goes through the same normalisation. */
	if (t == ANSWER_NUMBER && number_parse(c->expected, &d) == 0)
		want = number_canonical(d);
	else if (t == ANSWER_TEXT || t == ANSWER_CHOICE)
		want = extractor_run(x, c->expected);
	if (want == NULL)
		want = xstrdup(c->expected);
	if (r->extracted == NULL)
		verdict(r, 0, 0, "no answer found in the response");
	else {
		/* A tolerance < 0 (none given) is NUMBER_TOLERANCE. */
		ok = answers_equal(t, r->extracted, want, c->tolerance);
		if (!ok && t == ANSWER_TEXT)
			ok = strcmp(r->extracted, want) == 0;
		verdict(r, ok, ok, "wrong answer");
	}
	free(want);
	extractor_free(x);
	return NULL;
}

static int
contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	for (; *hay != '\0'; hay++) {
		for (i = 0; i < n; i++)
			if (tolower((unsigned char)hay[i]) !=
			    tolower((unsigned char)needle[i]))
				break;
		if (i == n)
			return 1;
	}
	return n == 0;
}

static struct error *
score_contains(const struct bench_case *c, const char *response,
    const struct judge *j, struct score_result *r)
{
	char *text = strip_thinking(response);
	const char *want = c->substring ? c->substring : c->expected;
	int ok = contains_ci(text, want);

	(void)j;
	free(text);
	r->extracted = xstrdup(want);
	verdict(r, ok, ok, "the expected text is not in the response");
	return NULL;
}

static struct error *
score_choice(const struct bench_case *c, const char *response,
    const struct judge *j, struct score_result *r)
{
	struct extractor *x;
	struct error *err;
	char *want;
	int ok;

	(void)j;
	if ((err = extractor_new(ANSWER_CHOICE, NULL, &x)) != NULL)
		return err;
	r->extracted = extractor_run(x, response);
	want = extractor_run(x, c->expected);
	ok = r->extracted != NULL && want != NULL &&
	    strcmp(r->extracted, want) == 0;
	verdict(r, ok, ok, r->extracted ? "wrong choice" : "no choice found "
	    "in the response");
	free(want);
	extractor_free(x);
	return NULL;
}

static struct error *
score_rouge(const struct bench_case *c, const char *response,
    const struct judge *j, struct score_result *r)
{
	char *text = strip_thinking(response);
	double f1 = rouge_l(text, c->expected).f1;
	double t = c->threshold >= 0 ? c->threshold : DEFAULT_THRESHOLD;
	char why[64];

	(void)j;
	free(text);
	snprintf(why, sizeof(why), "ROUGE-L %.3f below %.2f", f1, t);
	verdict(r, f1 >= t, f1, why);
	return NULL;
}

static struct error *
score_code(const struct bench_case *c, const char *response,
    const struct judge *j, struct score_result *r)
{
	struct extractor *x;
	struct sandbox_limits lim;
	struct sandbox_result sr;
	struct error *err;
	char *program;

	(void)j;
	if (c->language != NULL && strcmp(c->language, "python") != 0) {
		verdict(r, 0, 0, "only python can be run");
		return NULL;
	}
	if ((err = extractor_new(ANSWER_CODE, NULL, &x)) != NULL)
		return err;
	r->extracted = extractor_run(x, response);
	extractor_free(x);
	if (r->extracted == NULL) {
		verdict(r, 0, 0, "no code in the response");
		return NULL;
	}
	program = xasprintf("%s\n\n%s\n", r->extracted, c->tests ? c->tests :
	    "");
	sandbox_limits_default(&lim);
	if (c->timeout > 0)
		lim.wall_seconds = c->timeout;
	memset(&sr, 0, sizeof(sr));
	err = sandbox_run_python(program, &lim, &sr);
	free(program);
	if (err == NULL) {
		int ok = sandbox_passed(&sr);

		if (!ok) {
			/* The last line of stderr says which assert failed. */
			const char *e = sr.err.buf;
			size_t len = sr.err.len;
			while (len > 0 && isspace((unsigned char)e[len - 1]))
				len--;
			while (len > 0 && e[len - 1] != '\n' &&
			    (size_t)(sr.err.len - len) < 200)
				len--;
			r->reason = *sr.reason ? xasprintf("%s%s%.*s",
			    sr.reason, sr.err.len ? ": " : "",
			    (int)(sr.err.len - len) > 160 ? 160 :
			    (int)(sr.err.len - len), sr.err.buf + len) :
			    xstrdup("the tests failed");
		}
		verdict(r, ok, ok, NULL);
	}
	sandbox_result_release(&sr);
	return err;
}

/* "Score: N" (the last such line), else the last number in the reply. */
static int
judge_score(const char *reply, double *score)
{
	struct extractor *x;
	char *text, *m;
	int ok = 0;

	if (extractor_new(ANSWER_REGEX, "(?i)score\\s*[:=]\\s*(-?[0-9.]+)",
	    &x) != NULL)
		return 0;
	text = strip_thinking(reply);
	m = extractor_run(x, text);
	extractor_free(x);
	if (m == NULL && extractor_new(ANSWER_NUMBER, NULL, &x) == NULL) {
		m = extractor_run(x, text);
		extractor_free(x);
	}
	if (m != NULL && number_parse(m, score) == 0)
		ok = 1;
	free(m);
	free(text);
	return ok;
}

static struct error *
score_judge(const struct bench_case *c, const char *response,
    const struct judge *j, struct score_result *r)
{
	struct tvar vars[6];
	struct error *err;
	char *question, *prompt, *reply, *text, lo[16] = "1", hi[16] = "5";
	double s, sum = 0, t = c->threshold >= 0 ? c->threshold : 0.6;
	int i, k, got = 0;

	if (j == NULL || j->ask == NULL) {
		verdict(r, 0, 0, "no judge model for llm_judge");
		return NULL;
	}
	question = bench_question(c);
	text = strip_thinking(response);
	vars[0] = (struct tvar){ "question", question };
	vars[1] = (struct tvar){ "expected", c->expected };
	vars[2] = (struct tvar){ "rubric", c->rubric ? c->rubric : "" };
	vars[3] = (struct tvar){ "response", text };
	vars[4] = (struct tvar){ "min", lo };
	vars[5] = (struct tvar){ "max", hi };
	err = template_render("judge", j->template_ ? j->template_ :
	    JUDGE_TEMPLATE_DEFAULT, vars, 6, &prompt);
	free(question);
	free(text);
	if (err != NULL)
		return err;
	k = j->runs > 0 ? j->runs : 1;
	for (i = 0; i < k && err == NULL; i++) {
		if ((err = j->ask(j->arg, prompt, &reply)) != NULL)
			break;
		if (judge_score(reply, &s)) {
			/* On the 1..5 scale, scaled to 0..1. */
			s = (s - 1) / 4;
			sum += s < 0 ? 0 : s > 1 ? 1 : s;
			got++;
		}
		free(reply);
	}
	free(prompt);
	if (err != NULL)
		return err;
	if (got == 0) {
		verdict(r, 0, 0, "the judge gave no score");
		return NULL;
	}
	s = sum / got;
	r->extracted = xasprintf("%.3f", s);
	verdict(r, s >= t, s, "the judge's score is below the threshold");
	return NULL;
}

static struct error *
score_custom(const struct bench_case *c, const char *response,
    const struct judge *j, struct score_result *r)
{
	char tmpl[] = "/tmp/loco-custom.XXXXXX", *cmd, line[256];
	FILE *fp;
	double s, t = c->threshold >= 0 ? c->threshold : DEFAULT_THRESHOLD;
	int fd, status;

	(void)j;
	/* The response goes through a file: no shell quoting of model text. */
	if ((fd = mkstemp(tmpl)) == -1)
		return error_new(EXIT_FAIL, "cannot make a temporary file: %s",
		    strerror(errno));
	if (write(fd, response, strlen(response)) == -1) {
		close(fd);
		unlink(tmpl);
		return error_new(EXIT_FAIL, "cannot write '%s': %s", tmpl,
		    strerror(errno));
	}
	close(fd);
	cmd = xasprintf("(%s) < '%s'", c->command, tmpl);
	fp = popen(cmd, "r");
	free(cmd);
	if (fp == NULL) {
		unlink(tmpl);
		return error_new(EXIT_FAIL, "cannot run '%s': %s", c->command,
		    strerror(errno));
	}
	if (fgets(line, sizeof(line), fp) == NULL)
		line[0] = '\0';
	status = pclose(fp);
	unlink(tmpl);
	str_trim(line);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    parse_double(line, 0, 1, &s) == -1) {
		verdict(r, 0, 0, "the command gave no score from 0 to 1");
		return NULL;
	}
	r->extracted = xstrdup(line);
	verdict(r, s >= t, s, "the score is below the threshold");
	return NULL;
}

/* The scorer table: the extension point. */
static const scorer_fn scorers[] = {
	[EVAL_EXACT] = score_exact,
	[EVAL_CONTAINS] = score_contains,
	[EVAL_CHOICE] = score_choice,
	[EVAL_ROUGE] = score_rouge,
	[EVAL_CODE] = score_code,
	[EVAL_JUDGE] = score_judge,
	[EVAL_CUSTOM] = score_custom,
};

struct error *
score_case(const struct bench_case *c, const char *response,
    const struct judge *j, struct score_result *r)
{
	memset(r, 0, sizeof(*r));
	return scorers[c->type](c, response ? response : "", j, r);
}

void
score_result_release(struct score_result *r)
{
	free(r->extracted);
	free(r->reason);
	memset(r, 0, sizeof(*r));
}
