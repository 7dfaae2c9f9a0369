/*
 * evalrun.h: running a benchmark against models for loco eval.
 *
 * Subjects (the adapter's model, the base model) are run one after the
 * other, all cases of one before the next: in Ollama a change of model
 * is a full reload (llama-server swaps adapters per request).  Within a
 * subject, `jobs` requests are in flight.  For the same reason the judge
 * of llm_judge cases is asked only after every subject has answered
 * (eval_judge_pending), so a judged eval loads each model once.
 * Every finished case is appended to the run's log (JSON Lines) at once,
 * so an interrupted run resumes where it stopped; with one vote, every
 * response is cached under $LOCO_HOME/cache by the SHA-256 of the
 * request and the target's identity (backend_cache_key), so a re-run
 * asks nothing.
 */
#ifndef LOCO_EVALRUN_H
#define LOCO_EVALRUN_H

#include <stddef.h>

#include "benchfile.h"
#include "error.h"
#include "backend.h"
#include "registry.h"
#include "score.h"
#include "tools.h"

struct eval_subject {
	const char		*label;		/* "adapter", "base" */
	const char		*model;		/* who answers (target's label) */
	const struct backend_target *target;	/* what requests go to */
	const char		*digest;	/* its identity, for the cache */
	const struct adapter	*adapter;	/* system prompt, params */
	int			 think;		/* the model thinks: ask so */
	/*
	 * Tool use (tools.h), or NULL: a subject with tools asks its cases
	 * one at a time, each through the tool loop (and votes), without
	 * the response cache; each case's log line has its calls.
	 */
	const struct tool_settings *tools;
};

/*
 * A subject ready to run: its target on the backend and that target's
 * identity (the cache key's second half).  The judge's is the model
 * eval.judge_model names on Ollama, else the base model.
 */
struct eval_target {
	struct eval_subject	 s;
	struct backend_target	 t;
	char			*identity;
};

struct error	*eval_target_open(struct backend *, const struct registry *,
		    const struct adapter *, const char *label,
		    struct eval_target *);
/*
 * A model by its server's name (eval --vs): name is how people see it
 * ("lab:gpt-4o"); EXIT_NOMODEL when the server does not have it.  It is
 * asked as the base model is, with no adapter's prompt.
 */
struct error	*eval_model_target(struct backend *, const char *model,
		    const char *name, const char *label, struct eval_target *);
struct error	*eval_judge_target(struct backend *, const struct registry *,
		    const char *judge_model, struct eval_target *);
void		 eval_target_release(struct eval_target *);

struct eval_settings {
	int		 reread;
	long		 votes;
	double		 vote_temperature;
	double		 temperature;	/* one sample: 0 is greedy */
	long		 seed;
	long		 num_predict;
	long		 num_ctx;
	const char	*keep_alive;
	size_t		 jobs;
	int		 cache;		/* use the response cache */
	const struct registry *registry;	/* prompt templates */
	int		 progress;	/* draw progress on stderr */
	/*
	 * Without progress (stderr no terminal): a plain line on stderr at
	 * most every this many seconds while cases finish, and one at the
	 * end if any was printed; 0 for none.
	 */
	double		 progress_every;
};

/*
 * What a run cost: requests sent, the replies that reported loading the
 * model and the time those loads took.  A change of model in Ollama is a
 * reload (hundreds of milliseconds at least for a real model); Ollama
 * also reports its scheduling, a few milliseconds, as load_duration for a
 * model already loaded, so a load counts from EVAL_LOAD_MIN_NS.
 */
#define EVAL_LOAD_MIN_NS	20000000LL
/* Attempts after the first, for a server error or a reset (retry_wait). */
#define EVAL_RETRIES	3
struct eval_tally {
	unsigned	 requests;
	/* requests sent again after an error or as a Retry-After asked */
	unsigned	 retries;
	unsigned	 loads;
	long long	 load_ns;
};

/* Count one reply's load_duration (nanoseconds) in t. */
void		 eval_tally_load(struct eval_tally *t, long long load_ns);
/* "12 requests sent", then the loads if any were reported (allocated). */
char		*eval_tally_text(const struct eval_tally *t);

