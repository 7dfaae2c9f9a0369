/* history.c: $LOCO_HOME/history.jsonl (see history.h). */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "history.h"
#include "json.h"
#include "jsonout.h"
#include "tools.h"
#include "vote.h"
#include "banned.h"

/* Seconds to wait for another loco's append (each takes milliseconds). */
#define LOCK_TIMEOUT	10
/* Ids stay exact as JSON is printed (15 significant digits). */
#define ID_MAX		999999999999999LL
/* How much of the file's end is read first to find the last id. */
#define TAIL_FIRST	65536

char *
history_path(void)
{
	char *home = loco_home(), *path;

	path = xasprintf("%s/history.jsonl", home);
	free(home);
	return path;
}

static char *
lock_path(const char *path)
{
	return xasprintf("%s.lock", path);
}

static void
utc_now(char buf[32])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Parsing lines. */

static const char not_json[] = "not a JSON object";

enum line_type { LINE_BAD, LINE_OTHER, LINE_RECORD, LINE_FEEDBACK,
    LINE_CLEAR };

struct line {
	enum line_type		 type;
	const char		*why;		/* LINE_BAD */
	struct history_entry	 e;		/* LINE_RECORD */
	long long		 ref;		/* LINE_FEEDBACK */
	const char		*verdict;	/* static "good" or "bad" */
	long long		 last_id;	/* LINE_CLEAR */
};

static double
get_num(const struct json *obj, const char *key)
{
	double d;

	return json_num(obj, key, &d) == 0 && isfinite(d) ? d : NAN;
}

static long long
get_count(const struct json *obj, const char *key)
{
	double d = get_num(obj, key);

	return d >= 0 && d <= (double)ID_MAX ? (long long)d : 0;
}

static long long
get_ns(const struct json *obj, const char *key)
{
	double d = get_num(obj, key);

	return d >= 0 && d < 1e9 ? llround(d * 1e9) : 0;
}

/* A positive whole number, or 0. */
static long long
get_id(const struct json *obj, const char *key)
{
	double d = get_num(obj, key);

	if (!(d >= 1 && d <= (double)ID_MAX) || d != floor(d))
		return 0;
	return (long long)d;
}

static const char *
verdict_static(const char *v)
{
	if (v == NULL)
		return NULL;
	if (strcmp(v, "good") == 0)
		return "good";
	if (strcmp(v, "bad") == 0)
		return "bad";
	return NULL;
}

static void
vote_free(struct history_vote *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->ngroups; i++)
		free(v->groups[i].answer);
	free(v->groups);
	free(v->method);
	free(v->answer);
	free(v);
}

static void
entry_release(struct history_entry *e)
{
	free(e->kind);
	free(e->time);
	free(e->session);
	free(e->question);
	free(e->adapter);
	free(e->model);
	free(e->route);
	free(e->answer);
	vote_free(e->vote);
	if (e->tools != NULL) {
		tool_log_release(e->tools);
		free(e->tools);
	}
	memset(e, 0, sizeof(*e));
}

static struct history_vote *
parse_vote(const struct json *obj)
{
	struct history_vote *v;
	const struct json *votes, *g;
	size_t n = 0;

	if (!json_is_object(obj))
		return NULL;
	v = xcalloc(1, sizeof(*v));
	v->method = json_strdup(obj, "method");
	v->answer = json_strdup(obj, "answer");
	votes = json_get(obj, "votes");
	if (json_is_object(votes)) {
		JSON_FOREACH(g, votes)
			if (json_is_number(g))
				n++;
		v->groups = xcalloc(n, sizeof(*v->groups));
		JSON_FOREACH(g, votes) {
			if (!json_is_number(g))
				continue;
			v->groups[v->ngroups].answer = xstrdup(json_key(g));
			v->groups[v->ngroups++].count = get_count(votes,
			    json_key(g));
		}
	}
	v->invalid = get_count(obj, "invalid");
	v->samples = get_count(obj, "samples");
	v->confidence = get_num(obj, "confidence");
	return v;
}

