/*
 * registry.c: load and validate the adapter registry (loco-registry(5)).
 * Every check happens here, at load time, so the commands can trust a
 * struct registry and every mistake in the file is reported with its
 * file:line:column instead of surfacing later as an odd Ollama error.
 */
#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "fsutil.h"
#include "hash.h"
#include "registry.h"
#include "strbuf.h"
#include "util.h"
#include "ydoc.h"
#include "banned.h"

#ifndef LOCO_DATADIR
#define LOCO_DATADIR "/usr/local/share/loco"
#endif

#define NAME_MAX_LEN	64

static const char *const top_keys[] = {
	"version", "base_model", "domains", "adapters"
};
static const char *const base_keys[] = {
	"name", "tag", "quantization", "architecture", "file", "url", "sha256"
};
static const char *const adapter_keys[] = {
	"name", "version", "domain", "type", "description", "system",
	"router_keywords", "keyword_weights", "parameters", "file", "sha256",
	"tag", "benchmark", "answer_type", "answer_pattern", "router_examples",
	"tags", "scores", "active", "compose", "tools", "tool_format"
};
static const char *const part_keys[] = { "adapter", "scale" };
static const char *const default_domains[] = {
	"math", "code", "analysis", "writing"
};
/* In the order of enum adapter_type. */
static const char *const type_names[] = {
	"lora", "merged", "prompt", "tag", "compose"
};
static const char *const answer_types[] = {
	"number", "choice", "regex", "code", "text"
};
/* The tools of tools.h, and how a model calls them. */
static const char *const tool_names[] = { "python", "sympy" };
static const char *const tool_formats[] = { "text", "native" };

/* What is being loaded, for messages: path, and "adapter 'x'" etc. */
struct rctx {
	const char	*path;
	const char	*dir;
	const char	*what;
};

static struct error *
reg_error(const struct rctx *c, const struct ynode *n, const char *fmt, ...)
    PRINTFLIKE(3, 4);

/* "PATH:L:C: WHAT: message" */
static struct error *
reg_error(const struct rctx *c, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	struct error *err;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (c->what != NULL)
		err = ydoc_error(c->path, n, "%s: %s", c->what, msg);
	else
		err = ydoc_error(c->path, n, "%s", msg);
	free(msg);
	return err;
}

static int
reg_lookup(const char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return (int)i;
	return -1;
}

static char *
reg_join(const char *const *list, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", list[i]);
	return strbuf_detach(&sb, NULL);
}

/*
 * Unknown keys are reported before anything else so a misspelt key is
 * named as such rather than as a missing one.  where is "adapter 'x'" or
 * "base_model", or NULL for the top level.
 */
static struct error *
reg_check_keys(const char *path, const struct ynode *map,
    const char *const *known, size_t nknown, const char *where)
{
	const struct ynode *k;
	const char *hint;
	char *safe, *h;
	struct error *err;
	size_t i;

	for (i = 0; i < map->nents; i++) {
		k = map->ents[i].key;
		if (reg_lookup(known, nknown, k->value) != -1)
			continue;
		hint = str_suggest(k->value, known, nknown);
		h = hint ? xasprintf("; did you mean '%s'?", hint) :
		    xstrdup("");
		safe = str_sanitize(k->value, 80);
		if (where == NULL)
			err = ydoc_error(path, k, "unknown top-level key '%s'%s",
			    safe, h);
		else
			err = ydoc_error(path, k, "unknown key '%s' in %s%s",
			    safe, where, h);
		free(safe);
		free(h);
		return err;
	}
	return NULL;
}

/* The value of key, or NULL if it is absent or null. */
static const struct ynode *
reg_get(const struct ynode *map, const char *key)
{
	const struct ynode *n = ydoc_get(map, key);

	return ydoc_is_null(n) ? NULL : n;
}

/*
 * A string value.  Required: absent is "missing required key" at the map,
 * present but empty is an error at the value.
 */
static struct error *
reg_string(const struct rctx *c, const struct ynode *map, const char *key,
    int required, char **out)
{
	const struct ynode *n = ydoc_get(map, key);

	*out = NULL;
	if (n == NULL) {
		if (required)
			return reg_error(c, map, "missing required key '%s'",
			    key);
		return NULL;
	}
	if (ydoc_is_null(n)) {
		if (required)
			return reg_error(c, n, "'%s' must not be empty", key);
		return NULL;
	}
	if (n->type != YNODE_SCALAR)
		return reg_error(c, n, "'%s' must be a string", key);
	if (required && *n->value == '\0')
		return reg_error(c, n, "'%s' must not be empty", key);
	*out = xstrdup(n->value);
	return NULL;
}

static struct error *
reg_string_list(const struct rctx *c, const struct ynode *map,
    const char *key, char ***out, size_t *nout)
{
	const struct ynode *n = reg_get(map, key), *it;
	size_t i;

	if (n == NULL)
		return NULL;
	if (n->type != YNODE_SEQ)
		return reg_error(c, n, "'%s' must be a list of strings", key);
	*out = xcalloc(n->nitems, sizeof(**out));
	for (i = 0; i < n->nitems; i++) {
		it = n->items[i];
		if (it->type != YNODE_SCALAR || ydoc_is_null(it))
			return reg_error(c, it, "'%s' must be a list of strings",
			    key);
		(*out)[(*nout)++] = xstrdup(it->value);
	}
	return NULL;
}

/* A finite number written in decimal, the way JSON would accept it. */
static int
reg_number(const char *s, double *out)
{
	const char *p;
	long v = 0;

	if (*s == '\0')
		return -1;
	/*
	 * Most are small whole numbers (weights of 1, 2, 3), which strtod
	 * would give exactly: spare it, it costs more than the rest of a
	 * keyword's checks.
	 */
	for (p = s; *p >= '0' && *p <= '9' && p - s < 9; p++)
		v = v * 10 + (*p - '0');
	if (*p == '\0') {
		*out = (double)v;
		return 0;
	}
	for (p = s; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p) && *p != '+' && *p != '-' &&
		    *p != '.' && *p != 'e' && *p != 'E')
			return -1;
	return parse_double(s, -HUGE_VAL, HUGE_VAL, out);
}

/* The path named in the registry, relative to the registry's directory. */
static char *
reg_resolve(const char *dir, const char *file)
{
	if (file[0] == '/')
		return xstrdup(file);
	return xasprintf("%s/%s", dir, file);
}

/*
 * router_examples: a list, or the name of a text file (relative to the
 * registry) with one example a line, read only when the examples are
 * needed (registry_examples), so that a large set does not slow down
 * every command that loads the registry.
 */
static struct error *
reg_examples(const struct rctx *c, const struct ynode *map,
    struct adapter *a)
{
	const struct ynode *n = reg_get(map, "router_examples");

	if (n != NULL && n->type == YNODE_SCALAR && !ydoc_is_null(n)) {
		if (*n->value == '\0')
			return reg_error(c, n, "'router_examples' must be a list "
			    "of strings or the name of a file");
		a->examples_file = reg_resolve(c->dir, n->value);
		return NULL;
	}
	return reg_string_list(c, map, "router_examples", &a->examples,
	    &a->nexamples);
}

int
reg_name_ok(const char *s)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > NAME_MAX_LEN)
		return 0;
	if (!islower((unsigned char)s[0]) && !isdigit((unsigned char)s[0]))
		return 0;
	for (i = 1; i < len; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && strchr("_.-", s[i]) == NULL)
			return 0;
	return 1;
}

/* MAJOR, MINOR, PATCH: 0 or no leading zero. */
static const char *
semver_number(const char *s)
{
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	if (*s == '0' && p - s > 1)
		return NULL;
	return p;
}

/* Dot-separated identifiers of [0-9A-Za-z-]; numeric ones checked if asked. */
static const char *
semver_idents(const char *p, int numeric_rule)
{
	const char *start;
	int alldigits;

	for (;;) {
		start = p;
		alldigits = 1;
		while (isalnum((unsigned char)*p) || *p == '-') {
			if (!isdigit((unsigned char)*p))
				alldigits = 0;
			p++;
		}
		if (p == start)
			return NULL;
		if (numeric_rule && alldigits && *start == '0' && p - start > 1)
			return NULL;
		if (*p != '.')
			return p;
		p++;
	}
}

