/*
 * openai.c: the OpenAI chat protocol, and the backend of any server that
 * speaks it (backend.type openai): vLLM for a lab, where each LoRA
 * adapter is a served model name (--lora-modules NAME=PATH), or a cloud
 * model with a key.  POST /v1/chat/completions, streamed as Server-Sent
 * Events or not; GET /v1/models; POST /v1/load_lora_adapter where the
 * server allows loading at run time.  llama-server's chat is the same
 * protocol: llama.c uses the body options and the reply parsing here.
 *
 * The key comes only from the environment variable backend.api_key_env
 * names and goes only into the Authorization header (backend.c cuts it
 * out of any error message a server echoes it in).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend_int.h"
#include "config.h"
#include "jsonout.h"
#include "banned.h"

/* The protocol */

/*
 * Ollama's PARAMETER names and what the chat API calls them; extras are
 * llama.cpp's own samplers, which an OpenAI server may refuse.  The rest
 * (num_ctx, num_gpu, ...) are a server's start-up settings: not sent.
 */
static const struct {
	const char	*ollama;
	const char	*oai;
	int		 extra;
} param_map[] = {
	{ "temperature", "temperature", 0 },
	{ "top_p", "top_p", 0 },
	{ "presence_penalty", "presence_penalty", 0 },
	{ "frequency_penalty", "frequency_penalty", 0 },
	{ "seed", "seed", 0 },
	{ "num_predict", "max_tokens", 0 },
	{ "top_k", "top_k", 1 },
	{ "min_p", "min_p", 1 },
	{ "typical_p", "typical_p", 1 },
	{ "repeat_penalty", "repeat_penalty", 1 },
	{ "repeat_last_n", "repeat_last_n", 1 },
	{ "mirostat", "mirostat", 1 },
	{ "mirostat_tau", "mirostat_tau", 1 },
	{ "mirostat_eta", "mirostat_eta", 1 },
};

static void
set_num(struct json *root, const char *key, double v)
{
	json_set(root, key, json_new_number(v));
}

void
oai_add_options(struct json *root, const struct chat_request *cr,
    int llama_extras)
{
	struct json *stop = NULL;
	size_t i, k;

	for (i = 0; i < cr->nparams; i++) {
		const struct param *p = &cr->params[i];
		double d;

		if (strcmp(p->name, "stop") == 0) {
			if (stop == NULL)
				stop = json_add_arr(root, "stop");
			json_add_str(stop, NULL, p->value);
			continue;
		}
		for (k = 0; k < ARRAY_SIZE(param_map); k++)
			if (strcmp(param_map[k].ollama, p->name) == 0)
				break;
		if (k == ARRAY_SIZE(param_map) ||
		    (param_map[k].extra && !llama_extras) || !p->is_number ||
		    parse_double(p->value, -1e300, 1e300, &d) == -1)
			continue;
		set_num(root, param_map[k].oai, d);
	}
	if (!isnan(cr->temperature))
		set_num(root, "temperature", cr->temperature);
	if (cr->seed != CONFIG_UNSET_INT)
		set_num(root, "seed", (double)cr->seed);
	if (cr->num_predict != CONFIG_UNSET_INT && cr->num_predict >= 0)
		set_num(root, "max_tokens", (double)cr->num_predict);
}

/* A duration in milliseconds as nanoseconds; 0 unless sane. */
static long long
ms_member(const struct json *obj, const char *key)
{
	double d;

	if (json_num(obj, key, &d) == 0 && d >= 0 && d < 1e12)
		return (long long)(d * 1e6);
	return 0;
}

