/*
 * package.c: unpack adapter packages without trusting them, and pack them.
 *
 * libarchive only reads and decompresses here; writing to disk is done by
 * hand rather than with archive_write_disk, because the policy is simpler
 * than anything its flags express: only regular files and directories,
 * created one path component at a time with openat(O_NOFOLLOW), files with
 * O_EXCL, fixed modes.  No link is ever created, so no later entry can be
 * redirected through one, and every byte is counted against the limits as
 * it is written rather than trusted from a header.  Files are hashed on
 * the way through, so SHA256SUMS is checked without reading them again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "error.h"
#include "hash.h"
#include "fsutil.h"
#include "package.h"
#include "peft.h"
#include "strbuf.h"
#include "util.h"
#include "banned.h"

#ifdef LOCO_ARCHIVE_DLOPEN
/*
 * libarchive is loaded when a package is first opened, as libcurl is
 * (http.c): Debian's libarchive brings libxml2, ICU and libstdc++, whose
 * relocations cost about 2 ms at the start of every loco process, and
 * only the package commands need it.  `make ARCHIVE_DLOPEN=0` links it.
 */
#include <dlfcn.h>
#include <stddef.h>

#define LIBARCHIVE_SONAME "libarchive.so.13"

static struct {
	void	*dl;
	__typeof__(archive_entry_filetype)	*p_entry_filetype;
	__typeof__(archive_entry_free)	*p_entry_free;
	__typeof__(archive_entry_hardlink)	*p_entry_hardlink;
	__typeof__(archive_entry_new)	*p_entry_new;
	__typeof__(archive_entry_pathname)	*p_entry_pathname;
	__typeof__(archive_entry_pathname_utf8)	*p_entry_pathname_utf8;
	__typeof__(archive_entry_set_filetype)	*p_entry_set_filetype;
	__typeof__(archive_entry_set_mtime)	*p_entry_set_mtime;
	__typeof__(archive_entry_set_pathname)	*p_entry_set_pathname;
	__typeof__(archive_entry_set_perm)	*p_entry_set_perm;
	__typeof__(archive_entry_set_size)	*p_entry_set_size;
	__typeof__(archive_entry_size)	*p_entry_size;
	__typeof__(archive_entry_size_is_set)	*p_entry_size_is_set;
	__typeof__(archive_entry_symlink)	*p_entry_symlink;
	__typeof__(archive_errno)	*p_errno;
	__typeof__(archive_error_string)	*p_error_string;
	__typeof__(archive_filter_bytes)	*p_filter_bytes;
	__typeof__(archive_read_data)	*p_read_data;
	__typeof__(archive_read_free)	*p_read_free;
	__typeof__(archive_read_new)	*p_read_new;
	__typeof__(archive_read_next_header)	*p_read_next_header;
	__typeof__(archive_read_open_fd)	*p_read_open_fd;
	__typeof__(archive_read_open_filename)	*p_read_open_filename;
	__typeof__(archive_read_support_filter_all)	*p_read_support_filter_all;
	__typeof__(archive_read_support_filter_gzip)	*p_read_support_filter_gzip;
	__typeof__(archive_read_support_format_raw)	*p_read_support_format_raw;
	__typeof__(archive_read_support_format_tar)	*p_read_support_format_tar;
	__typeof__(archive_read_support_format_zip_seekable)	*p_read_support_format_zip_seekable;
	__typeof__(archive_write_add_filter_gzip)	*p_write_add_filter_gzip;
	__typeof__(archive_write_close)	*p_write_close;
	__typeof__(archive_write_data)	*p_write_data;
	__typeof__(archive_write_free)	*p_write_free;
	__typeof__(archive_write_header)	*p_write_header;
	__typeof__(archive_write_new)	*p_write_new;
	__typeof__(archive_write_open_fd)	*p_write_open_fd;
	__typeof__(archive_write_set_format_pax_restricted)	*p_write_set_format_pax_restricted;
} arc;

