/* rouge.c: ROUGE-L F1 by dynamic programming in two rows. */
#include <stdlib.h>
#include <string.h>

#include "rouge.h"
#include "router.h"
#include "banned.h"

static size_t
lcs(char **a, size_t n, char **b, size_t m)
{
	size_t *prev = xcalloc(m + 1, sizeof(*prev));
	size_t *cur = xcalloc(m + 1, sizeof(*cur));
	size_t i, j, best, *t;

	for (i = 1; i <= n; i++) {
		for (j = 1; j <= m; j++) {
			if (strcmp(a[i - 1], b[j - 1]) == 0)
				cur[j] = prev[j - 1] + 1;
			else
				cur[j] = prev[j] > cur[j - 1] ? prev[j] :
				    cur[j - 1];
		}
		t = prev;
		prev = cur;
		cur = t;
	}
	best = prev[m];
	free(prev);
	free(cur);
	return best;
}

struct rouge
rouge_l(const char *candidate, const char *reference)
{
	struct rouge r = { 0, 0, 0 };
	char **a, **b;
	size_t n, m, l;

	n = router_words(candidate, &a);
	m = router_words(reference, &b);
	if (n == 0 && m == 0) {
		r.precision = r.recall = r.f1 = 1;
		goto done;
	}
	if (n == 0 || m == 0)
		goto done;
	l = lcs(a, n < ROUGE_MAX_WORDS ? n : ROUGE_MAX_WORDS, b,
	    m < ROUGE_MAX_WORDS ? m : ROUGE_MAX_WORDS);
	r.precision = (double)l / (double)n;
	r.recall = (double)l / (double)m;
	if (l > 0)
		r.f1 = 2 * r.precision * r.recall / (r.precision + r.recall);
done:
	words_free(a, n);
	words_free(b, m);
	return r;
}
