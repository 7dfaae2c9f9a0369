/*
 * fuzz_download.c: index_fetch, the download of a package an index names,
 * against a "server" that replies with the fuzz input: a body shorter,
 * longer or endless (repeated) against the index's size or the ceiling
 * for an entry without one, in odd chunks, with odd statuses, resets
 * after some bytes, ranges honoured or ignored, a partial file left by an
 * earlier run.  Nothing goes over the network.
 *
 * As in fuzz_chat, this target defines http_perform() and the
 * http_response helpers (and the http_multi_* calls nothing here uses), so
 * the linker leaves http.o out and pindex.c runs unchanged.
 *
 * Checked: no byte past the limit (the index's size, else the ceiling) is
 * ever accepted; a success is a file of exactly the size with the
 * index's SHA-256; a failure leaves no partial file unless the size is
 * known and the failure was not an integrity one; error messages carry
 * no control character.
 *
 * Input: byte 0 the size (0: none, 1: the body's, 2: the body's minus
 * byte 1, 3: byte 1); byte 1 also the ceiling (x 16 bytes; 0 the
 * default); byte 2 bit 0 a wrong SHA-256, bits 1-2 a partial file left
 * before (none, a true prefix, garbage, longer than the size); bytes 3
 * and 4 the first try's and the later tries' status; byte 5 bit 0 the
 * server honours a range, bit 1 a reset after byte 6 x 4 bytes on the
 * first try, bits 2-4 how often the body repeats; bytes 7-10 chunk
 * sizes; the rest the body.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>

#include "fuzz.h"
#include "hash.h"
#include "http.h"
#include "pindex.h"
#include "strbuf.h"

#define NSIZES 4
#define HEAD 11

static const uint8_t	*body;
static size_t		 bodylen;
static size_t		 sizes[NSIZES];
static long		 status_first, status_later;
static int		 ranges, reset, repeat;
static size_t		 reset_at;
static unsigned		 tries;
static unsigned long long limit;
static char		*downloads;

void
http_response_init(struct http_response *resp)
{
	resp->status = 0;
	strbuf_init(&resp->body, 0);
	resp->content_type = NULL;
}

void
http_response_release(struct http_response *resp)
{
	strbuf_release(&resp->body);
	free(resp->content_type);
	resp->content_type = NULL;
	resp->status = 0;
}

static long
pick_status(unsigned b)
{
	static const long statuses[] = {
		200, 200, 200, 206, 206, 416, 404, 500
	};

	return statuses[b % ARRAY_SIZE(statuses)];
}

/* One GET as http.c does it: 2xx streamed to on_data, else buffered. */
struct error *
http_perform(const struct http_request *req, struct http_response *resp)
{
	unsigned long long total = (unsigned long long)bodylen * repeat;
	unsigned long long off, n, sent = 0, accepted = 0;
	size_t i;

	tries++;
	FUZZ_CHECK(req->on_data != NULL && req->resume_from >= 0);
	http_response_release(resp);
	strbuf_init(&resp->body, req->max_body ? req->max_body :
	    64u * 1024 * 1024);
	resp->status = tries == 1 ? status_first : status_later;
	/* A range honoured: the body from there, as 206. */
	off = 0;
	if (ranges && req->resume_from > 0 && resp->status == 206)
		off = (unsigned long long)req->resume_from;
	for (i = 0; off < total; off += n, i++) {
		n = sizes[i % NSIZES];
		if (n == 0 || n > total - off)
			n = total - off;
		/* A piece never crosses the repeated body's end. */
		if (n > bodylen - off % bodylen)
			n = bodylen - off % bodylen;
		if (reset && tries == 1 && sent + n > reset_at)
			return error_new(EXIT_FAIL, "connection reset");
		sent += n;
		if (resp->status < 200 || resp->status >= 300) {
			if (strbuf_add(&resp->body, body + off % bodylen,
			    (size_t)n) == -1)
				return error_new(EXIT_FAIL, "response body "
				    "larger than %zu bytes", resp->body.cap);
			continue;
		}
		if (req->on_data((const char *)body + off % bodylen,
		    (size_t)n, req->arg) != 0)
			return error_new(EXIT_FAIL, "aborted");
		accepted += n;
		/* What the file holds never passes the limit. */
		FUZZ_CHECK((unsigned long long)req->resume_from + accepted <=
		    limit);
	}
	return NULL;
}

/* Nothing here runs transfers at once; these only satisfy the linker. */
struct http_multi *
http_multi_new(size_t nslots)
{
	abort();
}

void
http_multi_add(struct http_multi *m, size_t id, const struct http_request *req,
    struct http_response *resp)
{
	abort();
}

int
http_multi_wait(struct http_multi *m, size_t *id, struct error **err)
{
	abort();
}

int
http_multi_wait_until(struct http_multi *m, long long deadline, size_t *id,
    struct error **err)
{
	abort();
}

void
http_multi_cancel(struct http_multi *m, size_t id)
{
	abort();
}