static struct error *
archive_load(void)
{
	static const struct {
		const char	*name;
		size_t		 offset;
	} syms[] = {
#define SYM(f) { "archive_" #f, offsetof(__typeof__(arc), p_##f) }
		SYM(entry_filetype),
		SYM(entry_free),
		SYM(entry_hardlink),
		SYM(entry_new),
		SYM(entry_pathname),
		SYM(entry_pathname_utf8),
		SYM(entry_set_filetype),
		SYM(entry_set_mtime),
		SYM(entry_set_pathname),
		SYM(entry_set_perm),
		SYM(entry_set_size),
		SYM(entry_size),
		SYM(entry_size_is_set),
		SYM(entry_symlink),
		SYM(errno),
		SYM(error_string),
		SYM(filter_bytes),
		SYM(read_data),
		SYM(read_free),
		SYM(read_new),
		SYM(read_next_header),
		SYM(read_open_fd),
		SYM(read_open_filename),
		SYM(read_support_filter_all),
		SYM(read_support_filter_gzip),
		SYM(read_support_format_raw),
		SYM(read_support_format_tar),
		SYM(read_support_format_zip_seekable),
		SYM(write_add_filter_gzip),
		SYM(write_close),
		SYM(write_data),
		SYM(write_free),
		SYM(write_header),
		SYM(write_new),
		SYM(write_open_fd),
		SYM(write_set_format_pax_restricted)
#undef SYM
	};
	size_t i;
	void *fn;
	const char *why;

	if (arc.dl != NULL)
		return NULL;
	if ((arc.dl = dlopen(LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL)) ==
	    NULL) {
		why = dlerror();
		return error_new(EXIT_FAIL, "cannot load libarchive: %s; "
		    "install the libarchive13 package", why ? why :
		    LIBARCHIVE_SONAME);
	}
	for (i = 0; i < ARRAY_SIZE(syms); i++) {
		if ((fn = dlsym(arc.dl, syms[i].name)) == NULL) {
			dlclose(arc.dl);
			arc.dl = NULL;
			return error_new(EXIT_FAIL, "cannot load libarchive: "
			    "%s lacks %s", LIBARCHIVE_SONAME, syms[i].name);
		}
		/* POSIX guarantees data and function pointers convert. */
		memcpy((char *)&arc + syms[i].offset, &fn, sizeof(fn));
	}
	return NULL;
}

#define archive_entry_filetype	arc.p_entry_filetype
#define archive_entry_free	arc.p_entry_free
#define archive_entry_hardlink	arc.p_entry_hardlink
#define archive_entry_new	arc.p_entry_new
#define archive_entry_pathname	arc.p_entry_pathname
#define archive_entry_pathname_utf8	arc.p_entry_pathname_utf8
#define archive_entry_set_filetype	arc.p_entry_set_filetype
#define archive_entry_set_mtime	arc.p_entry_set_mtime
#define archive_entry_set_pathname	arc.p_entry_set_pathname
#define archive_entry_set_perm	arc.p_entry_set_perm
#define archive_entry_set_size	arc.p_entry_set_size
#define archive_entry_size	arc.p_entry_size
#define archive_entry_size_is_set	arc.p_entry_size_is_set
#define archive_entry_symlink	arc.p_entry_symlink
#define archive_errno	arc.p_errno
#define archive_error_string	arc.p_error_string
#define archive_filter_bytes	arc.p_filter_bytes
#define archive_read_data	arc.p_read_data
#define archive_read_free	arc.p_read_free
#define archive_read_new	arc.p_read_new
#define archive_read_next_header	arc.p_read_next_header
#define archive_read_open_fd	arc.p_read_open_fd
#define archive_read_open_filename	arc.p_read_open_filename
#define archive_read_support_filter_all	arc.p_read_support_filter_all
#define archive_read_support_filter_gzip	arc.p_read_support_filter_gzip
#define archive_read_support_format_raw	arc.p_read_support_format_raw
#define archive_read_support_format_tar	arc.p_read_support_format_tar
#define archive_read_support_format_zip_seekable	arc.p_read_support_format_zip_seekable
#define archive_write_add_filter_gzip	arc.p_write_add_filter_gzip
#define archive_write_close	arc.p_write_close
#define archive_write_data	arc.p_write_data
#define archive_write_free	arc.p_write_free
#define archive_write_header	arc.p_write_header
#define archive_write_new	arc.p_write_new
#define archive_write_open_fd	arc.p_write_open_fd
#define archive_write_set_format_pax_restricted	arc.p_write_set_format_pax_restricted
#else
static struct error *
archive_load(void)
{
	return NULL;
}
#endif

#define DEFAULT_MAX_ENTRY	(8ULL << 30)
#define DEFAULT_MAX_TOTAL	(16ULL << 30)
#define DEFAULT_MAX_ENTRIES	10000
#define DEFAULT_RATIO_FLOOR	(100ULL << 20)
#define DEFAULT_MAX_RATIO	200
#define SUMS_MAX		(16u << 20)
#define PATH_MAX_LEN		1024
#define BLOCK			(64 * 1024)

struct pfile {
	char		*path;
	char		 hex[SHA256_HEX_LEN + 1];
	int		 listed;
};

struct unpack {
	const char		*archive;	/* for messages */
	const char		*dest;
	int			 dfd;
	struct package_limits	 lim;
	struct archive		*a;
	char			*buf;
	struct pfile		*files;
	size_t			 nfiles;
	uint64_t		 total;
	size_t			 nentries;
};

