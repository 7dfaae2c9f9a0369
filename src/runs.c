/* runs.c: the eval runs on disk (see runs.h). */
#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fsutil.h"
#include "json.h"
#include "results.h"
#include "runs.h"
#include "stats.h"
#include "strbuf.h"
#include "banned.h"

/* run.json is a few hundred bytes; the log holds every response. */
#define RECORD_MAX	(1024u * 1024)
#define LOG_MAX		(1024u * 1024 * 1024)
#define SUMMARY_MAX	(64u * 1024 * 1024)

char *
runs_dir(void)
{
	char *home = loco_home(), *dir;

	dir = xasprintf("%s/runs", home);
	free(home);
	return dir;
}

/* Parse a whole file as one JSON object; errors name the file. */
static struct error *
read_object(const char *path, size_t max, const char *what, struct json **out)
{
	struct error *err;
	char *data = NULL;
	size_t len;

	*out = NULL;
	if ((err = fs_read_file(path, max, &data, &len)) != NULL)
		return err;
	*out = json_parse_object(data, len);
	if (*out == NULL || json_has_nul(data, len)) {
		json_free(*out);
		*out = NULL;
		free(data);
		return error_new(EXIT_FAIL, "'%s' is not a %s: not a JSON "
		    "object", path, what);
	}
	free(data);
	return NULL;
}

static char *
get_string(const struct json *o, const char *key)
{
	const char *s = json_str(o, key);

	return s != NULL ? str_sanitize(s, 0) : NULL;
}

/* "RE2 on, greedy, seed 42", "RE2 off, 5 votes at 0.7, seeds 1, 2". */
static char *
settings_text(const struct run *r)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	strbuf_addf(&sb, "RE2 %s, ", r->reread ? "on" : "off");
	if (r->votes > 1)
		strbuf_addf(&sb, "%ld votes at %g", r->votes, r->temperature);
	else if (r->temperature > 0)
		strbuf_addf(&sb, "one sample at %g", r->temperature);
	else
		strbuf_addstr(&sb, "greedy");
	strbuf_addstr(&sb, r->nseeds > 1 ? ", seeds " : ", seed ");
	for (i = 0; i < r->nseeds; i++)
		strbuf_addf(&sb, "%s%ld", i ? " " : "", r->seeds[i]);
	return strbuf_detach(&sb, NULL);
}

/* run.json into r; the field that is wrong, or NULL. */
static const char *
record_fields(const struct json *o, struct run *r)
{
	const struct json *v, *it;
	char *sha;
	double d;

	if ((r->adapter = get_string(o, "adapter")) == NULL)
		return "adapter";
	if ((r->version = get_string(o, "version")) == NULL)
		return "version";
	sha = get_string(o, "benchmark_sha256");
	if (sha == NULL || !str_startswith(sha, "sha256:") ||
	    !sha256_valid_hex(sha + 7)) {
		free(sha);
		return "benchmark_sha256";
	}
	memcpy(r->bench_sha256, sha + 7, SHA256_HEX_LEN + 1);
	free(sha);
	r->base_only = json_is_true(json_get(o, "base_only"));
	r->grid = json_is_true(json_get(o, "grid"));
	r->ensemble = get_string(o, "ensemble");
	r->ood = get_string(o, "ood");
	if (json_num(o, "cases", &d) == -1 || d < 0)
		return "cases";
	r->cases = (long)d;
	r->reread = !json_is_false(json_get(o, "reread"));
	r->votes = (long)json_number_or(json_get(o, "votes"), 1);
	r->temperature = json_number_or(json_get(o, r->votes > 1 ?
	    "vote_temperature" : "temperature"), 0);
	r->temperature_flag = json_number_or(json_get(o, "temperature"), 0);
	/* "seeds" only when there were several; "seed" always. */
	v = json_get(o, "seeds");
	if (json_is_array(v)) {
		JSON_FOREACH(it, v) {
			if (!json_is_number(it))
				return "seeds";
			r->seeds = xreallocarray(r->seeds, r->nseeds + 1,
			    sizeof(*r->seeds));
			r->seeds[r->nseeds++] = (long)json_number_or(it, 0);
		}
	} else {
		if (json_num(o, "seed", &d) == -1)
			return "seed";
		r->seeds = xcalloc(1, sizeof(*r->seeds));
		r->seeds[r->nseeds++] = (long)d;
	}
	return NULL;
}

