/*
 * lineedit.c: line input for loco chat, with libedit on a terminal.
 *
 * libedit is used with its own signal handling off (EL_SIGNAL 0): loco's
 * SIGINT handler (util.c, installed without SA_RESTART) makes the read in
 * el_gets fail with EINTR, so Ctrl-C at the prompt discards the line and
 * returns LINE_INTERRUPT instead of ending the program.
 *
 * With LOCO_EDIT_DLOPEN (the default build), libedit is loaded when chat
 * first needs it on a terminal: it and the terminfo and libbsd it brings
 * cost about 0.6 ms at every start of every command otherwise.  If it
 * cannot be loaded, chat says so and reads plain lines.  `make
 * EDIT_DLOPEN=0` links it the ordinary way.
 */
#ifdef LOCO_EDIT_DLOPEN
#include <dlfcn.h>
#endif
#include <errno.h>
#include <histedit.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "lineedit.h"
#include "util.h"
#include "banned.h"

#define HISTORY_SIZE 1000

struct lineedit {
	EditLine	*el;		/* NULL: plain reading */
	History		*hist;
	char		*histfile;
	const char	*prompt;
	int		 dirty;		/* history changed since loading */
};

#ifdef LOCO_EDIT_DLOPEN
#define LIBEDIT_SONAME "libedit.so.2"

static struct {
	void		*dl;
	EditLine	*(*einit)(const char *, FILE *, FILE *, FILE *);
	void		 (*eend)(EditLine *);
	int		 (*eset)(EditLine *, int, ...);
	int		 (*eget)(EditLine *, int, ...);
	const char	*(*egets)(EditLine *, int *);
	int		 (*esource)(EditLine *, const char *);
	History		*(*hinit)(void);
	void		 (*hend)(History *);
	int		 (*hist)(History *, HistEvent *, int, ...);
} edit;

#define el_init		edit.einit
#define el_end		edit.eend
#define el_set		edit.eset
#define el_get		edit.eget
#define el_gets		edit.egets
#define el_source	edit.esource
#define history_init	edit.hinit
#define history_end	edit.hend
#define history		edit.hist

/* Load libedit once; 0 on success, else -1 after saying why. */
static int
edit_load(void)
{
	static const struct {
		const char	*name;
		size_t		 offset;
	} syms[] = {
#define SYM(name, field) { name, offsetof(__typeof__(edit), field) }
		SYM("el_init", einit), SYM("el_end", eend), SYM("el_set", eset),
		SYM("el_get", eget), SYM("el_gets", egets),
		SYM("el_source", esource), SYM("history_init", hinit),
		SYM("history_end", hend), SYM("history", hist),
#undef SYM
	};
	static int failed;
	size_t i;
	void *fn;
	const char *why;

	if (edit.dl != NULL)
		return 0;
	if (failed)
		return -1;
	if ((edit.dl = dlopen(LIBEDIT_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		fprintf(stderr, "loco: cannot load libedit (%s): no line "
		    "editing or input history; install the libedit2 package\n",
		    why ? why : LIBEDIT_SONAME);
		failed = 1;
		return -1;
	}
	for (i = 0; i < ARRAY_SIZE(syms); i++) {
		if ((fn = dlsym(edit.dl, syms[i].name)) == NULL) {
			fprintf(stderr, "loco: cannot load libedit: %s lacks "
			    "%s: no line editing or input history\n",
			    LIBEDIT_SONAME, syms[i].name);
			dlclose(edit.dl);
			edit.dl = NULL;
			failed = 1;
			return -1;
		}
		/* POSIX guarantees data and function pointers convert. */
		memcpy((char *)&edit + syms[i].offset, &fn, sizeof(fn));
	}
	return 0;
}
#else
static int
edit_load(void)
{
	return 0;
}
#endif

static char *
prompt_fn(EditLine *el)
{
	struct lineedit *le = NULL;

	el_get(el, EL_CLIENTDATA, &le);
	return (char *)(le != NULL && le->prompt != NULL ? le->prompt : "");
}

struct lineedit *
lineedit_new(const char *histfile)
{
	struct lineedit *le = xcalloc(1, sizeof(*le));
	const char *term = getenv("TERM");
	HistEvent ev;

	if (histfile != NULL)
		le->histfile = xstrdup(histfile);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) ||
	    (term != NULL && strcmp(term, "dumb") == 0) || edit_load() != 0)
		return le;
	if ((le->el = el_init("loco", stdin, stdout, stderr)) == NULL)
		return le;
	le->hist = history_init();
	history(le->hist, &ev, H_SETSIZE, HISTORY_SIZE);
	history(le->hist, &ev, H_SETUNIQUE, 1);
	if (le->histfile != NULL)
		history(le->hist, &ev, H_LOAD, le->histfile);
	el_set(le->el, EL_CLIENTDATA, le);
	el_set(le->el, EL_PROMPT, prompt_fn);
	el_set(le->el, EL_EDITOR, "emacs");
	el_set(le->el, EL_SIGNAL, 0);
	el_set(le->el, EL_HIST, history, le->hist);
	/* The user's ~/.editrc, as every libedit program reads it. */
	el_source(le->el, NULL);
	return le;
}

