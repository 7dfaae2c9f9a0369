/*
 * results.h: the archive of evaluation results that leaderboard and report
 * read.  Each run of 'loco eval' on an adapter's standard benchmark leaves
 * a copy of its results.json (see cmd_eval.c) at
 *
 *	$LOCO_HOME/results/DOMAIN/ADAPTER@VERSION/YYYYMMDDTHHMMSSZ.json
 *
 * This module reads those files (through json.h), checks whether the
 * benchmark a result was measured on has changed since, and picks the
 * latest result of each adapter.  It also holds the HTML helpers the two
 * commands share, so that escaping lives in one place.
 */
#ifndef LOCO_RESULTS_H
#define LOCO_RESULTS_H

#include <stddef.h>

#include "error.h"
#include "hash.h"
#include "strbuf.h"

/* One model's score in a run. */
struct result_score {
	double	 accuracy;	/* 0..1 */
	double	 ci_low;	/* 95% Wilson interval */
	double	 ci_high;
	long	 passed;
};

struct result {
	char			*file;		/* the results.json read */
	char			*domain;
	char			*adapter;	/* NULL: a base-only run */
	char			*version;
	char			*base_model;
	char			*bench_path;
	char			 bench_sha256[SHA256_HEX_LEN + 1];
	/* The benchmark's hash now, "" when gone (results_check_stale). */
	char			 bench_current[SHA256_HEX_LEN + 1];
	long			 n;
	struct result_score	 score;		/* the adapter's */
	struct result_score	 base;
	double			 p;		/* McNemar; NAN when absent */
	char			*timestamp;	/* "YYYY-MM-DDTHH:MM:SSZ" */
	int			 gate_passed;
	int			 stale;		/* set by results_check_stale */
	/*
	 * How the answers were asked for (results.json "inference"):
	 * "RE2 on, greedy", "RE2 off, 5 votes at 0.7", or "unknown" for a
	 * result from before loco recorded it.
	 */
	char			*settings;
	/* Not measured as the ranked ones are (set by the leaderboard). */
	int			 apart;
};

struct results {
	struct result	*v;
	size_t		 n;
};

/* $LOCO_HOME/results; free it. */
char		*results_dir(void);

/*
 * Read one results.json.  Errors name the file: unreadable, not JSON, or
 * without the fields a result needs (domain, n, scores.base, a timestamp
 * of the form above; an adapter run also needs version and scores.adapter).
 */
struct error	*result_read(const char *path, struct result *);
void		 result_release(struct result *);

/*
 * Load every archived adapter result under dir, ordered by domain,
 * adapter, version and time.  A missing dir is an empty archive; a file
 * that cannot be read is skipped with a warning on stderr, and base-only
 * runs are skipped silently.  Only a directory that cannot be listed
 * fails.
 */
struct error	*results_load(const char *dir, struct results *);
void		 results_release(struct results *);
/* Keep only the results of one domain. */
void		 results_filter_domain(struct results *, const char *domain);

/*
 * Mark each result whose benchmark file is gone or no longer has the
 * recorded SHA-256 as stale.  Each distinct benchmark is hashed once; one
 * that cannot be read counts as changed, with a warning on stderr.  A
 * relative path is taken from the current directory.  Fails only when
 * interrupted.
 */
struct error	*results_check_stale(struct result *, size_t n);

/*
 * The latest result of each DOMAIN/ADAPTER@VERSION (by_version) or of
 * each DOMAIN/ADAPTER: *out points into rs, in rs's order; free *out
 * (not what it points to).  Returns the count.
 */
size_t		 results_latest(const struct results *, int by_version,
		    const struct result ***out);

/* The academic term of a result: "YYYY S1" (Jan-Jun) or "YYYY S2". */
#define RESULT_TERM_LEN 16
void		 result_term(const struct result *, char buf[RESULT_TERM_LEN]);

/*
 * Whether two results can be ranked against each other: the same
 * benchmark (by SHA-256) asked for in the same way.
 */
int		 result_comparable(const struct result *, const struct result *);

/*
 * Ranking order: higher accuracy first, then lower p, then newer, then
 * by name and version so the order never depends on the file system.
 */
int		 result_rank_cmp(const struct result *, const struct result *);

/*
 * A result's fields for --json (leaderboard, report), into the open
 * object of a builder, with "active" unless active is -1; see
 * loco-json(7).
 */
struct jout;
void		 result_json(struct jout *, const struct result *, int active);

/* Append s with &, <, >, " and ' escaped, control characters as '?'. */
void		 html_escape(struct strbuf *, const char *s);
/* Append s for a Markdown table cell: '|' escaped, control characters '?'. */
void		 md_escape(struct strbuf *, const char *s);
/*
 * The start of a self-contained HTML page (inline CSS, nothing loaded
 * from elsewhere) with an escaped title, and its end.
 */
void		 html_begin(struct strbuf *, const char *title);
void		 html_end(struct strbuf *);

#endif
