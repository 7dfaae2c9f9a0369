/*
 * backend_int.h: what a kind of backend implements (backend.c dispatches
 * to it).  Only backend.c and the backend_*.c files include this.
 *
 * backend.c owns the HTTP side of a chat: one request or a batch over
 * libcurl's multi interface, the streamed body cut into lines, the size
 * caps and the final checks.  A backend says what to send (its path and
 * body) and what each line of the reply means (chat_line), and turns
 * transport and HTTP errors into messages that name its server.
 */
#ifndef LOCO_BACKEND_INT_H
#define LOCO_BACKEND_INT_H

#include "backend.h"
#include "http.h"
#include "json.h"
#include "ndjson.h"
#include "strbuf.h"

/* One streamed reply being read. */
struct chat_stream {
	struct backend		*be;
	struct ndjson		 nd;	/* lines: NDJSON, or SSE's "data:" */
	chat_piece_fn		 fn;
	void			*arg;
	struct strbuf		 content;
	struct strbuf		 thinking;
	struct chat_result	*res;
	int			 done;
	struct error		*err;	/* why the transfer was aborted */
	long long		 sent;	/* now_ns() when the request went */
	int			 replied; /* the answer's first byte came */
	struct chat_batch	*batch;	/* the batch it runs in, or NULL */
	/*
	 * OpenAI: how the reply comes, told by its first line (events, or
	 * one JSON document, perhaps over several lines, kept in whole).
	 */
	enum { STREAM_UNKNOWN, STREAM_EVENTS, STREAM_WHOLE } mode;
	struct strbuf		 whole;
	const char		*headers[2];	/* be->auth, for the request */
};

/*
 * One line of a reply as a JSON object in *root, or an error naming the
 * server, the line number and the line's start.
 */
struct error	*chat_stream_json(struct chat_stream *, const char *line,
		    size_t len, struct json **root);
/* Append text to the answer and the thinking and pass them on. */
struct error	*chat_stream_piece(struct chat_stream *, const char *content,
		    const char *thinking);

struct backend_ops {
	const char	*name;		/* "ollama" */
	const char	*server;	/* for messages: "Ollama" */
	unsigned	 features;	/* enum backend_feature */
	const char	*chat_path;	/* "/api/chat" */
	/* What ends a complete reply, for "ended early" errors. */
	const char	*final_message;
	char		*(*chat_body)(const struct backend *,
			    const struct chat_request *);
	/* One line of a streamed reply. */
	struct error	*(*chat_line)(struct chat_stream *, const char *line,
			    size_t len);
	/* After the last line of a 2xx reply (may be NULL). */
	struct error	*(*chat_end)(struct chat_stream *);
	/* Settings from the configuration, at backend_open (may be NULL). */
	struct error	*(*open)(struct backend *, const struct config *);
	/* What to do when the server cannot be reached. */
	const char	*unreachable_hint;	/* "is 'ollama serve' running?" */
	/* A non-2xx reply. */
	struct error	*(*status_error)(struct backend *, const char *path,
			    const struct http_response *);
	struct error	*(*resolve)(struct backend *, const struct registry *,
			    const struct adapter *, struct backend_target *);
	struct error	*(*identity)(struct backend *,
			    const struct backend_target *, char **);
	/* The body whose hash keys the cache (default: chat_body). */
	char		*(*cache_body)(const struct backend *,
			    const struct chat_request *);
	struct error	*(*models)(struct backend *, struct backend_model **,
			    size_t *);
	struct error	*(*version)(struct backend *, char **);
	/* Does the target's model think (may be NULL: no)? */
	int		 (*thinks)(struct backend *, const struct backend_target *);
	void		 (*free)(struct backend *);
};

struct backend {
	const struct backend_ops *ops;
	enum backend_type	 type;
	char			*url;
	long			 connect_timeout;
	long			 idle_timeout;
	long			 load_timeout;	/* to a chat's first byte */
	long			 request_timeout; /* a whole chat, 0 none */
	backend_wait_fn		 wait_fn;	/* may be NULL */
	void			*wait_arg;
	void			*priv;		/* the kind's own state */
	/*
	 * A header every request carries ("Authorization: Bearer KEY"), or
	 * NULL, and the secret in it, cut out of every error message.
	 */
	char			*auth;
	char			*secret;
	unsigned long		 retries;	/* after Retry-After, so far */
};

extern const struct backend_ops backend_ollama_ops;
extern const struct backend_ops backend_llama_ops;
extern const struct backend_ops backend_openai_ops;

/* Shared helpers for the kinds. */

/*
 * A transport error of a request to url+path: one that names the server
 * and says what to do when it could not be reached.
 */
struct error	*backend_transport_error(const char *server, const char *url,
		    const char *path, const char *hint, struct error *);
/*
 * The start of every chat body: {"model", "messages": [{"role",
 * "content"}...], "stream"}, in that order (Ollama's cache keys depend
 * on it).
 */
struct json	*backend_chat_json(const struct chat_request *);
/* The "error" text (or message) of a JSON error body; free it. */
char		*backend_error_text(const struct http_response *);
/*
 * A request whose reply is read whole and parsed into *out (a JSON object
 * or array); errors through the kind's transport and status_error.
 * *status (may be NULL) gets the HTTP status, 0 when there was no reply.
 */
struct error	*backend_request_json(struct backend *, const char *method,
		    const char *path, const char *body, struct json **out,
		    long *status);
/* A count or duration member: 0 unless a number in 0 .. 2^63. */
long long	 backend_json_ll(const struct json *, const char *key);
/* The error with the backend's secret, if any, cut out of its message. */
struct error	*backend_redact(const struct backend *, struct error *);

/*
 * The OpenAI chat protocol (openai.c), which llama-server speaks too.
 *
 * The options of a chat body: the adapter's PARAMETERs under their
 * OpenAI names ("stop" a list, num_predict as max_tokens; with
 * llama_extras also llama.cpp's own samplers: top_k, min_p, ...), then
 * the request's temperature, seed and num_predict, which win.
 */
void		 oai_add_options(struct json *root, const struct chat_request *,
		    int llama_extras);
/*
 * One line of a Server-Sent Events reply: "data: {chunk}", "data:
 * [DONE]", "error: {...}", blank lines and comments.
 */
struct error	*oai_event_line(struct chat_stream *, const char *line,
		    size_t len);
/*
 * One chat.completion (not streamed) or chat.completion.chunk object:
 * the answer's text, reasoning_content as thinking, finish_reason,
 * usage and llama.cpp's timings; an {"error"} object is an error.
 */
struct error	*oai_chunk(struct chat_stream *, const struct json *root);

#endif