/* Semantic Versioning 2.0.0: 1.2.3, 1.2.3-rc.1, 1.2.3+build.5. */
int
semver_ok(const char *s)
{
	const char *p = s;
	int i;

	for (i = 0; i < 3; i++) {
		if ((p = semver_number(p)) == NULL)
			return 0;
		if (i < 2 && *p++ != '.')
			return 0;
	}
	if (*p == '-' && (p = semver_idents(p + 1, 1)) == NULL)
		return 0;
	if (*p == '+' && (p = semver_idents(p + 1, 0)) == NULL)
		return 0;
	return *p == '\0';
}

/* Lower-case ASCII, one space between words, trimmed. */
static char *
reg_phrase(const char *s)
{
	/* Never longer than s: written straight into its final buffer. */
	char *out = xmalloc(strlen(s) + 1);
	size_t len = 0;
	int space = 0;

	for (; *s != '\0'; s++) {
		if (isspace((unsigned char)*s)) {
			space = 1;
			continue;
		}
		if (space && len > 0)
			out[len++] = ' ';
		space = 0;
		/* ASCII only, as loco keeps the C locale: no call a byte. */
		out[len++] = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') :
		    *s;
	}
	out[len] = '\0';
	return out;
}

static struct keyword *
reg_keyword_find(struct adapter *a, const char *phrase)
{
	size_t i;

	for (i = 0; i < a->nkeywords; i++)
		if (a->keywords[i].phrase[0] == phrase[0] &&
		    strcmp(a->keywords[i].phrase, phrase) == 0)
			return &a->keywords[i];
	return NULL;
}

/* The weight of a keyword: a positive, finite number. */
static struct error *
reg_weight(const struct rctx *c, const struct ynode *v, const char *phrase,
    double *w)
{
	char *safe, *sphrase;
	struct error *err;

	if (v->type == YNODE_SCALAR && reg_number(v->value, w) == 0 && *w > 0)
		return NULL;
	safe = v->type == YNODE_SCALAR ? str_sanitize(v->value, 80) :
	    xstrdup(ydoc_type_name(v));
	sphrase = str_sanitize(phrase, 80);
	err = reg_error(c, v,
	    "weight of keyword '%s' must be a positive number, not '%s'",
	    sphrase, safe);
	free(sphrase);
	free(safe);
	return err;
}

/*
 * router_keywords: a list (weight 1 each) or a map phrase -> weight;
 * keyword_weights then sets or adds weights.
 */
static struct error *
reg_keywords(const struct rctx *c, const struct ynode *map, struct adapter *a)
{
	const struct ynode *n = reg_get(map, "router_keywords"), *pn;
	const struct ynode *wn = NULL;
	struct keyword *kw;
	struct error *err;
	char *phrase, *safe;
	double w;
	size_t i, count;

	if (n != NULL) {
		if (n->type == YNODE_SCALAR)
			return reg_error(c, n, "'router_keywords' must be a "
			    "list of strings or a mapping of phrases to "
			    "weights");
		count = n->type == YNODE_SEQ ? n->nitems : n->nents;
		a->keywords = xcalloc(count, sizeof(*a->keywords));
		for (i = 0; i < count; i++) {
			w = 1.0;
			if (n->type == YNODE_SEQ) {
				pn = n->items[i];
				if (pn->type != YNODE_SCALAR ||
				    ydoc_is_null(pn))
					return reg_error(c, pn,
					    "'router_keywords' must be a list "
					    "of strings or a mapping of "
					    "phrases to weights");
			} else {
				pn = n->ents[i].key;
				wn = n->ents[i].value;
			}
			phrase = reg_phrase(pn->value);
			if (*phrase == '\0') {
				free(phrase);
				return reg_error(c, pn,
				    "empty keyword in 'router_keywords'");
			}
			if (reg_keyword_find(a, phrase) != NULL) {
				safe = str_sanitize(phrase, 80);
				err = reg_error(c, pn,
				    "duplicate keyword '%s'", safe);
				free(safe);
				free(phrase);
				return err;
			}
			if (n->type == YNODE_MAP &&
			    (err = reg_weight(c, wn, phrase, &w)) != NULL) {
				free(phrase);
				return err;
			}
			a->keywords[a->nkeywords].phrase = phrase;
			a->keywords[a->nkeywords].weight = w;
			a->nkeywords++;
		}
	}

	if ((n = reg_get(map, "keyword_weights")) == NULL)
		return NULL;
	if (n->type != YNODE_MAP)
		return reg_error(c, n, "'keyword_weights' must be a mapping of "
		    "phrases to weights");
	for (i = 0; i < n->nents; i++) {
		phrase = reg_phrase(n->ents[i].key->value);
		if (*phrase == '\0') {
			free(phrase);
			return reg_error(c, n->ents[i].key,
			    "empty keyword in 'keyword_weights'");
		}
		if ((err = reg_weight(c, n->ents[i].value, phrase, &w))
		    != NULL) {
			free(phrase);
			return err;
		}
		if ((kw = reg_keyword_find(a, phrase)) != NULL) {
			kw->weight = w;
			free(phrase);
			continue;
		}
		a->keywords = xreallocarray(a->keywords, a->nkeywords + 1,
		    sizeof(*a->keywords));
		a->keywords[a->nkeywords].phrase = phrase;
		a->keywords[a->nkeywords].weight = w;
		a->nkeywords++;
	}
	return NULL;
}

/*
 * Ollama's options and their types: /api/create stores parameters
 * without checking them, and a float option given a string then fails
 * every request to the model with a 500.
 */
static const struct {
	const char		*name;
	enum param_type		 type;
} param_types[] = {
	{ "f16_kv", PARAM_BOOL }, { "frequency_penalty", PARAM_FLOAT },
	{ "low_vram", PARAM_BOOL }, { "main_gpu", PARAM_INT },
	{ "min_p", PARAM_FLOAT }, { "mirostat", PARAM_INT },
	{ "mirostat_eta", PARAM_FLOAT }, { "mirostat_tau", PARAM_FLOAT },
	{ "num_batch", PARAM_INT }, { "num_ctx", PARAM_INT },
	{ "num_gpu", PARAM_INT }, { "num_keep", PARAM_INT },
	{ "num_predict", PARAM_INT }, { "num_thread", PARAM_INT },
	{ "numa", PARAM_BOOL }, { "penalize_newline", PARAM_BOOL },
	{ "presence_penalty", PARAM_FLOAT }, { "repeat_last_n", PARAM_INT },
	{ "repeat_penalty", PARAM_FLOAT }, { "seed", PARAM_INT },
	{ "stop", PARAM_STRING }, { "temperature", PARAM_FLOAT },
	{ "tfs_z", PARAM_FLOAT }, { "top_k", PARAM_INT },
	{ "top_p", PARAM_FLOAT }, { "typical_p", PARAM_FLOAT },
	{ "use_mlock", PARAM_BOOL }, { "use_mmap", PARAM_BOOL },
	{ "vocab_only", PARAM_BOOL },
};

enum param_type
param_type(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(param_types); i++)
		if (strcmp(param_types[i].name, name) == 0)
			return param_types[i].type;
	return PARAM_UNKNOWN;
}

static struct error *
reg_param_add(const struct rctx *c, struct adapter *a, const char *name,
    const struct ynode *v)
{
	enum param_type t = param_type(name);
	struct param *p;
	double d;
	long l;
	int b;

	/* The option's type decides, however the value was quoted. */
	if ((t == PARAM_FLOAT && reg_number(v->value, &d) == -1) ||
	    (t == PARAM_INT && parse_long(v->value, LONG_MIN + 1, LONG_MAX,
	    &l) == -1) ||
	    (t == PARAM_BOOL && (parse_bool(v->value, &b) == -1 ||
	    (strcmp(v->value, "true") != 0 &&
	    strcmp(v->value, "false") != 0)))) {
		char *safe = str_sanitize(v->value, 60);
		struct error *err = reg_error(c, v, "parameter '%s' must be %s, "
		    "not '%s'", name, t == PARAM_FLOAT ? "a number" :
		    t == PARAM_INT ? "a whole number" : "true or false", safe);

		free(safe);
		return err;
	}
	a->params = xreallocarray(a->params, a->nparams + 1,
	    sizeof(*a->params));
	p = &a->params[a->nparams++];
	p->name = xstrdup(name);
	p->value = xstrdup(v->value);
	p->is_number = 0;
	if (t == PARAM_FLOAT || t == PARAM_INT)
		p->is_number = 1;
	else if (t == PARAM_UNKNOWN)
		/* A quoted "42" is the user asking for the text. */
		p->is_number = v->plain && reg_number(v->value, &d) == 0;
	return NULL;
}

