/*
 * opt.c: parsing, usage and help from a command's table of options
 * (opt.h).  getopt_long does the parsing; the table makes its arrays.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "opt.h"
#include "strbuf.h"
#include "tools.h"
#include "util.h"
#include "banned.h"

/* getopt_long's value for the table's entry i. */
#define OPT_BASE	0x10000
#define HELP_COLUMN	21
#define HELP_WIDTH	76

const char *
opt_label(const struct opt *o, char *buf, size_t size)
{
	if (o->name != NULL)
		snprintf(buf, size, "--%s", o->name);
	else
		snprintf(buf, size, "-%c", o->letter);
	return buf;
}

int
opt_word_in(const char *words, const char *word)
{
	size_t len = strlen(word), n;

	if (len == 0)
		return 0;
	while (*words != '\0') {
		words += strspn(words, " ");
		n = strcspn(words, " ");
		if (n == len && strncmp(words, word, len) == 0)
			return 1;
		words += n;
	}
	return 0;
}

/* The words as a list for a message: "a, b or c". */
static char *
words_list(const char *words)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n, count = 0, i = 0;
	const char *w;

	for (w = words; *(w += strspn(w, " ")) != '\0'; w += strcspn(w, " "))
		count++;
	for (w = words; *(w += strspn(w, " ")) != '\0'; i++) {
		n = strcspn(w, " ");
		if (i > 0)
			strbuf_addstr(&sb, i + 1 == count ? " or " : ", ");
		strbuf_add(&sb, w, n);
		w += n;
	}
	return strbuf_detach(&sb, NULL);
}

/* The nearest of the blank-separated words, copied to buf, or NULL. */
static const char *
word_suggest(const char *words, const char *word, char *buf, size_t size)
{
	char *copy = xstrdup(words), *s, *save = NULL;
	const char *names[64], *hint;
	size_t n = 0;

	for (s = strtok_r(copy, " ", &save); s != NULL && n < 64;
	    s = strtok_r(NULL, " ", &save))
		names[n++] = s;
	hint = str_suggest(word, names, n);
	if (hint != NULL)
		snprintf(buf, size, "%s", hint);
	free(copy);
	return hint != NULL ? buf : NULL;
}

/* Is option o in the form's only list? */
static int
form_has(const struct opt_form *f, const struct opt *o)
{
	char letter[2] = { (char)o->letter, '\0' };

	if (f->only == NULL)
		return !(o->flags & OPT_NOUSAGE);
	return opt_word_in(f->only, o->name != NULL ? o->name : letter);
}

/* "[--name meta]" and its kin. */
static void
usage_opt(struct strbuf *sb, const struct opt *o)
{
	char label[64];

	opt_label(o, label, sizeof(label));
	strbuf_addstr(sb, label);
	if (o->value == OPT_VALUE)
		strbuf_addf(sb, " %s", o->meta);
	else if (o->value == OPT_MAYBE)
		strbuf_addf(sb, "[=%s]", o->meta);
}

char *
opt_usage_line(const struct optspec *s, size_t form)
{
	const struct opt_form *f = &s->forms[form];
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int must;

	strbuf_addstr(&sb, "loco");
	if (*s->name != '\0')
		strbuf_addf(&sb, " %s", s->name);
	if (f->lead != NULL)
		strbuf_addf(&sb, " %s", f->lead);
	for (i = 0; i < s->nopts; i++) {
		const struct opt *o = &s->opts[i];

		if (!form_has(f, o))
			continue;
		/* A required pair: "--modelfile file | --peft dir". */
		must = (o->flags & OPT_MUST) != 0;
		strbuf_addstr(&sb, must ? " " : " [");
		usage_opt(&sb, o);
		while ((o->flags & OPT_PAIR) && i + 1 < s->nopts) {
			o = &s->opts[++i];
			strbuf_addstr(&sb, " | ");
			usage_opt(&sb, o);
		}
		if (!must)
			strbuf_addch(&sb, ']');
	}
	if (f->args != NULL && *f->args != '\0')
		strbuf_addf(&sb, " %s", f->args);
	return strbuf_detach(&sb, NULL);
}

void
opt_usage(const struct optspec *s, FILE *fp)
{
	size_t i;
	char *line;

	for (i = 0; i < s->nforms; i++) {
		line = opt_usage_line(s, i);
		fprintf(fp, "%s%s\n", i == 0 ? "usage: " : "       ", line);
		free(line);
	}
}

