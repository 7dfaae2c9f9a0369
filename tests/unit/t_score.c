/* t_score.c: every scorer on canned responses. */
#include <stdlib.h>
#include <unistd.h>

#include "benchfile.h"
#include "bypasses.h"
#include "score.h"
#include "unit.h"

static struct bench_case
mkcase(enum eval_type t, const char *expected)
{
	struct bench_case c;

	memset(&c, 0, sizeof(c));
	c.id = "t";
	c.instruction = "q";
	c.input = "";
	c.expected = (char *)expected;
	c.type = t;
	c.tolerance = c.threshold = c.timeout = -1;
	return c;
}

static void
expect_score(const struct bench_case *c, const char *response, int pass,
    double score, const char *extracted, const char *reason, int line)
{
	struct score_result r;
	struct error *err = score_case(c, response, NULL, &r);

	if (err != NULL) {
		unit_fail(__FILE__, line, "score_case: %s", err->msg);
		error_free(err);
		return;
	}
	if (r.pass != pass || r.score < score - 1e-9 || r.score > score + 1e-9)
		unit_fail(__FILE__, line, "pass %d score %g, expected %d %g",
		    r.pass, r.score, pass, score);
	if (extracted != NULL && (r.extracted == NULL ||
	    strcmp(r.extracted, extracted) != 0))
		unit_fail(__FILE__, line, "extracted '%s', expected '%s'",
		    r.extracted ? r.extracted : "(none)", extracted);
	if (reason != NULL && (r.reason == NULL ||
	    strncmp(r.reason, reason, strlen(reason)) != 0))
		unit_fail(__FILE__, line, "reason '%s', expected '%s...'",
		    r.reason ? r.reason : "(none)", reason);
	score_result_release(&r);
}

#define SCORE(c, resp, pass, score, ex, why) \
	expect_score(&(c), resp, pass, score, ex, why, __LINE__)

TEST(score_exact_numbers)
{
	struct bench_case c = mkcase(EVAL_EXACT, "1000");

	SCORE(c, "So the total is 1,000.", 1, 1, "1000", NULL);
	SCORE(c, "The answer is $1000.00", 1, 1, "1000", NULL);
	SCORE(c, "<think>1000</think>The answer is 999", 0, 0, "999",
	    "wrong answer");
	SCORE(c, "I do not know.", 0, 0, NULL, "no answer found");
	c.expected = "0.3333";
	c.tolerance = 0.001;
	c.answer_type = "number";
	SCORE(c, "The answer is 1/3", 1, 1, "0.333333333333333", NULL);
	/* Whole numbers are exact, even with a tolerance that spans 1. */
	c.expected = "1,450,000";
	SCORE(c, "The answer is 1,450,001.", 0, 0, "1450001", "wrong answer");
	SCORE(c, "The answer is 1450000.0", 1, 1, "1450000", NULL);
	c.tolerance = -1;
	SCORE(c, "The answer is 1,450,001.", 0, 0, "1450001", "wrong answer");
	SCORE(c, "The answer is $1,450,000", 1, 1, "1450000", NULL);
}

TEST(score_exact_text_and_pattern)
{
	struct bench_case c = mkcase(EVAL_EXACT, "Paris");

	SCORE(c, "paris.", 1, 1, "paris", NULL);
	SCORE(c, "The answer is: PARIS!", 1, 1, "paris", NULL);
	SCORE(c, "Lyon", 0, 0, "lyon", "wrong answer");
	c.extract_pattern = "Capital: (\\w+)";
	SCORE(c, "Capital: Paris\nCapital: Rome", 0, 0, "Rome", NULL);
	SCORE(c, "Capital: Rome\nCapital: Paris", 1, 1, "Paris", NULL);
}

