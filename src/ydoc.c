/*
 * ydoc.c: load a YAML file into a small tree of positioned nodes.  This is
 * the only file that sees libyaml; config.c and registry.c walk the tree and
 * can name file:line:column in every message.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "error.h"
#include "strbuf.h"
#include "util.h"
#include "ydoc.h"
#include "banned.h"

/* Config and registry files are small; anything bigger is a mistake. */
#define YDOC_MAX_SIZE	(16u * 1024 * 1024)
/*
 * Aliases are expanded into copies, so a few lines of anchors could ask for
 * billions of nodes ("billion laughs"), and an anchor used inside itself
 * would never end.  Bound both.
 */
#define YDOC_MAX_NODES	100000
#define YDOC_MAX_DEPTH	100

struct conv {
	const char	*name;
	yaml_document_t	*doc;
	size_t		 nodes;
};

static struct error *
ydoc_errorv(const char *path, int line, int col, const char *fmt, va_list ap)
{
	char *msg = xvasprintf(fmt, ap);
	struct error *err;

	if (line > 0)
		err = error_new(EXIT_CONFIG, "%s:%d:%d: %s", path, line, col,
		    msg);
	else
		err = error_new(EXIT_CONFIG, "%s: %s", path, msg);
	free(msg);
	return err;
}

static struct error *
ydoc_error_at(const char *path, int line, int col, const char *fmt, ...)
    PRINTFLIKE(4, 5);

static struct error *
ydoc_error_at(const char *path, int line, int col, const char *fmt, ...)
{
	va_list ap;
	struct error *err;

	va_start(ap, fmt);
	err = ydoc_errorv(path, line, col, fmt, ap);
	va_end(ap);
	return err;
}

struct error *
ydoc_error(const char *path, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;
	struct error *err;

	va_start(ap, fmt);
	err = ydoc_errorv(path, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
	return err;
}

/* libyaml's messages start with a lower-case letter already; make sure. */
static char *
ydoc_lower_first(const char *s)
{
	char *p = xstrdup(s ? s : "syntax error");

	p[0] = (char)tolower((unsigned char)p[0]);
	return p;
}

static struct error *
ydoc_parser_error(const char *name, const yaml_parser_t *p, const char *buf,
    size_t len)
{
	char *problem = ydoc_lower_first(p->problem);
	char *context = p->context ? ydoc_lower_first(p->context) : NULL;
	struct error *err;
	int line, col;

	if (p->error == YAML_READER_ERROR) {
		/* Reader errors carry an offset, not a mark. */
		size_t i, off = p->problem_offset < len ? p->problem_offset :
		    len;

		line = 1;
		col = 1;
		for (i = 0; i < off; i++) {
			if (buf[i] == '\n') {
				line++;
				col = 1;
			} else
				col++;
		}
	} else {
		line = (int)p->problem_mark.line + 1;
		col = (int)p->problem_mark.column + 1;
	}
	if (p->error == YAML_MEMORY_ERROR)
		fatal("out of memory parsing '%s'", name);
	if (context != NULL)
		err = ydoc_error_at(name, line, col, "%s (%s)", problem,
		    context);
	else
		err = ydoc_error_at(name, line, col, "%s", problem);
	free(problem);
	free(context);
	return err;
}

static struct ynode *
ydoc_new(enum ynode_type type, const yaml_node_t *yn)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->type = type;
	n->line = (int)yn->start_mark.line + 1;
	n->col = (int)yn->start_mark.column + 1;
	return n;
}