/* The "tools" array: every call an object; others are skipped. */
static struct tool_log *
parse_tools(const struct json *arr)
{
	struct tool_log *tl;
	struct tool_record *r;
	const struct json *c;
	double round;

	if (!json_is_array(arr))
		return NULL;
	tl = xcalloc(1, sizeof(*tl));
	tl->calls = xcalloc(json_count(arr) + 1,
	    sizeof(*tl->calls));
	JSON_FOREACH(c, arr) {
		if (!json_is_object(c))
			continue;
		r = &tl->calls[tl->n++];
		if ((r->name = json_strdup(c, "name")) == NULL)
			r->name = xstrdup("");
		r->code = json_strdup(c, "code");
		if ((r->arguments = json_strdup(c, "arguments")) == NULL)
			r->arguments = xstrdup("{}");
		if ((r->result = json_strdup(c, "result")) == NULL)
			r->result = xstrdup("");
		r->error = json_strdup(c, "error");
		r->seconds = get_num(c, "seconds");
		if (!(r->seconds >= 0))
			r->seconds = 0;
		round = get_num(c, "round");
		r->round = round >= 1 && round <= 1e6 ? (int)round : 1;
		r->sample = (size_t)get_count(c, "sample");
	}
	return tl;
}

static void
parse_record(const struct json *root, const char *kind, struct line *l)
{
	struct history_entry *e = &l->e;
	const struct json *stats;

	if ((e->id = get_id(root, "id")) == 0) {
		l->type = LINE_BAD;
		l->why = "a record without a valid \"id\"";
		return;
	}
	l->type = LINE_RECORD;
	e->kind = xstrdup(kind);
	e->time = json_strdup(root, "time");
	e->session = json_strdup(root, "session");
	if ((e->question = json_strdup(root, "question")) == NULL)
		e->question = xstrdup("");
	e->adapter = json_strdup(root, "adapter");
	e->model = json_strdup(root, "model");
	e->route = json_strdup(root, "route");
	e->confidence = get_num(root, "confidence");
	if ((e->answer = json_strdup(root, "answer")) == NULL)
		e->answer = xstrdup("");
	e->interrupted = json_is_true(json_get(root, "interrupted"));
	stats = json_get(root, "stats");
	e->prompt_tokens = get_count(stats, "prompt_tokens");
	e->answer_tokens = get_count(stats, "answer_tokens");
	e->wall_ns = get_ns(stats, "wall_seconds");
	e->load_ns = get_ns(stats, "load_seconds");
	e->eval_ns = get_ns(stats, "eval_seconds");
	e->vote = parse_vote(json_get(root, "vote"));
	e->tools = parse_tools(json_get(root, "tools"));
}

/* One line without its newline; l->type says what it was. */
static void
parse_line(const char *text, size_t len, struct line *l)
{
	struct json *root;
	char *kind;

	memset(l, 0, sizeof(*l));
	if ((root = json_parse_object(text, len)) == NULL) {
		l->type = LINE_BAD;
		l->why = not_json;
		return;
	}
	if ((kind = json_strdup(root, "kind")) == NULL) {
		l->type = LINE_BAD;
		l->why = "no \"kind\"";
	} else if (strcmp(kind, "query") == 0 || strcmp(kind, "chat") == 0) {
		parse_record(root, kind, l);
	} else if (strcmp(kind, "feedback") == 0) {
		char *v = json_strdup(root, "verdict");

		l->ref = get_id(root, "ref");
		l->verdict = verdict_static(v);
		free(v);
		l->type = l->ref && l->verdict ? LINE_FEEDBACK : LINE_BAD;
		l->why = "feedback without a valid \"ref\" and \"verdict\"";
	} else if (strcmp(kind, "clear") == 0) {
		l->last_id = get_id(root, "last_id");
		l->type = LINE_CLEAR;
	} else
		l->type = LINE_OTHER;
	free(kind);
	json_free(root);
}

