/*
 * fuzz.h: what the libFuzzer targets in tests/fuzz/ share.  Each target
 * fuzz_NAME.c feeds its input to one parser of outside input, checks what
 * it can about the result and frees everything (leak detection is on).
 * Build and run with `make fuzz` or `make fuzz-smoke`; see README.
 */
#ifndef LOCO_FUZZ_H
#define LOCO_FUZZ_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* An invariant broke: say which and crash so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #cond);					\
		abort();						\
	}								\
} while (0)

/* A NUL-terminated copy of the input; free it. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Look at an error as main() would (print nothing), then free it. */
static inline void
fuzz_error_free(struct error *err)
{
	const unsigned char *p;

	if (err == NULL)
		return;
	FUZZ_CHECK(err->msg != NULL);
	FUZZ_CHECK(strlen(err->msg) > 0);
	FUZZ_CHECK(err->code > 0);
	/* Text from a file or a server is sanitised before it is shown. */
	for (p = (const unsigned char *)err->msg; *p != '\0'; p++)
		FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
	error_free(err);
}

/*
 * Bytes taken off the front of the input to steer a target (chunk sizes,
 * options); 0 once they run out.
 */
struct fuzz_bytes {
	const uint8_t	*p;
	size_t		 len;
};

static inline unsigned
fuzz_byte(struct fuzz_bytes *b)
{
	if (b->len == 0)
		return 0;
	b->len--;
	return *b->p++;
}

/*
 * A scratch file for parsers that read a path (config, registry), in a
 * directory of its own that is removed at exit.
 */
static char	fuzz_dir[64];
static char	fuzz_path[128];

static inline void
fuzz_cleanup(void)
{
	if (fuzz_path[0] != '\0')
		unlink(fuzz_path);
	if (fuzz_dir[0] != '\0')
		rmdir(fuzz_dir);
}

static inline void
fuzz_file_init(const char *name)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/loco-fuzz.XXXXXX",
	    tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (mkdtemp(fuzz_dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(fuzz_path, sizeof(fuzz_path), "%s/%s", fuzz_dir, name);
	atexit(fuzz_cleanup);
}

/* Replace the scratch file's contents with the input. */
static inline void
fuzz_file_write(const uint8_t *data, size_t size)
{
	int fd = open(fuzz_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	size_t off = 0;
	ssize_t n;

	if (fd == -1) {
		perror(fuzz_path);
		abort();
	}
	while (off < size) {
		if ((n = write(fd, data + off, size - off)) <= 0) {
			perror(fuzz_path);
			abort();
		}
		off += (size_t)n;
	}
	close(fd);
}

#endif
