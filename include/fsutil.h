/*
 * fsutil.h: files that are never half-written.  A file is replaced by
 * writing a temporary file beside it, fsyncing it, renaming it over the
 * old one and fsyncing the directory, so a crash or Ctrl-C at any point
 * leaves either the old content or the new.
 */
#ifndef LOCO_FSUTIL_H
#define LOCO_FSUTIL_H

#include <stddef.h>

#include "error.h"

/* mkdir -p with mode 0755 (or 0700 for private). */
struct error	*fs_mkdirs(const char *path, int private_dir);
/* Replace path with data atomically (mode 0644). */
struct error	*fs_write_atomic(const char *path, const void *data,
		    size_t len);
/* The same with another mode (0600 for a private file). */
struct error	*fs_write_atomic_mode(const char *path, const void *data,
		    size_t len, int mode);
/* Read a whole file (at most max bytes); *data is NUL-terminated. */
struct error	*fs_read_file(const char *path, size_t max, char **data,
		    size_t *len);
int		 fs_exists(const char *path);
/* write(2) all of data, again after EINTR and short writes; -1 on error. */
int		 fs_write_all(int fd, const void *data, size_t len);
/* fsync a directory, after renames inside it. */
struct error	*fs_sync_dir(const char *dir);
/*
 * An exclusive lock on path (created if missing), held until fs_unlock.
 * Waits up to timeout seconds, then fails naming the file.
 */
struct error	*fs_lock(const char *path, int timeout, int *fd);
void		 fs_unlock(int fd);
/*
 * Create dir/STEM SUFFIX, or dir/STEM-2 SUFFIX, -3, ... whichever is free
 * (O_EXCL: two processes never get the same); *path names it (free it).
 * The file is empty: write it with fs_write_atomic.
 */
struct error	*fs_create_unique(const char *dir, const char *stem,
		    const char *suffix, char **path);
/*
 * Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE), so that
 * no crash can leave either name missing.  -1 with errno ENOSYS or EINVAL
 * where the system or the file system cannot: then rename twice.
 */
int		 fs_exchange(const char *a, const char *b);
/*
 * Open path for reading only if it is a regular file (links followed)
 * of at most max bytes; what (may be NULL) names it in messages, as in
 * "cannot read adapter file '/dev/zero': a character device, not a
 * regular file".  The open does not block, so a FIFO cannot hang the
 * reader, and a device cannot be read forever.  *size (may be NULL) is
 * its size.
 */
struct error	*fs_open_regular(const char *path, const char *what,
		    unsigned long long max, int *fd, unsigned long long *size);
/* rm -rf, refusing "/" and "". */
struct error	*fs_remove_tree(const char *path);

#endif
