/*
 * modelfile.c: read Ollama Modelfiles and write the one for an adapter.
 *
 * The value rules are Ollama's (parser/parser.go): at each end of line the
 * value read so far is trimmed and, if it starts with """ or ", it is only
 * complete once it also ends with the same quotes.  mf_closed() is that
 * rule; the parser uses it line by line and the renderer uses it to prove
 * that what it writes reads back as the value it was given.
 */
#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "modelfile.h"
#include "registry.h"
#include "strbuf.h"
#include "util.h"
#include "ydoc.h"
#include "banned.h"

#define MF_MAX_SIZE	(16u << 20)	/* text, not weights */

enum mf_kind {
	MF_FROM, MF_ADAPTER, MF_PARAMETER, MF_TEMPLATE, MF_SYSTEM, MF_MESSAGE,
	MF_LICENSE, MF_REQUIRES, MF_NKINDS
};

static const char *const mf_names[] = {
	"from", "adapter", "parameter", "template", "system", "message",
	"license", "requires"
};
static const char *const mf_upper[] = {
	"FROM", "ADAPTER", "PARAMETER", "TEMPLATE", "SYSTEM", "MESSAGE",
	"LICENSE", "REQUIRES"
};
/* Ollama knows these; loco has no place for them. */
static const char *const mf_unsupported[] = { "draft", "renderer", "parser" };

struct mfparse {
	const char		*path;
	char			*dir;
	struct modelfile	*mf;
	int			 line;
	/* The value being read, possibly over several lines. */
	int			 in_value;
	enum mf_kind		 kind;
	char			*name;		/* parameter name, message role */
	int			 open_line;
	struct strbuf		 val;
	/* Where each single-use instruction was first seen. */
	int			 seen[MF_NKINDS];
};

static int
mf_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/*
 * Ollama's end-of-line test on the value read so far (buf, len).  If the
 * value is complete, set *v and *vlen to it without its quotes and return
 * 1; *quoted says whether it had quotes.
 */
static int
mf_closed(const char *buf, size_t len, const char **v, size_t *vlen,
    int *quoted)
{
	const char *s = buf, *e = buf + len;

	while (s < e && mf_space((unsigned char)*s))
		s++;
	while (e > s && mf_space((unsigned char)e[-1]))
		e--;
	len = (size_t)(e - s);
	*quoted = len > 0 && *s == '"';
	if (len >= 3 && memcmp(s, "\"\"\"", 3) == 0) {
		if (len < 6 || memcmp(e - 3, "\"\"\"", 3) != 0)
			return 0;
		*v = s + 3;
		*vlen = len - 6;
		return 1;
	}
	if (*quoted) {
		if (len < 2 || e[-1] != '"')
			return 0;
		*v = s + 1;
		*vlen = len - 2;
		return 1;
	}
	*v = s;
	*vlen = len;
	return 1;
}

static struct error *
mf_error(const struct mfparse *p, int line, const char *fmt, ...)
    PRINTFLIKE(3, 4);

static struct error *
mf_error(const struct mfparse *p, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	struct error *err;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	err = error_new(EXIT_CONFIG, "'%s': line %d: %s", p->path, line, msg);
	free(msg);
	return err;
}


static int
mf_looks_like_path(const char *v)
{
	return str_startswith(v, "./") || str_startswith(v, "../") ||
	    v[0] == '/' || v[0] == '~' || str_endswith(v, ".gguf");
}

/* Resolve a path written in the Modelfile, the way Ollama's expandPath does. */
static struct error *
mf_resolve(const struct mfparse *p, int line, const char *v, char **out)
{
	const char *home, *rest;
	struct passwd *pw;
	char *user;

	*out = NULL;
	if (v[0] == '/') {
		*out = xstrdup(v);
		return NULL;
	}
	if (v[0] == '~') {
		rest = strchr(v, '/');
		if (rest == NULL)
			rest = v + strlen(v);
		if (rest == v + 1) {
			home = getenv("HOME");
			if ((home == NULL || *home == '\0') &&
			    (pw = getpwuid(getuid())) != NULL)
				home = pw->pw_dir;
		} else {
			user = xstrndup(v + 1, (size_t)(rest - v - 1));
			pw = getpwnam(user);
			home = pw != NULL ? pw->pw_dir : NULL;
			if (home == NULL) {
				char *safe = str_sanitize(user, 80);
				struct error *err = mf_error(p, line,
				    "no such user '%s'", safe);

				free(safe);
				free(user);
				return err;
			}
			free(user);
		}
		if (home == NULL || *home == '\0')
			return mf_error(p, line, "cannot expand '~': no home "
			    "directory");
		*out = xasprintf("%s%s", home, rest);
		return NULL;
	}
	while (str_startswith(v, "./"))
		v += 2;
	if (strcmp(p->dir, ".") == 0)
		*out = xasprintf("./%s", v);
	else
		*out = xasprintf("%s/%s", p->dir, v);
	return NULL;
}

