/*
 * extract.h: find the answer in a model's response, for voting and
 * evaluation.  Only extract.c sees PCRE2.
 *
 * Thinking is never searched: <think>...</think> blocks (and an unclosed
 * <think> to the end) are removed first.  Each answer type gives a
 * canonical text, so equal answers compare equal:
 *
 *   number  in order: "the answer is N" (last such), \boxed{N}, "#### N",
 *           a final line "... = N" or "N", else the last number anywhere.
 *           "1,000" -> 1000, "$12" -> 12, "50%" -> 50, "-3.50" -> -3.5,
 *           "3/4" and \frac{3}{4} -> 0.75.  Canonical: a whole number
 *           below 2^53 in full ("1450000", "3.0" -> "3"), any other
 *           number to 15 significant digits (what a double holds), no
 *           trailing zeros.
 *   choice  a letter A-E: "answer is (B)", a final line "B." or "(B)",
 *           the last "(B)", or a response that is just the letter.
 *   regex   the last match of a PCRE2 pattern: group 1 if the pattern has
 *           groups, else the whole match.
 *   code    the first fenced code block (``` ... ```), else the whole
 *           response; trailing blanks stripped from every line.
 *   text    the response (after "the answer is", if present) in lower
 *           case with white space collapsed and outer punctuation removed.
 */
#ifndef LOCO_EXTRACT_H
#define LOCO_EXTRACT_H

#include "error.h"

enum answer_type {
	ANSWER_NUMBER, ANSWER_CHOICE, ANSWER_REGEX, ANSWER_CODE, ANSWER_TEXT
};

int		 answer_type_parse(const char *, enum answer_type *);
const char	*answer_type_name(enum answer_type);

struct extractor;

/* pattern: PCRE2 source for ANSWER_REGEX, ignored otherwise. */
struct error	*extractor_new(enum answer_type, const char *pattern,
		    struct extractor **);
void		 extractor_free(struct extractor *);
/*
 * Is pattern a PCRE2 pattern extractor_new() can compile?  NULL if so,
 * else an error "offset N: PCRE2's message" (the subject is the caller's
 * to name: a benchmark's case, an adapter).
 */
struct error	*extract_pattern_check(const char *pattern);
enum answer_type extractor_type(const struct extractor *);
/* The canonical answer, or NULL when the response has none; free it. */
char		*extractor_run(const struct extractor *, const char *response);

/*
 * Response text without thinking: "<think>...</think>" blocks, and
 * everything up to a "</think>" that no "<think>" opened (what Ollama
 * sends for a thinking-only model asked not to think); free it.
 */
char		*strip_thinking(const char *response);
/* Parse a number as the number extractor reads one; 0 on success. */
int		 number_parse(const char *text, double *value);
/* Canonical text of a number; free it. */
char		*number_canonical(double);

/* The relative tolerance of number_equal() when none is given. */
#define NUMBER_TOLERANCE	1e-6

/*
 * The one rule for equal numbers, which scoring and vote counting share:
 * two whole numbers (no fractional part, whatever the writing: "3.0" is 3)
 * are equal only when they are the same number; otherwise the numbers are
 * equal when they differ by at most tol relative to the larger, or by at
 * most 1e-9 (near zero, where a relative tolerance accepts nothing).  tol
 * < 0 means NUMBER_TOLERANCE.
 */
int		 number_equal(double, double, double tol);
/*
 * Do two canonical answers agree?  Numbers by number_equal(), everything
 * else exactly.
 */
int		 answers_equal(enum answer_type, const char *a, const char *b,
		    double tol);

#endif