static struct error *
pkg_corrupt(const struct unpack *u)
{
	const char *msg = archive_error_string(u->a);
	char *safe = str_sanitize(msg != NULL ? msg :
	    "libarchive gave no reason", 200);
	struct error *err = error_new(EXIT_INTEGRITY, "'%s': archive is "
	    "truncated or corrupt: %s", u->archive, safe);

	free(safe);
	return err;
}

static struct error *
pkg_entry_error(const struct unpack *u, const char *name, const char *fmt, ...)
    PRINTFLIKE(3, 4);

/* "'ARCHIVE': entry 'NAME': message" */
static struct error *
pkg_entry_error(const struct unpack *u, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *msg, *safe = str_sanitize(name, 200);
	struct error *err;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	err = error_new(EXIT_INTEGRITY, "'%s': entry '%s': %s", u->archive,
	    safe, msg);
	free(msg);
	free(safe);
	return err;
}

/*
 * A path from an archive or from SHA256SUMS, made canonical: "./a//b/"
 * becomes "a/b"; "" and "." become "".  Returns why it is refused, or
 * NULL with *out set.
 */
static const char *
pkg_clean(const char *name, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	const char *s, *e;
	size_t n;

	*out = NULL;
	if (*name == '/')
		return "absolute paths are not allowed";
	for (s = name; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return "control characters in file names are not "
			    "allowed";
	if (s - name > PATH_MAX_LEN)
		return "path too long";
	for (s = name; *s != '\0'; s = *e != '\0' ? e + 1 : e) {
		e = strchr(s, '/');
		if (e == NULL)
			e = s + strlen(s);
		n = (size_t)(e - s);
		if (n == 0 || (n == 1 && *s == '.'))
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			strbuf_release(&sb);
			return "'..' is not allowed in paths";
		}
		if (sb.len > 0)
			strbuf_addch(&sb, '/');
		strbuf_add(&sb, s, n);
	}
	*out = strbuf_detach(&sb, NULL);
	return NULL;
}

/*
 * Open the directory path below dfd, creating what is missing, without
 * following links.  Returns a descriptor (dfd itself for "") or -1 with
 * errno set.
 */
