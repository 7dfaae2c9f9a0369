/*
 * backend.h: the servers loco asks, behind one interface.
 *
 * A backend is an inference server reached over HTTP: Ollama (the
 * default; every adapter an Ollama model, chosen by name), llama-server
 * (llama.cpp: the base loaded once with every LoRA resident, chosen per
 * request by id and scale), or any server of the OpenAI chat API (vLLM,
 * where each LoRA is a served model name; a cloud model).  Like curl's vtls or git's ref backends, each
 * kind is a table of operations (struct backend_ops, backend_int.h); the
 * rest of loco sees only this header: the request and result types, a
 * handle, and what a backend supports.
 *
 * What a request is sent to is a target: an Ollama model name, or the
 * base plus a list of LoRA ids with scales.  backend_resolve() turns a
 * registry entry (an adapter, a composition of adapters, or NULL for the
 * base model) into one, or says why it cannot.
 */
#ifndef LOCO_BACKEND_H
#define LOCO_BACKEND_H

#include <stddef.h>

#include "error.h"
#include "registry.h"

struct config;

/* The longest line of a streamed reply (Ollama's own client allows 8 MB). */
#define CHAT_MAX_LINE (16u * 1024 * 1024)

/*
 * In an EXIT_NOMODEL error: the server lists the model but a file of it
 * is gone (Ollama's "try pulling it first"); setup re-creates it.
 */
#define BACKEND_VANISHED	"a file of it is missing"

/*
 * A tool call as the server sent it (native tool calling): OpenAI's id
 * ("" when the server gives none, as Ollama), the function's name and its
 * arguments as JSON text (OpenAI streams them in pieces: joined).
 */
struct chat_tool_call {
	char	*id;
	char	*name;
	char	*arguments;
};

struct chat_message {
	const char	*role;		/* system, user, assistant, tool */
	const char	*content;
	/* assistant: the native tool calls it made, sent back as they came */
	const struct chat_tool_call *tool_calls;
	size_t		 ntool_calls;
	/* tool: the call it answers (OpenAI's tool_call_id) and its name */
	const char	*tool_call_id;
	const char	*tool_name;
};

#define CHAT_THINK_OMIT (-1)

/* One LoRA of a request: the server's id and its scale. */
struct lora_use {
	long	 id;
	double	 scale;
};

struct chat_request {
	const char			*model;
	/* llama-server: the LoRAs to apply (none: the base model). */
	const struct lora_use		*lora;
	size_t				 nlora;
	const struct chat_message	*messages;
	size_t				 nmessages;
	int				 stream;
	int				 think;		/* 0, 1, CHAT_THINK_OMIT */
	const char			*keep_alive;	/* NULL: omit */
	/*
	 * options: params first (the adapter's PARAMETERs), then these,
	 * which win when set.  num_ctx, when set, is the same on every
	 * request of a run (a change makes Ollama reload).
	 */
	const struct param		*params;
	size_t				 nparams;
	long				 num_ctx;	/* <= 0: omit */
	double				 temperature;	/* NAN: omit */
	long				 seed;		/* CONFIG_UNSET_INT: omit */
	long				 num_predict;	/* CONFIG_UNSET_INT: omit */
	/*
	 * A prompt longer than the context is an error, not trimmed by the
	 * server (chat trims the conversation itself, and says so).
	 */
	int				 no_truncate;
	/*
	 * Native tool calling: the tools the model may call, a JSON array
	 * of {"type":"function","function":{name, description,
	 * parameters}} (Ollama and the OpenAI API take the same), or NULL.
	 */
	const char			*tools;
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
	/* Native tool calls in the answer (tools.h runs them). */
	struct chat_tool_call *tool_calls;
	size_t		 ntool_calls;
};

void		 chat_result_init(struct chat_result *);
/*
 * The answer was cut at a token limit (done_reason "length": num_predict,
 * or the context is full), not finished.
 */
int		 chat_truncated(const struct chat_result *);
void		 chat_result_release(struct chat_result *);
/*
 * Tool call index of res (OpenAI's "index"; Ollama's come whole, one
 * after another): made when new.  Fields absent so far are "".
 */
