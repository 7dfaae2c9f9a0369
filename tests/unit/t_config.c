/* t_config.c: configuration defaults, file, environment, flags, messages. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "util.h"
#include "unit.h"

/* Every variable config_load_env() reads, so tests start clean. */
static void
clear_env(void)
{
	const struct config_key *keys;
	size_t i, n;
	char *var;

	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		var = config_env_name(&keys[i]);
		unsetenv(var);
		free(var);
	}
	unsetenv("OLLAMA_HOST");
}

static char *
text(const struct config *cfg, const char *key)
{
	static char buf[256];
	char *s = config_value_text(cfg, config_key_find(key));

	snprintf(buf, sizeof(buf), "%s", s);
	free(s);
	return buf;
}

/* Load a config file with this text; expect PATH + want_after_path. */
static void
check_file_err(const char *yaml, const char *want_after_path)
{
	struct config cfg;
	const char *path = unit_write("c.yaml", yaml);
	char *want = xasprintf("%s%s", path, want_after_path);
	struct error *err;

	config_init(&cfg);
	err = config_load_file(&cfg, path);
	if (err != NULL)
		CHECK_INT(err->code, EXIT_CONFIG);
	CHECK_ERR(err, want);
	free(want);
	config_free(&cfg);
}

TEST(config_defaults)
{
	struct config cfg;
	const struct config_key *keys;
	size_t i, n;

	config_init(&cfg);
	CHECK_STR(cfg.host, "http://127.0.0.1:11434");
	CHECK_INT(cfg.connect_timeout, 10);
	CHECK_INT(cfg.timeout, 600);
	CHECK_INT(cfg.load_timeout, 900);
	CHECK_INT(cfg.request_timeout, 3600);
	CHECK_INT(cfg.reread, 1);
	CHECK_INT(cfg.votes, 1);
	CHECK_DBL(cfg.vote_temperature, 0.7, 1e-12);
	CHECK_STR(cfg.vote_method, "majority");
	CHECK_INT(cfg.num_ctx, CONFIG_UNSET_INT);
	CHECK_INT(config_context(&cfg), 4096);
	CHECK_STR(cfg.keep_alive, "5m");
	CHECK_INT(cfg.think, 0);
	CHECK(isnan(cfg.temperature));
	CHECK(cfg.seed == CONFIG_UNSET_INT);
	CHECK(cfg.num_predict == CONFIG_UNSET_INT);
	CHECK_STR(cfg.router_type, "auto");
	CHECK_DBL(cfg.router_threshold, 0.5, 1e-12);
	CHECK(cfg.router_model == NULL);
	CHECK_DBL(cfg.router_min_score, 1.0, 1e-12);
	CHECK(cfg.registry_path == NULL);
	CHECK(cfg.file == NULL);
	CHECK(cfg.parallel == CONFIG_UNSET_INT);
	/* Unset: one at a time on Ollama, serve.slots on llama-server. */
	CHECK_INT(config_parallel(&cfg), 1);
	CHECK_INT(cfg.history, 1);
	CHECK_STR(cfg.backend_type, "ollama");
	CHECK(cfg.llama_server == NULL);
	CHECK_INT(cfg.serve_port, 0);
	CHECK_INT(cfg.serve_threads, 0);
	CHECK_INT(cfg.serve_slots, 4);
	CHECK_INT(cfg.max_download, 16384);

	keys = config_keys(&n);
	CHECK_INT(n, 39);
	CHECK_STR(cfg.sandbox_require, "essential");
	CHECK_INT(cfg.tools_max_rounds, 4);
	CHECK_DBL(cfg.tools_timeout, 10, 1e-12);
	CHECK_INT(cfg.tools_memory, 512);
	CHECK_INT(cfg.tools_output_max, 4096);
	for (i = 0; i < n; i++) {
		CHECK_INT(config_source_of(&cfg, &keys[i]), CONFIG_SRC_DEFAULT);
		CHECK(keys[i].help != NULL && *keys[i].help != '\0');
		CHECK(config_key_find(keys[i].name) == &keys[i]);
	}
	CHECK(config_key_find("inference") == NULL);
	CHECK(config_key_find("nope.nope") == NULL);
	config_free(&cfg);
	config_free(&cfg);	/* harmless twice */
}

