/*
 * config.c: loco's configuration.  The key table below is the one place a
 * key is described: its type, default, range and help drive parsing of
 * config.yaml, environment variables, flags, `loco config` and the man page
 * (a test checks loco.yaml(5) against it).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "sandbox.h"
#include "strbuf.h"
#include "util.h"
#include "ydoc.h"
#include "banned.h"

#define OFF(field) offsetof(struct config, field)

static const struct config_key config_table[] = {
	{ "backend.type", CONFIG_ENUM, "ollama", 0, 0,
	  "ollama|llama-server|openai",
	  "the inference server: ollama, llama-server (llama.cpp, every "
	  "adapter resident; see loco serve), or openai (any server of the "
	  "OpenAI chat API: vLLM, a cloud model)", OFF(backend_type) },
	{ "backend.host", CONFIG_STRING, "http://127.0.0.1:11434", 0, 0, NULL,
	  "server URL (OLLAMA_HOST syntax); for llama-server, unset means "
	  "the one loco serve runs", OFF(host) },
	{ "backend.connect_timeout", CONFIG_INT, "10", 1, 3600, NULL,
	  "seconds to wait for the connection", OFF(connect_timeout) },
	{ "backend.timeout", CONFIG_INT, "600", 0, 86400, NULL,
	  "seconds with no data from the server before giving up; for an "
	  "answer, the gap between chunks once it flows (0 = never)",
	  OFF(timeout) },
	{ "backend.load_timeout", CONFIG_INT, "900", 0, 86400, NULL,
	  "seconds to wait for an answer's first byte: the server's queue and "
	  "the model's load (0 = never); Ollama gives up a load that stalls "
	  "for 5 minutes, and a queued request waits for those ahead too",
	  OFF(load_timeout) },
	{ "backend.request_timeout", CONFIG_INT, "3600", 0, 604800, NULL,
	  "seconds for a whole answer, from the request sent to its last "
	  "byte, so that a server trickling blank lines cannot keep loco "
	  "waiting (0 = never)", OFF(request_timeout) },
	{ "backend.api_key_env", CONFIG_STRING, NULL, 0, 0, NULL,
	  "openai: the environment variable that holds the API key, sent as "
	  "a bearer token (the key itself is never in a file)",
	  OFF(api_key_env) },
	{ "backend.base_model", CONFIG_STRING, NULL, 0, 0, NULL,
	  "openai: the served name of the base model, when it is not the "
	  "registry's base_model.tag (Qwen/Qwen3-4B-Instruct-2507)",
	  OFF(base_model) },
	{ "backend.llama_server", CONFIG_STRING, NULL, 0, 0, NULL,
	  "the llama-server binary loco serve runs (default: llama-server "
	  "on PATH)", OFF(llama_server) },
	{ "serve.port", CONFIG_INT, "0", 0, 65535, NULL,
	  "loopback port for loco serve (0: a free one)", OFF(serve_port) },
	{ "serve.threads", CONFIG_INT, "0", 0, 1024, NULL,
	  "CPU threads for llama-server (0: its default)", OFF(serve_threads) },
	{ "serve.slots", CONFIG_INT, "4", 1, 64, NULL,
	  "requests llama-server answers at once (-np), each with num_ctx "
	  "tokens of context", OFF(serve_slots) },
	{ "inference.reread", CONFIG_BOOL, "true", 0, 0, NULL,
	  "repeat the question (RE2 prompting)", OFF(reread) },
	{ "inference.votes", CONFIG_INT, "1", 1, 64, NULL,
	  "samples per question for self-consistency voting", OFF(votes) },
	{ "inference.vote_temperature", CONFIG_FLOAT, "0.7", 0, 2, NULL,
	  "sampling temperature for the votes", OFF(vote_temperature) },
	{ "inference.vote_method", CONFIG_ENUM, "majority", 0, 0,
	  "majority|best_of_n|medoid|tests",
	  "how the votes pick an answer", OFF(vote_method) },
	{ "inference.parallel", CONFIG_INT, NULL, 1, 64, NULL,
	  "requests in flight at once: vote samples, eval --jobs (unset: 1 "
	  "on Ollama, which answers one at a time unless OLLAMA_NUM_PARALLEL "
	  "says more; serve.slots on llama-server; 1 on openai, where a vLLM "
	  "server wants many)", OFF(parallel) },
	{ "inference.history", CONFIG_BOOL, "true", 0, 0, NULL,
	  "append every question and answer to $LOCO_HOME/history.jsonl",
	  OFF(history) },
	{ "options.num_ctx", CONFIG_INT, NULL, 256, 1048576, NULL,
	  "context window in tokens, sent on every request when set (unset: "
	  "the server's choice, 4096 or more on Ollama; chat asks for more "
	  "when a conversation needs it; a change reloads the model)",
	  OFF(num_ctx) },
	{ "options.keep_alive", CONFIG_STRING, "5m", 0, 0, NULL,
	  "how long Ollama keeps the model loaded (5m, 1h, -1 = forever)",
	  OFF(keep_alive) },
	{ "options.think", CONFIG_BOOL, "false", 0, 0, NULL,
	  "show a thinking model's reasoning (it is always kept apart from "
	  "the answer)", OFF(think) },
	{ "options.temperature", CONFIG_FLOAT, NULL, 0, 2, NULL,
	  "sampling temperature (unset: the model's default)",
	  OFF(temperature) },
	{ "options.seed", CONFIG_INT, NULL, -2147483648.0, 2147483647.0, NULL,
	  "random seed (unset: random)", OFF(seed) },
	{ "options.num_predict", CONFIG_INT, NULL, -2, 1000000, NULL,
	  "most tokens to generate (-1 = no limit, like Ollama)",
	  OFF(num_predict) },
	{ "router.type", CONFIG_ENUM, "auto", 0, 0, "keyword|classifier|auto",
	  "how the router picks an adapter (auto: the classifier when a "
	  "current model exists, else keywords)", OFF(router_type) },
	{ "router.threshold", CONFIG_FLOAT, "0.5", 0, 1, NULL,
	  "classifier probability below which the keyword router decides",
	  OFF(router_threshold) },
	{ "router.model", CONFIG_STRING, NULL, 0, 0, NULL,
	  "router model file (default: $LOCO_HOME/router.model)",
	  OFF(router_model) },
	{ "router.min_score", CONFIG_FLOAT, "1.0", 0, 1000, NULL,
	  "keyword score an adapter needs before the router picks it "
	  "(below: base model)", OFF(router_min_score) },
	{ "eval.judge_model", CONFIG_STRING, NULL, 0, 0, NULL,
	  "model that scores llm_judge cases (default: the base model)",
	  OFF(judge_model) },
	{ "eval.judge_runs", CONFIG_INT, "3", 1, 10, NULL,
	  "judge runs per llm_judge case, averaged", OFF(judge_runs) },
	{ "eval.progress_every", CONFIG_FLOAT, "10", 0, 3600, NULL,
	  "seconds between eval's progress lines when stderr is not a "
	  "terminal (0: none)", OFF(progress_every) },
	{ "adapters.index", CONFIG_STRING, NULL, 0, 0, NULL,
	  "package index for 'loco adapters' (a path or URL)", OFF(index) },
	{ "adapters.max_download", CONFIG_INT, "16384", 1, 1073741824, NULL,
	  "MiB a package download may take when the index gives no size",
	  OFF(max_download) },
	{ "registry.path", CONFIG_STRING, NULL, 0, 0, NULL,
	  "registry file to use instead of the search order",
	  OFF(registry_path) },
	{ "sandbox.require", CONFIG_STRING, "essential", 0, 0, NULL,
	  "protections model code needs before it runs: essential, none "
	  "or protection names", OFF(sandbox_require) },
	{ "tools.max_rounds", CONFIG_INT, "4", 1, 32, NULL,
	  "rounds of tool calls in one answer; a call after the last is not "
	  "run (the answer is the text before it, with a note)",
	  OFF(tools_max_rounds) },
	{ "tools.timeout", CONFIG_FLOAT, "10", 0.1, 600, NULL,
	  "seconds of wall clock a tool call may run in the sandbox",
	  OFF(tools_timeout) },
	{ "tools.memory", CONFIG_INT, "512", 16, 65536, NULL,
	  "MiB of address space a tool call may use", OFF(tools_memory) },
	{ "tools.output_max", CONFIG_INT, "4096", 64, 1048576, NULL,
	  "bytes of a tool's result sent back to the model; the rest is cut, "
	  "and the model told how much", OFF(tools_output_max) },
};

const struct config_key *
config_keys(size_t *n)
{
	*n = ARRAY_SIZE(config_table);
	return config_table;
}

const struct config_key *
config_key_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(config_table); i++)
		if (strcmp(config_table[i].name, name) == 0)
			return &config_table[i];
	return NULL;
}

static size_t
config_index(const struct config_key *k)
{
	return (size_t)(k - config_table);
}

#define FIELD(cfg, k, type) ((type *)(void *)((char *)(cfg) + (k)->offset))

/* Is name a section ("inference") of some key? */
static int
config_is_section(const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < ARRAY_SIZE(config_table); i++)
		if (strncmp(config_table[i].name, name, len) == 0 &&
		    config_table[i].name[len] == '.')
			return 1;
	return 0;
}

