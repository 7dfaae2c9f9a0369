/*
 * benchfile.h: evaluation benchmark files (loco-benchmark(5)).  JSON
 * Lines: the full form {"id", "instruction", "input", "expected_output",
 * "evaluation_type", "evaluation_config", "difficulty", "tags"} or the
 * short form {"question", "answer"}.  Errors name the file, the line and
 * the field; duplicate ids are errors.  JSON is read through json.h.
 */
#ifndef LOCO_BENCHFILE_H
#define LOCO_BENCHFILE_H

#include <stdio.h>

#include "error.h"
#include "hash.h"

enum eval_type {
	EVAL_EXACT, EVAL_CONTAINS, EVAL_CHOICE, EVAL_ROUGE, EVAL_CODE,
	EVAL_JUDGE, EVAL_CUSTOM
};

struct bench_case {
	char		*id;
	char		*instruction;
	char		*input;		/* "" when absent */
	char		*expected;	/* expected_output */
	enum eval_type	 type;
	/* evaluation_config */
	char		*answer_type;	/* exact_match: number|choice|text|... */
	char		*extract_pattern;
	char		*normalize;
	double		 tolerance;	/* < 0: default */
	double		 threshold;	/* < 0: default */
	char		*substring;	/* contains: else expected */
	char		*language;	/* code_execution */
	char		*entry_point;
	char		*tests;
	double		 timeout;	/* seconds, < 0: default */
	char		*rubric;	/* llm_judge */
	char		*command;	/* custom */
	char		*difficulty;
	char		**tags;
	size_t		 ntags;
	int		 line;
};

struct bench {
	char			*path;
	char			 sha256[SHA256_HEX_LEN + 1];	/* of the file */
	struct bench_case	*cases;
	size_t			 n;
};

const char	*eval_type_name(enum eval_type);
int		 eval_type_parse(const char *, enum eval_type *);

/* Load and check a benchmark file (at most max_cases, 0: all). */
struct error	*bench_load(const char *path, size_t max_cases,
		    struct bench **);
void		 bench_free(struct bench *);
/*
 * The standard benchmark of a domain, DOMAIN.jsonl from the first of
 * $LOCO_HOME/benchmarks, REGISTRY_DIR/../benchmarks and
 * LOCO_DATADIR/benchmarks that has it (never ./benchmarks: a score must
 * not depend on the current directory); NULL when none does.
 */
char		*bench_find_standard(const char *registry_dir,
		    const char *domain);
struct registry;
struct adapter;
/* An adapter's benchmark: its own (benchmark:), else its domain's standard one. */
char		*bench_for_adapter(const struct registry *,
		    const struct adapter *);
/*
 * A domain's benchmark: that of its first active adapter naming one (the
 * benchmark eval measures the domain on), else the standard one.
 */
char		*bench_for_domain(const struct registry *, const char *domain);
/* The question as the model sees it: instruction, then input. */
char		*bench_question(const struct bench_case *);

/*
 * Convert a public benchmark to loco's full form on out: "gsm8k"
 * (question/answer with "#### N"), "humaneval" (task_id, prompt, test,
 * entry_point, canonical_solution; .gz read as well) or "jsonl" (loco's
 * own short or full form, checked and rewritten in full form).
 */
struct error	*bench_import(const char *format, const char *path, FILE *out,
		    size_t *count);

#endif