TEST(config_value_texts)
{
	struct config cfg;

	config_init(&cfg);
	CHECK_STR(text(&cfg, "inference.reread"), "true");
	CHECK_STR(text(&cfg, "options.think"), "false");
	CHECK_STR(text(&cfg, "inference.votes"), "1");
	CHECK_STR(text(&cfg, "inference.vote_temperature"), "0.7");
	CHECK_STR(text(&cfg, "router.min_score"), "1");
	CHECK_STR(text(&cfg, "options.temperature"), "");
	CHECK_STR(text(&cfg, "options.seed"), "");
	CHECK_STR(text(&cfg, "registry.path"), "");
	CHECK_STR(text(&cfg, "backend.host"), "http://127.0.0.1:11434");
	CHECK_STR(text(&cfg, "inference.vote_method"), "majority");
	CHECK_OK(config_set(&cfg, "options.seed", "-2147483648",
	    CONFIG_SRC_FLAG));
	CHECK_STR(text(&cfg, "options.seed"), "-2147483648");
	CHECK_OK(config_set(&cfg, "options.temperature", "0.25",
	    CONFIG_SRC_FLAG));
	CHECK_STR(text(&cfg, "options.temperature"), "0.25");
	config_free(&cfg);
}

TEST(config_names)
{
	char *s;

	s = config_env_name(config_key_find("inference.reread"));
	CHECK_STR(s, "LOCO_INFERENCE_REREAD");
	free(s);
	s = config_env_name(config_key_find("backend.connect_timeout"));
	CHECK_STR(s, "LOCO_BACKEND_CONNECT_TIMEOUT");
	free(s);
	CHECK_STR(config_source_name(CONFIG_SRC_DEFAULT), "default");
	CHECK_STR(config_source_name(CONFIG_SRC_FILE), "file");
	CHECK_STR(config_source_name(CONFIG_SRC_ENV), "environment");
	CHECK_STR(config_source_name(CONFIG_SRC_FLAG), "flag");
}

TEST(config_loco_home)
{
	char *s, *old = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;

	setenv("LOCO_HOME", "/x/y", 1);
	s = loco_home();
	CHECK_STR(s, "/x/y");
	free(s);
	setenv("LOCO_HOME", "", 1);
	setenv("HOME", "/home/u", 1);
	s = loco_home();
	CHECK_STR(s, "/home/u/.locollm");
	free(s);
	unsetenv("LOCO_HOME");
	unsetenv("HOME");
	s = loco_home();
	CHECK(s != NULL && str_endswith(s, "/.locollm"));
	free(s);
	if (old != NULL)
		setenv("HOME", old, 1);
	free(old);
}

TEST(config_file_nested_and_dotted)
{
	struct config cfg;
	const char *path;

	path = unit_write("c.yaml",
	    "# comment\n"
	    "inference:\n"
	    "  reread: false\n"
	    "  votes: 5\n"
	    "inference.vote_method: medoid\n"
	    "options:\n"
	    "  temperature: 0.2\n"
	    "  keep_alive: 1h30m\n"
	    "  seed:\n"
	    "  think: yes\n"
	    "backend: {host: 'http://gpu:11434', timeout: 0}\n"
	    "router.min_score: 2.5\n"
	    "registry:\n"
	    "  path: /srv/reg.yaml\n");
	config_init(&cfg);
	CHECK_OK(config_load_file(&cfg, path));
	CHECK_STR(cfg.file, path);
	CHECK_INT(cfg.reread, 0);
	CHECK_INT(cfg.votes, 5);
	CHECK_STR(cfg.vote_method, "medoid");
	CHECK_DBL(cfg.temperature, 0.2, 1e-12);
	CHECK_STR(cfg.keep_alive, "1h30m");
	CHECK(cfg.seed == CONFIG_UNSET_INT);	/* null keeps the default */
	CHECK_INT(cfg.think, 1);
	CHECK_STR(cfg.host, "http://gpu:11434");
	CHECK_INT(cfg.timeout, 0);
	CHECK_DBL(cfg.router_min_score, 2.5, 1e-12);
	CHECK_STR(cfg.registry_path, "/srv/reg.yaml");
	CHECK_INT(config_source_of(&cfg, config_key_find("inference.votes")),
	    CONFIG_SRC_FILE);
	CHECK_INT(config_source_of(&cfg, config_key_find("options.seed")),
	    CONFIG_SRC_DEFAULT);
	CHECK_INT(config_source_of(&cfg, config_key_find("options.num_ctx")),
	    CONFIG_SRC_DEFAULT);
	config_free(&cfg);
}

