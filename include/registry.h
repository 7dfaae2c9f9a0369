/*
 * registry.h: the adapter registry (adapters/registry.yaml, loco-registry(5)).
 * A base_model block and a list of adapters; each adapter becomes an Ollama
 * model "loco-<name>:<version>-<base>" (adapter_model_name; for type tag,
 * the tag itself), except
 * a composition of LoRA adapters, which only llama-server can serve.
 *
 * Search order when no path is given: $LOCO_HOME/adapters/registry.yaml,
 * ./adapters/registry.yaml, then LOCO_DATADIR/adapters/registry.yaml.
 */
#ifndef LOCO_REGISTRY_H
#define LOCO_REGISTRY_H

#include <stddef.h>

#include "error.h"

enum adapter_type { ADAPTER_LORA, ADAPTER_MERGED, ADAPTER_PROMPT, ADAPTER_TAG,
	ADAPTER_COMPOSE };

/* One adapter of a composition, applied at a scale. */
struct compose_part {
	char	*adapter;	/* NAME or NAME@VERSION */
	double	 scale;		/* -4 to 4, default 1 */
	char	*where;		/* "PATH:LINE:COL" of adapter, for messages */
};

#define COMPOSE_MAX	8	/* parts of a composition */
#define COMPOSE_SCALE_MAX 4.0	/* |scale| */

struct keyword {
	char	*phrase;	/* lower case, words separated by one space */
	double	 weight;	/* default 1.0 */
};

/* The type Ollama gives an option (PARAMETER name). */
enum param_type { PARAM_UNKNOWN, PARAM_INT, PARAM_FLOAT, PARAM_BOOL,
	PARAM_STRING };

enum param_type	 param_type(const char *name);

/*
 * A model parameter (PARAMETER name value); "stop" may repeat.  A known
 * option is checked against its type when the registry is loaded and
 * sent with that JSON type however it was quoted; an unknown one is a
 * number only when written as one, unquoted.
 */
struct param {
	char	*name;
	char	*value;
	int	 is_number;	/* value parses as a number: send it as one */
};

struct score {
	char	*name;		/* "accuracy", "base_accuracy", ... */
	double	 value;
};

struct adapter {
	char			*name;
	char			*version;	/* semver */
	char			*domain;
	enum adapter_type	 type;
	char			*description;
	char			*system;	/* system prompt or NULL */
	struct keyword		*keywords;
	size_t			 nkeywords;
	struct param		*params;
	size_t			 nparams;
	char			*file;		/* lora/merged: resolved path */
	char			*sha256;	/* of file, 64 hex, or NULL */
	char			*tag;		/* type tag: the Ollama tag */
	/* type compose: several LoRA adapters at once (llama-server). */
	struct compose_part	*compose;
	size_t			 ncompose;
	char			*benchmark;	/* resolved path or NULL */
	char			*answer_type;	/* number|choice|regex|code|text */
	char			*answer_pattern; /* PCRE2, for regex */
	struct score		*scores;
	size_t			 nscores;
	/* From the last standard evaluation (installed.yaml), or NULL. */
	char			*score_sha256;	/* the benchmark's SHA-256 */
	char			*score_date;
	char			**examples;	/* router_examples, a list */
	size_t			 nexamples;
	char			*examples_file;	/* or a file of them */
	char			**tags;
	size_t			 ntags;
	int			 active;	/* default true */
	/* Tool use (tools.h): the tools it may call, and how it calls them. */
	char			**tools;	/* python, sympy */
	size_t			 ntools;
	char			*tool_format;	/* native|text, NULL: text */
	char			*model;		/* Ollama model name */
	int			 line;		/* where the entry starts */
};

struct base_model {
	/*
	 * Which weights: "Qwen3-4B-Instruct-2507".  Its words (split on '-',
	 * '_', '.' and space) must all be among those of the model's
	 * general.basename, finetune, size_label, version and name (see
	 * register.h).
	 */
	char	*name;
	char	*tag;		/* Ollama tag, "qwen3:4b" */
	char	*quantization;	/* "Q4_K_M", or NULL */
	char	*architecture;
	int	 name_line;	/* where name and quantization are */
	int	 quantization_line;
	/*
	 * The base as a GGUF file, for llama-server: a path (resolved), or
	 * a URL to download with its SHA-256.  NULL: unset.
	 */
	char	*file;
	char	*url;
	char	*sha256;
};

struct registry {
	char		*path;
	char		*dir;		/* directory of path */
	struct base_model base;
	char		**domains;
	size_t		 ndomains;
	struct adapter	*adapters;
	size_t		 nadapters;
	size_t		 nbase;		/* how many come from path itself */
};

/*
 * Load and validate a registry file.  Errors (code EXIT_CONFIG) read
 * "PATH:LINE:COL: ..." and name the key: bad YAML, unknown keys, wrong
 * types, missing required keys, duplicate names, unknown domains, bad
 * versions.  What a composition names is checked later, once the whole
 * registry is there: see registry_check_compose.
 */
struct error	*registry_load(const char *path, struct registry **out);
/*
 * Check what needs the whole registry, so call it after registry_load and
 * registry_load_installed: that each part of every composition names an
 * adapter there (NAME resolved as by registry_find), of type lora, and
 * no adapter twice.  Errors as registry_load's, at the part.
 */
