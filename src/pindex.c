/* pindex.c: the package index and downloads (see pindex.h). */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fsutil.h"
#include "hash.h"
#include "http.h"
#include "pindex.h"
#include "registry.h"
#include "strbuf.h"
#include "ydoc.h"
#include "banned.h"

#define INDEX_MAX (16u * 1024 * 1024)
#define DOWNLOAD_TRIES 3
/* The most a download may take when the index gives no size. */
#define DOWNLOAD_MAX_DEFAULT (16LL * 1024 * 1024 * 1024)

static int
is_url(const char *s)
{
	return str_startswith(s, "http://") || str_startswith(s, "https://");
}

/* A relative reference resolved against the index's location. */
static char *
resolve(const char *base, const char *ref)
{
	const char *slash;

	if (is_url(ref) || ref[0] == '/')
		return xstrdup(ref);
	if (str_startswith(ref, "file://"))
		return xstrdup(ref + 7);
	slash = strrchr(base, '/');
	if (slash == NULL)
		return xstrdup(ref);
	return xasprintf("%.*s/%s", (int)(slash - base), base, ref);
}

static void
entry_release(struct index_entry *e)
{
	free(e->name);
	free(e->version);
	free(e->domain);
	free(e->description);
	strv_free(e->tags, e->ntags);
	free(e->url);
	free(e->sha256);
	free(e->base_model);
}

void
index_free(struct pkg_index *idx)
{
	size_t i;

	if (idx == NULL)
		return;
	for (i = 0; i < idx->n; i++)
		entry_release(&idx->entries[i]);
	free(idx->entries);
	free(idx->source);
	free(idx);
}

static char *
scalar(const struct ynode *map, const char *key)
{
	const struct ynode *n = ydoc_get(map, key);

	return n != NULL && n->type == YNODE_SCALAR && !ydoc_is_null(n) ?
	    xstrdup(n->value) : NULL;
}

/* A description is one line: a folded or literal block becomes one. */
static void
fold_lines(char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (s[n] == '\n' || s[n] == '\t')
			s[n] = ' ';
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
}

/* An error at the entry's key, naming the package (sanitised). */
static struct error *
entry_error(const char *where, const struct ynode *it, const char *key,
    const char *name, const char *what)
{
	const struct ynode *n = ydoc_get(it, key);
	char *clean = name != NULL ? str_sanitize(name, 80) : NULL;
	struct error *err;

	if (clean != NULL)
		err = ydoc_error(where, n != NULL ? n : it, "package '%s': %s",
		    clean, what);
	else
		err = ydoc_error(where, n != NULL ? n : it, "%s", what);
	free(clean);
	return err;
}

/* The checks the registry makes of the same fields (loco-registry(5)). */
static struct error *
check_entry(const char *where, const struct ynode *it,
    const struct index_entry *e, const char *url)
{
	static const char *const text[] = { "description", "base_model",
	    "url" };
	struct error *err;
	char *clean, *msg;
	size_t i;

	if (!reg_name_ok(e->name)) {
		clean = str_sanitize(e->name, 80);
		msg = xasprintf("package name '%s' must be letters a-z, digits, "
		    "'_', '.' and '-', starting with a letter or digit, at "
		    "most 64", clean);
		err = entry_error(where, it, "name", NULL, msg);
		free(msg);
		free(clean);
		return err;
	}
	if (!semver_ok(e->version)) {
		clean = str_sanitize(e->version, 80);
		msg = xasprintf("'version' must be a semantic version like "
		    "1.0.0, not '%s'", clean);
		err = entry_error(where, it, "version", e->name, msg);
		free(msg);
		free(clean);
		return err;
	}
	if (e->domain != NULL && !reg_domain_ok(e->domain)) {
		clean = str_sanitize(e->domain, 80);
		msg = xasprintf("'domain' must be a lower-case word, not '%s'",
		    clean);
		err = entry_error(where, it, "domain", e->name, msg);
		free(msg);
		free(clean);
		return err;
	}
	for (i = 0; i < ARRAY_SIZE(text); i++) {
		const char *v = i == 0 ? e->description : i == 1 ?
		    e->base_model : url;

		if (v != NULL && str_has_control(v, "")) {
			msg = xasprintf("'%s' holds a control character",
			    text[i]);
			err = entry_error(where, it, text[i], e->name, msg);
			free(msg);
			return err;
		}
	}
	for (i = 0; i < e->ntags; i++)
		if (str_has_control(e->tags[i], ""))
			return entry_error(where, it, "tags", e->name,
			    "a tag holds a control character");
	return NULL;
}

static struct error *
parse_entry(const char *where, const char *base, const struct ynode *it,
    struct index_entry *e)
{
	const struct ynode *tags;
	struct error *err;
	char *url, *size;
	long l;
	size_t i;

