/*
 * http.c: HTTP over libcurl.  One easy handle is kept for the life of the
 * process so consecutive requests to the same server reuse the connection.
 *
 * With LOCO_CURL_DLOPEN (the default build), libcurl is loaded on first
 * use instead of at start-up.  Debian's libcurl drags in some thirty
 * shared objects (TLS, Kerberos, LDAP, RTMP, SSH) whose loading and
 * constructors cost about 5 ms per process, several times what loco route
 * needs in all; commands that never talk to a server should not pay it.
 * `make CURL_DLOPEN=0` links libcurl the ordinary way.
 */
#ifdef LOCO_CURL_DLOPEN
#define CURL_DISABLE_TYPECHECK
#include <dlfcn.h>
#endif
#include <curl/curl.h>
#include <sys/stat.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "banned.h"

#define DEFAULT_MAX_BODY (64u * 1024 * 1024)

#ifdef LOCO_CURL_DLOPEN
#define LIBCURL_SONAME "libcurl.so.4"

static struct {
	void			*dl;
	CURLcode		(*global_init)(long);
	void			(*global_cleanup)(void);
	CURL			*(*easy_init)(void);
	void			(*easy_cleanup)(CURL *);
	void			(*easy_reset)(CURL *);
	CURLcode		(*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode		(*easy_getinfo)(CURL *, CURLINFO, ...);
	CURLcode		(*easy_perform)(CURL *);
	const char		*(*easy_strerror)(CURLcode);
	curl_version_info_data	*(*version_info)(CURLversion);
	struct curl_slist	*(*slist_append)(struct curl_slist *,
				    const char *);
	void			(*slist_free_all)(struct curl_slist *);
	CURLM			*(*multi_init)(void);
	CURLMcode		(*multi_add_handle)(CURLM *, CURL *);
	CURLMcode		(*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode		(*multi_perform)(CURLM *, int *);
	CURLMsg			*(*multi_info_read)(CURLM *, int *);
	CURLMcode		(*multi_poll)(CURLM *, struct curl_waitfd *,
				    unsigned int, int, int *);
	CURLMcode		(*multi_cleanup)(CURLM *);
} api;

#define curl_global_init	api.global_init
#define curl_global_cleanup	api.global_cleanup
#define curl_easy_init		api.easy_init
#define curl_easy_cleanup	api.easy_cleanup
#define curl_easy_reset		api.easy_reset
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_easy_setopt	api.easy_setopt
#define curl_easy_getinfo	api.easy_getinfo
#define curl_easy_perform	api.easy_perform
#define curl_easy_strerror	api.easy_strerror
#define curl_version_info	api.version_info
#define curl_slist_append	api.slist_append
#define curl_slist_free_all	api.slist_free_all
#define curl_multi_init		api.multi_init
#define curl_multi_add_handle	api.multi_add_handle
#define curl_multi_remove_handle api.multi_remove_handle
#define curl_multi_perform	api.multi_perform
#define curl_multi_info_read	api.multi_info_read
#define curl_multi_poll		api.multi_poll
#define curl_multi_cleanup	api.multi_cleanup

/* Load libcurl once; NULL on success. */
static struct error *
curl_load(void)
{
	static const struct {
		const char	*name;
		size_t		 offset;
	} syms[] = {
#define SYM(field) { "curl_" #field, offsetof(__typeof__(api), field) }
		SYM(global_init), SYM(global_cleanup), SYM(easy_init),
		SYM(easy_cleanup), SYM(easy_reset), SYM(easy_setopt),
		SYM(easy_getinfo), SYM(easy_perform), SYM(easy_strerror),
		SYM(version_info), SYM(slist_append), SYM(slist_free_all),
		SYM(multi_init), SYM(multi_add_handle),
		SYM(multi_remove_handle), SYM(multi_perform),
		SYM(multi_info_read), SYM(multi_poll), SYM(multi_cleanup),
#undef SYM
	};
	size_t i;
	void *fn;
	const char *why;

	if (api.dl != NULL)
		return NULL;
	if ((api.dl = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		return error_new(EXIT_FAIL, "cannot load libcurl: %s; install "
		    "the libcurl4 package", why ? why : LIBCURL_SONAME);
	}
	for (i = 0; i < ARRAY_SIZE(syms); i++) {
		if ((fn = dlsym(api.dl, syms[i].name)) == NULL) {
			dlclose(api.dl);
			api.dl = NULL;
			return error_new(EXIT_FAIL, "cannot load libcurl: %s "
			    "lacks %s (libcurl 7.66 or later is needed)",
			    LIBCURL_SONAME, syms[i].name);
		}
		/* POSIX guarantees data and function pointers convert. */
		memcpy((char *)&api + syms[i].offset, &fn, sizeof(fn));
	}
	return NULL;
}
#else
static struct error *
curl_load(void)
{
	return NULL;
}
#endif

static CURL	*easy;		/* reused by http_perform */
static int	 initialised;

struct xfer {
	CURL				*h;
	struct curl_slist		*headers;
	char				 errbuf[CURL_ERROR_SIZE];
	const struct http_request	*req;
	struct http_response		*resp;
	int				 aborted;	/* by on_data */
	int				 overflow;	/* body cap hit */
	int				 stalled;	/* idle_timeout hit */
	int				 no_reply;	/* first_byte_timeout hit */
	int				 overdue;	/* total_timeout hit */
	int				 replied;	/* a byte of the body came */
	long long			 sent;		/* now_ns() at the start */
	FILE				*upload;	/* upload_path, open */
	int				 upload_errno;
	long long			 last_activity;	/* now_ns() */
	curl_off_t			 last_ulnow;
};

void
http_response_init(struct http_response *resp)
{
	resp->status = 0;
	strbuf_init(&resp->body, 0);
	resp->content_type = NULL;
	resp->retry_after = -1;
}

void
http_response_release(struct http_response *resp)
{
	strbuf_release(&resp->body);
	free(resp->content_type);
	resp->content_type = NULL;
	resp->status = 0;
	resp->retry_after = -1;
}

static size_t
on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;
	long status = 0;

	x->last_activity = now_ns();
	x->replied = 1;
	if (x->resp->status == 0) {
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
		x->resp->status = status;
	}
	if (x->req->on_data != NULL && x->resp->status >= 200 &&
	    x->resp->status < 300) {
		if (x->req->on_data(data, n, x->req->arg) != 0) {
			x->aborted = 1;
			return 0;	/* makes curl fail with CURLE_WRITE_ERROR */
		}
		return n;
	}
	if (strbuf_add(&x->resp->body, data, n) == -1) {
		x->overflow = 1;
		return 0;
	}
	return n;
}

/*
 * Response headers: only Retry-After is kept, as delta-seconds (an
 * HTTP-date is rare from API servers and is taken as not sent).  Each
 * response of a transfer (a 100 Continue, a redirect) starts afresh.
 */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb, k = sizeof("retry-after:") - 1;
	char buf[32], *end;
	long v;

	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0)
		x->resp->retry_after = -1;
	if (n <= k || strncasecmp(data, "retry-after:", k) != 0 ||
	    n - k >= sizeof(buf))
		return n;
	memcpy(buf, data + k, n - k);
	buf[n - k] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
		end++;
	if (errno == 0 && end != buf && *end == '\0' && v >= 0)
		x->resp->retry_after = v;
	return n;
}

