/* score.c: the scorers of loco eval (see score.h). */
#include <sys/random.h>
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

/*
 * The harness of a code_execution case: the program run in the sandbox,
 * as main.py, beside candidate.py (the response's code), tests.py (the
 * case's tests) and token (a random token made for this run).
 *
 * A case used to pass when the program exited 0, so a wrong function
 * followed by sys.exit(0), os._exit(0), an atexit hook, unittest.main()
 * or sys.exit(main()) passed.  Now the harness runs the candidate, then
 * the tests in the candidate's namespace, and only when the tests have
 * returned writes the token to the report channel (SANDBOX_REPORT_FD),
 * which is not the program's output; loco counts a pass only when the
 * program exited 0 and the channel holds exactly the token.  So:
 *   - SystemExit from the candidate's top level (sys.exit, exit(main()),
 *     unittest.main()) is caught, like a script's end: the tests then
 *     judge what it defined.  Any other exception there is a failure.
 *   - The candidate runs as module "candidate", not "__main__", so an
 *     `if __name__ == "__main__":` block does not run; the tests then
 *     run in that module as "__main__", so such a block of theirs does
 *     and unittest.main() finds their test cases.
 *   - Any exception from the tests, SystemExit too (the candidate's
 *     function may raise it), is a failure; the traceback's last line is
 *     the reason.
 *   - Whatever ends the process early (os._exit, a signal, a fork's
 *     parent) writes no token; the harness leaves with os._exit after
 *     writing it, so atexit hooks never run.
 *   - The token is read from a file that is deleted, with tests.py,
 *     before the candidate runs, and everything the harness calls after
 *     the candidate is bound before it, so rebinding exec, os.write and
 *     the like changes nothing; output, or bytes written to any file
 *     descriptor, cannot stand in for a token the candidate never saw.
 * Not defended: code written to attack the harness.  The token stays in
 * the harness's frame while the candidate runs (sys._getframe, gc and
 * /proc/self/mem reach it), and the candidate can rebind what the tests
 * call (builtins, operators of the values it returns).  human-eval's
 * check_correctness has the same limits; these checks are about code
 * that ends early, not code that lies on purpose.
 */
static const char code_harness[] =
    "# loco's harness for a code_execution case (see src/score.c).\n"
    "import os, sys\n"
    "\n"
    "def main():\n"
    "    # Bound before the candidate runs, which may rebind builtins\n"
    "    # and module attributes.\n"
    "    write, exit_, getpid, unlink = os.write, os._exit, os.getpid, "
    "os.unlink\n"
    "    run, comp = exec, compile\n"
    "    import linecache, traceback, types\n"
    "    show, err = traceback.print_exception, sys.stderr\n"
    "\n"
    "    def fail(e):\n"
    "        try:\n"
    "            show(type(e), e, e.__traceback__)\n"
    "            err.flush()\n"
    "        except BaseException:\n"
    "            pass\n"
    "        exit_(1)\n"
    "\n"
    "    def source(path, name):\n"
    "        with open(path, encoding='utf-8') as f:\n"
    "            text = f.read()\n"
    "        linecache.cache[name] = (len(text), None, "
    "text.splitlines(True), name)\n"
    "        return comp(text, name, 'exec')\n"
    "\n"
    "    with open('token', encoding='ascii') as f:\n"
    "        token = f.read().encode('ascii')\n"
    "    unlink('token')\n"
    "    try:\n"
    "        tests = source('tests.py', '<tests>')\n"
    "    except BaseException as e:\n"
    "        fail(e)\n"
    "    unlink('tests.py')\n"
    "    os.set_inheritable(3, False)\n"
    "    pid = getpid()\n"
    "    mod = types.ModuleType('candidate')\n"
    "    mod.__file__ = os.path.abspath('candidate.py')\n"
    "    sys.modules['candidate'] = mod\n"
    "    ns = mod.__dict__\n"
    "    try:\n"
    "        run(source('candidate.py', '<candidate>'), ns)\n"
    "    except SystemExit:\n"
    "        pass\n"
    "    except BaseException as e:\n"
    "        fail(e)\n"
    "    ns['__name__'] = '__main__'\n"
    "    sys.modules['__main__'] = mod\n"
    "    try:\n"
    "        run(tests, ns)\n"
    "    except BaseException as e:\n"
    "        fail(e)\n"
    "    for f in (sys.stdout, sys.stderr):\n"
    "        try:\n"
    "            f.flush()\n"
    "        except BaseException:\n"
    "            pass\n"
    "    if getpid() == pid:\n"
    "        write(3, token)\n"
    "    exit_(0)\n"
    "\n"
    "main()\n";