	memset(e, 0, sizeof(*e));
	if (it->type != YNODE_MAP)
		return ydoc_error(where, it, "a package must be a mapping");
	e->name = scalar(it, "name");
	e->version = scalar(it, "version");
	url = scalar(it, "url");
	e->sha256 = scalar(it, "sha256");
	if (e->name == NULL || e->version == NULL || url == NULL ||
	    e->sha256 == NULL) {
		free(url);
		return ydoc_error(where, it, "a package needs name, version, "
		    "url and sha256");
	}
	if (str_startswith(e->sha256, "sha256:"))
		memmove(e->sha256, e->sha256 + 7, strlen(e->sha256 + 7) + 1);
	e->domain = scalar(it, "domain");
	if ((e->description = scalar(it, "description")) != NULL)
		fold_lines(e->description);
	e->base_model = scalar(it, "base_model");
	if ((tags = ydoc_get(it, "tags")) != NULL && tags->type == YNODE_SEQ) {
		e->tags = xcalloc(tags->nitems + 1, sizeof(*e->tags));
		for (i = 0; i < tags->nitems; i++)
			if (tags->items[i]->type == YNODE_SCALAR)
				e->tags[e->ntags++] =
				    xstrdup(tags->items[i]->value);
	}
	if ((err = check_entry(where, it, e, url)) != NULL) {
		free(url);
		return err;
	}
	if (!sha256_valid_hex(e->sha256)) {
		free(url);
		return entry_error(where, it, "sha256", e->name,
		    "'sha256' must be 64 lower-case hex digits");
	}
	e->url = resolve(base, url);
	free(url);
	if ((size = scalar(it, "size")) != NULL) {
		if (parse_long(size, 0, LONG_MAX, &l) == -1) {
			free(size);
			return entry_error(where, it, "size", e->name,
			    "'size' must be a number of bytes");
		}
		e->size = l;
		free(size);
	} else
		e->size = -1;
	return NULL;
}

/* An index body, kept up to INDEX_MAX. */
struct index_body {
	struct strbuf	 sb;
	int		 over;
};

static int
on_index_data(const char *data, size_t len, void *arg)
{
	struct index_body *b = arg;

	if (strbuf_add(&b->sb, data, len) == -1) {
		b->over = 1;
		return -1;
	}
	return 0;
}

static struct error *
index_too_big(const char *where)
{
	return error_new(EXIT_CONFIG, "%s: an index may be at most 16 MiB; is "
	    "this an index?", where);
}

struct error *
index_load(const char *where, long connect_timeout, struct pkg_index **out)
{
	struct pkg_index *idx = xcalloc(1, sizeof(*idx));
	struct ynode *root = NULL;
	const struct ynode *list;
	struct error *err = NULL;
	char *data = NULL;
	size_t len, i;

	*out = NULL;
	idx->source = xstrdup(str_startswith(where, "file://") ? where + 7 :
	    where);
	if (is_url(where)) {
		struct http_request req;
		struct http_response resp;
		struct index_body body;

		strbuf_init(&body.sb, INDEX_MAX);
		body.over = 0;
		memset(&req, 0, sizeof(req));
		req.method = "GET";
		req.url = where;
		req.on_data = on_index_data;
		req.arg = &body;
		req.connect_timeout = connect_timeout;
		req.idle_timeout = 60;
		req.max_body = 65536;	/* of an error reply */
		req.follow = 1;
		http_response_init(&resp);
		err = http_perform(&req, &resp);
		if (body.over) {
			error_free(err);
			err = index_too_big(where);
		} else if (err != NULL)
			err = error_prefix(err, "cannot fetch the package index "
			    "'%s'", where);
		else if (resp.status != 200)
			err = error_new(EXIT_FAIL, "cannot fetch the package "
			    "index '%s': HTTP %ld", where, resp.status);
		else
			data = strbuf_detach(&body.sb, &len);
		strbuf_release(&body.sb);
		http_response_release(&resp);
	} else {
		struct stat st;

		if (stat(idx->source, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size > (off_t)INDEX_MAX)
			err = index_too_big(idx->source);
		else
			err = fs_read_file(idx->source, INDEX_MAX, &data, &len);
	}
	if (err == NULL)
		err = ydoc_parse_string(idx->source, data, len, &root);
	if (err != NULL)
		goto done;
	list = root != NULL && root->type == YNODE_MAP ?
	    ydoc_get(root, "packages") : NULL;
	if (list == NULL || list->type != YNODE_SEQ) {
		err = error_new(EXIT_CONFIG, "%s: an index needs a list "
		    "'packages'", idx->source);
		goto done;
	}
	idx->entries = xcalloc(list->nitems + 1, sizeof(*idx->entries));
	for (i = 0; i < list->nitems; i++) {
		err = parse_entry(idx->source, idx->source, list->items[i],
		    &idx->entries[i]);
		idx->n++;
		if (err != NULL)
			goto done;
	}
done:
	ydoc_free(root);
	free(data);
	if (err != NULL) {
		index_free(idx);
		return err;
	}
	*out = idx;
	return NULL;
}

const struct index_entry *
index_best(const struct pkg_index *idx, const char *name, const char *version,
    const char *base_tag)
{
	const struct index_entry *best = NULL, *e;
	size_t i;

	for (i = 0; i < idx->n; i++) {
		e = &idx->entries[i];
		if (strcmp(e->name, name) != 0)
			continue;
		if (e->base_model != NULL && base_tag != NULL &&
		    !ollama_name_equal(e->base_model, base_tag))
			continue;
		if (version != NULL) {
			if (strcmp(e->version, version) == 0)
				return e;
			continue;
		}
		if (best == NULL || semver_cmp(e->version, best->version) > 0)
			best = e;
	}
	return best;
}

static int
contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	if (hay == NULL)
		return 0;
	for (; *hay != '\0'; hay++) {
		for (i = 0; i < n; i++)
			if (tolower((unsigned char)hay[i]) !=
			    tolower((unsigned char)needle[i]))
				break;
		if (i == n)
			return 1;
	}
	return n == 0;
}