/*
 * Called about once a second even when nothing arrives.  The timeouts are
 * kept here rather than with CURLOPT_LOW_SPEED_*, which does not fire
 * while curl waits for the response headers, and Ollama sends those only
 * after the model has loaded.  Until the body's first byte, a request
 * with first_byte_timeout is timed by it alone: that wait is the server's
 * queue and the model's load, which can be long on a server that answers
 * one request at a time, while a gap in a reply that has begun is not.
 */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = arg;
	const struct http_request *req = x->req;
	long long now = now_ns();

	(void)dltotal; (void)dlnow;
	if (loco_interrupted)
		return 1;
	if (ulnow != x->last_ulnow) {
		x->last_ulnow = ulnow;
		x->last_activity = now;
		if (x->req->upload_progress != NULL)
			x->req->upload_progress((unsigned long long)ulnow,
			    (unsigned long long)ultotal, x->req->arg);
	}
	if (req->on_tick != NULL)
		req->on_tick(req->arg);
	/* Blank lines now and then keep the others quiet, not this. */
	if (req->total_timeout > 0 && now - x->sent >
	    req->total_timeout * 1000000000LL) {
		x->overdue = 1;
		return 1;
	}
	if (req->first_byte_timeout != 0 && !x->replied) {
		if (req->first_byte_timeout > 0 && now - x->sent >
		    req->first_byte_timeout * 1000000000LL) {
			x->no_reply = 1;
			return 1;
		}
	} else if (req->idle_timeout > 0 && now - x->last_activity >
	    req->idle_timeout * 1000000000LL) {
		x->stalled = 1;
		return 1;
	}
	return 0;
}

const char *
http_library_version(void)
{
	struct error *err;

	if ((err = curl_load()) != NULL) {
		error_free(err);
		return "unavailable";
	}
	return curl_version_info(CURLVERSION_NOW)->version;
}