static void
mf_param_add(struct modelfile *mf, const char *name, const char *v,
    size_t vlen)
{
	struct param *pm;
	double d;
	const char *c;

	mf->params = xreallocarray(mf->params, mf->nparams + 1,
	    sizeof(*mf->params));
	pm = &mf->params[mf->nparams++];
	pm->name = xstrdup(name);
	pm->value = xstrndup(v, vlen);
	/* Decimal only: "0x10", "inf" and "nan" stay text. */
	pm->is_number = *pm->value != '\0';
	for (c = pm->value; *c != '\0'; c++)
		if (!isdigit((unsigned char)*c) && strchr("+-.eE", *c) == NULL)
			pm->is_number = 0;
	if (pm->is_number)
		pm->is_number = parse_double(pm->value, -HUGE_VAL, HUGE_VAL,
		    &d) == 0;
}

/*
 * As Ollama's api.FormatParams: an option it does not know, or a value
 * that does not parse as the option's type, makes it refuse the Modelfile.
 */
static struct error *
mf_param_check(struct mfparse *p, const char *name, const char *value)
{
	enum param_type t = param_type(name);
	struct error *err = NULL;
	char *safe;
	double d;
	long l;
	int b;

	safe = str_sanitize(t == PARAM_UNKNOWN ? name : value, 80);
	if (t == PARAM_UNKNOWN)
		err = mf_error(p, p->open_line, "unknown parameter '%s': "
		    "Ollama refuses it (see its Modelfile reference for the "
		    "options)", safe);
	else if (t == PARAM_INT && parse_long(value, LONG_MIN + 1, LONG_MAX,
	    &l) == -1)
		err = mf_error(p, p->open_line, "PARAMETER %s must be a whole "
		    "number, not '%s'", name, safe);
	else if (t == PARAM_FLOAT && parse_double(value, -HUGE_VAL, HUGE_VAL,
	    &d) == -1)
		err = mf_error(p, p->open_line, "PARAMETER %s must be a "
		    "number, not '%s'", name, safe);
	else if (t == PARAM_BOOL && parse_bool(value, &b) == -1)
		err = mf_error(p, p->open_line, "PARAMETER %s must be true or "
		    "false, not '%s'", name, safe);
	free(safe);
	return err;
}

/* A complete value: store it. */
static struct error *
mf_finish(struct mfparse *p, const char *v, size_t vlen, int quoted)
{
	struct modelfile *mf = p->mf;
	struct mf_message *m;
	struct error *err;
	char *s, *resolved;
	struct stat st;

	p->in_value = 0;
	if (vlen == 0 && (!quoted || p->kind == MF_FROM ||
	    p->kind == MF_ADAPTER || p->kind == MF_REQUIRES)) {
		if (p->kind == MF_PARAMETER)
			return mf_error(p, p->open_line,
			    "PARAMETER needs a name and a value");
		if (p->kind == MF_MESSAGE)
			return mf_error(p, p->open_line,
			    "MESSAGE needs a role and a text");
		return mf_error(p, p->open_line, "%s needs a value",
		    mf_upper[p->kind]);
	}
	s = xstrndup(v, vlen);
	switch (p->kind) {
	case MF_FROM:
		if (mf_looks_like_path(s)) {
			if ((err = mf_resolve(p, p->open_line, s,
			    &resolved)) != NULL) {
				free(s);
				return err;
			}
			free(s);
			mf->from = resolved;
			mf->from_is_file = 1;
			break;
		}
		/* A tag, unless a file of that name sits next to us. */
		if ((err = mf_resolve(p, p->open_line, s, &resolved)) != NULL) {
			free(s);
			return err;
		}
		if (stat(resolved, &st) == 0) {
			free(s);
			mf->from = resolved;
			mf->from_is_file = 1;
		} else {
			free(resolved);
			mf->from = s;
		}
		break;
	case MF_ADAPTER:
		err = mf_resolve(p, p->open_line, s, &mf->adapter);
		free(s);
		return err;
	case MF_PARAMETER:
		err = mf_param_check(p, p->name, s);
		if (err == NULL)
			mf_param_add(mf, p->name, v, vlen);
		free(s);
		free(p->name);
		p->name = NULL;
		return err;
	case MF_TEMPLATE:
		mf->template_ = s;
		break;
	case MF_SYSTEM:
		mf->system = s;
		break;
	case MF_MESSAGE:
		mf->messages = xreallocarray(mf->messages, mf->nmessages + 1,
		    sizeof(*mf->messages));
		m = &mf->messages[mf->nmessages++];
		m->role = p->name;
		m->content = s;
		p->name = NULL;
		break;
	case MF_LICENSE:
		if (mf->license == NULL)
			mf->license = s;
		else {
			char *joined = xasprintf("%s\n\n%s", mf->license, s);

			free(mf->license);
			free(s);
			mf->license = joined;
		}
		break;
	case MF_REQUIRES:
		mf->requires = s;
		break;
	case MF_NKINDS:
		free(s);
		break;
	}
	free(p->name);
	p->name = NULL;
	return NULL;
}