TEST(score_contains_choice_rouge)
{
	struct bench_case c = mkcase(EVAL_CONTAINS, "photosynthesis");
	struct bench_case m = mkcase(EVAL_CHOICE, "C");
	struct bench_case r = mkcase(EVAL_ROUGE, "the cat sat on the mat");

	SCORE(c, "Plants use PHOTOSYNTHESIS to...", 1, 1, NULL, NULL);
	SCORE(c, "<think>photosynthesis</think>no idea", 0, 0, NULL,
	    "the expected text");
	c.substring = "chlorophyll";
	SCORE(c, "photosynthesis needs chlorophyll", 1, 1, NULL, NULL);
	SCORE(m, "The answer is (C).", 1, 1, "C", NULL);
	SCORE(m, "B", 0, 0, "B", "wrong choice");
	SCORE(m, "none of them", 0, 0, NULL, "no choice found");
	SCORE(r, "the cat sat on the mat", 1, 1, NULL, NULL);
	/* LCS 5 of 6 and 5: F1 = 10/11. */
	SCORE(r, "the cat on the mat", 1, 10.0 / 11, NULL, NULL);
	r.threshold = 0.95;
	SCORE(r, "the cat on the mat", 0, 10.0 / 11, NULL,
	    "ROUGE-L 0.909 below 0.95");
}

TEST(score_code_in_sandbox)
{
	struct bench_case c = mkcase(EVAL_CODE, "");

	if (access("/usr/bin/python3", X_OK) != 0)
		return;
	c.language = "python";
	c.tests = "assert double(2) == 4\nassert double(-1) == -2";
	SCORE(c, "Here:\n```python\ndef double(x):\n    return 2 * x\n```",
	    1, 1, NULL, NULL);
	SCORE(c, "```python\ndef double(x):\n    return x + 2\n```", 0, 0,
	    NULL, "exit status 1: AssertionError");
	c.timeout = 1;
	SCORE(c, "```python\ndef double(x):\n    while True: pass\n```\n"
	    "double(1)", 0, 0, NULL, "timed out");
	SCORE(c, "no code here", 0, 0, "no code here", NULL);
}

/* Score a code response; on a surprise, show it and why. */
static void
expect_code(const struct bench_case *c, const char *response, int pass)
{
	struct score_result r;
	struct error *err = score_case(c, response, NULL, &r);

	if (err != NULL) {
		unit_fail(__FILE__, __LINE__, "score_case: %s", err->msg);
		error_free(err);
		return;
	}
	if (r.pass != pass)
		unit_fail(__FILE__, __LINE__, "%s (%s):\n%s",
		    pass ? "failed" : "passed", r.reason ? r.reason : "",
		    response);
	score_result_release(&r);
}

/* See bypasses.h. */
const char *const code_bypasses[] = {
	"import sys\nsys.exit(0)\n",
	"raise SystemExit\n",
	"raise SystemExit(0)\n",
	"raise KeyboardInterrupt\n",
	"import os\nos._exit(0)\n",
	"import atexit, os\natexit.register(os._exit, 0)\n",
	"import atexit\natexit.register(print, 'All tests passed')\n",
	"import atexit, os, sys\n"
	"atexit.register(print, 'OK')\nsys.exit(0)\n",
	"if __name__ == '__main__':\n    import unittest\n    unittest.main()\n",
	"import unittest\nunittest.main()\n",
	"import sys\ndef main():\n    print('ok')\n    return 0\n"
	"sys.exit(main())\n",
	"import os, sys\nprint('All tests passed')\n"
	"print('OK', file=sys.stderr)\nsys.stdout.flush()\nos._exit(0)\n",
	/* Anything written to any descriptor is not the harness's token. */
	"import os\nfor fd in range(21):\n    try:\n"
	"        os.write(fd, b'ok\\n')\n    except OSError:\n"
	"        pass\nos._exit(0)\n",
	"import os\nfor fd in range(21):\n    try:\n"
	"        os.write(fd, b'%s\\n' % os.urandom(32).hex().encode())\n"
	"    except OSError:\n        pass\nos._exit(0)\n",
	/* The token is gone before the candidate runs. */
	"import os\ntry:\n    os.write(3, open('token', 'rb').read())\n"
	"except OSError:\n    pass\nos._exit(0)\n",
	/* The tests were read first: emptying them on disk changes nothing. */
	"open('tests.py', 'w').write('pass\\n')\n",
	/* The harness bound what it calls before the candidate ran. */
	"import builtins, os\nbuiltins.exec = lambda *a, **k: None\n"
	"builtins.compile = lambda *a, **k: None\n"
	"os.write = lambda *a: 0\n",
	"import os\nif os.fork():\n    os._exit(0)\n",
	"import os, threading\nthreading.Thread(target=os._exit, "
	"args=(0,)).start()\n",
};
const size_t code_nbypasses = ARRAY_SIZE(code_bypasses);