/* "unknown key 'x'" with a hint naming the nearest key or section. */
static char *
config_unknown_msg(const char *name)
{
	const char *cands[ARRAY_SIZE(config_table) * 2];
	const char *hint;
	char *sections[ARRAY_SIZE(config_table)], *safe, *msg;
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(config_table); i++) {
		const char *dot = strchr(config_table[i].name, '.');

		sections[i] = xstrndup(config_table[i].name,
		    (size_t)(dot - config_table[i].name));
		cands[n++] = config_table[i].name;
		cands[n++] = sections[i];
	}
	hint = str_suggest(name, cands, n);
	safe = str_sanitize(name, 80);
	if (hint != NULL)
		msg = xasprintf("unknown key '%s'; did you mean '%s'?", safe,
		    hint);
	else
		msg = xasprintf("unknown key '%s'", safe);
	free(safe);
	for (i = 0; i < ARRAY_SIZE(config_table); i++)
		free(sections[i]);
	return msg;
}

/*
 * Ollama's keep_alive: a number of seconds, or a Go duration ("30s", "5m",
 * "1h30m", "1.5h", "-1m").
 */
static int
config_is_duration(const char *s)
{
	/* Go's time.ParseDuration: micro is u, U+00B5 or U+03BC. */
	static const char *units[] = { "ns", "us", "\xc2\xb5s", "\xce\xbcs",
	    "ms", "s", "m", "h" };
	long l;
	size_t i, n;
	int digits;

	if (parse_long(s, LONG_MIN, LONG_MAX, &l) == 0)
		return 1;
	if (*s == '-' || *s == '+')
		s++;
	if (*s == '\0')
		return 0;
	while (*s != '\0') {
		digits = 0;
		while (isdigit((unsigned char)*s)) {
			s++;
			digits = 1;
		}
		if (*s == '.') {
			s++;
			while (isdigit((unsigned char)*s)) {
				s++;
				digits = 1;
			}
		}
		if (!digits)
			return 0;
		/* Longest unit first so "ms" is not read as "m". */
		n = 0;
		for (i = 0; i < ARRAY_SIZE(units); i++) {
			size_t len = strlen(units[i]);

			if (len > n && strncmp(s, units[i], len) == 0)
				n = len;
		}
		if (n == 0)
			return 0;
		s += n;
	}
	return 1;
}