/* Add a line (or the first part of one) to the value; finish it if done. */
static struct error *
mf_value_line(struct mfparse *p, const char *s, size_t len)
{
	const char *v;
	size_t vlen;
	int quoted;

	if (p->in_value)
		strbuf_addch(&p->val, '\n');
	if (strbuf_add(&p->val, s, len) == -1)
		return mf_error(p, p->line, "value too long");
	p->in_value = 1;
	if (mf_closed(p->val.buf, p->val.len, &v, &vlen, &quoted))
		return mf_finish(p, v, vlen, quoted);
	return NULL;
}

static size_t
mf_word(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && s[n] != ' ' && s[n] != '\t')
		n++;
	return n;
}

static size_t
mf_blanks(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && (s[n] == ' ' || s[n] == '\t'))
		n++;
	return n;
}

static struct error *
mf_unknown(const struct mfparse *p, const char *word, size_t n)
{
	char *w = xstrndup(word, n), *lower = xstrdup(w), *safe;
	const char *hint;
	struct error *err;
	size_t i;

	for (i = 0; lower[i] != '\0'; i++)
		lower[i] = (char)tolower((unsigned char)lower[i]);
	safe = str_sanitize(w, 80);
	for (i = 0; i < ARRAY_SIZE(mf_unsupported); i++)
		if (strcmp(lower, mf_unsupported[i]) == 0)
			break;
	if (i < ARRAY_SIZE(mf_unsupported))
		err = mf_error(p, p->line, "instruction '%s' is not supported "
		    "by loco", safe);
	else if ((hint = str_suggest(lower, mf_names,
	    ARRAY_SIZE(mf_names))) != NULL) {
		for (i = 0; i < MF_NKINDS; i++)
			if (strcmp(hint, mf_names[i]) == 0)
				break;
		err = mf_error(p, p->line, "unknown instruction '%s'; did you "
		    "mean '%s'?", safe, mf_upper[i]);
	} else
		err = mf_error(p, p->line, "unknown instruction '%s'", safe);
	free(safe);
	free(lower);
	free(w);
	return err;
}

static struct error *
mf_once(struct mfparse *p, enum mf_kind kind)
{
	if (p->seen[kind] == 0) {
		p->seen[kind] = p->line;
		return NULL;
	}
	if (kind == MF_ADAPTER)
		return mf_error(p, p->line, "only one ADAPTER is supported "
		    "(the first is on line %d)", p->seen[kind]);
	return mf_error(p, p->line, "more than one %s instruction (the first "
	    "is on line %d)", mf_upper[kind], p->seen[kind]);
}