static struct error *
reg_params(const struct rctx *c, const struct ynode *map, struct adapter *a)
{
	const struct ynode *n = reg_get(map, "parameters"), *v;
	const char *name;
	struct error *err;
	size_t i, j;

	if (n == NULL)
		return NULL;
	if (n->type != YNODE_MAP)
		return reg_error(c, n, "'parameters' must be a mapping");
	for (i = 0; i < n->nents; i++) {
		name = n->ents[i].key->value;
		v = n->ents[i].value;
		if (*name == '\0')
			return reg_error(c, n->ents[i].key,
			    "empty parameter name");
		/* Names go into a Modelfile and into messages: keep them tame. */
		for (j = 0; name[j] != '\0'; j++) {
			if (!isalnum((unsigned char)name[j]) &&
			    name[j] != '_') {
				char *safe = str_sanitize(name, 80);

				err = reg_error(c, n->ents[i].key, "parameter "
				    "name '%s' must be letters, digits and '_'",
				    safe);
				free(safe);
				return err;
			}
		}
		if (v->type == YNODE_SEQ) {
			for (j = 0; j < v->nitems; j++) {
				if (v->items[j]->type != YNODE_SCALAR ||
				    ydoc_is_null(v->items[j]))
					return reg_error(c, v->items[j],
					    "parameter '%s' must be a scalar "
					    "or a list of scalars", name);
				if ((err = reg_param_add(c, a, name,
				    v->items[j])) != NULL)
					return err;
			}
		} else if (v->type == YNODE_SCALAR && !ydoc_is_null(v)) {
			if ((err = reg_param_add(c, a, name, v)) != NULL)
				return err;
		} else
			return reg_error(c, v, "parameter '%s' must be a scalar "
			    "or a list of scalars", name);
	}
	return NULL;
}

static struct error *
reg_scores(const struct rctx *c, const struct ynode *map, struct adapter *a)
{
	const struct ynode *n = reg_get(map, "scores"), *v;
	struct error *err;
	char *safe;
	double d;
	size_t i;

	if (n == NULL)
		return NULL;
	if (n->type != YNODE_MAP)
		return reg_error(c, n, "'scores' must be a mapping of names "
		    "to numbers");
	a->scores = xcalloc(n->nents, sizeof(*a->scores));
	for (i = 0; i < n->nents; i++) {
		v = n->ents[i].value;
		if (v->type != YNODE_SCALAR || reg_number(v->value, &d) == -1) {
			safe = str_sanitize(n->ents[i].key->value, 80);
			err = reg_error(c, v, "score '%s' must be a number",
			    safe);
			free(safe);
			return err;
		}
		a->scores[a->nscores].name = xstrdup(n->ents[i].key->value);
		a->scores[a->nscores].value = d;
		a->nscores++;
	}
	return NULL;
}

static struct error *
reg_version(const struct rctx *c, const struct ynode *map, struct adapter *a)
{
	const struct ynode *n = ydoc_get(map, "version");
	struct error *err;
	char *safe;
	double d;

	if ((err = reg_string(c, map, "version", 1, &a->version)) != NULL)
		return err;
	if (semver_ok(a->version))
		return NULL;
	safe = str_sanitize(a->version, 80);
	/* version: 1.0 is a float to YAML; the user meant a string. */
	if (n->plain && reg_number(n->value, &d) == 0)
		err = reg_error(c, n, "'version' must be a semantic version "
		    "like \"1.0.0\" (quoted), not the number %s", safe);
	else
		err = reg_error(c, n, "'version' must be a semantic version "
		    "like 1.0.0, not '%s'", safe);
	free(safe);
	return err;
}

/* Keys that only some types may have. */
static struct error *
reg_type_keys(const struct rctx *c, const struct ynode *map,
    struct adapter *a)
{
	const char *type = adapter_type_name(a->type);
	int wants_file = a->type == ADAPTER_LORA || a->type == ADAPTER_MERGED;
	const struct ynode *n;
	struct error *err;
	char *s;

	if ((err = reg_string(c, map, "file", wants_file, &s)) != NULL) {
		if (ydoc_get(map, "file") == NULL) {
			error_free(err);
			err = reg_error(c, map, "missing required key 'file' "
			    "for type %s", type);
		}
		return err;
	}
	if (s != NULL && !wants_file) {
		free(s);
		return reg_error(c, ydoc_get(map, "file"),
		    "'file' is not allowed for type %s", type);
	}
	if (s != NULL) {
		a->file = reg_resolve(c->dir, s);
		free(s);
	}

	if ((err = reg_string(c, map, "tag", a->type == ADAPTER_TAG,
	    &a->tag)) != NULL) {
		if (ydoc_get(map, "tag") == NULL) {
			error_free(err);
			err = reg_error(c, map, "missing required key 'tag' "
			    "for type tag");
		}
		return err;
	}
	if (a->tag != NULL && a->type != ADAPTER_TAG)
		return reg_error(c, ydoc_get(map, "tag"),
		    "'tag' is only allowed for type tag");

	if ((err = reg_string(c, map, "answer_type", 0, &a->answer_type))
	    != NULL)
		return err;
	if (a->answer_type != NULL && reg_lookup(answer_types,
	    ARRAY_SIZE(answer_types), a->answer_type) == -1) {
		char *list = reg_join(answer_types, ARRAY_SIZE(answer_types));

		s = str_sanitize(a->answer_type, 80);
		err = reg_error(c, ydoc_get(map, "answer_type"),
		    "'answer_type' must be one of %s, not '%s'", list, s);
		free(list);
		free(s);
		return err;
	}
	n = ydoc_get(map, "answer_pattern");
	if (a->answer_type != NULL && strcmp(a->answer_type, "regex") == 0) {
		if ((err = reg_string(c, map, "answer_pattern", 1,
		    &a->answer_pattern)) != NULL) {
			if (n == NULL) {
				error_free(err);
				err = reg_error(c, map, "missing required key "
				    "'answer_pattern' for answer_type regex");
			}
			return err;
		}
	} else if (!ydoc_is_null(n))
		return reg_error(c, n, "'answer_pattern' is only allowed with "
		    "answer_type regex");
	return NULL;
}

/* tools: a list of known tools; tool_format: text or native. */
static struct error *
reg_tools(const struct rctx *c, const struct ynode *map, struct adapter *a)
{
	const struct ynode *n;
	struct error *err;
	char *list, *safe;
	size_t i;

	if ((err = reg_string_list(c, map, "tools", &a->tools, &a->ntools))
	    != NULL)
		return err;
	n = reg_get(map, "tools");
	for (i = 0; i < a->ntools; i++) {
		if (reg_lookup(tool_names, ARRAY_SIZE(tool_names),
		    a->tools[i]) != -1)
			continue;
		list = reg_join(tool_names, ARRAY_SIZE(tool_names));
		safe = str_sanitize(a->tools[i], 80);
		err = reg_error(c, n->items[i], "'tools': unknown tool '%s' "
		    "(known: %s)", safe, list);
		free(list);
		free(safe);
		return err;
	}
	if ((err = reg_string(c, map, "tool_format", 0, &a->tool_format))
	    != NULL || a->tool_format == NULL)
		return err;
	n = reg_get(map, "tool_format");
	if (reg_lookup(tool_formats, ARRAY_SIZE(tool_formats),
	    a->tool_format) == -1) {
		safe = str_sanitize(a->tool_format, 80);
		err = reg_error(c, n, "'tool_format' must be text or native, "
		    "not '%s'", safe);
		free(safe);
		return err;
	}
	if (a->ntools == 0)
		return reg_error(c, n, "'tool_format' needs 'tools'");
	return NULL;
}

