/*
 * complete.c: shell completion from the command table.  A usage line is
 * read the way the SYNOPSIS of loco(1) reads: "[--opt value]" is an
 * option with a value, "[--a | --b]" two flags, "--opt value" without
 * brackets a required option, "name ..." an argument that repeats and
 * "bash | zsh" an argument that is one of those words.  The name of a
 * value says what it is (value_kinds below); any other value gets the
 * words its help line lists, if it lists any, and the value of an option
 * that sets a configuration key of fixed choices gets those choices
 * (option_keys below: loco's own options have no help lines).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "complete.h"
#include "config.h"
#include "strbuf.h"
#include "util.h"
#include "banned.h"

struct copt {
	char	*name;		/* "--adapter" */
	char	*meta;		/* "name", or NULL for a flag */
};

struct arg {
	char	*meta;		/* "question" */
	char	**alts;		/* "bash | zsh": the words it can be */
	size_t	 nalts;
	int	 repeat;	/* "name ..." */
};

/* One usage line: a command, or one of its subcommands. */
struct form {
	char		*name;		/* the subcommand, or NULL */
	const char	*help;		/* describes its options */
	struct copt	*opts;
	size_t		 nopts;
	struct arg	*args;
	size_t		 nargs;
};

enum value_kind { V_NONE, V_FILE, V_DIR, V_ADAPTER, V_DOMAIN, V_COMMAND,
	V_KEY };

/* What a value is, by the name the usage lines give it. */
static const struct {
	const char	*meta;
	enum value_kind	 kind;
} value_kinds[] = {
	{ "adapter", V_ADAPTER },
	{ "command", V_COMMAND },
	{ "dir", V_DIR },
	{ "domain", V_DOMAIN },
	{ "file", V_FILE },
	{ "key", V_KEY },
	{ "name", V_ADAPTER },
	{ "package", V_FILE },		/* or an index name: no network */
	{ "path", V_FILE },		/* a program: --llama-server */
	{ "run", V_FILE },		/* a run directory or results.json */
};

/* Values an option takes besides what its value's name says. */
static const struct {
	const char	*opt;
	const char	*word;
	const char	*desc;
} extra_values[] = {
	{ "--adapter", "auto", "route the question (the default)" },
	{ "--adapter", "none", "the base model alone" },
};

/* Options that set a key of fixed choices, which are their values. */
static const struct {
	const char	*opt;
	const char	*key;
} option_keys[] = {
	{ "--backend", "backend.type" },
};

void
complete_add(struct complete *c, const char *word, const char *desc)
{
	size_t i;

	if (!str_startswith(word, c->prefix))
		return;
	for (i = 0; i < c->n; i++)
		if (strcmp(c->words[i], word) == 0)
			return;
	if (c->n == c->alloc) {
		c->alloc = c->alloc ? c->alloc * 2 : 16;
		c->words = xreallocarray(c->words, c->alloc, sizeof(char *));
		c->descs = xreallocarray(c->descs, c->alloc, sizeof(char *));
	}
	c->words[c->n] = xstrdup(word);
	c->descs[c->n] = desc != NULL && *desc != '\0' ? xstrdup(desc) : NULL;
	c->n++;
}

void
complete_release(struct complete *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->descs[i]);
	strv_free(c->words, c->n);
	free(c->descs);
	free(c->prefix);
	free(c->registry);
	memset(c, 0, sizeof(*c));
}

/* A spec's -h list as text (leaked: completion runs once). */
static const char *
spec_help(const struct optspec *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (fp == NULL)
		return "";
	opt_help_list(s, fp);
	fclose(fp);
	return buf;
}

/* The blank-separated words of s. */
static char **
split_words(const char *s, size_t *n)
{
	char **v = NULL;
	size_t len;

	*n = 0;
	for (;;) {
		s += strspn(s, " \t\n");
		if (*s == '\0')
			return v;
		len = strcspn(s, " \t\n");
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[(*n)++] = xstrndup(s, len);
		s += len;
	}
}

