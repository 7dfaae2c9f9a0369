/* t_vote.c: the tally, its tie rule, invalid samples, early stopping. */
#include <stdlib.h>

#include "rouge.h"
#include "vote.h"
#include "unit.h"

static void
tally(enum answer_type t, char **answers, const int *done, size_t n,
    struct vote_tally *vt)
{
	vote_tally_build(t, 1e-6, answers, done, n, vt);
}

TEST(vote_tally_counts_and_ranks)
{
	char *a[] = { "50", "51", NULL, "51", "50.0000000001", "51" };
	int done[] = { 1, 1, 1, 1, 1, 1 };
	struct vote_tally vt;

	tally(ANSWER_NUMBER, a, done, 6, &vt);
	CHECK_INT(vt.ngroups, 2);
	CHECK_STR(vt.groups[0].answer, "51");
	CHECK_INT(vt.groups[0].count, 3);
	CHECK_INT(vt.groups[0].first, 1);
	CHECK_STR(vt.groups[1].answer, "50");
	CHECK_INT(vt.groups[1].count, 2);	/* numbers within tolerance */
	CHECK_INT(vt.valid, 5);
	CHECK_INT(vt.invalid, 1);
	vote_tally_release(&vt);
}

/* Votes merge answers by number_equal(), as scoring compares them. */
TEST(vote_numbers_merge_by_the_scoring_rule)
{
	const char *said[] = {
		"The answer is 1,450,000.", "#### 1450000", "1,450,001",
		"The answer is $1,450,000.00", "So it is 1450001.",
		"The answer is 0.30000000000000004", "\\boxed{0.3}",
	};
	char *a[ARRAY_SIZE(said)];
	int done[ARRAY_SIZE(said)];
	struct extractor *x;
	struct vote_tally vt;
	size_t i;

	CHECK_OK(extractor_new(ANSWER_NUMBER, NULL, &x));
	for (i = 0; i < ARRAY_SIZE(said); i++) {
		a[i] = extractor_run(x, said[i]);
		done[i] = 1;
	}
	vote_tally_build(ANSWER_NUMBER, NUMBER_TOLERANCE, a, done,
	    ARRAY_SIZE(said), &vt);
	CHECK_INT(vt.ngroups, 3);
	CHECK_STR(vt.groups[0].answer, "1450000");
	CHECK_INT(vt.groups[0].count, 3);
	CHECK_STR(vt.groups[1].answer, "1450001");
	CHECK_INT(vt.groups[1].count, 2);
	CHECK_STR(vt.groups[2].answer, "0.3");
	CHECK_INT(vt.groups[2].count, 2);
	vote_tally_release(&vt);
	for (i = 0; i < ARRAY_SIZE(said); i++)
		free(a[i]);
	extractor_free(x);
}

TEST(vote_tie_goes_to_the_earliest_sample)
{
	char *a[] = { "b", "a", "a", "b" };
	int done[] = { 1, 1, 1, 1 };
	struct vote_tally vt;

	tally(ANSWER_TEXT, a, done, 4, &vt);
	CHECK_STR(vt.groups[0].answer, "b");
	CHECK_INT(vt.groups[0].first, 0);
	vote_tally_release(&vt);
	/* Completion order does not matter, only sample order. */
	done[0] = 0;
	tally(ANSWER_TEXT, a, done, 4, &vt);
	CHECK_STR(vt.groups[0].answer, "a");
	vote_tally_release(&vt);
}

TEST(vote_invalid_never_wins)
{
	char *a[] = { NULL, NULL, NULL, "7" };
	int done[] = { 1, 1, 1, 1 };
	struct vote_tally vt;

	tally(ANSWER_NUMBER, a, done, 4, &vt);
	CHECK_INT(vt.ngroups, 1);
	CHECK_STR(vt.groups[0].answer, "7");
	CHECK_INT(vt.invalid, 3);
	vote_tally_release(&vt);
	a[3] = NULL;
	tally(ANSWER_NUMBER, a, done, 4, &vt);
	CHECK_INT(vt.ngroups, 0);
	CHECK(!vote_decided(&vt, 0));
	vote_tally_release(&vt);
}

