/* results.c: the archive of evaluation results (see results.h). */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fsutil.h"
#include "json.h"
#include "jsonout.h"
#include "registry.h"
#include "results.h"
#include "banned.h"

/* A results.json holds every case; a large benchmark makes a large file. */
#define RESULT_MAX (64u * 1024 * 1024)

char *
results_dir(void)
{
	char *home = loco_home(), *dir;

	dir = xasprintf("%s/results", home);
	free(home);
	return dir;
}

/* The member at a dotted path ("scores.base.accuracy"), or NULL. */
static struct json *
member(struct json *obj, const char *path)
{
	char *copy = xstrdup(path), *key = copy, *dot;

	while (obj != NULL && key != NULL) {
		if ((dot = strchr(key, '.')) != NULL)
			*dot++ = '\0';
		obj = json_get(obj, key);
		key = dot;
	}
	free(copy);
	return obj;
}

/* Why a field is unusable, for the error; NULL when it is fine. */
static const char *
get_str(struct json *root, const char *path, char **out)
{
	const char *v = json_string(member(root, path));

	if (v == NULL || v[0] == '\0')
		return path;
	*out = str_sanitize(v, 0);
	return NULL;
}

static const char *
get_num(struct json *root, const char *path, double min, double max,
    double *out)
{
	double d;

	if (json_number(member(root, path), &d) == -1 ||
	    !(d >= min && d <= max))
		return path;
	*out = d;
	return NULL;
}

/* scores.SIDE: the paths name the field that is wrong in an error. */
static const char *
get_score(struct json *root, int adapter, struct result_score *s)
{
	static const char *const paths[2][4] = {
		{ "scores.base.accuracy", "scores.base.ci_low",
		  "scores.base.ci_high", "scores.base.passed" },
		{ "scores.adapter.accuracy", "scores.adapter.ci_low",
		  "scores.adapter.ci_high", "scores.adapter.passed" }
	};
	const char *const *p = paths[adapter != 0];
	const char *why;
	double passed = 0;

	if ((why = get_num(root, p[0], 0, 1, &s->accuracy)) != NULL ||
	    (why = get_num(root, p[1], 0, 1, &s->ci_low)) != NULL ||
	    (why = get_num(root, p[2], 0, 1, &s->ci_high)) != NULL ||
	    (why = get_num(root, p[3], 0, 1e12, &passed)) != NULL)
		return why;
	s->passed = (long)passed;
	return NULL;
}

