/*
 * t_stats.c: the statistics against values computed here by hand, with
 * exact integer or long double arithmetic independent of src/stats.c.
 */
#include <math.h>
#include <stdint.h>

#include "error.h"
#include "stats.h"
#include "unit.h"

/*
 * 2 * sum_{i<=min(b,c)} C(b+c, i) / 2^(b+c) in long double, summed from
 * i = 0 up; the first term is scaled by 2^(b+c) through logl so it does
 * not underflow when b + c is large.
 */
static double
mcnemar_reference(unsigned b, unsigned c)
{
	unsigned n = b + c, m = b < c ? b : c, i;
	long double lterm = -(long double)n * logl(2), term, sum = 0;
	long double lc = 0;

	for (i = 0; i <= m; i++) {
		term = expl(lc + lterm);
		sum += term;
		lc += logl((long double)(n - i) / (i + 1));
	}
	return 2 * sum > 1 ? 1 : (double)(2 * sum);
}

TEST(stats_mcnemar_hand_values)
{
	/* 2 (1 + 12 + 66) / 2^12 */
	CHECK_DBL(stats_mcnemar_exact(10, 2), 158.0 / 4096, 1e-15);
	CHECK_DBL(stats_mcnemar_exact(2, 10), 0.0385742187500, 1e-15);
	CHECK_DBL(stats_mcnemar_exact(5, 5), 1, 0);
	CHECK_DBL(stats_mcnemar_exact(0, 0), 1, 0);
	CHECK_DBL(stats_mcnemar_exact(0, 6), 0.03125, 1e-16);
	CHECK_DBL(stats_mcnemar_exact(1, 0), 1, 0);	/* 2 * 1/2 */
	CHECK_DBL(stats_mcnemar_exact(4, 5), 1, 0);	/* sum > 1/2 */
	/* 2 (1 + 25 + 300 + 2300 + 12650 + 53130) / 2^25 */
	CHECK_DBL(stats_mcnemar_exact(20, 5), 136812.0 / 33554432, 1e-16);
	CHECK_DBL(stats_mcnemar_exact(20, 5), 0.00407731533, 1e-11);
}

TEST(stats_mcnemar_matches_exact_sums)
{
	static const unsigned cases[][2] = {
		{ 3, 9 }, { 17, 31 }, { 40, 60 }, { 120, 80 }, { 0, 1000 },
		{ 499, 501 }, { 480, 520 }, { 1, 200 }, { 2000, 2150 },
	};
	size_t i;
	double got, want;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		got = stats_mcnemar_exact(cases[i][0], cases[i][1]);
		want = mcnemar_reference(cases[i][0], cases[i][1]);
		if (fabs(got - want) > 1e-11 * want)
			unit_fail(__FILE__, __LINE__, "mcnemar(%u, %u) = %.17g, "
			    "expected %.17g", cases[i][0], cases[i][1], got,
			    want);
	}
	/* Large n stays finite, symmetric, and inside [0, 1]. */
	got = stats_mcnemar_exact(49900, 50100);
	CHECK(got > 0 && got <= 1);
	CHECK_DBL(got, stats_mcnemar_exact(50100, 49900), 0);
	CHECK_DBL(got, mcnemar_reference(49900, 50100), 1e-9 * got);
	CHECK_DBL(stats_mcnemar_exact(50000, 50000), 1, 0);
}

static void
wilson_reference(double k, double n, double *lo, double *hi)
{
	long double z = STATS_Z95, p = k / n, z2 = z * z;
	long double c = (p + z2 / (2 * n)) / (1 + z2 / n);
	long double h = z / (1 + z2 / n) * sqrtl(p * (1 - p) / n +
	    z2 / (4 * n * n));

	*lo = (double)(c - h);
	*hi = (double)(c + h);
}

TEST(stats_p_text_never_zero)
{
	char buf[STATS_P_TEXT_LEN];

	/* 1100 discordant cases all one way: 2^-1099 is below any double. */
	CHECK(stats_mcnemar_exact(1100, 0) < STATS_P_FLOOR);
	CHECK_STR(stats_p_text(stats_mcnemar_exact(1100, 0), buf), "< 1e-300");
	CHECK_STR(stats_p_text(0, buf), "< 1e-300");
	CHECK_STR(stats_p_text(1e-301, buf), "< 1e-300");
	CHECK_STR(stats_p_text(1e-300, buf), "1e-300");
	CHECK_STR(stats_p_text(stats_mcnemar_exact(10, 2), buf), "0.03857");
	CHECK_STR(stats_p_text(1, buf), "1");
	CHECK_STR(stats_p_text(NAN, buf), "-");
}