int
lineedit_interactive(const struct lineedit *le)
{
	return le->el != NULL;
}

static struct error *
read_plain(char **line, enum lineedit_status *st)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	errno = 0;
	if ((n = getline(&buf, &cap, stdin)) == -1) {
		free(buf);
		if (ferror(stdin) && errno == EINTR) {
			clearerr(stdin);
			*st = LINE_INTERRUPT;
			return NULL;
		}
		if (ferror(stdin))
			return error_new(EXIT_FAIL, "cannot read standard "
			    "input: %s", strerror(errno));
		*st = LINE_EOF;
		return NULL;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	*line = buf;
	*st = LINE_OK;
	return NULL;
}

struct error *
lineedit_read(struct lineedit *le, const char *prompt, char **line,
    enum lineedit_status *st)
{
	const char *s;
	size_t len;
	int count = 0;

	*line = NULL;
	if (le->el == NULL)
		return read_plain(line, st);
	le->prompt = prompt;
	errno = 0;
	s = el_gets(le->el, &count);
	if (s == NULL) {
		if (count == -1 && (errno == EINTR || loco_interrupted)) {
			/* The terminal showed ^C; end that line. */
			fputc('\n', stdout);
			fflush(stdout);
			*st = LINE_INTERRUPT;
			return NULL;
		}
		if (count == -1 && errno != 0)
			return error_new(EXIT_FAIL, "cannot read the terminal: "
			    "%s", strerror(errno));
		fputc('\n', stdout);
		*st = LINE_EOF;
		return NULL;
	}
	len = strlen(s);
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	*line = xstrndup(s, len);
	*st = LINE_OK;
	return NULL;
}

void
lineedit_remember(struct lineedit *le, const char *line)
{
	HistEvent ev;

	if (le->hist == NULL || *line == '\0')
		return;
	history(le->hist, &ev, H_ENTER, line);
	le->dirty = 1;
}

/* H_SAVE writes in place: write a temporary file and rename it over. */
static void
save_history(struct lineedit *le)
{
	HistEvent ev;
	struct error *err;
	char *tmp, *dir;

	dir = path_dirname(le->histfile);
	if ((err = fs_mkdirs(dir, 1)) != NULL) {
		error_free(err);
		free(dir);
		return;
	}
	tmp = xasprintf("%s.tmp.%ld", le->histfile, (long)getpid());
	if (history(le->hist, &ev, H_SAVE, tmp) == -1 ||
	    rename(tmp, le->histfile) == -1)
		unlink(tmp);
	else if ((err = fs_sync_dir(dir)) != NULL)
		error_free(err);
	free(tmp);
	free(dir);
}

void
lineedit_free(struct lineedit *le)
{
	if (le == NULL)
		return;
	if (le->hist != NULL && le->dirty && le->histfile != NULL)
		save_history(le);
	if (le->el != NULL)
		el_end(le->el);
	if (le->hist != NULL)
		history_end(le->hist);
	free(le->histfile);
	free(le);
}