#define TOKEN_BYTES 32

/* A token nobody can guess: TOKEN_BYTES from the kernel, as hex. */
static struct error *
random_token(char hex[2 * TOKEN_BYTES + 2])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char b[TOKEN_BYTES];
	size_t got = 0;
	ssize_t n;
	int i;

	while (got < sizeof(b)) {
		n = getrandom(b + got, sizeof(b) - got, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_new(EXIT_FAIL, "cannot make a random "
			    "token: %s", n == 0 ? "no bytes" : strerror(errno));
		got += (size_t)n;
	}
	for (i = 0; i < TOKEN_BYTES; i++) {
		hex[2 * i] = digits[b[i] >> 4];
		hex[2 * i + 1] = digits[b[i] & 15];
	}
	hex[2 * TOKEN_BYTES] = '\n';
	hex[2 * TOKEN_BYTES + 1] = '\0';
	return NULL;
}

/* The last line of stderr, which names the exception, at most 160 bytes. */
static void
last_err_line(const struct strbuf *err, const char **p, int *len)
{
	size_t end = err->len, start;

	while (end > 0 && isspace((unsigned char)err->buf[end - 1]))
		end--;
	start = end;
	while (start > 0 && err->buf[start - 1] != '\n' && end - start < 200)
		start--;
	*p = err->buf + start;
	*len = end - start > 160 ? 160 : (int)(end - start);
}

static void
code_verdict(const struct sandbox_result *sr, const char *token,
    struct score_result *r)
{
	size_t tlen = strlen(token);
	const char *line;
	int len;

	if (sandbox_passed(sr) && sr->report.len == tlen &&
	    memcmp(sr->report.buf, token, tlen) == 0) {
		verdict(r, 1, 1, NULL);
		return;
	}
	if (!sandbox_passed(sr)) {
		last_err_line(&sr->err, &line, &len);
		r->reason = *sr->reason ? xasprintf("%s%s%.*s", sr->reason,
		    len ? ": " : "", len, line) : xstrdup("the tests failed");
	} else if (sr->report.len == 0)
		r->reason = xstrdup("exit status 0 before the tests finished");
	else
		r->reason = xstrdup("a false report: not the harness's token");
	verdict(r, 0, 0, NULL);
}

static struct error *
score_code(const struct bench_case *c, const char *response,
    const struct judge *j, struct score_result *r)
{
	struct extractor *x;
	struct sandbox_limits lim;
	struct sandbox_result sr;
	struct sandbox_file files[4];
	struct error *err;
	char token[2 * TOKEN_BYTES + 2];

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
	if ((err = random_token(token)) != NULL)
		return err;
	files[0] = (struct sandbox_file){ "main.py", code_harness,
	    sizeof(code_harness) - 1 };
	files[1] = (struct sandbox_file){ "candidate.py", r->extracted,
	    strlen(r->extracted) };
	files[2] = (struct sandbox_file){ "tests.py", c->tests ? c->tests :
	    "", c->tests ? strlen(c->tests) : 0 };
	files[3] = (struct sandbox_file){ "token", token, strlen(token) };
	sandbox_limits_default(&lim);
	if (c->timeout > 0)
		lim.wall_seconds = c->timeout;
	err = sandbox_run_python_files(files, ARRAY_SIZE(files), &lim, &sr);
	r->sandbox = sr.protections;
	if (err == NULL)
		code_verdict(&sr, token, r);
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