/* Reading. */

struct verdict {
	long long	 ref;
	size_t		 seq;		/* order in the file */
	const char	*verdict;
};

static int
verdict_cmp(const void *a, const void *b)
{
	const struct verdict *x = a, *y = b;

	if (x->ref != y->ref)
		return x->ref < y->ref ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Case-insensitive (ASCII) substring. */
static int
contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	if (hay == NULL)
		return 0;
	for (; *hay != '\0'; hay++) {
		for (i = 0; i < n && hay[i] != '\0'; i++)
			if (tolower((unsigned char)hay[i]) !=
			    tolower((unsigned char)needle[i]))
				break;
		if (i == n)
			return 1;
	}
	return n == 0;
}

static int
matches(const struct history_entry *e, const struct history_filter *f)
{
	if (f == NULL)
		return 1;
	if (f->id != 0 && e->id != f->id)
		return 0;
	if (f->session != NULL && (e->session == NULL ||
	    strcmp(e->session, f->session) != 0))
		return 0;
	if (f->adapter != NULL) {
		if (strcmp(f->adapter, "none") == 0 ? e->adapter != NULL :
		    e->adapter == NULL || strcmp(e->adapter, f->adapter) != 0)
			return 0;
	}
	if (f->search != NULL && !contains(e->question, f->search) &&
	    !contains(e->answer, f->search) && !contains(e->adapter,
	    f->search))
		return 0;
	return 1;
}

static void
warn_line(struct history *h, const char *path, long lineno, const char *why)
{
	h->nbad++;
	if (h->nwarnings >= HISTORY_WARNINGS_MAX)
		return;
	h->warnings = xreallocarray(h->warnings, h->nwarnings + 1,
	    sizeof(*h->warnings));
	h->warnings[h->nwarnings++] = xasprintf("%s:%ld: %s; skipped", path,
	    lineno, why);
}

/* Drop all but the last keep entries. */
static void
keep_last(struct history *h, size_t keep)
{
	size_t i, drop;

	if (h->n <= keep)
		return;
	drop = h->n - keep;
	for (i = 0; i < drop; i++)
		entry_release(&h->v[i]);
	memmove(h->v, h->v + drop, keep * sizeof(*h->v));
	h->n = keep;
}

static void
apply_verdicts(struct history *h, struct verdict *vs, size_t nv)
{
	struct verdict key, *hit;
	size_t i, lo, hi, mid;

	if (nv == 0)
		return;
	qsort(vs, nv, sizeof(*vs), verdict_cmp);
	for (i = 0; i < h->n; i++) {
		/* The last verdict on the id: past the last with that ref. */
		key.ref = h->v[i].id;
		lo = 0;
		hi = nv;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (vs[mid].ref <= key.ref)
				lo = mid + 1;
			else
				hi = mid;
		}
		hit = lo > 0 ? &vs[lo - 1] : NULL;
		if (hit != NULL && hit->ref == key.ref)
			h->v[i].feedback = hit->verdict;
	}
}

/* Read path, which the caller may have locked. */
static struct error *
read_file(const char *path, const struct history_filter *f,
    struct history *h)
{
	struct error *err = NULL;
	struct verdict *vs = NULL;
	struct line l;
	size_t nv = 0, alloc = 0, valloc = 0, keep;
	char *buf = NULL;
	size_t bufsize = 0;
	ssize_t len;
	long lineno = 0;
	FILE *fp;
	int fd, torn;

