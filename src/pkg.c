/* pkg.c: installed adapter packages (see pkg.h). */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "fsutil.h"
#include "package.h"
#include "pkg.h"
#include "register.h"
#include "strbuf.h"
#include "ydoc.h"
#include "banned.h"

#define LOCK_WAIT 30

static char *
adapters_dir(void)
{
	char *home = loco_home(), *dir = xasprintf("%s/adapters", home);

	free(home);
	return dir;
}

/* A YAML double-quoted scalar: safe for any text. */
static void
yaml_quote(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			strbuf_addf(sb, "\\%c", c);
		else if (c == '\n')
			strbuf_addstr(sb, "\\n");
		else if (c == '\t')
			strbuf_addstr(sb, "\\t");
		else if (c < 0x20 || c == 0x7f)
			strbuf_addf(sb, "\\x%02x", c);
		else
			strbuf_addch(sb, (char)c);
	}
	strbuf_addch(sb, '"');
}

void
installed_release(struct installed *in)
{
	size_t i;

	for (i = 0; i < in->npackages; i++)
		free(in->packages[i]);
	for (i = 0; i < in->nactive; i++) {
		free(in->active[i].domain);
		free(in->active[i].pick);
	}
	for (i = 0; i < in->nscores; i++) {
		free(in->scores[i].pick);
		free(in->scores[i].benchmark_sha256);
		free(in->scores[i].date);
	}
	free(in->scores);
	free(in->packages);
	free(in->active);
	free(in->path);
	free(in->dir);
	free(in->base);
	memset(in, 0, sizeof(*in));
}

struct error *
installed_load(struct installed *in)
{
	struct ynode *root = NULL, *n;
	struct error *err = NULL;
	size_t i;

	memset(in, 0, sizeof(*in));
	in->dir = adapters_dir();
	in->path = xasprintf("%s/installed.yaml", in->dir);
	if (!fs_exists(in->path))
		return NULL;
	if ((err = ydoc_parse_file(in->path, &root)) != NULL || root == NULL)
		goto done;
	if (root->type != YNODE_MAP) {
		err = ydoc_error(in->path, root, "the top level must be a "
		    "mapping");
		goto done;
	}
	if ((n = ydoc_get(root, "base_model")) != NULL &&
	    n->type == YNODE_SCALAR)
		in->base = xstrdup(n->value);
	if ((n = ydoc_get(root, "packages")) != NULL && n->type == YNODE_SEQ)
		for (i = 0; i < n->nitems; i++) {
			if (n->items[i]->type != YNODE_SCALAR)
				continue;
			in->packages = xreallocarray(in->packages,
			    in->npackages + 1, sizeof(*in->packages));
			in->packages[in->npackages++] =
			    xstrdup(n->items[i]->value);
		}
	if ((n = ydoc_get(root, "active")) != NULL && n->type == YNODE_MAP)
		for (i = 0; i < n->nents; i++)
			if (n->ents[i].value->type == YNODE_SCALAR)
				installed_promote(in, n->ents[i].key->value,
				    n->ents[i].value->value);
	if ((n = ydoc_get(root, "scores")) != NULL && n->type == YNODE_MAP)
		for (i = 0; i < n->nents; i++) {
			const struct ynode *v = n->ents[i].value, *f;
			struct pkg_score sc;

			if (v->type != YNODE_MAP)
				continue;
			memset(&sc, 0, sizeof(sc));
			sc.pick = n->ents[i].key->value;
#define NUM(k, dst) if ((f = ydoc_get(v, k)) != NULL && \
	f->type == YNODE_SCALAR) (void)parse_double(f->value, -1e300, 1e300, dst)
			NUM("accuracy", &sc.accuracy);
			NUM("base_accuracy", &sc.base_accuracy);
			NUM("p", &sc.p);
#undef NUM
			if ((f = ydoc_get(v, "n")) != NULL &&
			    f->type == YNODE_SCALAR)
				(void)parse_long(f->value, 0, LONG_MAX, &sc.n);
			if ((f = ydoc_get(v, "benchmark_sha256")) != NULL &&
			    f->type == YNODE_SCALAR)
				sc.benchmark_sha256 = f->value;
			if ((f = ydoc_get(v, "date")) != NULL &&
			    f->type == YNODE_SCALAR)
				sc.date = f->value;
			installed_set_score(in, &sc);
		}