/* usage (any OpenAI server), then llama.cpp's timings, which say more. */
static void
take_usage(struct chat_result *r, const struct json *root)
{
	const struct json *t = json_get(root, "timings");
	const struct json *u = json_get(root, "usage");

	if (json_is_object(u)) {
		r->prompt_eval_count = backend_json_ll(u, "prompt_tokens");
		r->eval_count = backend_json_ll(u, "completion_tokens");
	}
	if (!json_is_object(t))
		return;
	r->prompt_eval_count = backend_json_ll(t, "prompt_n");
	r->eval_count = backend_json_ll(t, "predicted_n");
	r->prompt_eval_duration = ms_member(t, "prompt_ms");
	r->eval_duration = ms_member(t, "predicted_ms");
	r->total_duration = r->prompt_eval_duration + r->eval_duration;
}

/* The text of a string member, or "". */
static const char *
text_member(const struct json *obj, const char *key)
{
	const char *s = json_str(obj, key);

	return s != NULL ? s : "";
}

/*
 * delta.tool_calls (streamed: pieces by "index", the arguments' text in
 * fragments, joined) or message.tool_calls (whole).
 */
static void
oai_tool_calls(struct chat_result *res, const struct json *calls)
{
	const struct json *call, *fn, *v;
	const char *s;
	struct chat_tool_call *tc;
	size_t n = 0;
	char *joined;
	double d;

	JSON_FOREACH(call, calls) {
		if (json_num(call, "index", &d) == 0 && d >= 0 && d < 1024)
			tc = chat_tool_call_at(res, (size_t)d);
		else	/* whole calls: one after another */
			tc = chat_tool_call_at(res, n);
		n++;
		if (tc == NULL)
			return;
		if ((s = json_str(call, "id")) != NULL && *s != '\0') {
			free(tc->id);
			tc->id = xstrdup(s);
		}
		fn = json_get(call, "function");
		if ((s = json_str(fn, "name")) != NULL && *s != '\0') {
			free(tc->name);
			tc->name = xstrdup(s);
		}
		v = json_get(fn, "arguments");
		if (json_is_string(v)) {
			joined = xasprintf("%s%s", tc->arguments,
			    json_string(v));
			free(tc->arguments);
			tc->arguments = joined;
		} else if (json_is_object(v)) {
			free(tc->arguments);
			tc->arguments = json_print(v, 0);
		}
	}
}

struct error *
oai_chunk(struct chat_stream *cs, const struct json *root)
{
	const struct json *e, *c0, *delta;
	const char *fr;
	struct error *err = NULL;
	const char *tstr;

	e = json_get(root, "error");
	if (e != NULL) {
		const char *msg = json_str(e, "message");
		char *clean;

		if (msg == NULL)
			msg = json_is_string(e) ? json_string(e) :
			    "unknown error";
		clean = str_sanitize(msg, 500);
		err = error_new(EXIT_FAIL, "%s failed during the answer: %s",
		    cs->be->ops->server, clean);
		free(clean);
		return err;
	}
	c0 = json_at(json_get(root, "choices"), 0);
	delta = json_get(c0, "delta");
	if (delta == NULL)	/* a reply that is not streamed */
		delta = json_get(c0, "message");
	/* vLLM's newer name for the reasoning is "reasoning". */
	tstr = text_member(delta, "reasoning_content");
	if (*tstr == '\0')
		tstr = text_member(delta, "reasoning");
	/* Nothing is added once the answer finished (timings may follow). */
	if (!cs->done)
		err = chat_stream_piece(cs, text_member(delta, "content"),
		    tstr);
	if (!cs->done && err == NULL)
		oai_tool_calls(cs->res, json_get(delta,
		    "tool_calls"));
	if (cs->res->model == NULL)
		cs->res->model = json_strdup(root, "model");
	fr = json_str(c0, "finish_reason");
	if (fr != NULL && cs->res->done_reason == NULL)
		cs->res->done_reason = xstrdup(fr);
	if (json_is_object(json_get(root, "timings")) ||
	    json_is_object(json_get(root, "usage")))
		take_usage(cs->res, root);
	/* The answer is whole; [DONE] may or may not follow. */
	if (fr != NULL)
		cs->done = 1;
	return err;
}

