/* t_extract.c: answer extraction, one answer type at a time. */
#include <stdlib.h>

#include "error.h"
#include "extract.h"
#include "unit.h"

static void
expect(enum answer_type t, const char *pattern, const char *response,
    const char *want, int line)
{
	struct extractor *x;
	struct error *err = extractor_new(t, pattern, &x);
	char *got;

	if (err != NULL) {
		unit_fail(__FILE__, line, "extractor_new: %s", err->msg);
		error_free(err);
		return;
	}
	got = extractor_run(x, response);
	if (want == NULL ? got != NULL : got == NULL || strcmp(got, want) != 0)
		unit_fail(__FILE__, line, "%s on \"%s\": \"%s\", expected \"%s\"",
		    answer_type_name(t), response, got ? got : "(none)",
		    want ? want : "(none)");
	free(got);
	extractor_free(x);
}

#define NUMBER(resp, want) expect(ANSWER_NUMBER, NULL, resp, want, __LINE__)
#define CHOICE(resp, want) expect(ANSWER_CHOICE, NULL, resp, want, __LINE__)

TEST(extract_number_patterns)
{
	NUMBER("The answer is 42.", "42");
	NUMBER("First 3 apples, then 5. The answer is: 8", "8");
	NUMBER("So the final answer is **17**.", "17");
	NUMBER("Answer: 12\nCheck: 12 * 2 = 24", "12");
	NUMBER("We get \\boxed{51} in the end, not 50.", "51");
	NUMBER("\\boxed{\\frac{3}{4}}", "0.75");
	NUMBER("Natalia sold 48/2 = 24 clips in May.\n#### 72", "72");
	NUMBER("2x = 6\nx = 3", "3");
	NUMBER("Adding them up gives 19 apples.\n19", "19");
	NUMBER("There were 3 cats and 4 dogs, 7 animals in all", "7");
}

TEST(extract_number_forms)
{
	NUMBER("The answer is 1,000.", "1000");
	NUMBER("The answer is $12.", "12");
	NUMBER("The answer is $1,234.50", "1234.5");
	NUMBER("The answer is -5", "-5");
	NUMBER("The answer is \xe2\x88\x92" "7", "-7");
	NUMBER("The answer is 3.50.", "3.5");
	NUMBER("The answer is 0.25", "0.25");
	NUMBER("The answer is 50%", "50");
	NUMBER("The answer is 3/4", "0.75");
	NUMBER("The answer is .5", "0.5");
	NUMBER("The temperature fell from 5 to -3", "-3");
	NUMBER("between 3-5 hours", "5");
	NUMBER("x2 and y3", NULL);
	NUMBER("none", NULL);
	NUMBER("I cannot tell.", NULL);
	NUMBER("", NULL);
	/* An overflowing fraction is no answer: the last number is. */
	NUMBER("\\boxed{1e308/0.1}", "0.1");
}

TEST(extract_thinking_ignored)
{
	NUMBER("<think>maybe 41? or 40</think>The answer is 42", "42");
	NUMBER("<think>the answer is 41</think>\n42", "42");
	NUMBER("<think>41 or 42, never finished", NULL);
	CHOICE("<think>(A) looks wrong</think>B", "B");
}

/* Ollama's spill of a thinking-only model asked not to think. */
TEST(extract_thinking_spill)
{
	char *s;

	NUMBER("Maybe 12? No: 3 x 5 = 15, minus 4 is 11.</think>\n\nThe answer "
	    "is 11", "11");
	s = strip_thinking("draft 1\ndraft 2</think>\n\nfinal <b>answer</b>");
	CHECK_STR(s, "final <b>answer</b>");
	free(s);
	s = strip_thinking("<think>a</think>b</think>c");
	CHECK_STR(s, "b</think>c");
	free(s);
	s = strip_thinking("no tags at all");
	CHECK_STR(s, "no tags at all");
	free(s);
}