struct eval_result {
	int		 done;
	/* An llm_judge case's answer, waiting for the judge (not done). */
	char		*pending;
	int		 pass;
	double		 score;
	int		 cached;
	int		 resumed;	/* taken from an earlier log */
	/* The answer was cut at a token limit: scored wrong, reported. */
	int		 truncated;
	char		*extracted;
	char		*reason;
	/* code_execution with votes: every sample run, for pass@k. */
	size_t		 samples;
	size_t		 samples_passed;
	unsigned	 sandbox;	/* code run: SANDBOX_PROT_* in force */
	/*
	 * The response's answer as a vote extracts it (by the case's type),
	 * for an ensemble's vote; NULL when it has none or was cut.
	 */
	char		*answer;
};

/*
 * When bench has code_execution cases: whether the sandbox here meets
 * sandbox.require (sandbox_check), so a run is refused before it starts.
 */
struct error	*eval_sandbox_check(const struct bench *);
/*
 * The protections every code case of a and b (n each) ran with, named as
 * sandbox_protections_describe does; NULL when no code ran.  Free it.
 */
char		*eval_sandbox_text(const struct eval_result *a,
		    const struct eval_result *b, size_t n);

/*
 * Run bench for one subject; results[i] for case i.  log: an open
 * append-only log (may be NULL).  Cases already done in results are
 * skipped (resume), and so are answers waiting for the judge.  A failing
 * request fails the run (after the log is flushed), except that a case
 * whose scoring cannot run is a failed case.  With a judge, llm_judge
 * cases are not scored here: their answers are kept (results[i].pending,
 * and a "pending" line in the log) for eval_judge_pending.
 */
struct error	*eval_subject_run(struct backend *, const struct eval_settings *,
		    const struct bench *, const struct eval_subject *,
		    const struct judge *, FILE *log, struct eval_result *results,
		    struct eval_tally *);

/* Score the answers subject s left for the judge; each logged at once. */
struct error	*eval_judge_pending(const struct eval_settings *,
		    const struct bench *, const struct eval_subject *,
		    const struct judge *, FILE *log, struct eval_result *results);
void		 eval_result_release(struct eval_result *);

/*
 * An ensemble's results from its members' (loco eval --ensemble): case i
 * goes to a majority vote of members[m][i].answer weighted by weights[m],
 * the members taken in order as a query's ensemble asks them, stopping as
 * soon as the leader cannot be overtaken (vote_decided_weight).  out[i]
 * is then a copy of the result of the first member that gave the winning
 * answer (of the first member when none had an answer); winner[i] (may
 * be NULL) says which.  *needed counts the member answers the votes used,
 * of n * nmembers.
 */
void		 eval_ensemble_combine(const struct bench *,
		    struct eval_result *const *members, const double *weights,
		    size_t nmembers, struct eval_result *out, size_t *winner,
		    size_t *needed);

/*
 * The judge of llm_judge cases (score.h): model asked judge.runs times a
 * case, the first greedy, the others seeded samples, with the prompt of
 * the registry's templates/judge.txt when it has one.  With es->cache and
 * the judge model's digest, its replies are cached like the answers, so
 * a re-run asks the judge nothing either.
 */
struct eval_judge {
	struct judge		 judge;		/* what score_case takes */
	struct backend		*be;
	const struct eval_settings *es;
	const char		*model;
	const struct backend_target *target;
	int			 think;		/* the judge thinks: ask so */
	const char		*digest;	/* NULL: not cached */
	int			 run;		/* calls so far */
	struct eval_tally	*tally;
	char			*template_;
};

/* es->registry gives the template; tally counts what was sent. */
struct error	*eval_judge_init(struct eval_judge *, struct backend *,
		    const struct eval_settings *,
		    const struct backend_target *target, const char *digest,
		    int runs, struct eval_tally *);
void		 eval_judge_release(struct eval_judge *);

/*
 * A run directory's record, run.json: a flat JSON object of everything
 * that changes the answers (adapter and version, models and their
 * identities, backend, settings, the benchmarks' SHA-256).  With resume,
 * the directory must hold a record equal to record (else EXIT_USAGE,
 * naming every difference); without, dir must not hold a run yet.  Then
 * the record is written.
 */
struct error	*eval_record_check(const char *dir, const char *record,
		    int resume);

/*
 * Open the run's log for appending.  A last line torn by a kill is cut
 * off first, so the next record starts on a line of its own.
 */
struct error	*eval_log_open(const char *path, FILE **log);

/*
 * Read an earlier run's log: mark the cases of subject label that are in
 * it as done (resumed), and give answers that were waiting for the judge
 * back to results[i].pending.  A torn last line is ignored.
 */
struct error	*eval_log_resume(const char *path, const struct bench *,
		    const char *label, struct eval_result *results,
		    size_t *count);

#endif
