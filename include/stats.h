/*
 * stats.h: the statistics behind a paired comparison of an adapter with its
 * base model.  Pure functions: no I/O, no global state, and every random
 * choice comes from a seeded generator defined here, so the same inputs and
 * seed give the same numbers on every machine.
 */
#ifndef LOCO_STATS_H
#define LOCO_STATS_H

#include <stddef.h>
#include <stdint.h>

/* The two-sided 95% normal quantile, Phi^-1(0.975). */
#define STATS_Z95		1.959963984540054
#define STATS_BOOTSTRAP_DEFAULT	10000
/* Below this many paired cases the report warns that the test is weak. */
#define STATS_SMALL_N		50

/* Mean of n values; 0 when n is 0. */
double	stats_mean(const double *v, size_t n);
/* Sample standard deviation (divisor n - 1); 0 when n < 2. */
double	stats_stddev(const double *v, size_t n);

/*
 * A proportion k/n with its Wilson score interval for quantile z (use
 * STATS_Z95).  Wilson rather than the normal approximation because it
 * stays inside [0, 1] and behaves at 0/n and n/n.  n = 0 gives p = 0 and
 * the uninformative interval [0, 1].  k > n is clamped to n.
 */
struct stats_proportion {
	size_t	 k, n;
	double	 p;		/* k / n */
	double	 lo, hi;
};
void	stats_wilson(size_t k, size_t n, double z, struct stats_proportion *);

/*
 * Exact two-sided McNemar test on the discordant pairs: b cases where the
 * adapter was right and the base wrong, c the other way round.  Under the
 * null hypothesis b ~ Binomial(b + c, 1/2), so
 *	p = min(1, 2 * sum_{i=0}^{min(b,c)} C(b+c, i) / 2^(b+c)),
 * and b + c = 0 gives 1.  The sum is taken from its largest term down with
 * the ratio C(n, i-1)/C(n, i) = i/(n-i+1), so only the largest term goes
 * through lgamma; the relative error stays near 1e-13 for b + c in the
 * hundreds and near 1e-10 at 100000.  A p below about 1e-308 is returned
 * as 0 (a double cannot hold it): print it with stats_p_text.
 */
double	stats_mcnemar_exact(size_t b, size_t c);

/*
 * A p-value for people: "%.4g", but "< 1e-300" below STATS_P_FLOOR, so
 * that one that underflowed is never shown as 0 (it is not 0: two-sided
 * exact tests give at least 2^(1-n)); "-" for NAN.  Returns buf.
 */
#define STATS_P_FLOOR		1e-300
#define STATS_P_TEXT_LEN	32
const char *stats_p_text(double p, char buf[STATS_P_TEXT_LEN]);

/*
 * Paired percentile bootstrap for the mean of d_i = x_i - y_i.
 * resamples 0 means STATS_BOOTSTRAP_DEFAULT; n must fit in 32 bits.
 *
 * Each resample draws n indices with replacement and takes the mean of
 * those d_i.  lo and hi are the 2.5% and 97.5% quantiles of the resampled
 * means, by linear interpolation between order statistics (R's type 7:
 * position (B - 1) q, counted from 0).
 *
 * p is the two-sided bootstrap p-value for "the mean difference is 0":
 * with m the observed mean and k the number of resampled means on the
 * other side of 0 from m (<= 0 when m > 0, >= 0 when m < 0),
 *	p = min(1, 2 (k + 1) / (B + 1)),
 * and p = 1 when m = 0.  The +1 keeps the estimate away from an
 * impossible p = 0 (Davison and Hinkley 1997, eq. 4.11), so the smallest
 * p reported is 2 / (B + 1).  p < 0.05 agrees with 0 lying outside
 * [lo, hi] up to that correction.
 *
 * n = 0 gives mean = lo = hi = 0 and p = 1.
 */
struct stats_bootstrap {
	size_t	 n;
	size_t	 resamples;
	double	 mean;		/* observed mean difference */
	double	 lo, hi;	/* 95% percentile interval */
	double	 p;
};
void	stats_paired_bootstrap(const double *x, const double *y, size_t n,
	    size_t resamples, uint64_t seed, struct stats_bootstrap *);

/*
 * The unbiased pass@k estimator of Chen et al. (2021): with n samples of
 * which c pass, 1 - C(n-c, k) / C(n, k), computed as the product
 * 1 - prod_{i=n-c+1}^{n} (1 - k/i) so it never overflows.  Returns NAN
 * unless 1 <= k <= n and c <= n.
 */
double	stats_pass_at_k(size_t n, size_t c, size_t k);

/*
 * PCG32 (O'Neill 2014, pcg32 "XSH RR" with a 64-bit LCG): small, fast and
 * fully specified, so a seed means the same stream everywhere.
 */
struct stats_rng {
	uint64_t	 state;
	uint64_t	 inc;
};
void		stats_rng_seed(struct stats_rng *, uint64_t seed, uint64_t stream);
uint32_t	stats_rng_next(struct stats_rng *);
/* Uniform in [0, bound) without modulo bias; bound 0 returns 0. */
uint32_t	stats_rng_below(struct stats_rng *, uint32_t bound);

#endif
