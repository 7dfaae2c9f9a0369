/*
 * complete.c: shell completion from the tables (complete.h).  The command
 * table gives the commands; a command's table of options (opt.h) gives its
 * options, their help as descriptions, and by each option's completion
 * kind its values; a subcommand's table does the same for it.  Operands
 * are found by their place in a usage form of the table ("[name ...]",
 * "run run", "bash | zsh") and completed by their opt_operand's kind.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "complete.h"
#include "config.h"
#include "util.h"
#include "banned.h"

/* The values --adapter takes besides the registry's adapters. */
static const struct {
	const char	*word;
	const char	*desc;
} adapter_values[] = {
	{ "auto", "route the question (the default)" },
	{ "none", "the base model alone" },
};

/* An operand's place in a form's args: "name" of "[name ...]". */
struct place {
	char	*meta;
	int	 repeat;
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

/* Each of the words, separated by sep (" " or "|"). */
static void
add_words(struct complete *c, const char *words, const char *sep)
{
	size_t len;
	char *w;

	while (*words != '\0') {
		words += strspn(words, sep);
		if ((len = strcspn(words, sep)) == 0)
			break;
		w = xstrndup(words, len);
		complete_add(c, w, NULL);
		free(w);
		words += len;
	}
}

/* The values of a kind of operand or option value. */
static void
add_kind(struct complete *c, enum opt_complete kind, const char *words,
    complete_fn fn, void *arg)
{
	const struct config_key *k;
	const struct cmd *t;
	size_t i, n;

	switch (kind) {
	case OC_NONE:
		break;
	case OC_FILE:
		c->kind = COMPLETE_FILES;
		break;
	case OC_DIR:
		c->kind = COMPLETE_DIRS;
		break;
	case OC_ADAPTER:
		fn(c, COMPLETE_ADAPTERS, arg);
		break;
	case OC_DOMAIN:
		fn(c, COMPLETE_DOMAINS, arg);
		break;
	case OC_COMMAND:
		t = cmd_table(&n);
		for (i = 0; i < n; i++)
			complete_add(c, t[i].name, cmd_summary(&t[i]));
		break;
	case OC_KEY:
		k = config_keys(&n);
		for (i = 0; i < n; i++)
			complete_add(c, k[i].name, k[i].help);
		break;
	case OC_WORDS:
		if (words != NULL)
			add_words(c, words, " ");
		break;
	case OC_BACKEND:
		/* The types, then the servers config.yaml names. */
		if ((k = config_key_find("backend.type")) != NULL &&
		    k->choices != NULL)
			add_words(c, k->choices, "|");
		fn(c, COMPLETE_BACKENDS, arg);
		break;
	case OC_RUN:
		/* A path names a run directory; a bare word is an id. */
		if (strchr(c->prefix, '/') != NULL || c->prefix[0] == '.' ||
		    c->prefix[0] == '~')
			c->kind = COMPLETE_DIRS;
		else
			fn(c, COMPLETE_RUNS, arg);
		break;
	}
}

/* The values of option o: its kind's, and its key's choices. */
static void
add_opt_value(struct complete *c, const struct opt *o, complete_fn fn,
    void *arg)
{
	const struct config_key *k;
	size_t i;

	add_kind(c, o->complete, o->words, fn, arg);
	if (o->key != NULL && (k = config_key_find(o->key)) != NULL &&
	    k->type == CONFIG_ENUM && k->choices != NULL)
		add_words(c, k->choices, "|");
	if (o->complete == OC_ADAPTER && o->name != NULL &&
	    strcmp(o->name, "adapter") == 0)
		for (i = 0; i < ARRAY_SIZE(adapter_values); i++)
			complete_add(c, adapter_values[i].word,
			    adapter_values[i].desc);
}

/* Every option of s, by its long name (or its letter), with its help. */
static void
add_options(struct complete *c, const struct optspec *s)
{
	const struct opt *o;
	const char *help;
	char label[64];
	size_t i;

	for (i = 0; i < s->nopts; i++) {
		o = &s->opts[i];
		help = o->help;
		/* "--think" of "[--think | --no-think]": the pair's help. */
		if (help == NULL && (o->flags & OPT_PAIR) && i + 1 < s->nopts)
			help = s->opts[i + 1].help;
		complete_add(c, opt_label(o, label, sizeof(label)), help);
	}
}

static void
set_prefix(struct complete *c, const char *prefix)
{
	free(c->prefix);
	c->prefix = xstrdup(prefix);
}

/* cur is an option: its name, or after "=" its value. */
static void
complete_option(struct complete *c, const struct optspec *s,
    const char *cur, complete_fn fn, void *arg)
{
	const struct opt *o;
	const char *eq;

	if (str_startswith(cur, "--") && (eq = strchr(cur, '=')) != NULL) {
		set_prefix(c, eq + 1);
		if ((o = opt_find(s, cur)) != NULL && o->value != OPT_FLAG)
			add_opt_value(c, o, fn, arg);
		return;
	}
	add_options(c, s);
}

/*
 * Does word w give option o its value in the next word?  Not a flag, not
 * --opt[=value] and not -nVALUE.
 */
static int
takes_next(const struct opt *o, const char *w)
{
	if (o == NULL || o->value != OPT_VALUE)
		return 0;
	if (w[1] == '-')
		return strchr(w, '=') == NULL;
	return w[2] == '\0';
}

static void
places_free(struct place *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].meta);
	free(v);
}

