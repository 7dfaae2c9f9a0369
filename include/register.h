/*
 * register.h: make each adapter an Ollama model, as `ollama create` would,
 * so that switching adapters is a model-name change.
 *
 *   lora     FROM the base tag + ADAPTER the GGUF (uploaded as a blob)
 *   merged   FROM the GGUF itself (uploaded as a blob)
 *   prompt   FROM the base tag, with the adapter's SYSTEM and PARAMETERs
 *   tag      an existing Ollama model, pulled if missing
 *   compose  nothing: several LoRA adapters at once, which Ollama cannot
 *            do, so only llama-server serves it
 *
 * Before anything is sent, a GGUF is checked: its header, its kind, its
 * SHA-256 against the registry's, and a LoRA's architecture against the
 * base model's (Ollama itself only fails at the first generate).
 * Registration is idempotent: the create request and the model digest are
 * remembered in $LOCO_HOME/state.json per server, so an unchanged adapter
 * costs one /api/tags for the whole run, no upload and no create.
 */
#ifndef LOCO_REGISTER_H
#define LOCO_REGISTER_H

#include "error.h"
#include "ollama.h"
#include "registry.h"

struct reg;

enum reg_outcome {
	REG_CURRENT,	/* nothing to do */
	REG_CREATED,	/* created (or pulled) now */
	REG_UPDATED,	/* existed but differed: created again */
	REG_SKIPPED	/* not for Ollama: see reg_skip_reason */
};

struct reg_counts {
	unsigned	uploads;
	unsigned	creates;
	unsigned	pulls;
	unsigned	hashed;		/* files hashed (not from the cache) */
};

/*
 * Start a session against a server: reads /api/version, /api/tags and the
 * state file.  progress (may be NULL) sees every status line.
 */
struct error	*reg_open(struct ollama *, const struct registry *,
		    ollama_progress_fn progress, void *arg, struct reg **);
const char	*reg_server_version(const struct reg *);
/* Is the model in the server's list? */
int		 reg_has_model(const struct reg *, const char *model);
/* Pull the base model if it is missing; *pulled says whether it was. */
struct error	*reg_ensure_base(struct reg *, int *pulled);
/*
 * Why an adapter has no Ollama model (a composition), or NULL: a phrase,
 * "served only by llama-server: Ollama applies one adapter per model".
 */
const char	*reg_skip_reason(const struct adapter *);
/* Register one adapter; one with a reg_skip_reason is REG_SKIPPED. */
struct error	*reg_adapter(struct reg *, const struct adapter *,
		    enum reg_outcome *);
/*
 * Without changing anything: is the adapter registered and current?
 * *why (static) says what is wrong when it is not.  One with a
 * reg_skip_reason counts as current: setup would do nothing.
 */
struct error	*reg_check(struct reg *, const struct adapter *, int *current,
		    const char **why);
/* The base model's architecture, from /api/show (cached). */
struct error	*reg_base_arch(struct reg *, const char **arch);
/* Validate an adapter's GGUF against the base, without the server. */
struct error	*reg_check_file(const struct registry *, const struct adapter *,
		    const char *base_arch);
const struct reg_counts *reg_counts(const struct reg *);
/* Save the state file and free. */
struct error	*reg_close(struct reg *);

#endif