/* A line outside any value: blank, a comment, or an instruction. */
static struct error *
mf_instruction(struct mfparse *p, const char *s, size_t len)
{
	struct error *err;
	size_t i, n;
	int k;

	i = mf_blanks(s, len);
	if (i == len || s[i] == '#')
		return NULL;
	s += i;
	len -= i;
	n = mf_word(s, len);
	for (k = 0; k < MF_NKINDS; k++)
		if (strlen(mf_names[k]) == n &&
		    strncasecmp(s, mf_names[k], n) == 0)
			break;
	if (k == MF_NKINDS)
		return mf_unknown(p, s, n);
	p->kind = (enum mf_kind)k;
	p->open_line = p->line;
	if ((k == MF_FROM || k == MF_ADAPTER || k == MF_SYSTEM ||
	    k == MF_TEMPLATE || k == MF_REQUIRES) &&
	    (err = mf_once(p, p->kind)) != NULL)
		return err;
	s += n;
	len -= n;
	if (k == MF_PARAMETER || k == MF_MESSAGE) {
		i = mf_blanks(s, len);
		n = mf_word(s + i, len - i);
		if (n == 0 || i + n == len) {
			if (k == MF_PARAMETER)
				return mf_error(p, p->line,
				    "PARAMETER needs a name and a value");
			return mf_error(p, p->line,
			    "MESSAGE needs a role and a text");
		}
		p->name = xstrndup(s + i, n);
		s += i + n;
		len -= i + n;
		if (k == MF_PARAMETER) {
			for (i = 0; i < n; i++)
				if (!isalnum((unsigned char)p->name[i]) &&
				    p->name[i] != '_')
					break;
			if (i < n) {
				char *safe = str_sanitize(p->name, 80);

				err = mf_error(p, p->line, "PARAMETER name "
				    "'%s' must be letters, digits and '_'",
				    safe);
				free(safe);
				return err;
			}
		} else if (strcmp(p->name, "system") != 0 &&
		    strcmp(p->name, "user") != 0 &&
		    strcmp(p->name, "assistant") != 0) {
			char *safe = str_sanitize(p->name, 80);

			err = mf_error(p, p->line, "MESSAGE role must be "
			    "system, user or assistant, not '%s'", safe);
			free(safe);
			return err;
		}
	}
	if (len == 0) {
		if (k == MF_PARAMETER)
			return mf_error(p, p->line,
			    "PARAMETER needs a name and a value");
		if (k == MF_MESSAGE)
			return mf_error(p, p->line,
			    "MESSAGE needs a role and a text");
		return mf_error(p, p->line, "%s needs a value", mf_upper[k]);
	}
	strbuf_reset(&p->val);
	return mf_value_line(p, s, len);
}

struct error *
modelfile_parse(const char *path, const char *text, size_t len,
    struct modelfile *mf)
{
	struct mfparse p;
	struct error *err = NULL;
	const char *s = text, *end = text + len, *nl;
	size_t n;

	memset(mf, 0, sizeof(*mf));
	memset(&p, 0, sizeof(p));
	p.path = path;
	p.dir = path_dirname(path);
	p.mf = mf;
	strbuf_init(&p.val, MF_MAX_SIZE);
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (s < end) {
		p.line++;
		nl = memchr(s, '\n', (size_t)(end - s));
		n = (size_t)((nl != NULL ? nl : end) - s);
		if (memchr(s, '\0', n) != NULL) {
			err = mf_error(&p, p.line, "NUL byte in a Modelfile");
			goto done;
		}
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (p.in_value)
			err = mf_value_line(&p, s, n);
		else
			err = mf_instruction(&p, s, n);
		if (err != NULL)
			goto done;
		s = nl != NULL ? nl + 1 : end;
	}
	if (p.in_value) {
		err = mf_error(&p, p.open_line, "unterminated %s (opened here)",
		    str_startswith(p.val.buf + mf_blanks(p.val.buf, p.val.len),
		    "\"\"\"") ? "\"\"\" block" : "\" string");
		goto done;
	}
	if (mf->from == NULL)
		err = error_new(EXIT_CONFIG, "'%s': no FROM instruction", path);
done:
	if (err != NULL)
		modelfile_release(mf);
	free(p.name);
	free(p.dir);
	strbuf_release(&p.val);
	return err;
}

struct error *
modelfile_read(const char *path, struct modelfile *mf)
{
	struct strbuf sb;
	struct error *err;
	char buf[8192];
	ssize_t n;
	int fd;

	memset(mf, 0, sizeof(*mf));
	/* A FIFO would hang the read; the buffer's cap bounds the size. */
	if ((err = fs_open_regular(path, NULL, ULLONG_MAX, &fd, NULL)) !=
	    NULL)
		return err;
	strbuf_init(&sb, MF_MAX_SIZE);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			err = error_new(EXIT_FAIL, "cannot read '%s': %s", path,
			    strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		if (strbuf_add(&sb, buf, (size_t)n) == -1) {
			err = error_new(EXIT_CONFIG, "'%s': larger than %u "
			    "MiB: not a Modelfile", path, MF_MAX_SIZE >> 20);
			goto done;
		}
	}
	err = modelfile_parse(path, sb.buf, sb.len, mf);
done:
	close(fd);
	strbuf_release(&sb);
	return err;
}