static void
form_release(struct form *f)
{
	size_t i;

	for (i = 0; i < f->nopts; i++) {
		free(f->opts[i].name);
		free(f->opts[i].meta);
	}
	for (i = 0; i < f->nargs; i++) {
		free(f->args[i].meta);
		strv_free(f->args[i].alts, f->args[i].nalts);
	}
	free(f->opts);
	free(f->args);
	free(f->name);
	memset(f, 0, sizeof(*f));
}

static void
forms_free(struct form *forms, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		form_release(&forms[i]);
	free(forms);
}

/* Add the options and arguments of a usage line, after skip words. */
static void
form_parse(struct form *f, const char *line, size_t skip, int with_args)
{
	char **tok, *t;
	size_t ntok, i, len, pending = 0;
	int closes, has_pending = 0, alt = 0;
	struct arg *a;

	tok = split_words(line, &ntok);
	for (i = skip; i < ntok; i++) {
		t = tok[i] + strspn(tok[i], "[");
		len = strlen(t);
		closes = len > 0 && t[len - 1] == ']';
		while (len > 0 && t[len - 1] == ']')
			t[--len] = '\0';
		if (len == 0)
			continue;
		if (strcmp(t, "|") == 0) {
			has_pending = 0;
			alt = 1;
		} else if (strcmp(t, "...") == 0) {
			if (with_args && f->nargs > 0)
				f->args[f->nargs - 1].repeat = 1;
		} else if (t[0] == '-') {
			f->opts = xreallocarray(f->opts, f->nopts + 1,
			    sizeof(*f->opts));
			f->opts[f->nopts].name = xstrdup(t);
			f->opts[f->nopts].meta = NULL;
			pending = f->nopts++;
			has_pending = !closes;
			alt = 0;
		} else if (has_pending) {
			f->opts[pending].meta = xstrdup(t);
			has_pending = 0;
		} else if (!with_args) {
			continue;
		} else if (alt && f->nargs > 0) {
			a = &f->args[f->nargs - 1];
			if (a->nalts == 0) {
				a->alts = xcalloc(1, sizeof(*a->alts));
				a->alts[a->nalts++] = xstrdup(a->meta);
			}
			a->alts = xreallocarray(a->alts, a->nalts + 1,
			    sizeof(*a->alts));
			a->alts[a->nalts++] = xstrdup(t);
			alt = 0;
		} else {
			f->args = xreallocarray(f->args, f->nargs + 1,
			    sizeof(*f->args));
			a = &f->args[f->nargs++];
			memset(a, 0, sizeof(*a));
			a->meta = xstrdup(t);
		}
		if (closes)
			has_pending = 0;
	}
	strv_free(tok, ntok);
}

/* The word at index i of a usage line, or NULL. */
static char *
usage_word(const char *line, size_t i)
{
	char **tok, *w = NULL;
	size_t n;

	tok = split_words(line, &n);
	if (i < n)
		w = xstrdup(tok[i]);
	strv_free(tok, n);
	return w;
}

/*
 * The forms of a command: one per entry of its subcommand table; else one
 * per usage line when each names a subcommand ("loco bench check file");
 * else the command alone.
 */