void
http_cleanup(void)
{
	if (easy != NULL)
		curl_easy_cleanup(easy);
	easy = NULL;
	if (initialised)
		curl_global_cleanup();
	initialised = 0;
}

static struct error *
transport_error(CURLcode rc, const char *errbuf, const struct xfer *x)
{
	const char *why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
	char *clean = str_sanitize(why, 200);
	struct error *err;

	if (loco_interrupted)
		err = error_new(EXIT_INTERRUPT, "interrupted");
	else if (x->upload_errno != 0)
		err = error_new(EXIT_FAIL, "cannot read '%s': %s",
		    x->req->upload_path, strerror(x->upload_errno));
	else if (x->overdue)
		err = error_new(EXIT_FAIL, "no complete reply after %ld s "
		    "(raise backend.request_timeout)", x->req->total_timeout);
	else if (x->no_reply)
		err = error_new(EXIT_FAIL, "no reply from the model for %ld s "
		    "(waiting in the server's queue or loading; raise "
		    "backend.load_timeout)", x->req->first_byte_timeout);
	else if (x->stalled && x->req->first_byte_timeout != 0)
		err = error_new(EXIT_FAIL, "no data for %ld s after the reply "
		    "began (raise backend.timeout)", x->req->idle_timeout);
	else if (x->stalled)
		err = error_new(EXIT_FAIL, "no data for %ld s (backend.timeout)",
		    x->req->idle_timeout);
	else if (x->aborted)
		err = error_new(EXIT_FAIL, "aborted");
	else if (x->overflow)
		err = error_new(EXIT_FAIL, "response body larger than %zu bytes",
		    x->req->max_body ? x->req->max_body : DEFAULT_MAX_BODY);
	else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
		err = error_new(EXIT_UNREACHABLE, "%s", clean);
	else if (rc == CURLE_OPERATION_TIMEDOUT && x->resp->status == 0 &&
	    strstr(why, "onnect") != NULL)
		err = error_new(EXIT_UNREACHABLE, "%s", clean);
	else
		err = error_new(EXIT_FAIL, "%s", clean);
	free(clean);
	return err;
}

static struct error *
global_init(void)
{
	struct error *err;

	if ((err = curl_load()) != NULL)
		return err;
	if (!initialised) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			return error_new(EXIT_FAIL, "cannot initialise libcurl");
		initialised = 1;
	}
	return NULL;
}

static size_t
on_read(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = fread(buf, 1, size * nmemb, x->upload);

	if (n == 0 && ferror(x->upload)) {
		x->upload_errno = errno;
		return CURL_READFUNC_ABORT;
	}
	return n;
}

/* Point handle h at req; x must stay put until the transfer ends. */
static void
xfer_setup(struct xfer *x, CURL *h, const struct http_request *req,
    struct http_response *resp)
{
	char *hdr;
	size_t i;

	memset(x, 0, sizeof(*x));
	x->h = h;
	x->req = req;
	x->resp = resp;
	x->sent = x->last_activity = now_ns();
	http_response_release(resp);
	strbuf_init(&resp->body, req->max_body ? req->max_body :
	    DEFAULT_MAX_BODY);

	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "loco/" LOCO_VERSION);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_PRIVATE, x);
	/* Proxies are for the internet; Ollama is almost always local. */
	curl_easy_setopt(h, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
	if (req->connect_timeout > 0)
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
		    req->connect_timeout);
	if (req->resume_from > 0)
		curl_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE,
		    (curl_off_t)req->resume_from);
	if (req->follow) {
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	}
	x->headers = curl_slist_append(x->headers, "Expect:");
	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
		x->headers = curl_slist_append(x->headers, req->headers[i]);
	if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(req->method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->upload_path != NULL) {
		struct stat st;

		if ((x->upload = fopen(req->upload_path, "rb")) == NULL ||
		    fstat(fileno(x->upload), &st) == -1)
			x->upload_errno = errno ? errno : EIO;
		else {
			x->headers = curl_slist_append(x->headers,
			    "Content-Type: application/octet-stream");
			curl_easy_setopt(h, CURLOPT_POST, 1L);
			curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(h, CURLOPT_READDATA, x);
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)st.st_size);
		}
	} else if (req->body != NULL) {
		hdr = xasprintf("Content-Type: %s", req->content_type ?
		    req->content_type : "application/json");
		x->headers = curl_slist_append(x->headers, hdr);
		free(hdr);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->bodylen);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->headers);
}