void
modelfile_release(struct modelfile *mf)
{
	size_t i;

	free(mf->from);
	free(mf->adapter);
	free(mf->system);
	free(mf->template_);
	free(mf->license);
	free(mf->requires);
	for (i = 0; i < mf->nparams; i++) {
		free(mf->params[i].name);
		free(mf->params[i].value);
	}
	free(mf->params);
	for (i = 0; i < mf->nmessages; i++) {
		free(mf->messages[i].role);
		free(mf->messages[i].content);
	}
	free(mf->messages);
	memset(mf, 0, sizeof(*mf));
}

/* Rendering. */

enum mf_form { FORM_BARE, FORM_QUOTE, FORM_TRIPLE };

/*
 * Does text, written after an instruction, read back as exactly value?
 * Runs the parser's own end-of-line rule over it.
 */
static int
mf_reads_back(const char *text, const char *value)
{
	struct strbuf sb = STRBUF_INIT;
	const char *s = text, *nl, *v;
	size_t vlen;
	int quoted, ok = 0;

	for (;;) {
		nl = strchr(s, '\n');
		strbuf_add(&sb, s, nl != NULL ? (size_t)(nl - s) : strlen(s));
		if (mf_closed(sb.buf, sb.len, &v, &vlen, &quoted)) {
			ok = nl == NULL && vlen == strlen(value) &&
			    memcmp(v, value, vlen) == 0;
			break;
		}
		if (nl == NULL)
			break;
		strbuf_addch(&sb, '\n');
		s = nl + 1;
	}
	strbuf_release(&sb);
	return ok;
}

/* Ollama drops control characters; tab and newline survive. */
static int
mf_printable(const char *s, int newlines)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\t' || (c == '\n' && newlines))
			continue;
		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