TEST(score_code_bypasses_fail)
{
	struct bench_case c = mkcase(EVAL_CODE, "");
	char *resp;
	size_t i;

	if (access("/usr/bin/python3", X_OK) != 0)
		return;
	c.language = "python";
	c.tests = "assert double(2) == 4\nassert double(-1) == -2";
	for (i = 0; i < code_nbypasses; i++) {
		resp = xasprintf("```python\ndef double(x):\n    return 0\n\n"
		    "%s```", code_bypasses[i]);
		expect_code(&c, resp, 0);
		free(resp);
	}
	/* In the function the tests call: SystemExit is no pass either. */
	SCORE(c, "```python\ndef double(x):\n    import sys\n"
	    "    sys.exit(0)\n```", 0, 0, NULL, "exit status 1: SystemExit: 0");
	SCORE(c, "```python\ndef double(x):\n    import os\n"
	    "    os._exit(0)\n```", 0, 0, NULL,
	    "exit status 0 before the tests finished");
	SCORE(c, "```python\ndef double(x):\n    return 0\n"
	    "import os\nos._exit(0)\n```", 0, 0, NULL,
	    "exit status 0 before the tests finished");
	/* The tests' own guard runs: they are __main__. */
	c.tests = "if __name__ == '__main__':\n    assert double(2) == 4\n";
	SCORE(c, "```python\ndef double(x):\n    return 0\n```", 0, 0, NULL,
	    "exit status 1: AssertionError");
	/* unittest.main() ends with SystemExit, even when all is well. */
	c.tests = "import unittest\nclass T(unittest.TestCase):\n"
	    "    def test_double(self):\n"
	    "        self.assertEqual(double(2), 4)\n"
	    "assert unittest.main(exit=False).result.wasSuccessful()\n";
	SCORE(c, "```python\ndef double(x):\n    return 0\n```", 0, 0, NULL,
	    "exit status 1: AssertionError");
	SCORE(c, "```python\ndef double(x):\n    import sys\n"
	    "    sys.exit(0)\n```", 0, 0, NULL, "exit status 1: AssertionError");
	SCORE(c, "```python\ndef double(x):\n    return 2 * x\n```", 1, 1,
	    NULL, NULL);
	c.tests = "import unittest\nclass T(unittest.TestCase):\n"
	    "    def test_double(self):\n"
	    "        self.assertEqual(double(2), 4)\n"
	    "unittest.main()\n";
	SCORE(c, "```python\ndef double(x):\n    return 2 * x\n```", 0, 0, NULL,
	    "exit status 1: SystemExit: False");
	c.tests = "assert double(2) == 4\nraise SystemExit(0)\n";
	SCORE(c, "```python\ndef double(x):\n    return 2 * x\n```", 0, 0, NULL,
	    "exit status 1: SystemExit: 0");
}

