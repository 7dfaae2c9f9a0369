/*
 * hash.c: SHA-256 over OpenSSL's EVP interface, the only file that sees
 * OpenSSL.  EVP picks the fastest code the CPU allows (SHA-NI, AVX2), which
 * is what makes hashing a multi-gigabyte GGUF bounded by the disk.
 *
 * With LOCO_CRYPTO_DLOPEN (the default build), libcrypto is loaded on the
 * first hash instead of at start-up: loading it costs about 1.3 ms per
 * process, more than loco route's own work, and most commands never hash.
 * `make CRYPTO_DLOPEN=0` links it the ordinary way.
 */
#ifdef LOCO_CRYPTO_DLOPEN
#include <dlfcn.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fsutil.h"
#include "hash.h"
#include "util.h"
#include "banned.h"

/*
 * 1 MiB reads: large enough that the syscall cost vanishes against the
 * hashing, small enough to stay in L2 between read() and the digest.
 */
#define HASH_BLOCK	(1024 * 1024)
#define HASH_PROGRESS	(64ULL * 1024 * 1024)

struct sha256 {
	EVP_MD_CTX	*ctx;
};

#ifdef LOCO_CRYPTO_DLOPEN
/* OpenSSL 3, as Debian 12 ships it (libssl3). */
#define LIBCRYPTO_SONAME "libcrypto.so.3"

static struct {
	void		*dl;
	EVP_MD_CTX	*(*md_ctx_new)(void);
	void		 (*md_ctx_free)(EVP_MD_CTX *);
	int		 (*digest_init_ex)(EVP_MD_CTX *, const EVP_MD *,
			    ENGINE *);
	int		 (*digest_update)(EVP_MD_CTX *, const void *, size_t);
	int		 (*digest_final_ex)(EVP_MD_CTX *, unsigned char *,
			    unsigned int *);
	const EVP_MD	*(*sha256)(void);
} ossl;

#define EVP_MD_CTX_new		ossl.md_ctx_new
#define EVP_MD_CTX_free		ossl.md_ctx_free
#define EVP_DigestInit_ex	ossl.digest_init_ex
#define EVP_DigestUpdate	ossl.digest_update
#define EVP_DigestFinal_ex	ossl.digest_final_ex
#define EVP_sha256		ossl.sha256

/* Load libcrypto once.  Without it loco cannot check anything: fatal. */
static void
crypto_load(void)
{
	static const struct {
		const char	*name;
		size_t		 offset;
	} syms[] = {
#define SYM(name, field) { name, offsetof(__typeof__(ossl), field) }
		SYM("EVP_MD_CTX_new", md_ctx_new),
		SYM("EVP_MD_CTX_free", md_ctx_free),
		SYM("EVP_DigestInit_ex", digest_init_ex),
		SYM("EVP_DigestUpdate", digest_update),
		SYM("EVP_DigestFinal_ex", digest_final_ex),
		SYM("EVP_sha256", sha256),
#undef SYM
	};
	size_t i;
	void *fn;
	const char *why;

	if (ossl.dl != NULL)
		return;
	if ((ossl.dl = dlopen(LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL)) ==
	    NULL) {
		why = dlerror();
		fatal("cannot load libcrypto: %s; install the libssl3 package",
		    why ? why : LIBCRYPTO_SONAME);
	}
	for (i = 0; i < ARRAY_SIZE(syms); i++) {
		if ((fn = dlsym(ossl.dl, syms[i].name)) == NULL)
			fatal("cannot load libcrypto: %s lacks %s (OpenSSL 3 "
			    "is needed)", LIBCRYPTO_SONAME, syms[i].name);
		/* POSIX guarantees data and function pointers convert. */
		memcpy((char *)&ossl + syms[i].offset, &fn, sizeof(fn));
	}
}
#else
static void
crypto_load(void)
{
}
#endif

struct sha256 *
sha256_new(void)
{
	struct sha256 *h;

	crypto_load();
	h = xmalloc(sizeof(*h));
	/* EVP only fails for want of memory or a broken library. */
	if ((h->ctx = EVP_MD_CTX_new()) == NULL)
		fatal("out of memory creating a SHA-256 context");
	if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		fatal("OpenSSL cannot initialise SHA-256");
	return h;
}

void
sha256_update(struct sha256 *h, const void *data, size_t len)
{
	if (len > 0 && EVP_DigestUpdate(h->ctx, data, len) != 1)
		fatal("OpenSSL SHA-256 update failed");
}

void
sha256_finish(struct sha256 *h, char hex[SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (EVP_DigestFinal_ex(h->ctx, md, &mdlen) != 1 || mdlen != 32)
		fatal("OpenSSL SHA-256 finish failed");
	for (i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[SHA256_HEX_LEN] = '\0';
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void
sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1])
{
	struct sha256 *h = sha256_new();

	sha256_update(h, data, len);
	sha256_finish(h, hex);
}

int
sha256_valid_hex(const char *s)
{
	size_t i;

	for (i = 0; i < SHA256_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

struct error *
sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1],
    hash_progress_fn progress, void *arg)
{
	struct error *err = NULL;
	struct sha256 *h = NULL;
	unsigned long long size;
	unsigned char *buf = NULL;
	uint64_t done = 0, total, next_report = HASH_PROGRESS;
	ssize_t n;
	int fd;

	/* A FIFO or a device would hash whatever it yields, never a file. */
	if ((err = fs_open_regular(path, NULL, UINT64_MAX, &fd,
	    &size)) != NULL)
		return err;
	total = (uint64_t)size;
	/* Only a hint: a kernel that ignores it still gives the right hash. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	buf = xmalloc(HASH_BLOCK);
	h = sha256_new();
	for (;;) {
		if (loco_interrupted) {
			err = error_new(EXIT_INTERRUPT, "interrupted");
			goto done;
		}
		n = read(fd, buf, HASH_BLOCK);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err = error_new(EXIT_FAIL, "cannot read '%s': %s", path,
			    strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		sha256_update(h, buf, (size_t)n);
		done += (uint64_t)n;
		if (progress != NULL && done >= next_report) {
			next_report = done + HASH_PROGRESS;
			if (progress(done, total, arg) != 0) {
				err = error_new(EXIT_INTERRUPT, "interrupted");
				goto done;
			}
		}
	}
	/* The file may have grown while we read it: never report done > total. */
	if (progress != NULL &&
	    progress(done, done > total ? done : total, arg) != 0) {
		err = error_new(EXIT_INTERRUPT, "interrupted");
		goto done;
	}
	sha256_finish(h, hex);
	h = NULL;
done:
	if (h != NULL) {
		EVP_MD_CTX_free(h->ctx);
		free(h);
	}
	free(buf);
	close(fd);
	return err;
}