TEST(stats_wilson_interval)
{
	struct stats_proportion pr;
	double lo, hi;

	stats_wilson(8, 10, STATS_Z95, &pr);
	wilson_reference(8, 10, &lo, &hi);
	CHECK_DBL(pr.p, 0.8, 1e-15);
	CHECK_DBL(pr.lo, lo, 1e-12);
	CHECK_DBL(pr.hi, hi, 1e-12);
	CHECK_DBL(pr.lo, 0.4901624, 1e-6);		/* published tables */
	CHECK_DBL(pr.hi, 0.9433178, 1e-6);

	stats_wilson(0, 10, STATS_Z95, &pr);
	wilson_reference(0, 10, &lo, &hi);
	CHECK_DBL(pr.p, 0, 0);
	CHECK_DBL(pr.lo, 0, 0);
	CHECK_DBL(pr.hi, hi, 1e-12);
	CHECK_DBL(pr.hi, 0.2775328, 1e-6);

	stats_wilson(10, 10, STATS_Z95, &pr);
	CHECK_DBL(pr.p, 1, 0);
	CHECK_DBL(pr.lo, 1 - 0.2775328, 1e-6);		/* mirror image */
	CHECK_DBL(pr.hi, 1, 0);

	stats_wilson(0, 0, STATS_Z95, &pr);
	CHECK_INT(pr.n, 0);
	CHECK_DBL(pr.p, 0, 0);
	CHECK_DBL(pr.lo, 0, 0);
	CHECK_DBL(pr.hi, 1, 0);

	stats_wilson(437, 1000, STATS_Z95, &pr);
	wilson_reference(437, 1000, &lo, &hi);
	CHECK_DBL(pr.lo, lo, 1e-12);
	CHECK_DBL(pr.hi, hi, 1e-12);
}

TEST(stats_mean_and_stddev)
{
	double v[] = { 2, 4, 4, 4, 5, 5, 7, 9 };

	CHECK_DBL(stats_mean(v, 8), 5, 1e-15);
	/* sum of squared deviations 32, over n - 1 = 7 */
	CHECK_DBL(stats_stddev(v, 8), sqrt(32.0 / 7), 1e-15);
	CHECK_DBL(stats_mean(v, 0), 0, 0);
	CHECK_DBL(stats_stddev(v, 1), 0, 0);
}

TEST(stats_pass_at_k_values)
{
	/* C(16,5) / C(20,5) = 4368 / 15504 */
	CHECK_DBL(stats_pass_at_k(20, 4, 5), 1 - 4368.0 / 15504, 1e-15);
	CHECK_DBL(stats_pass_at_k(10, 3, 1), 0.3, 1e-15);
	CHECK_DBL(stats_pass_at_k(10, 0, 1), 0, 0);
	CHECK_DBL(stats_pass_at_k(10, 0, 10), 0, 0);
	CHECK_DBL(stats_pass_at_k(5, 5, 2), 1, 0);
	CHECK_DBL(stats_pass_at_k(10, 8, 3), 1, 0);	/* n - c < k */
	/* C(7,2) / C(10,2) = 21 / 45 */
	CHECK_DBL(stats_pass_at_k(10, 3, 2), 1 - 21.0 / 45, 1e-15);
	CHECK_DBL(stats_pass_at_k(1, 1, 1), 1, 0);
	/* huge n: 1 - (1 - c/n) for k = 1, no overflow */
	CHECK_DBL(stats_pass_at_k(200000, 50000, 1), 0.25, 1e-12);
	CHECK(isnan(stats_pass_at_k(3, 1, 4)));
	CHECK(isnan(stats_pass_at_k(3, 1, 0)));
	CHECK(isnan(stats_pass_at_k(3, 4, 1)));
}

TEST(stats_pcg32_reference_stream)
{
	/* pcg32-demo from pcg-random.org: seed 42, sequence 54. */
	static const uint32_t want[] = {
		0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b,
		0xcbed606e,
	};
	struct stats_rng rng;
	size_t i;
	int seen[7] = { 0 };

	stats_rng_seed(&rng, 42, 54);
	for (i = 0; i < ARRAY_SIZE(want); i++)
		CHECK_INT(stats_rng_next(&rng), want[i]);
	for (i = 0; i < 7000; i++)
		seen[stats_rng_below(&rng, 7)]++;
	for (i = 0; i < 7; i++)
		CHECK(seen[i] > 850 && seen[i] < 1150);
	CHECK_INT(stats_rng_below(&rng, 1), 0);
	CHECK_INT(stats_rng_below(&rng, 0), 0);
}

static const double bx[] = {
	0.9, 0.7, 0.8, 1.0, 0.6, 0.75, 0.95, 0.5, 0.85, 0.9,
	0.65, 0.8, 0.7, 1.0, 0.55, 0.9, 0.6, 0.85, 0.75, 0.8,
};
static const double by[] = {
	0.8, 0.7, 0.6, 0.9, 0.65, 0.7, 0.8, 0.55, 0.7, 0.85,
	0.6, 0.7, 0.75, 0.9, 0.5, 0.8, 0.6, 0.7, 0.7, 0.75,
};

