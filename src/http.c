/*
 * http.c: HTTP over libcurl.  One easy handle is kept for the life of the
 * process so consecutive requests to the same server reuse the connection.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "banned.h"

#define DEFAULT_MAX_BODY (64u * 1024 * 1024)

static CURL	*easy;
static int	 initialised;

struct xfer {
	const struct http_request	*req;
	struct http_response		*resp;
	int				 aborted;	/* by on_data */
	int				 overflow;	/* body cap hit */
	int				 stalled;	/* idle_timeout hit */
	long long			 last_activity;	/* now_ns() */
	curl_off_t			 last_ulnow;
};

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

static size_t
on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;
	long status = 0;

	x->last_activity = now_ns();
	if (x->resp->status == 0) {
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
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
 * Called about once a second even when nothing arrives.  The idle timeout
 * is kept here rather than with CURLOPT_LOW_SPEED_*, which does not fire
 * while curl waits for the response headers, and Ollama sends those only
 * after the model has loaded.
 */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = arg;
	long long now = now_ns();

	(void)dltotal; (void)dlnow; (void)ultotal;
	if (loco_interrupted)
		return 1;
	if (ulnow != x->last_ulnow) {
		x->last_ulnow = ulnow;
		x->last_activity = now;
	}
	if (x->req->idle_timeout > 0 && now - x->last_activity >
	    x->req->idle_timeout * 1000000000LL) {
		x->stalled = 1;
		return 1;
	}
	return 0;
}

const char *
http_library_version(void)
{
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

struct error *
http_perform(const struct http_request *req, struct http_response *resp)
{
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *headers = NULL;
	struct xfer x;
	CURLcode rc;
	char *ct, *hdr;
	long status = 0;

	if (!initialised) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			return error_new(EXIT_FAIL, "cannot initialise libcurl");
		initialised = 1;
	}
	if (easy == NULL && (easy = curl_easy_init()) == NULL)
		return error_new(EXIT_FAIL, "cannot initialise libcurl");
	curl_easy_reset(easy);

	memset(&x, 0, sizeof(x));
	x.req = req;
	x.resp = resp;
	x.last_activity = now_ns();
	http_response_release(resp);
	strbuf_init(&resp->body, req->max_body ? req->max_body :
	    DEFAULT_MAX_BODY);
	errbuf[0] = '\0';

	curl_easy_setopt(easy, CURLOPT_URL, req->url);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "loco/" LOCO_VERSION);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
	/* Proxies are for the internet; Ollama is almost always local. */
	curl_easy_setopt(easy, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
	if (req->connect_timeout > 0)
		curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT,
		    req->connect_timeout);
	headers = curl_slist_append(headers, "Expect:");
	if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
	else if (strcmp(req->method, "GET") != 0)
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->body != NULL) {
		hdr = xasprintf("Content-Type: %s", req->content_type ?
		    req->content_type : "application/json");
		headers = curl_slist_append(headers, hdr);
		free(hdr);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->bodylen);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body);
	}
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);

	rc = curl_easy_perform(easy);
	curl_slist_free_all(headers);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	if (status != 0)
		resp->status = status;
	if (curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct != NULL)
		resp->content_type = xstrdup(ct);
	/* Do not keep pointers to caller memory in the handle. */
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, NULL);
	if (rc != CURLE_OK)
		return transport_error(rc, errbuf, &x);
	return NULL;
}