TEST(score_code_right_answers_pass)
{
	struct bench_case c = mkcase(EVAL_CODE, "");
	static const char *const endings[] = {
		"",
		"import sys\nsys.exit(0)\n",
		"import sys\nsys.exit(1)\n",
		"import sys\ndef main():\n    return 0\nsys.exit(main())\n",
		"if __name__ == '__main__':\n    import unittest\n"
		"    unittest.main()\n",
		"if __name__ == '__main__':\n    raise SystemExit(double(3))\n",
		"import atexit, os\natexit.register(os._exit, 3)\n",
		"print('x' * 100000)\n",
		"import threading, time\n"
		"threading.Thread(target=time.sleep, args=(60,)).start()\n",
	};
	char *resp;
	size_t i;

	if (access("/usr/bin/python3", X_OK) != 0)
		return;
	c.language = "python";
	c.tests = "assert double(2) == 4\nassert double(-1) == -2";
	for (i = 0; i < ARRAY_SIZE(endings); i++) {
		resp = xasprintf("```python\ndef double(x):\n    return 2 * x\n"
		    "\n%s```", endings[i]);
		expect_code(&c, resp, 1);
		free(resp);
	}
	/* A right function but a false report first: no pass. */
	SCORE(c, "```python\nimport os\nos.write(3, b'ok')\n"
	    "def double(x):\n    return 2 * x\n```", 0, 0, NULL,
	    "a false report: not the harness's token");
	/* The candidate's top level failing is the candidate failing. */
	SCORE(c, "```python\ndef double(x):\n    return 2 * x\n"
	    "print(undefined)\n```", 0, 0, NULL,
	    "exit status 1: NameError: name 'undefined' is not defined");
	SCORE(c, "```python\ndef double(x) return 2 * x\n```", 0, 0, NULL,
	    "exit status 1: SyntaxError");
}

/* The shipped code benchmark's reference answers pass the harness. */
TEST(score_code_shipped_benchmark)
{
	struct bench *b = NULL;
	char *resp;
	size_t i, n = 0;

	if (access("/usr/bin/python3", X_OK) != 0)
		return;
	CHECK_OK(bench_load("benchmarks/code.jsonl", 0, &b));
	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++) {
		if (b->cases[i].type != EVAL_CODE)
			continue;
		n++;
		resp = xasprintf("```python\n%s\n```", b->cases[i].expected);
		expect_code(&b->cases[i], resp, 1);
		free(resp);
	}
	CHECK(n >= 60);
	bench_free(b);
}

static struct error *
fake_judge(void *arg, const char *prompt, char **reply)
{
	int *calls = arg;

	(*calls)++;
	*reply = xstrdup(strstr(prompt, "GOOD") ? "Solid work.\nScore: 5" :
	    *calls % 2 ? "Score: 2" : "meh, 3 at most");
	return NULL;
}

TEST(score_judge_and_custom)
{
	struct bench_case c = mkcase(EVAL_JUDGE, "ref");
	struct bench_case u = mkcase(EVAL_CUSTOM, "");
	struct judge j = { fake_judge, NULL, 2, NULL };
	struct score_result r;
	int calls = 0;

	j.arg = &calls;
	c.rubric = "be good";
	CHECK_OK(score_case(&c, "a GOOD answer", &j, &r));
	CHECK_INT(r.pass, 1);
	CHECK_DBL(r.score, 1, 1e-9);
	CHECK_INT(calls, 2);
	score_result_release(&r);
	/* Scores 2 and 3 on 1..5: 0.25 and 0.5, mean 0.375. */
	calls = 0;
	CHECK_OK(score_case(&c, "weak", &j, &r));
	CHECK_INT(r.pass, 0);
	CHECK_DBL(r.score, 0.375, 1e-9);
	score_result_release(&r);
	CHECK_OK(score_case(&c, "x", NULL, &r));
	CHECK_STR(r.reason, "no judge model for llm_judge");
	score_result_release(&r);

	u.command = "grep -q yes && echo 0.9 || echo 0.1";
	SCORE(u, "yes indeed", 1, 0.9, "0.9", NULL);
	SCORE(u, "no", 0, 0.1, "0.1", "the score is below");
	u.command = "echo lots";
	SCORE(u, "x", 0, 0, NULL, "the command gave no score");
}