/* After the transfer: status, content type, and the error if any. */
static struct error *
xfer_finish(struct xfer *x, CURLcode rc)
{
	long status = 0;
	char *ct;

	curl_slist_free_all(x->headers);
	x->headers = NULL;
	if (x->upload != NULL)
		fclose(x->upload);
	x->upload = NULL;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 0)
		x->resp->status = status;
	if (curl_easy_getinfo(x->h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct != NULL) {
		free(x->resp->content_type);
		x->resp->content_type = xstrdup(ct);
	}
	/* Do not keep pointers to memory that is about to go. */
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, NULL);
	if (rc != CURLE_OK)
		return transport_error(rc, x->errbuf, x);
	return NULL;
}

struct error *
http_perform(const struct http_request *req, struct http_response *resp)
{
	struct xfer x;
	struct error *err;

	if ((err = global_init()) != NULL)
		return err;
	if (easy == NULL && (easy = curl_easy_init()) == NULL)
		return error_new(EXIT_FAIL, "cannot initialise libcurl");
	curl_easy_reset(easy);
	xfer_setup(&x, easy, req, resp);
	if (x.upload_errno != 0)
		return xfer_finish(&x, CURLE_READ_ERROR);
	return xfer_finish(&x, curl_easy_perform(easy));
}

/* Concurrent transfers */

struct http_multi {
	CURLM		*m;
	struct xfer	**slots;	/* by id; NULL when idle */
	size_t		 nslots;
	size_t		 running;
};

struct http_multi *
http_multi_new(size_t nslots)
{
	struct http_multi *hm;

	struct error *err;

	if ((err = global_init()) != NULL)
		fatal("%s", err->msg);
	hm = xcalloc(1, sizeof(*hm));
	if ((hm->m = curl_multi_init()) == NULL)
		fatal("cannot initialise libcurl");
	hm->slots = xcalloc(nslots + 1, sizeof(*hm->slots));
	hm->nslots = nslots;
	return hm;
}

void
http_multi_add(struct http_multi *hm, size_t id,
    const struct http_request *req, struct http_response *resp)
{
	struct xfer *x;
	CURL *h;

	if (id >= hm->nslots || hm->slots[id] != NULL)
		fatal("http_multi_add: slot %zu is busy or out of range", id);
	if ((h = curl_easy_init()) == NULL)
		fatal("cannot initialise libcurl");
	x = xmalloc(sizeof(*x));
	xfer_setup(x, h, req, resp);
	hm->slots[id] = x;
	curl_multi_add_handle(hm->m, h);
	hm->running++;
}

static void
slot_free(struct http_multi *hm, size_t id)
{
	struct xfer *x = hm->slots[id];

	curl_multi_remove_handle(hm->m, x->h);
	curl_slist_free_all(x->headers);
	curl_easy_cleanup(x->h);
	free(x);
	hm->slots[id] = NULL;
	hm->running--;
}

void
http_multi_cancel(struct http_multi *hm, size_t id)
{
	if (id < hm->nslots && hm->slots[id] != NULL)
		slot_free(hm, id);
}

size_t
http_multi_running(const struct http_multi *hm)
{
	return hm->running;
}

int
http_multi_wait(struct http_multi *hm, size_t *id, struct error **err)
{
	return http_multi_wait_until(hm, 0, id, err);
}

int
http_multi_wait_until(struct http_multi *hm, long long deadline, size_t *id,
    struct error **err)
{
	CURLMsg *msg;
	struct xfer *x;
	int still, left, ms;
	size_t i;

	*err = NULL;
	while (hm->running > 0) {
		curl_multi_perform(hm->m, &still);
		while ((msg = curl_multi_info_read(hm->m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&x);
			for (i = 0; i < hm->nslots; i++)
				if (hm->slots[i] == x)
					break;
			if (i == hm->nslots)
				continue;	/* cancelled meanwhile */
			*err = xfer_finish(x, msg->data.result);
			*id = i;
			slot_free(hm, i);
			return 1;
		}
		ms = 200;
		if (deadline > 0) {
			long long left_ns = deadline - now_ns();

			if (left_ns <= 0)
				return 0;
			if (left_ns < 200000000LL)
				ms = (int)(left_ns / 1000000) + 1;
		}
		curl_multi_poll(hm->m, NULL, 0, ms, NULL);
	}
	return 0;
}

void
http_multi_free(struct http_multi *hm)
{
	size_t i;

	if (hm == NULL)
		return;
	for (i = 0; i < hm->nslots; i++)
		if (hm->slots[i] != NULL)
			slot_free(hm, i);
	curl_multi_cleanup(hm->m);
	free(hm->slots);
	free(hm);
}
