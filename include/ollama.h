/*
 * ollama.h: a client for Ollama's REST API (see OLLAMA-API notes in the
 * project docs).  Only this module and jsonout.c see cJSON.
 */
#ifndef LOCO_OLLAMA_H
#define LOCO_OLLAMA_H

#include <stddef.h>

#include "error.h"
#include "registry.h"

#define OLLAMA_DEFAULT_URL "http://127.0.0.1:11434"
/* The longest NDJSON line accepted (Ollama's own client allows 8 MB). */
#define OLLAMA_MAX_LINE (16u * 1024 * 1024)

/*
 * Parse an OLLAMA_HOST value the way Ollama does: quotes and spaces
 * stripped; no scheme means http and port 11434; http:// without a port
 * means 80, https:// 443; anything after host:port is a base path; a bad
 * port falls back to the default; 0.0.0.0 and :: are dialed as loopback.
 * *url gets "scheme://host:port[/path]" without a trailing slash.
 * Errors: an unsupported scheme.
 */
struct error	*ollama_host_parse(const char *text, char **url);

/* "name" -> "name:latest"; lower-cased (Ollama compares names so). */
char		*ollama_name_normalize(const char *name);
int		 ollama_name_equal(const char *a, const char *b);

struct ollama;

struct ollama	*ollama_new(const char *base_url, long connect_timeout,
		    long idle_timeout);
void		 ollama_free(struct ollama *);
const char	*ollama_url(const struct ollama *);

struct ollama_model {
	char		*name;
	char		*digest;
	long long	 size;
	char		*family;
	char		*parameter_size;
	char		*quantization;
};

struct error	*ollama_version(struct ollama *, char **version);
struct error	*ollama_tags(struct ollama *, struct ollama_model **models,
		    size_t *n);
void		 ollama_models_free(struct ollama_model *, size_t n);
/* The digest of model name in a tags list ("" if not given), or NULL. */
const char	*ollama_model_digest(const struct ollama_model *, size_t n,
		    const char *name);
/* model_info["general.architecture"] of a model (EXIT_NOMODEL if absent). */
struct error	*ollama_show_architecture(struct ollama *, const char *model,
		    char **arch);

struct chat_message {
	const char	*role;		/* system, user, assistant */
	const char	*content;
};

#define CHAT_THINK_OMIT (-1)

struct chat_request {
	const char			*model;
	const struct chat_message	*messages;
	size_t				 nmessages;
	int				 stream;
	int				 think;		/* 0, 1, CHAT_THINK_OMIT */
	const char			*keep_alive;	/* NULL: omit */
	/*
	 * options: params first (the adapter's PARAMETERs), then these,
	 * which win when set.  num_ctx is always sent so that every request
	 * has the same runner options (a change makes Ollama reload).
	 */
	const struct param		*params;
	size_t				 nparams;
	long				 num_ctx;	/* <= 0: omit */
	double				 temperature;	/* NAN: omit */
	long				 seed;		/* CONFIG_UNSET_INT: omit */
	long				 num_predict;	/* CONFIG_UNSET_INT: omit */
};

struct chat_result {
	char		*content;	/* the whole answer */
	char		*thinking;	/* the whole thinking text, or "" */
	char		*model;		/* as the server named it */
	char		*done_reason;
	long long	 total_duration;	/* nanoseconds; 0 = not sent */
	long long	 load_duration;
	long long	 prompt_eval_count;
	long long	 prompt_eval_duration;
	long long	 eval_count;
	long long	 eval_duration;
};

/* Called for each streamed piece of answer or thinking text. */
typedef struct error *(*chat_piece_fn)(const char *content, size_t clen,
    const char *thinking, size_t tlen, void *arg);

/* The JSON body ollama_chat() sends (for tests and --dry-run); free it. */
char		*ollama_chat_body(const struct chat_request *);
/*
 * POST /api/chat.  Streams pieces to fn (may be NULL) and fills res.
 * On error, res still holds what arrived before it.  Errors:
 *   EXIT_UNREACHABLE  "cannot reach Ollama at URL: is 'ollama serve' running?"
 *   EXIT_NOMODEL      "model 'NAME' not found"
 *   EXIT_INTERRUPT    "interrupted"
 *   EXIT_FAIL         HTTP errors, error lines, truncated or malformed replies
 */
struct error	*ollama_chat(struct ollama *, const struct chat_request *,
		    chat_piece_fn fn, void *arg, struct chat_result *res);
void		 chat_result_init(struct chat_result *);

/*
 * Several chats at once over libcurl's multi interface, each in a slot
 * 0 <= id < n.  chat_batch_next runs them until one ends and hands over
 * its result and error (as ollama_chat would give them); it returns 0 when
 * none is running.  SIGINT ends every running chat with "interrupted".
 */
struct chat_batch;

struct chat_batch	*chat_batch_new(struct ollama *, size_t n);
void			 chat_batch_start(struct chat_batch *, size_t id,
			    const struct chat_request *);
int			 chat_batch_next(struct chat_batch *, size_t *id,
			    struct chat_result *res, struct error **err);
/* Stop a running chat; nothing more is reported for it. */
void			 chat_batch_cancel(struct chat_batch *, size_t id);
size_t			 chat_batch_running(const struct chat_batch *);
void			 chat_batch_free(struct chat_batch *);
void		 chat_result_release(struct chat_result *);

/* Model management: what `ollama create`, `pull` and `rm` do. */

/*
 * Progress of a pull, an upload or a create: the server's status line
 * ("pulling 1a2b3c...", "writing manifest"), and bytes when it gives them.
 */
typedef void (*ollama_progress_fn)(const char *status,
    unsigned long long completed, unsigned long long total, void *arg);

/* HEAD /api/blobs/sha256:HEX: *exists 1 or 0. */
struct error	*ollama_blob_exists(struct ollama *, const char *hex,
		    int *exists);
/*
 * POST a file as blob sha256:HEX, streamed from disk.  A digest the server
 * computes differently is an EXIT_INTEGRITY error.
 */
struct error	*ollama_blob_upload(struct ollama *, const char *path,
		    const char *hex, ollama_progress_fn, void *arg);

struct ollama_create {
	const char		*model;
	const char		*from;		/* a model name, or NULL */
	/* One file each at most: {"name": "sha256:HEX"}. */
	const char		*adapter_name;
	const char		*adapter_hex;
	const char		*file_name;	/* a full GGUF (merged) */
	const char		*file_hex;
	const char		*system;
	const struct param	*params;
	size_t			 nparams;
	/*
	 * The same model as a Modelfile with blobs named "@sha256:HEX", for
	 * servers up to v0.5.4, which only take {"model", "modelfile"}.
	 */
	const char		*legacy_modelfile;
};

/* The JSON body of a create (the same text makes the same model). */
char		*ollama_create_body(const struct ollama_create *);
/*
 * POST /api/create, following its status stream to the final "success"
 * (a pull of "from" inside it may report its own success first).  A
 * server that asks for a Modelfile ("path or Modelfile are required") is
 * sent the legacy body.  *legacy tells which body worked (may be NULL).
 * Errors carry the server's text; the caller decides what a refusal of
 * adapters means.
 */
struct error	*ollama_create(struct ollama *, const struct ollama_create *,
		    ollama_progress_fn, void *arg, int *legacy);
/* POST /api/pull, with progress; EXIT_NOMODEL when the name is unknown. */
struct error	*ollama_pull(struct ollama *, const char *model,
		    ollama_progress_fn, void *arg);
/* DELETE /api/delete; EXIT_NOMODEL when there is no such model. */
struct error	*ollama_delete(struct ollama *, const char *model);

#endif