static struct form *
command_forms(const struct cmd *c, size_t *n)
{
	const struct subcmd *sc;
	struct form *forms;
	const char *u;
	char **lines, *w;
	size_t i, nlines, ns;
	int subs;

	if (c->subcmds != NULL) {
		if ((sc = c->subcmds(&ns)) == NULL || ns == 0)
			return NULL;
		forms = xcalloc(ns, sizeof(*forms));
		for (i = 0; i < ns; i++) {
			forms[i].name = xstrdup(sc[i].name);
			if (sc[i].spec != NULL) {
				size_t j;

				forms[i].help = spec_help(sc[i].spec);
				/* Every form: router eval's --oracle line too. */
				for (j = 0; j < sc[i].spec->nforms; j++) {
					char *line = opt_usage_line(sc[i].spec,
					    j);

					form_parse(&forms[i], line, 3, j == 0);
					free(line);
				}
				continue;
			}
			forms[i].help = sc[i].help;
			form_parse(&forms[i], sc[i].usage, 3, 1);
		}
		*n = ns;
		return forms;
	}
	lines = NULL;
	nlines = 0;
	if (c->spec != NULL) {
		for (i = 0; i < c->spec->nforms; i++) {
			lines = xreallocarray(lines, nlines + 1,
			    sizeof(*lines));
			lines[nlines++] = opt_usage_line(c->spec, i);
		}
		forms = xcalloc(1, sizeof(*forms));
		forms[0].help = spec_help(c->spec);
		for (i = 0; i < nlines; i++)
			form_parse(&forms[0], lines[i], 2, i == 0);
		*n = 1;
		strv_free(lines, nlines);
		return forms;
	}
	for (u = c->usage; *u != '\0'; ) {
		size_t len = strcspn(u, "\n");

		lines = xreallocarray(lines, nlines + 1, sizeof(*lines));
		lines[nlines++] = xstrndup(u, len);
		u += len + (u[len] == '\n');
	}
	subs = nlines > 1;
	for (i = 0; i < nlines && subs; i++) {
		w = usage_word(lines[i], 2);
		subs = w != NULL && islower((unsigned char)w[0]);
		free(w);
	}
	if (subs) {
		forms = xcalloc(nlines, sizeof(*forms));
		for (i = 0; i < nlines; i++) {
			forms[i].name = usage_word(lines[i], 2);
			forms[i].help = c->help;
			form_parse(&forms[i], lines[i], 3, 1);
		}
		*n = nlines;
	} else {
		forms = xcalloc(1, sizeof(*forms));
		forms[0].help = c->help;
		for (i = 0; i < nlines; i++)
			form_parse(&forms[0], lines[i], 2, i == 0);
		*n = 1;
	}
	strv_free(lines, nlines);
	return forms;
}

/* The option named by a word ("--adapter" or "--adapter=math"). */
static const struct copt *
form_opt_find(const struct form *f, const char *word)
{
	size_t i, len = strcspn(word, "=");

	for (i = 0; i < f->nopts; i++)
		if (strlen(f->opts[i].name) == len &&
		    strncmp(f->opts[i].name, word, len) == 0)
			return &f->opts[i];
	return NULL;
}

static int
takes_value(const struct form *f, const char *name)
{
	const struct copt *o = form_opt_find(f, name);

	return o != NULL && o->meta != NULL;
}

/* Append s to sb with runs of white space as one space. */
static void
add_squeezed(struct strbuf *sb, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (isspace((unsigned char)s[i])) {
			if (sb->len > 0 && sb->buf[sb->len - 1] != ' ')
				(void)strbuf_addch(sb, ' ');
		} else
			(void)strbuf_addch(sb, s[i]);
	}
}

/*
 * The description of name in a help text, white space squeezed, or NULL.
 * An entry is a line indented by two spaces: "  --opt value  text" (the
 * value skipped if the option takes one, several options may share it)
 * or "  word  text"; lines indented deeper continue it.
 */