/* Is label "SIDE/DOMAIN" of one of the run's --ood domains? */
static int
is_ood(const struct run *r, const char *label)
{
	const char *slash = strchr(label, '/'), *p;
	size_t len;

	if (slash == NULL || r->ood == NULL || strchr(slash + 1, '=') != NULL)
		return 0;
	len = strlen(slash + 1);
	for (p = r->ood; (p = strstr(p, slash + 1)) != NULL; p += len)
		if ((p == r->ood || (p - r->ood >= 2 && p[-2] == ',')) &&
		    p[len] == ' ')
			return 1;
	return 0;
}

/*
 * Which log labels the two columns show: "adapter" and "base"; with
 * several seeds or the grid, the first labelled "adapter/..." and
 * "base/..." (the first seed; RE2 off, one sample); an ensemble's first
 * member stands in for the adapter.
 */
static int
side_of(const struct run *r, const char *label)
{
	if (strcmp(label, "adapter") == 0 || (str_startswith(label,
	    "adapter/") && !is_ood(r, label)) || str_startswith(label,
	    "member "))
		return 0;
	if (strcmp(label, "base") == 0 || (str_startswith(label, "base/") &&
	    !is_ood(r, label)))
		return 1;
	return -1;
}

static void
side_release(struct run_side *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].id);
		free(s->v[i].question);
		free(s->v[i].expected);
		free(s->v[i].got);
	}
	free(s->v);
	free(s->label);
	memset(s, 0, sizeof(*s));
}

/* Add or replace (a later line wins: a judged case after its pending). */
static void
side_add(struct run_side *s, const struct json *o)
{
	const struct json *pass = json_get(o, "pass");
	char *id = get_string(o, "id");
	struct run_case *c = NULL;
	size_t i;

	if (id == NULL)
		return;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].id, id) == 0) {
			c = &s->v[i];
			s->passed -= c->pass;
			free(c->id);
			free(c->question);
			free(c->expected);
			free(c->got);
			break;
		}
	if (c == NULL) {
		s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
		c = &s->v[s->n++];
	}
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->question = get_string(o, "question");
	if (c->question == NULL)
		c->question = xstrdup("");
	c->expected = get_string(o, "expected");
	c->got = get_string(o, "extracted");
	c->pending = json_is_true(json_get(o, "pending"));
	c->pass = json_is_true(pass);
	s->passed += c->pass;
}

/*
 * Case ids in natural order ("m2" before "m10"), so the table reads in
 * the benchmark's order for the usual numbered ids.
 */