/* "a, b, c" from "a|b|c". */
static char *
config_choices_list(const char *choices)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;

	for (p = choices; *p != '\0'; p++) {
		if (*p == '|')
			strbuf_addstr(&sb, ", ");
		else
			strbuf_addch(&sb, *p);
	}
	return strbuf_detach(&sb, NULL);
}

static int
config_is_choice(const char *choices, const char *value)
{
	size_t len = strlen(value);
	const char *p = choices;

	if (len == 0 || strchr(value, '|') != NULL)
		return 0;
	while ((p = strstr(p, value)) != NULL) {
		if ((p == choices || p[-1] == '|') &&
		    (p[len] == '\0' || p[len] == '|'))
			return 1;
		p += len;
	}
	return 0;
}

/* Check value for key k and store it; an error names the key. */
static struct error *
config_assign(struct config *cfg, const struct config_key *k,
    const char *value)
{
	struct error *err = NULL;
	char *safe = str_sanitize(value, 80), *list;
	long l;
	double d;
	int b;

	switch (k->type) {
	case CONFIG_BOOL:
		if (parse_bool(value, &b) == -1) {
			err = error_new(EXIT_CONFIG,
			    "'%s' must be true or false, not '%s'", k->name,
			    safe);
			break;
		}
		*FIELD(cfg, k, int) = b;
		break;
	case CONFIG_INT:
		if (parse_long(value, (long)k->min, (long)k->max, &l) == -1) {
			err = error_new(EXIT_CONFIG,
			    "'%s' must be an integer from %.15g to %.15g, "
			    "not '%s'", k->name, k->min, k->max, safe);
			break;
		}
		*FIELD(cfg, k, long) = l;
		break;
	case CONFIG_FLOAT:
		if (parse_double(value, k->min, k->max, &d) == -1) {
			err = error_new(EXIT_CONFIG,
			    "'%s' must be a number from %.15g to %.15g, "
			    "not '%s'", k->name, k->min, k->max, safe);
			break;
		}
		*FIELD(cfg, k, double) = d;
		break;
	case CONFIG_ENUM:
		if (!config_is_choice(k->choices, value)) {
			list = config_choices_list(k->choices);
			err = error_new(EXIT_CONFIG,
			    "'%s' must be one of %s, not '%s'", k->name, list,
			    safe);
			free(list);
			break;
		}
		free(*FIELD(cfg, k, char *));
		*FIELD(cfg, k, char *) = xstrdup(value);
		break;
	case CONFIG_STRING:
		if (*value == '\0') {
			err = error_new(EXIT_CONFIG, "'%s' must not be empty",
			    k->name);
			break;
		}
		/* A URL or path with CR/LF would be echoed, or sent. */
		if (str_has_control(value, "")) {
			err = error_new(EXIT_CONFIG, "'%s' must not hold control "
			    "characters (a line break?): '%s'", k->name, safe);
			break;
		}
		if (strcmp(k->name, "options.keep_alive") == 0 &&
		    !config_is_duration(value)) {
			err = error_new(EXIT_CONFIG,
			    "'%s' must be a duration like 5m or a number of "
			    "seconds, not '%s'", k->name, safe);
			break;
		}
		if (strcmp(k->name, "sandbox.require") == 0) {
			struct sandbox_policy p;

			if ((err = sandbox_policy_parse(value, &p)) != NULL) {
				err = error_prefix(err, "'%s'", k->name);
				break;
			}
		}
		free(*FIELD(cfg, k, char *));
		*FIELD(cfg, k, char *) = xstrdup(value);
		break;
	}
	free(safe);
	return err;
}

