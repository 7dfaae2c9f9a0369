/*
 * progress.h: progress on stderr for the steps of setup (pulls, uploads,
 * hashing, creates), and the wait for an answer's first byte.
 *
 * A step is begun with progress_begin, fed the server's status lines by
 * progress_update (an ollama_progress_fn) and ended with progress_end.
 * Its bytes are the sum over the server's layers (each status line with a
 * total is a layer, named by its status: "pulling 6a0746a1ec1a"), so a
 * pull is one bar for the model, not one layer after another; a total may
 * grow or change, a layer may be complete when first seen (its bytes then
 * count as done but not in the rate).  At most 256 layers are kept.
 *
 * Where stderr takes rewritten lines (term_level() in util.h: a terminal,
 * TERM not dumb), one line rewritten as bytes come,
 *
 *   pulling qwen3:4b  [#############.................]   45%  1.2 GB / 2.5 GB  12 MB/s  ETA 1m40s
 *
 * fitted to the width less one column (the bar shrinks to 10; then the
 * estimate goes, then the sizes rather than the rate and estimate, then
 * the rest, then the bar), and ended with what happened: "pulled qwen3:4b: 2.5 GB in 3m12s", or
 * "pulling qwen3:4b: failed at 45%, 1.2 GB of 2.5 GB" ("interrupted" after
 * Ctrl-C).  Elsewhere (a CI log) plain lines: the start, each further
 * tenth or every 10 seconds, "pulling qwen3:4b: 45%, 1.2 GB of 2.5 GB,
 * 12 MB/s, ETA 1m40s", and the same end.  Hashing and creating are brief:
 * on a terminal their line is erased when they end, elsewhere they print
 * nothing unless they last 10 seconds.  quiet prints nothing.
 *
 * Outside a step, progress_update prints each new status as it comes (a
 * bar on a terminal when it has a total), as index downloads use it.
 */
#ifndef LOCO_PROGRESS_H
#define LOCO_PROGRESS_H

#include <stddef.h>

struct error;

enum progress_kind {
	PROGRESS_PULL,		/* "pulling NAME", "pulled NAME" */
	PROGRESS_UPLOAD,	/* "uploading NAME", "uploaded NAME" */
	PROGRESS_HASH,		/* "hashing NAME": brief */
	PROGRESS_CREATE		/* "creating NAME": brief */
};

/* One layer of a step: the status line naming it, and its bytes. */
struct progress_layer {
	char			*key;
	unsigned long long	 completed;
	unsigned long long	 total;
	unsigned long long	 first;		/* completed when first seen */
};

#define PROGRESS_SAMPLES 10

struct progress {
	int	 tty;		/* may draw a bar: TERM_REWRITE or more */
	int	 quiet;		/* print nothing */
	char	*last;		/* the last status printed */
	int	 drawn;		/* a line is on screen, not ended */

	/* The step under way, when active. */
	int			 active;
	enum progress_kind	 kind;
	char			*name;
	char			*phase;		/* the last status without bytes */
	struct progress_layer	*layers;
	size_t			 nlayers;
	long long		 start;
	int			 dirty;		/* redraw: the phase or layers changed */
	int			 last_pct;	/* drawn; -1 none */
	long long		 last_draw;
	int			 last_tenth;	/* plain: tenths printed */
	long long		 last_line;	/* plain: when */
	int			 lines;		/* plain lines of the step */
	/* Bytes moved (not there at first sight) at times, for the rate. */
	long long		 sample_t[PROGRESS_SAMPLES];
	unsigned long long	 sample_b[PROGRESS_SAMPLES];
	size_t			 nsamples;

	/* For tests: the columns (0: the terminal's) and the clock (now_ns). */
	int			 width;
	long long		(*clock)(void);
};

void	progress_init(struct progress *, int tty, int quiet);
/* Begin a step (ending one under way); name is sanitized. p may be NULL. */
void	progress_begin(struct progress *, enum progress_kind,
	    const char *name);
/* An ollama_progress_fn: arg is the struct progress (or NULL). */
void	progress_update(const char *status, unsigned long long completed,
	    unsigned long long total, void *arg);
/*
 * End the step: done when err is NULL, else failed (interrupted for
 * EXIT_INTERRUPT).  p may be NULL.
 */
void	progress_end(struct progress *, const struct error *err);
/* End any step or line (as interrupted); free what the progress holds. */
void	progress_done(struct progress *);

/*
 * The texts, for tests: sizes in decimal units ("512 B", "9.5 kB",
 * "12 MB", "2.5 GB"), durations ("0.4s", "45s", "3m12s", "1h05m"), and the
 * step's line at time now: with bar, fitted to width columns less one;
 * without, the plain line.
 */
void	progress_size(char *buf, size_t len, unsigned long long n);
void	progress_duration(char *buf, size_t len, double seconds);
void	progress_text(const struct progress *, long long now, int bar,
	    int width, char *buf, size_t len);

/*
 * The line for answers waiting for their first byte: "waiting for the
 * model (12s)", or with several in flight "waiting for the model (12s,
 * 3 of 4 requests)"; "" when none has waited a second yet.
 */
void	progress_wait_text(char *buf, size_t len, size_t waiting,
	    size_t running, long long waited_ns);
/*
 * A backend_wait_fn (backend.h), arg the struct progress: the line on
 * stderr, rewritten as it changes and erased when the wait ends.  Draws
 * nothing unless tty is set, nor with quiet.
 */
void	progress_wait(size_t waiting, size_t running, long long waited_ns,
	    void *arg);

#endif