TEST(config_file_empty)
{
	struct config cfg;

	config_init(&cfg);
	CHECK_OK(config_load_file(&cfg, unit_write("c.yaml", "")));
	CHECK_OK(config_load_file(&cfg, unit_write("c.yaml", "# none\n")));
	CHECK_OK(config_load_file(&cfg, unit_write("c.yaml", "inference:\n")));
	CHECK_INT(cfg.votes, 1);
	config_free(&cfg);
}

TEST(config_file_errors)
{
	check_file_err("inference:\n  rereed: false\n",
	    ":2:3: unknown key 'inference.rereed'; "
	    "did you mean 'inference.reread'?");
	check_file_err("inference.rereed: false\n",
	    ":1:1: unknown key 'inference.rereed'; "
	    "did you mean 'inference.reread'?");
	check_file_err("infrence:\n  reread: false\n",
	    ":1:1: unknown key 'infrence'; did you mean 'inference'?");
	check_file_err("colour: red\n", ":1:1: unknown key 'colour'");
	check_file_err("inference:\n  votes: lots\n",
	    ":2:10: 'inference.votes' must be an integer from 1 to 64, "
	    "not 'lots'");
	check_file_err("inference:\n  votes: 65\n",
	    ":2:10: 'inference.votes' must be an integer from 1 to 64, "
	    "not '65'");
	check_file_err("inference.reread: maybe\n",
	    ":1:19: 'inference.reread' must be true or false, not 'maybe'");
	check_file_err("inference.vote_temperature: 5\n",
	    ":1:29: 'inference.vote_temperature' must be a number from 0 "
	    "to 2, not '5'");
	check_file_err("inference.vote_method: x\n",
	    ":1:24: 'inference.vote_method' must be one of majority, "
	    "best_of_n, medoid, tests, not 'x'");
	check_file_err("options.keep_alive: soon\n",
	    ":1:21: 'options.keep_alive' must be a duration like 5m or a "
	    "number of seconds, not 'soon'");
	check_file_err("backend.host: http://a\nbackend:\n  host: http://b\n",
	    ":3:3: 'backend.host' is given twice (line 1 and here): keep one");
	check_file_err("backend.host: \"http://a\\r\\nX-Evil: 1\"\n",
	    ":1:15: 'backend.host' must not hold control characters (a line "
	    "break?): 'http://a??X-Evil: 1'");
	check_file_err("inference: 3\n",
	    ":1:12: 'inference' must be a mapping");
	check_file_err("inference:\n  - votes\n",
	    ":2:3: 'inference' must be a mapping");
	check_file_err("inference:\n  votes: [1, 2]\n",
	    ":2:10: 'inference.votes' must be a scalar value");
	check_file_err("options.num_ctx: 100\n",
	    ":1:18: 'options.num_ctx' must be an integer from 256 to "
	    "1048576, not '100'");
	check_file_err("options.seed: 1e3\n",
	    ":1:15: 'options.seed' must be an integer from -2147483648 to "
	    "2147483647, not '1e3'");
	check_file_err("router.type: bayes\n",
	    ":1:14: 'router.type' must be one of keyword, classifier, auto, "
	    "not 'bayes'");
	check_file_err("- a\n- b\n",
	    ":1:1: the top level must be a mapping of keys to values");
	check_file_err("inference.votes: 2\ninference.votes: 3\n",
	    ":2:1: duplicate key 'inference.votes'");
	check_file_err("inference.votes: \"x\ty\"\n",
	    ":1:18: 'inference.votes' must be an integer from 1 to 64, "
	    "not 'x?y'");
}