struct error *
oai_event_line(struct chat_stream *cs, const char *line, size_t len)
{
	struct error *err;
	struct json *root;
	int is_error = 0;

	if (len == 0 || line[0] == ':')
		return NULL;
	if (len >= 5 && memcmp(line, "data:", 5) == 0) {
		line += 5;
		len -= 5;
	} else if (len >= 6 && memcmp(line, "error:", 6) == 0) {
		line += 6;
		len -= 6;
		is_error = 1;
	} else
		return NULL;	/* event:, id:, retry: */
	while (len > 0 && *line == ' ') {
		line++;
		len--;
	}
	if (len == 6 && memcmp(line, "[DONE]", 6) == 0) {
		cs->done = 1;
		return NULL;
	}
	if ((err = chat_stream_json(cs, line, len, &root)) != NULL)
		return err;
	if (is_error && json_get(root, "error") == NULL) {
		const char *m = text_member(root, "message");

		json_add_str(root, "error", *m ? m :
		    "unknown error");
	}
	err = oai_chunk(cs, root);
	json_free(root);
	return err;
}

/* The openai backend */

/* A model /v1/models lists. */
struct served {
	char	*id;
	char	*parent;	/* the base of a LoRA (vLLM), or NULL */
	char	*root;		/* vLLM: the weights' path, or NULL */
};

struct openai {
	char		*key_env;	/* backend.api_key_env, or NULL */
	char		*base_model;	/* backend.base_model, or NULL */
	int		 listed;	/* models known */
	int		 unlisted;	/* the server has no /v1/models */
	struct served	*models;
	size_t		 nmodels;
};

static struct openai *
priv(struct backend *be)
{
	if (be->priv == NULL)
		be->priv = xcalloc(1, sizeof(struct openai));
	return be->priv;
}

static void
forget_models(struct openai *o)
{
	size_t i;

	for (i = 0; i < o->nmodels; i++) {
		free(o->models[i].id);
		free(o->models[i].parent);
		free(o->models[i].root);
	}
	free(o->models);
	o->models = NULL;
	o->nmodels = 0;
	o->listed = 0;
}

static void
x_free(struct backend *be)
{
	struct openai *o = be->priv;

	if (o == NULL)
		return;
	forget_models(o);
	free(o->key_env);
	free(o->base_model);
	free(o);
	be->priv = NULL;
}