done:
	ydoc_free(root);
	return err;
}

struct error *
installed_save(const struct installed *in)
{
	struct strbuf sb = STRBUF_INIT;
	struct error *err;
	size_t i;

	strbuf_addstr(&sb, "# Written by loco: adapter packages installed "
	    "here and promotions.\n# See loco-registry(5); use 'loco adapters' "
	    "to change it.\nversion: 1\n");
	if (in->base != NULL) {
		strbuf_addstr(&sb, "base_model: ");
		yaml_quote(&sb, in->base);
		strbuf_addch(&sb, '\n');
	}
	strbuf_addstr(&sb, in->npackages ? "packages:\n" : "packages: []\n");
	for (i = 0; i < in->npackages; i++) {
		strbuf_addstr(&sb, "  - ");
		yaml_quote(&sb, in->packages[i]);
		strbuf_addch(&sb, '\n');
	}
	if (in->nactive > 0)
		strbuf_addstr(&sb, "active:\n");
	for (i = 0; i < in->nactive; i++) {
		strbuf_addstr(&sb, "  ");
		yaml_quote(&sb, in->active[i].domain);
		strbuf_addstr(&sb, ": ");
		yaml_quote(&sb, in->active[i].pick);
		strbuf_addch(&sb, '\n');
	}
	if (in->nscores > 0)
		strbuf_addstr(&sb, "scores:\n");
	for (i = 0; i < in->nscores; i++) {
		const struct pkg_score *sc = &in->scores[i];

		strbuf_addstr(&sb, "  ");
		yaml_quote(&sb, sc->pick);
		strbuf_addf(&sb, ": {accuracy: %.17g, base_accuracy: %.17g, "
		    "p: %.17g, n: %ld", sc->accuracy, sc->base_accuracy, sc->p,
		    sc->n);
		if (sc->benchmark_sha256 != NULL) {
			strbuf_addstr(&sb, ", benchmark_sha256: ");
			yaml_quote(&sb, sc->benchmark_sha256);
		}
		if (sc->date != NULL) {
			strbuf_addstr(&sb, ", date: ");
			yaml_quote(&sb, sc->date);
		}
		strbuf_addstr(&sb, "}\n");
	}
	if ((err = fs_mkdirs(in->dir, 0)) == NULL)
		err = fs_write_atomic(in->path, sb.buf, sb.len);
	strbuf_release(&sb);
	return err;
}

int
installed_find(const struct installed *in, const char *name,
    const char *version)
{
	char *want = xasprintf("%s/%s", name, version);
	size_t i;
	int found = -1;

	for (i = 0; i < in->npackages && found == -1; i++)
		if (strcmp(in->packages[i], want) == 0)
			found = (int)i;
	free(want);
	return found;
}

int
installed_present(const struct installed *in, size_t i)
{
	char *path = xasprintf("%s/%s/adapter.yaml", in->dir,
	    in->packages[i]);
	int ok = access(path, F_OK) == 0 || errno != ENOENT;

	free(path);
	return ok;
}