static int
natural_cmp(const char *a, const char *b)
{
	while (*a != '\0' && *b != '\0') {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			const char *ea = a, *eb = b;
			size_t la, lb;
			int c;

			while (*a == '0' && isdigit((unsigned char)a[1]))
				a++;
			while (*b == '0' && isdigit((unsigned char)b[1]))
				b++;
			for (ea = a; isdigit((unsigned char)*ea); ea++)
				;
			for (eb = b; isdigit((unsigned char)*eb); eb++)
				;
			la = (size_t)(ea - a);
			lb = (size_t)(eb - b);
			if (la != lb)
				return la < lb ? -1 : 1;
			if ((c = strncmp(a, b, la)) != 0)
				return c;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int
run_case_cmp(const void *pa, const void *pb)
{
	const struct run_case *a = pa, *b = pb;
	int c = natural_cmp(a->id, b->id);

	return c != 0 ? c : strcmp(a->id, b->id);
}

/*
 * The log: the cases of the two sides, and the time of its first line.
 * A line that is not JSON (a torn last line) is skipped, as resume does.
 */
static struct error *
read_log(const char *dir, struct run *r)
{
	struct error *err;
	char *path = xasprintf("%s/log.jsonl", dir), *data = NULL, *p, *nl;
	struct run_side *side[2] = { &r->adapter_side, &r->base_side };
	struct json *o;
	size_t len;
	char *label;
	double t;
	int s;

	if (!fs_exists(path)) {
		free(path);
		return NULL;
	}
	if ((err = fs_read_file(path, LOG_MAX, &data, &len)) != NULL) {
		free(path);
		return err;
	}
	for (p = data; (nl = memchr(p, '\n', len - (size_t)(p - data))) !=
	    NULL; p = nl + 1) {
		if ((o = json_parse(p, (size_t)(nl - p), NULL)) == NULL)
			continue;
		if (r->time == 0 && json_num(o, "time", &t) == 0)
			r->time = (long)t;
		label = get_string(o, "subject");
		s = label != NULL ? side_of(r, label) : -1;
		if (s >= 0 && side[s]->label == NULL)
			side[s]->label = xstrdup(label);
		if (s >= 0 && strcmp(side[s]->label, label) == 0)
			side_add(side[s], o);
		free(label);
		json_free(o);
	}
	for (s = 0; s < 2; s++)
		if (side[s]->n > 1)
			qsort(side[s]->v, side[s]->n, sizeof(*side[s]->v),
			    run_case_cmp);
	free(data);
	free(path);
	return NULL;
}

/*
 * The finished run's summary: results.json (read as the leaderboard
 * reads it, for the accuracies and p), or grid.json for --grid; only the
 * benchmark's path is taken from the others.
 */
static void
read_summary(const char *dir, struct run *r)
{
	struct result res;
	struct error *err;
	const struct json *b;
	struct json *o = NULL;
	char *path = xasprintf("%s/results.json", dir);

	if (!fs_exists(path)) {
		free(path);
		path = xasprintf("%s/grid.json", dir);
		if (!fs_exists(path)) {
			free(path);
			return;
		}
	}
	r->complete = 1;
	if ((err = result_read(path, &res)) == NULL) {
		r->bench_path = xstrdup(res.bench_path);
		if (res.adapter != NULL)
			r->acc_adapter = res.score.accuracy;
		r->acc_base = res.base.accuracy;
		r->p = res.p;
	}
	error_free(err);
	result_release(&res);
	if (r->bench_path == NULL && (err = read_object(path, SUMMARY_MAX,
	    "results.json", &o)) == NULL) {
		b = json_get(o, "benchmark");
		if (json_is_string(b))
			r->bench_path = str_sanitize(json_string(b), 0);
		else if (json_is_object(b))
			r->bench_path = get_string(b, "path");
		json_free(o);
	}
	error_free(err);
	free(path);
}

/*
 * start.json, when the run has one: the command as typed, and the
 * benchmark's path for a run that has not finished (a finished one's
 * results.json names it).  A start.json that does not read is ignored:
 * the command is then rebuilt from run.json.
 */
static void
read_start(const char *dir, struct run *r)
{
	struct error *err;
	struct json *o = NULL;
	char *path = xasprintf("%s/start.json", dir);

	if (!fs_exists(path)) {
		free(path);
		return;
	}
	if ((err = read_object(path, RECORD_MAX, "start record", &o)) == NULL) {
		r->command = get_string(o, "command");
		r->start_bench = get_string(o, "benchmark");
		json_free(o);
	}
	error_free(err);
	free(path);
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL && s[1] != '\0' ? s + 1 : path;
}

/*
 * Whether a loco eval works in dir now: it holds dir/lock (fs_lock) for
 * as long as it runs.  A shared lock on a read-only descriptor asks
 * without creating anything.
 */
static int
is_running(const char *dir)
{
	char *path = xasprintf("%s/lock", dir);
	int fd, busy = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		busy = flock(fd, LOCK_SH | LOCK_NB) == -1 &&
		    errno == EWOULDBLOCK;
		close(fd);
	}
	free(path);
	return busy;
}

struct error *
run_read(const char *dir, const char *id, struct run *r)
{
	struct error *err;
	struct stat st;
	struct json *o;
	char *path;
	const char *why;

	memset(r, 0, sizeof(*r));
	r->dir = xstrdup(dir);
	r->id = xstrdup(id != NULL ? id : base_name(dir));
	r->acc_adapter = r->acc_base = r->p = NAN;
	path = xasprintf("%s/run.json", dir);
	if (!fs_exists(path)) {
		err = error_new(EXIT_FAIL, "'%s' is not a run directory: no "
		    "run.json", dir);
		free(path);
		return err;
	}
	if ((err = read_object(path, RECORD_MAX, "run record", &o)) != NULL) {
		free(path);
		return err;
	}
	why = record_fields(o, r);
	json_free(o);
	if (why != NULL) {
		err = error_new(EXIT_FAIL, "'%s' is not a run record: missing "
		    "or bad \"%s\"", path, why);
		free(path);
		return err;
	}
	r->settings = settings_text(r);
	read_start(dir, r);
	if (stat(path, &st) == 0)
		r->time = (long)st.st_mtime;
	free(path);
	read_summary(dir, r);
	if (r->bench_path == NULL && r->start_bench != NULL)
		r->bench_path = xstrdup(r->start_bench);
	r->running = !r->complete && is_running(dir);
	/* The log's first case is when the run started. */
	{
		long mtime = r->time;

		r->time = 0;
		if ((err = read_log(dir, r)) != NULL)
			return err;
		if (r->time == 0)
			r->time = mtime;
	}
	if (!r->complete || isnan(r->acc_base)) {
		if (r->adapter_side.label != NULL && !r->base_only)
			r->acc_adapter = r->adapter_side.n ?
			    (double)r->adapter_side.passed /
			    (double)r->adapter_side.n : NAN;
		if (r->base_side.label != NULL)
			r->acc_base = r->base_side.n ?
			    (double)r->base_side.passed /
			    (double)r->base_side.n : NAN;
	}
	return NULL;
}

void
run_release(struct run *r)
{
	free(r->id);
	free(r->dir);
	free(r->adapter);
	free(r->version);
	free(r->bench_path);
	free(r->start_bench);
	free(r->command);
	free(r->ood);
	free(r->ensemble);
	free(r->settings);
	free(r->seeds);
	side_release(&r->adapter_side);
	side_release(&r->base_side);
	memset(r, 0, sizeof(*r));
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void
warn(struct runs *rs, const char *msg)
{
	rs->warnings = xreallocarray(rs->warnings, rs->nwarnings + 1,
	    sizeof(*rs->warnings));
	rs->warnings[rs->nwarnings++] = str_sanitize(msg, 300);
}

/* Add the run in dir unless it is listed already (by its real path). */
static void
add_dir(struct runs *rs, const char *dir)
{
	struct error *err;
	struct run r;
	char *real, *other, *id;
	size_t i;

	if ((real = realpath(dir, NULL)) == NULL)
		return;
	for (i = 0; i < rs->n; i++) {
		other = realpath(rs->v[i].dir, NULL);
		if (other != NULL && strcmp(other, real) == 0) {
			free(other);
			free(real);
			return;
		}
		free(other);
	}
	free(real);
	/* Two --output directories may share a name: then the path is its id. */
	id = xstrdup(base_name(dir));
	for (i = 0; i < rs->n; i++)
		if (strcmp(rs->v[i].id, id) == 0) {
			free(id);
			id = xstrdup(dir);
			break;
		}
	if ((err = run_read(dir, id, &r)) != NULL) {
		char *msg = xasprintf("%s; skipped", err->msg);

		warn(rs, msg);
		free(msg);
		error_free(err);
		run_release(&r);
	} else {
		rs->v = xreallocarray(rs->v, rs->n + 1, sizeof(*rs->v));
		rs->v[rs->n++] = r;
	}
	free(id);
}

static int
newest_first(const void *pa, const void *pb)
{
	const struct run *a = pa, *b = pb;

	if (a->time != b->time)
		return a->time > b->time ? -1 : 1;
	return strcmp(b->id, a->id);
}

char *
runs_dir_of_result(const char *file)
{
	struct error *err;
	struct json *o;
	char *dir;

	if ((err = read_object(file, SUMMARY_MAX, "results.json", &o)) !=
	    NULL) {
		error_free(err);
		return NULL;
	}
	dir = get_string(o, "run");
	json_free(o);
	return dir;
}

struct error *
runs_load(struct runs *rs)
{
	struct error *err;
	struct results arch;
	struct dirent *de;
	char **names = NULL, *dir = runs_dir(), *p, *run, *json;
	size_t i, n = 0;
	DIR *d;

	memset(rs, 0, sizeof(*rs));
	if ((d = opendir(dir)) == NULL && errno != ENOENT) {
		err = error_new(EXIT_FAIL, "cannot open directory '%s': %s",
		    dir, strerror(errno));
		free(dir);
		return err;
	}
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	if (d != NULL)
		closedir(d);
	for (i = 0; i < n; i++) {
		p = xasprintf("%s/%s", dir, names[i]);
		json = xasprintf("%s/run.json", p);
		if (is_dir(p) && fs_exists(json))
			add_dir(rs, p);
		free(json);
		free(p);
	}
	strv_free(names, n);
	free(dir);
	/* Finished --output runs are found through the archive. */
	dir = results_dir();
	err = results_load(dir, &arch);
	free(dir);
	if (err != NULL)
		return err;
	for (i = 0; i < arch.n; i++) {
		if ((run = runs_dir_of_result(arch.v[i].file)) == NULL)
			continue;
		json = xasprintf("%s/run.json", run);
		if (fs_exists(json))
			add_dir(rs, run);
		free(json);
		free(run);
	}
	results_release(&arch);
	if (rs->n > 1)
		qsort(rs->v, rs->n, sizeof(*rs->v), newest_first);
	return NULL;
}

void
runs_release(struct runs *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		run_release(&rs->v[i]);
	free(rs->v);
	strv_free(rs->warnings, rs->nwarnings);
	memset(rs, 0, sizeof(*rs));
}

struct error *
runs_find(const struct runs *rs, const char *arg, const struct run **out)
{
	const char **ids;
	const char *hint;
	struct error *err;
	char *clean;
	size_t i;

	*out = NULL;
	for (i = 0; i < rs->n; i++)
		if (strcmp(rs->v[i].id, arg) == 0) {
			*out = &rs->v[i];
			return NULL;
		}
	ids = xcalloc(rs->n + 1, sizeof(*ids));
	for (i = 0; i < rs->n; i++)
		ids[i] = rs->v[i].id;
	hint = str_suggest(arg, ids, rs->n);
	clean = str_sanitize(arg, 80);
	if (hint != NULL)
		err = error_new(EXIT_USAGE, "no run '%s'; did you mean '%s'? "
		    "('loco runs' lists them)", clean, hint);
	else
		err = error_new(EXIT_USAGE, "no run '%s': 'loco runs' lists "
		    "the runs, or give a run directory", clean);
	free(clean);
	free(ids);
	return err;
}

/* A benchmark file's SHA-256 now, hashed once: "" when it cannot be read. */
struct hashed {
	char	*path;
	char	 hex[SHA256_HEX_LEN + 1];
};

static struct error *
hash_of(struct hashed **v, size_t *n, const char *path, const char **hex)
{
	struct error *err;
	struct hashed *h;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i].path, path) == 0) {
			*hex = (*v)[i].hex;
			return NULL;
		}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	h = &(*v)[(*n)++];
	h->path = xstrdup(path);
	h->hex[0] = '\0';
	*hex = h->hex;
	if (!fs_exists(path))
		return NULL;
	if ((err = sha256_file(path, h->hex, NULL, NULL)) != NULL) {
		h->hex[0] = '\0';
		if (err->code == EXIT_INTERRUPT)
			return err;
		error_free(err);
	}
	return NULL;
}

