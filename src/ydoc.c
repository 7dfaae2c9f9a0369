/*
 * ydoc.c: load a YAML file into a small tree of positioned nodes.  This is
 * the only file that sees libyaml; config.c and registry.c walk the tree and
 * can name file:line:column in every message.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "error.h"
#include "fsutil.h"
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
/* Lists and mappings in one another; real files nest a handful. */
#define YDOC_MAX_NESTING	64

/*
 * A tree's nodes, strings and arrays are carved out of a few large blocks,
 * which ydoc_free frees together: the registry alone has hundreds of
 * nodes, and a malloc and a free for each was a tenth of loco route's
 * start-up.
 */
struct yblock {
	struct yblock	*next;
	size_t		 used, size;
	max_align_t	 data[];
};

struct yarena {
	struct yblock	*blocks;
	size_t		 next_size;
};

#define YARENA_FIRST	(32u * 1024)
#define YARENA_MAX	(1024u * 1024)

static void *
yarena_alloc(struct yarena *a, size_t n, size_t align)
{
	struct yblock *b = a->blocks;
	size_t off, size;

	if (b != NULL) {
		off = (b->used + align - 1) & ~(align - 1);
		if (off <= b->size && n <= b->size - off) {
			b->used = off + n;
			return (char *)b->data + off;
		}
	}
	size = a->next_size;
	if (a->next_size < YARENA_MAX)
		a->next_size *= 2;
	if (size < n)
		size = n;
	b = xmalloc(sizeof(*b) + size);
	b->next = a->blocks;
	b->size = size;
	b->used = n;
	a->blocks = b;
	return b->data;
}

static struct yarena *
yarena_new(void)
{
	struct yarena *a = xcalloc(1, sizeof(*a));

	a->next_size = YARENA_FIRST;
	return a;
}