TEST(config_keep_alive_forms)
{
	static const char *good[] = { "5m", "30s", "1h", "1h30m", "-1", "0",
	    "3600", "-1m", "1.5h", "300ms", "2h45m10s", ".5h", "10\xc2\xb5s",
	    "10\xce\xbcs", "1h0.5m" };
	static const char *bad[] = { "soon", "m", "5x", "1h-", "--1",
	    "5 m", "" };
	struct config cfg;
	struct error *err;
	size_t i;

	config_init(&cfg);
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		err = config_set(&cfg, "options.keep_alive", good[i],
		    CONFIG_SRC_FLAG);
		if (err != NULL)
			unit_fail(__FILE__, __LINE__, "%s: %s", good[i],
			    err->msg);
		error_free(err);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err = config_set(&cfg, "options.keep_alive", bad[i],
		    CONFIG_SRC_FLAG);
		if (err == NULL)
			unit_fail(__FILE__, __LINE__, "'%s' accepted", bad[i]);
		error_free(err);
	}
	config_free(&cfg);
}

TEST(config_set_flags)
{
	struct config cfg;

	config_init(&cfg);
	CHECK_ERR(config_set(&cfg, "inference.votes", "x", CONFIG_SRC_FLAG),
	    "'inference.votes' must be an integer from 1 to 64, not 'x'");
	CHECK_ERR(config_set(&cfg, "inference.votess", "3", CONFIG_SRC_FLAG),
	    "unknown key 'inference.votess'; did you mean 'inference.votes'?");
	CHECK_ERR(config_set(&cfg, "backend.host", "", CONFIG_SRC_FLAG),
	    "'backend.host' must not be empty");
	CHECK_OK(config_set(&cfg, "inference.votes", "7", CONFIG_SRC_FLAG));
	CHECK_INT(cfg.votes, 7);
	CHECK_INT(config_source_of(&cfg, config_key_find("inference.votes")),
	    CONFIG_SRC_FLAG);
	CHECK_OK(config_set(&cfg, "inference.reread", "off", CONFIG_SRC_FLAG));
	CHECK_INT(cfg.reread, 0);
	CHECK_OK(config_set(&cfg, "options.num_predict", "-1",
	    CONFIG_SRC_FLAG));
	CHECK_INT(cfg.num_predict, -1);
	CHECK_ERR(config_set(&cfg, "options.num_predict", "-3",
	    CONFIG_SRC_FLAG),
	    "'options.num_predict' must be an integer from -2 to 1000000, "
	    "not '-3'");
	CHECK_ERR(config_set(&cfg, "router.min_score", "nan",
	    CONFIG_SRC_FLAG),
	    "'router.min_score' must be a number from 0 to 1000, not 'nan'");
	/* A failed set leaves the old value. */
	CHECK_INT(cfg.votes, 7);
	config_free(&cfg);
}

TEST(config_env_errors)
{
	struct config cfg;

	clear_env();
	config_init(&cfg);
	setenv("LOCO_INFERENCE_VOTES", "x", 1);
	CHECK_ERR(config_load_env(&cfg),
	    "environment variable LOCO_INFERENCE_VOTES: 'inference.votes' "
	    "must be an integer from 1 to 64, not 'x'");
	unsetenv("LOCO_INFERENCE_VOTES");
	setenv("LOCO_OPTIONS_THINK", "", 1);	/* empty: not set */
	CHECK_OK(config_load_env(&cfg));
	CHECK_INT(cfg.think, 0);
	CHECK_INT(config_source_of(&cfg, config_key_find("options.think")),
	    CONFIG_SRC_DEFAULT);
	clear_env();
	config_free(&cfg);
}

TEST(config_host_env_order)
{
	struct config cfg;

	clear_env();
	config_init(&cfg);
	setenv("OLLAMA_HOST", "http://ollama-host:1", 1);
	CHECK_OK(config_load_env(&cfg));
	CHECK_STR(cfg.host, "http://ollama-host:1");
	CHECK_INT(config_source_of(&cfg, config_key_find("backend.host")),
	    CONFIG_SRC_ENV);
	setenv("LOCO_BACKEND_HOST", "http://loco-host:2", 1);
	CHECK_OK(config_load_env(&cfg));
	CHECK_STR(cfg.host, "http://loco-host:2");
	clear_env();
	config_free(&cfg);
}

