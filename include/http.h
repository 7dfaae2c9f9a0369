/*
 * http.h: HTTP requests.  The only module that sees libcurl.
 *
 * One request at a time on a reused connection.  A response body is either
 * handed to a callback as it arrives (streaming, for 2xx replies) or kept in
 * a capped buffer (error replies, and requests without a callback), so a
 * misbehaving server cannot exhaust memory.  SIGINT (loco_interrupted)
 * aborts a transfer.
 */
#ifndef LOCO_HTTP_H
#define LOCO_HTTP_H

#include <stddef.h>

#include "error.h"
#include "strbuf.h"

/*
 * Streaming callback for each piece of a 2xx body.  Return 0 to go on,
 * -1 to abort the transfer (the caller keeps its own reason).
 */
typedef int (*http_data_fn)(const char *data, size_t len, void *arg);

struct http_request {
	const char	*method;	/* GET, HEAD, POST, DELETE */
	const char	*url;
	const char	*body;		/* NULL: no body */
	size_t		 bodylen;
	const char	*content_type;	/* of body; default application/json */
	/*
	 * Extra request headers ("Name: value"), NULL-terminated, or NULL.
	 * They are never logged or put in an error message (a key).
	 */
	const char *const *headers;
	/*
	 * Or the body streamed from this file (POST), never read whole;
	 * upload_progress (may be NULL) sees the bytes sent.
	 */
	const char	*upload_path;
	void		(*upload_progress)(unsigned long long done,
			    unsigned long long total, void *arg);
	http_data_fn	 on_data;	/* NULL: buffer the body */
	void		*arg;
	long		 connect_timeout; /* seconds, 0 = curl's default */
	long		 idle_timeout;	/* seconds with no data, 0 = none */
	/*
	 * Seconds to wait for the first byte of the reply's body (a server's
	 * queue, a model loading: Ollama sends nothing until then), timed
	 * apart from idle_timeout, which then counts only once the body has
	 * begun; HTTP_NO_TIMEOUT waits for ever, 0 leaves the wait to
	 * idle_timeout.  The clock starts when the request is sent.
	 */
	long		 first_byte_timeout;
	/*
	 * Seconds for the whole request, from sending it to the last byte,
	 * 0 = none: a server that trickles a byte now and then keeps
	 * idle_timeout quiet, not this.
	 */
	long		 total_timeout;
	/* About once a second while the transfer runs (may be NULL). */
	void		(*on_tick)(void *arg);
	size_t		 max_body;	/* cap for a buffered body, 0 = 64 MiB */
	long long	 resume_from;	/* ask for the body from this byte */
	int		 follow;	/* follow redirects (downloads) */
};

#define HTTP_NO_TIMEOUT (-1L)

struct http_response {
	long		 status;	/* 0 if no HTTP reply */
	struct strbuf	 body;		/* buffered body */
	char		*content_type;	/* or NULL */
	/* Retry-After in seconds (delta-seconds only), -1 when not sent. */
	long		 retry_after;
};

void		 http_response_init(struct http_response *);
void		 http_response_release(struct http_response *);

/*
 * Perform a request.  Transport failures are errors:
 *   EXIT_UNREACHABLE  could not connect ("couldn't connect to server ...")
 *   EXIT_INTERRUPT    "interrupted" (SIGINT)
 *   EXIT_FAIL         timeouts, resets, a body over the cap, an abort by
 *                     on_data ("aborted"), and anything else curl reports
 * The timeouts name the settings to raise: "no reply from the model for
 * N s (waiting in the server's queue or loading; raise
 * backend.load_timeout)" for first_byte_timeout; for idle_timeout "no data
 * for N s after the reply began (raise backend.timeout)", or without
 * first_byte_timeout "no data for N s (backend.timeout)"; for
 * total_timeout "no complete reply after N s (raise
 * backend.request_timeout)".
 * Any HTTP status is success here: check resp->status.
 */
struct error	*http_perform(const struct http_request *,
		    struct http_response *);

/*
 * Concurrent transfers (libcurl's multi interface).  Each transfer has a
 * slot id chosen by the caller (0 <= id < nslots); the request and response
 * must stay valid until the transfer ends or is cancelled.  Callbacks run
 * inside http_multi_wait.
 */
struct http_multi;

struct http_multi	*http_multi_new(size_t nslots);
void			 http_multi_add(struct http_multi *, size_t id,
			    const struct http_request *,
			    struct http_response *);
/*
 * Run transfers until one ends: returns 1 with its id and its transport
 * error (NULL on success; the status is in its response), or 0 when none
 * are running.
 */
int			 http_multi_wait(struct http_multi *, size_t *id,
			    struct error **err);
/* The same, but also 0 once now_ns() passes deadline (0: no deadline). */
int			 http_multi_wait_until(struct http_multi *,
			    long long deadline, size_t *id, struct error **err);
/* Abort a running transfer; nothing more is reported for it. */
void			 http_multi_cancel(struct http_multi *, size_t id);
size_t			 http_multi_running(const struct http_multi *);
void			 http_multi_free(struct http_multi *);

/* libcurl's version, for loco version. */
const char	*http_library_version(void);
/* Release the shared connection (at exit). */
void		 http_cleanup(void);

#endif
