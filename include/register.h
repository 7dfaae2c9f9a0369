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
 * base model's (Ollama itself only fails at the first generate).  The base
 * itself must be the weights the registry names (reg_base_identity): a
 * LoRA is refused on other weights of the same architecture.
 *
 * Registration is idempotent: the create request and the model digest are
 * remembered in $LOCO_HOME/state.json per server, so an unchanged adapter
 * costs no upload and no create.  Each registered model is still asked for
 * with /api/show and its blobs with HEAD, because Ollama keeps listing a
 * model whose blob vanished, and a tag may come to name other weights: such
 * a model is repaired or replaced.
 */
#ifndef LOCO_REGISTER_H
#define LOCO_REGISTER_H

#include "error.h"
#include "ollama.h"
#include "registry.h"

struct progress;
struct reg;

enum reg_outcome {
	REG_CURRENT,	/* nothing to do */
	REG_CREATED,	/* created now */
	REG_UPDATED,	/* existed but differed: created again */
	REG_SKIPPED,	/* not for Ollama: see reg_skip_reason */
	REG_REPAIRED,	/* a blob of it was missing: created again */
	REG_REPLACED,	/* built from another base: deleted, created again */
	REG_PULLED	/* a tag adapter's model was missing: pulled */
};

enum base_outcome {
	BASE_PRESENT,
	BASE_PULLED,	/* it was not there */
	BASE_REPAIRED	/* listed, but its weights blob was missing: pulled */
};


/*
 * What was done, as the outcomes say it: a create or a pull is counted
 * only when its adapter's (or the base's) outcome says so, never for one
 * that failed, so the counts are those of the lines setup prints.  An
 * upload is counted when it succeeded, even if its create then failed.
 */
struct reg_counts {
	unsigned	uploads;	/* blobs uploaded */
	unsigned	creates;	/* created, updated, repaired, replaced */
	unsigned	pulls;		/* the base pulled or repaired, tags pulled */
	unsigned	hashed;		/* files hashed (not from the cache) */
};

/*
 * Start a session against a server: reads /api/version, /api/tags and the
 * state file.  progress (may be NULL) shows each pull, upload, hashing and
 * create as a step (progress.h): begun, fed the server's status lines,
 * ended with its outcome.
 */
struct error	*reg_open(struct ollama *, const struct registry *,
		    struct progress *, struct reg **);
const char	*reg_server_version(const struct reg *);
/* Is the model in the server's list? */
int		 reg_has_model(const struct reg *, const char *model);
/*
 * Pull the base model if it is missing, or listed with its weights blob
 * gone (then models built on it work again too).
 */
struct error	*reg_ensure_base(struct reg *, enum base_outcome *);
/*
 * Is the base whole?  *missing is the hex of its weights blob when HEAD
 * says it is gone, else NULL.  (EXIT_NOMODEL when it is not there at all.)
 */
struct error	*reg_base_whole(struct reg *, const char **missing);
/*
 * Which weights the base is, from model_info (registry_base_identity).
 * *text: for
 * BASE_SAME what was found, else a sentence saying what was found and
 * expected, naming the registry's line.  *quant: NULL, or a sentence when
 * details.quantization_level differs from base_model.quantization (a
 * warning: a LoRA applies to any quantization of its weights, but the
 * registry's scores were measured on one).  Strings are owned by the reg.
 */
struct error	*reg_base_identity(struct reg *, enum base_identity *,
		    const char **text, const char **quant);
/*
 * Why an adapter has no Ollama model (a composition), or NULL: a phrase,
 * "served only by llama-server: Ollama applies one adapter per model".
 */
const char	*reg_skip_reason(const struct adapter *);
/*
 * Register one adapter; one with a reg_skip_reason is REG_SKIPPED.  A
 * LoRA adapter on a base of BASE_OTHER identity is an EXIT_INTEGRITY
 * error.  For REG_REPAIRED and REG_REPLACED, reg_reason says why.
 */
struct error	*reg_ensure_adapter(struct reg *, const struct adapter *,
		    enum reg_outcome *);
/* Why the last reg_ensure_adapter repaired or replaced its model, or NULL. */
const char	*reg_reason(const struct reg *);
/*
 * Without changing anything: is the adapter registered, whole, built on
 * the base, and current?  *why (static or owned by the reg until the next
 * call) says what is wrong when it is not.  One with a
 * reg_skip_reason counts as current: setup would do nothing.
 */
struct error	*reg_check(struct reg *, const struct adapter *, int *current,
		    const char **why);
/* The base model's architecture, from /api/show (asked once). */
struct error	*reg_base_arch(struct reg *, const char **arch);
/* Validate an adapter's GGUF against the base, without the server. */
struct error	*reg_check_file(const struct registry *, const struct adapter *,
		    const char *base_arch);
const struct reg_counts *reg_counts(const struct reg *);
/* Save the state file and free. */
struct error	*reg_close(struct reg *);

#endif