static int
mf_bare_ok(const char *s)
{
	if (*s == '\0' || *s == '"')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/*
 * The way to write value after an instruction: the first of the forms
 * (in order of preference) that reads back as value.  NULL if none.
 */
static char *
mf_quote(const char *value, const enum mf_form *forms, size_t nforms)
{
	char *text;
	size_t i;

	if (!mf_printable(value, 1))
		return NULL;
	for (i = 0; i < nforms; i++) {
		switch (forms[i]) {
		case FORM_BARE:
			if (!mf_bare_ok(value))
				continue;
			text = xstrdup(value);
			break;
		case FORM_QUOTE:
			text = xasprintf("\"%s\"", value);
			break;
		case FORM_TRIPLE:
		default:
			text = xasprintf("\"\"\"%s\"\"\"", value);
			break;
		}
		if (mf_reads_back(text, value))
			return text;
		free(text);
	}
	return NULL;
}

static const enum mf_form value_forms[] = {
	FORM_BARE, FORM_QUOTE, FORM_TRIPLE
};
static const enum mf_form system_forms[] = { FORM_TRIPLE };

/* A file as the Modelfile next to the registry should name it. */
static char *
mf_file_text(const struct registry *r, const char *file)
{
	const char *rel = NULL;
	size_t n = r->dir != NULL ? strlen(r->dir) : 0;

	if (n > 0 && strncmp(file, r->dir, n) == 0 && file[n] == '/')
		rel = file + n + 1;
	else if (file[0] != '/')
		rel = file;
	if (rel == NULL)
		return xstrdup(file);
	while (str_startswith(rel, "./"))
		rel += 2;
	return xasprintf("./%s", rel);
}

/* FROM, ADAPTER and their values, in order; what = NULL when there is none. */
static void
mf_sources(const struct registry *r, const struct adapter *a,
    const char **from, char **from_file, char **adapter)
{
	*from = NULL;
	*from_file = NULL;
	*adapter = NULL;
	switch (a->type) {
	case ADAPTER_LORA:
		*from = r->base.tag;
		if (a->file != NULL)
			*adapter = mf_file_text(r, a->file);
		break;
	case ADAPTER_MERGED:
		if (a->file != NULL)
			*from_file = mf_file_text(r, a->file);
		break;
	case ADAPTER_PROMPT:
		*from = r->base.tag;
		break;
	case ADAPTER_TAG:
		*from = a->tag;
		break;
	case ADAPTER_COMPOSE:
		/* Several LoRA adapters: Ollama takes one per model. */
		break;
	}
}

static struct error *
mf_bad(const struct adapter *a, const char *what, const char *why)
{
	char *name = str_sanitize(a->name, 80);
	struct error *err = error_new(EXIT_CONFIG, "adapter '%s': %s cannot "
	    "be written in a Modelfile: %s", name, what, why);

	free(name);
	return err;
}

/* The SYSTEM value as written, or NULL with *err set. */
static char *
mf_system_text(const struct adapter *a, struct error **err)
{
	char *t;

	*err = NULL;
	if (!mf_printable(a->system, 1)) {
		*err = mf_bad(a, "the system prompt", "it holds a control "
		    "character");
		return NULL;
	}
	if ((t = mf_quote(a->system, system_forms,
	    ARRAY_SIZE(system_forms))) == NULL)
		*err = mf_bad(a, "the system prompt", "a line other than the "
		    "last ends with \"\"\" and Ollama has no escapes");
	return t;
}

static char *
mf_param_text(const struct adapter *a, const struct param *pm,
    struct error **err)
{
	char *t, *what, *name;

	*err = NULL;
	if ((t = mf_quote(pm->value, value_forms,
	    ARRAY_SIZE(value_forms))) != NULL)
		return t;
	name = str_sanitize(pm->name, 80);
	what = xasprintf("a value of parameter '%s'", name);
	if (!mf_printable(pm->value, 1))
		*err = mf_bad(a, what, "it holds a control character");
	else
		*err = mf_bad(a, what, "a line other than the last ends with "
		    "\"\"\" and Ollama has no escapes");
	free(what);
	free(name);
	return NULL;
}

static char *
mf_path_text(const struct adapter *a, const char *what, const char *v,
    struct error **err)
{
	char *t;

	*err = NULL;
	if (!mf_printable(v, 0) ||
	    (t = mf_quote(v, value_forms, ARRAY_SIZE(value_forms))) == NULL) {
		*err = mf_bad(a, what, "it holds a control character");
		return NULL;
	}
	return t;
}

/* Render, or explain why not: the one place both answers come from. */
static struct error *
mf_render(const struct registry *r, const struct adapter *a, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	struct error *err = NULL;
	const char *from;
	char *from_file, *adapter, *t;
	size_t i;

	*out = NULL;
	mf_sources(r, a, &from, &from_file, &adapter);
	strbuf_addf(&sb, "# loco adapter %s %s (%s): generated from the "
	    "registry; do not edit\n", a->name, a->version,
	    adapter_type_name(a->type));
	if (a->type == ADAPTER_COMPOSE) {
		err = mf_bad(a, "a composition", "it is served only by "
		    "llama-server: Ollama applies one adapter per model");
		goto done;
	}
	if (from == NULL && from_file == NULL) {
		err = mf_bad(a, "FROM", a->type == ADAPTER_MERGED ?
		    "the adapter has no file" : a->type == ADAPTER_TAG ?
		    "the adapter has no tag" : "the registry has no base tag");
		goto done;
	}
	if ((t = mf_path_text(a, from_file != NULL ? "the file" : "the tag",
	    from_file != NULL ? from_file : from, &err)) == NULL)
		goto done;
	strbuf_addf(&sb, "FROM %s\n", t);
	free(t);
	if (a->type == ADAPTER_LORA) {
		if (adapter == NULL) {
			err = mf_bad(a, "ADAPTER", "the adapter has no file");
			goto done;
		}
		if ((t = mf_path_text(a, "the file", adapter, &err)) == NULL)
			goto done;
		strbuf_addf(&sb, "ADAPTER %s\n", t);
		free(t);
	}
	if (a->system != NULL) {
		if ((t = mf_system_text(a, &err)) == NULL)
			goto done;
		strbuf_addf(&sb, "SYSTEM %s\n", t);
		free(t);
	}
	for (i = 0; i < a->nparams; i++) {
		if ((t = mf_param_text(a, &a->params[i], &err)) == NULL)
			goto done;
		strbuf_addf(&sb, "PARAMETER %s %s\n", a->params[i].name, t);
		free(t);
	}
	*out = strbuf_detach(&sb, NULL);
done:
	strbuf_release(&sb);
	free(from_file);
	free(adapter);
	return err;
}

struct error *
modelfile_check(const struct registry *r, const struct adapter *a)
{
	char *text;
	struct error *err = mf_render(r, a, &text);

	free(text);
	return err;
}

char *
modelfile_render(const struct registry *r, const struct adapter *a)
{
	char *text;
	struct error *err = mf_render(r, a, &text);

	if (err != NULL) {
		error_free(err);
		return NULL;
	}
	return text;
}