	memset(h, 0, sizeof(*h));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return NULL;
		return error_new(EXIT_FAIL, "cannot read '%s': %s", path,
		    strerror(errno));
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return error_new(EXIT_FAIL, "cannot read '%s': %s", path,
		    strerror(errno));
	}
	keep = f != NULL ? f->limit : 0;
	errno = 0;
	while ((len = getline(&buf, &bufsize, fp)) != -1) {
		lineno++;
		torn = len == 0 || buf[len - 1] != '\n';
		while (len > 0 && (buf[len - 1] == '\n' ||
		    buf[len - 1] == '\r'))
			len--;
		if (len == 0)
			continue;
		parse_line(buf, (size_t)len, &l);
		switch (l.type) {
		case LINE_BAD:
			/* Most likely a crash in the middle of a write. */
			warn_line(h, path, lineno, torn && l.why == not_json ?
			    "the last record is cut short" : l.why);
			break;
		case LINE_OTHER:
			break;
		case LINE_CLEAR:
			if (l.last_id > h->last_id)
				h->last_id = l.last_id;
			break;
		case LINE_FEEDBACK:
			if (nv == valloc) {
				valloc = valloc ? valloc * 2 : 16;
				vs = xreallocarray(vs, valloc, sizeof(*vs));
			}
			vs[nv].ref = l.ref;
			vs[nv].seq = nv;
			vs[nv++].verdict = l.verdict;
			break;
		case LINE_RECORD:
			h->nrecords++;
			if (l.e.id > h->last_id)
				h->last_id = l.e.id;
			if (!matches(&l.e, f)) {
				entry_release(&l.e);
				break;
			}
			if (h->n == alloc) {
				alloc = alloc ? alloc * 2 : 16;
				h->v = xreallocarray(h->v, alloc,
				    sizeof(*h->v));
			}
			h->v[h->n++] = l.e;
			/* Keep memory to twice the limit, however long. */
			if (keep > 0 && h->n >= 2 * keep)
				keep_last(h, keep);
			break;
		}
	}
	if (ferror(fp))
		err = error_new(EXIT_FAIL, "cannot read '%s': %s", path,
		    strerror(errno ? errno : EIO));
	fclose(fp);
	free(buf);
	if (keep > 0)
		keep_last(h, keep);
	apply_verdicts(h, vs, nv);
	free(vs);
	return err;
}

struct error *
history_read(const char *path, const struct history_filter *f,
    struct history *h)
{
	struct error *err;
	char *lp;
	int lockfd = -1;

	memset(h, 0, sizeof(*h));
	/*
	 * Wait for an append in progress, so as not to take its half-written
	 * line for a torn one; but a history that cannot be locked (a
	 * read-only directory) can still be read.
	 */
	if (fs_exists(path)) {
		lp = lock_path(path);
		if ((err = fs_lock(lp, 2, &lockfd)) != NULL) {
			error_free(err);
			lockfd = -1;
		}
		free(lp);
	}
	err = read_file(path, f, h);
	fs_unlock(lockfd);
	return err;
}

void
history_release(struct history *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		entry_release(&h->v[i]);
	free(h->v);
	strv_free(h->warnings, h->nwarnings);
	memset(h, 0, sizeof(*h));
}

/* Move the entries of b after those of a; b is left empty. */
static void
history_take(struct history *a, struct history *b)
{
	if (b->n > 0) {
		a->v = xreallocarray(a->v, a->n + b->n, sizeof(*a->v));
		memcpy(a->v + a->n, b->v, b->n * sizeof(*b->v));
		a->n += b->n;
		b->n = 0;
	}
	history_release(b);
}