/* sha256: 64 hex digits, "sha256:" allowed before them; kept lower case. */
static struct error *
reg_sha256(const struct rctx *c, const struct ynode *map, char **out)
{
	struct error *err;
	char *s, *hex, *safe;
	size_t i;

	if ((err = reg_string(c, map, "sha256", 0, &s)) != NULL || s == NULL)
		return err;
	hex = str_startswith(s, "sha256:") ? s + 7 : s;
	for (i = 0; hex[i] != '\0' && isxdigit((unsigned char)hex[i]); i++)
		hex[i] = (char)tolower((unsigned char)hex[i]);
	if (i != 64 || hex[i] != '\0') {
		safe = str_sanitize(s, 80);
		err = reg_error(c, ydoc_get(map, "sha256"),
		    "'sha256' must be 64 hexadecimal digits, not '%s'", safe);
		free(safe);
		free(s);
		return err;
	}
	*out = xstrdup(hex);
	free(s);
	return NULL;
}

/* NAME or NAME@VERSION, as registry_find takes it. */
static int
reg_ref_ok(const char *s)
{
	const char *at = strchr(s, '@');
	char *name;
	int ok;

	if (at == NULL)
		return reg_name_ok(s);
	name = xstrndup(s, (size_t)(at - s));
	ok = reg_name_ok(name) && semver_ok(at + 1);
	free(name);
	return ok;
}

/* Does the reference ref name the adapter a itself? */
static int
reg_ref_is(const char *ref, const struct adapter *a)
{
	size_t len = strcspn(ref, "@");

	return strlen(a->name) == len && strncmp(ref, a->name, len) == 0 &&
	    (ref[len] == '\0' || strcmp(ref + len + 1, a->version) == 0);
}

/* One part of a composition: {adapter: NAME[@VERSION], scale: N}. */
static struct error *
reg_part(const struct rctx *c, const struct ynode *it, const char *where,
    struct adapter *a, struct compose_part *p)
{
	const struct ynode *n;
	struct error *err;
	char *safe;

	if (it->type != YNODE_MAP)
		return reg_error(c, it, "each part must be a mapping with "
		    "'adapter' and 'scale'");
	if ((err = reg_check_keys(c->path, it, part_keys,
	    ARRAY_SIZE(part_keys), where)) != NULL ||
	    (err = reg_string(c, it, "adapter", 1, &p->adapter)) != NULL)
		return err;
	n = ydoc_get(it, "adapter");
	p->where = xasprintf("%s:%d:%d", c->path, n->line, n->col);
	safe = str_sanitize(p->adapter, 80);
	if (!reg_ref_ok(p->adapter))
		err = reg_error(c, n, "'adapter' must be NAME or "
		    "NAME@VERSION, not '%s'", safe);
	else if (reg_ref_is(p->adapter, a))
		err = reg_error(c, n, "'%s' names the composition itself",
		    safe);
	free(safe);
	if (err != NULL)
		return err;

	p->scale = 1.0;
	if ((n = reg_get(it, "scale")) == NULL)
		return NULL;
	if (n->type == YNODE_SCALAR && reg_number(n->value, &p->scale) == 0 &&
	    p->scale >= -COMPOSE_SCALE_MAX && p->scale <= COMPOSE_SCALE_MAX)
		return NULL;
	safe = n->type == YNODE_SCALAR ? str_sanitize(n->value, 80) :
	    xstrdup(ydoc_type_name(n));
	err = reg_error(c, n, "'scale' must be a number from %g to %g, not "
	    "'%s'", -COMPOSE_SCALE_MAX, COMPOSE_SCALE_MAX, safe);
	free(safe);
	return err;
}

/*
 * compose: the LoRA adapters a composition applies, 1 to COMPOSE_MAX of
 * them.  What they name is checked by registry_check_compose, once the
 * installed packages are in too.
 */
static struct error *
reg_compose(const struct rctx *top, const struct ynode *map,
    struct adapter *a)
{
	static const char *const not_here[] = { "file", "sha256", "tag" };
	const struct ynode *n = reg_get(map, "compose"), *v;
	struct rctx c = *top;
	struct error *err = NULL;
	char *what, *where;
	size_t i;

	if (a->type != ADAPTER_COMPOSE) {
		if (n == NULL)
			return NULL;
		return reg_error(top, n, "'compose' is not allowed for type %s",
		    adapter_type_name(a->type));
	}
	for (i = 0; i < ARRAY_SIZE(not_here); i++)
		if ((v = reg_get(map, not_here[i])) != NULL)
			return reg_error(top, v, "'%s' is not allowed for type "
			    "compose", not_here[i]);
	if ((v = ydoc_get(map, "compose")) == NULL)
		return reg_error(top, map, "missing required key 'compose' for "
		    "type compose");
	if (n == NULL || (n->type == YNODE_SEQ && n->nitems == 0))
		return reg_error(top, v, "'compose' must not be empty");
	if (n->type != YNODE_SEQ)
		return reg_error(top, n, "'compose' must be a list of mappings "
		    "with 'adapter' and 'scale'");
	if (n->nitems > COMPOSE_MAX)
		return reg_error(top, n->items[COMPOSE_MAX], "'compose' must "
		    "have at most %d parts, not %zu", COMPOSE_MAX, n->nitems);

	what = xasprintf("%s: compose", top->what);
	where = xasprintf("compose of %s", top->what);
	c.what = what;
	a->compose = xcalloc(n->nitems, sizeof(*a->compose));
	for (i = 0; i < n->nitems && err == NULL; i++)
		err = reg_part(&c, n->items[i], where, a,
		    &a->compose[a->ncompose++]);
	free(where);
	free(what);
	return err;
}

static struct error *
parse_adapter(const struct rctx *top, const struct registry *r,
    const struct ynode *map, struct adapter *a)
{
	struct rctx c = *top;
	const struct ynode *n;
	struct error *err = NULL;
	char *what, *s, *list;
	int i, b;

	a->active = 1;
	a->line = map->line;
	if ((err = reg_string(&c, map, "name", 1, &a->name)) != NULL)
		return err;
	n = ydoc_get(map, "name");
	if (!reg_name_ok(a->name)) {
		s = str_sanitize(a->name, 80);
		err = reg_error(&c, n, "adapter name '%s' must be 1 to %d "
		    "characters from a-z, 0-9, '_', '.' and '-', starting with "
		    "a letter or digit", s, NAME_MAX_LEN);
		free(s);
		return err;
	}
	what = xasprintf("adapter '%s'", a->name);
	c.what = what;

	if ((err = reg_check_keys(c.path, map, adapter_keys,
	    ARRAY_SIZE(adapter_keys), what)) != NULL)
		goto done;
	if ((err = reg_version(&c, map, a)) != NULL)
		goto done;

	if ((err = reg_string(&c, map, "domain", 1, &a->domain)) != NULL)
		goto done;
	if (reg_lookup((const char *const *)r->domains, r->ndomains,
	    a->domain) == -1) {
		list = reg_join((const char *const *)r->domains, r->ndomains);
		s = str_sanitize(a->domain, 80);
		err = reg_error(&c, ydoc_get(map, "domain"),
		    "unknown domain '%s' (known: %s)", s, list);
		free(s);
		free(list);
		goto done;
	}

	/* A composition says what it is by its parts. */
	if (ydoc_get(map, "type") == NULL && ydoc_get(map, "compose") != NULL)
		s = xstrdup("compose");
	else if ((err = reg_string(&c, map, "type", 1, &s)) != NULL)
		goto done;
	if ((i = reg_lookup(type_names, ARRAY_SIZE(type_names), s)) == -1) {
		char *safe = str_sanitize(s, 80);

		list = reg_join(type_names, ARRAY_SIZE(type_names));
		err = reg_error(&c, ydoc_get(map, "type"),
		    "'type' must be one of %s, not '%s'", list, safe);
		free(list);
		free(safe);
		free(s);
		goto done;
	}
	free(s);
	a->type = (enum adapter_type)i;

	if ((err = reg_string(&c, map, "description", 1, &a->description))
	    != NULL ||
	    (err = reg_string(&c, map, "system", 0, &a->system)) != NULL ||
	    (err = reg_keywords(&c, map, a)) != NULL ||
	    (err = reg_params(&c, map, a)) != NULL ||
	    (err = reg_compose(&c, map, a)) != NULL ||
	    (err = reg_sha256(&c, map, &a->sha256)) != NULL ||
	    (err = reg_type_keys(&c, map, a)) != NULL ||
	    (err = reg_examples(&c, map, a)) != NULL ||
	    (err = reg_string_list(&c, map, "tags", &a->tags, &a->ntags))
	    != NULL ||
	    (err = reg_tools(&c, map, a)) != NULL ||
	    (err = reg_scores(&c, map, a)) != NULL)
		goto done;

	if ((err = reg_string(&c, map, "benchmark", 0, &s)) != NULL)
		goto done;
	if (s != NULL) {
		a->benchmark = reg_resolve(c.dir, s);
		free(s);
	}

	if ((n = reg_get(map, "active")) != NULL) {
		if (n->type != YNODE_SCALAR || parse_bool(n->value, &b) == -1) {
			err = reg_error(&c, n, "'active' must be true or false");
			goto done;
		}
		a->active = b;
	}

	a->model = a->type == ADAPTER_TAG ? xstrdup(a->tag) :
	    adapter_model_name(a->name, a->version, r->base.tag);
done:
	free(what);
	return err;
}

