/*
 * progress.h: progress for pulls, uploads and creates.  When stderr takes
 * rewritten lines (term_level() in util.h: a terminal, TERM not dumb) a
 * single rewritten line with a bar; elsewhere one plain line per change of
 * status, never per byte.
 *
 * And the wait for an answer's first byte (the server's queue, the
 * model's load): a rewritten line while it lasts, on a terminal only.
 */
#ifndef LOCO_PROGRESS_H
#define LOCO_PROGRESS_H

#include <stddef.h>

struct progress {
	int	 tty;		/* may draw a bar: TERM_REWRITE or more */
	int	 quiet;		/* print nothing */
	char	*last;		/* the last status printed */
	int	 drawn;		/* a bar line is on screen */
};

void	progress_init(struct progress *, int tty, int quiet);
/* An ollama_progress_fn: arg is the struct progress. */
void	progress_update(const char *status, unsigned long long completed,
	    unsigned long long total, void *arg);
/* End any bar line. */
void	progress_done(struct progress *);

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