int
index_match(const struct index_entry *e, const char *term)
{
	size_t i;

	if (contains_ci(e->name, term) || contains_ci(e->domain, term) ||
	    contains_ci(e->description, term))
		return 1;
	for (i = 0; i < e->ntags; i++)
		if (contains_ci(e->tags[i], term))
			return 1;
	return 0;
}

static struct error *
verify(const struct index_entry *e, const char *path)
{
	char hex[SHA256_HEX_LEN + 1];
	struct stat st;
	struct error *err;

	if (stat(path, &st) == -1)
		return error_new(EXIT_FAIL, "cannot open '%s': %s", path,
		    strerror(errno));
	if (e->size >= 0 && st.st_size != e->size)
		return error_new(EXIT_INTEGRITY, "package '%s' %s: '%s' has "
		    "%lld bytes, the index says %lld", e->name, e->version,
		    path, (long long)st.st_size, e->size);
	if ((err = sha256_file(path, hex, NULL, NULL)) != NULL)
		return err;
	if (strcmp(hex, e->sha256) != 0)
		return error_new(EXIT_INTEGRITY, "package '%s' %s: '%s' has "
		    "SHA-256 %s, the index says %s", e->name, e->version, path,
		    hex, e->sha256);
	return NULL;
}

struct download {
	FILE			*fp;
	int			 failed;
	int			 over;		/* more than limit bytes came */
	unsigned long long	 limit;
	ollama_progress_fn	 fn;
	void			*arg;
	unsigned long long	 done;
	unsigned long long	 total;
	char			*status;
};

static int
on_download(const char *data, size_t len, void *arg)
{
	struct download *d = arg;

	/* An endless body must not fill the disk: stop at the limit. */
	if (d->done > d->limit || len > d->limit - d->done) {
		d->over = 1;
		return -1;
	}
	if (fwrite(data, 1, len, d->fp) != len) {
		d->failed = errno ? errno : EIO;
		return -1;
	}
	d->done += len;
	if (d->fn != NULL)
		d->fn(d->status, d->done, d->total, d->arg);
	return 0;
}

void
index_set_ceiling(struct pkg_index *idx, long long bytes)
{
	size_t i;

	for (i = 0; i < idx->n; i++)
		idx->entries[i].ceiling = bytes;
}

/* Is there room in dir for need more bytes? */
static struct error *
check_space(const char *dir, const struct index_entry *e,
    unsigned long long need)
{
	struct statvfs sv;
	unsigned long long avail;

	if (statvfs(dir, &sv) == -1)
		return NULL;	/* cannot tell: the write will say */
	avail = (unsigned long long)sv.f_bavail * sv.f_frsize;
	if (avail >= need)
		return NULL;
	return error_new(EXIT_FAIL, "not enough space in '%s' for package "
	    "'%s' %s: %llu bytes needed, %llu free; free some space and run "
	    "the command again", dir, e->name, e->version, need, avail);
}

/* The error for a body that ran past the limit. */
static struct error *
too_long(const struct index_entry *e, unsigned long long limit)
{
	char *url = str_sanitize(e->url, 200);
	struct error *err;

	if (e->size >= 0)
		err = error_new(EXIT_INTEGRITY, "package '%s' %s: '%s' sends "
		    "more than the %lld bytes the index says; not installed",
		    e->name, e->version, url, e->size);
	else
		err = error_new(EXIT_FAIL, "package '%s' %s: '%s' sends more "
		    "than %llu MiB and the index gives no size; raise "
		    "adapters.max_download if the package is that big",
		    e->name, e->version, url, limit >> 20);
	free(url);
	return err;
}