static struct error *
ydoc_convert(struct conv *cv, yaml_node_t *yn, int depth, struct ynode **out)
{
	struct error *err = NULL;
	struct ynode *n = NULL;
	yaml_node_item_t *it;
	yaml_node_pair_t *pair;
	size_t j;

	*out = NULL;
	if (yn == NULL)
		return ydoc_error_at(cv->name, 0, 0, "broken YAML document");
	if (depth > YDOC_MAX_DEPTH)
		return ydoc_error_at(cv->name, (int)yn->start_mark.line + 1,
		    (int)yn->start_mark.column + 1,
		    "nesting deeper than %d levels (recursive alias?)",
		    YDOC_MAX_DEPTH);
	if (++cv->nodes > YDOC_MAX_NODES)
		return ydoc_error_at(cv->name, (int)yn->start_mark.line + 1,
		    (int)yn->start_mark.column + 1,
		    "more than %d nodes (too many aliases?)", YDOC_MAX_NODES);

	switch (yn->type) {
	case YAML_SCALAR_NODE:
		n = ydoc_new(YNODE_SCALAR, yn);
		n->value = xstrndup((const char *)yn->data.scalar.value,
		    yn->data.scalar.length);
		if (strlen(n->value) != yn->data.scalar.length) {
			err = ydoc_error(cv->name, n,
			    "NUL character in a scalar");
			goto done;
		}
		n->plain = yn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		break;
	case YAML_SEQUENCE_NODE:
		n = ydoc_new(YNODE_SEQ, yn);
		n->items = xreallocarray(NULL,
		    (size_t)(yn->data.sequence.items.top -
		    yn->data.sequence.items.start), sizeof(*n->items));
		for (it = yn->data.sequence.items.start;
		    it < yn->data.sequence.items.top; it++) {
			err = ydoc_convert(cv, yaml_document_get_node(cv->doc,
			    *it), depth + 1, &n->items[n->nitems]);
			if (err != NULL)
				goto done;
			n->nitems++;
		}
		break;
	case YAML_MAPPING_NODE:
		n = ydoc_new(YNODE_MAP, yn);
		n->ents = xreallocarray(NULL,
		    (size_t)(yn->data.mapping.pairs.top -
		    yn->data.mapping.pairs.start), sizeof(*n->ents));
		for (pair = yn->data.mapping.pairs.start;
		    pair < yn->data.mapping.pairs.top; pair++) {
			struct ymapent *e = &n->ents[n->nents];

			e->key = e->value = NULL;
			err = ydoc_convert(cv, yaml_document_get_node(cv->doc,
			    pair->key), depth + 1, &e->key);
			if (err != NULL)
				goto done;
			n->nents++;
			if (e->key->type != YNODE_SCALAR) {
				err = ydoc_error(cv->name, e->key,
				    "a mapping key must be a scalar, not a %s",
				    ydoc_type_name(e->key));
				goto done;
			}
			for (j = 0; j + 1 < n->nents; j++) {
				if (strcmp(n->ents[j].key->value,
				    e->key->value) == 0) {
					char *k = str_sanitize(e->key->value,
					    80);

					err = ydoc_error(cv->name, e->key,
					    "duplicate key '%s'", k);
					free(k);
					goto done;
				}
			}
			err = ydoc_convert(cv, yaml_document_get_node(cv->doc,
			    pair->value), depth + 1, &e->value);
			if (err != NULL)
				goto done;
		}
		break;
	default:
		return ydoc_error_at(cv->name, (int)yn->start_mark.line + 1,
		    (int)yn->start_mark.column + 1, "empty YAML node");
	}
done:
	if (err != NULL) {
		ydoc_free(n);
		return err;
	}
	*out = n;
	return NULL;
}

struct error *
ydoc_parse_string(const char *name, const char *buf, size_t len,
    struct ynode **root)
{
	yaml_parser_t parser;
	yaml_document_t doc, doc2;
	yaml_node_t *top;
	struct error *err = NULL;
	struct conv cv;
	int have_doc = 0;

