/*
 * progress.h: progress for pulls, uploads and creates.  When stderr takes
 * rewritten lines (term_level() in util.h: a terminal, TERM not dumb) a
 * single rewritten line with a bar; elsewhere one plain line per change of
 * status, never per byte.
 */
#ifndef LOCO_PROGRESS_H
#define LOCO_PROGRESS_H

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

#endif