/*
 * The operands of a form's args in order: "[name ...]" is one place
 * that repeats, "bash | zsh" one place, "--" is written, not a place.
 */
static struct place *
form_places(const char *args, size_t *n)
{
	struct place *v = NULL;
	size_t len;
	char *t, *joined;
	int alt = 0;

	*n = 0;
	while (args != NULL && *args != '\0') {
		args += strspn(args, " ");
		if ((len = strcspn(args, " ")) == 0)
			break;
		t = xstrndup(args + strspn(args, "["), len - strspn(args, "["));
		args += len;
		while (*t != '\0' && t[strlen(t) - 1] == ']')
			t[strlen(t) - 1] = '\0';
		if (*t == '\0' || strcmp(t, "--") == 0) {
			free(t);
			continue;
		}
		if (strcmp(t, "...") == 0) {
			if (*n > 0)
				v[*n - 1].repeat = 1;
		} else if (strcmp(t, "|") == 0)
			alt = 1;
		else if (alt && *n > 0) {
			joined = xasprintf("%s | %s", v[*n - 1].meta, t);
			free(v[*n - 1].meta);
			v[*n - 1].meta = joined;
			alt = 0;
		} else {
			v = xreallocarray(v, *n + 1, sizeof(*v));
			v[*n].meta = t;
			v[*n].repeat = 0;
			(*n)++;
			t = NULL;
		}
		free(t);
	}
	return v;
}

/* meta without brackets and a trailing " ...", for comparing. */
static int
meta_is(const char *operand, const char *meta)
{
	size_t len;

	operand += strspn(operand, "[");
	len = strcspn(operand, "]");
	if (len >= 4 && strncmp(operand + len - 4, " ...", 4) == 0)
		len -= 4;
	return strlen(meta) == len && strncmp(operand, meta, len) == 0;
}

/* The operand a form's place names, or NULL. */
static const struct opt_operand *
operand_find(const struct optspec *s, const char *meta)
{
	size_t i;

	for (i = 0; i < s->noperands; i++)
		if (meta_is(s->operands[i].meta, meta))
			return &s->operands[i];
	return NULL;
}

/*
 * Was the option a lead begins with ("--oracle", "--feedback id") given
 * among the words?
 */
static int
lead_given(const char *lead, char *const w[], size_t from, size_t to)
{
	size_t len = strcspn(lead, " ");

	for (; from < to; from++)
		if (strncmp(w[from], lead, len) == 0 &&
		    (w[from][len] == '\0' || w[from][len] == '='))
			return 1;
	return 0;
}

/*
 * The form the words so far are in: one whose option lead was given
 * (*by_option 1), else one whose word lead ("show") is the first operand
 * (*skip 1), else the first without a lead.
 */
static const struct opt_form *
pick_form(const struct optspec *s, char *const w[], size_t from, size_t to,
    char *const ops[], size_t nops, size_t *skip, int *by_option)
{
	const struct opt_form *f;
	size_t i;

	*skip = 0;
	*by_option = 0;
	for (i = 0; i < s->nforms; i++) {
		f = &s->forms[i];
		if (f->lead != NULL && f->lead[0] == '-' &&
		    lead_given(f->lead, w, from, to)) {
			*by_option = 1;
			return f;
		}
	}
	for (i = 0; i < s->nforms && nops > 0; i++) {
		f = &s->forms[i];
		if (f->lead != NULL && f->lead[0] != '-' &&
		    strcmp(f->lead, ops[0]) == 0) {
			*skip = 1;
			return f;
		}
	}
	for (i = 0; i < s->nforms; i++)
		if (s->forms[i].lead == NULL)
			return &s->forms[i];
	return NULL;
}