long
config_context(const struct config *cfg)
{
	return cfg->num_ctx > 0 ? cfg->num_ctx : CONFIG_DEFAULT_CTX;
}

/* Key k at its built-in default. */
static void
config_default(struct config *cfg, const struct config_key *k)
{
	struct error *err;

	cfg->sources[config_index(k)] = CONFIG_SRC_DEFAULT;
	if (k->def != NULL) {
		if ((err = config_assign(cfg, k, k->def)) != NULL)
			fatal("bad default for %s: %s", k->name, err->msg);
		return;
	}
	switch (k->type) {
	case CONFIG_INT:
		*FIELD(cfg, k, long) = CONFIG_UNSET_INT;
		break;
	case CONFIG_FLOAT:
		*FIELD(cfg, k, double) = NAN;
		break;
	case CONFIG_BOOL:
		*FIELD(cfg, k, int) = 0;
		break;
	case CONFIG_STRING:
	case CONFIG_ENUM:
		free(*FIELD(cfg, k, char *));
		*FIELD(cfg, k, char *) = NULL;
		break;
	}
}

void
config_init(struct config *cfg)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->sources = xcalloc(ARRAY_SIZE(config_table),
	    sizeof(*cfg->sources));
	cfg->chosen = xcalloc(ARRAY_SIZE(config_table), 1);
	for (i = 0; i < ARRAY_SIZE(config_table); i++)
		config_default(cfg, &config_table[i]);
}

void
config_free(struct config *cfg)
{
	const struct config_key *k;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(config_table); i++) {
		k = &config_table[i];
		if (k->type == CONFIG_STRING || k->type == CONFIG_ENUM) {
			free(*FIELD(cfg, k, char *));
			*FIELD(cfg, k, char *) = NULL;
		}
	}
	for (i = 0; i < cfg->nbackends; i++) {
		free(cfg->backends[i].name);
		strv_free(cfg->backends[i].keys, cfg->backends[i].n);
		strv_free(cfg->backends[i].values, cfg->backends[i].n);
	}
	free(cfg->backends);
	cfg->backends = NULL;
	cfg->nbackends = 0;
	free(cfg->sources);
	cfg->sources = NULL;
	free(cfg->chosen);
	cfg->chosen = NULL;
	free(cfg->file);
	cfg->file = NULL;
}

struct error *
config_set(struct config *cfg, const char *key, const char *value,
    enum config_source src)
{
	const struct config_key *k;
	struct error *err;
	char *msg;