size_t
http_multi_running(const struct http_multi *m)
{
	return 0;
}

void
http_multi_free(struct http_multi *m)
{
}

static char	home[64];

static void
cleanup(void)
{
	struct dirent *de;
	char *tmp;
	DIR *d;

	if (downloads != NULL && (d = opendir(downloads)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.') {
				tmp = xasprintf("%s/%s", downloads, de->d_name);
				unlink(tmp);
				free(tmp);
			}
		closedir(d);
	}
	if (downloads != NULL)
		rmdir(downloads);
	tmp = xasprintf("%s/tmp", home);
	rmdir(tmp);
	free(tmp);
	rmdir(home);
	free(downloads);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(home, sizeof(home), "%s/loco-fuzz-dl.XXXXXX",
	    tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (mkdtemp(home) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	setenv("LOCO_HOME", home, 1);
	downloads = xasprintf("%s/tmp/downloads", home);
	atexit(cleanup);
	return 0;
}

static long long
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void
write_part(const char *path, const uint8_t *p, size_t n)
{
	FILE *fp;

	if (mkdir(home, 0700) == -1 && errno != EEXIST)
		abort();
	{
		char *t = xasprintf("%s/tmp", home);

		(void)mkdir(t, 0700);
		free(t);
	}
	(void)mkdir(downloads, 0700);
	if ((fp = fopen(path, "wb")) == NULL)
		abort();
	if (n > 0 && fwrite(p, 1, n, fp) != n)
		abort();
	fclose(fp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct index_entry e;
	struct error *err;
	char sha[SHA256_HEX_LEN + 1], got[SHA256_HEX_LEN + 1];
	char *path = NULL, *part, *final;
	unsigned h[HEAD];
	size_t i;
	int partial;

	if (size < HEAD + 1)
		return 0;
	for (i = 0; i < HEAD; i++)
		h[i] = data[i];
	body = data + HEAD;
	bodylen = size - HEAD;
	repeat = 1 + (int)((h[5] >> 2) & 7);
	ranges = h[5] & 1;
	reset = (h[5] >> 1) & 1;
	reset_at = (size_t)h[6] * 4;
	status_first = pick_status(h[3]);
	status_later = pick_status(h[4]);
	for (i = 0; i < NSIZES; i++)
		sizes[i] = h[7 + i];
	tries = 0;

	memset(&e, 0, sizeof(e));
	e.name = "fuzz";
	e.version = "1.0.0";
	e.url = "http://fuzz.invalid/fuzz-1.0.0.tar.gz";
	switch (h[0] % 4) {
	case 0:
		e.size = -1;
		break;
	case 1:
		e.size = (long long)bodylen;
		break;
	case 2:
		e.size = bodylen > h[1] ? (long long)(bodylen - h[1]) : 0;
		break;
	default:
		e.size = h[1];
		break;
	}
	e.ceiling = (long long)h[1] * 16;
	/* The SHA-256 of what a well-behaved server would send. */
	sha256_hex(body, e.size >= 0 && (size_t)e.size < bodylen ?
	    (size_t)e.size : bodylen, sha);
	if (h[2] & 1)
		memset(sha, 'a', SHA256_HEX_LEN);
	e.sha256 = sha;
	limit = e.size >= 0 ? (unsigned long long)e.size : e.ceiling > 0 ?
	    (unsigned long long)e.ceiling : 16ULL << 30;

	part = xasprintf("%s/%s.part", downloads, sha);
	final = xasprintf("%s/%s.pkg", downloads, sha);
	partial = (h[2] >> 1) & 3;
	if (partial == 1)
		write_part(part, body, bodylen / 2);
	else if (partial == 2)
		write_part(part, (const uint8_t *)"garbage", 7);
	else if (partial == 3)
		write_part(part, body, bodylen);

	err = index_fetch(&e, NULL, NULL, &path);
	FUZZ_CHECK(tries <= 3);
	if (err == NULL) {
		FUZZ_CHECK(path != NULL && strcmp(path, final) == 0);
		FUZZ_CHECK(e.size < 0 || file_size(path) == e.size);
		FUZZ_CHECK((unsigned long long)file_size(path) <= limit);
		FUZZ_CHECK(sha256_file(path, got, NULL, NULL) == NULL);
		FUZZ_CHECK(strcmp(got, e.sha256) == 0);
		FUZZ_CHECK(file_size(part) == -1);
	} else {
		FUZZ_CHECK(path == NULL);
		FUZZ_CHECK(file_size(final) == -1);
		/* Kept only to resume a download of a known size. */
		if (e.size < 0 || err->code == EXIT_INTEGRITY)
			FUZZ_CHECK(file_size(part) == -1);
		if (file_size(part) >= 0)
			FUZZ_CHECK((unsigned long long)file_size(part) <=
			    limit);
		fuzz_error_free(err);
	}
	unlink(part);
	unlink(final);
	free(part);
	free(final);
	free(path);
	return 0;
}