static char *
help_desc(const char *help, const char *name, const struct form *f)
{
	struct strbuf sb;
	const char *line, *p, *end, *gap;
	size_t len;
	int found;

	for (line = help; line != NULL && *line != '\0';
	    line = *end ? end + 1 : NULL) {
		end = line + strcspn(line, "\n");
		if (strncmp(line, "  ", 2) != 0 || line[2] == ' ')
			continue;
		p = line + 2;
		found = 0;
		if (*p == '-') {
			while (p < end && *p == '-') {
				char *tok;

				len = strcspn(p, " \n");
				tok = xstrndup(p, len);
				if (len > 0 && tok[len - 1] == ',')
					tok[len - 1] = '\0';
				found |= strcmp(tok, name) == 0;
				p += len;
				p += strspn(p, " ");
				if (takes_value(f, tok) && *p != '-') {
					p += strcspn(p, " \n");
					p += strspn(p, " ");
				}
				free(tok);
			}
		} else {
			len = strcspn(p, " \n");
			found = strlen(name) == len &&
			    strncmp(p, name, len) == 0;
			p += len;
			if ((gap = strstr(p, "  ")) != NULL && gap < end)
				p = gap;
			p += strspn(p, " ");
		}
		if (!found)
			continue;
		strbuf_init(&sb, 0);
		add_squeezed(&sb, p, (size_t)(end - p));
		/* Continuation lines. */
		while (*end == '\n' && strncmp(end + 1, "   ", 3) == 0) {
			line = end + 1;
			end = line + strcspn(line, "\n");
			(void)strbuf_addch(&sb, ' ');
			add_squeezed(&sb, line, (size_t)(end - line));
		}
		str_trim(sb.buf);
		return strbuf_detach(&sb, NULL);
	}
	return NULL;
}

static int
is_choice_word(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

/*
 * The words a description lists: "table, json, markdown or junit",
 * maybe after "something: " and before "(...)".  0 when it lists none.
 */
static size_t
desc_choices(const char *desc, char ***out)
{
	struct strbuf sb;
	const char *d;
	char *s, *p, *or, **v = NULL;
	size_t n = 0, len;
	int depth = 0;

	*out = NULL;
	strbuf_init(&sb, 0);
	for (d = desc; *d != '\0'; d++) {
		if (*d == '(')
			depth++;
		else if (*d == ')' && depth > 0)
			depth--;
		else if (depth == 0)
			(void)strbuf_addch(&sb, *d);
	}
	s = str_trim(sb.buf);
	if ((p = strrchr(s, ':')) != NULL)
		s = str_trim(p + 1);
	if ((or = strstr(s, " or ")) == NULL)
		goto done;
	for (p = s; ; ) {
		len = p < or ? strcspn(p, ",") : strlen(p);
		if (p < or && p + len > or)
			len = (size_t)(or - p);
		if (!is_choice_word(p, len)) {
			strv_free(v, n);
			v = NULL;
			n = 0;
			goto done;
		}
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = xstrndup(p, len);
		p += len;
		if (*p == '\0')
			break;
		if (strncmp(p, ", ", 2) == 0)
			p += 2;
		else if (strncmp(p, " or ", 4) == 0 && p == or)
			p += 4;
		else {
			strv_free(v, n);
			v = NULL;
			n = 0;
			goto done;
		}
	}
done:
	strbuf_release(&sb);
	if (n < 2) {
		strv_free(v, n);
		return 0;
	}
	*out = v;
	return n;
}

static enum value_kind
value_kind(const char *meta)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(value_kinds); i++)
		if (strcmp(value_kinds[i].meta, meta) == 0)
			return value_kinds[i].kind;
	return V_NONE;
}

/* The choices of the key that option opt sets, if it is in option_keys. */
static void
add_key_choices(struct complete *c, const char *opt)
{
	const struct config_key *k;
	const char *p;
	char *w;
	size_t i, len;

	for (i = 0; i < ARRAY_SIZE(option_keys); i++) {
		if (strcmp(option_keys[i].opt, opt) != 0 ||
		    (k = config_key_find(option_keys[i].key)) == NULL ||
		    k->choices == NULL)
			continue;
		for (p = k->choices; *p != '\0'; p += len + (p[len] == '|')) {
			len = strcspn(p, "|");
			w = xstrndup(p, len);
			complete_add(c, w, NULL);
			free(w);
		}
	}
}