struct error *
history_conversation(const char *path, struct history *h, char **session)
{
	struct history_filter f;
	struct history more, root;
	struct history_entry last;
	struct error *err;
	const char *s;
	char *end;
	long long rootid = 0;

	*session = NULL;
	memset(&f, 0, sizeof(f));
	f.limit = 1;
	if ((err = history_read(path, &f, h)) != NULL || h->n == 0)
		return err;
	last = h->v[0];
	if (last.session == NULL) {
		/* A lone query: its --continue chain is named after it. */
		*session = xasprintf("%s%lld", HISTORY_QUERY_SESSION, last.id);
		return NULL;
	}
	*session = xstrdup(last.session);
	/* The whole session: read again, this time only its records. */
	memset(&f, 0, sizeof(f));
	f.session = *session;
	if ((err = history_read(path, &f, &more)) != NULL) {
		history_release(&more);
		return err;
	}
	s = *session;
	if (strncmp(s, HISTORY_QUERY_SESSION,
	    strlen(HISTORY_QUERY_SESSION)) == 0) {
		s += strlen(HISTORY_QUERY_SESSION);
		errno = 0;
		rootid = strtoll(s, &end, 10);
		if (errno != 0 || end == s || *end != '\0' || rootid <= 0)
			rootid = 0;
	}
	memset(&root, 0, sizeof(root));
	if (rootid > 0) {
		/* The query the chain began with (it has no session). */
		memset(&f, 0, sizeof(f));
		f.id = rootid;
		if ((err = history_read(path, &f, &root)) != NULL) {
			history_release(&root);
			history_release(&more);
			return err;
		}
		if (root.n > 0 && root.v[root.n - 1].session != NULL)
			keep_last(&root, 0);
		if (root.n > 1)
			keep_last(&root, 1);
	}
	/* h keeps the first read's warnings; its one entry is in more. */
	entry_release(&h->v[0]);
	h->n = 0;
	history_take(h, &root);
	history_take(h, &more);
	return NULL;
}

/* Appending. */

struct appender {
	const char	*path;
	int		 lockfd;
	int		 fd;
	off_t		 size;
	int		 torn;		/* the file does not end in a newline */
};

