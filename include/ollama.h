/*
 * ollama.h: a client for Ollama's REST API (see OLLAMA-API notes in the
 * project docs): host names, model management (what `ollama create`,
 * `pull` and `rm` do), and the Ollama backend (backend_ollama_ops, chat
 * over /api/chat; reached through backend.h).
 */
#ifndef LOCO_OLLAMA_H
#define LOCO_OLLAMA_H

#include <stddef.h>

#include "backend.h"
#include "error.h"
#include "registry.h"

#define OLLAMA_DEFAULT_URL "http://127.0.0.1:11434"

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

struct error	*ollama_version(struct ollama *, char **version);
struct error	*ollama_tags(struct ollama *, struct backend_model **models,
		    size_t *n);
/*
 * What /api/show says about a model: which weights it is (model_info's
 * general.* keys), its quantization, and the blobs its modelfile names
 * ("FROM /.../blobs/sha256-HEX", "ADAPTER ..."), as 64 hex digits.  Any
 * of them may be NULL.  A model Ollama does not know is EXIT_NOMODEL.
 */
struct ollama_show {
	char	*architecture;	/* general.architecture */
	char	*basename;	/* general.basename */
	char	*finetune;	/* general.finetune */
	char	*size_label;	/* general.size_label */
	char	*version;	/* general.version */
	char	*name;		/* general.name */
	char	*quantization;	/* details.quantization_level */
	char	*from_blob;	/* the weights */
	char	*adapter_blob;
};

struct error	*ollama_show(struct ollama *, const char *model,
		    struct ollama_show *);
void		 ollama_show_release(struct ollama_show *);
/* model_info["general.architecture"] of a model (EXIT_NOMODEL if absent). */
struct error	*ollama_show_architecture(struct ollama *, const char *model,
		    char **arch);

/* The JSON body of a chat request to /api/chat; free it. */
char		*ollama_chat_body(const struct chat_request *);

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