static int
env_name_ok(const char *s)
{
	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	for (; *s != '\0'; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return 0;
	return 1;
}

static struct error *
x_open(struct backend *be, const struct config *cfg)
{
	struct openai *o = priv(be);
	const char *key, *p;

	if (cfg->base_model != NULL && *cfg->base_model != '\0')
		o->base_model = xstrdup(cfg->base_model);
	if (cfg->api_key_env == NULL || *cfg->api_key_env == '\0')
		return NULL;
	if (!env_name_ok(cfg->api_key_env)) {
		char *clean = str_sanitize(cfg->api_key_env, 80);
		struct error *err = error_new(EXIT_CONFIG, "backend.api_key_env: "
		    "'%s' is not an environment variable's name: name the "
		    "variable that holds the key, not the key", clean);

		free(clean);
		return err;
	}
	o->key_env = xstrdup(cfg->api_key_env);
	if ((key = getenv(o->key_env)) == NULL || *key == '\0')
		return error_new(EXIT_CONFIG, "backend.api_key_env: the "
		    "environment variable %s, which should hold the API key "
		    "for %s, is %s", o->key_env, be->url,
		    key == NULL ? "not set" : "empty");
	/* A header cannot carry a line break; curl would split it. */
	for (p = key; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			return error_new(EXIT_CONFIG, "backend.api_key_env: the "
			    "key in %s holds a line break", o->key_env);
	be->secret = xstrdup(key);
	be->auth = xasprintf("Authorization: Bearer %s", key);
	return NULL;
}

static char *
x_chat_body(const struct backend *be, const struct chat_request *cr)
{
	struct json *root, *so;
	char *text;

	root = backend_chat_json(cr);
	/* Token counts come with the last event only when asked for. */
	if (cr->stream) {
		so = json_add_obj(root, "stream_options");
		json_add_bool(so, "include_usage", 1);
	}
	oai_add_options(root, cr, 0);
	text = json_print(root, 0);
	json_free(root);
	return text;
}

/* A line of Server-Sent Events: a field or a comment. */
static int
is_event_line(const char *line, size_t len)
{
	static const char *const fields[] = { "data:", "event:", "id:",
	    "retry:", "error:", ":" };
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		n = strlen(fields[i]);
		if (len >= n && memcmp(line, fields[i], n) == 0)
			return 1;
	}
	return 0;
}

/*
 * A reply is events ("data: ...") or, not streamed, one JSON document,
 * which servers may print over several lines: told by its first line.
 */
static struct error *
x_chat_line(struct chat_stream *cs, const char *line, size_t len)
{
	if (cs->mode == STREAM_UNKNOWN && len > 0)
		cs->mode = is_event_line(line, len) ? STREAM_EVENTS :
		    STREAM_WHOLE;
	if (cs->mode == STREAM_WHOLE) {
		if (strbuf_add(&cs->whole, line, len) == -1 ||
		    strbuf_addch(&cs->whole, '\n') == -1)
			return error_new(EXIT_FAIL, "the answer from %s is "
			    "larger than %zu bytes", cs->be->ops->server,
			    cs->whole.cap);
		return NULL;
	}
	return oai_event_line(cs, line, len);
}

static struct error *
not_compatible(struct backend *be, const char *path, const char *what,
    const char *text)
{
	char *copy = xstrdup(text), *clean = str_sanitize(str_trim(copy), 80);
	struct error *err = error_new(EXIT_FAIL, "the server at %s is not "
	    "OpenAI-compatible: %s answered %s '%s' (is backend.host the "
	    "address before /v1?)", be->url, path, what, clean);

	free(clean);
	free(copy);
	return err;
}

static struct error *
x_chat_end(struct chat_stream *cs)
{
	struct error *err;
	struct json *root;

	if (cs->mode != STREAM_WHOLE)
		return NULL;
	root = json_parse(cs->whole.buf, cs->whole.len, NULL);
	if (!json_is_object(root) ||
	    (!json_is_array(json_get(root, "choices"))
	    && json_get(root, "error") == NULL)) {
		err = not_compatible(cs->be, "/v1/chat/completions",
		    root == NULL ? "with something other than JSON:" :
		    "JSON without \"choices\":", cs->whole.buf);
		json_free(root);
		return err;
	}
	err = oai_chunk(cs, root);
	json_free(root);
	/* A whole completion is complete, finish_reason or not. */
	cs->done = 1;
	return err;
}

/* The text of an error body, and whether the body was JSON at all. */
static char *
error_text(const struct http_response *resp, int *json)
{
	struct json *root = json_parse(resp->body.buf, resp->body.len, NULL);

	*json = json_is_object(root);
	json_free(root);
	return backend_error_text(resp);
}

static struct error *
x_status_error(struct backend *be, const char *path,
    const struct http_response *resp)
{
	struct openai *o = priv(be);
	struct error *err;
	int json;
	char *text = error_text(resp, &json);
	long st = resp->status;

	if ((st == 401 || st == 403) && o->key_env != NULL)
		err = error_new(EXIT_CONFIG, "the server at %s refused the API "
		    "key in %s (HTTP %ld: %s): is it the key for this server?",
		    be->url, o->key_env, st, text);
	else if (st == 401 || st == 403)
		err = error_new(EXIT_CONFIG, "the server at %s wants an API key "
		    "(HTTP %ld: %s): put it in an environment variable and "
		    "name that in backend.api_key_env", be->url, st, text);
	else if (st == 404 && !json)
		err = not_compatible(be, path, "HTTP 404", text);
	else if (st == 404)
		err = error_new(EXIT_NOMODEL, "the server at %s does not serve "
		    "the model (HTTP 404: %s): 'loco doctor' or GET /v1/models "
		    "lists what it serves", be->url, text);
	else if (st == 429)
		err = error_new(EXIT_FAIL, "the server at %s is limiting the "
		    "rate of requests (HTTP 429: %s)", be->url, text);
	else if (st == 503)
		err = error_new(EXIT_FAIL, "the server at %s is overloaded or "
		    "not ready (HTTP 503: %s)", be->url, text);
	else
		err = error_new(EXIT_FAIL, "the server at %s answered HTTP %ld "
		    "to %s: %s", be->url, st, path, text);
	free(text);
	return err;
}

/*
 * GET /v1/models once.  A server without it (HTTP 404 or 405) is taken
 * at its word: every model name is tried as it is.
 */
static struct error *
list_models(struct backend *be)
{
	struct openai *o = priv(be);
	struct error *err;
	const struct json *data, *it;
	struct json *root;
	long status;
	size_t i = 0;

	if (o->listed)
		return NULL;
	err = backend_request_json(be, "GET", "/v1/models", NULL, &root,
	    &status);
	if (err != NULL && (status == 404 || status == 405) &&
	    err->code == EXIT_NOMODEL) {
		error_free(err);
		o->listed = o->unlisted = 1;
		return NULL;
	}
	if (err != NULL)
		return err;
	data = json_get(root, "data");
	if (!json_is_array(data)) {
		char *text = json_print(root, 0);

		err = not_compatible(be, "/v1/models", "JSON without a \"data\" "
		    "list:", text);
		free(text);
		json_free(root);
		return err;
	}
	o->models = xcalloc(json_count(data) + 1,
	    sizeof(*o->models));
	JSON_FOREACH(it, data) {
		if ((o->models[i].id = json_strdup(it, "id")) == NULL)
			continue;
		o->models[i].parent = json_strdup(it, "parent");
		o->models[i].root = json_strdup(it, "root");
		i++;
	}
	o->nmodels = i;
	o->listed = 1;
	json_free(root);
	return NULL;
}

static const struct served *
find_served(const struct openai *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->nmodels; i++)
		if (strcmp(o->models[i].id, name) == 0)
			return &o->models[i];
	return NULL;
}