/* http or https, a host, and nothing that needs quoting. */
static int
reg_url_ok(const char *s)
{
	const char *p;

	if (str_startswith(s, "http://"))
		p = s + 7;
	else if (str_startswith(s, "https://"))
		p = s + 8;
	else
		return 0;
	if (*p == '\0' || *p == '/')
		return 0;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

/*
 * The base model as a GGUF file, for llama-server: file (a path), url
 * (where to download it) and sha256, which a download needs to be
 * trusted.
 */
static struct error *
reg_base_gguf(const struct rctx *c, const struct ynode *map,
    struct base_model *b)
{
	struct error *err;
	char *s, *safe;

	if ((err = reg_string(c, map, "file", 0, &s)) != NULL)
		return err;
	if (s != NULL && *s == '\0') {
		free(s);
		return reg_error(c, ydoc_get(map, "file"),
		    "'file' must not be empty");
	}
	if (s != NULL) {
		b->file = reg_resolve(c->dir, s);
		free(s);
	}
	if ((err = reg_string(c, map, "url", 0, &b->url)) != NULL)
		return err;
	if (b->url != NULL && !reg_url_ok(b->url)) {
		safe = str_sanitize(b->url, 80);
		err = reg_error(c, ydoc_get(map, "url"), "'url' must be an "
		    "http or https URL, not '%s'", safe);
		free(safe);
		return err;
	}
	if ((err = reg_sha256(c, map, &b->sha256)) != NULL)
		return err;
	if (b->url != NULL && b->sha256 == NULL)
		return reg_error(c, map, "missing required key 'sha256' for "
		    "'url'");
	if (b->sha256 != NULL && b->url == NULL && b->file == NULL)
		return reg_error(c, ydoc_get(map, "sha256"), "'sha256' is only "
		    "allowed with 'file' or 'url'");
	return NULL;
}

static struct error *
reg_base(const struct rctx *top, const struct ynode *root,
    struct base_model *b)
{
	struct rctx c = *top;
	const struct ynode *n = ydoc_get(root, "base_model");
	struct error *err;

	if (n == NULL)
		return error_new(EXIT_CONFIG,
		    "%s: missing required key 'base_model'", c.path);
	if (n->type != YNODE_MAP)
		return ydoc_error(c.path, n, "'base_model' must be a mapping");
	if ((err = reg_check_keys(c.path, n, base_keys, ARRAY_SIZE(base_keys),
	    "base_model")) != NULL)
		return err;
	c.what = "base_model";
	if ((err = reg_string(&c, n, "name", 1, &b->name)) != NULL ||
	    (err = reg_string(&c, n, "tag", 1, &b->tag)) != NULL ||
	    (err = reg_string(&c, n, "quantization", 0, &b->quantization))
	    != NULL ||
	    (err = reg_string(&c, n, "architecture", 0, &b->architecture))
	    != NULL ||
	    (err = reg_base_gguf(&c, n, b)) != NULL)
		return err;
	b->name_line = ydoc_get(n, "name")->line;
	if (b->quantization != NULL)
		b->quantization_line = ydoc_get(n, "quantization")->line;
	return NULL;
}

int
reg_domain_ok(const char *s)
{
	if (!islower((unsigned char)*s))
		return 0;
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    *s != '_' && *s != '-')
			return 0;
	return 1;
}

static struct error *
reg_domains(const struct rctx *c, const struct ynode *root,
    struct registry *r)
{
	const struct ynode *n = reg_get(root, "domains"), *it;
	struct error *err;
	char *safe;
	size_t i;

	if (n == NULL) {
		r->domains = xcalloc(ARRAY_SIZE(default_domains),
		    sizeof(*r->domains));
		for (i = 0; i < ARRAY_SIZE(default_domains); i++)
			r->domains[r->ndomains++] = xstrdup(default_domains[i]);
		return NULL;
	}
	if ((err = reg_string_list(c, root, "domains", &r->domains,
	    &r->ndomains)) != NULL)
		return err;
	for (i = 0; i < r->ndomains; i++) {
		it = n->items[i];
		safe = str_sanitize(r->domains[i], 80);
		if (!reg_domain_ok(r->domains[i]))
			err = ydoc_error(c->path, it,
			    "domain '%s' must be a lower-case word", safe);
		else if (reg_lookup((const char *const *)r->domains, i,
		    r->domains[i]) != -1)
			err = ydoc_error(c->path, it, "duplicate domain '%s'",
			    safe);
		free(safe);
		if (err != NULL)
			return err;
	}
	return NULL;
}


static struct error *reg_append(struct rctx *, struct registry *,
    const struct ynode *, size_t, int);

struct error *
registry_load(const char *path, struct registry **out)
{
	struct registry *r = xcalloc(1, sizeof(*r));
	struct ynode *root = NULL;
	const struct ynode *n;
	struct error *err = NULL;
	struct rctx c;
	char *safe;
	long v;
	size_t i;

	*out = NULL;
	r->path = xstrdup(path);
	r->dir = path_dirname(path);
	c.path = path;
	c.dir = r->dir;
	c.what = NULL;

	if ((err = ydoc_parse_file(path, &root)) != NULL)
		goto done;
	if (ydoc_is_null(root)) {
		err = error_new(EXIT_CONFIG,
		    "%s: missing required key 'base_model'", path);
		goto done;
	}
	if (root->type != YNODE_MAP) {
		err = ydoc_error(path, root, "the top level must be a mapping");
		goto done;
	}
	if ((err = reg_check_keys(path, root, top_keys, ARRAY_SIZE(top_keys),
	    NULL)) != NULL)
		goto done;

	if ((n = reg_get(root, "version")) != NULL) {
		safe = n->type == YNODE_SCALAR ? str_sanitize(n->value, 80) :
		    NULL;
		if (safe == NULL || parse_long(n->value, LONG_MIN, LONG_MAX,
		    &v) == -1)
			err = ydoc_error(path, n, "'version' must be an integer");
		else if (v != 1)
			err = ydoc_error(path, n,
			    "unsupported registry version %s", safe);
		free(safe);
		if (err != NULL)
			goto done;
	}

	if ((err = reg_base(&c, root, &r->base)) != NULL ||
	    (err = reg_domains(&c, root, r)) != NULL)
		goto done;

	if ((n = reg_get(root, "adapters")) == NULL)
		goto done;
	if (n->type != YNODE_SEQ) {
		err = ydoc_error(path, n, "'adapters' must be a list");
		goto done;
	}
	for (i = 0; i < n->nitems; i++)
		if ((err = reg_append(&c, r, n->items[i], i, 0)) != NULL)
			goto done;
	r->nbase = r->nadapters;
done:
	ydoc_free(root);
	if (err != NULL) {
		registry_free(r);
		return err;
	}
	*out = r;
	return NULL;
}

static int
reg_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