struct chat_tool_call *chat_tool_call_at(struct chat_result *, size_t index);

/* Called for each streamed piece of answer or thinking text. */
typedef struct error *(*chat_piece_fn)(const char *content, size_t clen,
    const char *thinking, size_t tlen, void *arg);

/* What a kind of backend can do (backend_supports). */
enum backend_feature {
	BACKEND_MANAGE	   = 1 << 0,	/* create, pull, delete models */
	BACKEND_DIGESTS	   = 1 << 1,	/* a model's content digest */
	BACKEND_THINK	   = 1 << 2,	/* thinking kept apart, on request */
	BACKEND_KEEP_ALIVE = 1 << 3,	/* how long a model stays loaded */
	BACKEND_LORA	   = 1 << 4,	/* a LoRA chosen per request */
	BACKEND_LORA_MULTI = 1 << 5,	/* several LoRAs at once, with scales */
	BACKEND_NUM_CTX	   = 1 << 6	/* the context size chosen per request */
};

enum backend_type { BACKEND_OLLAMA, BACKEND_LLAMA_SERVER, BACKEND_OPENAI };

/* "ollama", "llama-server", "openai"; -1 for anything else. */
int		 backend_type_parse(const char *, enum backend_type *);
const char	*backend_type_name(enum backend_type);

struct backend;

/*
 * A backend of the configured kind (backend.type) for backend.host, or
 * for llama-server with no host, the server `loco serve` runs (its
 * address is read from $LOCO_HOME/serve.json).  openai needs a host (a
 * trailing /v1 is dropped: paths are appended to it) and reads its key
 * from the variable backend.api_key_env names (EXIT_CONFIG when unset).
 * Nothing is sent yet.
 */
struct error	*backend_open(const struct config *, struct backend **);
/*
 * A backend of a given kind at url (tests, and `loco serve`), with the
 * timeouts in seconds: connecting, the gap in a reply (0: none), and an
 * answer's first byte (the server's queue and the model's load; 0: none).
 */
struct backend	*backend_new(enum backend_type, const char *url,
		    long connect_timeout, long idle_timeout, long load_timeout);
void		 backend_free(struct backend *);
const char	*backend_name(const struct backend *);
enum backend_type backend_type(const struct backend *);
const char	*backend_url(const struct backend *);
int		 backend_supports(const struct backend *, unsigned features);

/*
 * A chat answered 429 or 503 with a Retry-After of at most
 * BACKEND_RETRY_MAX seconds is sent again after that wait, up to
 * BACKEND_RETRIES times (backend_chat and batches alike); then, or with
 * a longer wait asked, its error says so.  backend_retries counts them.
 */
#define BACKEND_RETRIES		3
#define BACKEND_RETRY_MAX	60
unsigned long	 backend_retries(const struct backend *);

/* What a request is sent to. */
struct backend_target {
	char		*model;		/* the request's model name */
	struct lora_use	*lora;		/* llama-server */
	size_t		 nlora;
	/* Who answers, for people and logs: "loco-math:1.0.0", "base+math". */
	char		*label;
};

/*
 * The target for a registry entry: an adapter, a composition, or NULL for
 * the base model.  Errors: EXIT_NOMODEL when the server does not have it
 * (llama-server: the adapter's file is not among its LoRAs, and the
 * message names the --lora flag that would load it; openai: the model is
 * not among /v1/models and cannot be loaded with /v1/load_lora_adapter,
 * and the message names the --lora-modules entry); EXIT_USAGE for a
 * composition on a backend that cannot apply several LoRAs.  Ollama
 * resolves without asking the server: a missing model shows when asked.
 */
struct error	*backend_resolve(struct backend *, const struct registry *,
		    const struct adapter *, struct backend_target *);
void		 backend_target_release(struct backend_target *);
/* The same model (names compared as Ollama does) and the same LoRAs. */
int		 backend_target_same(const struct backend_target *,
		    const struct backend_target *);