/* "YYYY-MM-DDTHH:MM:SSZ", digits where digits belong. */
static int
valid_timestamp(const char *s)
{
	static const char form[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;

	if (strlen(s) != sizeof(form) - 1)
		return 0;
	for (i = 0; form[i] != '\0'; i++)
		if (form[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != form[i])
			return 0;
	return 1;
}

/*
 * "RE2 on, greedy", "RE2 off, 5 votes at 0.7", "RE2 on, one sample at
 * 0.7, mean of 3 seeds", "unknown".
 */
static char *
settings_text(struct json *inf)
{
	struct json *re2 = json_get(inf, "reread");
	struct json *seeds = json_get(inf, "seeds");
	const char *on;
	char *s, *all;
	double votes, t;
	int ns;

	if (!json_is_bool(re2) || json_num(inf, "votes", &votes) == -1 ||
	    json_num(inf, "temperature", &t) == -1)
		return xstrdup("unknown");
	on = json_is_true(re2) ? "on" : "off";
	if (votes > 1)
		s = xasprintf("RE2 %s, %.0f votes at %g", on, votes, t);
	else if (t > 0)
		s = xasprintf("RE2 %s, one sample at %g", on, t);
	else
		s = xasprintf("RE2 %s, greedy", on);
	if (json_is_array(json_get(inf, "tools"))) {
		all = xasprintf("%s, with tools", s);
		free(s);
		s = all;
	}
	if (!json_is_array(seeds) || (ns = json_count(seeds)) < 2)
		return s;
	all = xasprintf("%s, mean of %d seeds", s, ns);
	free(s);
	return all;
}

/* Fill r from a parsed results.json; the field that is wrong, or NULL. */
static const char *
read_fields(struct json *root, struct result *r)
{
	const char *why;
	char *sha = NULL;
	double n = 0;

	/* An adapter run names its adapter; a base-only run has null. */
	if (json_is_null(member(root, "adapter"))) {
		if (get_str(root, "domain", &r->domain) != NULL)
			r->domain = xstrdup("-");
	} else if ((why = get_str(root, "adapter", &r->adapter)) != NULL ||
	    (why = get_str(root, "version", &r->version)) != NULL ||
	    (why = get_str(root, "domain", &r->domain)) != NULL ||
	    (why = get_score(root, 1, &r->score)) != NULL)
		return why;
	/* Several seeds compare by a bootstrap instead of McNemar. */
	if (r->adapter != NULL &&
	    get_num(root, "mcnemar.p", 0, 1, &r->p) != NULL &&
	    get_num(root, "seeds.p", 0, 1, &r->p) != NULL)
		r->p = NAN;
	if ((why = get_str(root, "benchmark.path", &r->bench_path)) != NULL ||
	    (why = get_str(root, "benchmark.sha256", &sha)) != NULL ||
	    (why = get_num(root, "n", 0, 1e12, &n)) != NULL ||
	    (why = get_score(root, 0, &r->base)) != NULL ||
	    (why = get_str(root, "timestamp", &r->timestamp)) != NULL) {
		free(sha);
		return why;
	}
	r->n = (long)n;
	if (!valid_timestamp(r->timestamp))
		why = "timestamp";
	else if (!str_startswith(sha, "sha256:") || !sha256_valid_hex(sha + 7))
		why = "benchmark.sha256";
	else
		memcpy(r->bench_sha256, sha + 7, SHA256_HEX_LEN + 1);
	free(sha);
	/* Not needed to rank, so a missing one is no reason to refuse. */
	if (get_str(root, "base_model", &r->base_model) != NULL)
		r->base_model = xstrdup("?");
	r->gate_passed = json_is_true(member(root, "gate.passed"));
	r->settings = settings_text(member(root, "inference"));
	return why;
}

int
result_comparable(const struct result *a, const struct result *b)
{
	return strcmp(a->bench_sha256, b->bench_sha256) == 0 &&
	    strcmp(a->settings, b->settings) == 0;
}

struct error *
result_read(const char *path, struct result *r)
{
	struct error *err;
	const char *why;
	struct json *root;
	char *data = NULL;
	size_t len;

	memset(r, 0, sizeof(*r));
	r->p = NAN;
	r->file = xstrdup(path);
	if ((err = fs_read_file(path, RESULT_MAX, &data, &len)) != NULL)
		return err;
	/* Nothing may follow the object (a JSON Lines file is no result). */
	if ((root = json_parse_object(data, len)) == NULL) {
		free(data);
		return error_new(EXIT_FAIL, "'%s' is not a results.json: not "
		    "a JSON object", path);
	}
	/* json.h would cut such a string short, silently. */
	if (json_has_nul(data, len)) {
		free(data);
		json_free(root);
		return error_new(EXIT_FAIL, "'%s' is not a results.json: a "
		    "string holds \\u0000 (a NUL character)", path);
	}
	free(data);
	why = read_fields(root, r);
	json_free(root);
	if (why != NULL)
		return error_new(EXIT_FAIL, "'%s' is not a results.json: "
		    "missing or bad \"%s\"", path, why);
	return NULL;
}

void
result_release(struct result *r)
{
	free(r->file);
	free(r->domain);
	free(r->adapter);
	free(r->version);
	free(r->base_model);
	free(r->bench_path);
	free(r->timestamp);
	free(r->settings);
	memset(r, 0, sizeof(*r));
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * The names in a directory, without dot files; NULL and errno when it
 * cannot be listed.
 */
static char **
list_dir(const char *path, size_t *n)
{
	struct dirent *de;
	char **names = NULL;
	DIR *d;

	*n = 0;
	if ((d = opendir(path)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = xreallocarray(names, *n + 1, sizeof(*names));
		names[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (names == NULL)
		names = xcalloc(1, sizeof(*names));
	return names;
}

static void
warn_skip(const char *msg)
{
	char *clean = str_sanitize(msg, 300);

	fprintf(stderr, "loco: skipping a result: %s\n", clean);
	free(clean);
}

static void
load_file(struct results *rs, const char *path)
{
	struct result r;
	struct error *err;

	if ((err = result_read(path, &r)) != NULL) {
		warn_skip(err->msg);
		error_free(err);
		result_release(&r);
		return;
	}
	if (r.adapter == NULL) {
		result_release(&r);
		return;
	}
	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof(*rs->v));
	rs->v[rs->n++] = r;
}

static int
sort_cmp(const void *pa, const void *pb)
{
	const struct result *a = pa, *b = pb;
	int c;

	if ((c = strcmp(a->domain, b->domain)) != 0 ||
	    (c = strcmp(a->adapter, b->adapter)) != 0 ||
	    (c = semver_cmp(a->version, b->version)) != 0 ||
	    (c = strcmp(a->version, b->version)) != 0 ||
	    (c = strcmp(a->timestamp, b->timestamp)) != 0)
		return c;
	return strcmp(a->file, b->file);
}

struct error *
results_load(const char *dir, struct results *rs)
{
	char **domains, **runs, **files, *dpath, *rpath, *fpath;
	size_t nd, nr, nf, i, k, m;

	memset(rs, 0, sizeof(*rs));
	if ((domains = list_dir(dir, &nd)) == NULL) {
		if (errno == ENOENT)
			return NULL;
		return error_new(EXIT_FAIL, "cannot open directory '%s': %s",
		    dir, strerror(errno));
	}
	for (i = 0; i < nd; i++) {
		dpath = xasprintf("%s/%s", dir, domains[i]);
		if (!is_dir(dpath) || (runs = list_dir(dpath, &nr)) == NULL) {
			free(dpath);
			continue;
		}
		for (k = 0; k < nr; k++) {
			rpath = xasprintf("%s/%s", dpath, runs[k]);
			if (is_dir(rpath) &&
			    (files = list_dir(rpath, &nf)) != NULL) {
				for (m = 0; m < nf; m++) {
					if (!str_endswith(files[m], ".json"))
						continue;
					fpath = xasprintf("%s/%s", rpath,
					    files[m]);
					load_file(rs, fpath);
					free(fpath);
				}
				strv_free(files, nf);
			}
			free(rpath);
		}
		strv_free(runs, nr);
		free(dpath);
	}
	strv_free(domains, nd);
	if (rs->n > 1)
		qsort(rs->v, rs->n, sizeof(*rs->v), sort_cmp);
	return NULL;
}

void
results_release(struct results *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		result_release(&rs->v[i]);
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

void
results_filter_domain(struct results *rs, const char *domain)
{
	size_t i, k = 0;

	for (i = 0; i < rs->n; i++) {
		if (strcmp(rs->v[i].domain, domain) == 0)
			rs->v[k++] = rs->v[i];
		else
			result_release(&rs->v[i]);
	}
	rs->n = k;
}

struct error *
results_check_stale(struct result *v, size_t n)
{
	struct error *err;
	char hex[SHA256_HEX_LEN + 1];
	size_t i, k;

	for (i = 0; i < n; i++) {
		/* Hash each benchmark once: reuse an earlier verdict. */
		for (k = 0; k < i; k++)
			if (strcmp(v[k].bench_path, v[i].bench_path) == 0)
				break;
		if (k < i) {
			v[i].stale = strcmp(v[k].bench_current,
			    v[i].bench_sha256) != 0;
			memcpy(v[i].bench_current, v[k].bench_current,
			    sizeof(hex));
			continue;
		}
		v[i].bench_current[0] = '\0';
		if (fs_exists(v[i].bench_path)) {
			err = sha256_file(v[i].bench_path, hex, NULL, NULL);
			if (err != NULL && err->code == EXIT_INTERRUPT)
				return err;
			if (err != NULL) {
				char *clean = str_sanitize(err->msg, 300);

				fprintf(stderr, "loco: %s: counted as "
				    "changed\n", clean);
				free(clean);
				error_free(err);
			} else
				memcpy(v[i].bench_current, hex, sizeof(hex));
		}
		v[i].stale = strcmp(v[i].bench_current, v[i].bench_sha256) != 0;
	}
	return NULL;
}

/* Does b belong to a's group: domain and adapter, and the version too? */
static int
same_key(const struct result *a, const struct result *b, int by_version)
{
	return strcmp(a->domain, b->domain) == 0 &&
	    strcmp(a->adapter, b->adapter) == 0 &&
	    (!by_version || strcmp(a->version, b->version) == 0);
}

static int
newer(const struct result *a, const struct result *b)
{
	int c = strcmp(a->timestamp, b->timestamp);

	return c > 0 || (c == 0 && strcmp(a->file, b->file) > 0);
}

size_t
results_latest(const struct results *rs, int by_version,
    const struct result ***out)
{
	const struct result *best;
	size_t i, k, n = 0;

	*out = xcalloc(rs->n + 1, sizeof(**out));
	/* Sorted by domain, adapter, version: each group is contiguous. */
	for (i = 0; i < rs->n; i = k) {
		best = &rs->v[i];
		for (k = i + 1; k < rs->n &&
		    same_key(&rs->v[i], &rs->v[k], by_version); k++)
			if (newer(&rs->v[k], best))
				best = &rs->v[k];
		(*out)[n++] = best;
	}
	return n;
}

void
result_term(const struct result *r, char buf[RESULT_TERM_LEN])
{
	/* The timestamp was checked: "YYYY-MM-..." */
	int month = (r->timestamp[5] - '0') * 10 + (r->timestamp[6] - '0');

	snprintf(buf, RESULT_TERM_LEN, "%.4s S%d", r->timestamp,
	    month <= 6 ? 1 : 2);
}

int
result_rank_cmp(const struct result *a, const struct result *b)
{
	double pa = isnan(a->p) ? 2 : a->p, pb = isnan(b->p) ? 2 : b->p;
	int c;

	if (a->score.accuracy != b->score.accuracy)
		return a->score.accuracy > b->score.accuracy ? -1 : 1;
	if (pa != pb)
		return pa < pb ? -1 : 1;
	if ((c = strcmp(a->timestamp, b->timestamp)) != 0)
		return -c;
	if ((c = strcmp(a->adapter, b->adapter)) != 0)
		return c;
	if ((c = semver_cmp(a->version, b->version)) != 0)
		return -c;
	return strcmp(a->file, b->file);
}

void
html_escape(struct strbuf *sb, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			strbuf_addstr(sb, "&amp;");
			break;
		case '<':
			strbuf_addstr(sb, "&lt;");
			break;
		case '>':
			strbuf_addstr(sb, "&gt;");
			break;
		case '"':
			strbuf_addstr(sb, "&quot;");
			break;
		case '\'':
			strbuf_addstr(sb, "&#39;");
			break;
		default:
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				strbuf_addch(sb, '?');
			else
				strbuf_addch(sb, *s);
		}
	}
}

void
md_escape(struct strbuf *sb, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '|' || *s == '\\')
			strbuf_addch(sb, '\\');
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			strbuf_addch(sb, '?');
		else
			strbuf_addch(sb, *s);
	}
}

void
html_begin(struct strbuf *sb, const char *title)
{
	strbuf_addstr(sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<title>");
	html_escape(sb, title);
	strbuf_addstr(sb, "</title>\n<style>\n"
	    "body { font-family: system-ui, sans-serif; margin: 2em auto; "
	    "max-width: 60em; padding: 0 1em; color: #222; }\n"
	    "table { border-collapse: collapse; margin: 1em 0; }\n"
	    "th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; "
	    "text-align: right; }\n"
	    "th { background: #f3f3f3; }\n"
	    "td.l, th.l { text-align: left; }\n"
	    "td:not(.l), .nw { white-space: nowrap; }\n"
	    "td.pass { color: #17692f; }\n"
	    "td.fail { color: #b00; }\n"
	    "tr.case td { vertical-align: top; }\n"
	    "th.group { background: #fafafa; font-weight: normal; "
	    "font-style: italic; }\n"
	    "details.cases { margin: 0.6em 0; }\n"
	    "summary { cursor: pointer; }\n"
	    ".scroll { overflow-x: auto; }\n"
	    ".stale { color: #b00; font-weight: bold; }\n"
	    ".none { color: #777; font-style: italic; }\n"
	    "svg { display: block; margin: 1em 0; font-size: 12px; }\n"
	    "</style>\n</head>\n<body>\n<h1>");
	html_escape(sb, title);
	strbuf_addstr(sb, "</h1>\n");
}

void
html_end(struct strbuf *sb)
{
	strbuf_addstr(sb, "</body>\n</html>\n");
}

void
result_json(struct jout *j, const struct result *r, int active)
{
	char *sha = xasprintf("sha256:%s", r->bench_sha256);

	jout_str(j, "adapter", r->adapter);
	jout_str(j, "version", r->version);
	if (active >= 0)
		jout_bool(j, "active", active);
	jout_bool(j, "stale", r->stale);
	jout_num(j, "accuracy", r->score.accuracy);
	jout_num(j, "ci_low", r->score.ci_low);
	jout_num(j, "ci_high", r->score.ci_high);
	jout_str(j, "base_model", r->base_model);
	jout_num(j, "base_accuracy", r->base.accuracy);
	jout_num(j, "base_ci_low", r->base.ci_low);
	jout_num(j, "base_ci_high", r->base.ci_high);
	jout_num(j, "difference", r->score.accuracy - r->base.accuracy);
	jout_num(j, "p", r->p);
	jout_int(j, "n", r->n);
	jout_bool(j, "gate_passed", r->gate_passed);
	jout_str(j, "timestamp", r->timestamp);
	jout_str(j, "settings", r->settings);
	jout_obj(j, "benchmark");
	jout_str(j, "path", r->bench_path);
	jout_str(j, "sha256", sha);
	jout_end(j);
	jout_str(j, "file", r->file);
	free(sha);
}