struct error *
registry_locate(const char *explicit_path, char **path)
{
	char *home, *cands[3];
	struct error *err;
	size_t i;

	*path = NULL;
	if (explicit_path != NULL) {
		struct stat st;

		if (stat(explicit_path, &st) == -1)
			return error_new(EXIT_CONFIG,
			    "cannot open registry '%s': %s", explicit_path,
			    strerror(errno));
		*path = xstrdup(explicit_path);
		return NULL;
	}
	home = loco_home();
	cands[0] = xasprintf("%s/adapters/registry.yaml", home);
	cands[1] = xstrdup("./adapters/registry.yaml");
	cands[2] = xstrdup(LOCO_DATADIR "/adapters/registry.yaml");
	free(home);
	for (i = 0; i < ARRAY_SIZE(cands); i++) {
		if (reg_exists(cands[i])) {
			*path = cands[i];
			cands[i] = NULL;
			break;
		}
	}
	err = NULL;
	if (*path == NULL)
		err = error_new(EXIT_CONFIG, "no adapter registry found (looked "
		    "in %s, %s, %s); set registry.path or reinstall loco",
		    cands[0], cands[1], cands[2]);
	for (i = 0; i < ARRAY_SIZE(cands); i++)
		free(cands[i]);
	return err;
}

void
adapter_release(struct adapter *a)
{
	size_t i;

	free(a->name);
	free(a->score_sha256);
	free(a->score_date);
	free(a->version);
	free(a->domain);
	free(a->description);
	free(a->system);
	for (i = 0; i < a->nkeywords; i++)
		free(a->keywords[i].phrase);
	free(a->keywords);
	for (i = 0; i < a->nparams; i++) {
		free(a->params[i].name);
		free(a->params[i].value);
	}
	free(a->params);
	free(a->file);
	free(a->sha256);
	free(a->tag);
	for (i = 0; i < a->ncompose; i++) {
		free(a->compose[i].adapter);
		free(a->compose[i].where);
	}
	free(a->compose);
	free(a->benchmark);
	free(a->answer_type);
	free(a->answer_pattern);
	for (i = 0; i < a->nscores; i++)
		free(a->scores[i].name);
	free(a->scores);
	strv_free(a->examples, a->nexamples);
	free(a->examples_file);
	strv_free(a->tags, a->ntags);
	strv_free(a->tools, a->ntools);
	free(a->tool_format);
	free(a->model);
}

void
registry_free(struct registry *r)
{
	size_t i;

	if (r == NULL)
		return;
	free(r->path);
	free(r->dir);
	free(r->base.name);
	free(r->base.tag);
	free(r->base.quantization);
	free(r->base.architecture);
	free(r->base.file);
	free(r->base.url);
	free(r->base.sha256);
	strv_free(r->domains, r->ndomains);
	for (i = 0; i < r->nadapters; i++)
		adapter_release(&r->adapters[i]);
	free(r->adapters);
	free(r);
}

/* Compare semantic versions by precedence (semver.org, section 11). */
int
semver_cmp(const char *a, const char *b)
{
	const char *pa, *pb;
	char *ea, *eb;
	unsigned long x, y;
	int i, na, nb;

	for (i = 0; i < 3; i++) {
		x = strtoul(a, &ea, 10);
		y = strtoul(b, &eb, 10);
		if (x != y)
			return x < y ? -1 : 1;
		a = *ea == '.' ? ea + 1 : ea;
		b = *eb == '.' ? eb + 1 : eb;
	}
	/* A pre-release ranks below the release; build metadata is ignored. */
	pa = *a == '-' ? a + 1 : NULL;
	pb = *b == '-' ? b + 1 : NULL;
	if (pa == NULL || pb == NULL)
		return pa == pb ? 0 : pa == NULL ? 1 : -1;
	while (*pa != '\0' && *pa != '+' && *pb != '\0' && *pb != '+') {
		size_t la = strcspn(pa, ".+"), lb = strcspn(pb, ".+");

		na = la > 0 && strspn(pa, "0123456789") >= la;
		nb = lb > 0 && strspn(pb, "0123456789") >= lb;
		if (na && nb) {
			x = strtoul(pa, NULL, 10);
			y = strtoul(pb, NULL, 10);
			if (x != y)
				return x < y ? -1 : 1;
		} else if (na != nb)
			return na ? -1 : 1;
		else {
			int c = strncmp(pa, pb, la < lb ? la : lb);
			if (c != 0 || la != lb)
				return c != 0 ? c : (la < lb ? -1 : 1);
		}
		pa += la + (pa[la] == '.');
		pb += lb + (pb[lb] == '.');
	}
	na = *pa != '\0' && *pa != '+';
	nb = *pb != '\0' && *pb != '+';
	return na == nb ? 0 : na ? 1 : -1;
}

const char *
registry_suggest(const struct registry *r, const char *name, size_t from)
{
	const char **names;
	const char *hint;
	char *word = xstrndup(name, strcspn(name, "@"));
	size_t i, n = 0;

	names = xcalloc(r->nadapters + 1, sizeof(*names));
	for (i = from; i < r->nadapters; i++)
		names[n++] = r->adapters[i].name;
	/* Suggest for the name, without any @VERSION. */
	hint = str_suggest(word, names, n);
	if (hint != NULL && hint[0] != word[0])
		hint = NULL;
	free(word);
	free(names);
	return hint;
}

struct error *
registry_unknown(const struct registry *r, const char *name)
{
	const char *hint = registry_suggest(r, name, 0);
	char *clean = str_sanitize(name, 64);
	struct error *err;

	if (hint != NULL)
		err = error_new(EXIT_USAGE, "no adapter named '%s' in '%s'; "
		    "did you mean '%s'?", clean, r->path, hint);
	else
		err = error_new(EXIT_USAGE, "no adapter named '%s' in '%s'; "
		    "see 'loco adapters list'", clean, r->path);
	free(clean);
	return err;
}

/*
 * NAME: the active version of NAME, else its highest version.
 * NAME@VERSION: exactly that one.
 */
const struct adapter *
registry_find(const struct registry *r, const char *name)
{
	const struct adapter *best = NULL, *a;
	const char *at = strchr(name, '@');
	size_t i, len = at ? (size_t)(at - name) : strlen(name);

	for (i = 0; i < r->nadapters; i++) {
		a = &r->adapters[i];
		if (strlen(a->name) != len || strncmp(a->name, name, len) != 0)
			continue;
		if (at != NULL) {
			if (strcmp(a->version, at + 1) == 0)
				return a;
			continue;
		}
		if (best == NULL || (a->active && !best->active) ||
		    (a->active == best->active &&
		    semver_cmp(a->version, best->version) > 0))
			best = a;
	}
	return best;
}

const struct adapter *
registry_active(const struct registry *r, const char *domain)
{
	size_t i;

	for (i = 0; i < r->nadapters; i++)
		if (r->adapters[i].active &&
		    strcmp(r->adapters[i].domain, domain) == 0)
			return &r->adapters[i];
	return NULL;
}

static struct error *
part_error(const struct adapter *a, const struct compose_part *p,
    const char *fmt, ...) PRINTFLIKE(3, 4);

/* "PATH:L:C: adapter 'x': compose: message", like reg_error's. */
static struct error *
part_error(const struct adapter *a, const struct compose_part *p,
    const char *fmt, ...)
{
	va_list ap;
	char *msg;
	struct error *err;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	err = error_new(EXIT_CONFIG, "%s: adapter '%s': compose: %s",
	    p->where, a->name, msg);
	free(msg);
	return err;
}

/*
 * A part that names no adapter.  Like an unknown domain, say what there
 * is: the versions of the name, else the LoRA adapters.
 */
static struct error *
part_unknown(const struct registry *r, const struct adapter *a,
    const struct compose_part *p)
{
	struct strbuf versions = STRBUF_INIT, loras = STRBUF_INIT;
	const struct adapter *b;
	size_t len = strcspn(p->adapter, "@"), i, j;
	struct error *err;

	for (i = 0; i < r->nadapters; i++) {
		b = &r->adapters[i];
		if (strlen(b->name) == len &&
		    strncmp(b->name, p->adapter, len) == 0)
			strbuf_addf(&versions, "%s%s", versions.len ? ", " : "",
			    b->version);
		if (b->type != ADAPTER_LORA)
			continue;
		for (j = 0; j < i; j++)
			if (r->adapters[j].type == ADAPTER_LORA &&
			    strcmp(r->adapters[j].name, b->name) == 0)
				break;
		if (j == i)
			strbuf_addf(&loras, "%s%s", loras.len ? ", " : "",
			    b->name);
	}
	if (versions.len > 0)
		err = part_error(a, p, "unknown adapter '%s' (known versions "
		    "of '%.*s': %s)", p->adapter, (int)len, p->adapter,
		    versions.buf);
	else if (loras.len > 0)
		err = part_error(a, p, "unknown adapter '%s' (known lora "
		    "adapters: %s)", p->adapter, loras.buf);
	else
		err = part_error(a, p, "unknown adapter '%s' (the registry "
		    "has no lora adapters)", p->adapter);
	strbuf_release(&versions);
	strbuf_release(&loras);
	return err;
}

