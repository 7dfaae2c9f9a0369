/*
 * runs.h: the eval runs on disk, for loco runs.  Each `loco eval` works in
 * a run directory ($LOCO_HOME/runs/YYYYMMDD-HHMMSS-NAME-PID, or --output):
 *
 *	run.json	what the run is (written first; see evalrun.h)
 *	log.jsonl	one line per finished case and subject, appended
 *	results.json	the summary, written when the run completes
 *
 * A run without results.json was interrupted (or is running).  This
 * module reads those files; it never writes.  The runs listed are the
 * directories under $LOCO_HOME/runs and the run directories that the
 * results archive (results.h) names, so a finished --output run is
 * listed too.
 */
#ifndef LOCO_RUNS_H
#define LOCO_RUNS_H

#include <stddef.h>

#include "error.h"
#include "hash.h"

/* One case of one subject, as the log has it. */
struct run_case {
	char	*id;
	char	*question;
	char	*expected;	/* NULL when the case has none */
	char	*got;		/* the extracted answer, NULL when none */
	int	 pass;
	int	 pending;	/* answered, waiting for the judge */
};

/*
 * The order of cases in a side: by id, digits by value ("m2" before
 * "m10"), so the usual numbered ids read in the benchmark's order.
 */
int		 run_case_cmp(const void *, const void *);

/* The cases of one subject (log label "adapter", "base", ...). */
struct run_side {
	char		*label;		/* NULL: the run has no such side */
	struct run_case	*v;
	size_t		 n;
	size_t		 passed;
};

struct run {
	char	*id;		/* the directory's name (its path if taken) */
	char	*dir;
	char	*adapter;	/* run.json */
	char	*version;
	int	 base_only;
	int	 grid;
	char	*ensemble;	/* run.json: "NAME@VERSION WEIGHT, ...", or NULL */
	long	 cases;
	char	 bench_sha256[SHA256_HEX_LEN + 1];	/* recorded */
	/*
	 * The benchmark file: results.json's, else a file loco knows with
	 * the recorded SHA-256 (runs_check_stale), else NULL.
	 */
	char	*bench_path;
	char	*ood;		/* run.json "ood": "code sha256:..., ..." */
	char	*settings;	/* "RE2 on, greedy, seed 42" */
	/*
	 * start.json (loco eval writes it from this version on): the
	 * command that resumes the run, as it was typed; NULL without one.
	 */
	char	*command;
	char	*start_bench;	/* start.json's benchmark */
	/* run.json fields the resume command needs */
	int	 reread;
	long	 votes;
	double	 temperature;	/* the one answers were sampled at */
	double	 temperature_flag;	/* --temperature, 0 when not given */
	long	*seeds;
	size_t	 nseeds;
	long	 time;		/* the first case logged, else run.json's mtime */
	int	 complete;	/* results.json is there */
	int	 running;	/* not complete, and a loco eval holds its lock */
	/* From results.json when it reads as one; else from the log. */
	double	 acc_adapter;	/* NAN: no adapter side */
	double	 acc_base;	/* NAN: no base side */
	double	 p;		/* McNemar (or bootstrap) p; NAN: none */
	int	 stale;		/* set by runs_check_stale */
	/* The two subjects shown side by side (runs_read_cases). */
	struct run_side	 adapter_side, base_side;
};

struct runs {
	struct run	*v;	/* newest first */
	size_t		 n;
	/* "FILE: why; skipped" for run directories that cannot be read. */
	char		**warnings;
	size_t		 nwarnings;
};

/* $LOCO_HOME/runs; free it. */
char		*runs_dir(void);

/*
 * Every run: the directories under runs_dir() that hold a run.json, and
 * those the results archive names.  Newest first, then by id.  A run
 * whose run.json cannot be read is left out with a warning; a missing
 * runs directory is no run.  Only a directory that cannot be listed
 * fails.
 */
struct error	*runs_load(struct runs *);
void		 runs_release(struct runs *);

/*
 * The run directory a results.json names (its "run"), or NULL when it
 * names none or cannot be read; free it.  The directory may be gone.
 */
char		*runs_dir_of_result(const char *results_file);

/*
 * Read one run directory: run.json (errors name the file), results.json
 * when there is one, and the cases of the two sides shown (log.jsonl),
 * sorted by id.  id: what to call it (NULL: the directory's name).
 */
struct error	*run_read(const char *dir, const char *id, struct run *);
void		 run_release(struct run *);

/*
 * The run that arg names: a run directory (a path with a '/', or one that
 * exists), else an id of rs.  An unknown id is a usage error with the
 * nearest id ("did you mean") and a pointer to 'loco runs'.
 */
struct error	*runs_find(const struct runs *, const char *arg,
		    const struct run **);

/*
 * Decide which runs are stale: the benchmark file they were measured on
 * changed since, by SHA-256.  A complete run knows its file; for an
 * interrupted one the candidates are the files of the complete runs and
 * the extra ones given (the adapters' standard benchmarks): a run whose
 * recorded hash no candidate has now is stale.  Each file is hashed once.
 * Fails only when interrupted.
 */
struct error	*runs_check_stale(struct run *, size_t n,
		    const char *const *extra, size_t nextra);

/*
 * Two runs case by case on the cases both have finished (by id), each
 * run's adapter side (the base for a base-only run).
 */
struct runs_diff {
	size_t		 n;		/* cases both have */
	size_t		 a_passed, b_passed;
	const char	**only_a;	/* ids only a got right; free the array */
	size_t		 nonly_a;
	const char	**only_b;
	size_t		 nonly_b;
	double		 p;		/* exact McNemar on the two lists */
};

void		 runs_diff(const struct run *a, const struct run *b,
		    struct runs_diff *);
void		 runs_diff_release(struct runs_diff *);

/* A case of both sides of a run, paired by id; either may be NULL. */
struct run_pair {
	const struct run_case	*a;	/* the adapter's */
	const struct run_case	*b;	/* the base's */
};

/* The cases of both sides merged by id (both are sorted): n pairs. */
struct run_pair	*run_pairs(const struct run *, size_t *n);

#endif