TEST(extract_choice)
{
	CHOICE("The answer is (C).", "C");
	CHOICE("Answer: B", "B");
	CHOICE("Let me see.\nD. Paris", "D");
	CHOICE("Options (A) and (B) are wrong, so (E)", "E");
	CHOICE("A", "A");
	CHOICE("  (b)  ", NULL);
	CHOICE("A dog is not a cat.", NULL);
	/* Only the keyword ignores case: "a" is an article, "b" no letter. */
	CHOICE("The answer is a prime number.", NULL);
	CHOICE("the answer is b", NULL);
	CHOICE("THE ANSWER IS (D)", "D");
}

TEST(extract_regex_code_text)
{
	expect(ANSWER_REGEX, "Result: (\\w+)", "Result: foo\nResult: bar",
	    "bar", __LINE__);
	expect(ANSWER_REGEX, "\\d{4}", "in 1999 and 2024", "2024", __LINE__);
	expect(ANSWER_REGEX, "zzz", "nothing", NULL, __LINE__);
	expect(ANSWER_CODE, NULL, "Here:\n```python\ndef f(x):   \n    return x\n"
	    "```\nand\n```\nother\n```", "def f(x):\n    return x", __LINE__);
	expect(ANSWER_CODE, NULL, "  [2, 1, 3]  \n", "[2, 1, 3]", __LINE__);
	expect(ANSWER_CODE, NULL, "```\n```", NULL, __LINE__);
	expect(ANSWER_TEXT, NULL, "  The  Answer is:  Paris. ", "paris",
	    __LINE__);
	expect(ANSWER_TEXT, NULL, "Hello,\n  World!", "hello, world", __LINE__);
	expect(ANSWER_TEXT, NULL, "...", NULL, __LINE__);
}

TEST(extract_bad_pattern)
{
	struct extractor *x = NULL;

	CHECK_ERR(extractor_new(ANSWER_REGEX, "(", &x), "bad answer pattern "
	    "'(': offset 1: missing closing parenthesis");
	CHECK_ERR(extractor_new(ANSWER_REGEX, NULL, &x),
	    "answer type regex needs a pattern");
	CHECK(x == NULL);
	/* What a benchmark's extract_pattern is checked with, at load. */
	CHECK_OK(extract_pattern_check("Total: (\\d+)"));
	CHECK_ERR(extract_pattern_check("Total: (\\d+"), "offset 11: missing "
	    "closing parenthesis");
	CHECK_ERR(extract_pattern_check("(?<n>a)(?<n>b)"), "offset 12: two "
	    "named subpatterns have the same name (PCRE2_DUPNAMES not set)");
}

TEST(extract_numbers_compare)
{
	enum answer_type t;
	double v;

	CHECK(answers_equal(ANSWER_NUMBER, "0.75", "0.7500000001", 1e-6));
	CHECK(!answers_equal(ANSWER_NUMBER, "0.75", "0.76", 1e-6));
	CHECK(answers_equal(ANSWER_NUMBER, "1000", "1000", 0));
	CHECK(!answers_equal(ANSWER_TEXT, "a", "b", 1));
	CHECK(!answers_equal(ANSWER_TEXT, "1000", "1000.0", 1));
	CHECK_INT(number_parse("1,234,567", &v), 0);
	CHECK_DBL(v, 1234567, 0);
	CHECK_INT(number_parse("abc", &v), -1);
	CHECK_INT(number_parse("3/0", &v), -1);
	CHECK_INT(answer_type_parse("choice", &t), 0);
	CHECK_INT(t, ANSWER_CHOICE);
	CHECK_INT(answer_type_parse("nope", &t), -1);
}

/* The canonical text of what a response says, through the extractor. */
static char *
canon(const char *response)
{
	struct extractor *x;
	char *out;

	if (extractor_new(ANSWER_NUMBER, NULL, &x) != NULL)
		return NULL;
	out = extractor_run(x, response);
	extractor_free(x);
	return out;
}