/* "  label      help" with help wrapped at HELP_WIDTH. */
static void
help_item(FILE *fp, const char *label, const char *help)
{
	const char *p = help, *end;
	size_t col, room, n;
	int first = 1;

	col = fprintf(fp, "  %s", label);
	if (col + 1 > HELP_COLUMN) {
		if (col + 2 + strlen(help) <= HELP_WIDTH) {
			fprintf(fp, "  %s\n", help);
			return;
		}
		fputc('\n', fp);
		col = 0;
	}
	room = HELP_WIDTH - HELP_COLUMN;
	while (*p != '\0') {
		n = strlen(p);
		if (n > room) {
			/* Break at the last blank that fits. */
			for (end = p + room; end > p && *end != ' '; end--)
				;
			if (end == p)
				end = p + strcspn(p, " ");
			n = (size_t)(end - p);
		}
		fprintf(fp, "%*s%.*s\n", (int)(HELP_COLUMN - (first ? col : 0)),
		    "", (int)n, p);
		first = 0;
		col = 0;
		p += n;
		p += strspn(p, " ");
	}
	if (first)
		fputc('\n', fp);
}

void
opt_help_list(const struct optspec *s, FILE *fp)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < s->nopts; i++) {
		const struct opt *o = &s->opts[i];

		strbuf_reset(&sb);
		usage_opt(&sb, o);
		if ((o->flags & OPT_PAIR) && i + 1 < s->nopts &&
		    o->help == NULL) {
			strbuf_addstr(&sb, ", ");
			usage_opt(&sb, &s->opts[++i]);
			o = &s->opts[i];
		}
		if (o->help == NULL)
			continue;
		if (o->flags & OPT_REPEAT) {
			char *h = xasprintf("%s (repeatable)", o->help);

			help_item(fp, sb.buf, h);
			free(h);
		} else
			help_item(fp, sb.buf, o->help);
	}
	for (i = 0; i < s->noperands; i++)
		if (s->operands[i].help != NULL)
			help_item(fp, s->operands[i].meta, s->operands[i].help);
	if (s->epilog != NULL)
		fputs(s->epilog, fp);
	strbuf_release(&sb);
}

void
opt_help(const struct optspec *s)
{
	opt_usage(s, stdout);
	printf("\n%s.\n", s->summary);
	if (s->nopts > 0 || s->noperands > 0 || s->epilog != NULL) {
		fputc('\n', stdout);
		opt_help_list(s, stdout);
	}
}

