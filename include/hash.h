/*
 * hash.h: SHA-256, streamed.  Only hash.c sees OpenSSL (its EVP API).
 * Files are read in fixed-size blocks, never whole, so a multi-gigabyte
 * GGUF costs a few kilobytes of memory.
 */
#ifndef LOCO_HASH_H
#define LOCO_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define SHA256_HEX_LEN 64

struct sha256;

struct sha256	*sha256_new(void);
void		 sha256_update(struct sha256 *, const void *, size_t);
/* Finish: hex gets 64 lower-case hex digits and a NUL; frees the state. */
void		 sha256_finish(struct sha256 *, char hex[SHA256_HEX_LEN + 1]);

/*
 * Called during sha256_file with the bytes read so far and the file's
 * size; return non-zero to stop (the hash then fails with "interrupted").
 */
typedef int (*hash_progress_fn)(uint64_t done, uint64_t total, void *arg);

/*
 * Hash a file.  Errors name the file ("cannot read 'PATH': ...") and
 * SIGINT (loco_interrupted) stops it with EXIT_INTERRUPT.
 */
struct error	*sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1],
		    hash_progress_fn, void *arg);
/* SHA-256 of a buffer, as hex. */
void		 sha256_hex(const void *, size_t, char hex[SHA256_HEX_LEN + 1]);
/* Is s exactly 64 lower-case hex digits? */
int		 sha256_valid_hex(const char *s);

#endif