TEST(config_precedence)
{
	struct config cfg;
	char *path;

	clear_env();
	setenv("LOCO_HOME", unit_tmpdir(), 1);

	/* No file: defaults only. */
	CHECK_OK(config_load(&cfg));
	CHECK(cfg.file == NULL);
	CHECK_INT(cfg.votes, 1);
	config_free(&cfg);

	unit_write("config.yaml",
	    "inference: {votes: 3, reread: false}\n"
	    "options: {num_ctx: 8192, temperature: 0.1}\n");
	setenv("LOCO_INFERENCE_VOTES", "5", 1);
	setenv("LOCO_OPTIONS_NUM_CTX", "16384", 1);
	CHECK_OK(config_load(&cfg));
	path = xasprintf("%s/config.yaml", unit_tmpdir());
	CHECK_STR(cfg.file, path);
	free(path);
	CHECK_INT(cfg.reread, 0);		/* file */
	CHECK_DBL(cfg.temperature, 0.1, 1e-12);	/* file */
	CHECK_INT(cfg.votes, 5);		/* env over file */
	CHECK_INT(cfg.num_ctx, 16384);
	CHECK_INT(cfg.timeout, 600);		/* default */
	CHECK_INT(config_source_of(&cfg, config_key_find("inference.reread")),
	    CONFIG_SRC_FILE);
	CHECK_INT(config_source_of(&cfg, config_key_find("inference.votes")),
	    CONFIG_SRC_ENV);
	CHECK_INT(config_source_of(&cfg, config_key_find("backend.timeout")),
	    CONFIG_SRC_DEFAULT);
	CHECK_OK(config_set(&cfg, "inference.votes", "9", CONFIG_SRC_FLAG));
	CHECK_INT(cfg.votes, 9);		/* flag over env */
	CHECK_INT(config_source_of(&cfg, config_key_find("inference.votes")),
	    CONFIG_SRC_FLAG);
	config_free(&cfg);

	/* A bad file stops config_load with the file's position. */
	path = xstrdup(unit_write("config.yaml", "inference:\n  votes: 0\n"));
	{
		char *want = xasprintf("%s:2:10: 'inference.votes' must be an "
		    "integer from 1 to 64, not '0'", path);

		CHECK_ERR(config_load(&cfg), want);
		free(want);
	}
	config_free(&cfg);
	free(path);
	clear_env();
	unsetenv("LOCO_HOME");
}

TEST(config_unreadable_file)
{
	struct config cfg;
	char *dir, *want;

	clear_env();
	/* config.yaml that is a directory: exists but cannot be read. */
	dir = xasprintf("%s/home", unit_tmpdir());
	setenv("LOCO_HOME", dir, 1);
	unit_write("home", "");	/* a file named home: then config.yaml */
	want = xasprintf("cannot open '%s/config.yaml': Not a directory", dir);
	CHECK_ERR(config_load(&cfg), want);
	free(want);
	config_free(&cfg);
	free(dir);
	unsetenv("LOCO_HOME");
}

TEST(config_parallel_by_backend)
{
	struct config cfg;
	char *t;

	config_init(&cfg);
	CHECK_INT(config_parallel(&cfg), 1);
	t = config_effective_text(&cfg, config_key_find("inference.parallel"));
	CHECK_STR(t, "1");
	free(t);
	CHECK_STR(text(&cfg, "inference.parallel"), "");
	/* llama-server: as many as it has slots. */
	CHECK_OK(config_set(&cfg, "backend.type", "llama-server",
	    CONFIG_SRC_FLAG));
	CHECK_INT(config_parallel(&cfg), 4);
	CHECK_OK(config_set(&cfg, "serve.slots", "3", CONFIG_SRC_FILE));
	CHECK_INT(config_parallel(&cfg), 3);
	/* Set, it wins whatever the backend. */
	CHECK_OK(config_set(&cfg, "inference.parallel", "6", CONFIG_SRC_ENV));
	CHECK_INT(config_parallel(&cfg), 6);
	t = config_effective_text(&cfg, config_key_find("inference.parallel"));
	CHECK_STR(t, "6");
	free(t);
	config_free(&cfg);
}