static int
pkg_mkdirs(int dfd, const char *path)
{
	char *copy = xstrdup(path), *s, *slash;
	int cur = dfd, next, saved;

	for (s = copy; *s != '\0'; s = slash != NULL ? slash + 1 :
	    s + strlen(s)) {
		if ((slash = strchr(s, '/')) != NULL)
			*slash = '\0';
		if (mkdirat(cur, s, 0755) == -1 && errno != EEXIST)
			goto fail;
		next = openat(cur, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (next == -1)
			goto fail;
		/* Whatever the umask left: directories are 0755. */
		if (fchmod(next, 0755) == -1) {
			saved = errno;
			close(next);
			errno = saved;
			goto fail;
		}
		if (cur != dfd)
			close(cur);
		cur = next;
	}
	free(copy);
	return cur;
fail:
	saved = errno;
	if (cur != dfd)
		close(cur);
	free(copy);
	errno = saved;
	return -1;
}

/* Remove everything inside the directory dfd, never following links. */
static void
pkg_empty_dir(int dfd)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	int fd, sub;

	if ((fd = dup(dfd)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (S_ISDIR(st.st_mode)) {
			sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (sub != -1) {
				pkg_empty_dir(sub);
				close(sub);
			}
			unlinkat(dfd, de->d_name, AT_REMOVEDIR);
		} else
			unlinkat(dfd, de->d_name, 0);
	}
	closedir(d);
}

static int
pkg_dir_is_empty(int dfd)
{
	DIR *d;
	struct dirent *de;
	int fd, empty = 1;

	if ((fd = dup(dfd)) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

static int
pkg_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copy the current entry's data to fd, counting and hashing it. */
static struct error *
pkg_copy(struct unpack *u, const char *name, const char *path, int fd,
    char hex[])
{
	struct sha256 *h = sha256_new();
	struct error *err = NULL;
	uint64_t size = 0, consumed;
	la_ssize_t n;

	for (;;) {
		if (loco_interrupted) {
			err = error_new(EXIT_INTERRUPT, "interrupted");
			break;
		}
		n = archive_read_data(u->a, u->buf, BLOCK);
		if (n == 0)
			break;
		if (n < 0) {
			err = pkg_corrupt(u);
			break;
		}
		size += (uint64_t)n;
		u->total += (uint64_t)n;
		if (size > u->lim.max_entry) {
			err = pkg_entry_error(u, name, "larger than the limit "
			    "of %" PRIu64 " bytes", u->lim.max_entry);
			break;
		}
		if (u->total > u->lim.max_total) {
			err = error_new(EXIT_INTEGRITY, "'%s': unpacks to more "
			    "than the limit of %" PRIu64 " bytes", u->archive,
			    u->lim.max_total);
			break;
		}
		consumed = (uint64_t)archive_filter_bytes(u->a, -1);
		if (u->total > u->lim.ratio_floor &&
		    u->total / (consumed > 0 ? consumed : 1) >
		    u->lim.max_ratio) {
			err = error_new(EXIT_INTEGRITY, "'%s': unpacks to more "
			    "than %u times its size (a zip bomb?)", u->archive,
			    u->lim.max_ratio);
			break;
		}
		sha256_update(h, u->buf, (size_t)n);
		if (pkg_write_all(fd, u->buf, (size_t)n) == -1) {
			err = error_new(EXIT_FAIL, "cannot write '%s/%s': %s",
			    u->dest, path, strerror(errno));
			break;
		}
	}
	sha256_finish(h, hex);
	return err;
}

static struct error *
pkg_conflict(const struct unpack *u, const char *name, const char *path,
    int final)
{
	if (errno == EEXIST || errno == ENOTDIR || errno == ELOOP)
		return pkg_entry_error(u, name, final ? "duplicate path" :
		    "conflicts with an earlier entry");
	return error_new(EXIT_FAIL, "cannot create '%s/%s': %s", u->dest, path,
	    strerror(errno));
}

/* Create the regular file path (entry name in messages) and fill it. */
static struct error *
pkg_file(struct unpack *u, const char *name, const char *path)
{
	const char *slash = strrchr(path, '/'), *leaf;
	struct error *err;
	struct pfile *f;
	char *parent;
	int pfd, fd;

	parent = slash != NULL ? xstrndup(path, (size_t)(slash - path)) :
	    xstrdup("");
	leaf = slash != NULL ? slash + 1 : path;
	pfd = pkg_mkdirs(u->dfd, parent);
	free(parent);
	if (pfd == -1)
		return pkg_conflict(u, name, path, 0);
	fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd == -1) {
		err = pkg_conflict(u, name, path, 1);
		if (pfd != u->dfd)
			close(pfd);
		return err;
	}
	if (pfd != u->dfd)
		close(pfd);
	u->files = xreallocarray(u->files, u->nfiles + 1, sizeof(*u->files));
	f = &u->files[u->nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	if (fchmod(fd, 0644) == -1) {
		err = error_new(EXIT_FAIL, "cannot create '%s/%s': %s",
		    u->dest, path, strerror(errno));
		close(fd);
		return err;
	}
	err = pkg_copy(u, name, path, fd, f->hex);
	if (err == NULL && fsync(fd) == -1)
		err = error_new(EXIT_FAIL, "cannot write '%s/%s': %s",
		    u->dest, path, strerror(errno));
	if (close(fd) == -1 && err == NULL)
		err = error_new(EXIT_FAIL, "cannot write '%s/%s': %s",
		    u->dest, path, strerror(errno));
	return err;
}

static struct error *
pkg_entry(struct unpack *u, struct archive_entry *e)
{
	const char *name, *why;
	struct error *err = NULL;
	char *path;
	mode_t type;
	int fd;

	if ((name = archive_entry_pathname(e)) == NULL &&
	    (name = archive_entry_pathname_utf8(e)) == NULL)
		return error_new(EXIT_INTEGRITY, "'%s': archive is truncated "
		    "or corrupt: an entry has no name", u->archive);
	if (++u->nentries > u->lim.max_entries)
		return error_new(EXIT_INTEGRITY, "'%s': more than %zu entries",
		    u->archive, u->lim.max_entries);
	if ((why = pkg_clean(name, &path)) != NULL)
		return pkg_entry_error(u, name, "%s", why);
	type = archive_entry_filetype(e);
	if (archive_entry_hardlink(e) != NULL ||
	    archive_entry_symlink(e) != NULL || type == AE_IFLNK) {
		err = pkg_entry_error(u, name, "links are not allowed in "
		    "adapter packages");
	} else if (type == AE_IFDIR) {
		if ((fd = pkg_mkdirs(u->dfd, path)) == -1)
			err = pkg_conflict(u, name, path, 1);
		else if (fd != u->dfd)
			close(fd);
	} else if (type != AE_IFREG) {
		err = pkg_entry_error(u, name, "devices, fifos and sockets are "
		    "not allowed in adapter packages");
	} else if (*path == '\0') {
		err = pkg_entry_error(u, name, "not a file name");
	} else if (archive_entry_size_is_set(e) &&
	    archive_entry_size(e) > 0 &&
	    (uint64_t)archive_entry_size(e) > u->lim.max_entry) {
		err = pkg_entry_error(u, name, "larger than the limit of %"
		    PRIu64 " bytes", u->lim.max_entry);
	} else
		err = pkg_file(u, name, path);
	free(path);
	return err;
}

static int
pkg_cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct pfile *)a)->path,
	    ((const struct pfile *)b)->path);
}