struct error *
index_fetch(const struct index_entry *e, ollama_progress_fn fn, void *arg,
    char **path)
{
	struct http_request req;
	struct http_response resp;
	struct download d;
	struct error *err = NULL;
	struct stat st;
	char *home, *dir, *part, *final;
	int attempt, resumable, final_err = 0;

	*path = NULL;
	if (!is_url(e->url)) {
		if ((err = verify(e, e->url)) != NULL)
			return err;
		*path = xstrdup(e->url);
		return NULL;
	}
	home = loco_home();
	dir = xasprintf("%s/tmp/downloads", home);
	free(home);
	part = xasprintf("%s/%s.part", dir, e->sha256);
	final = xasprintf("%s/%s.pkg", dir, e->sha256);
	if ((err = fs_mkdirs(dir, 1)) != NULL)
		goto done;
	if (fs_exists(final) && verify(e, final) == NULL) {
		*path = final;
		final = NULL;
		goto done;
	}
	memset(&d, 0, sizeof(d));
	d.fn = fn;
	d.arg = arg;
	d.total = e->size > 0 ? (unsigned long long)e->size : 0;
	d.limit = e->size >= 0 ? (unsigned long long)e->size :
	    e->ceiling > 0 ? (unsigned long long)e->ceiling :
	    (unsigned long long)DOWNLOAD_MAX_DEFAULT;
	/*
	 * Only a download of a known size is worth resuming: a partial file
	 * of an unknown one is removed rather than left to grow.
	 */
	resumable = e->size >= 0;
	d.status = xasprintf("downloading %s %s", e->name, e->version);
	for (attempt = 1; attempt <= DOWNLOAD_TRIES; attempt++) {
		error_free(err);
		err = NULL;
		/* Resume what an earlier try (or run) left. */
		d.done = stat(part, &st) == 0 ? (unsigned long long)st.st_size :
		    0;
		if (d.done > d.limit || !resumable) {
			unlink(part);
			d.done = 0;
		}
		if (e->size >= 0 &&
		    (err = check_space(dir, e, d.limit - d.done)) != NULL) {
			final_err = 1;
			break;
		}
		if ((d.fp = fopen(part, "ab")) == NULL) {
			err = error_new(EXIT_FAIL, "cannot write '%s': %s",
			    part, strerror(errno));
			break;
		}
		d.over = 0;
		memset(&req, 0, sizeof(req));
		req.method = "GET";
		req.url = e->url;
		req.on_data = on_download;
		req.arg = &d;
		req.connect_timeout = 30;
		req.idle_timeout = 60;
		req.follow = 1;
		req.resume_from = (long long)d.done;
		http_response_init(&resp);
		err = http_perform(&req, &resp);
		fclose(d.fp);
		if (d.over && req.resume_from > 0) {
			/* Likely the whole file again: start afresh. */
			unlink(part);
			error_free(err);
			err = error_new(EXIT_FAIL, "the server cannot resume");
		} else if (d.over) {
			error_free(err);
			err = too_long(e, d.limit);
			http_response_release(&resp);
			final_err = 1;
			break;
		} else if (err == NULL && resp.status == 200 && d.done > 0 &&
		    req.resume_from > 0) {
			/* The server ignored the range: start again. */
			unlink(part);
			err = error_new(EXIT_FAIL, "the server cannot resume");
		} else if (err == NULL && resp.status == 416) {
			unlink(part);
			err = error_new(EXIT_FAIL, "HTTP 416");
		} else if (err == NULL && resp.status != 200 &&
		    resp.status != 206)
			err = error_new(EXIT_FAIL, "HTTP %ld", resp.status);
		http_response_release(&resp);
		if (err == NULL) {
			if ((err = verify(e, part)) != NULL) {
				unlink(part);	/* a bad copy: no resuming it */
				break;
			}
			if (rename(part, final) == -1)
				err = error_new(EXIT_FAIL, "cannot rename '%s': %s",
				    part, strerror(errno));
			else {
				*path = final;
				final = NULL;
			}
			break;
		}
		if (err->code == EXIT_INTERRUPT)
			break;
	}
	free(d.status);
	if (err != NULL && (!resumable || err->code == EXIT_INTEGRITY))
		unlink(part);
	if (err != NULL && !final_err && err->code != EXIT_INTEGRITY &&
	    err->code != EXIT_INTERRUPT)
		err = error_prefix(err, "cannot download '%s' (%d tries%s)",
		    e->url, DOWNLOAD_TRIES, resumable ? "; run the command "
		    "again to resume" : "");
done:
	free(dir);
	free(part);
	free(final);
	return err;
}
