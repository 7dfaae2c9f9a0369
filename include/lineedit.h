/*
 * lineedit.h: reading lines for loco chat.  On a terminal, libedit gives
 * line editing and a persistent input history; otherwise lines are read
 * plainly from standard input, so `loco chat < script.txt` works.  Only
 * lineedit.c sees libedit.
 */
#ifndef LOCO_LINEEDIT_H
#define LOCO_LINEEDIT_H

#include "error.h"

enum lineedit_status {
	LINE_OK,		/* *line holds a line, without its newline */
	LINE_EOF,		/* Ctrl-D on an empty line, or end of input */
	LINE_INTERRUPT		/* Ctrl-C: the line was discarded */
};

struct lineedit;

/*
 * Interactive (libedit) when stdin and stdout are terminals and TERM is
 * not "dumb".  histfile (may be NULL) is loaded now and saved by
 * lineedit_free.
 */
struct lineedit	*lineedit_new(const char *histfile);
int		 lineedit_interactive(const struct lineedit *);
/*
 * Read one line; prompt is shown only when interactive.  *line is
 * allocated (free it) when LINE_OK.  A read error is returned as an
 * error value (EXIT_FAIL).
 */
struct error	*lineedit_read(struct lineedit *, const char *prompt,
		    char **line, enum lineedit_status *);
/* Remember a line in the input history (interactive only). */
void		 lineedit_remember(struct lineedit *, const char *line);
/* Save the history (atomically) and free. */
void		 lineedit_free(struct lineedit *);

#endif