static const char *
base_name(struct backend *be, const struct registry *reg)
{
	struct openai *o = priv(be);

	return o->base_model != NULL ? o->base_model : reg->base.tag;
}

static struct error *
base_missing(struct backend *be, const char *name)
{
	struct openai *o = priv(be);

	return error_new(EXIT_NOMODEL, "the server at %s does not serve the "
	    "base model '%s'%s", be->url, name, o->base_model != NULL ?
	    " (backend.base_model)" : ": set backend.base_model to the name "
	    "it serves the base as (GET /v1/models lists them)");
}

/*
 * The folder vLLM loads a LoRA from: PEFT's (adapter_config.json), the
 * adapter's file itself when that is one, else the folder the file is
 * in when it holds one.  NULL: the registry has only a GGUF.
 */
static char *
peft_dir(const struct adapter *a)
{
	struct stat st;
	char *dir, *cfg, *slash;

	if (a->file == NULL)
		return NULL;
	if (stat(a->file, &st) == 0 && S_ISDIR(st.st_mode))
		dir = xstrdup(a->file);
	else {
		dir = xstrdup(a->file);
		if ((slash = strrchr(dir, '/')) == NULL) {
			free(dir);
			dir = xstrdup(".");
		} else
			*slash = '\0';
	}
	cfg = xasprintf("%s/adapter_config.json", dir);
	if (stat(cfg, &st) != 0) {
		free(dir);
		dir = NULL;
	}
	free(cfg);
	return dir;
}

