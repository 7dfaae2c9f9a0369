/*
 * strbuf.h: a growable, always NUL-terminated byte buffer with a size cap
 * (git's strbuf invariants, curl's dynbuf cap).
 *
 * After strbuf_init() buf is never NULL.  strbuf_release() frees the contents
 * and leaves an empty, usable buffer.  strbuf_detach() hands the string over.
 * The cap (0 = unlimited) bounds len; appending past it fails with -1 and
 * leaves the buffer unchanged, so a misbehaving server cannot eat memory.
 */
#ifndef LOCO_STRBUF_H
#define LOCO_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

#include "util.h"

struct strbuf {
	char	*buf;
	size_t	 len;
	size_t	 alloc;
	size_t	 cap;
};

#define STRBUF_INIT { strbuf_empty, 0, 0, 0 }
extern char strbuf_empty[];

void	 strbuf_init(struct strbuf *, size_t cap);
void	 strbuf_release(struct strbuf *);
char	*strbuf_detach(struct strbuf *, size_t *len);
void	 strbuf_reset(struct strbuf *);
int	 strbuf_grow(struct strbuf *, size_t extra);
int	 strbuf_add(struct strbuf *, const void *, size_t);
int	 strbuf_addstr(struct strbuf *, const char *);
/* s as one word for a POSIX shell: as is when safe, else in '...'. */
int	 strbuf_addquoted(struct strbuf *, const char *s);
int	 strbuf_addch(struct strbuf *, int);
int	 strbuf_addf(struct strbuf *, const char *, ...) PRINTFLIKE(2, 3);
int	 strbuf_vaddf(struct strbuf *, const char *, va_list)
	    PRINTFLIKE(2, 0);
/* Remove the first n bytes. */
void	 strbuf_remove_front(struct strbuf *, size_t n);
void	 strbuf_setlen(struct strbuf *, size_t);

/*
 * s on one line in at most max characters (UTF-8 sequences count as one):
 * white space squeezed, control characters as '?', "..." where cut.
 */
char		*str_one_line(const char *s, size_t max);

#endif