void
installed_set_score(struct installed *in, const struct pkg_score *sc)
{
	struct pkg_score *d = NULL;
	size_t i;

	for (i = 0; i < in->nscores; i++)
		if (strcmp(in->scores[i].pick, sc->pick) == 0)
			d = &in->scores[i];
	if (d == NULL) {
		in->scores = xreallocarray(in->scores, in->nscores + 1,
		    sizeof(*in->scores));
		d = &in->scores[in->nscores++];
		memset(d, 0, sizeof(*d));
		d->pick = xstrdup(sc->pick);
	}
	free(d->benchmark_sha256);
	free(d->date);
	d->accuracy = sc->accuracy;
	d->base_accuracy = sc->base_accuracy;
	d->p = sc->p;
	d->n = sc->n;
	d->benchmark_sha256 = sc->benchmark_sha256 ?
	    xstrdup(sc->benchmark_sha256) : NULL;
	d->date = sc->date ? xstrdup(sc->date) : NULL;
}

struct error *
pkg_record_score(const struct adapter *a, const char *base_tag,
    const struct pkg_score *score)
{
	struct installed in;
	struct pkg_score sc = *score;
	struct error *err;
	int lock;

	if ((err = pkg_lock(&lock)) != NULL)
		return err;
	if ((err = installed_load(&in)) == NULL) {
		sc.pick = xasprintf("%s@%s", a->name, a->version);
		installed_set_score(&in, &sc);
		free(sc.pick);
		if (in.base == NULL)
			in.base = xstrdup(base_tag);
		err = installed_save(&in);
	}
	installed_release(&in);
	fs_unlock(lock);
	return err;
}

void
installed_promote(struct installed *in, const char *domain, const char *pick)
{
	size_t i;

	for (i = 0; i < in->nactive; i++)
		if (strcmp(in->active[i].domain, domain) == 0) {
			free(in->active[i].pick);
			in->active[i].pick = xstrdup(pick);
			return;
		}
	in->active = xreallocarray(in->active, in->nactive + 1,
	    sizeof(*in->active));
	in->active[in->nactive].domain = xstrdup(domain);
	in->active[in->nactive++].pick = xstrdup(pick);
}

struct error *
pkg_lock(int *fd)
{
	char *dir = adapters_dir(), *path;
	struct error *err;

	if ((err = fs_mkdirs(dir, 0)) == NULL) {
		path = xasprintf("%s/.lock", dir);
		err = fs_lock(path, LOCK_WAIT, fd);
		free(path);
	}
	free(dir);
	return err;
}

/*
 * Scratch directories: $LOCO_HOME/tmp/install.XXXXXX, each with a file
 * SCRATCH_OWNER its process holds a lock on while it works there.  A
 * process killed in the middle (kill -9, a crash, a power cut) leaves
 * its directory, possibly gigabytes of unpacked package, so each new one
 * first removes those whose lock is free: older than SCRATCH_AGE seconds
 * (a directory that young may be one whose owner has not locked it yet),
 * or, without an owner file (an older loco's), older than an hour.
 */
#define SCRATCH_OWNER	".owner"
#define SCRATCH_AGE	60

static void
scratch_clean(const char *base)
{
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	DIR *d;
	char *dir, *owner;
	int fd, stale;

	if ((d = opendir(base)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!str_startswith(de->d_name, "install."))
			continue;
		dir = xasprintf("%s/%s", base, de->d_name);
		owner = xasprintf("%s/%s", dir, SCRATCH_OWNER);
		stale = 0;
		if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
		    now - st.st_mtime >= SCRATCH_AGE) {
			fd = open(owner, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (fd != -1) {
				stale = flock(fd, LOCK_EX | LOCK_NB) == 0;
				close(fd);
			} else
				stale = errno == ENOENT &&
				    now - st.st_mtime >= 3600;
		}
		if (stale)
			error_free(fs_remove_tree(dir));
		free(owner);
		free(dir);
	}
	closedir(d);
}

/*
 * A fresh private directory under $LOCO_HOME/tmp (same file system),
 * locked through *lock (close it after removing the directory).
 */