	if ((k = config_key_find(key)) == NULL) {
		msg = config_unknown_msg(key);
		err = error_new(EXIT_CONFIG, "%s", msg);
		free(msg);
		return err;
	}
	if ((err = config_assign(cfg, k, value)) != NULL)
		return err;
	cfg->sources[config_index(k)] = src;
	cfg->chosen[config_index(k)] = 0;
	return NULL;
}

/* A backend type's name: not a name for a server of backends. */
static int
config_is_type(const char *s)
{
	const struct config_key *k = config_key_find("backend.type");

	return config_is_choice(k->choices, s);
}

/*
 * backends: {NAME: {KEY: VALUE, ...}, ...}, each KEY one of backend.*,
 * each value checked as that key would be.
 */
static struct error *
config_load_backends(struct config *cfg, const char *path,
    const struct ynode *map)
{
	const struct config_key *k;
	struct config_backend *cb;
	struct config scratch;
	struct error *err = NULL;
	const struct ynode *ent;
	const char *nm, *p;
	char *key;
	size_t i, m;

	if (map->type != YNODE_MAP)
		return ydoc_error(path, map, "'backends' must be a mapping of "
		    "names to servers: backends: {lab: {type: openai, host: "
		    "...}}");
	config_init(&scratch);
	for (i = 0; i < map->nents && err == NULL; i++) {
		nm = map->ents[i].key->value;
		ent = map->ents[i].value;
		for (p = nm; *p != '\0'; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' &&
			    *p != '_' && *p != '.')
				break;
		if (*nm == '\0' || *p != '\0' || strlen(nm) > 64) {
			char *safe = str_sanitize(nm, 80);

			err = ydoc_error(path, map->ents[i].key, "backend name "
			    "'%s': use letters, digits, '-', '_' and '.' (it is "
			    "written before the model: NAME:MODEL)", safe);
			free(safe);
			break;
		}
		if (config_is_type(nm)) {
			err = ydoc_error(path, map->ents[i].key, "backend name "
			    "'%s' is a backend type; name the server another "
			    "way (lab, cloud)", nm);
			break;
		}
		if (ent->type != YNODE_MAP) {
			err = ydoc_error(path, ent, "backends.%s must be a "
			    "mapping of backend keys (type, host, api_key_env, "
			    "base_model, ...)", nm);
			break;
		}
		cfg->backends = xreallocarray(cfg->backends,
		    cfg->nbackends + 1, sizeof(*cfg->backends));
		cb = &cfg->backends[cfg->nbackends++];
		memset(cb, 0, sizeof(*cb));
		cb->name = xstrdup(nm);
		cb->line = map->ents[i].key->line;
		cb->keys = xcalloc(ent->nents + 1, sizeof(*cb->keys));
		cb->values = xcalloc(ent->nents + 1, sizeof(*cb->values));
		for (m = 0; m < ent->nents && err == NULL; m++) {
			const struct ymapent *kv = &ent->ents[m];

			key = xasprintf("backend.%s", kv->key->value);
			if ((k = config_key_find(key)) == NULL) {
				const char *cands[ARRAY_SIZE(config_table)];
				const char *hint;
				size_t c, nc = 0;

				for (c = 0; c < ARRAY_SIZE(config_table); c++)
					if (str_startswith(config_table[c].name,
					    "backend."))
						cands[nc++] =
						    config_table[c].name + 8;
				hint = str_suggest(kv->key->value, cands, nc);
				/* The key itself has no place in the file. */
				if (strcmp(key + 8, "api_key") == 0 ||
				    strcmp(key + 8, "key") == 0)
					err = ydoc_error(path, kv->key,
					    "backends.%s: unknown key '%s': put "
					    "the key in an environment variable "
					    "and name that in api_key_env", nm,
					    key + 8);
				else
					err = ydoc_error(path, kv->key,
					    "backends.%s: unknown key '%s'%s%s%s",
					    nm, key + 8, hint ? "; did you mean '" :
					    "", hint ? hint : "", hint ? "'?" : "");
			} else if (kv->value->type != YNODE_SCALAR ||
			    ydoc_is_null(kv->value))
				err = ydoc_error(path, kv->value, "backends.%s.%s "
				    "must be a scalar value", nm, key + 8);
			else if ((err = config_set(&scratch, key,
			    kv->value->value, CONFIG_SRC_FILE)) != NULL)
				err = error_prefix(err, "%s:%d:%d: backends.%s",
				    path, kv->value->line, kv->value->col, nm);
			else {
				cb->keys[cb->n] = xstrdup(key);
				cb->values[cb->n++] = xstrdup(kv->value->value);
			}
			free(key);
		}
	}
	config_free(&scratch);
	return err;
}

