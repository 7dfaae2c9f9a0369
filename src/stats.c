/* stats.c: Wilson intervals, exact McNemar, paired bootstrap, pass@k. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "stats.h"
#include "util.h"
#include "banned.h"

double
stats_mean(const double *v, size_t n)
{
	double sum = 0;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		sum += v[i];
	return sum / (double)n;
}

double
stats_stddev(const double *v, size_t n)
{
	double mean, ss = 0;
	size_t i;

	if (n < 2)
		return 0;
	/* Two passes: the one-pass sum of squares cancels badly. */
	mean = stats_mean(v, n);
	for (i = 0; i < n; i++)
		ss += (v[i] - mean) * (v[i] - mean);
	return sqrt(ss / (double)(n - 1));
}

void
stats_wilson(size_t k, size_t n, double z, struct stats_proportion *pr)
{
	double p, nn, z2, denom, centre, half;

	if (k > n)
		k = n;
	pr->k = k;
	pr->n = n;
	if (n == 0) {
		pr->p = 0;
		pr->lo = 0;
		pr->hi = 1;
		return;
	}
	nn = (double)n;
	p = (double)k / nn;
	z2 = z * z;
	denom = 1 + z2 / nn;
	centre = (p + z2 / (2 * nn)) / denom;
	half = z * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / denom;
	pr->p = p;
	/* At 0/n and n/n the bound is exactly 0 or 1; rounding must not move it. */
	pr->lo = k == 0 ? 0 : fmax(0, centre - half);
	pr->hi = k == n ? 1 : fmin(1, centre + half);
}

double
stats_mcnemar_exact(size_t b, size_t c)
{
	size_t n = b + c, m = b < c ? b : c, i;
	double nn = (double)n, top, term = 1, sum = 1;

	if (n == 0 || 2 * m == n)
		return 1;
	/*
	 * The terms C(n, i) grow with i up to n/2 and m < n/2, so the last
	 * one is the largest: scale everything by it and walk down.
	 */
	top = exp(lgamma(nn + 1) - lgamma((double)m + 1) -
	    lgamma((double)(n - m) + 1) - nn * log(2.0));
	for (i = m; i > 0; i--) {
		term *= (double)i / (double)(n - i + 1);
		sum += term;
		if (term < sum * 1e-17)
			break;
	}
	return fmin(1, 2 * top * sum);
}

const char *
stats_p_text(double p, char buf[STATS_P_TEXT_LEN])
{
	if (isnan(p))
		snprintf(buf, STATS_P_TEXT_LEN, "-");
	else if (p < STATS_P_FLOOR)
		snprintf(buf, STATS_P_TEXT_LEN, "< 1e-300");
	else
		snprintf(buf, STATS_P_TEXT_LEN, "%.4g", p);
	return buf;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Type-7 quantile of sorted v[0..n-1]. */
static double
quantile_sorted(const double *v, size_t n, double q)
{
	double h = (double)(n - 1) * q, f = floor(h);
	size_t i = (size_t)f;

	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (h - f) * (v[i + 1] - v[i]);
}

void
stats_paired_bootstrap(const double *x, const double *y, size_t n,
    size_t resamples, uint64_t seed, struct stats_bootstrap *bs)
{
	struct stats_rng rng;
	double *dev, *means, mean = 0, sum;
	size_t b, i, other = 0;

	if (resamples == 0)
		resamples = STATS_BOOTSTRAP_DEFAULT;
	bs->n = n;
	bs->resamples = resamples;
	bs->mean = bs->lo = bs->hi = 0;
	bs->p = 1;
	if (n == 0)
		return;
	if (n > UINT32_MAX)
		fatal("stats_paired_bootstrap: %zu cases is too many", n);

	dev = xreallocarray(NULL, n, sizeof(*dev));
	for (i = 0; i < n; i++)
		mean += x[i] - y[i];
	mean /= (double)n;
	/*
	 * Resample the deviations from the mean and add the mean back: when
	 * every difference is the same the deviations are exactly 0, so the
	 * interval is exactly [mean, mean] instead of rounding noise.
	 */
	for (i = 0; i < n; i++)
		dev[i] = (x[i] - y[i]) - mean;

	means = xreallocarray(NULL, resamples, sizeof(*means));
	stats_rng_seed(&rng, seed, 0x6c6f636f);	/* "loco" */
	for (b = 0; b < resamples; b++) {
		sum = 0;
		for (i = 0; i < n; i++)
			sum += dev[stats_rng_below(&rng, (uint32_t)n)];
		means[b] = mean + sum / (double)n;
		if ((mean > 0 && means[b] <= 0) || (mean < 0 && means[b] >= 0))
			other++;
	}
	qsort(means, resamples, sizeof(*means), cmp_double);

	bs->mean = mean;
	bs->lo = quantile_sorted(means, resamples, 0.025);
	bs->hi = quantile_sorted(means, resamples, 0.975);
	if (mean != 0)
		bs->p = fmin(1, 2.0 * (double)(other + 1) /
		    (double)(resamples + 1));
	free(means);
	free(dev);
}

double
stats_pass_at_k(size_t n, size_t c, size_t k)
{
	double prod = 1;
	size_t i;

	if (k == 0 || k > n || c > n)
		return NAN;
	if (n - c < k)
		return 1;
	for (i = n - c + 1; i <= n; i++)
		prod *= 1 - (double)k / (double)i;
	return 1 - prod;
}

/* PCG32, as in the reference pcg32_srandom_r / pcg32_random_r. */
void
stats_rng_seed(struct stats_rng *rng, uint64_t seed, uint64_t stream)
{
	rng->state = 0;
	rng->inc = (stream << 1) | 1;
	(void)stats_rng_next(rng);
	rng->state += seed;
	(void)stats_rng_next(rng);
}

uint32_t
stats_rng_next(struct stats_rng *rng)
{
	uint64_t old = rng->state;
	uint32_t xorshifted, rot;

	rng->state = old * 6364136223846793005ULL + rng->inc;
	xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
	rot = (uint32_t)(old >> 59);
	return (xorshifted >> rot) | (xorshifted << ((32 - rot) & 31));
}

uint32_t
stats_rng_below(struct stats_rng *rng, uint32_t bound)
{
	uint32_t threshold, r;

	if (bound == 0)
		return 0;
	/* Reject the low values that would make some residues more likely. */
	threshold = (uint32_t)(-bound) % bound;
	for (;;) {
		r = stats_rng_next(rng);
		if (r >= threshold)
			return r % bound;
	}
}
