/* t_hash.c: SHA-256 of buffers and files, against the NIST vectors. */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"
#include "unit.h"

#define EMPTY_SHA \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_SHA \
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define MILLION_A_SHA \
	"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

static const char *
write_bytes(const char *name, const void *data, size_t len)
{
	static char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", unit_tmpdir(), name);
	if ((fp = fopen(path, "wb")) == NULL ||
	    fwrite(data, 1, len, fp) != len || fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
	return path;
}

TEST(hash_vectors)
{
	char hex[SHA256_HEX_LEN + 1];
	struct sha256 *h;
	char *a;
	int i;

	sha256_hex("", 0, hex);
	CHECK_STR(hex, EMPTY_SHA);
	sha256_hex("abc", 3, hex);
	CHECK_STR(hex, ABC_SHA);
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    56, hex);
	CHECK_STR(hex,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

	a = malloc(1000000);
	memset(a, 'a', 1000000);
	sha256_hex(a, 1000000, hex);
	CHECK_STR(hex, MILLION_A_SHA);
	/* Streamed in uneven pieces: the same digest. */
	h = sha256_new();
	for (i = 0; i < 1000000; i += 999)
		sha256_update(h, a + i, 1000000 - i < 999 ? 1000000 - i : 999);
	sha256_finish(h, hex);
	CHECK_STR(hex, MILLION_A_SHA);
	free(a);

	h = sha256_new();
	sha256_update(h, "a", 1);
	sha256_update(h, "", 0);
	sha256_update(h, "bc", 2);
	sha256_finish(h, hex);
	CHECK_STR(hex, ABC_SHA);
}

struct seen {
	int		 calls;
	uint64_t	 done, total;
	int		 stop;
};

static int
record(uint64_t done, uint64_t total, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	s->done = done;
	s->total = total;
	return s->stop;
}

TEST(hash_file)
{
	char hex[SHA256_HEX_LEN + 1], want[SHA256_HEX_LEN + 1];
	struct seen seen = { 0, 0, 0, 0 };
	size_t len = 3 * 1024 * 1024 + 7, i;
	unsigned char *data = malloc(len);
	const char *path;

	/* Not a repeating pattern, so a block read twice or skipped shows. */
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)((i * 2654435761u) >> 13);
	path = write_bytes("big", data, len);
	sha256_hex(data, len, want);
	CHECK_OK(sha256_file(path, hex, record, &seen));
	CHECK_STR(hex, want);
	CHECK_INT(seen.calls, 1);
	CHECK_INT(seen.done, len);
	CHECK_INT(seen.total, len);

	CHECK_OK(sha256_file(path, hex, NULL, NULL));
	CHECK_STR(hex, want);

	/* A non-zero return from the callback stops the hash. */
	seen.stop = 1;
	CHECK_ERR(sha256_file(path, hex, record, &seen), "interrupted");
	free(data);

	path = write_bytes("empty", "", 0);
	seen.stop = 0;
	seen.calls = 0;
	CHECK_OK(sha256_file(path, hex, record, &seen));
	CHECK_STR(hex, EMPTY_SHA);
	CHECK_INT(seen.calls, 1);
	CHECK_INT(seen.done, 0);

	path = write_bytes("abc", "abc", 3);
	CHECK_OK(sha256_file(path, hex, NULL, NULL));
	CHECK_STR(hex, ABC_SHA);
}

TEST(hash_file_errors)
{
	char hex[SHA256_HEX_LEN + 1], path[512], want[1024];
	struct error *err;

	snprintf(path, sizeof(path), "%s/missing", unit_tmpdir());
	snprintf(want, sizeof(want), "cannot open '%s': No such file or "
	    "directory", path);
	err = sha256_file(path, hex, NULL, NULL);
	CHECK(err != NULL && err->code == EXIT_FAIL);
	CHECK_ERR(err, want);

	snprintf(want, sizeof(want), "cannot read '%s': a directory, not a "
	    "regular file", unit_tmpdir());
	err = sha256_file(unit_tmpdir(), hex, NULL, NULL);
	CHECK(err != NULL && err->code == EXIT_FAIL);
	CHECK_ERR(err, want);

	/* A FIFO without a writer is refused, not waited on. */
	snprintf(path, sizeof(path), "%s/fifo", unit_tmpdir());
	(void)unlink(path);
	CHECK(mkfifo(path, 0600) == 0);
	snprintf(want, sizeof(want), "cannot read '%s': a FIFO, not a "
	    "regular file", path);
	err = sha256_file(path, hex, NULL, NULL);
	CHECK(err != NULL && err->code == EXIT_FAIL);
	CHECK_ERR(err, want);
	(void)unlink(path);

	snprintf(want, sizeof(want), "cannot read '/dev/zero': a character "
	    "device, not a regular file");
	err = sha256_file("/dev/zero", hex, NULL, NULL);
	CHECK_ERR(err, want);
}

TEST(hash_valid_hex)
{
	CHECK(sha256_valid_hex(ABC_SHA));
	CHECK(sha256_valid_hex(EMPTY_SHA));
	CHECK(!sha256_valid_hex(""));
	/* 63 and 65 digits. */
	CHECK(!sha256_valid_hex(ABC_SHA + 1));
	CHECK(!sha256_valid_hex(ABC_SHA "0"));
	/* Upper case is refused: Ollama wants lower-case digests. */
	CHECK(!sha256_valid_hex(
	    "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
	CHECK(!sha256_valid_hex("sha256:" ABC_SHA));
	CHECK(!sha256_valid_hex(
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ag"));
	CHECK(!sha256_valid_hex(
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a "));
}