/*
 * Walk one mapping; prefix is the dotted name of the map ("" at the top).
 * seen[i]: the line that gave key i in this file, so that a key given
 * twice ("backend.host:" and "backend: {host:}") is an error, not a
 * silent choice.
 */
static struct error *
config_load_map(struct config *cfg, const char *path, const struct ynode *map,
    const char *prefix, int *seen)
{
	struct error *err = NULL;
	const struct config_key *k;
	const struct ymapent *e;
	char *name, *msg;
	size_t i;

	for (i = 0; i < map->nents && err == NULL; i++) {
		e = &map->ents[i];
		name = *prefix ? xasprintf("%s.%s", prefix, e->key->value) :
		    xstrdup(e->key->value);
		if (strcmp(name, "backends") == 0) {
			if (!ydoc_is_null(e->value))
				err = config_load_backends(cfg, path, e->value);
		} else if ((k = config_key_find(name)) != NULL) {
			if (seen[config_index(k)] > 0)
				err = ydoc_error(path, e->key, "'%s' is given "
				    "twice (line %d and here): keep one",
				    name, seen[config_index(k)]);
			else
				seen[config_index(k)] = e->key->line;
			if (err != NULL)
				;
			else if (ydoc_is_null(e->value))
				;	/* "key:" with nothing: keep the default */
			else if (e->value->type != YNODE_SCALAR)
				err = ydoc_error(path, e->value,
				    "'%s' must be a scalar value", name);
			else if ((err = config_set(cfg, name, e->value->value,
			    CONFIG_SRC_FILE)) != NULL)
				err = error_prefix(err, "%s:%d:%d", path,
				    e->value->line, e->value->col);
		} else if (config_is_section(name)) {
			if (ydoc_is_null(e->value))
				;
			else if (e->value->type != YNODE_MAP)
				err = ydoc_error(path, e->value,
				    "'%s' must be a mapping", name);
			else
				err = config_load_map(cfg, path, e->value,
				    name, seen);
		} else {
			msg = config_unknown_msg(name);
			err = ydoc_error(path, e->key, "%s", msg);
			free(msg);
		}
		free(name);
	}
	return err;
}

struct error *
config_load_file(struct config *cfg, const char *path)
{
	struct ynode *root;
	struct error *err;

	if ((err = ydoc_parse_file(path, &root)) != NULL)
		return err;
	free(cfg->file);
	cfg->file = xstrdup(path);
	if (ydoc_is_null(root))
		err = NULL;
	else if (root->type != YNODE_MAP)
		err = ydoc_error(path, root,
		    "the top level must be a mapping of keys to values");
	else {
		int seen[ARRAY_SIZE(config_table)] = { 0 };

		err = config_load_map(cfg, path, root, "", seen);
	}
	ydoc_free(root);
	return err;
}

static struct error *
config_env_one(struct config *cfg, const struct config_key *k,
    const char *var)
{
	const char *v = getenv(var);
	struct error *err;

	/* An empty variable is the usual shell way of saying "not set". */
	if (v == NULL || *v == '\0')
		return NULL;
	if ((err = config_set(cfg, k->name, v, CONFIG_SRC_ENV)) != NULL)
		return error_prefix(err, "environment variable %s", var);
	return NULL;
}

/*
 * LOCO_BACKEND naming a server of the backends mapping, as --backend
 * does; then the LOCO_BACKEND_* variables (not OLLAMA_HOST, which names
 * an Ollama) win over it, as --host does and LOCO_BACKEND_TYPE does
 * over a type in LOCO_BACKEND.
 */
static struct error *
config_env_backend(struct config *cfg)
{
	const char *v = getenv("LOCO_BACKEND");
	struct error *err;
	char *var;
	size_t i;

	if (v == NULL || *v == '\0' || config_is_type(v))
		return NULL;
	if ((err = config_backend_choose(cfg, v)) != NULL) {
		err->code = EXIT_CONFIG;
		return error_prefix(err, "environment variable LOCO_BACKEND");
	}
	for (i = 0; i < ARRAY_SIZE(config_table) && err == NULL; i++) {
		if (!str_startswith(config_table[i].name, "backend."))
			continue;
		var = config_env_name(&config_table[i]);
		err = config_env_one(cfg, &config_table[i], var);
		free(var);
	}
	return err;
}