TEST(vote_early_stop_arithmetic)
{
	char *a[] = { "1", "1", "1", "2", "2" };
	int done[] = { 1, 1, 0, 0, 0 };
	struct vote_tally vt;

	/* 2-0 with 3 left: 2 > 0 + 3 is false. */
	tally(ANSWER_NUMBER, a, done, 5, &vt);
	CHECK(!vote_decided(&vt, 3));
	vote_tally_release(&vt);
	/* 3-0 with 2 left: decided, 2 of 5 saved. */
	done[2] = 1;
	tally(ANSWER_NUMBER, a, done, 5, &vt);
	CHECK(vote_decided(&vt, 2));
	vote_tally_release(&vt);
	/* 3-1 with 1 left: decided. */
	done[3] = 1;
	tally(ANSWER_NUMBER, a, done, 5, &vt);
	CHECK(vote_decided(&vt, 1));
	vote_tally_release(&vt);
	/* 1-1 with 3 left, and a tie at the end is not "decided". */
	done[1] = done[2] = 0;
	tally(ANSWER_NUMBER, a, done, 5, &vt);
	CHECK(!vote_decided(&vt, 3));
	CHECK(!vote_decided(&vt, 0));
	vote_tally_release(&vt);
}

TEST(vote_weighted_tally)
{
	/* An ensemble: 0.8 says 50, 0.5 and 0.4 say 51. */
	char *a[] = { "50", "51", "51" };
	int done[] = { 1, 1, 0 };
	double w[] = { 0.8, 0.5, 0.4 };
	struct vote_tally vt;

	vote_tally_build_weighted(ANSWER_NUMBER, NUMBER_TOLERANCE, a, done, w,
	    3, &vt);
	CHECK_STR(vt.groups[0].answer, "50");
	CHECK(vt.groups[0].weight == 0.8);
	/* 0.8 > 0.5 + 0.4 is false: the last member could still turn it. */
	CHECK(!vote_decided_weight(&vt, 0.4));
	vote_tally_release(&vt);
	done[2] = 1;
	vote_tally_build_weighted(ANSWER_NUMBER, NUMBER_TOLERANCE, a, done, w,
	    3, &vt);
	/* Two weaker members outweigh the stronger: 0.9 over 0.8. */
	CHECK_STR(vt.groups[0].answer, "51");
	CHECK_INT(vt.groups[0].count, 2);
	CHECK_INT(vt.groups[0].first, 1);
	CHECK(vote_decided_weight(&vt, 0));
	vote_tally_release(&vt);
	/* 0.9 against 0.4 + 0.3 still to come: decided after one. */
	w[0] = 0.9;
	done[1] = done[2] = 0;
	vote_tally_build_weighted(ANSWER_NUMBER, NUMBER_TOLERANCE, a, done, w,
	    3, &vt);
	CHECK(vote_decided_weight(&vt, 0.5 + 0.4 - 0.2));
	CHECK(!vote_decided_weight(&vt, 0.9));
	vote_tally_release(&vt);
	/* Equal weights: the earlier answer ranks first. */
	vote_tally_build_weighted(ANSWER_NUMBER, NUMBER_TOLERANCE, a, done,
	    NULL, 1, &vt);
	CHECK(vt.groups[0].weight == 1);
	vote_tally_release(&vt);
}

TEST(vote_method_names)
{
	enum vote_method m;

	CHECK_INT(vote_method_parse("best_of_n", &m), 0);
	CHECK_INT(m, VOTE_BEST_OF_N);
	CHECK_STR(vote_method_name(VOTE_MEDOID), "medoid");
	CHECK_INT(vote_method_parse("mode", &m), -1);
}

TEST(rouge_l_values)
{
	struct rouge r;

	/* LCS("the cat sat on the mat", "the cat on the mat") = 5. */
	r = rouge_l("the cat sat on the mat", "the cat on the mat");
	CHECK_DBL(r.precision, 5.0 / 6, 1e-12);
	CHECK_DBL(r.recall, 1, 1e-12);
	CHECK_DBL(r.f1, 2 * (5.0 / 6) / (5.0 / 6 + 1), 1e-12);
	r = rouge_l("A B C", "c b a");
	CHECK_DBL(r.f1, 1.0 / 3, 1e-12);
	CHECK_DBL(rouge_l("", "").f1, 1, 0);
	CHECK_DBL(rouge_l("x", "").f1, 0, 0);
	CHECK_DBL(rouge_l("x y", "z").f1, 0, 0);
}