TEST(config_named_backends)
{
	struct config cfg;
	const char *path = unit_write("c.yaml",
	    "backend:\n  timeout: 120\n  base_model: top-base\n"
	    "backends:\n"
	    "  lab: {type: openai, host: 'http://lab:8000', "
	    "api_key_env: LAB_KEY}\n"
	    "  cloud:\n    type: openai\n    host: https://api.example\n"
	    "    base_model: small\n    timeout: 30\n");

	config_init(&cfg);
	CHECK_OK(config_load_file(&cfg, path));
	CHECK_INT(cfg.nbackends, 2);
	CHECK_STR(cfg.backends[0].name, "lab");
	CHECK_INT(cfg.backends[0].line, 5);
	CHECK_INT(cfg.backends[1].n, 4);
	CHECK(config_backend_find(&cfg, "cloud") == &cfg.backends[1]);
	CHECK(config_backend_find(&cfg, "clou") == NULL);
	/* A type sets backend.type alone. */
	CHECK_OK(config_backend_choose(&cfg, "llama-server"));
	CHECK_STR(cfg.backend_type, "llama-server");
	CHECK_STR(cfg.base_model, "top-base");
	/* The lab's keys; those it does not give go back to the defaults. */
	CHECK_OK(config_backend_choose(&cfg, "lab"));
	CHECK_STR(cfg.backend_type, "openai");
	CHECK_STR(cfg.host, "http://lab:8000");
	CHECK_STR(cfg.api_key_env, "LAB_KEY");
	CHECK(cfg.base_model == NULL);
	CHECK_INT(cfg.timeout, 120);
	CHECK_INT(config_source_of(&cfg, config_key_find("backend.host")),
	    CONFIG_SRC_FLAG);
	/* Another choice replaces the first one's keys, timeouts too. */
	CHECK_OK(config_backend_choose(&cfg, "cloud"));
	CHECK_STR(cfg.host, "https://api.example");
	CHECK(cfg.api_key_env == NULL);
	CHECK_STR(cfg.base_model, "small");
	CHECK_INT(cfg.timeout, 30);
	/* A key set by a flag of its own is kept. */
	CHECK_OK(config_set(&cfg, "backend.host", "http://other:1",
	    CONFIG_SRC_FLAG));
	CHECK_OK(config_backend_choose(&cfg, "lab"));
	CHECK_STR(cfg.host, "http://other:1");
	CHECK_STR(cfg.api_key_env, "LAB_KEY");
	{
		char *want = xasprintf("no backend 'lba' in %s; did you mean "
		    "'lab'?", path);
		struct error *err = config_backend_choose(&cfg, "lba");

		if (err != NULL)
			CHECK_INT(err->code, EXIT_USAGE);
		CHECK_ERR(err, want);
		free(want);
	}
	config_free(&cfg);
}

TEST(config_named_backend_errors)
{
	check_file_err("backends: [lab]\n", ":1:11: 'backends' must be a "
	    "mapping of names to servers: backends: {lab: {type: openai, "
	    "host: ...}}");
	check_file_err("backends:\n  lab: openai\n", ":2:8: backends.lab "
	    "must be a mapping of backend keys (type, host, api_key_env, "
	    "base_model, ...)");
	check_file_err("backends:\n  'a:b': {type: openai}\n", ":2:3: backend "
	    "name 'a:b': use letters, digits, '-', '_' and '.' (it is written "
	    "before the model: NAME:MODEL)");
	check_file_err("backends:\n  llama-server: {}\n", ":2:3: backend name "
	    "'llama-server' is a backend type; name the server another way "
	    "(lab, cloud)");
	check_file_err("backends:\n  lab: {api_key: sk-123}\n", ":2:9: "
	    "backends.lab: unknown key 'api_key': put the key in an "
	    "environment variable and name that in api_key_env");
	check_file_err("backends:\n  lab: {api_key_nev: K}\n", ":2:9: "
	    "backends.lab: unknown key 'api_key_nev'; did you mean "
	    "'api_key_env'?");
	check_file_err("backends:\n  lab: {host: [a]}\n", ":2:15: "
	    "backends.lab.host must be a scalar value");
	check_file_err("backends:\n  lab: {type: vllm}\n", ":2:15: "
	    "backends.lab: 'backend.type' must be one of ollama, "
	    "llama-server, openai, not 'vllm'");
}