static struct error *
scratch_dir(char **out, int *lock)
{
	char *home = loco_home(), *base = xasprintf("%s/tmp", home), *tmpl;
	char *owner;
	struct error *err;

	free(home);
	*out = NULL;
	*lock = -1;
	if ((err = fs_mkdirs(base, 1)) != NULL) {
		free(base);
		return err;
	}
	scratch_clean(base);
	tmpl = xasprintf("%s/install.XXXXXX", base);
	free(base);
	if (mkdtemp(tmpl) == NULL) {
		err = error_new(EXIT_FAIL, "cannot create a directory in '%s': "
		    "%s", dirname(tmpl), strerror(errno));
		free(tmpl);
		return err;
	}
	owner = xasprintf("%s/%s", tmpl, SCRATCH_OWNER);
	if ((*lock = open(owner, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1 || flock(*lock, LOCK_EX | LOCK_NB) == -1) {
		err = error_new(EXIT_FAIL, "cannot lock '%s': %s", owner,
		    strerror(errno));
		if (*lock != -1)
			close(*lock);
		*lock = -1;
		error_free(fs_remove_tree(tmpl));
		free(owner);
		free(tmpl);
		return err;
	}
	free(owner);
	*out = tmpl;
	return NULL;
}

/* Is path inside dir (after resolving links)? */
static int
inside(const char *dir, const char *path)
{
	char rd[PATH_MAX], rp[PATH_MAX];
	size_t n;

	if (realpath(dir, rd) == NULL || realpath(path, rp) == NULL)
		return 0;
	n = strlen(rd);
	return strncmp(rd, rp, n) == 0 && rp[n] == '/';
}

/* path as adapter.yaml gave it: relative to dir when inside it. */
static const char *
in_package(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && path[n] == '/' ? path + n + 1 :
	    path;
}

/*
 * A file adapter.yaml names (key) must be one the package holds: not a
 * path out of it, absolute or through "..", and not a link out of it.
 */
static struct error *
check_inside(const char *dir, const struct adapter *a, const char *key,
    const char *path)
{
	char *safe;
	struct error *err;

	if (path == NULL || inside(dir, path))
		return NULL;
	safe = str_sanitize(in_package(dir, path), 200);
	if (fs_exists(path) || strstr(safe, "..") != NULL || *safe == '/')
		err = error_new(EXIT_INTEGRITY, "adapter '%s': its %s '%s' "
		    "is not inside the package", a->name, key, safe);
	else
		err = error_new(EXIT_INTEGRITY, "adapter '%s': its %s '%s' "
		    "is not in the package", a->name, key, safe);
	free(safe);
	return err;
}

/*
 * Replace every "dir/" in the message with nothing, so errors name
 * adapter.yaml and the package's files, not loco's scratch copy of them.
 */
static struct error *
unscratch(struct error *err, const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	char *prefix = xasprintf("%s/", dir), *p, *q;
	size_t n = strlen(prefix);

	for (p = err->msg; (q = strstr(p, prefix)) != NULL; p = q + n)
		strbuf_add(&sb, p, (size_t)(q - p));
	strbuf_addstr(&sb, p);
	free(err->msg);
	err->msg = strbuf_detach(&sb, NULL);
	free(prefix);
	return err;
}

/*
 * Text loco prints (adapters list, search, route) must not hold escape
 * sequences: a package is outside input like an index.
 */
static struct error *
check_text(const struct adapter *a)
{
	const char *what = NULL;
	size_t i;

	if (a->description != NULL && str_has_control(a->description, "\n\t"))
		what = "its description";
	for (i = 0; what == NULL && i < a->ntags; i++)
		if (str_has_control(a->tags[i], ""))
			what = "a tag";
	for (i = 0; what == NULL && i < a->nexamples; i++)
		if (str_has_control(a->examples[i], ""))
			what = "a router example";
	if (what == NULL && a->tag != NULL && str_has_control(a->tag, ""))
		what = "its tag";
	if (what == NULL)
		return NULL;
	return error_new(EXIT_INTEGRITY, "adapter '%s': %s holds a control "
	    "character", a->name, what);
}

/* Parse and check DIR/adapter.yaml as an adapter of registry r. */
static struct error *
read_package(const struct registry *r, const char *dir, struct adapter *out)
{
	struct registry scratch;
	struct error *err;

	/* The same domains and base, none of r's adapters. */
	memset(&scratch, 0, sizeof(scratch));
	scratch.base = r->base;
	scratch.domains = r->domains;
	scratch.ndomains = r->ndomains;
	memset(out, 0, sizeof(*out));
	if ((err = registry_add_package(&scratch, dir)) != NULL)
		goto done;
	*out = scratch.adapters[0];
	free(scratch.adapters);
	scratch.adapters = NULL;
	if ((out->type == ADAPTER_LORA || out->type == ADAPTER_MERGED) &&
	    (err = check_inside(dir, out, "file", out->file)) != NULL)
		goto done;
	if ((err = check_inside(dir, out, "benchmark", out->benchmark)) !=
	    NULL || (err = check_inside(dir, out, "router_examples",
	    out->examples_file)) != NULL || (err = check_text(out)) != NULL)
		goto done;
	err = reg_check_file(r, out, r->base.architecture);
done:
	if (scratch.adapters != NULL) {
		adapter_release(&scratch.adapters[0]);
		free(scratch.adapters);
	}
	return err != NULL ? unscratch(err, dir) : NULL;
}

/*
 * A PEFT folder in the package becomes its GGUF (package.h), checked
 * against the base's GGUF when loco has one (base_model.file, or Ollama's
 * copy of the tag), else converted for the base's architecture.
 */
static struct error *
convert_peft(const struct registry *r, const char *dir)
{
	char *base = NULL;
	struct error *err;
	int converted;

	if (r->base.file != NULL && fs_exists(r->base.file))
		base = xstrdup(r->base.file);
	else
		base = ollama_blob(r->base.tag);
	if (base == NULL && r->base.architecture == NULL)
		return error_new(EXIT_FAIL, "cannot convert its PEFT folder: no "
		    "GGUF of the base model '%s' and no base_model.architecture "
		    "in '%s'", r->base.tag, r->path);
	err = package_convert_peft(dir, base, r->base.architecture,
	    &converted);
	if (err == NULL && converted && base == NULL)
		fprintf(stderr, "loco: warning: the package's PEFT adapter was "
		    "converted without checking its shapes: no GGUF of the base "
		    "model '%s' (set base_model.file or 'ollama pull %s')\n",
		    r->base.tag, r->base.tag);
	free(base);
	return err;
}

/* An adapter file: a merged 4B model in f16 is 8 GB; 64 GiB is absurd. */
#define PKG_FILE_MAX	(64ULL << 30)

struct error *
pkg_install(const struct registry *r, const char *path, int force,
    const char *want_name, const char *want_version, char **name,
    char **version)
{
	struct installed in;
	struct adapter a;
	struct error *err, *e2;
	struct package_manifest m;
	char *tmp = NULL, *dest = NULL, *final = NULL, *parent = NULL;
	char *aside = NULL, *entry = NULL;
	int lock = -1, scratch_lock = -1, found, swapped = 0;
	size_t i;

	*name = *version = NULL;
	memset(&a, 0, sizeof(a));
	memset(&in, 0, sizeof(in));
	if ((err = pkg_lock(&lock)) != NULL)
		return err;
	if ((err = scratch_dir(&tmp, &scratch_lock)) != NULL)
		goto done;
	dest = xasprintf("%s/pkg", tmp);
	if (mkdir(dest, 0755) == -1) {
		err = error_new(EXIT_FAIL, "cannot create '%s': %s", dest,
		    strerror(errno));
		goto done;
	}
	if ((err = package_unpack(path, dest, NULL, &m)) != NULL)
		goto done;
	package_manifest_release(&m);
	if ((err = convert_peft(r, dest)) != NULL) {
		err = error_prefix(unscratch(err, dest), "package '%s'", path);
		goto done;
	}
	if ((err = read_package(r, dest, &a)) != NULL) {
		err = error_prefix(err, "package '%s'", path);
		goto done;
	}
	if ((want_name != NULL && strcmp(want_name, a.name) != 0) ||
	    (want_version != NULL && strcmp(want_version, a.version) != 0)) {
		err = error_new(EXIT_INTEGRITY, "package '%s' holds %s %s, not "
		    "%s %s as the index says", path, a.name, a.version,
		    want_name ? want_name : a.name,
		    want_version ? want_version : a.version);
		goto done;
	}
	for (i = 0; i < r->nbase; i++)
		if (strcmp(r->adapters[i].name, a.name) == 0 &&
		    strcmp(r->adapters[i].version, a.version) == 0) {
			err = error_new(EXIT_FAIL, "adapter '%s' %s is defined "
			    "by the registry '%s' itself", a.name, a.version,
			    r->path);
			goto done;
		}
	if ((err = installed_load(&in)) != NULL)
		goto done;
	found = installed_find(&in, a.name, a.version);
	/* A dangling entry (its directory gone) is repaired, not refused. */
	if (found >= 0 && !force && installed_present(&in, found)) {
		err = error_new(EXIT_FAIL, "adapter '%s' %s is already "
		    "installed; use --force to replace it", a.name, a.version);
		goto done;
	}
	if (loco_interrupted) {
		err = error_new(EXIT_INTERRUPT, "interrupted");
		goto done;
	}
	parent = xasprintf("%s/%s", in.dir, a.name);
	final = xasprintf("%s/%s", parent, a.version);
	if ((err = fs_mkdirs(parent, 0)) != NULL)
		goto done;
	/*
	 * An old copy (or one a crash left behind) trades places with the
	 * new one in one step, so that a kill at any point leaves 'final'
	 * whole; two renames where the system cannot (a kill between them
	 * leaves a dangling entry, which loco reports and the next install
	 * or remove repairs).
	 */
	if (fs_exists(final)) {
		if (fs_exchange(dest, final) == 0) {
			swapped = 1;
			goto swapped;
		}
		if (errno != ENOSYS && errno != EINVAL && errno != ENOTSUP) {
			err = error_new(EXIT_FAIL, "cannot replace '%s' with "
			    "'%s': %s", final, dest, strerror(errno));
			goto done;
		}
		aside = xasprintf("%s/old", tmp);
		if (rename(final, aside) == -1) {
			err = error_new(EXIT_FAIL, "cannot move '%s' aside: %s",
			    final, strerror(errno));
			goto done;
		}
	}
	if (rename(dest, final) == -1) {
		err = error_new(EXIT_FAIL, "cannot rename '%s' to '%s': %s",
		    dest, final, strerror(errno));
		goto restore;
	}
swapped:
	if (found < 0) {
		entry = xasprintf("%s/%s", a.name, a.version);
		in.packages = xreallocarray(in.packages, in.npackages + 1,
		    sizeof(*in.packages));
		in.packages[in.npackages++] = entry;
		entry = NULL;
	}
	if (in.base == NULL)
		in.base = xstrdup(r->base.tag);
	if ((err = installed_save(&in)) != NULL) {
		if (swapped)
			(void)fs_exchange(dest, final);
		else
			(void)rename(final, dest);
		goto restore;
	}
	(void)fs_sync_dir(parent);
	*name = xstrdup(a.name);
	*version = xstrdup(a.version);
	goto done;
restore:
	if (aside != NULL)
		(void)rename(aside, final);
done:
	if (tmp != NULL && (e2 = fs_remove_tree(tmp)) != NULL)
		error_free(e2);
	if (scratch_lock != -1)
		close(scratch_lock);
	fs_unlock(lock);
	adapter_release(&a);
	installed_release(&in);
	free(tmp);
	free(dest);
	free(final);
	free(parent);
	free(aside);
	return err;
}

struct error *
pkg_remove(const char *name, const char *version)
{
	struct installed in;
	struct error *err;
	char *pick, *dir;
	size_t i, k;
	int found, lock;

	if ((err = pkg_lock(&lock)) != NULL)
		return err;
	if ((err = installed_load(&in)) != NULL)
		goto done;
	if ((found = installed_find(&in, name, version)) < 0) {
		err = error_new(EXIT_FAIL, "adapter '%s' %s is not installed "
		    "from a package", name, version);
		goto done;
	}
	free(in.packages[found]);
	memmove(&in.packages[found], &in.packages[found + 1],
	    (in.npackages - (size_t)found - 1) * sizeof(*in.packages));
	in.npackages--;
	pick = xasprintf("%s@%s", name, version);
	for (i = k = 0; i < in.nactive; i++) {
		if (strcmp(in.active[i].pick, pick) == 0) {
			free(in.active[i].domain);
			free(in.active[i].pick);
		} else
			in.active[k++] = in.active[i];
	}
	in.nactive = k;
	free(pick);
	/* The list first: a crash now leaves only an unlisted directory. */
	if ((err = installed_save(&in)) != NULL)
		goto done;
	dir = xasprintf("%s/%s/%s", in.dir, name, version);
	err = fs_remove_tree(dir);
	free(dir);
	dir = xasprintf("%s/%s", in.dir, name);
	(void)rmdir(dir);	/* only when no version is left */
	free(dir);
done:
	installed_release(&in);
	fs_unlock(lock);
	return err;
}

struct error *
pkg_promote(const struct adapter *a, const char *base_tag)
{
	struct installed in;
	struct error *err;
	char *pick;
	int lock;

	if ((err = pkg_lock(&lock)) != NULL)
		return err;
	if ((err = installed_load(&in)) == NULL) {
		pick = xasprintf("%s@%s", a->name, a->version);
		installed_promote(&in, a->domain, pick);
		free(pick);
		if (in.base == NULL)
			in.base = xstrdup(base_tag);
		err = installed_save(&in);
	}
	installed_release(&in);
	fs_unlock(lock);
	return err;
}

char *
pkg_adapter_yaml(const struct adapter *a, const char *file)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, j;

#define KEY(k, v) do {							\
	if ((v) != NULL) {						\
		strbuf_addstr(&sb, k ": ");				\
		yaml_quote(&sb, (v));					\
		strbuf_addch(&sb, '\n');				\
	}								\
} while (0)
	strbuf_addstr(&sb, "# loco adapter package entry: see "
	    "loco-adapter(5).\n");
	KEY("name", a->name);
	KEY("version", a->version);
	KEY("domain", a->domain);
	KEY("type", adapter_type_name(a->type));
	KEY("description", a->description);
	KEY("system", a->system);
	KEY("file", file);
	KEY("sha256", a->sha256);
	KEY("tag", a->tag);
	KEY("answer_type", a->answer_type);
	KEY("answer_pattern", a->answer_pattern);
#undef KEY
	if (a->nkeywords > 0) {
		strbuf_addstr(&sb, "router_keywords:\n");
		for (i = 0; i < a->nkeywords; i++) {
			strbuf_addstr(&sb, "  ");
			yaml_quote(&sb, a->keywords[i].phrase);
			strbuf_addf(&sb, ": %g\n", a->keywords[i].weight);
		}
	}
	if (a->nparams > 0) {
		strbuf_addstr(&sb, "parameters:\n");
		for (i = 0; i < a->nparams; i++) {
			/* Repeated names (stop) become one list. */
			for (j = 0; j < i; j++)
				if (strcmp(a->params[j].name,
				    a->params[i].name) == 0)
					break;
			if (j < i)
				continue;
			strbuf_addf(&sb, "  %s: [", a->params[i].name);
			for (j = i; j < a->nparams; j++) {
				if (strcmp(a->params[j].name,
				    a->params[i].name) != 0)
					continue;
				if (j > i)
					strbuf_addstr(&sb, ", ");
				if (a->params[j].is_number)
					strbuf_addstr(&sb, a->params[j].value);
				else
					yaml_quote(&sb, a->params[j].value);
			}
			strbuf_addstr(&sb, "]\n");
		}
	}
	if (a->ntags > 0) {
		strbuf_addstr(&sb, "tags: [");
		for (i = 0; i < a->ntags; i++) {
			if (i)
				strbuf_addstr(&sb, ", ");
			yaml_quote(&sb, a->tags[i]);
		}
		strbuf_addstr(&sb, "]\n");
	}
	return strbuf_detach(&sb, NULL);
}