struct error *
runs_check_stale(struct run *v, size_t n, const char *const *extra,
    size_t nextra)
{
	struct error *err = NULL;
	struct hashed *h = NULL;
	const char *hex;
	size_t nh = 0, i, k;

	for (i = 0; i < n && err == NULL; i++) {
		if (v[i].bench_path == NULL)
			continue;
		if ((err = hash_of(&h, &nh, v[i].bench_path, &hex)) == NULL)
			v[i].stale = strcmp(hex, v[i].bench_sha256) != 0;
	}
	/* An interrupted run: any known file that has its hash now. */
	for (i = 0; i < n && err == NULL; i++) {
		if (v[i].bench_path != NULL)
			continue;
		v[i].stale = 1;
		for (k = 0; k < nextra && err == NULL; k++)
			if ((err = hash_of(&h, &nh, extra[k], &hex)) == NULL &&
			    strcmp(hex, v[i].bench_sha256) == 0)
				break;
		for (k = 0; k < nh && err == NULL && v[i].stale; k++)
			if (strcmp(h[k].hex, v[i].bench_sha256) == 0) {
				v[i].bench_path = xstrdup(h[k].path);
				v[i].stale = 0;
			}
	}
	for (i = 0; i < nh; i++)
		free(h[i].path);
	free(h);
	return err;
}