	*root = NULL;
	if (!yaml_parser_initialize(&parser))
		fatal("cannot initialise the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);

	if (!yaml_parser_load(&parser, &doc)) {
		err = ydoc_parser_error(name, &parser, buf, len);
		goto done;
	}
	have_doc = 1;
	if ((top = yaml_document_get_root_node(&doc)) == NULL)
		goto done;	/* empty stream */

	/*
	 * A second document would be silently ignored by a reader that looks
	 * at the first only; say so instead.
	 */
	if (!yaml_parser_load(&parser, &doc2)) {
		err = ydoc_parser_error(name, &parser, buf, len);
		goto done;
	}
	if (yaml_document_get_root_node(&doc2) != NULL) {
		err = ydoc_error_at(name, (int)doc2.start_mark.line + 1,
		    (int)doc2.start_mark.column + 1,
		    "only one YAML document is allowed");
		yaml_document_delete(&doc2);
		goto done;
	}
	yaml_document_delete(&doc2);

	cv.name = name;
	cv.doc = &doc;
	cv.nodes = 0;
	err = ydoc_convert(&cv, top, 0, root);
done:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return err;
}

struct error *
ydoc_parse_file(const char *path, struct ynode **root)
{
	struct strbuf sb = STRBUF_INIT;
	struct error *err;
	char chunk[8192];
	size_t n;
	FILE *fp;

	*root = NULL;
	if ((fp = fopen(path, "r")) == NULL)
		return error_new(EXIT_FAIL, "cannot open '%s': %s", path,
		    strerror(errno));
	strbuf_init(&sb, YDOC_MAX_SIZE);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (strbuf_add(&sb, chunk, n) == -1) {
			fclose(fp);
			strbuf_release(&sb);
			return error_new(EXIT_CONFIG,
			    "%s: file is larger than 16 MiB", path);
		}
	}
	if (ferror(fp)) {
		err = error_new(EXIT_FAIL, "cannot read '%s': %s", path,
		    strerror(errno));
		fclose(fp);
		strbuf_release(&sb);
		return err;
	}
	fclose(fp);
	err = ydoc_parse_string(path, sb.buf, sb.len, root);
	strbuf_release(&sb);
	return err;
}

void
ydoc_free(struct ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	free(n->value);
	for (i = 0; i < n->nitems; i++)
		ydoc_free(n->items[i]);
	free(n->items);
	for (i = 0; i < n->nents; i++) {
		ydoc_free(n->ents[i].key);
		ydoc_free(n->ents[i].value);
	}
	free(n->ents);
	free(n);
}

struct ynode *
ydoc_get(const struct ynode *map, const char *key)
{
	size_t i;

	if (map == NULL || map->type != YNODE_MAP)
		return NULL;
	for (i = 0; i < map->nents; i++)
		if (strcmp(map->ents[i].key->value, key) == 0)
			return map->ents[i].value;
	return NULL;
}

int
ydoc_is_null(const struct ynode *n)
{
	if (n == NULL)
		return 1;
	if (n->type != YNODE_SCALAR || !n->plain)
		return 0;
	return strcmp(n->value, "") == 0 || strcmp(n->value, "~") == 0 ||
	    strcmp(n->value, "null") == 0 || strcmp(n->value, "Null") == 0 ||
	    strcmp(n->value, "NULL") == 0;
}

const char *
ydoc_type_name(const struct ynode *n)
{
	if (ydoc_is_null(n))
		return "null";
	switch (n->type) {
	case YNODE_SCALAR:
		return "scalar";
	case YNODE_SEQ:
		return "list";
	case YNODE_MAP:
		return "mapping";
	}
	return "node";
}

/* Optimal string alignment distance (Levenshtein plus transpositions). */
static size_t
ydoc_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d;
	size_t *prev2, *prev, *cur, *tmp;

	prev2 = xcalloc(lb + 1, sizeof(*prev2));
	prev = xcalloc(lb + 1, sizeof(*prev));
	cur = xcalloc(lb + 1, sizeof(*cur));
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;

			d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (prev[j - 1] + cost < d)
				d = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < d)
				d = prev2[j - 2] + 1;
			cur[j] = d;
		}
		tmp = prev2;
		prev2 = prev;
		prev = cur;
		cur = tmp;
	}
	d = prev[lb];
	free(prev2);
	free(prev);
	free(cur);
	return d;
}

const char *
ydoc_suggest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t i, d, bestd = 3;

	for (i = 0; i < n; i++) {
		if (candidates[i] == NULL)
			continue;
		d = ydoc_distance(word, candidates[i]);
		/* "ab" is 2 edits from "tag" but is no typo of it. */
		if (d > 0 && d < bestd && d < strlen(word)) {
			best = candidates[i];
			bestd = d;
		}
	}
	return best;
}

const char *
ydoc_library_version(void)
{
	return yaml_get_version_string();
}