/*
 * Copy an adapter file into a package being made: a regular file only
 * (/dev/zero would copy forever, a FIFO hang), of at most PKG_FILE_MAX
 * bytes, and Ctrl-C stops it.
 */
static struct error *
copy_file(const char *from, const char *to)
{
	char buf[1 << 16];
	unsigned long long done = 0;
	ssize_t n;
	struct error *err;
	int in, out;

	if ((err = fs_open_regular(from, "adapter file", PKG_FILE_MAX, &in,
	    NULL)) != NULL)
		return err;
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0644)) == -1) {
		err = error_new(EXIT_FAIL, "cannot write '%s': %s", to,
		    strerror(errno));
		close(in);
		return err;
	}
	for (;;) {
		if (loco_interrupted) {
			err = error_new(EXIT_INTERRUPT, "interrupted");
			break;
		}
		if ((n = read(in, buf, sizeof(buf))) == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			err = error_new(EXIT_FAIL, "cannot read adapter file "
			    "'%s': %s", from, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		/* It may grow after the check. */
		if ((done += (unsigned long long)n) > PKG_FILE_MAX) {
			err = error_new(EXIT_FAIL, "cannot read adapter file "
			    "'%s': larger than %llu bytes", from, PKG_FILE_MAX);
			break;
		}
		if (fs_write_all(out, buf, (size_t)n) == -1) {
			err = error_new(EXIT_FAIL, "cannot write '%s': %s", to,
			    strerror(errno));
			break;
		}
	}
	close(in);
	if (close(out) != 0 && err == NULL)
		err = error_new(EXIT_FAIL, "cannot write '%s': %s", to,
		    strerror(errno));
	return err;
}

struct error *
pkg_install_parts(const struct registry *r, const struct adapter *a, int force)
{
	struct error *err, *e2;
	char *tmp = NULL, *dir, *archive, *yaml, *path, *copy, *base = NULL;
	char *name = NULL, *version = NULL;
	int scratch_lock;

	if ((err = scratch_dir(&tmp, &scratch_lock)) != NULL)
		return err;
	dir = xasprintf("%s/src", tmp);
	archive = xasprintf("%s/package.tar.gz", tmp);
	if (mkdir(dir, 0755) == -1) {
		err = error_new(EXIT_FAIL, "cannot create '%s': %s", dir,
		    strerror(errno));
		goto done;
	}
	if (a->file != NULL) {
		copy = xstrdup(a->file);
		base = xstrdup(basename(copy));
		free(copy);
		path = xasprintf("%s/%s", dir, base);
		err = copy_file(a->file, path);
		free(path);
		if (err != NULL)
			goto done;
	}
	yaml = pkg_adapter_yaml(a, base);
	path = xasprintf("%s/adapter.yaml", dir);
	err = fs_write_atomic(path, yaml, strlen(yaml));
	free(path);
	free(yaml);
	if (err == NULL && (err = package_create(dir, archive)) == NULL)
		err = pkg_install(r, archive, force, a->name, a->version, &name,
		    &version);
done:
	if ((e2 = fs_remove_tree(tmp)) != NULL)
		error_free(e2);
	close(scratch_lock);
	free(tmp);
	free(dir);
	free(archive);
	free(base);
	free(name);
	free(version);
	return err;
}