static struct pfile *
pkg_find(const struct unpack *u, const char *path)
{
	struct pfile key;

	key.path = (char *)path;
	if (u->nfiles == 0)
		return NULL;	/* bsearch of a NULL array is undefined */
	return bsearch(&key, u->files, u->nfiles, sizeof(*u->files),
	    pkg_cmp_file);
}

static struct error *
pkg_read_sums(const struct unpack *u, struct strbuf *sb)
{
	struct error *err;
	char buf[8192];
	ssize_t n;
	int fd;

	fd = openat(u->dfd, PACKAGE_SUMS, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return error_new(EXIT_FAIL, "cannot read '%s/%s': %s", u->dest,
		    PACKAGE_SUMS, strerror(errno));
	strbuf_init(sb, SUMS_MAX);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (strbuf_add(sb, buf, (size_t)n) == -1) {
			close(fd);
			strbuf_release(sb);
			return error_new(EXIT_INTEGRITY, "'%s': %s is larger "
			    "than %u MiB", u->archive, PACKAGE_SUMS,
			    SUMS_MAX >> 20);
		}
	}
	close(fd);
	if (n == -1) {
		err = error_new(EXIT_FAIL, "cannot read '%s/%s': %s", u->dest,
		    PACKAGE_SUMS, strerror(errno));
		strbuf_release(sb);
		return err;
	}
	return NULL;
}

/* One line of SHA256SUMS: "<hex>  <path>" or "<hex> *<path>". */
static struct error *
pkg_sums_line(const struct unpack *u, char *line, int lineno)
{
	char hex[SHA256_HEX_LEN + 1], *path;
	struct pfile *f;
	struct error *err;
	const char *why;
	size_t i;

	if (strlen(line) < SHA256_HEX_LEN + 3 || line[SHA256_HEX_LEN] != ' ' ||
	    (line[SHA256_HEX_LEN + 1] != ' ' &&
	    line[SHA256_HEX_LEN + 1] != '*'))
		goto bad;
	for (i = 0; i < SHA256_HEX_LEN; i++) {
		char c = line[i];

		hex[i] = c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
	}
	hex[SHA256_HEX_LEN] = '\0';
	if (!sha256_valid_hex(hex))
		goto bad;
	if ((why = pkg_clean(line + SHA256_HEX_LEN + 2, &path)) != NULL) {
		char *safe = str_sanitize(line + SHA256_HEX_LEN + 2, 200);

		err = error_new(EXIT_INTEGRITY, "'%s': %s line %d: '%s': %s",
		    u->archive, PACKAGE_SUMS, lineno, safe, why);
		free(safe);
		return err;
	}
	if (*path == '\0') {
		free(path);
		goto bad;
	}
	if (strcmp(path, PACKAGE_SUMS) == 0) {
		free(path);
		return NULL;	/* it cannot hash itself: ignore */
	}
	f = pkg_find(u, path);
	if (f == NULL)
		err = error_new(EXIT_INTEGRITY, "'%s': %s lists '%s', which is "
		    "not in the package", u->archive, PACKAGE_SUMS, path);
	else if (f->listed)
		err = error_new(EXIT_INTEGRITY, "'%s': %s line %d: '%s' is "
		    "listed twice", u->archive, PACKAGE_SUMS, lineno, path);
	else if (strcmp(f->hex, hex) != 0)
		err = error_new(EXIT_INTEGRITY, "'%s': checksum mismatch for "
		    "'%s'", u->archive, path);
	else {
		f->listed = 1;
		err = NULL;
	}
	free(path);
	return err;
bad:
	return error_new(EXIT_INTEGRITY, "'%s': %s line %d: expected "
	    "\"<sha256>  <file>\"", u->archive, PACKAGE_SUMS, lineno);
}