struct error *
config_load_env(struct config *cfg)
{
	const struct config_key *k;
	struct error *err;
	const char *v;
	char *var;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(config_table); i++) {
		k = &config_table[i];
		/* Honour Ollama's own variable, but let ours override it. */
		if (strcmp(k->name, "backend.host") == 0 &&
		    (err = config_env_one(cfg, k, "OLLAMA_HOST")) != NULL)
			return err;
		/* LOCO_BACKEND=llama-server, as short as OLLAMA_HOST. */
		if (strcmp(k->name, "backend.type") == 0 &&
		    (v = getenv("LOCO_BACKEND")) != NULL && config_is_type(v) &&
		    (err = config_env_one(cfg, k, "LOCO_BACKEND")) != NULL)
			return err;
		var = config_env_name(k);
		err = config_env_one(cfg, k, var);
		free(var);
		if (err != NULL)
			return err;
	}
	return config_env_backend(cfg);
}

struct error *
config_load(struct config *cfg)
{
	struct error *err;
	struct stat st;
	char *home, *path;

	config_init(cfg);
	home = loco_home();
	path = xasprintf("%s/config.yaml", home);
	free(home);
	/* No file is the normal first-run state; any other problem is not. */
	if (stat(path, &st) == -1 && errno == ENOENT)
		err = NULL;
	else
		err = config_load_file(cfg, path);
	free(path);
	if (err != NULL)
		return err;
	return config_load_env(cfg);
}

const struct config_backend *
config_backend_find(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nbackends; i++)
		if (strcmp(cfg->backends[i].name, name) == 0)
			return &cfg->backends[i];
	return NULL;
}

/* "unknown backend 'x'", saying where names come from, and the nearest. */
static struct error *
config_backend_unknown(const struct config *cfg, const char *name)
{
	const char **cands = xcalloc(cfg->nbackends + 1, sizeof(*cands));
	char *safe = str_sanitize(name, 80), *home, *path;
	const char *hint;
	struct error *err;
	size_t i;

	for (i = 0; i < cfg->nbackends; i++)
		cands[i] = cfg->backends[i].name;
	hint = str_suggest(name, cands, cfg->nbackends);
	home = loco_home();
	path = cfg->file ? xstrdup(cfg->file) :
	    xasprintf("%s/config.yaml", home);
	if (hint != NULL)
		err = error_new(EXIT_USAGE, "no backend '%s' in %s; did you "
		    "mean '%s'?", safe, path, hint);
	else if (cfg->nbackends > 0) {
		struct strbuf sb = STRBUF_INIT;

		for (i = 0; i < cfg->nbackends; i++)
			strbuf_addf(&sb, "%s%s", i ? ", " : "", cands[i]);
		err = error_new(EXIT_USAGE, "no backend '%s' in %s, which "
		    "names %s (and the types are ollama, llama-server and "
		    "openai)", safe, path, sb.buf);
		strbuf_release(&sb);
	} else
		err = error_new(EXIT_USAGE, "no backend '%s': not a type "
		    "(ollama, llama-server, openai), and %s names no servers "
		    "under 'backends:' (see loco.yaml(5))", safe, path);
	free(home);
	free(path);
	free(safe);
	free(cands);
	return err;
}

struct error *
config_backend_choose(struct config *cfg, const char *which)
{
	/* What a server is; a named one that does not say takes defaults. */
	static const char *const own[] = { "backend.type", "backend.host",
	    "backend.api_key_env", "backend.base_model" };
	const struct config_backend *cb;
	const struct config_key *k;
	struct error *err;
	size_t i;

	if (config_is_type(which))
		return config_set(cfg, "backend.type", which, CONFIG_SRC_FLAG);
	if ((cb = config_backend_find(cfg, which)) == NULL)
		return config_backend_unknown(cfg, which);
	/* The type is the server's; a --host given with it wins. */
#define KEPT(k) (cfg->sources[config_index(k)] == CONFIG_SRC_FLAG && \
	!cfg->chosen[config_index(k)] && strcmp((k)->name, "backend.type") != 0)
	for (i = 0; i < ARRAY_SIZE(own); i++) {
		k = config_key_find(own[i]);
		if (!KEPT(k)) {
			config_default(cfg, k);
			cfg->chosen[config_index(k)] = 1;
		}
	}
	for (i = 0; i < cb->n; i++) {
		k = config_key_find(cb->keys[i]);
		if (KEPT(k))
			continue;
		if ((err = config_set(cfg, k->name, cb->values[i],
		    CONFIG_SRC_FLAG)) != NULL)
			return error_prefix(err, "backends.%s", cb->name);
		cfg->chosen[config_index(k)] = 1;
	}