static int
same(const char *a, const char *b, double tol)
{
	char *x = canon(a), *y = canon(b);
	int eq = x != NULL && y != NULL &&
	    answers_equal(ANSWER_NUMBER, x, y, tol);

	free(x);
	free(y);
	return eq;
}

TEST(number_whole_numbers_are_exact)
{
	/* 1e-6 relative of 1450000 is 1.45: never for whole numbers. */
	CHECK(!number_equal(1450001, 1450000, -1));
	CHECK(!number_equal(1450001, 1450000, 0.01));
	CHECK(!number_equal(-7, 7, -1));
	CHECK(number_equal(1450000, 1450000, 0));
	CHECK(!same("The answer is 1,450,001.", "1450000", -1));
	/* However it is written, 1450000 is 1450000. */
	CHECK(same("The answer is 1,450,000.", "1450000", -1));
	CHECK(same("The answer is $1,450,000.", "1450000", -1));
	CHECK(same("The answer is 1450000.0", "1450000", -1));
	CHECK(same("The answer is 1,450,000.00", "1,450,000", 0));
	/* "3.0" is the whole number 3, so it is 3 exactly. */
	CHECK(same("The answer is 3.0", "3", -1));
	CHECK(same("The answer is 3.000", "#### 3", 0));
	CHECK(!same("The answer is 3.0", "4", 0.5));
	/* Beyond ten digits, whole numbers are still told apart. */
	CHECK(!same("The answer is 12345678901", "12345678902", -1));
	CHECK(!same("The answer is 12345678901.5", "12345678900", 1e-12));
	CHECK(!number_equal(9007199254740992.0, 9007199254740994.0, 1));
}

TEST(number_tolerance_for_the_rest)
{
	/* 0.1 + 0.2 is 0.30000000000000004 in a double. */
	CHECK(number_equal(0.1 + 0.2, 0.3, -1));
	CHECK(number_equal(0.1 + 0.2, 0.3, 0));
	CHECK(same("The answer is 0.30000000000000004", "0.3", 0));
	/* Relative differences of 1e-7 are equal under the default 1e-6. */
	CHECK(number_equal(2.5, 2.5 * (1 + 1e-7), -1));
	CHECK(number_equal(123456.789, 123456.789 * (1 - 1e-7), -1));
	CHECK(number_equal(-0.001234, -0.001234 * (1 + 1e-7), -1));
	CHECK(!number_equal(2.5, 2.5 * (1 + 1e-5), -1));
	CHECK(number_equal(2.5, 2.5 * (1 + 1e-5), 1e-4));
	CHECK(same("The answer is 1/3", "0.333333", -1));
	CHECK(!same("The answer is 1/3", "0.3333", -1));
	CHECK(same("The answer is 1/3", "0.3333", 0.001));
	/* A whole number against one that is not: the tolerance. */
	CHECK(number_equal(79, 78.54, 0.01));
	CHECK(!number_equal(79, 78.54, -1));
	/* Near zero a relative tolerance accepts nothing: 1e-9 absolute. */
	CHECK(number_equal(0, 1e-12, -1));
	CHECK(number_equal(0, -1e-10, 0));
	CHECK(!number_equal(0, 1e-6, -1));
	CHECK(!number_equal(0.5, -0.5, 0.5));
}

TEST(number_canonical_forms)
{
	char *s;

#define CANON(v, want) do {						\
	s = number_canonical(v);					\
	CHECK_STR(s, want);						\
	free(s);							\
} while (0)
	CANON(1450000.0, "1450000");
	CANON(-0.0, "0");
	CANON(12345678901.0, "12345678901");
	CANON(12345678901.5, "12345678901.5");
	CANON(0.1 + 0.2, "0.3");
	CANON(1.0 / 3, "0.333333333333333");
	CANON(1e20, "1e+20");
	CANON(-2.5e-7, "-2.5e-07");
#undef CANON
}