void
opt_vmessage(const char *fmt, va_list ap)
{
	fputs("loco: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

struct error *
opt_usage_error(const struct optspec *s, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		opt_vmessage(fmt, ap);
		va_end(ap);
	}
	opt_usage(s, stderr);
	/* Already said; main prints nothing more for an empty message. */
	return error_new(EXIT_USAGE, "%s", "");
}

const struct opt *
opt_find(const struct optspec *s, const char *arg)
{
	size_t i, len;

	if (arg[0] != '-')
		return NULL;
	if (arg[1] == '-') {
		len = strcspn(arg + 2, "=");
		for (i = 0; i < s->nopts; i++)
			if (s->opts[i].name != NULL &&
			    strlen(s->opts[i].name) == len &&
			    strncmp(s->opts[i].name, arg + 2, len) == 0)
				return &s->opts[i];
		return NULL;
	}
	for (i = 0; i < s->nopts; i++)
		if (s->opts[i].letter != 0 && s->opts[i].letter == arg[1])
			return &s->opts[i];
	return NULL;
}

void
opt_init(struct optparse *p, struct loco *lc, const struct optspec *s,
    int argc, char *argv[])
{
	struct option *longs;
	size_t i, n = 0;
	char *sh;
	int own_help = 0;

	memset(p, 0, sizeof(*p));
	p->spec = s;
	p->lc = lc;
	p->in_argc = argc;
	p->in_argv = argv;
	longs = xcalloc(s->nopts + 2, sizeof(*longs));
	sh = xcalloc(2 * s->nopts + 5, 1);
	/* "+:h", or ":h": ours are the errors, and -h. */
	memcpy(sh, (s->flags & OPTSPEC_IN_ORDER) ? "+:h" : ":h",
	    (s->flags & OPTSPEC_IN_ORDER) ? 3 : 2);
	for (i = 0; i < s->nopts; i++) {
		const struct opt *o = &s->opts[i];

		if (o->name != NULL && strcmp(o->name, "help") == 0)
			own_help = 1;
		if (o->letter != 0 && o->letter != 'h') {
			size_t len = strlen(sh);

			sh[len] = (char)o->letter;
			if (o->value == OPT_VALUE)
				sh[len + 1] = ':';
		}
		if (o->name == NULL)
			continue;
		longs[n].name = o->name;
		longs[n].has_arg = o->value == OPT_FLAG ? no_argument :
		    o->value == OPT_VALUE ? required_argument :
		    optional_argument;
		longs[n].val = OPT_BASE + (int)i;
		n++;
	}
	if (!own_help) {
		longs[n].name = "help";
		longs[n].val = 'h';
	}
	p->longs = longs;
	p->shorts = sh;
	p->seen = xcalloc(s->nopts + 1, 1);
	/* glibc: a full reset, and the errors are ours. */
	optind = 0;
	opterr = 0;
}

/* The usage error for getopt's '?' or ':'. */
static struct error *
getopt_error(struct optparse *p, int ch)
{
	const struct optspec *s = p->spec;
	char opt[3] = { '-', (char)optopt, '\0' };
	const char *arg = optind > 0 ? p->in_argv[optind - 1] : "";
	const char *names[128], *hint;
	char *what, *eq, *clean, buf[64];
	struct error *err;
	size_t i, n = 0;

	/* glibc: a flag given "=value" leaves its own value in optopt. */
	if (ch == '?' && optopt >= OPT_BASE &&
	    (size_t)(optopt - OPT_BASE) < s->nopts)
		return opt_usage_error(s, "option '%s' takes no value",
		    opt_label(&s->opts[optopt - OPT_BASE], buf, sizeof(buf)));
	/*
	 * glibc: an unknown long option leaves optopt 0 and has been stepped
	 * over; a short one may sit inside a cluster, so name it by optopt.
	 */
	if ((ch == '?' && optopt == 0) ||
	    (ch == ':' && str_startswith(arg, "--")))
		what = xstrdup(arg);
	else
		what = xstrdup(opt);
	if ((eq = strchr(what, '=')) != NULL)
		*eq = '\0';
	clean = str_sanitize(what, 60);
	if (ch == ':') {
		err = opt_usage_error(s, "option '%s' needs a value", clean);
		goto out;
	}
	if (str_startswith(what, "--")) {
		char *labels = xcalloc(s->nopts + 1, 64);

		for (i = 0; i < s->nopts && n < 128; i++)
			if (s->opts[i].name != NULL)
				names[n++] = opt_label(&s->opts[i],
				    labels + 64 * i, 64);
		names[n++] = "--help";
		hint = str_suggest(what, names, n);
		if (hint != NULL) {
			snprintf(buf, sizeof(buf), "%s", hint);
			free(labels);
			err = opt_usage_error(s, "unknown option '%s'; did you "
			    "mean '%s'?", clean, buf);
			goto out;
		}
		free(labels);
	}
	err = opt_usage_error(s, "unknown option '%s'", clean);
out:
	free(clean);
	free(what);
	return err;
}

/* Apply an option with a key; NULL or the usage error. */
static struct error *
apply_key(struct optparse *p, const struct opt *o, const char *value)
{
	struct error *err, *usage;
	char label[64];

	opt_label(o, label, sizeof(label));
	if (strcmp(o->key, "backend") == 0)
		err = config_backend_choose(&p->lc->cfg, value);
	else
		err = config_set(&p->lc->cfg, o->key, value, CONFIG_SRC_FLAG);
	if (err == NULL)
		return NULL;
	usage = opt_usage_error(p->spec, "%s: %s", label, err->msg);
	error_free(err);
	return usage;
}

/* A value of an OC_WORDS option: one of its words. */
static struct error *
check_words(struct optparse *p, const struct opt *o, const char *value)
{
	char label[64], hint[64];
	char *list, *clean;
	struct error *err;

	if (opt_word_in(o->words, value))
		return NULL;
	opt_label(o, label, sizeof(label));
	list = words_list(o->words);
	clean = str_sanitize(value, 40);
	if (word_suggest(o->words, value, hint, sizeof(hint)) != NULL)
		err = opt_usage_error(p->spec, "%s: '%s' is not one of %s; "
		    "did you mean '%s'?", label, clean, list, hint);
	else
		err = opt_usage_error(p->spec, "%s: '%s' is not one of %s",
		    label, clean, list);
	free(list);
	free(clean);
	return err;
}

static void
release(struct optparse *p)
{
	free(p->longs);
	free(p->shorts);
	free(p->seen);
	p->longs = NULL;
	p->shorts = NULL;
	p->seen = NULL;
}

/* The table's entry for -letter, or NULL. */
static const struct opt *
own_entry(const struct optspec *s, int letter)
{
	size_t i;

	for (i = 0; i < s->nopts; i++)
		if (s->opts[i].letter == letter)
			return &s->opts[i];
	return NULL;
}

/*
 * The usage error when the required option i is absent: "--domain is
 * required", or for a required pair "--modelfile or --peft is required".
 */
static struct error *
missing(struct optparse *p, size_t i)
{
	const struct optspec *s = p->spec;
	struct strbuf sb = STRBUF_INIT;
	struct error *err;
	char label[64];
	size_t k = i;

	for (;;) {
		if (p->seen[k]) {
			strbuf_release(&sb);
			return NULL;
		}
		if (k > i)
			strbuf_addstr(&sb, (s->opts[k].flags & OPT_PAIR) ?
			    ", " : " or ");
		strbuf_addstr(&sb, opt_label(&s->opts[k], label,
		    sizeof(label)));
		if (!(s->opts[k].flags & OPT_PAIR) || k + 1 == s->nopts)
			break;
		k++;
	}
	err = opt_usage_error(s, "%s is required", sb.buf);
	strbuf_release(&sb);
	return err;
}

int
opt_next(struct optparse *p)
{
	const struct optspec *s = p->spec;
	const struct opt *o;
	int ch;
	size_t i;

	if (p->done)
		return p->done > 0 ? 0 : -1;
	for (;;) {
		ch = getopt_long(p->in_argc, p->in_argv, p->shorts,
		    p->longs, NULL);
		if (ch == -1)
			break;
		if (ch == 'h' && own_entry(s, 'h') != NULL)
			ch = OPT_BASE + (int)(own_entry(s, 'h') - s->opts);
		if (ch == 'h') {
			opt_help(s);
			p->done = -1;
			release(p);
			return -1;
		}
		if (ch == '?' || ch == ':') {
			p->err = getopt_error(p, ch);
			p->done = -1;
			release(p);
			return -1;
		}
		if (ch >= OPT_BASE)
			o = &s->opts[ch - OPT_BASE];
		else {
			for (o = NULL, i = 0; i < s->nopts; i++)
				if (s->opts[i].letter == ch)
					o = &s->opts[i];
			if (o == NULL)
				fatal("opt: no entry for -%c", ch);
		}
		p->seen[o - s->opts] = 1;
		p->arg = optarg;
		if (o->value != OPT_FLAG && optarg != NULL &&
		    o->complete == OC_WORDS && o->words != NULL &&
		    (p->err = check_words(p, o, optarg)) != NULL) {
			p->done = -1;
			release(p);
			return -1;
		}
		if (o->key != NULL) {
			const char *v = o->value == OPT_FLAG ? o->set : optarg;

			if (v != NULL && (p->err = apply_key(p, o, v))) {
				p->done = -1;
				release(p);
				return -1;
			}
		}
		if (o->id > 0)
			return o->id;
	}
	for (i = 0; i < s->nopts; i++)
		if ((s->opts[i].flags & OPT_MUST) && (p->err = missing(p, i))) {
			p->done = -1;
			release(p);
			return -1;
		}
	p->argc = p->in_argc - optind;
	p->argv = p->in_argv + optind;
	p->done = 1;
	release(p);
	return 0;
}

struct error *
opt_end(struct optparse *p)
{
	struct error *err = p->err;

	release(p);
	p->done = -1;
	p->err = NULL;
	return err;
}

int
opt_tool_flag(struct optparse *p, int id, struct tool_flags *tf)
{
	struct error *why;

	switch (id) {
	case O_NO_TOOLS:
		tf->no_tools = 1;
		return 1;
	case O_UNSAFE_TOOLS:
		tf->unsafe = 1;
		return 1;
	case O_TOOLS:
		if ((why = tool_list_parse(p->arg, &tf->given)) != NULL) {
			p->err = opt_usage_error(p->spec, "--tools: %s",
			    why->msg);
			error_free(why);
		}
		return 1;
	}
	return 0;
}
