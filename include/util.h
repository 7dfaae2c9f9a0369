/*
 * util.h: allocation that cannot fail (it ends the program instead), small
 * string helpers, number parsing with range checks, the interrupt flag, and
 * what a terminal may be sent.
 */
#ifndef LOCO_UTIL_H
#define LOCO_UTIL_H

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))
#else
#define PRINTFLIKE(f, a)
#define NORETURN
#endif

/* Set by the SIGINT handler; long operations poll it and stop. */
extern volatile sig_atomic_t loco_interrupted;
void	 interrupt_install(void);

/* Print "loco: fatal: ..." and exit 1.  Only for impossible states. */
NORETURN void fatal(const char *, ...) PRINTFLIKE(1, 2);

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) PRINTFLIKE(1, 2);
char	*xvasprintf(const char *, va_list) PRINTFLIKE(1, 0);

/*
 * Copy of s fit for a terminal or an error message: control characters
 * (C0, DEL and C1 in UTF-8) become '?', and at most max bytes are kept
 * (then "...").
 * max 0 means no limit.
 */
char	*str_sanitize(const char *s, size_t max);
/*
 * For "did you mean" hints: the candidate nearest to word (edit distance,
 * transpositions counted once, at most 2 and less than word's length;
 * ties to the first; NULL entries skipped), or NULL.
 */
const char	*str_suggest(const char *word, const char *const *candidates,
		    size_t n);
/*
 * Does s hold a control character (C0, DEL, or C1 in UTF-8, which some
 * terminals obey as well) other than those in keep ("\n\t", or "")?
 */
int	 str_has_control(const char *s, const char *keep);
/* Does JSON text hold the escape \u0000 (a NUL inside a string)? */
int	 json_has_nul(const char *s, size_t len);

/* Free n strings and the array that holds them. */
void	 strv_free(char **v, size_t n);
/* The directory part of a path ("." when none); caller frees. */
char	*path_dirname(const char *path);
int	 str_startswith(const char *s, const char *prefix);
/* FNV-1a, 64 bits: the hash of loco's string tables. */
uint64_t str_hash(const char *s);
int	 str_endswith(const char *s, const char *suffix);
/* Case-insensitive ASCII comparison. */
int	 str_casecmp(const char *, const char *);
/* Trim ASCII white space in place; returns s. */
char	*str_trim(char *s);

/*
 * Parse a whole string as a number.  Return 0 on success, -1 if s is not a
 * number, has trailing junk, or is outside [min, max].
 */
int	 parse_long(const char *s, long min, long max, long *out);
int	 parse_double(const char *s, double min, double max, double *out);
/* "true/false/yes/no/on/off/1/0" (case-insensitive). */
int	 parse_bool(const char *s, int *out);

/* Monotonic clock in nanoseconds. */
long long	 now_ns(void);

/*
 * What a stream may carry besides plain lines; the one place that
 * decides, so that every progress bar and any colour obey the same rule.
 * Rewriting a line ("\r", "\033[K": progress bars and counters) needs a
 * terminal whose TERM is set and not "dumb"; colour also needs NO_COLOR
 * unset or empty (no-color.org).  Each level allows the ones before it.
 * loco draws no colour yet.
 */
enum term_level {
	TERM_PLAIN,		/* lines only: a file, a pipe, TERM=dumb */
	TERM_REWRITE,		/* progress bars, but no colour */
	TERM_COLOR
};

enum term_level	 term_level(int fd);
/* The rule itself: isatty(), $TERM and $NO_COLOR (NULL when unset). */
enum term_level	 term_level_of(int tty, const char *term,
		    const char *no_color);

#endif
