/* fsutil.c: atomic replacement, locks, directory helpers. */
#include <sys/file.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/syscall.h>
#define FS_RENAME_EXCHANGE	2	/* <linux/fs.h>, without its baggage */
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "strbuf.h"
#include "banned.h"

struct error *
fs_mkdirs(const char *path, int private_dir)
{
	char *p = xstrdup(path), *s;
	mode_t mode = private_dir ? 0700 : 0755;
	struct error *err = NULL;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) == -1 && errno != EEXIST) {
			err = error_new(EXIT_FAIL, "cannot create directory "
			    "'%s': %s", p, strerror(errno));
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return err;
}

int
fs_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

struct error *
fs_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1)
		return error_new(EXIT_FAIL, "cannot open directory '%s': %s",
		    dir, strerror(errno));
	/* Some file systems cannot fsync a directory; that is not fatal. */
	(void)fsync(fd);
	close(fd);
	return NULL;
}

int
fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

struct error *
fs_write_atomic(const char *path, const void *data, size_t len)
{
	return fs_write_atomic_mode(path, data, len, 0644);
}

struct error *
fs_write_atomic_mode(const char *path, const void *data, size_t len,
    int mode)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	char *copy = xstrdup(path);
	struct error *err = NULL;
	int fd, saved;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    (mode_t)mode);
	if (fd == -1) {
		err = error_new(EXIT_FAIL, "cannot write '%s': %s", tmp,
		    strerror(errno));
		goto done;
	}
	if (fs_write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(tmp);
		err = error_new(EXIT_FAIL, "cannot write '%s': %s", tmp,
		    strerror(saved));
		goto done;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		err = error_new(EXIT_FAIL, "cannot replace '%s': %s", path,
		    strerror(saved));
		goto done;
	}
	err = fs_sync_dir(dirname(copy));
done:
	free(copy);
	free(tmp);
	return err;
}

struct error *
fs_read_file(const char *path, size_t max, char **data, size_t *len)
{
	struct strbuf sb;
	char buf[65536];
	ssize_t n;
	int fd;

	*data = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return error_new(EXIT_FAIL, "cannot open '%s': %s", path,
		    strerror(errno));
	strbuf_init(&sb, max);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (strbuf_add(&sb, buf, (size_t)n) == -1) {
			close(fd);
			strbuf_release(&sb);
			return error_new(EXIT_FAIL, "'%s' is larger than %zu "
			    "bytes", path, max);
		}
	}
	if (n == -1) {
		int saved = errno;
		close(fd);
		strbuf_release(&sb);
		return error_new(EXIT_FAIL, "cannot read '%s': %s", path,
		    strerror(saved));
	}
	close(fd);
	*data = strbuf_detach(&sb, len);
	return NULL;
}

struct error *
fs_lock(const char *path, int timeout, int *fdp)
{
	int fd, waited = 0;

	*fdp = -1;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1)
		return error_new(EXIT_FAIL, "cannot open lock '%s': %s", path,
		    strerror(errno));
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int saved = errno;
			close(fd);
			return error_new(EXIT_FAIL, "cannot lock '%s': %s",
			    path, strerror(saved));
		}
		if (loco_interrupted || waited >= timeout * 10) {
			close(fd);
			return error_new(loco_interrupted ? EXIT_INTERRUPT :
			    EXIT_FAIL, "'%s' is locked by another loco; try "
			    "again when it has finished", path);
		}
		usleep(100000);
		waited++;
	}
	*fdp = fd;
	return NULL;
}

void
fs_unlock(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

struct error *
fs_remove_tree(const char *path)
{
	struct stat st;
	struct error *err = NULL;
	DIR *d;
	struct dirent *de;
	char *sub;

	if (path == NULL || *path == '\0' || strcmp(path, "/") == 0)
		fatal("fs_remove_tree: refusing to remove '%s'", path ? path :
		    "");
	if (lstat(path, &st) == -1)
		return errno == ENOENT ? NULL : error_new(EXIT_FAIL,
		    "cannot remove '%s': %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		if ((d = opendir(path)) == NULL)
			return error_new(EXIT_FAIL, "cannot remove '%s': %s",
			    path, strerror(errno));
		while (err == NULL && (de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			sub = xasprintf("%s/%s", path, de->d_name);
			err = fs_remove_tree(sub);
			free(sub);
		}
		closedir(d);
		if (err == NULL && rmdir(path) == -1)
			err = error_new(EXIT_FAIL, "cannot remove '%s': %s",
			    path, strerror(errno));
	} else if (unlink(path) == -1)
		err = error_new(EXIT_FAIL, "cannot remove '%s': %s", path,
		    strerror(errno));
	return err;
}

struct error *
fs_create_unique(const char *dir, const char *stem, const char *suffix,
    char **path)
{
	int fd, n;

	for (n = 1; n < 10000; n++) {
		*path = n == 1 ? xasprintf("%s/%s%s", dir, stem, suffix) :
		    xasprintf("%s/%s-%d%s", dir, stem, n, suffix);
		if ((fd = open(*path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0644)) != -1) {
			close(fd);
			return NULL;
		}
		if (errno != EEXIST) {
			struct error *err = error_new(EXIT_FAIL, "cannot create "
			    "'%s': %s", *path, strerror(errno));

			free(*path);
			*path = NULL;
			return err;
		}
		free(*path);
	}
	*path = NULL;
	return error_new(EXIT_FAIL, "cannot create a file named %s%s in '%s': "
	    "too many", stem, suffix, dir);
}

int
fs_exchange(const char *a, const char *b)
{
#if defined(__linux__) && defined(SYS_renameat2)
	/* glibc has a wrapper only with _GNU_SOURCE, musl none: call it. */
	return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b,
	    FS_RENAME_EXCHANGE);
#else
	(void)a;
	(void)b;
	errno = ENOSYS;
	return -1;
#endif
}

static const char *
file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	return "a special file";
}

struct error *
fs_open_regular(const char *path, const char *what, unsigned long long max,
    int *fdp, unsigned long long *size)
{
	struct stat st;
	const char *sp = what != NULL ? " " : "";
	int fd, saved;

	*fdp = -1;
	if (what == NULL)
		what = "";
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return error_new(EXIT_FAIL, "cannot open %s%s'%s': %s", what,
		    sp, path, strerror(errno));
	if (fstat(fd, &st) == -1) {
		saved = errno;
		close(fd);
		return error_new(EXIT_FAIL, "cannot read %s%s'%s': %s", what,
		    sp, path, strerror(saved));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return error_new(EXIT_FAIL, "cannot read %s%s'%s': %s, not a "
		    "regular file", what, sp, path, file_kind(st.st_mode));
	}
	if ((unsigned long long)st.st_size > max) {
		close(fd);
		return error_new(EXIT_FAIL, "cannot read %s%s'%s': larger "
		    "than %llu bytes", what, sp, path, max);
	}
	/* Reads of a regular file never block; this only tidies up. */
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	*fdp = fd;
	if (size != NULL)
		*size = (unsigned long long)st.st_size;
	return NULL;
}