/* The side a diff compares: the adapter's, the base's for a base run. */
static const struct run_side *
compared(const struct run *r)
{
	return r->base_only || r->adapter_side.label == NULL ?
	    &r->base_side : &r->adapter_side;
}

/* The finished case of s with id, or NULL (the cases are sorted). */
static const struct run_case *
find_case(const struct run_side *s, const char *id)
{
	struct run_case key;

	memset(&key, 0, sizeof(key));
	key.id = (char *)(uintptr_t)id;
	return bsearch(&key, s->v, s->n, sizeof(*s->v), run_case_cmp);
}

void
runs_diff(const struct run *a, const struct run *b, struct runs_diff *d)
{
	const struct run_side *sa = compared(a), *sb = compared(b);
	const struct run_case *cb;
	size_t i;

	memset(d, 0, sizeof(*d));
	d->only_a = xcalloc(sa->n + 1, sizeof(*d->only_a));
	d->only_b = xcalloc(sa->n + 1, sizeof(*d->only_b));
	for (i = 0; i < sa->n; i++) {
		if (sa->v[i].pending ||
		    (cb = find_case(sb, sa->v[i].id)) == NULL || cb->pending)
			continue;
		d->n++;
		d->a_passed += sa->v[i].pass;
		d->b_passed += cb->pass;
		if (sa->v[i].pass && !cb->pass)
			d->only_a[d->nonly_a++] = sa->v[i].id;
		else if (!sa->v[i].pass && cb->pass)
			d->only_b[d->nonly_b++] = cb->id;
	}
	d->p = stats_mcnemar_exact(d->nonly_a, d->nonly_b);
}

void
runs_diff_release(struct runs_diff *d)
{
	free(d->only_a);
	free(d->only_b);
	memset(d, 0, sizeof(*d));
}

struct run_pair *
run_pairs(const struct run *r, size_t *n)
{
	const struct run_side *a = &r->adapter_side, *b = &r->base_side;
	struct run_pair *v = xcalloc(a->n + b->n + 1, sizeof(*v));
	size_t i = 0, k = 0;
	int c;

	*n = 0;
	while (i < a->n || k < b->n) {
		if (i == a->n)
			c = 1;
		else if (k == b->n)
			c = -1;
		else
			c = run_case_cmp(&a->v[i], &b->v[k]);
		if (c <= 0)
			v[*n].a = &a->v[i++];
		if (c >= 0)
			v[*n].b = &b->v[k++];
		(*n)++;
	}
	return v;
}