#undef KEPT
	return NULL;
}

char *
config_value_text(const struct config *cfg, const struct config_key *k)
{
	const char *s;
	long l;
	double d;

	switch (k->type) {
	case CONFIG_BOOL:
		return xstrdup(*FIELD(cfg, k, int) ? "true" : "false");
	case CONFIG_INT:
		l = *FIELD(cfg, k, long);
		return l == CONFIG_UNSET_INT ? xstrdup("") :
		    xasprintf("%ld", l);
	case CONFIG_FLOAT:
		d = *FIELD(cfg, k, double);
		return isnan(d) ? xstrdup("") : xasprintf("%g", d);
	case CONFIG_STRING:
	case CONFIG_ENUM:
		s = *FIELD(cfg, k, char *);
		return xstrdup(s ? s : "");
	}
	return xstrdup("");
}

long
config_parallel(const struct config *cfg)
{
	if (cfg->parallel != CONFIG_UNSET_INT)
		return cfg->parallel;
	/* More only wait in the server's queue, where no byte comes. */
	if (cfg->backend_type != NULL &&
	    strcmp(cfg->backend_type, "llama-server") == 0)
		return cfg->serve_slots;
	return 1;
}

char *
config_effective_text(const struct config *cfg, const struct config_key *k)
{
	if (k->offset == OFF(parallel))
		return xasprintf("%ld", config_parallel(cfg));
	return config_value_text(cfg, k);
}

enum config_source
config_source_of(const struct config *cfg, const struct config_key *k)
{
	return cfg->sources[config_index(k)];
}

const char *
config_source_name(enum config_source src)
{
	switch (src) {
	case CONFIG_SRC_DEFAULT:
		return "default";
	case CONFIG_SRC_FILE:
		return "file";
	case CONFIG_SRC_ENV:
		return "environment";
	case CONFIG_SRC_FLAG:
		return "flag";
	}
	return "unknown";
}

char *
config_env_name(const struct config_key *k)
{
	/* Every command asks for all of them: no printf here. */
	size_t n = strlen(k->name);
	char *s = xmalloc(n + sizeof("LOCO_")), *p;

	memcpy(s, "LOCO_", 5);
	memcpy(s + 5, k->name, n + 1);
	for (p = s + 5; *p != '\0'; p++)
		*p = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
	return s;
}

char *
loco_home(void)
{
	const char *s = getenv("LOCO_HOME");
	struct passwd *pw;

	if (s != NULL && *s != '\0')
		return xstrdup(s);
	if ((s = getenv("HOME")) != NULL && *s != '\0')
		return xasprintf("%s/.locollm", s);
	if ((pw = getpwuid(getuid())) != NULL && pw->pw_dir != NULL)
		return xasprintf("%s/.locollm", pw->pw_dir);
	return xstrdup(".locollm");
}

char *
config_default_text(void)
{
	struct config cfg;
	struct strbuf sb = STRBUF_INIT;
	const struct config_key *k;
	char section[64] = "", *text;
	const char *dot;
	size_t i, n;

	config_init(&cfg);
	strbuf_addstr(&sb, "# loco configuration; see loco.yaml(5).\n"
	    "# Every key is shown with its default value; keys that are\n"
	    "# unset by default are commented out.\n");
	for (i = 0, k = config_keys(&n); i < n; i++, k++) {
		dot = strchr(k->name, '.');
		if ((size_t)(dot - k->name) >= sizeof(section))
			fatal("config key '%s' too long", k->name);
		if (strncmp(section, k->name, (size_t)(dot - k->name)) != 0 ||
		    section[dot - k->name] != '\0') {
			memcpy(section, k->name, (size_t)(dot - k->name));
			section[dot - k->name] = '\0';
			strbuf_addf(&sb, "\n%s:\n", section);
		}
		text = config_value_text(&cfg, k);
		strbuf_addf(&sb, "  # %s\n", k->help);
		if (*text == '\0')
			strbuf_addf(&sb, "  # %s:\n", dot + 1);
		else if (k->type == CONFIG_STRING)
			strbuf_addf(&sb, "  %s: \"%s\"\n", dot + 1, text);
		else
			strbuf_addf(&sb, "  %s: %s\n", dot + 1, text);
		free(text);
	}
	config_free(&cfg);
	return strbuf_detach(&sb, NULL);
}