struct error *
registry_check_compose(const struct registry *r)
{
	const struct adapter *a, *b;
	const struct compose_part *p;
	size_t i, j, k;

	for (i = 0; i < r->nadapters; i++) {
		a = &r->adapters[i];
		for (j = 0; j < a->ncompose; j++) {
			p = &a->compose[j];
			if ((b = registry_find(r, p->adapter)) == NULL)
				return part_unknown(r, a, p);
			if (b->type != ADAPTER_LORA)
				return part_error(a, p, "'%s' is a %s adapter: "
				    "only lora adapters can be composed",
				    p->adapter, adapter_type_name(b->type));
			for (k = 0; k < j; k++) {
				const char *was = a->compose[k].adapter;

				if (registry_find(r, was) != b)
					continue;
				if (strcmp(was, p->adapter) == 0)
					return part_error(a, p, "'%s' is in "
					    "the composition twice", was);
				return part_error(a, p, "'%s' is in the "
				    "composition already, as '%s'", p->adapter,
				    was);
			}
		}
	}
	return NULL;
}

static const char *const installed_keys[] = {
	"version", "base_model", "packages", "active", "scores"
};

/* scores: {"NAME@VERSION": {accuracy: .., base_accuracy: .., ...}} */
static void
reg_installed_scores(struct registry *r, const struct ynode *n)
{
	static const char *const nums[] = { "accuracy", "base_accuracy", "p",
	    "n" };
	const struct ynode *v, *f;
	struct adapter *a;
	double d;
	size_t i, k, idx;

	if (n == NULL || n->type != YNODE_MAP)
		return;
	for (i = 0; i < n->nents; i++) {
		v = n->ents[i].value;
		a = (struct adapter *)registry_find(r, n->ents[i].key->value);
		if (a == NULL || v->type != YNODE_MAP ||
		    strchr(n->ents[i].key->value, '@') == NULL)
			continue;
		for (k = 0; k < ARRAY_SIZE(nums); k++) {
			if ((f = ydoc_get(v, nums[k])) == NULL ||
			    f->type != YNODE_SCALAR ||
			    reg_number(f->value, &d) != 0)
				continue;
			for (idx = 0; idx < a->nscores; idx++)
				if (strcmp(a->scores[idx].name, nums[k]) == 0)
					break;
			if (idx == a->nscores) {
				a->scores = xreallocarray(a->scores,
				    a->nscores + 1, sizeof(*a->scores));
				a->scores[a->nscores++].name = xstrdup(nums[k]);
			}
			a->scores[idx].value = d;
		}
		if ((f = ydoc_get(v, "benchmark_sha256")) != NULL &&
		    f->type == YNODE_SCALAR) {
			free(a->score_sha256);
			a->score_sha256 = xstrdup(f->value);
		}
		if ((f = ydoc_get(v, "date")) != NULL &&
		    f->type == YNODE_SCALAR) {
			free(a->score_date);
			a->score_date = xstrdup(f->value);
		}
	}
}

/* Ollama's rule: a name without a tag means ":latest"; case is ignored. */
static int
same_model(const char *a, const char *b)
{
	size_t la = strcspn(a, ":"), lb = strcspn(b, ":");
	const char *ta = a[la] ? a + la + 1 : "latest";
	const char *tb = b[lb] ? b + lb + 1 : "latest";

	return la == lb && strncasecmp(a, b, la) == 0 &&
	    strcasecmp(ta, tb) == 0;
}

struct error *
registry_add_package(struct registry *r, const char *dir)
{
	struct ynode *root = NULL;
	struct error *err;
	struct rctx c;
	char *path = xasprintf("%s/adapter.yaml", dir);

	c.path = path;
	c.dir = dir;
	c.what = NULL;
	if ((err = ydoc_parse_file(path, &root)) == NULL) {
		if (root == NULL)
			err = error_new(EXIT_CONFIG, "%s: empty file", path);
		else
			err = reg_append(&c, r, root, 0, 1);
	}
	ydoc_free(root);
	free(path);
	return err;
}

/* One adapter entry of a registry file, appended to r->adapters. */
static struct error *
reg_append(struct rctx *c, struct registry *r, const struct ynode *it,
    size_t index, int from_installed)
{
	struct adapter *a;
	struct error *err;
	size_t j;

	if (it->type != YNODE_MAP)
		return ydoc_error(c->path, it, "adapter #%zu must be a mapping",
		    index + 1);
	if (ydoc_get(it, "name") == NULL)
		return ydoc_error(c->path, it, "adapter #%zu: missing required "
		    "key 'name'", index + 1);
	r->adapters = xreallocarray(r->adapters, r->nadapters + 1,
	    sizeof(*r->adapters));
	a = &r->adapters[r->nadapters++];
	memset(a, 0, sizeof(*a));
	if ((err = parse_adapter(c, r, it, a)) != NULL)
		return err;
	for (j = 0; j + 1 < r->nadapters; j++) {
		const struct adapter *b = &r->adapters[j];

		if (strcmp(b->name, a->name) != 0)
			continue;
		/* Installed packages may add versions; a file may not. */
		if (!from_installed)
			return ydoc_error(c->path, ydoc_get(it, "name"),
			    "duplicate adapter name '%s' (first defined at "
			    "line %d)", a->name, b->line);
		if (strcmp(b->version, a->version) == 0)
			return ydoc_error(c->path, ydoc_get(it, "name"),
			    "adapter '%s' version %s is in the registry "
			    "twice", a->name, a->version);
	}
	return NULL;
}

/*
 * Is the installed package at pkg (listed as entry) missing?  Then say
 * so on stderr: a crash or a hand left installed.yaml naming it.
 */
static int
reg_dangling(const char *pkg, const char *entry)
{
	char *path = xasprintf("%s/adapter.yaml", pkg), *safe, *spath, *pick;
	char *s;
	int gone = access(path, F_OK) == -1 && errno == ENOENT;

	if (gone) {
		safe = str_sanitize(entry, 80);
		spath = str_sanitize(path, PATH_MAX);
		pick = xstrdup(safe);
		if ((s = strrchr(pick, '/')) != NULL)
			*s = '@';
		fprintf(stderr, "loco: installed package '%s' is missing "
		    "(no '%s'); skipped: install it again or run 'loco "
		    "adapters remove %s'\n", safe, spath, pick);
		free(pick);
		free(spath);
		free(safe);
	}
	free(path);
	return gone;
}

/* Does NAME@VERSION name a package whose directory is missing? */
static int
reg_pick_dangling(const char *dir, const char *pick)
{
	const char *at = strrchr(pick, '@');
	char *path;
	int gone;

	if (at == NULL || at == pick || strchr(pick, '/') != NULL)
		return 0;
	path = xasprintf("%s/%.*s/%s/adapter.yaml", dir, (int)(at - pick),
	    pick, at + 1);
	gone = access(path, F_OK) == -1 && errno == ENOENT;
	free(path);
	return gone;
}