struct error	*registry_check_compose(const struct registry *);
/*
 * An adapter's router_examples, from the registry's list or read now from
 * its file (one a line; blank lines and # comments skipped); free with
 * strv_free.  A file that cannot be read is an EXIT_CONFIG error.
 */
#define EXAMPLES_MAX (16u * 1024 * 1024)
struct error	*registry_examples(const struct adapter *, char ***, size_t *);
/*
 * Find the registry: explicit (if not NULL) else the search order.
 * *path is allocated.  No registry anywhere is an error naming the places
 * searched.
 */
struct error	*registry_locate(const char *explicit_path, char **path);
void		 registry_free(struct registry *);
/* Free what an adapter entry holds (not the struct itself). */
void		 adapter_release(struct adapter *);

/*
 * Add the adapter described by DIR/adapter.yaml (a package), with its
 * paths relative to DIR.  A name may repeat with another version.
 */
struct error	*registry_add_package(struct registry *, const char *dir);
/*
 * Add the adapters installed from packages: LOCO_HOME/adapters/
 * installed.yaml, written by loco itself (see loco-registry(5)), lists
 * package directories relative to itself.  It may
 * add versions of a name; among them only the highest is active, unless
 * its "active" map promotes one adapter (NAME@VERSION) for a domain, which
 * then is the only active adapter of that domain.
 */
struct error	*registry_load_installed(struct registry *, const char *path);

/*
 * "NAME": the active version of NAME, else its highest; "NAME@VERSION":
 * that version.  NULL when there is none.
 */
const struct adapter	*registry_find(const struct registry *,
			    const char *name);
/*
 * The usage error (EXIT_USAGE) for a name registry_find does not know:
 *	no adapter named 'mth' in 'PATH'; did you mean 'math'?
 * with a suggestion when an adapter's name is within two edits and
 * starts with the same letter, else "; see 'loco adapters list'".
 */
struct error		*registry_unknown(const struct registry *,
			    const char *name);
/*
 * The name registry_unknown suggests for name (any @VERSION ignored):
 * the nearest of the adapters from index from on (0: all of them,
 * r->nbase: the installed packages'), or NULL.
 */
const char		*registry_suggest(const struct registry *,
			    const char *name, size_t from);
/*
 * The active adapter of a domain: the first active one in registry order
 * (the file's adapters, then installed packages'), or NULL when the domain
 * has none.  After registry_load_installed a promotion leaves only one.
 */
const struct adapter	*registry_active(const struct registry *,
			    const char *domain);
/* Semantic version precedence: <0, 0, >0. */
int			 semver_cmp(const char *, const char *);
/* Semantic Versioning 2.0.0: 1.2.3, 1.2.3-rc.1, 1.2.3+build.5. */
int			 semver_ok(const char *);
/* An adapter name: a-z 0-9 _ . - (a letter or digit first), not too long. */
int			 reg_name_ok(const char *);
/* A domain: a lower-case word (a-z 0-9 _ -, a letter first). */
int			 reg_domain_ok(const char *);
const char		*adapter_type_name(enum adapter_type);
/*
 * The Ollama model of an adapter: "loco-<name>:<version>-<base slug>", so
 * that the same adapter registered on two bases (two registries on one
 * server) makes two models.  '+' of semver build metadata becomes '_'.  A
 * tag longer than Ollama's 80 characters is cut to 71 and ends in '-'
 * and the first 8 hex digits of the SHA-256 of the whole tag.  Caller
 * frees.
 */
#define MODEL_TAG_MAX 80
char			*adapter_model_name(const char *name,
			    const char *version, const char *base_tag);
/*
 * The base's tag as part of a tag: ":latest" dropped, every character
 * Ollama does not allow in a tag ([A-Za-z0-9_.-]) made '-'
 * ("qwen3:4b-instruct-2507-q4_K_M" -> "qwen3-4b-instruct-2507-q4_K_M").
 */
char			*adapter_base_slug(const char *base_tag);
/*
 * Which weights a model is, as its metadata says: the general.* keys of
 * its GGUF, or of Ollama's /api/show model_info.  Any may be NULL.
 */
struct weights_id {
	const char	*basename;	/* general.basename */
	const char	*finetune;	/* general.finetune */
	const char	*size_label;	/* general.size_label */
	const char	*version;	/* general.version */
	const char	*name;		/* general.name */
};

enum base_identity {
	BASE_SAME,	/* every word of base_model.name is in the metadata */
	BASE_UNKNOWN,	/* the metadata has none of the keys */
	BASE_OTHER	/* other weights */
};

/*
 * Is it the registry's base?  Real GGUFs name the same weights
 * differently (an Unsloth quant: basename "Qwen3-4B-Instruct-2507";
 * llama.cpp's converter: basename "Qwen3", finetune "Instruct", version
 * "2507"), so words are compared: those of base_model.name, split on '-',
 * '_', '.' and blanks, in any case, must all be among those of the keys.
 * *found (may be NULL): the keys present, "general.basename 'Qwen3',
 * general.finetune 'Instruct'", sanitized, or NULL when none is.
 * *missing (may be NULL): the words not found, "'instruct', '2507'", or
 * NULL.  Caller frees both.
 */
enum base_identity	 registry_base_identity(const struct base_model *,
			    const struct weights_id *, char **found,
			    char **missing);

/*
 * The name loco gave the model before names carried the base,
 * "loco-<name>:<version>", so that doctor can point at what is left.
 */
char			*adapter_legacy_model_name(const char *name,
			    const char *version);

#endif
