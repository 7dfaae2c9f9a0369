/*
 * config.h: loco's configuration.  One table of keys (config.c) drives
 * parsing, defaults, validation, environment variables, `loco config` and
 * loco.yaml(5).  Precedence: built-in default < config file < environment <
 * command-line flags.
 *
 * File: $LOCO_HOME/config.yaml (LOCO_HOME defaults to ~/.locollm).  Keys may
 * be nested (inference: {reread: false}) or dotted (inference.reread: false).
 * Environment: each key KEY has LOCO_<KEY upper-cased, '.' -> '_'>
 * (LOCO_INFERENCE_REREAD); backend.host also reads OLLAMA_HOST, below
 * LOCO_BACKEND_HOST, and backend.type LOCO_BACKEND, below LOCO_BACKEND_TYPE.
 */
#ifndef LOCO_CONFIG_H
#define LOCO_CONFIG_H

#include <limits.h>
#include <stddef.h>

#include "error.h"

#define CONFIG_UNSET_INT LONG_MIN	/* an int key with no value */
/* float keys with no value hold NAN */

enum config_type {
	CONFIG_BOOL,	/* int 0/1 */
	CONFIG_INT,	/* long */
	CONFIG_FLOAT,	/* double */
	CONFIG_STRING,	/* char * (NULL = unset) */
	CONFIG_ENUM	/* char *, one of choices */
};

enum config_source {
	CONFIG_SRC_DEFAULT,
	CONFIG_SRC_FILE,
	CONFIG_SRC_ENV,
	CONFIG_SRC_FLAG
};

struct config {
	/* backend */
	char	*backend_type;		/* backend.type */
	char	*host;			/* backend.host */
	char	*llama_server;		/* backend.llama_server */
	char	*api_key_env;		/* backend.api_key_env */
	char	*base_model;		/* backend.base_model */
	long	 connect_timeout;	/* backend.connect_timeout, seconds */
	long	 timeout;		/* backend.timeout, seconds idle, 0 none */
	long	 load_timeout;		/* backend.load_timeout, to a first byte */
	long	 request_timeout;	/* backend.request_timeout, a whole answer */
	/* loco serve */
	long	 serve_port;		/* serve.port */
	long	 serve_threads;		/* serve.threads */
	long	 serve_slots;		/* serve.slots */
	/* inference */
	int	 reread;		/* inference.reread */
	long	 votes;			/* inference.votes */
	double	 vote_temperature;	/* inference.vote_temperature */
	char	*vote_method;		/* inference.vote_method */
	long	 parallel;		/* inference.parallel, unset: config_parallel() */
	int	 history;		/* inference.history */
	/* options sent to the model */
	long	 num_ctx;		/* options.num_ctx */
	char	*keep_alive;		/* options.keep_alive */
	int	 think;			/* options.think */
	double	 temperature;		/* options.temperature, NAN unset */
	long	 seed;			/* options.seed, CONFIG_UNSET_INT unset */
	long	 num_predict;		/* options.num_predict, unset */
	/* router */
	char	*router_type;		/* router.type */
	double	 router_min_score;	/* router.min_score */
	double	 router_threshold;	/* router.threshold */
	char	*router_model;		/* router.model, NULL = default */
	/* eval */
	char	*judge_model;		/* eval.judge_model, NULL = base */
	long	 judge_runs;		/* eval.judge_runs */
	double	 progress_every;	/* eval.progress_every, seconds */
	/* adapters */
	char	*index;			/* adapters.index, NULL = none */
	long	 max_download;		/* adapters.max_download, MiB */
	/* registry */
	char	*registry_path;		/* registry.path, NULL = search */
	/* sandbox */
	char	*sandbox_require;	/* sandbox.require, a policy */
	/* tools */
	long	 tools_max_rounds;	/* tools.max_rounds */
	double	 tools_timeout;		/* tools.timeout, seconds a call */
	long	 tools_memory;		/* tools.memory, MiB a call */
	long	 tools_output_max;	/* tools.output_max, bytes sent back */

	/* backends: servers by name (config_backend_choose) */
	struct config_backend	*backends;
	size_t			 nbackends;
	unsigned char		*chosen;	/* key i set by the last choice */

	/* where each key's value came from, indexed like config_keys() */
	enum config_source	*sources;
	char			*file;	/* config file read, or NULL */
};

struct config_key {
	const char		*name;	/* "inference.reread" */
	enum config_type	 type;
	const char		*def;	/* default as text, NULL = unset */
	double			 min;	/* CONFIG_INT, CONFIG_FLOAT */
	double			 max;
	const char		*choices; /* CONFIG_ENUM: "a|b|c" */
	const char		*help;	/* one line, for loco config and docs */
	size_t			 offset; /* into struct config */
};

/*
 * A named backend of config.yaml's backends mapping: a server with its
 * own backend.* keys (type, host, api_key_env, base_model, timeouts),
 * so that one run can ask models on several servers.
 */
struct config_backend {
	char	*name;
	char	**keys;		/* "backend.host" */
	char	**values;
	size_t	 n;
	int	 line;		/* in cfg->file */
};

const struct config_key	*config_keys(size_t *n);
const struct config_key	*config_key_find(const char *name);

/*
 * The context window a request can count on: options.num_ctx when set,
 * else CONFIG_DEFAULT_CTX, the least Ollama picks by itself and what loco
 * serve gives each llama-server slot.
 */
#define CONFIG_DEFAULT_CTX 4096
long		 config_context(const struct config *);

/* Defaults only. */
void		 config_init(struct config *);
void		 config_free(struct config *);
/*
 * Defaults, then $LOCO_HOME/config.yaml if it exists, then the
 * environment.  Errors name file:line:col and the key.
 */
struct error	*config_load(struct config *);
struct error	*config_load_file(struct config *, const char *path);
struct error	*config_load_env(struct config *);
/* Set one key from text (a flag or env); errors name the key and value. */
struct error	*config_set(struct config *, const char *key,
		    const char *value, enum config_source);

/*
 * Use backend which: a backend type (ollama, llama-server, openai: sets
 * backend.type) or the name of one of the backends mapping, whose keys
 * then replace backend.type, host, api_key_env and base_model (those it
 * does not give return to their defaults; the timeouts it does not give
 * stay as configured).  Set as flags; a key another flag set (--host)
 * keeps that value.  Errors (EXIT_USAGE) name the config file and the
 * nearest name.
 */
struct error	*config_backend_choose(struct config *, const char *which);
const struct config_backend *config_backend_find(const struct config *,
		    const char *name);

/* The value as text ("true", "0.7", "" for unset); caller frees. */
char		*config_value_text(const struct config *,
		    const struct config_key *);
/*
 * The value in effect: as config_value_text, but a key whose default
 * depends on others shows what it comes to (inference.parallel).
 */
char		*config_effective_text(const struct config *,
		    const struct config_key *);
/*
 * Requests in flight at once (inference.parallel): as set, else 1 on
 * Ollama (OLLAMA_NUM_PARALLEL's default) and serve.slots on llama-server.
 */
long		 config_parallel(const struct config *);
enum config_source config_source_of(const struct config *,
		    const struct config_key *);
const char	*config_source_name(enum config_source);
/* Environment variable name for a key ("LOCO_INFERENCE_REREAD"); free it. */
char		*config_env_name(const struct config_key *);

/* A config.yaml with every key at its default, commented; free it. */
char		*config_default_text(void);

/* $LOCO_HOME, else $HOME/.locollm; caller frees. */
char		*loco_home(void);

#endif