/* Candidates for a value named meta, of option opt (or NULL). */
static void
add_value(struct complete *c, const struct form *f, const char *opt,
    const char *meta, complete_fn fn, void *arg)
{
	const struct cmd *t;
	const struct config_key *k;
	char *desc, **choices;
	size_t i, n;

	switch (value_kind(meta)) {
	case V_FILE:
		c->kind = COMPLETE_FILES;
		return;
	case V_DIR:
		c->kind = COMPLETE_DIRS;
		return;
	case V_ADAPTER:
		fn(c, COMPLETE_ADAPTERS, arg);
		break;
	case V_DOMAIN:
		fn(c, COMPLETE_DOMAINS, arg);
		break;
	case V_COMMAND:
		t = cmd_table(&n);
		for (i = 0; i < n; i++)
			complete_add(c, t[i].name, cmd_summary(&t[i]));
		break;
	case V_KEY:
		k = config_keys(&n);
		for (i = 0; i < n; i++)
			complete_add(c, k[i].name, k[i].help);
		break;
	case V_NONE:
		if (opt == NULL || f == NULL ||
		    (desc = help_desc(f->help, opt, f)) == NULL)
			break;
		n = desc_choices(desc, &choices);
		for (i = 0; i < n; i++)
			complete_add(c, choices[i], NULL);
		strv_free(choices, n);
		free(desc);
		break;
	}
	if (opt == NULL)
		return;
	add_key_choices(c, opt);
	/* --backend also takes the servers config.yaml names. */
	if (strcmp(opt, "--backend") == 0) {
		struct config cfg;
		struct error *err;

		if ((err = config_load(&cfg)) == NULL)
			for (i = 0; i < cfg.nbackends; i++)
				complete_add(c, cfg.backends[i].name,
				    "a server of config.yaml");
		error_free(err);
		config_free(&cfg);
	}
	for (i = 0; i < ARRAY_SIZE(extra_values); i++)
		if (strcmp(extra_values[i].opt, opt) == 0)
			complete_add(c, extra_values[i].word,
			    extra_values[i].desc);
}

static void
add_options(struct complete *c, const struct form *f)
{
	char *desc;
	size_t i;

	for (i = 0; i < f->nopts; i++) {
		desc = f->help ? help_desc(f->help, f->opts[i].name, f) : NULL;
		complete_add(c, f->opts[i].name, desc);
		free(desc);
	}
}

static void
set_prefix(struct complete *c, const char *prefix)
{
	free(c->prefix);
	c->prefix = xstrdup(prefix);
}

/*
 * The word being completed, cur, is an option: its name, or after "=" its
 * value.
 */
static void
complete_option(struct complete *c, const struct form *f, const char *cur,
    complete_fn fn, void *arg)
{
	const struct copt *o;
	const char *eq;

	if (str_startswith(cur, "--") && (eq = strchr(cur, '=')) != NULL) {
		set_prefix(c, eq + 1);
		if ((o = form_opt_find(f, cur)) != NULL && o->meta != NULL)
			add_value(c, f, o->name, o->meta, fn, arg);
		return;
	}
	add_options(c, f);
}

/* bash hands "--opt=value" over as "--opt" "=" "value": join them again. */
static char **
join_equals(char *const words[], size_t n, size_t *nout)
{
	char **v = xcalloc(n + 1, sizeof(*v)), *s;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(words[i], "=") == 0 && k > 0 &&
		    str_startswith(v[k - 1], "--") &&
		    strchr(v[k - 1], '=') == NULL) {
			s = xasprintf("%s=%s", v[k - 1],
			    i + 1 < n ? words[i + 1] : "");
			free(v[k - 1]);
			v[k - 1] = s;
			i += i + 1 < n;
			continue;
		}
		v[k++] = xstrdup(words[i]);
	}
	if (k == 0)
		v[k++] = xstrdup("");
	*nout = k;
	return v;
}