static struct error *
pkg_verify(struct unpack *u)
{
	struct strbuf sb;
	struct error *err = NULL;
	char *line, *nl;
	size_t i;
	int lineno = 0;

	if (u->nfiles > 0)
		qsort(u->files, u->nfiles, sizeof(*u->files), pkg_cmp_file);
	if (pkg_find(u, PACKAGE_META) == NULL)
		return error_new(EXIT_INTEGRITY, "'%s' has no %s", u->archive,
		    PACKAGE_META);
	if (pkg_find(u, PACKAGE_SUMS) == NULL)
		return error_new(EXIT_INTEGRITY, "'%s' has no %s", u->archive,
		    PACKAGE_SUMS);
	if ((err = pkg_read_sums(u, &sb)) != NULL)
		return err;
	if (memchr(sb.buf, '\0', sb.len) != NULL) {
		strbuf_release(&sb);
		return error_new(EXIT_INTEGRITY, "'%s': %s is not text",
		    u->archive, PACKAGE_SUMS);
	}
	for (line = sb.buf; *line != '\0' && err == NULL; line = nl) {
		lineno++;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		else
			nl = line + strlen(line);
		if (*line != '\0' && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		if (*line == '\0')
			continue;
		err = pkg_sums_line(u, line, lineno);
	}
	for (i = 0; err == NULL && i < u->nfiles; i++) {
		char *safe;

		if (u->files[i].listed ||
		    strcmp(u->files[i].path, PACKAGE_SUMS) == 0)
			continue;
		safe = str_sanitize(u->files[i].path, 200);
		err = error_new(EXIT_INTEGRITY, "'%s': '%s' is not listed in "
		    "%s", u->archive, safe, PACKAGE_SUMS);
		free(safe);
	}
	strbuf_release(&sb);
	return err;
}

static void
pkg_limits(const struct package_limits *in, struct package_limits *out)
{
	memset(out, 0, sizeof(*out));
	if (in != NULL)
		*out = *in;
	if (out->max_entry == 0)
		out->max_entry = DEFAULT_MAX_ENTRY;
	if (out->max_total == 0)
		out->max_total = DEFAULT_MAX_TOTAL;
	if (out->max_entries == 0)
		out->max_entries = DEFAULT_MAX_ENTRIES;
	if (out->ratio_floor == 0)
		out->ratio_floor = DEFAULT_RATIO_FLOOR;
	if (out->max_ratio == 0)
		out->max_ratio = DEFAULT_MAX_RATIO;
}

struct error *
package_unpack(const char *archive_path, const char *dest_dir,
    const struct package_limits *limits, struct package_manifest *out)
{
	struct unpack u;
	struct archive_entry *e;
	struct error *err = NULL;
	size_t i;
	int fd = -1, r;

	memset(out, 0, sizeof(*out));
	memset(&u, 0, sizeof(u));
	if ((err = archive_load()) != NULL)
		return err;
	u.archive = archive_path;
	u.dest = dest_dir;
	pkg_limits(limits, &u.lim);
	if ((u.dfd = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return error_new(EXIT_FAIL, "cannot open '%s': %s", dest_dir,
		    strerror(errno));
	/* Emptied again on failure: never point that at the user's files. */
	if (!pkg_dir_is_empty(u.dfd)) {
		close(u.dfd);
		return error_new(EXIT_FAIL, "'%s' is not an empty directory",
		    dest_dir);
	}
	if ((fd = open(archive_path, O_RDONLY | O_CLOEXEC)) == -1) {
		close(u.dfd);
		return error_new(EXIT_FAIL, "cannot open '%s': %s",
		    archive_path, strerror(errno));
	}
	u.buf = xmalloc(BLOCK);
	u.a = archive_read_new();
	if (u.a == NULL)
		fatal("out of memory");
	/*
	 * gzip only: archive_read_support_filter_all() would also let an
	 * archive start external programs (lrzip, lzop, grzip) on our input.
	 * Zip is read through its central directory only: the streaming
	 * reader would accept a zip cut anywhere after its last file.
	 */
	archive_read_support_filter_gzip(u.a);
	archive_read_support_format_tar(u.a);
	archive_read_support_format_zip_seekable(u.a);
	if (archive_read_open_fd(u.a, fd, BLOCK) != ARCHIVE_OK) {
		err = pkg_corrupt(&u);
		goto done;
	}
	for (;;) {
		r = archive_read_next_header(u.a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			err = pkg_corrupt(&u);
			goto done;
		}
		if ((err = pkg_entry(&u, e)) != NULL)
			goto done;
	}
	if ((err = pkg_verify(&u)) != NULL)
		goto done;
	if (fsync(u.dfd) == -1) {
		err = error_new(EXIT_FAIL, "cannot write '%s': %s", dest_dir,
		    strerror(errno));
		goto done;
	}
	out->files = xcalloc(u.nfiles, sizeof(*out->files));
	for (i = 0; i < u.nfiles; i++) {
		out->files[i] = u.files[i].path;
		u.files[i].path = NULL;
	}
	out->nfiles = u.nfiles;
	out->total_bytes = u.total;
done:
	if (err != NULL)
		pkg_empty_dir(u.dfd);
	archive_read_free(u.a);
	close(fd);
	close(u.dfd);
	for (i = 0; i < u.nfiles; i++)
		free(u.files[i].path);
	free(u.files);
	free(u.buf);
	return err;
}

void
package_manifest_release(struct package_manifest *m)
{
	strv_free(m->files, m->nfiles);
	memset(m, 0, sizeof(*m));
}

/* Packing. */

static int
pkg_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect the regular files under dir/rel ("" for dir itself). */
static struct error *
pkg_walk(const char *dir, const char *rel, char ***list, size_t *n)
{
	char *full = *rel ? xasprintf("%s/%s", dir, rel) : xstrdup(dir);
	char *sub, *child;
	struct error *err = NULL;
	struct dirent *de;
	struct stat st;
	DIR *d;

	if ((d = opendir(full)) == NULL) {
		err = error_new(EXIT_FAIL, "cannot read '%s': %s", full,
		    strerror(errno));
		free(full);
		return err;
	}
	while (err == NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		child = *rel ? xasprintf("%s/%s", rel, de->d_name) :
		    xstrdup(de->d_name);
		sub = xasprintf("%s/%s", full, de->d_name);
		if (lstat(sub, &st) == -1)
			err = error_new(EXIT_FAIL, "cannot read '%s': %s", sub,
			    strerror(errno));
		else if (S_ISDIR(st.st_mode))
			err = pkg_walk(dir, child, list, n);
		else if (S_ISLNK(st.st_mode))
			err = error_new(EXIT_FAIL, "'%s': links are not "
			    "allowed in adapter packages", sub);
		else if (!S_ISREG(st.st_mode))
			err = error_new(EXIT_FAIL, "'%s': not a regular file "
			    "or directory", sub);
		else if (strcmp(child, PACKAGE_SUMS) != 0) {
			*list = xreallocarray(*list, *n + 1, sizeof(**list));
			(*list)[(*n)++] = child;
			child = NULL;
		}
		free(child);
		free(sub);
	}
	closedir(d);
	free(full);
	return err;
}

static struct error *
pkg_archive_error(struct archive *a, const char *path)
{
	const char *msg = archive_error_string(a);

	return error_new(EXIT_FAIL, "cannot write '%s': %s", path,
	    msg != NULL ? msg : "unknown error");
}

/* Add one file to the archive, hashing it on the way. */
static struct error *
archive_add_file(struct archive *a, const char *dir, const char *rel,
    const char *tmp, char hex[SHA256_HEX_LEN + 1], char *buf)
{
	char *full = xasprintf("%s/%s", dir, rel);
	struct archive_entry *e = NULL;
	struct sha256 *h = NULL;
	struct error *err = NULL;
	struct stat st;
	uint64_t left;
	ssize_t n;
	int fd;

	if ((fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		err = error_new(EXIT_FAIL, "cannot read '%s': %s", full,
		    strerror(errno));
		goto done;
	}
	e = archive_entry_new();
	archive_entry_set_pathname(e, rel);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, st.st_size);
	archive_entry_set_mtime(e, st.st_mtime, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		err = pkg_archive_error(a, tmp);
		goto done;
	}
	h = sha256_new();
	for (left = (uint64_t)st.st_size; left > 0; left -= (uint64_t)n) {
		n = read(fd, buf, left < BLOCK ? (size_t)left : BLOCK);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			if (n == 0)
				err = error_new(EXIT_FAIL, "'%s' changed "
				    "while being packed", full);
			else
				err = error_new(EXIT_FAIL, "cannot read "
				    "'%s': %s", full, strerror(errno));
			goto done;
		}
		sha256_update(h, buf, (size_t)n);
		if (archive_write_data(a, buf, (size_t)n) != n) {
			err = pkg_archive_error(a, tmp);
			goto done;
		}
	}
done:
	if (h != NULL)
		sha256_finish(h, hex);
	archive_entry_free(e);
	if (fd != -1)
		close(fd);
	free(full);
	return err;
}

/* Write dir/SHA256SUMS and add it to the archive. */
static struct error *
pkg_add_sums(struct archive *a, const char *dir, const char *tmp,
    const struct strbuf *sums)
{
	char *path = xasprintf("%s/%s", dir, PACKAGE_SUMS);
	struct archive_entry *e;
	struct error *err = NULL;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd == -1 || pkg_write_all(fd, sums->buf, sums->len) == -1 ||
	    close(fd) == -1) {
		err = error_new(EXIT_FAIL, "cannot write '%s': %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		free(path);
		return err;
	}
	free(path);
	e = archive_entry_new();
	archive_entry_set_pathname(e, PACKAGE_SUMS);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)sums->len);
	archive_entry_set_mtime(e, time(NULL), 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    archive_write_data(a, sums->buf, sums->len) !=
	    (la_ssize_t)sums->len)
		err = pkg_archive_error(a, tmp);
	archive_entry_free(e);
	return err;
}