static struct error *
lora_missing(struct backend *be, const struct adapter *a, const char *path,
    const char *why)
{
	if (path == NULL)
		return error_new(EXIT_NOMODEL, "adapter '%s' is not served by "
		    "the server at %s%s: vLLM serves a LoRA from a PEFT folder "
		    "(adapter_config.json and the weights), and the registry "
		    "has only '%s'; start vLLM with --enable-lora --lora-modules "
		    "%s=PEFT_FOLDER", a->name, be->url, why, a->file ?
		    a->file : "(no file)", a->name);
	return error_new(EXIT_NOMODEL, "adapter '%s' is not served by the "
	    "server at %s%s: start vLLM with --enable-lora --lora-modules "
	    "%s=%s", a->name, be->url, why, a->name, path);
}

/*
 * Load a LoRA at run time (vLLM with VLLM_ALLOW_RUNTIME_LORA_UPDATING);
 * a server that does not allow it has no such endpoint.
 */
static struct error *
load_lora(struct backend *be, const struct adapter *a)
{
	struct openai *o = priv(be);
	char *path = peft_dir(a), *body;
	struct error *err;
	struct json *root = NULL;
	struct jout *req;
	long status;

	if (path == NULL)
		return lora_missing(be, a, NULL, "");
	req = jout_new();
	jout_str(req, "lora_name", a->name);
	jout_str(req, "lora_path", path);
	body = jout_finish(req, 0);
	err = backend_request_json(be, "POST", "/v1/load_lora_adapter", body,
	    &root, &status);
	/* vLLM answers this one in plain text. */
	if (err != NULL && status == 200) {
		error_free(err);
		err = NULL;
	}
	if (err != NULL && (status == 404 || status == 405)) {
		error_free(err);
		err = lora_missing(be, a, path, " (and it does not load "
		    "adapters at run time)");
	} else if (err != NULL && err->code != EXIT_UNREACHABLE &&
	    err->code != EXIT_INTERRUPT && err->code != EXIT_CONFIG)
		err = error_prefix(err, "cannot load adapter '%s' from '%s' "
		    "into the server at %s", a->name, path, be->url);
	json_free(root);
	free(body);
	free(path);
	if (err == NULL)
		forget_models(o);	/* listed anew with it */
	return err;
}

/*
 * An adapter is the model its registry name is served as (vLLM's
 * --lora-modules NAME=PATH), or its Ollama-style name (loco-NAME:...);
 * the base is backend.base_model or the registry's base tag.
 */
static struct error *
x_resolve(struct backend *be, const struct registry *reg,
    const struct adapter *a, struct backend_target *t)
{
	struct openai *o = priv(be);
	const char *base = base_name(be, reg);
	const struct served *m;
	struct error *err;

	if (a != NULL && a->ncompose > 0)
		return error_new(EXIT_USAGE, "adapter '%s' is a composition of "
		    "%zu adapters with scales, which an OpenAI-style server "
		    "cannot apply (one adapter per model name); use the "
		    "llama-server backend (backend.type: llama-server, see "
		    "'loco serve')", a->name, a->ncompose);
	if ((err = list_models(be)) != NULL)
		return err;
	if (a == NULL || a->type == ADAPTER_PROMPT) {
		if (!o->unlisted && find_served(o, base) == NULL)
			return base_missing(be, base);
		t->model = xstrdup(base);
		t->label = xstrdup(base);
		return NULL;
	}
	if (a->type == ADAPTER_TAG || a->type == ADAPTER_MERGED) {
		/* A model of its own: served under its registry name. */
		if (!o->unlisted && find_served(o, a->name) == NULL &&
		    find_served(o, a->model) == NULL)
			return error_new(EXIT_NOMODEL, "adapter '%s' (type %s) "
			    "is not served by the server at %s: serve it as "
			    "'%s' (vLLM: --served-model-name %s)", a->name,
			    adapter_type_name(a->type), be->url, a->name,
			    a->name);
		t->model = xstrdup(o->unlisted || find_served(o, a->name) ?
		    a->name : a->model);
		t->label = xstrdup(t->model);
		return NULL;
	}
	if (!o->unlisted && find_served(o, a->name) == NULL &&
	    find_served(o, a->model) == NULL) {
		if ((err = load_lora(be, a)) != NULL ||
		    (err = list_models(be)) != NULL)
			return err;
		if (find_served(o, a->name) == NULL)
			return error_new(EXIT_NOMODEL, "the server at %s loaded "
			    "adapter '%s' but does not list it in /v1/models",
			    be->url, a->name);
	}
	t->model = xstrdup(o->unlisted || find_served(o, a->name) ?
	    a->name : a->model);
	t->label = xstrdup(t->model);
	/* A LoRA on another base answers as neither. */
	if ((m = find_served(o, t->model)) != NULL && m->parent != NULL &&
	    strcmp(m->parent, base) != 0)
		return error_new(EXIT_CONFIG, "adapter '%s' is served by the "
		    "server at %s on base '%s', not on '%s'%s", a->name, be->url,
		    m->parent, base, o->base_model != NULL ? " (backend."
		    "base_model)" : ": if that is the registry's base under "
		    "another name, set backend.base_model to it");
	return NULL;
}