TEST(stats_bootstrap_deterministic)
{
	struct stats_bootstrap a, b, c;
	double d[ARRAY_SIZE(bx)];
	size_t i, n = ARRAY_SIZE(bx);

	for (i = 0; i < n; i++)
		d[i] = bx[i] - by[i];
	stats_paired_bootstrap(bx, by, n, 0, 1234, &a);
	stats_paired_bootstrap(bx, by, n, 0, 1234, &b);
	stats_paired_bootstrap(bx, by, n, 0, 99, &c);
	CHECK_INT(a.resamples, STATS_BOOTSTRAP_DEFAULT);
	CHECK_INT(a.n, n);
	CHECK_DBL(a.mean, stats_mean(d, n), 1e-15);
	CHECK_DBL(a.mean, 0.065, 1e-12);
	/* Same seed, bit-identical; another seed, close but not equal. */
	CHECK(a.lo == b.lo && a.hi == b.hi && a.p == b.p);
	CHECK(a.lo != c.lo || a.hi != c.hi);
	CHECK_DBL(a.lo, c.lo, 0.01);
	CHECK_DBL(a.hi, c.hi, 0.01);
	CHECK(a.lo < a.mean && a.mean < a.hi);
	/*
	 * The normal approximation mean +- 1.96 sd / sqrt(n) is about
	 * [0.040, 0.095]; the percentile interval must be near it.
	 */
	CHECK_DBL(a.lo, a.mean - STATS_Z95 * stats_stddev(d, n) / sqrt(n),
	    0.01);
	CHECK_DBL(a.hi, a.mean + STATS_Z95 * stats_stddev(d, n) / sqrt(n),
	    0.01);
	/* 17 of the 20 differences are >= 0: 0 is far outside. */
	CHECK(a.lo > 0);
	CHECK_DBL(a.p, 2.0 / (STATS_BOOTSTRAP_DEFAULT + 1), 1e-3);
}

TEST(stats_bootstrap_edge_cases)
{
	double x[] = { 1.25, 0.5, 2.0, 0.25 }, y[] = { 1.0, 0.25, 1.75, 0 };
	double z[] = { 0.3, 0.7, 0.1, 0.9 };
	struct stats_bootstrap bs;

	/* All differences 0.25: the interval collapses to the point. */
	stats_paired_bootstrap(x, y, 4, 500, 7, &bs);
	CHECK_DBL(bs.mean, 0.25, 0);
	CHECK_DBL(bs.lo, 0.25, 0);
	CHECK_DBL(bs.hi, 0.25, 0);
	CHECK_DBL(bs.p, 2.0 / 501, 1e-15);

	/* Negative differences mirror it. */
	stats_paired_bootstrap(y, x, 4, 500, 7, &bs);
	CHECK_DBL(bs.lo, -0.25, 0);
	CHECK_DBL(bs.hi, -0.25, 0);
	CHECK_DBL(bs.p, 2.0 / 501, 1e-15);

	/* Identical arrays: no difference, p = 1. */
	stats_paired_bootstrap(z, z, 4, 500, 7, &bs);
	CHECK_DBL(bs.mean, 0, 0);
	CHECK_DBL(bs.lo, 0, 0);
	CHECK_DBL(bs.hi, 0, 0);
	CHECK_DBL(bs.p, 1, 0);

	/* No cases at all. */
	stats_paired_bootstrap(z, z, 0, 0, 7, &bs);
	CHECK_INT(bs.n, 0);
	CHECK_DBL(bs.p, 1, 0);
	CHECK_DBL(bs.lo, 0, 0);
	CHECK_DBL(bs.hi, 0, 0);
}

TEST(stats_bootstrap_symmetric_noise)
{
	/* Differences +1 and -1 in equal numbers: mean 0 inside, p = 1. */
	double x[] = { 1, 0, 1, 0, 1, 0, 1, 0 }, y[] = { 0, 1, 0, 1, 0, 1, 0, 1 };
	double x2[] = { 1, 0, 1, 0, 1, 0, 1, 1 };
	struct stats_bootstrap bs;

	stats_paired_bootstrap(x, y, 8, 2000, 3, &bs);
	CHECK_DBL(bs.mean, 0, 0);
	CHECK(bs.lo < 0 && bs.hi > 0);
	CHECK_DBL(bs.p, 1, 0);
	/* A tie instead of a loss: mean 0.125, not significant with n = 8. */
	stats_paired_bootstrap(x2, y, 8, 2000, 3, &bs);
	CHECK_DBL(bs.mean, 0.125, 1e-15);
	CHECK(bs.lo < 0 && bs.hi > 0.125);
	CHECK(bs.p > 0.2 && bs.p <= 1);
}
