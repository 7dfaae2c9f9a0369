/*
 * rouge.h: ROUGE-L, the longest-common-subsequence similarity of two texts
 * over their words (lower-cased runs of letters and digits, as the router
 * splits them).  Used by the medoid vote and by evaluation.
 */
#ifndef LOCO_ROUGE_H
#define LOCO_ROUGE_H

#include <stddef.h>

/* Words beyond this many per text are ignored (LCS is quadratic). */
#define ROUGE_MAX_WORDS 4000

struct rouge {
	double	precision;	/* LCS / words in candidate */
	double	recall;		/* LCS / words in reference */
	double	f1;
};

/* ROUGE-L of candidate against reference; two empty texts score 1. */
struct rouge	rouge_l(const char *candidate, const char *reference);

#endif