/*
 * What answers: the kind, the server and the model, with a LoRA's base
 * and path as the server lists them, so that answers from different
 * servers, or from a model served anew from other weights, never mix.
 */
static struct error *
x_identity(struct backend *be, const struct backend_target *t, char **id)
{
	struct openai *o = priv(be);
	const struct served *m;
	struct error *err;

	if ((err = list_models(be)) != NULL)
		return err;
	m = find_served(o, t->model);
	if (m == NULL && !o->unlisted)
		return error_new(EXIT_NOMODEL, "the server at %s does not serve "
		    "model '%s'", be->url, t->model);
	*id = xasprintf("openai %s model %s parent %s root %s", be->url,
	    t->model, m && m->parent ? m->parent : "-",
	    m && m->root ? m->root : "-");
	return NULL;
}

static struct error *
x_models(struct backend *be, struct backend_model **m, size_t *n)
{
	struct openai *o = priv(be);
	struct error *err;
	size_t i;

	if ((err = list_models(be)) != NULL)
		return err;
	*m = xcalloc(o->nmodels + 1, sizeof(**m));
	for (i = 0; i < o->nmodels; i++) {
		(*m)[i].name = xstrdup(o->models[i].id);
		(*m)[i].digest = xstrdup("");
		(*m)[i].family = o->models[i].parent ?
		    xasprintf("lora of %s", o->models[i].parent) : xstrdup("");
	}
	*n = o->nmodels;
	return NULL;
}

/* vLLM's GET /version; other servers have none: "unknown". */
static struct error *
x_version(struct backend *be, char **version)
{
	struct error *err;
	struct json *root;

	err = backend_request_json(be, "GET", "/version", NULL, &root, NULL);
	if (err != NULL && err->code != EXIT_UNREACHABLE &&
	    err->code != EXIT_INTERRUPT) {
		error_free(err);
		*version = xstrdup("unknown");
		return NULL;
	}
	if (err != NULL)
		return err;
	*version = json_strdup(root, "version");
	if (*version == NULL)
		*version = xstrdup("unknown");
	json_free(root);
	return NULL;
}

const struct backend_ops backend_openai_ops = {
	.name = "openai",
	.server = "the OpenAI-compatible server",
	.features = 0,
	.chat_path = "/v1/chat/completions",
	.final_message = "event (\"finish_reason\" or [DONE])",
	.chat_body = x_chat_body,
	.chat_line = x_chat_line,
	.chat_end = x_chat_end,
	.open = x_open,
	.unreachable_hint = "is it running, and is backend.host right?",
	.status_error = x_status_error,
	.resolve = x_resolve,
	.identity = x_identity,
	.models = x_models,
	.version = x_version,
	.free = x_free,
};