struct error *
package_create(const char *dir, const char *out_path)
{
	struct strbuf sums = STRBUF_INIT;
	struct archive *a = NULL;
	struct error *err = NULL;
	char **list = NULL, *tmp, hex[SHA256_HEX_LEN + 1], *buf = NULL;
	size_t n = 0, i;
	int fd = -1;

	if ((err = archive_load()) != NULL)
		return err;
	tmp = xasprintf("%s.tmp", out_path);
	if ((err = pkg_walk(dir, "", &list, &n)) != NULL)
		goto done;
	qsort(list, n, sizeof(*list), pkg_cmp_str);
	for (i = 0; i < n; i++)
		if (strcmp(list[i], PACKAGE_META) == 0)
			break;
	if (i == n) {
		err = error_new(EXIT_FAIL, "'%s' has no %s", dir, PACKAGE_META);
		goto done;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		err = error_new(EXIT_FAIL, "cannot create '%s': %s", tmp,
		    strerror(errno));
		goto done;
	}
	if ((a = archive_write_new()) == NULL)
		fatal("out of memory");
	if (archive_write_add_filter_gzip(a) < ARCHIVE_WARN ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		err = pkg_archive_error(a, tmp);
		goto done;
	}
	buf = xmalloc(BLOCK);
	for (i = 0; i < n; i++) {
		if ((err = archive_add_file(a, dir, list[i], tmp, hex, buf)) != NULL)
			goto done;
		strbuf_addf(&sums, "%s  %s\n", hex, list[i]);
	}
	/* Last, so every file is hashed as it is archived: one read each. */
	if ((err = pkg_add_sums(a, dir, tmp, &sums)) != NULL)
		goto done;
	if (archive_write_close(a) != ARCHIVE_OK) {
		err = pkg_archive_error(a, tmp);
		goto done;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		err = error_new(EXIT_FAIL, "cannot write '%s': %s", tmp,
		    strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(tmp, out_path) == -1)
		err = error_new(EXIT_FAIL, "cannot rename '%s' to '%s': %s",
		    tmp, out_path, strerror(errno));
done:
	if (a != NULL)
		archive_write_free(a);
	if (fd != -1)
		close(fd);
	if (err != NULL)
		unlink(tmp);
	strv_free(list, n);
	free(buf);
	free(tmp);
	strbuf_release(&sums);
	return err;
}

struct error *
package_read_file(const char *path, size_t max, char **data, size_t *len)
{
	struct archive *a;
	struct archive_entry *entry;
	struct strbuf sb;
	struct error *err = NULL;
	struct stat st;
	char buf[65536];
	la_ssize_t n;

	*data = NULL;
	*len = 0;
	/* libarchive calls an empty file "Unrecognized archive format". */
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
		*data = xstrdup("");
		return NULL;
	}
	if ((err = archive_load()) != NULL)
		return err;
	if ((a = archive_read_new()) == NULL)
		fatal("out of memory");
	/* gzip or nothing; never an external filter program. */
	archive_read_support_filter_gzip(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		err = error_new(EXIT_FAIL, "cannot read '%s': %s", path,
		    archive_error_string(a) ? archive_error_string(a) :
		    strerror(archive_errno(a)));
		archive_read_free(a);
		return err;
	}
	strbuf_init(&sb, max);
	if (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
		while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
			if (strbuf_add(&sb, buf, (size_t)n) == -1) {
				err = error_new(EXIT_FAIL, "'%s' is larger than "
				    "%zu bytes", path, max);
				break;
			}
		if (err == NULL && n < 0)
			err = error_new(EXIT_INTEGRITY, "'%s' is truncated or "
			    "corrupt: %s", path, archive_error_string(a) ?
			    archive_error_string(a) : "libarchive gave no reason");
	}
	archive_read_free(a);
	if (err != NULL) {
		strbuf_release(&sb);
		return err;
	}
	*data = strbuf_detach(&sb, len);
	return NULL;
}

struct error *
package_convert_peft(const char *dir, const char *base, const char *arch,
    int *converted)
{
	struct peft_convert c;
	struct peft_result res;
	struct error *err;
	char *peft = xasprintf("%s/%s", dir, PACKAGE_PEFT);
	char *cfg = xasprintf("%s/adapter_config.json", peft);
	char *out = xasprintf("%s/%s", dir, PACKAGE_PEFT_GGUF);

	*converted = 0;
	if (!fs_exists(cfg)) {
		err = NULL;
		goto done;
	}
	if (fs_exists(out)) {
		err = error_new(EXIT_INTEGRITY, "holds both %s/ and %s: which "
		    "one is the adapter?", PACKAGE_PEFT, PACKAGE_PEFT_GGUF);
		goto done;
	}
	memset(&c, 0, sizeof(c));
	c.dir = peft;
	c.out = out;
	c.base = base;
	c.arch = base == NULL ? arch : NULL;
	c.outtype = PEFT_F16;
	if ((err = peft_convert(&c, &res)) == NULL) {
		*converted = 1;
		peft_result_release(&res);
	}
done:
	free(peft);
	free(cfg);
	free(out);
	return err;
}