/* The words after the command (and subcommand): which argument is cur? */
static void
complete_args(struct complete *c, const struct form *f, char **w, size_t i,
    size_t nw, complete_fn fn, void *arg)
{
	const char *cur = w[nw - 1];
	const struct copt *o;
	const struct arg *a = NULL;
	size_t nargs = 0, k;
	int opts_end = 0;

	for (; i < nw - 1; i++) {
		if (!opts_end && strcmp(w[i], "--") == 0)
			opts_end = 1;
		else if (!opts_end && w[i][0] == '-' && w[i][1] != '\0') {
			o = form_opt_find(f, w[i]);
			if (o == NULL || o->meta == NULL ||
			    strchr(w[i], '=') != NULL)
				continue;
			if (i + 1 == nw - 1) {
				add_value(c, f, o->name, o->meta, fn, arg);
				return;
			}
			i++;
		} else
			nargs++;
	}
	if (!opts_end && cur[0] == '-') {
		complete_option(c, f, cur, fn, arg);
		return;
	}
	if (nargs < f->nargs)
		a = &f->args[nargs];
	else if (f->nargs > 0 && f->args[f->nargs - 1].repeat)
		a = &f->args[f->nargs - 1];
	if (a == NULL) {
		if (!opts_end)
			add_options(c, f);
	} else if (a->nalts > 0) {
		for (k = 0; k < a->nalts; k++)
			complete_add(c, a->alts[k], NULL);
	} else
		add_value(c, f, NULL, a->meta, fn, arg);
}

void
complete_line(struct complete *c, char *const words[], size_t n,
    complete_fn fn, void *arg)
{
	struct form global, *forms = NULL, *f = NULL;
	const struct cmd *cmd, *t;
	const struct copt *o;
	const char *value;
	char **w, *desc;
	size_t nw, i = 0, k, ncmds, nforms = 0;

	memset(c, 0, sizeof(*c));
	memset(&global, 0, sizeof(global));
	w = join_equals(words, n, &nw);
	c->prefix = xstrdup(w[nw - 1]);
	form_parse(&global, loco_main_usage(), 1, 0);

	/* loco's own options, up to the command. */
	for (; i < nw - 1; i++) {
		if (strcmp(w[i], "--") == 0) {
			i++;
			break;
		}
		if (w[i][0] != '-')
			break;
		if ((o = form_opt_find(&global, w[i])) == NULL || o->meta == NULL)
			continue;
		if ((value = strchr(w[i], '=')) != NULL)
			value++;
		else if (i + 1 == nw - 1) {
			add_value(c, &global, o->name, o->meta, fn, arg);
			goto done;
		} else
			value = w[++i];
		if (strcmp(o->name, "--registry") == 0) {
			free(c->registry);
			c->registry = xstrdup(value);
		}
	}
	if (i == nw - 1) {
		if (w[i][0] == '-')
			complete_option(c, &global, w[i], fn, arg);
		else {
			t = cmd_table(&ncmds);
			for (k = 0; k < ncmds; k++)
				complete_add(c, t[k].name, cmd_summary(&t[k]));
		}
		goto done;
	}
	if ((cmd = cmd_find(w[i++])) == NULL)
		goto done;

	if ((forms = command_forms(cmd, &nforms)) == NULL)
		goto done;
	if (forms[0].name == NULL)
		f = &forms[0];
	else if (i == nw - 1) {
		const struct subcmd *sc = NULL;
		size_t ns = 0;

		if (cmd->subcmds != NULL)
			sc = cmd->subcmds(&ns);
		for (k = 0; k < nforms && w[i][0] != '-'; k++) {
			/* A subcommand's spec has its summary. */
			if (k < ns && sc[k].spec != NULL)
				desc = xstrdup(sc[k].spec->summary);
			else
				desc = help_desc(cmd->help, forms[k].name,
				    &forms[k]);
			complete_add(c, forms[k].name, desc);
			free(desc);
		}
		goto done;
	} else {
		for (k = 0; k < nforms && f == NULL; k++)
			if (strcmp(forms[k].name, w[i]) == 0)
				f = &forms[k];
		if (f == NULL)
			goto done;
		i++;
	}
	complete_args(c, f, w, i, nw, fn, arg);
done:
	forms_free(forms, nforms);
	form_release(&global);
	strv_free(w, nw);
}