/*
 * The words after the command (and subcommand), from w[i]: an option's
 * value, an option, or the operand at cur's place.
 */
static void
complete_args(struct complete *c, const struct optspec *s, char *const w[],
    size_t i, size_t nw, complete_fn fn, void *arg)
{
	const char *cur = w[nw - 1];
	const struct opt_operand *op;
	const struct opt_form *f;
	const struct opt *o;
	struct place *places = NULL;
	char **ops;
	size_t from = i, nops = 0, nplaces = 0, skip, k, at;
	int opts_end = 0, by_option;

	ops = xcalloc(nw, sizeof(*ops));
	for (; i < nw - 1; i++) {
		if (!opts_end && strcmp(w[i], "--") == 0)
			opts_end = 1;
		else if (!opts_end && w[i][0] == '-' && w[i][1] != '\0') {
			o = opt_find(s, w[i]);
			if (!takes_next(o, w[i]))
				continue;
			if (i + 1 == nw - 1) {
				add_opt_value(c, o, fn, arg);
				goto done;
			}
			i++;
		} else
			ops[nops++] = w[i];
	}
	if (!opts_end && cur[0] == '-') {
		complete_option(c, s, cur, fn, arg);
		goto done;
	}
	f = pick_form(s, w, from, nw - 1, ops, nops, &skip, &by_option);
	/* The first operand may be a form's word lead: "show". */
	if (nops == 0 && !by_option)
		for (k = 0; k < s->nforms; k++)
			if (s->forms[k].lead != NULL &&
			    s->forms[k].lead[0] != '-')
				complete_add(c, s->forms[k].lead, NULL);
	if (f != NULL)
		places = form_places(f->args, &nplaces);
	at = nops - skip;
	if (at >= nplaces && nplaces > 0 && places[nplaces - 1].repeat)
		at = nplaces - 1;
	if (at >= nplaces) {
		if (!opts_end)
			add_options(c, s);
	} else if ((op = operand_find(s, places[at].meta)) != NULL)
		add_kind(c, op->complete, op->words, fn, arg);
	else if (strstr(places[at].meta, " | ") != NULL)
		/* "on | off" without an entry: its words. */
		add_words(c, places[at].meta, " |");
done:
	places_free(places, nplaces);
	free(ops);
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

void
complete_line(struct complete *c, char *const words[], size_t n,
    complete_fn fn, void *arg)
{
	const struct optspec *s = &loco_spec;
	const struct subcmd *sc;
	const struct cmd *cmd, *t;
	const struct opt *o;
	const char *value;
	char **w;
	size_t nw, i = 0, k, ncmds, nsc;

	memset(c, 0, sizeof(*c));
	w = join_equals(words, n, &nw);
	c->prefix = xstrdup(w[nw - 1]);

	/* loco's own options, up to the command. */
	for (; i < nw - 1; i++) {
		if (strcmp(w[i], "--") == 0) {
			i++;
			break;
		}
		if (w[i][0] != '-')
			break;
		o = opt_find(s, w[i]);
		if (o == NULL || o->value == OPT_FLAG)
			continue;
		if (w[i][1] == '-' && (value = strchr(w[i], '=')) != NULL)
			value++;
		else if (i + 1 == nw - 1) {
			add_opt_value(c, o, fn, arg);
			goto done;
		} else
			value = w[++i];
		if (o->id == O_LOCO_REGISTRY) {
			free(c->registry);
			c->registry = xstrdup(value);
		}
	}
	if (i == nw - 1) {
		if (w[i][0] == '-')
			complete_option(c, s, w[i], fn, arg);
		else {
			t = cmd_table(&ncmds);
			for (k = 0; k < ncmds; k++)
				complete_add(c, t[k].name, cmd_summary(&t[k]));
		}
		goto done;
	}
	if ((cmd = cmd_find(w[i++])) == NULL)
		goto done;
	s = cmd->spec;
	if (cmd->subcmds != NULL) {
		sc = cmd->subcmds(&nsc);
		if (i == nw - 1) {
			for (k = 0; k < nsc && w[i][0] != '-'; k++)
				complete_add(c, sc[k].name, sc[k].spec != NULL ?
				    sc[k].spec->summary : NULL);
			goto done;
		}
		for (k = 0, s = NULL; k < nsc && s == NULL; k++)
			if (strcmp(sc[k].name, w[i]) == 0)
				s = sc[k].spec;
		i++;
	}
	if (s != NULL)
		complete_args(c, s, w, i, nw, fn, arg);
done:
	strv_free(w, nw);
}
