/*
 * vote.h: self-consistency voting.  N samples of the same prompt, each
 * with its own seed (base + i), run at most P at a time; their answers are
 * extracted and the vote picks one full response.
 *
 * Methods:
 *   majority   the most frequent extracted answer.  Samples without an
 *              answer are invalid and never win.  Ties go to the answer
 *              whose first sample has the lowest index (seed order), so a
 *              vote with a fixed seed is reproducible.  Confidence: the
 *              winner's votes over the samples used (invalid included).
 *              An ensemble's samples are weighted (vote_opts): votes are
 *              weights summed, and so are the samples used.
 *              Stops early, cancelling what is still running, once the
 *              leader cannot be overtaken by the samples left.
 *   medoid     the response with the highest mean ROUGE-L F1 against the
 *              others (free text); confidence is that mean.
 *   best_of_n  the model reads all the responses and names the best; a
 *              reply with no usable number falls back to the medoid.
 *              Confidence: the share of samples whose answer agrees with
 *              the chosen one.
 *   tests      (code) run candidates against test cases: loco eval only.
 */
#ifndef LOCO_VOTE_H
#define LOCO_VOTE_H

#include <stddef.h>

#include "error.h"
#include "extract.h"
#include "backend.h"

enum vote_method { VOTE_MAJORITY, VOTE_BEST_OF_N, VOTE_MEDOID, VOTE_TESTS };

int		 vote_method_parse(const char *, enum vote_method *);
const char	*vote_method_name(enum vote_method);

struct vote_group {
	char	*answer;	/* canonical answer */
	size_t	 count;
	size_t	 first;		/* lowest sample index with it */
	double	 weight;	/* its samples' weights summed (count: 1 each) */
};

struct vote_tally {
	struct vote_group	*groups;	/* ranked: count, then first */
	size_t			 ngroups;
	size_t			 valid;
	size_t			 invalid;
};

/*
 * Tally the samples that are done: answers[i] is sample i's canonical
 * answer, or NULL when it had none.  Numbers agree by number_equal()
 * with tol, as scoring compares them.
 */
void		 vote_tally_build(enum answer_type, double tol,
		    char *const *answers, const int *done, size_t n,
		    struct vote_tally *);
/*
 * The same with a weight per sample (weights NULL: 1 each): groups are
 * ranked by their summed weight, then by their first sample.
 */
void		 vote_tally_build_weighted(enum answer_type, double tol,
		    char *const *answers, const int *done, const double *weights,
		    size_t n, struct vote_tally *);
void		 vote_tally_release(struct vote_tally *);
/* The leader cannot be overtaken by remaining more samples. */
int		 vote_decided(const struct vote_tally *, size_t remaining);
/*
 * The leader's weight is above the runner-up's plus the weight still to
 * come (with weights of 1 this is vote_decided).
 */
int		 vote_decided_weight(const struct vote_tally *,
		    double remaining);

struct vote_result;

struct vote_opts {
	size_t			 n;		/* samples */
	size_t			 parallel;	/* in flight at once */
	enum vote_method	 method;
	const struct extractor	*x;
	long			 seed;		/* sample i uses seed + i */
	int			 early_stop;	/* majority only */
	const char		*question;	/* for the best_of_n judge */
	/*
	 * Called after sample i ends (may be NULL); vr->completed of vr->n
	 * are done, and vr->samples[i] holds its response and answer.
	 */
	void			(*progress)(const struct vote_result *vr,
				    size_t i, void *arg);
	void			*arg;
	/*
	 * An ensemble (majority only): nmembers requests, each asked n
	 * times; sample i is member i / n's, with seed seed + i % n and the
	 * weight weights[i / n] (NULL: 1 each).  The vote is weighted: an
	 * answer's weight is its samples' summed, and early stopping counts
	 * the weight still to come.  serial: every sample of a member ends
	 * before the next member's start (Ollama: a change of model is a
	 * reload); else they share the parallel slots (llama-server picks
	 * the LoRA per request).  nmembers 0: req alone, unweighted.
	 */
	const struct chat_request *members;
	size_t			 nmembers;
	const double		*weights;
	int			 serial;
	/*
	 * Tool use (may be NULL): sample i's reply res ended well; req is
	 * the sample's first request.  Returns the request to send next for
	 * the sample (its calls ran; a failure sends that one again), or
	 * NULL when res is the sample's answer.
	 */
	const struct chat_request *(*next)(void *arg, size_t i,
				    const struct chat_request *req,
				    struct chat_result *res);
	void			*next_arg;
};

struct vote_sample {
	char			*content;	/* NULL unless done */
	char			*answer;	/* canonical, or NULL */
	int			 done;
	int			 retried;	/* failed once, asked again */
	int			 failed;	/* failed twice: invalid */
	long			 seed;
	struct chat_result	 res;		/* timings and counts */
	size_t			 member;	/* an ensemble's: whose */
	double			 weight;	/* 1 unless an ensemble's */
};

struct vote_result {
	enum vote_method	 method;
	struct vote_sample	*samples;
	size_t			 n;
	struct vote_tally	 tally;
	size_t			 completed;
	size_t			 cancelled;	/* saved by early stopping */
	long			 winner;	/* sample index, -1: none */
	char			*answer;	/* the winner's answer, or NULL */
	double			 confidence;
	char			*note;		/* what went unusually, or NULL */
	long long		 prompt_tokens;	/* summed over samples */
	long long		 eval_tokens;
	long long		 load_ns;	/* the largest load_duration */
	/* Samples cut at a token limit (counted invalid). */
	size_t			 truncated;
	/* Samples that failed twice (counted invalid), the first's error. */
	size_t			 failed;
	char			*failure;
	size_t			 nmembers;	/* an ensemble's, else 1 */
	size_t			 per_member;	/* samples of each member */
	int			 weighted;	/* an ensemble: weights apply */
	/* The sample whose error stopped the vote, or -1. */
	long			 broke;
};

/*
 * Run a vote on req (its seed is replaced per sample).  On error every
 * running sample has been cancelled; EXIT_NOMODEL means the model is not
 * there, as with ollama_chat.
 */
struct error	*vote_run(struct backend *, const struct chat_request *req,
		    const struct vote_opts *, struct vote_result *);
void		 vote_result_release(struct vote_result *);
/* "vote majority: 51 x4, 50 x1, invalid 0; 5 of 5 samples, confidence 0.80" */
struct strbuf;
void		 vote_describe(const struct vote_result *, struct strbuf *);
struct jout;
/* method, answer, votes, invalid and samples into the open JSON object. */
void		 vote_jout(struct jout *, const struct vote_result *);

#endif