struct error *
registry_load_installed(struct registry *r, const char *path)
{
	struct ynode *root = NULL;
	const struct ynode *n, *v;
	struct error *err = NULL;
	char *dir = path_dirname(path), *safe;
	const struct adapter *pick;
	size_t i, k;

	if ((err = ydoc_parse_file(path, &root)) != NULL || root == NULL)
		goto done;
	if (root->type != YNODE_MAP) {
		err = ydoc_error(path, root, "the top level must be a mapping");
		goto done;
	}
	if ((err = reg_check_keys(path, root, installed_keys,
	    ARRAY_SIZE(installed_keys), NULL)) != NULL)
		goto done;
	/* Packages installed for another base model stay out of this one. */
	if ((n = reg_get(root, "base_model")) != NULL && (n->type !=
	    YNODE_SCALAR || !same_model(n->value, r->base.tag)))
		goto done;
	if ((n = reg_get(root, "packages")) != NULL) {
		if (n->type != YNODE_SEQ) {
			err = ydoc_error(path, n, "'packages' must be a list");
			goto done;
		}
		for (i = 0; i < n->nitems; i++) {
			char *pkg;

			if (n->items[i]->type != YNODE_SCALAR) {
				err = ydoc_error(path, n->items[i], "a package "
				    "must be a directory name");
				goto done;
			}
			pkg = reg_resolve(dir, n->items[i]->value);
			/* A dangling entry must not stop loco: say so, skip. */
			if (reg_dangling(pkg, n->items[i]->value)) {
				free(pkg);
				continue;
			}
			err = registry_add_package(r, pkg);
			free(pkg);
			if (err != NULL)
				goto done;
		}
	}
	/* Several versions of one name: only the highest is active... */
	for (i = 0; i < r->nadapters; i++)
		if ((pick = registry_find(r, r->adapters[i].name)) !=
		    &r->adapters[i] && semver_cmp(pick->version,
		    r->adapters[i].version) != 0)
			r->adapters[i].active = 0;
	reg_installed_scores(r, reg_get(root, "scores"));
	/* ...and a promotion makes one adapter the domain's only one. */
	if ((n = reg_get(root, "active")) == NULL)
		goto done;
	if (n->type != YNODE_MAP) {
		err = ydoc_error(path, n, "'active' must be a mapping of "
		    "domain to NAME@VERSION");
		goto done;
	}
	for (i = 0; i < n->nents; i++) {
		v = n->ents[i].value;
		if (v->type == YNODE_SCALAR && registry_find(r, v->value) ==
		    NULL && reg_pick_dangling(dir, v->value))
			continue;	/* its package was reported missing */
		if (v->type != YNODE_SCALAR || strchr(v->value, '@') == NULL ||
		    (pick = registry_find(r, v->value)) == NULL ||
		    strcmp(pick->domain, n->ents[i].key->value) != 0) {
			safe = str_sanitize(v->type == YNODE_SCALAR ? v->value :
			    "", 80);
			err = ydoc_error(path, v, "'active' for domain '%s' "
			    "names no installed adapter of that domain: '%s'",
			    n->ents[i].key->value, safe);
			free(safe);
			goto done;
		}
		for (k = 0; k < r->nadapters; k++)
			if (strcmp(r->adapters[k].domain, pick->domain) == 0)
				r->adapters[k].active = &r->adapters[k] == pick;
	}
done:
	ydoc_free(root);
	free(dir);
	return err;
}

const char *
adapter_type_name(enum adapter_type t)
{
	if ((size_t)t < ARRAY_SIZE(type_names))
		return type_names[t];
	return "unknown";
}

/* Replace what Ollama does not allow in a tag ([A-Za-z0-9_.-]) with c. */
static void
tag_chars(char *s, char c)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' &&
		    *s != '-')
			*s = c;
}

char *
adapter_base_slug(const char *base_tag)
{
	char *s = xstrdup(base_tag);
	size_t n = strlen(s);

	if (n > 7 && strcasecmp(s + n - 7, ":latest") == 0)
		s[n - 7] = '\0';
	tag_chars(s, '-');
	return s;
}

/* Words of an identity: split on '-', '_', '.' and blanks, lower case. */
struct words {
	char	**v;
	size_t	  n;
};

static int
words_has(const struct words *w, const char *s)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (strcmp(w->v[i], s) == 0)
			return 1;
	return 0;
}

static void
words_add(struct words *w, const char *s)
{
	char *copy, *p, *start;

	if (s == NULL)
		return;
	copy = xstrdup(s);
	for (p = copy; *p != '\0'; p++) {
		*p = (char)tolower((unsigned char)*p);
		if (strchr("-_. \t", *p) != NULL)
			*p = ' ';
	}
	for (p = copy; *p != '\0';) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && *p != ' ')
			p++;
		if (*p != '\0')
			*p++ = '\0';
		if (!words_has(w, start)) {
			w->v = xreallocarray(w->v, w->n + 1, sizeof(*w->v));
			w->v[w->n++] = xstrdup(start);
		}
	}
	free(copy);
}

enum base_identity
registry_base_identity(const struct base_model *b,
    const struct weights_id *id, char **found, char **missing)
{
	const struct {
		const char	*key;
		const char	*value;
	} keys[] = {
		{ "general.basename", id->basename },
		{ "general.finetune", id->finetune },
		{ "general.size_label", id->size_label },
		{ "general.version", id->version },
		{ "general.name", id->name },
	};
	struct words want = { NULL, 0 }, have = { NULL, 0 };
	struct strbuf desc = STRBUF_INIT, lack = STRBUF_INIT;
	enum base_identity res;
	char *safe;
	size_t i;

	words_add(&want, b->name);
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		if (keys[i].value == NULL)
			continue;
		words_add(&have, keys[i].value);
		safe = str_sanitize(keys[i].value, 200);
		strbuf_addf(&desc, "%s%s '%s'", desc.len ? ", " : "",
		    keys[i].key, safe);
		free(safe);
	}
	for (i = 0; i < want.n; i++)
		if (!words_has(&have, want.v[i])) {
			safe = str_sanitize(want.v[i], 80);
			strbuf_addf(&lack, "%s'%s'", lack.len ? ", " : "", safe);
			free(safe);
		}
	res = desc.len == 0 ? BASE_UNKNOWN : lack.len > 0 ? BASE_OTHER :
	    BASE_SAME;
	if (found != NULL)
		*found = desc.len ? strbuf_detach(&desc, NULL) : NULL;
	if (missing != NULL)
		*missing = lack.len ? strbuf_detach(&lack, NULL) : NULL;
	strv_free(want.v, want.n);
	strv_free(have.v, have.n);
	strbuf_release(&desc);
	strbuf_release(&lack);
	return res;
}

char *
adapter_legacy_model_name(const char *name, const char *version)
{
	char *v = xstrdup(version), *s;

	tag_chars(v, '_');
	s = xasprintf("loco-%s:%s", name, v);
	free(v);
	return s;
}

char *
adapter_model_name(const char *name, const char *version,
    const char *base_tag)
{
	char *v = xstrdup(version), *slug = adapter_base_slug(base_tag);
	char *tag, *s, hex[SHA256_HEX_LEN + 1];

	/* Semver build metadata has '+'; '_' keeps it apart from '-rc'. */
	tag_chars(v, '_');
	tag = xasprintf("%s-%s", v, slug);
	if (strlen(tag) > MODEL_TAG_MAX) {
		/* Cut, and keep what was cut apart by a hash of the whole. */
		sha256_hex(tag, strlen(tag), hex);
		tag[MODEL_TAG_MAX - 9] = '\0';
		s = xasprintf("%s-%.8s", tag, hex);
		free(tag);
		tag = s;
	}
	s = xasprintf("loco-%s:%s", name, tag);
	free(tag);
	free(slug);
	free(v);
	return s;
}

struct error *
registry_examples(const struct adapter *a, char ***out, size_t *n)
{
	struct error *err;
	char *data, *line, *next, *t;
	size_t len, cap = 0;

	*out = NULL;
	*n = 0;
	if (a->examples_file == NULL) {
		*out = xcalloc(a->nexamples + 1, sizeof(**out));
		for (; *n < a->nexamples; (*n)++)
			(*out)[*n] = xstrdup(a->examples[*n]);
		return NULL;
	}
	if ((err = fs_read_file(a->examples_file, EXAMPLES_MAX, &data,
	    &len)) != NULL) {
		struct error *e2 = error_new(EXIT_CONFIG, "router_examples of "
		    "adapter '%s': %s", a->name, err->msg);

		error_free(err);
		return e2;
	}
	for (line = data; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		t = str_trim(line);
		if (*t == '\0' || *t == '#')
			continue;
		if (*n + 1 >= cap) {
			cap = cap ? cap * 2 : 64;
			*out = xreallocarray(*out, cap, sizeof(**out));
		}
		(*out)[(*n)++] = xstrdup(t);
	}
	free(data);
	if (*out == NULL)
		*out = xcalloc(1, sizeof(**out));
	return NULL;
}