static void
yarena_free(struct yarena *a)
{
	struct yblock *b, *next;

	if (a == NULL)
		return;
	for (b = a->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

struct conv {
	const char	*name;
	yaml_document_t	*doc;
	size_t		 nodes;
	struct yarena	*arena;
};

static struct error *ydoc_errorv(const char *, int, int, const char *,
    va_list) PRINTFLIKE(4, 0);

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

/*
 * The nesting pre-scan.  libyaml's scanner spends time growing faster than
 * the input on deeply nested flow collections ("[[[[..."), long before
 * ydoc_convert's depth limit could see them, so the text is scanned once,
 * linearly, for how deep it nests before libyaml sees it.  The scan follows
 * libyaml's own rules for where a token starts (comments, quoted, plain and
 * block scalars, the block indentation that ends them, its line breaks) so
 * that brackets inside scalars and comments do not count.  Where it could
 * disagree with libyaml it errs towards counting a '[' or '{' (a file
 * refused that libyaml would take) and never towards missing one.
 */
struct scan {
	const unsigned char	*s;
	size_t			 len, i;
	int			 line, col;	/* 1-based line, 0-based col */
	int			 flow;		/* [ and { open */
	int			*ind;		/* block indentation columns */
	int			 nind, max;
	int			 key_line, key_col;	/* a possible simple key */
};

/*
 * Length of the line break at i (\r\n, \r, \n, NEL, LS, PS), or 0.  The
 * scan asks this of nearly every byte, so the bytes no line break starts
 * with are answered first.
 */
static inline size_t
scan_break(const struct scan *sc, size_t i)
{
	const unsigned char *s = sc->s;
	size_t n = sc->len - i;

	if (n == 0 || (s[i] != '\r' && s[i] != '\n' && s[i] != 0xc2 &&
	    s[i] != 0xe2))
		return 0;
	if (n >= 2 && s[i] == '\r' && s[i + 1] == '\n')
		return 2;
	if (n >= 1 && (s[i] == '\r' || s[i] == '\n'))
		return 1;
	if (n >= 2 && s[i] == 0xc2 && s[i + 1] == 0x85)
		return 2;
	if (n >= 3 && s[i] == 0xe2 && s[i + 1] == 0x80 &&
	    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))
		return 3;
	return 0;
}

static int
scan_at(const struct scan *sc, size_t i)
{
	return i < sc->len ? sc->s[i] : -1;
}

/* Blank, line break or the end: what ends an indicator. */
static int
scan_blankz(const struct scan *sc, size_t i)
{
	int c = scan_at(sc, i);

	return c == -1 || c == ' ' || c == '\t' || scan_break(sc, i) > 0;
}

/* Move past one character (or line break), keeping line and column. */
static inline void
scan_skip(struct scan *sc)
{
	size_t b;

	/* Most bytes are ASCII and no line break. */
	if (sc->i < sc->len && sc->s[sc->i] < 0x80 && sc->s[sc->i] != '\r' &&
	    sc->s[sc->i] != '\n') {
		do
			sc->i++;
		while (sc->i < sc->len && (sc->s[sc->i] & 0xc0) == 0x80);
		sc->col++;
		return;
	}
	b = scan_break(sc, sc->i);

	if (b > 0) {
		sc->i += b;
		sc->line++;
		sc->col = 0;
		return;
	}
	/* Columns count characters, as libyaml's do: not UTF-8 tails. */
	do
		sc->i++;
	while (sc->i < sc->len && (sc->s[sc->i] & 0xc0) == 0x80);
	sc->col++;
}

/*
 * Move to the next line break (or the end) over the rest of a comment,
 * directive or block scalar line: the same place scan_skip would stop
 * at, byte by byte, as no line break starts with a UTF-8 tail byte.  The
 * column is left behind: the line break that follows starts a new one,
 * and at the end nothing reads it.
 */
static void
scan_line_end(struct scan *sc)
{
	const unsigned char *s = sc->s;
	size_t i;

	for (i = sc->i; i < sc->len; i++)
		if ((s[i] == '\n' || s[i] == '\r' || s[i] == 0xc2 ||
		    s[i] == 0xe2) && scan_break(sc, i) > 0)
			break;
	sc->i = i;
}

static int
scan_top(const struct scan *sc)
{
	return sc->nind > 0 ? sc->ind[sc->nind - 1] : -1;
}

static struct error *
scan_deep(const char *name, const struct scan *sc)
{
	return ydoc_error_at(name, sc->line, sc->col + 1, "lists and mappings "
	    "nested more than %d levels deep; nest them less", sc->max);
}

static struct error *
scan_open(const char *name, struct scan *sc, int block_col)
{
	if (block_col >= 0) {
		if (block_col <= scan_top(sc))
			return NULL;
		if (sc->nind + sc->flow >= sc->max)
			return scan_deep(name, sc);
		sc->ind[sc->nind++] = block_col;
		return NULL;
	}
	if (sc->nind + sc->flow >= sc->max)
		return scan_deep(name, sc);
	sc->flow++;
	return NULL;
}

/* Spaces at the start of the line at i, and whether the line is empty. */
static int
scan_indent(const struct scan *sc, size_t i, int *empty)
{
	int n = 0;

	while (scan_at(sc, i) == ' ') {
		i++;
		n++;
	}
	*empty = scan_at(sc, i) == -1 || scan_break(sc, i) > 0;
	return n;
}

/* A block scalar: the header, then its lines (libyaml's rules). */
static void
scan_block_scalar(struct scan *sc)
{
	int top = scan_top(sc), incr = 0, indent, n, empty, c;
	size_t j;

	scan_skip(sc);
	while ((c = scan_at(sc, sc->i)) != -1 && scan_break(sc, sc->i) == 0) {
		if (incr == 0 && c >= '1' && c <= '9')
			incr = c - '0';
		scan_skip(sc);	/* the rest of the header and its comment */
	}
	if (sc->i >= sc->len)
		return;
	scan_skip(sc);
	if (incr > 0)
		indent = top >= 0 ? top + incr : incr;
	else {
		/* The most-indented leading empty line or the first line. */
		indent = 0;
		for (j = sc->i;;) {
			size_t b;

			n = scan_indent(sc, j, &empty);
			if (n > indent)
				indent = n;
			if (!empty || (b = scan_break(sc, j + (size_t)n)) == 0)
				break;
			j += (size_t)n + b;
		}
		if (indent < top + 1)
			indent = top + 1;
		if (indent < 1)
			indent = 1;
	}
	for (;;) {
		n = scan_indent(sc, sc->i, &empty);
		if (n < indent && !empty)
			return;		/* the next token's line */
		if (sc->i + (size_t)n >= sc->len) {
			sc->i = sc->len;
			return;
		}
		scan_line_end(sc);
		if (sc->i < sc->len)
			scan_skip(sc);
	}
}

static void
scan_quoted(struct scan *sc, int q)
{
	int c;

	scan_skip(sc);
	while ((c = scan_at(sc, sc->i)) != -1) {
		if (q == '\'' && c == '\'' && scan_at(sc, sc->i + 1) == '\'') {
			sc->i += 2;
			sc->col += 2;
		} else if (c == q) {
			scan_skip(sc);
			return;
		} else if (q == '"' && c == '\\') {
			scan_skip(sc);
			if (sc->i < sc->len)
				scan_skip(sc);
		} else
			scan_skip(sc);
	}
}

static int
scan_flow_indicator(int c)
{
	return c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
}

static int
scan_docmark(const struct scan *sc, size_t i)
{
	return sc->len - i >= 3 && (memcmp(sc->s + i, "---", 3) == 0 ||
	    memcmp(sc->s + i, "...", 3) == 0) && scan_blankz(sc, i + 3);
}

/* The ASCII bytes scan_plain must look at; it moves over the others. */
static const unsigned char plain_stop[128] = {
	[' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1, [':'] = 1,
	[','] = 1, ['['] = 1, [']'] = 1, ['{'] = 1, ['}'] = 1,
};

/* A plain scalar, across the lines that continue it. */
static void
scan_plain(struct scan *sc)
{
	int c;

	for (;;) {
		c = scan_at(sc, sc->i);
		if (c == -1)
			return;
		/*
		 * ASCII but for blanks, line breaks, ':' and the flow
		 * indicators goes on with the scalar, in or out of flows.
		 */
		if (c < 0x80 && !plain_stop[c]) {
			/* scan_skip's work, for a byte it moves over alone. */
			do
				sc->i++;
			while (sc->i < sc->len && (sc->s[sc->i] & 0xc0) == 0x80);
			sc->col++;
			continue;
		}
		/* libyaml 0.2.5's rules: "x?y" goes on in a flow too. */
		if (c == ':' && (scan_blankz(sc, sc->i + 1) || (sc->flow > 0 &&
		    (scan_flow_indicator(scan_at(sc, sc->i + 1)) ||
		    scan_at(sc, sc->i + 1) == '?'))))
			return;
		if (sc->flow > 0 && scan_flow_indicator(c))
			return;
		if (c == ' ' || c == '\t') {
			size_t j = sc->i;

			while (scan_at(sc, j) == ' ' || scan_at(sc, j) == '\t')
				j++;
			if (scan_at(sc, j) == '#')
				return;
			while (sc->i < j)
				scan_skip(sc);
			continue;
		}
		if (scan_break(sc, sc->i) > 0) {
			/* Does the next line with text go on with it? */
			size_t j = sc->i;
			int n = 0, col = 0, b, empty;

			while ((b = (int)scan_break(sc, j)) > 0) {
				j += (size_t)b;
				col = scan_indent(sc, j, &empty);
				j += (size_t)col;
				n++;
				while (scan_at(sc, j) == '\t') {
					j++;
					col++;
				}
			}
			if (j >= sc->len || scan_at(sc, j) == '#' ||
			    (col == 0 && scan_docmark(sc, j)) ||
			    (sc->flow == 0 && col < scan_top(sc) + 1))
				return;
			while (sc->i < j)
				scan_skip(sc);
			(void)n;
			continue;
		}
		scan_skip(sc);
	}
}

/*
 * Refuse text nesting lists and mappings (block or flow) more than max
 * levels deep, in one pass over it, naming where.
 */
struct error *
ydoc_check_nesting(const char *name, const char *buf, size_t len, int max)
{
	struct scan sc;
	struct error *err = NULL;
	int c, allowed = 1;

	memset(&sc, 0, sizeof(sc));
	sc.s = (const unsigned char *)buf;
	sc.len = len;
	sc.line = 1;
	sc.max = max;
	sc.key_line = -1;
	sc.ind = xcalloc((size_t)max + 1, sizeof(*sc.ind));
	if (len >= 2 && ((sc.s[0] == 0xff && sc.s[1] == 0xfe) ||
	    (sc.s[0] == 0xfe && sc.s[1] == 0xff))) {
		err = ydoc_error_at(name, 1, 1, "UTF-16 text; save the file as "
		    "UTF-8");
		goto done;
	}
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		sc.i = 3;
	for (;;) {
		/* To the next token: blanks, comments, line breaks. */
		c = scan_at(&sc, sc.i);
		if (c == ' ' || c == '\t') {
			sc.i++;
			sc.col++;
			continue;
		}
		if (c == '#') {
			scan_line_end(&sc);
			continue;
		}
		if (c != -1 && scan_break(&sc, sc.i) > 0) {
			scan_skip(&sc);
			if (sc.flow == 0)
				allowed = 1;
			continue;
		}
		if (c == -1)
			break;
		if (sc.flow == 0)
			while (sc.nind > 0 && sc.ind[sc.nind - 1] > sc.col)
				sc.nind--;
		if (sc.col == 0 && scan_docmark(&sc, sc.i)) {
			sc.i += 3;
			sc.col += 3;
			sc.nind = 0;
			allowed = 1;
			continue;
		}
		if (sc.col == 0 && c == '%') {
			scan_line_end(&sc);
			continue;
		}
		if (allowed) {
			sc.key_line = sc.line;
			sc.key_col = sc.col;
		}
		switch (c) {
		case '[':
		case '{':
			if ((err = scan_open(name, &sc, -1)) != NULL)
				goto done;
			scan_skip(&sc);
			allowed = 1;
			continue;
		case ']':
		case '}':
			if (sc.flow > 0)
				sc.flow--;
			scan_skip(&sc);
			allowed = 0;
			continue;
		case ',':
			scan_skip(&sc);
			allowed = 1;
			continue;
		case '-':
		case '?':
			if ((c == '-' || sc.flow == 0) &&
			    !scan_blankz(&sc, sc.i + 1))
				break;
			if (sc.flow == 0 &&
			    (err = scan_open(name, &sc, sc.col)) != NULL)
				goto done;
			scan_skip(&sc);
			allowed = 1;
			continue;
		case ':':
			/* In a flow, ':' starting a token is always a value. */
			if (!scan_blankz(&sc, sc.i + 1) && sc.flow == 0)
				break;
			if (sc.flow == 0) {
				int kc = sc.key_line == sc.line && !allowed ?
				    sc.key_col : sc.col;

				if ((err = scan_open(name, &sc, kc)) != NULL)
					goto done;
			}
			sc.key_line = -1;
			scan_skip(&sc);
			allowed = 1;
			continue;
		case '|':
		case '>':
			if (sc.flow > 0)
				break;
			scan_block_scalar(&sc);
			allowed = 1;
			continue;
		case '\'':
		case '"':
			scan_quoted(&sc, c);
			allowed = 0;
			continue;
		case '&':
		case '*':
		case '!':
			/* Anchors, aliases and tags: their names. */
			scan_skip(&sc);
			if (c == '!' && scan_at(&sc, sc.i) == '<') {
				while ((c = scan_at(&sc, sc.i)) != -1 &&
				    c != '>' && scan_break(&sc, sc.i) == 0)
					scan_skip(&sc);
			} else {
				const char *more = c == '!' ?
				    ";/?:@&=+$.%!~*'()" : "";
				int d;

				while ((d = scan_at(&sc, sc.i)) > 0 &&
				    (isalnum(d) || d == '-' || d == '_' ||
				    strchr(more, d) != NULL))
					scan_skip(&sc);
			}
			allowed = 0;
			continue;
		}
		scan_plain(&sc);
		allowed = 0;
	}
done:
	free(sc.ind);
	return err;
}

static struct ynode *
ydoc_new(struct conv *cv, enum ynode_type type, const yaml_node_t *yn)
{
	struct ynode *n = yarena_alloc(cv->arena, sizeof(*n),
	    _Alignof(struct ynode));

	memset(n, 0, sizeof(*n));

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
		n = ydoc_new(cv, YNODE_SCALAR, yn);
		if (memchr(yn->data.scalar.value, '\0',
		    yn->data.scalar.length) != NULL) {
			err = ydoc_error(cv->name, n,
			    "NUL character in a scalar");
			goto done;
		}
		n->value = yarena_alloc(cv->arena, yn->data.scalar.length + 1,
		    1);
		memcpy(n->value, yn->data.scalar.value,
		    yn->data.scalar.length);
		n->value[yn->data.scalar.length] = '\0';
		n->plain = yn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		break;
	case YAML_SEQUENCE_NODE:
		n = ydoc_new(cv, YNODE_SEQ, yn);
		n->items = yarena_alloc(cv->arena, sizeof(*n->items) *
		    (size_t)(yn->data.sequence.items.top -
		    yn->data.sequence.items.start), _Alignof(struct ynode *));
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
		n = ydoc_new(cv, YNODE_MAP, yn);
		n->ents = yarena_alloc(cv->arena, sizeof(*n->ents) *
		    (size_t)(yn->data.mapping.pairs.top -
		    yn->data.mapping.pairs.start), _Alignof(struct ymapent));
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
				if (n->ents[j].key->value[0] ==
				    e->key->value[0] &&
				    strcmp(n->ents[j].key->value,
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
	if (err != NULL)
		return err;	/* n is freed with the arena */
	*out = n;
	return NULL;
}

/*
 * The quick way to a tree, straight from libyaml's events, for the usual
 * document: one of them, no anchors or aliases, nothing ydoc_convert
 * would refuse.  It gives up (returns 0) at the first thing it does not
 * handle, an error included, and ydoc_parse_string then goes the careful
 * way, through libyaml's document and ydoc_convert, which is the one that
 * words every message.  So both ways give the same tree or the same
 * error; this one spares a copy of every node, a tag string for each and
 * a second walk, which was a fifth of loco route's start-up.
 */
struct eframe {
	struct ynode	*n;
	size_t		 first;		/* its children in kids[first..] */
};

static int
ydoc_load_events(const char *buf, size_t len, struct ynode **root)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct yarena *arena = yarena_new();
	struct eframe stack[YDOC_MAX_DEPTH + 2];
	struct ynode **kids = NULL, *n, **dst;
	size_t nkids = 0, kidcap = 0, nodes = 0, k, count;
	int depth = 0, ok = 0, done = 0, in_doc = 0, docs = 0;

	*root = NULL;
	if (!yaml_parser_initialize(&parser))
		fatal("cannot initialise the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev))
			goto out;
		n = NULL;
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (docs++ > 0)
				goto bail;	/* the careful way says why */
			in_doc = 1;
			break;
		case YAML_DOCUMENT_END_EVENT:
			in_doc = 0;
			break;
		case YAML_ALIAS_EVENT:
			goto bail;
		case YAML_SCALAR_EVENT:
			if (ev.data.scalar.anchor != NULL ||
			    memchr(ev.data.scalar.value, '\0',
			    ev.data.scalar.length) != NULL)
				goto bail;
			n = yarena_alloc(arena, sizeof(*n),
			    _Alignof(struct ynode));
			memset(n, 0, sizeof(*n));
			n->type = YNODE_SCALAR;
			n->value = yarena_alloc(arena,
			    ev.data.scalar.length + 1, 1);
			memcpy(n->value, ev.data.scalar.value,
			    ev.data.scalar.length);
			n->value[ev.data.scalar.length] = '\0';
			n->plain = ev.data.scalar.style ==
			    YAML_PLAIN_SCALAR_STYLE;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if ((ev.type == YAML_SEQUENCE_START_EVENT ?
			    ev.data.sequence_start.anchor :
			    ev.data.mapping_start.anchor) != NULL)
				goto bail;
			n = yarena_alloc(arena, sizeof(*n),
			    _Alignof(struct ynode));
			memset(n, 0, sizeof(*n));
			n->type = ev.type == YAML_SEQUENCE_START_EVENT ?
			    YNODE_SEQ : YNODE_MAP;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			/* Close the collection on top: its children. */
			n = stack[--depth].n;
			count = nkids - stack[depth].first;
			/* No child yet at all: kids is still NULL. */
			dst = count > 0 ? kids + stack[depth].first : NULL;
			if (n->type == YNODE_SEQ) {
				n->items = yarena_alloc(arena, count *
				    sizeof(*n->items),
				    _Alignof(struct ynode *));
				if (count > 0)
					memcpy(n->items, dst,
					    count * sizeof(*n->items));
				n->nitems = count;
			} else {
				n->ents = yarena_alloc(arena, count / 2 *
				    sizeof(*n->ents),
				    _Alignof(struct ymapent));
				for (k = 0; k + 1 < count; k += 2) {
					n->ents[k / 2].key = dst[k];
					n->ents[k / 2].value = dst[k + 1];
				}
				n->nents = count / 2;
			}
			nkids = stack[depth].first;
			yaml_event_delete(&ev);
			goto placed;
		default:
			goto bail;
		}
		if (n == NULL) {
			yaml_event_delete(&ev);
			continue;
		}
		/* A new node: where it is, and the limits convert sets. */
		n->line = (int)ev.start_mark.line + 1;
		n->col = (int)ev.start_mark.column + 1;
		if (!in_doc || depth > YDOC_MAX_DEPTH ||
		    ++nodes > YDOC_MAX_NODES)
			goto bail;
		if (n->type != YNODE_SCALAR) {
			stack[depth].n = n;
			stack[depth].first = nkids;
			depth++;
			yaml_event_delete(&ev);
			continue;
		}
		yaml_event_delete(&ev);
placed:
		/* n is complete: the root, or its parent's next child. */
		if (depth == 0) {
			*root = n;
			continue;
		}
		if (stack[depth - 1].n->type == YNODE_MAP &&
		    (nkids - stack[depth - 1].first) % 2 == 0) {
			/* A key: a scalar not seen before in this mapping. */
			if (n->type != YNODE_SCALAR)
				goto out;
			for (k = stack[depth - 1].first; k < nkids; k += 2)
				if (kids[k]->value[0] == n->value[0] &&
				    strcmp(kids[k]->value, n->value) == 0)
					goto out;
		}
		if (nkids == kidcap) {
			kidcap = kidcap ? kidcap * 2 : 64;
			kids = xreallocarray(kids, kidcap, sizeof(*kids));
		}
		kids[nkids++] = n;
	}
	ok = 1;
	goto out;
bail:
	yaml_event_delete(&ev);
out:
	free(kids);
	yaml_parser_delete(&parser);
	if (ok && *root != NULL)
		(*root)->arena = arena;
	else {
		*root = NULL;
		yarena_free(arena);
	}
	return ok;
}

/* The careful way: libyaml's document, then ydoc_convert. */
static struct error *
ydoc_load_document(const char *name, const char *buf, size_t len,
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
	cv.arena = yarena_new();
	if ((err = ydoc_convert(&cv, top, 0, root)) == NULL)
		(*root)->arena = cv.arena;
	else {
		*root = NULL;
		yarena_free(cv.arena);
	}
done:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return err;
}

struct error *
ydoc_parse_string(const char *name, const char *buf, size_t len,
    struct ynode **root)
{
	struct error *err;

	*root = NULL;
	if (len > YDOC_MAX_SIZE)
		return ydoc_error_at(name, 0, 0, "larger than 16 MiB");
	if ((err = ydoc_check_nesting(name, buf, len, YDOC_MAX_NESTING)) !=
	    NULL)
		return err;
	if (ydoc_load_events(buf, len, root))
		return NULL;
	return ydoc_load_document(name, buf, len, root);
}

/*
 * The cache of parsed files (ydoc_set_cache): a file's tree, written when
 * a parse succeeded and read back instead of parsing when the file holds
 * the same bytes.  A cache file is
 *
 *	"loco-ydoc-tree 2\n", u64 length, the YAML file's bytes, u8 has-root,
 *	the nodes in preorder, u64 checksum of all before it (ycache_sum)
 *
 * where a node is u8 type, u8 plain, u8 has-value, i32 line, i32 column,
 * then a scalar's u32 length and bytes, a sequence's u32 count and items,
 * a mapping's u32 count and key, value pairs (numbers in host order: the
 * cache is this machine's).  The bytes are compared whole, so a file
 * edited within its mtime's tick is still seen; a torn or foreign cache
 * file fails its checks and the file is parsed.  Errors are never cached.
 */
#define YCACHE_MAGIC	"loco-ydoc-tree 2\n"
#define YCACHE_MAX	(4u * YDOC_MAX_SIZE)

static char *ycache_dir;

void
ydoc_set_cache(const char *dir)
{
	free(ycache_dir);
	ycache_dir = dir != NULL ? xstrdup(dir) : NULL;
}

static uint64_t
ycache_fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char *b = p;

	while (n-- > 0) {
		h ^= *b++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * The cache file's checksum: FNV-1a's step over 8 bytes at a time (the
 * tail a byte at a time), eight times fewer steps than ycache_fnv: it
 * tells a torn or damaged file, not a forged one.
 */
static uint64_t
ycache_sum(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL, w;

	for (; n >= 8; n -= 8, b += 8) {
		memcpy(&w, b, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return ycache_fnv(b, n, h);
}

#define YCACHE_FNV0	0xcbf29ce484222325ULL

/* $dir/HEX.tree, by the FNV-1a of the path; free it. */
static char *
ycache_path(const char *path)
{
	uint64_t h = ycache_fnv(path, strlen(path), YCACHE_FNV0);

	return xasprintf("%s/%016llx.tree", ycache_dir, (unsigned long long)h);
}

/* Set when an add failed (past YCACHE_MAX): nothing is written then. */
static int ycache_full;

static void
ycache_put(struct strbuf *sb, const void *p, size_t n)
{
	if (strbuf_add(sb, p, n) == -1)
		ycache_full = 1;
}

static void
ycache_node(struct strbuf *sb, const struct ynode *n)
{
	unsigned char head[3] = { (unsigned char)n->type,
	    (unsigned char)(n->plain != 0), n->value != NULL };
	int32_t pos[2] = { n->line, n->col };
	uint32_t len;
	size_t i;

	ycache_put(sb, head, sizeof(head));
	ycache_put(sb, pos, sizeof(pos));
	switch (n->type) {
	case YNODE_SCALAR:
		len = n->value != NULL ? (uint32_t)strlen(n->value) : 0;
		ycache_put(sb, &len, sizeof(len));
		if (n->value != NULL)
			ycache_put(sb, n->value, len);
		break;
	case YNODE_SEQ:
		len = (uint32_t)n->nitems;
		ycache_put(sb, &len, sizeof(len));
		for (i = 0; i < n->nitems; i++)
			ycache_node(sb, n->items[i]);
		break;
	case YNODE_MAP:
		len = (uint32_t)n->nents;
		ycache_put(sb, &len, sizeof(len));
		for (i = 0; i < n->nents; i++) {
			ycache_node(sb, n->ents[i].key);
			ycache_node(sb, n->ents[i].value);
		}
		break;
	}
}

/* Write the tree of path's bytes; any failure leaves no cache file. */
static void
ycache_write(const char *path, const char *buf, size_t len,
    const struct ynode *root)
{
	struct strbuf sb = STRBUF_INIT;
	struct error *err;
	uint64_t n = len, h;
	unsigned char has = root != NULL;
	char *dest, *tmp;
	int fd;

	strbuf_init(&sb, YCACHE_MAX);
	ycache_full = 0;
	ycache_put(&sb, YCACHE_MAGIC, sizeof(YCACHE_MAGIC) - 1);
	ycache_put(&sb, &n, sizeof(n));
	ycache_put(&sb, buf, len);
	ycache_put(&sb, &has, 1);
	if (root != NULL)
		ycache_node(&sb, root);
	h = ycache_sum(sb.buf, sb.len);
	ycache_put(&sb, &h, sizeof(h));
	if (ycache_full) {
		strbuf_release(&sb);
		return;
	}
	dest = ycache_path(path);
	tmp = xasprintf("%s.XXXXXX", dest);
	if ((err = fs_mkdirs(ycache_dir, 0)) != NULL ||
	    (fd = mkstemp(tmp)) == -1) {
		error_free(err);
		free(tmp);
		free(dest);
		strbuf_release(&sb);
		return;
	}
	/* A cache: no fsync; a torn file fails its checksum. */
	if (fs_write_all(fd, sb.buf, sb.len) == -1) {
		close(fd);
		unlink(tmp);
	} else if (close(fd) == -1 || rename(tmp, dest) == -1)
		unlink(tmp);
	free(tmp);
	free(dest);
	strbuf_release(&sb);
}

struct ycur {
	const unsigned char	*p, *end;
	struct yarena		*arena;
};

static int
ycache_take(struct ycur *c, void *out, size_t n)
{
	if ((size_t)(c->end - c->p) < n)
		return -1;
	memcpy(out, c->p, n);
	c->p += n;
	return 0;
}

static struct ynode *
ycache_read_node(struct ycur *c, int depth)
{
	unsigned char head[3];
	int32_t pos[2];
	uint32_t len, i;
	struct ynode *n;

	if (depth > YDOC_MAX_DEPTH || ycache_take(c, head, sizeof(head)) ||
	    ycache_take(c, pos, sizeof(pos)) || ycache_take(c, &len, 4) ||
	    head[0] > YNODE_MAP || head[1] > 1 || head[2] > 1)
		return NULL;
	n = yarena_alloc(c->arena, sizeof(*n), _Alignof(struct ynode));
	memset(n, 0, sizeof(*n));
	n->type = (enum ynode_type)head[0];
	n->plain = head[1];
	n->line = pos[0];
	n->col = pos[1];
	switch (n->type) {
	case YNODE_SCALAR:
		if (!head[2])
			return len == 0 ? n : NULL;
		/* No NUL inside: the writer took len from strlen. */
		if ((size_t)(c->end - c->p) < len)
			return NULL;
		n->value = yarena_alloc(c->arena, (size_t)len + 1, 1);
		memcpy(n->value, c->p, len);
		n->value[len] = '\0';
		c->p += len;
		return n;
	case YNODE_SEQ:
		if (head[2] || len > (size_t)(c->end - c->p) / 11)
			return NULL;
		n->nitems = len;
		n->items = yarena_alloc(c->arena, (len + 1) *
		    sizeof(*n->items), _Alignof(struct ynode *));
		for (i = 0; i < len; i++)
			if ((n->items[i] = ycache_read_node(c, depth + 1)) ==
			    NULL)
				return NULL;
		return n;
	case YNODE_MAP:
		if (head[2] || len > (size_t)(c->end - c->p) / 22)
			return NULL;
		n->nents = len;
		n->ents = yarena_alloc(c->arena, (len + 1) * sizeof(*n->ents),
		    _Alignof(struct ymapent));
		for (i = 0; i < len; i++) {
			n->ents[i].key = ycache_read_node(c, depth + 1);
			if (n->ents[i].key == NULL ||
			    n->ents[i].key->type != YNODE_SCALAR ||
			    n->ents[i].key->value == NULL)
				return NULL;
			if ((n->ents[i].value = ycache_read_node(c,
			    depth + 1)) == NULL)
				return NULL;
		}
		return n;
	}
	return NULL;
}

/* The cached tree of exactly these bytes: 1 with *root set, else 0. */
static int
ycache_read(const char *path, const char *buf, size_t len,
    struct ynode **root)
{
	char *cpath = ycache_path(path), *data = NULL;
	struct error *err;
	struct ycur c;
	uint64_t n, h;
	unsigned char has;
	size_t head = sizeof(YCACHE_MAGIC) - 1, dlen = 0;
	int ok = 0;

	*root = NULL;
	if ((err = fs_read_file(cpath, YCACHE_MAX, &data, &dlen)) != NULL) {
		error_free(err);
		goto done;
	}
	if (dlen < head + sizeof(n) + sizeof(h) ||
	    memcmp(data, YCACHE_MAGIC, head) != 0)
		goto done;
	memcpy(&h, data + dlen - sizeof(h), sizeof(h));
	if (ycache_sum(data, dlen - sizeof(h)) != h)
		goto done;
	c.p = (const unsigned char *)data + head;
	c.end = (const unsigned char *)data + dlen - sizeof(h);
	if (ycache_take(&c, &n, sizeof(n)) || n != len ||
	    (size_t)(c.end - c.p) < len || memcmp(c.p, buf, len) != 0)
		goto done;
	c.p += len;
	if (ycache_take(&c, &has, 1) || has > 1)
		goto done;
	if (!has) {
		ok = c.p == c.end;
		goto done;
	}
	c.arena = yarena_new();
	*root = ycache_read_node(&c, 0);
	if (*root == NULL || c.p != c.end) {
		yarena_free(c.arena);
		*root = NULL;
		goto done;
	}
	(*root)->arena = c.arena;
	ok = 1;
done:
	free(data);
	free(cpath);
	return ok;
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
	if (ycache_dir != NULL && sb.len <= YDOC_MAX_SIZE &&
	    ycache_read(path, sb.buf, sb.len, root)) {
		strbuf_release(&sb);
		return NULL;
	}
	err = ydoc_parse_string(path, sb.buf, sb.len, root);
	if (err == NULL && ycache_dir != NULL)
		ycache_write(path, sb.buf, sb.len, *root);
	strbuf_release(&sb);
	return err;
}

void
ydoc_free(struct ynode *root)
{
	if (root != NULL)
		yarena_free(root->arena);
}

struct ynode *
ydoc_get(const struct ynode *map, const char *key)
{
	size_t i;

	if (map == NULL || map->type != YNODE_MAP)
		return NULL;
	for (i = 0; i < map->nents; i++)
		if (map->ents[i].key->value[0] == key[0] &&
		    strcmp(map->ents[i].key->value, key) == 0)
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

const char *
ydoc_library_version(void)
{
	return yaml_get_version_string();
}
