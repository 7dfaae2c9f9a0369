/*
 * score.h: the scorers of loco eval, one per evaluation_type, in one
 * table (the extension point: a new type is a row).  A scorer reads a
 * case and a response and gives pass/fail, a score in [0, 1], what it
 * extracted and, on failure, why.
 *
 *   exact_match      the answer type's extractor (or the case's
 *                    extract_pattern), then normalised comparison:
 *                    numbers within a tolerance, text without case,
 *                    extra white space and outer punctuation
 *   contains         the expected text (or "substring") appears,
 *                    ignoring case
 *   multiple_choice  the choice extractor's letter equals the expected one
 *   rouge_l          ROUGE-L F1 against the expected text; passes at
 *                    "threshold" (default 0.5); the score is the F1
 *   code_execution   the response's code, then the case's tests, run in
 *                    the sandbox under a harness; passes only when the
 *                    tests ran to their end and the harness says so on
 *                    the report channel with this run's random token
 *                    (score.c has the harness and what it defends)
 *   llm_judge        a judge model scores against the rubric (see judge)
 *   custom           "command" gets the response on stdin and prints a
 *                    score; passes at "threshold" (default 0.5)
 * Thinking (<think>...</think>) is never scored.
 */
#ifndef LOCO_SCORE_H
#define LOCO_SCORE_H

#include "benchfile.h"
#include "error.h"

struct score_result {
	int	 pass;
	double	 score;		/* 0..1 */
	char	*extracted;	/* what was compared, or NULL */
	char	*reason;	/* why it failed, or NULL */
	unsigned sandbox;	/* code run: the SANDBOX_PROT_* in force */
};

/*
 * A judge for llm_judge: called with the prompt text, returns the judge
 * model's reply (allocated).  NULL: llm_judge cases fail with a reason.
 */
struct judge {
	struct error	*(*ask)(void *arg, const char *prompt, char **reply);
	void		*arg;
	int		 runs;		/* k judge runs, averaged */
	const char	*template_;	/* the judge prompt, {rubric} etc. */
};

#define JUDGE_TEMPLATE_DEFAULT						\
	"You are grading an answer against a rubric.\n\n"		\
	"Question:\n{question}\n\nReference answer:\n{expected}\n\n"	\
	"Rubric:\n{rubric}\n\nAnswer to grade:\n{response}\n\n"	\
	"Give a score from {min} to {max}. End with a line of the form "\
	"\"Score: N\"."

/* Score one response; errors are loco's own failures, not the model's. */
struct error	*score_case(const struct bench_case *, const char *response,
		    const struct judge *, struct score_result *);
void		 score_result_release(struct score_result *);

#endif