static int
pread_all(int fd, char *buf, size_t len, off_t off)
{
	ssize_t n;

	while (len > 0) {
		if ((n = pread(fd, buf, len, off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;	/* shorter than fstat said */
			return -1;
		}
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Lock, open for appending (0600: questions are private), look at the end. */
static struct error *
appender_open(const char *path, struct appender *a)
{
	struct error *err;
	struct stat st;
	char *dir = path_dirname(path), *lp = lock_path(path), c;
	int saved;

	memset(a, 0, sizeof(*a));
	a->path = path;
	a->fd = a->lockfd = -1;
	if ((err = fs_mkdirs(dir, 1)) == NULL)
		err = fs_lock(lp, LOCK_TIMEOUT, &a->lockfd);
	free(lp);
	if (err != NULL) {
		free(dir);
		return err;
	}
	a->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (a->fd == -1 || fstat(a->fd, &st) == -1) {
		saved = errno;
		err = error_new(EXIT_FAIL, "cannot open '%s': %s", path,
		    strerror(saved));
	} else if (!S_ISREG(st.st_mode)) {
		err = error_new(EXIT_FAIL, "'%s' is not a regular file", path);
	} else if ((a->size = st.st_size) == 0) {
		/* Perhaps just created: make its name last too. */
		err = fs_sync_dir(dir);
	} else if (pread_all(a->fd, &c, 1, a->size - 1) == -1) {
		err = error_new(EXIT_FAIL, "cannot read '%s': %s", path,
		    strerror(errno));
	} else
		a->torn = c != '\n';
	free(dir);
	return err;
}

static void
appender_close(struct appender *a)
{
	if (a->fd != -1)
		close(a->fd);
	fs_unlock(a->lockfd);
	a->fd = a->lockfd = -1;
}

/*
 * The id of the last record (or the clear marker's), from the end of
 * the file: read a tail, and a larger one while its lines hold none.
 */
static struct error *
last_id(struct appender *a, long long *id)
{
	struct line l;
	size_t want = TAIL_FIRST, len, s, e;
	off_t off;
	char *buf;

	*id = 0;
	for (;;) {
		off = (off_t)want < a->size ? a->size - (off_t)want : 0;
		len = (size_t)(a->size - off);
		buf = xmalloc(len + 1);
		if (pread_all(a->fd, buf, len, off) == -1) {
			free(buf);
			return error_new(EXIT_FAIL, "cannot read '%s': %s",
			    a->path, strerror(errno));
		}
		for (e = len; ; e = s - 1) {
			for (s = e; s > 0 && buf[s - 1] != '\n'; s--)
				;
			if (s == 0 && off > 0)
				break;		/* a part of a line: read more */
			if (e > s) {
				parse_line(buf + s, e - s, &l);
				if (l.type == LINE_RECORD) {
					*id = l.e.id;
					entry_release(&l.e);
				} else if (l.type == LINE_CLEAR)
					*id = l.last_id;
				if (l.type == LINE_RECORD ||
				    l.type == LINE_CLEAR) {
					free(buf);
					return NULL;
				}
			}
			if (s == 0)
				break;
		}
		free(buf);
		if (off == 0)
			return NULL;
		want = want > (size_t)a->size / 4 ? (size_t)a->size : want * 4;
	}
}

/*
 * One write of line (with its newline), and a newline before it when the
 * last line is torn; a record written in part is cut off again.
 */
static struct error *
appender_write(struct appender *a, const char *line)
{
	struct error *err = NULL;
	size_t len = strlen(line), n = 0;
	char *buf = xasprintf("%s%s\n", a->torn ? "\n" : "", line);
	ssize_t w;
	int saved;

	len += (size_t)a->torn + 1;
	while (n < len) {
		if ((w = write(a->fd, buf + n, len - n)) == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			if (ftruncate(a->fd, a->size) == -1)
				(void)0;	/* the reader skips a torn line */
			err = error_new(EXIT_FAIL, "cannot write '%s': %s",
			    a->path, strerror(saved));
			break;
		}
		n += (size_t)w;
	}
	if (err == NULL && fsync(a->fd) == -1)
		err = error_new(EXIT_FAIL, "cannot write '%s': %s", a->path,
		    strerror(errno));
	free(buf);
	return err;
}

static char *
record_line(const struct history_record *r, long long id, const char *when)
{
	const struct vote_result *vr = r->vote;
	struct jout *j = jout_new();

	jout_int(j, "id", id);
	jout_str(j, "kind", r->kind != NULL ? r->kind : "query");
	jout_str(j, "time", when);
	jout_str(j, "session", r->session);
	jout_str(j, "question", r->question != NULL ? r->question : "");
	jout_str(j, "adapter", r->adapter);
	jout_str(j, "model", r->model);
	jout_str(j, "route", r->route);
	jout_num(j, "confidence", round(r->confidence * 1e4) / 1e4);
	jout_str(j, "answer", r->answer != NULL ? r->answer : "");
	jout_bool(j, "interrupted", r->interrupted);
	jout_obj(j, "stats");
	jout_int(j, "prompt_tokens", r->prompt_tokens);
	jout_int(j, "answer_tokens", r->answer_tokens);
	jout_num(j, "wall_seconds", (double)r->wall_ns / 1e9);
	jout_num(j, "load_seconds", (double)r->load_ns / 1e9);
	jout_num(j, "eval_seconds", (double)r->eval_ns / 1e9);
	jout_end(j);
	if (vr != NULL) {
		jout_obj(j, "vote");
		vote_jout(j, vr);
		jout_num(j, "confidence", round(vr->confidence * 1e4) / 1e4);
		jout_end(j);
	} else
		jout_null(j, "vote");
	if (r->tools != NULL)
		tool_log_jout(j, "tools", r->tools);
	return jout_finish(j, 0);
}

struct error *
history_append_file(const char *path, const struct history_record *r,
    char **idp)
{
	struct appender a;
	struct error *err;
	long long id = 0;
	char when[32], *line;

	if (idp != NULL)
		*idp = NULL;
	if ((err = appender_open(path, &a)) == NULL &&
	    (err = last_id(&a, &id)) == NULL) {
		if (id >= ID_MAX)
			err = error_new(EXIT_FAIL, "'%s' has run out of ids",
			    path);
		else {
			utc_now(when);
			line = record_line(r, ++id, when);
			err = appender_write(&a, line);
			free(line);
		}
	}
	appender_close(&a);
	if (err == NULL && idp != NULL)
		*idp = xasprintf("%lld", id);
	return err;
}

struct error *
history_append(const struct config *cfg, const struct history_record *r,
    char **idp)
{
	struct error *err;
	char *path;

	if (idp != NULL)
		*idp = NULL;
	if (!cfg->history)
		return NULL;
	path = history_path();
	err = history_append_file(path, r, idp);
	free(path);
	return err;
}

void
history_append_warn(const struct config *cfg, const struct history_record *r,
    char **idp)
{
	static int warned;
	struct error *err;

	if ((err = history_append(cfg, r, idp)) == NULL)
		return;
	if (!warned)
		fprintf(stderr, "loco: history: %s\n", err->msg);
	warned = 1;
	error_free(err);
}

/* The id as typed: a positive whole number, or 0. */
static long long
parse_id(const char *s)
{
	long l;

	if (parse_long(s, 1, LONG_MAX, &l) == -1 || l > ID_MAX)
		return 0;
	return l;
}

struct error *
history_feedback(const char *path, const char *idtext, const char *verdict)
{
	struct history_filter f;
	struct history h;
	struct appender a;
	struct jout *j;
	struct error *err;
	long long id = parse_id(idtext);
	char when[32], *line, *clean;

	if (verdict_static(verdict) == NULL) {
		clean = str_sanitize(verdict, 40);
		err = error_new(EXIT_USAGE, "the verdict must be good or bad, "
		    "not '%s'", clean);
		free(clean);
		return err;
	}
	memset(&f, 0, sizeof(f));
	f.id = id;
	f.limit = 1;
	memset(&h, 0, sizeof(h));
	memset(&a, 0, sizeof(a));
	a.fd = a.lockfd = -1;
	if (id != 0 && fs_exists(path) &&
	    (err = appender_open(path, &a)) != NULL)
		goto done;
	/* Locked: the record cannot go away before the verdict is written. */
	if (a.fd == -1 || (err = read_file(path, &f, &h)) != NULL ||
	    h.n == 0) {
		if (err == NULL) {
			clean = str_sanitize(idtext, 40);
			err = error_new(EXIT_FAIL, "no entry '%s' in the "
			    "history; see 'loco history'", clean);
			free(clean);
		}
		goto done;
	}
	utc_now(when);
	j = jout_new();
	jout_str(j, "kind", "feedback");
	jout_str(j, "time", when);
	jout_int(j, "ref", id);
	jout_str(j, "verdict", verdict);
	line = jout_finish(j, 0);
	err = appender_write(&a, line);
	free(line);
done:
	appender_close(&a);
	history_release(&h);
	return err;
}

struct error *
history_clear(const char *path, size_t *removed)
{
	struct history_filter f;
	struct history h;
	struct appender a;
	struct jout *j;
	struct error *err;
	char when[32], *line, *text;

	if (removed != NULL)
		*removed = 0;
	if (!fs_exists(path))
		return NULL;
	memset(&f, 0, sizeof(f));
	f.limit = 1;
	memset(&h, 0, sizeof(h));
	if ((err = appender_open(path, &a)) != NULL ||
	    (err = read_file(path, &f, &h)) != NULL)
		goto done;
	utc_now(when);
	j = jout_new();
	jout_str(j, "kind", "clear");
	jout_str(j, "time", when);
	jout_int(j, "last_id", h.last_id);
	line = jout_finish(j, 0);
	text = xasprintf("%s\n", line);
	err = fs_write_atomic_mode(path, text, strlen(text), 0600);
	free(text);
	free(line);
	if (err == NULL && removed != NULL)
		*removed = h.nrecords;
done:
	appender_close(&a);
	history_release(&h);
	return err;
}