/*
 * What makes the same request give the same answer, for eval's cache:
 * the server's identity of what the target runs (Ollama: the model's
 * digest; llama-server: the base and adapter files' identities) or NULL
 * with an error when the target is not there (EXIT_NOMODEL).
 */
struct error	*backend_identity(struct backend *,
		    const struct backend_target *, char **id);
/*
 * The cache key of a request to a target: SHA-256 of the request's body
 * and the identity.  For Ollama this is the key loco has always used, so
 * existing caches stay valid.
 */
void		 backend_cache_key(struct backend *, const struct chat_request *,
		    const char *identity, char key[65]);

/*
 * Told while chats wait for the first byte of their answer (the server's
 * queue, the model's load): how many of the running chats wait, and how
 * long the longest of them has, in nanoseconds; waiting is 0 once none
 * does.  Called from inside backend_chat and chat_batch_next about once a
 * second, at once when an answer begins (before any of it is passed on)
 * and when a chat ends, with running 0 when the last has.
 */
typedef void (*backend_wait_fn)(size_t waiting, size_t running,
    long long waited_ns, void *arg);
void		 backend_on_wait(struct backend *, backend_wait_fn, void *arg);

/* The JSON body a chat request is sent as (tests, --dry-run); free it. */
char		*backend_chat_body(const struct backend *,
		    const struct chat_request *);

/*
 * Ask for one answer.  Streams pieces to fn (may be NULL) and fills res.
 * On error, res still holds what arrived before it.  Errors:
 *   EXIT_UNREACHABLE  "cannot reach Ollama at URL: is 'ollama serve' running?"
 *                     (or the llama-server equivalent)
 *   EXIT_NOMODEL      "model 'NAME' not found"
 *   EXIT_INTERRUPT    "interrupted"
 *   EXIT_FAIL         HTTP errors, error lines, truncated or malformed replies
 */
struct error	*backend_chat(struct backend *, const struct chat_request *,
		    chat_piece_fn fn, void *arg, struct chat_result *res);

/*
 * Several chats at once over libcurl's multi interface, each in a slot
 * 0 <= id < n.  chat_batch_next runs them until one ends and hands over
 * its result and error (as backend_chat would give them); it returns 0
 * when none is running.  SIGINT ends every running chat with
 * "interrupted".
 */
struct chat_batch;

struct chat_batch	*chat_batch_new(struct backend *, size_t n);
void			 chat_batch_start(struct chat_batch *, size_t id,
			    const struct chat_request *);
int			 chat_batch_next(struct chat_batch *, size_t *id,
			    struct chat_result *res, struct error **err);
/* Stop a running chat; nothing more is reported for it. */
void			 chat_batch_cancel(struct chat_batch *, size_t id);
size_t			 chat_batch_running(const struct chat_batch *);
void			 chat_batch_free(struct chat_batch *);

/* A model the server lists. */
struct backend_model {
	char		*name;
	char		*digest;	/* "" when the server gives none */
	long long	 size;
	char		*family;
	char		*parameter_size;
	char		*quantization;
};

/*
 * The models the server has: Ollama's tags; llama-server's base model and
 * its LoRAs (name: the file's path, with the id in family "lora N");
 * openai's /v1/models (family "lora of PARENT" for a LoRA, else "").
 */
struct error	*backend_models(struct backend *, struct backend_model **,
		    size_t *n);
void		 backend_models_free(struct backend_model *, size_t n);
/* The digest of model name in a list ("" if not given), or NULL. */
const char	*backend_model_digest(const struct backend_model *, size_t n,
		    const char *name);
/*
 * Does the target's model think (Ollama: the "thinking" capability of
 * /api/show)?  Then requests ask with think set, so that the reasoning
 * comes apart from the answer.  0 when the server cannot tell.
 */
int		 backend_thinks(struct backend *, const struct backend_target *);
/* The server's version, for doctor and setup. */
struct error	*backend_version(struct backend *, char **version);

/* The Ollama client under an Ollama backend (model management); or NULL. */
struct ollama;
struct ollama	*backend_ollama(struct backend *);

#endif
