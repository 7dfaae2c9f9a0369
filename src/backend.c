/*
 * backend.c: the one interface to inference servers (backend.h).  It
 * dispatches to the kind's table of operations and owns what every kind
 * shares: a chat's HTTP request, its streamed reply cut into lines, and
 * batches of chats in flight at once.
 */
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "backend_int.h"
#include "config.h"
#include "fsutil.h"
#include "hash.h"
#include "ollama.h"
#include "serve.h"
#include "banned.h"

static const struct {
	const char		*name;
	enum backend_type	 type;
	const struct backend_ops *ops;
} kinds[] = {
	{ "ollama", BACKEND_OLLAMA, &backend_ollama_ops },
	{ "llama-server", BACKEND_LLAMA_SERVER, &backend_llama_ops },
	{ "openai", BACKEND_OPENAI, &backend_openai_ops },
};

int
backend_type_parse(const char *s, enum backend_type *t)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (strcmp(kinds[i].name, s) == 0) {
			*t = kinds[i].type;
			return 0;
		}
	return -1;
}

const char *
backend_type_name(enum backend_type t)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i].type == t)
			return kinds[i].name;
	return "?";
}

struct backend *
backend_new(enum backend_type t, const char *url, long connect_timeout,
    long idle_timeout, long load_timeout)
{
	struct backend *be = xcalloc(1, sizeof(*be));
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i].type == t)
			be->ops = kinds[i].ops;
	if (be->ops == NULL)
		fatal("backend_new: unknown kind %d", (int)t);
	be->type = t;
	be->url = xstrdup(url);
	be->connect_timeout = connect_timeout;
	be->idle_timeout = idle_timeout;
	be->load_timeout = load_timeout;
	return be;
}

/*
 * backend.host as the user gave it, or NULL when it is only the default.
 * For llama-server, Ollama's OLLAMA_HOST and Ollama's own address (which
 * loco setup writes into config.yaml) name an Ollama, not it: NULL too.
 */
static const char *
host_given(const struct config *cfg, enum backend_type t)
{
	const struct config_key *k = config_key_find("backend.host");
	enum config_source src = config_source_of(cfg, k);

	if (src == CONFIG_SRC_DEFAULT)
		return NULL;
	if (t == BACKEND_OLLAMA)
		return cfg->host;
	/* OLLAMA_HOST names an Ollama; the config file is the user's. */
	if (t == BACKEND_OPENAI)
		return src == CONFIG_SRC_ENV &&
		    getenv("LOCO_BACKEND_HOST") == NULL ? NULL : cfg->host;
	if (src == CONFIG_SRC_ENV && getenv("LOCO_BACKEND_HOST") == NULL)
		return NULL;
	/* Ollama's address, as loco setup writes it to config.yaml. */
	if (strcmp(cfg->host, OLLAMA_DEFAULT_URL) == 0 ||
	    strcmp(cfg->host, "127.0.0.1:11434") == 0)
		return NULL;
	return cfg->host;
}

struct error *
backend_open(const struct config *cfg, struct backend **out)
{
	enum backend_type t = BACKEND_OLLAMA;
	struct error *err;
	const char *host;
	char *url = NULL;

	*out = NULL;
	if (cfg->backend_type != NULL &&
	    backend_type_parse(cfg->backend_type, &t) == -1)
		return error_new(EXIT_CONFIG, "backend.type: unknown backend "
		    "'%s' (ollama, llama-server or openai)", cfg->backend_type);
	host = host_given(cfg, t);
	if (t == BACKEND_OLLAMA) {
		if ((err = ollama_host_parse(host ? host : cfg->host, &url)))
			return err;
	} else if (t == BACKEND_OPENAI && host == NULL)
		return error_new(EXIT_CONFIG, "backend.type openai needs "
		    "backend.host: the server's URL (vLLM: http://HOST:8000, "
		    "OpenAI: https://api.openai.com)");
	else if (host != NULL) {
		if ((err = serve_url_parse(host, &url)) != NULL)
			return err;
	} else if ((err = serve_running_url(&url)) != NULL)
		return err;
	/* The address before /v1, as SDKs take it: paths begin with /v1. */
	if (t == BACKEND_OPENAI && str_endswith(url, "/v1"))
		url[strlen(url) - 3] = '\0';
	*out = backend_new(t, url, cfg->connect_timeout, cfg->timeout,
	    cfg->load_timeout);
	(*out)->request_timeout = cfg->request_timeout;
	free(url);
	if ((*out)->ops->open != NULL &&
	    (err = (*out)->ops->open(*out, cfg)) != NULL) {
		backend_free(*out);
		*out = NULL;
		return err;
	}
	return NULL;
}

void
backend_free(struct backend *be)
{
	if (be == NULL)
		return;
	if (be->ops->free != NULL)
		be->ops->free(be);
	free(be->url);
	if (be->secret != NULL)
		explicit_bzero(be->secret, strlen(be->secret));
	if (be->auth != NULL)
		explicit_bzero(be->auth, strlen(be->auth));
	free(be->secret);
	free(be->auth);
	free(be);
}

unsigned long
backend_retries(const struct backend *be)
{
	return be->retries;
}

struct error *
backend_redact(const struct backend *be, struct error *err)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p, *hit;
	size_t n;

	if (err == NULL || be->secret == NULL || *be->secret == '\0' ||
	    strstr(err->msg, be->secret) == NULL)
		return err;
	n = strlen(be->secret);
	for (p = err->msg; (hit = strstr(p, be->secret)) != NULL; p = hit + n) {
		strbuf_add(&sb, p, (size_t)(hit - p));
		strbuf_addstr(&sb, "[redacted]");
	}
	strbuf_addstr(&sb, p);
	explicit_bzero(err->msg, strlen(err->msg));
	free(err->msg);
	err->msg = strbuf_detach(&sb, NULL);
	return err;
}

const char *
backend_name(const struct backend *be)
{
	return be->ops->name;
}

enum backend_type
backend_type(const struct backend *be)
{
	return be->type;
}

const char *
backend_url(const struct backend *be)
{
	return be->url;
}

int
backend_supports(const struct backend *be, unsigned features)
{
	return (be->ops->features & features) == features;
}

struct ollama *
backend_ollama(struct backend *be)
{
	if (be->type != BACKEND_OLLAMA)
		return NULL;
	if (be->priv == NULL)
		be->priv = ollama_new(be->url, be->connect_timeout,
		    be->idle_timeout);
	return be->priv;
}

void
backend_on_wait(struct backend *be, backend_wait_fn fn, void *arg)
{
	be->wait_fn = fn;
	be->wait_arg = arg;
}

/* Targets */

struct error *
backend_resolve(struct backend *be, const struct registry *reg,
    const struct adapter *a, struct backend_target *t)
{
	memset(t, 0, sizeof(*t));
	return backend_redact(be, be->ops->resolve(be, reg, a, t));
}

void
backend_target_release(struct backend_target *t)
{
	free(t->model);
	free(t->lora);
	free(t->label);
	memset(t, 0, sizeof(*t));
}

int
backend_target_same(const struct backend_target *a,
    const struct backend_target *b)
{
	size_t i;

	if (!ollama_name_equal(a->model, b->model) || a->nlora != b->nlora)
		return 0;
	for (i = 0; i < a->nlora; i++)
		if (a->lora[i].id != b->lora[i].id ||
		    a->lora[i].scale != b->lora[i].scale)
			return 0;
	return 1;
}

struct error *
backend_identity(struct backend *be, const struct backend_target *t,
    char **id)
{
	*id = NULL;
	return backend_redact(be, be->ops->identity(be, t, id));
}

char *
backend_chat_body(const struct backend *be, const struct chat_request *cr)
{
	return be->ops->chat_body(be, cr);
}

void
backend_cache_key(struct backend *be, const struct chat_request *cr,
    const char *identity, char key[65])
{
	char *body, *text;

	body = be->ops->cache_body ? be->ops->cache_body(be, cr) :
	    be->ops->chat_body(be, cr);
	text = xasprintf("%s\n%s", body, identity ? identity : "");
	sha256_hex(text, strlen(text), key);
	free(text);
	free(body);
}

/* Models */

struct error *
backend_models(struct backend *be, struct backend_model **m, size_t *n)
{
	*m = NULL;
	*n = 0;
	return backend_redact(be, be->ops->models(be, m, n));
}

void
backend_models_free(struct backend_model *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(m[i].name);
		free(m[i].digest);
		free(m[i].family);
		free(m[i].parameter_size);
		free(m[i].quantization);
	}
	free(m);
}

const char *
backend_model_digest(const struct backend_model *m, size_t n,
    const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ollama_name_equal(m[i].name, name))
			return m[i].digest ? m[i].digest : "";
	return NULL;
}

int
backend_thinks(struct backend *be, const struct backend_target *t)
{
	return be->ops->thinks != NULL && be->ops->thinks(be, t);
}

struct error *
backend_version(struct backend *be, char **version)
{
	*version = NULL;
	return backend_redact(be, be->ops->version(be, version));
}

/* Shared helpers */

long long
backend_json_ll(const struct json *obj, const char *key)
{
	double d;

	/* Counts and durations: drop what is negative, NaN or too big. */
	if (json_num(obj, key, &d) == -1 || !(d >= 0 && d < 9223372036854775807.0))
		return 0;
	return (long long)d;
}

/*
 * A message's tool fields in the OpenAI shape: an assistant's
 * tool_calls [{id, type, function: {name, arguments (text)}}], a tool
 * result's tool_call_id.  Ollama's body rewrites them (ollama.c).
 */
static void
add_tool_fields(struct json *msg, const struct chat_message *m)
{
	struct json *calls, *call, *fn;
	size_t i;

	if (m->ntool_calls > 0) {
		calls = json_add_arr(msg, "tool_calls");
		for (i = 0; i < m->ntool_calls; i++) {
			const struct chat_tool_call *c = &m->tool_calls[i];

			call = json_add_obj(calls, NULL);
			if (c->id != NULL && *c->id != '\0')
				json_add_str(call, "id", c->id);
			json_add_str(call, "type", "function");
			fn = json_add_obj(call, "function");
			json_add_str(fn, "name", c->name);
			json_add_str(fn, "arguments",
			    c->arguments ? c->arguments : "{}");
		}
	}
	if (m->tool_call_id != NULL && *m->tool_call_id != '\0')
		json_add_str(msg, "tool_call_id", m->tool_call_id);
}

struct json *
backend_chat_json(const struct chat_request *cr)
{
	struct json *root, *msgs, *msg, *tools;
	size_t i;

	root = json_new_object();
	json_add_str(root, "model", cr->model);
	msgs = json_add_arr(root, "messages");
	for (i = 0; i < cr->nmessages; i++) {
		msg = json_add_obj(msgs, NULL);
		json_add_str(msg, "role", cr->messages[i].role);
		json_add_str(msg, "content", cr->messages[i].content);
		add_tool_fields(msg, &cr->messages[i]);
	}
	json_add_bool(root, "stream", cr->stream);
	if (cr->tools != NULL) {
		tools = json_parse(cr->tools, strlen(cr->tools), NULL);
		if (json_is_array(tools))
			json_add(root, "tools", tools);
		else
			json_free(tools);
	}
	return root;
}

struct error *
backend_transport_error(const char *server, const char *url,
    const char *path, const char *hint, struct error *err)
{
	if (err->code == EXIT_UNREACHABLE) {
		error_free(err);
		return error_new(EXIT_UNREACHABLE, "cannot reach %s at %s: %s",
		    server, url, hint);
	}
	if (err->code == EXIT_INTERRUPT)
		return err;
	return error_prefix(err, "request to %s%s failed", url, path);
}

static struct error *
transport(struct backend *be, const char *path, struct error *err)
{
	return backend_transport_error(be->ops->server, be->url, path,
	    be->ops->unreachable_hint, err);
}

char *
backend_error_text(const struct http_response *resp)
{
	struct json *root, *e;
	const char *m;
	char *text;

	root = json_parse(resp->body.buf, resp->body.len, NULL);
	e = json_get(root, "error");
	/* OpenAI style: {"error": {"message": ...}}; vLLM: {"message"} */
	m = json_str(e != NULL ? e : root, "message");
	if (json_is_string(e))
		text = str_sanitize(json_string(e), 500);
	else if (m != NULL)
		text = str_sanitize(m, 500);
	else if (resp->body.len > 0) {
		char *trimmed = xstrdup(resp->body.buf);
		text = str_sanitize(str_trim(trimmed), 500);
		free(trimmed);
	} else
		text = xstrdup("(empty reply)");
	json_free(root);
	return text;
}

struct error *
backend_request_json(struct backend *be, const char *method,
    const char *path, const char *body, struct json **out, long *status)
{
	struct http_request req;
	struct http_response resp;
	struct error *err;
	char *url = xasprintf("%s%s", be->url, path);
	const char *headers[] = { be->auth, NULL };

	*out = NULL;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.headers = headers;
	req.body = body;
	req.bodylen = body ? strlen(body) : 0;
	req.connect_timeout = be->connect_timeout;
	req.idle_timeout = be->idle_timeout;
	http_response_init(&resp);
	err = http_perform(&req, &resp);
	if (status != NULL)
		*status = err == NULL ? resp.status : 0;
	if (err != NULL) {
		err = transport(be, path, err);
		goto done;
	}
	if (resp.status < 200 || resp.status >= 300) {
		err = be->ops->status_error(be, path, &resp);
		goto done;
	}
	*out = json_parse(resp.body.buf, resp.body.len, NULL);
	if (!json_is_object(*out) && !json_is_array(*out)) {
		char *clean = str_sanitize(resp.body.buf, 80);
		json_free(*out);
		*out = NULL;
		err = error_new(EXIT_FAIL, "malformed reply from %s at %s%s: "
		    "expected JSON, got '%s'", be->ops->server, be->url, path,
		    clean);
		free(clean);
	}
done:
	http_response_release(&resp);
	free(url);
	return backend_redact(be, err);
}

/* Chat */

void
chat_result_init(struct chat_result *res)
{
	memset(res, 0, sizeof(*res));
}

int
chat_truncated(const struct chat_result *res)
{
	return res->done_reason != NULL &&
	    strcmp(res->done_reason, "length") == 0;
}

void
chat_result_release(struct chat_result *res)
{
	size_t i;

	free(res->content);
	free(res->thinking);
	free(res->model);
	free(res->done_reason);
	for (i = 0; i < res->ntool_calls; i++) {
		free(res->tool_calls[i].id);
		free(res->tool_calls[i].name);
		free(res->tool_calls[i].arguments);
	}
	free(res->tool_calls);
	chat_result_init(res);
}

/* Calls beyond this many in one answer are not kept. */
#define CHAT_TOOL_CALLS_MAX 64

struct chat_tool_call *
chat_tool_call_at(struct chat_result *res, size_t index)
{
	size_t i;

	if (index >= CHAT_TOOL_CALLS_MAX)
		return NULL;
	if (index >= res->ntool_calls) {
		res->tool_calls = xreallocarray(res->tool_calls, index + 1,
		    sizeof(*res->tool_calls));
		for (i = res->ntool_calls; i <= index; i++) {
			res->tool_calls[i].id = xstrdup("");
			res->tool_calls[i].name = xstrdup("");
			res->tool_calls[i].arguments = xstrdup("");
		}
		res->ntool_calls = index + 1;
	}
	return &res->tool_calls[index];
}

struct error *
chat_stream_json(struct chat_stream *cs, const char *line, size_t len,
    struct json **root)
{
	struct error *err;
	char *head, *clean;

	if ((*root = json_parse_object(line, len)) != NULL)
		return NULL;
	head = xstrndup(line, len < 60 ? len : 60);
	clean = str_sanitize(head, 0);
	err = error_new(EXIT_FAIL, "malformed reply from %s (line %ld): "
	    "expected a JSON object, got '%s%s'", cs->be->ops->server,
	    cs->nd.lineno, clean, len > 60 ? "..." : "");
	free(clean);
	free(head);
	return err;
}

struct error *
chat_stream_piece(struct chat_stream *cs, const char *content,
    const char *thinking)
{
	if (*content == '\0' && *thinking == '\0')
		return NULL;
	if (strbuf_addstr(&cs->content, content) == -1 ||
	    strbuf_addstr(&cs->thinking, thinking) == -1)
		return error_new(EXIT_FAIL, "the answer from %s is larger "
		    "than %zu bytes", cs->be->ops->server, cs->content.cap);
	if (cs->fn != NULL)
		return cs->fn(content, strlen(content), thinking,
		    strlen(thinking), cs->arg);
	return NULL;
}

static struct error *
on_line(const char *line, size_t len, void *arg)
{
	struct chat_stream *cs = arg;

	return cs->be->ops->chat_line(cs, line, len);
}

static void wait_report(struct chat_stream *);

static int
on_chat_data(const char *data, size_t len, void *arg)
{
	struct chat_stream *cs = arg;

	if (cs->err != NULL)
		return -1;
	/* Gone before the answer shows, so the two never share a line. */
	if (!cs->replied) {
		cs->replied = 1;
		wait_report(cs);
	}
	cs->err = ndjson_feed(&cs->nd, data, len);
	return cs->err != NULL ? -1 : 0;
}

static void
stream_init(struct chat_stream *cs, struct backend *be, chat_piece_fn fn,
    void *arg, struct chat_result *res)
{
	chat_result_release(res);
	memset(cs, 0, sizeof(*cs));
	cs->be = be;
	cs->fn = fn;
	cs->arg = arg;
	cs->res = res;
	cs->sent = now_ns();
	cs->headers[0] = be->auth;
	strbuf_init(&cs->content, 256u * 1024 * 1024);
	strbuf_init(&cs->thinking, 256u * 1024 * 1024);
	strbuf_init(&cs->whole, CHAT_MAX_LINE);
	ndjson_init(&cs->nd, CHAT_MAX_LINE, on_line, cs);
}

/* Drop what a stream holds (a chat cancelled, or about to be resent). */
static void
stream_release(struct chat_stream *cs)
{
	error_free(cs->err);
	cs->err = NULL;
	strbuf_release(&cs->content);
	strbuf_release(&cs->thinking);
	strbuf_release(&cs->whole);
	ndjson_release(&cs->nd);
}

static void
on_chat_tick(void *arg)
{
	wait_report(arg);
}

static void
chat_http_request(struct http_request *req, struct backend *be,
    const char *url, const char *body, struct chat_stream *cs)
{
	memset(req, 0, sizeof(*req));
	req->method = "POST";
	req->url = url;
	req->body = body;
	req->bodylen = strlen(body);
	req->headers = cs->headers;
	req->on_data = on_chat_data;
	req->on_tick = on_chat_tick;
	req->arg = cs;
	req->connect_timeout = be->connect_timeout;
	req->idle_timeout = be->idle_timeout;
	/* Queue and load apart from the gaps in a reply that flows. */
	req->first_byte_timeout = be->load_timeout > 0 ? be->load_timeout :
	    HTTP_NO_TIMEOUT;
	req->total_timeout = be->request_timeout;
	req->max_body = CHAT_MAX_LINE;
}

/*
 * Seconds to wait before sending a chat again (its reply was 429 or 503
 * with a Retry-After loco is willing to wait, and tries are left), or -1.
 */
static long
retry_after(const struct http_response *resp, const struct error *terr,
    unsigned tries)
{
	if (terr != NULL || (resp->status != 429 && resp->status != 503) ||
	    resp->retry_after < 0 || resp->retry_after > BACKEND_RETRY_MAX ||
	    tries >= BACKEND_RETRIES)
		return -1;
	return resp->retry_after;
}

/* A non-2xx reply's error, saying how its Retry-After was taken. */
static struct error *
status_error(struct backend *be, const struct http_response *resp,
    unsigned tries)
{
	struct error *err = be->ops->status_error(be, be->ops->chat_path,
	    resp);
	char *msg = NULL;

	if ((resp->status != 429 && resp->status != 503) ||
	    resp->retry_after < 0)
		return err;
	if (resp->retry_after > BACKEND_RETRY_MAX)
		msg = xasprintf("%s; it asks to wait %ld s, longer than loco "
		    "waits (%d s): try again later", err->msg,
		    resp->retry_after, BACKEND_RETRY_MAX);
	else if (tries > 0)
		msg = xasprintf("%s; still so after %u retries as its "
		    "Retry-After asked", err->msg, tries);
	if (msg != NULL) {
		free(err->msg);
		err->msg = msg;
	}
	return err;
}

/*
 * The end of one chat transfer: turn the transport error (terr), the HTTP
 * status and the stream's state into the request's error, and hand the
 * text over to the result.
 */
static struct error *
stream_end(struct chat_stream *cs, struct error *terr,
    const struct http_response *resp, unsigned tries)
{
	struct backend *be = cs->be;
	struct error *err = NULL;

	if (terr != NULL) {
		if (cs->err != NULL && terr->code != EXIT_INTERRUPT) {
			error_free(terr);
			err = cs->err;
			cs->err = NULL;
		} else
			err = transport(be, be->ops->chat_path, terr);
	} else if (resp->status < 200 || resp->status >= 300)
		err = status_error(be, resp, tries);
	else if ((err = ndjson_finish(&cs->nd)) != NULL)
		;
	else if (be->ops->chat_end != NULL &&
	    (err = be->ops->chat_end(cs)) != NULL)
		;
	else if (!cs->done)
		err = error_new(EXIT_FAIL, "the answer from %s ended early: "
		    "the stream closed without its final %s", be->ops->server,
		    be->ops->final_message);
	error_free(cs->err);
	cs->err = NULL;
	cs->res->content = strbuf_detach(&cs->content, NULL);
	cs->res->thinking = strbuf_detach(&cs->thinking, NULL);
	strbuf_release(&cs->whole);
	ndjson_release(&cs->nd);
	return backend_redact(be, err);
}

/* Sleep until now_ns() passes until, or SIGINT. */
static void
sleep_until(long long until)
{
	while (!loco_interrupted && now_ns() < until)
		usleep(20000);
}

struct error *
backend_chat(struct backend *be, const struct chat_request *cr,
    chat_piece_fn fn, void *arg, struct chat_result *res)
{
	struct http_request req;
	struct http_response resp;
	struct chat_stream cs;
	struct error *err, *terr;
	char *body, *url;
	unsigned tries;
	long wait;

	body = be->ops->chat_body(be, cr);
	url = xasprintf("%s%s", be->url, be->ops->chat_path);
	http_response_init(&resp);
	for (tries = 0;; tries++) {
		stream_init(&cs, be, fn, arg, res);
		chat_http_request(&req, be, url, body, &cs);
		terr = http_perform(&req, &resp);
		if ((wait = retry_after(&resp, terr, tries)) < 0)
			break;
		/* Nothing was passed on: a 429 or 503 has no answer. */
		stream_release(&cs);
		be->retries++;
		sleep_until(now_ns() + wait * 1000000000LL);
	}
	err = stream_end(&cs, terr, &resp, tries);
	if (be->wait_fn != NULL)
		be->wait_fn(0, 0, 0, be->wait_arg);
	http_response_release(&resp);
	free(url);
	free(body);
	return err;
}

/* Concurrent chats */

struct chat_slot {
	struct chat_stream	 cs;
	struct http_request	 req;
	struct http_response	 resp;
	struct chat_result	 res;
	char			*body;
	char			*url;
	int			 busy;
	unsigned		 tries;		/* sent again, so far */
	long long		 resend_at;	/* now_ns(); 0: in flight */
};

struct chat_batch {
	struct backend		*be;
	struct http_multi	*hm;
	struct chat_slot	*slots;
	size_t			 n;
};

struct chat_batch *
chat_batch_new(struct backend *be, size_t n)
{
	struct chat_batch *b = xcalloc(1, sizeof(*b));
	size_t i;

	b->be = be;
	b->n = n;
	b->hm = http_multi_new(n);
	b->slots = xcalloc(n + 1, sizeof(*b->slots));
	for (i = 0; i < n; i++) {
		http_response_init(&b->slots[i].resp);
		chat_result_init(&b->slots[i].res);
	}
	return b;
}

static void
slot_clear(struct chat_slot *sl)
{
	free(sl->body);
	free(sl->url);
	sl->body = sl->url = NULL;
	http_response_release(&sl->resp);
	sl->busy = 0;
	sl->tries = 0;
	sl->resend_at = 0;
}

static void
slot_send(struct chat_batch *b, size_t id)
{
	struct chat_slot *sl = &b->slots[id];

	stream_init(&sl->cs, b->be, NULL, NULL, &sl->res);
	sl->cs.batch = b;
	sl->resend_at = 0;
	chat_http_request(&sl->req, b->be, sl->url, sl->body, &sl->cs);
	http_multi_add(b->hm, id, &sl->req, &sl->resp);
}

void
chat_batch_start(struct chat_batch *b, size_t id, const struct chat_request *cr)
{
	struct chat_slot *sl;

	if (id >= b->n || b->slots[id].busy)
		fatal("chat_batch_start: slot %zu is busy or out of range", id);
	sl = &b->slots[id];
	sl->body = b->be->ops->chat_body(b->be, cr);
	sl->url = xasprintf("%s%s", b->be->url, b->be->ops->chat_path);
	sl->busy = 1;
	sl->tries = 0;
	slot_send(b, id);
}

/* What waits for a first byte, over the busy slots. */
static void
batch_report(struct chat_batch *b)
{
	long long now, w, longest = 0;
	size_t i, waiting = 0, running = 0;

	if (b->be->wait_fn == NULL)
		return;
	now = now_ns();
	for (i = 0; i < b->n; i++) {
		if (!b->slots[i].busy)
			continue;
		running++;
		if (b->slots[i].cs.replied)
			continue;
		waiting++;
		w = now - b->slots[i].cs.sent;
		if (w > longest)
			longest = w;
	}
	b->be->wait_fn(waiting, running, longest, b->be->wait_arg);
}

static void
wait_report(struct chat_stream *cs)
{
	struct backend *be = cs->be;

	if (be->wait_fn == NULL)
		return;
	if (cs->batch != NULL)
		batch_report(cs->batch);
	else
		be->wait_fn(!cs->replied, 1, cs->replied ? 0 :
		    now_ns() - cs->sent, be->wait_arg);
}

/*
 * Send again the chats whose Retry-After has passed; the time the next
 * of those still waiting is due, or 0 when none waits.  On SIGINT one
 * that waits is in *id (returns -1).
 */
static long long
batch_resend(struct chat_batch *b, size_t *id)
{
	long long now = now_ns(), next = 0;
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct chat_slot *sl = &b->slots[i];

		if (!sl->busy || sl->resend_at == 0)
			continue;
		if (loco_interrupted) {
			*id = i;
			return -1;
		}
		if (sl->resend_at <= now)
			slot_send(b, i);
		else if (next == 0 || sl->resend_at < next)
			next = sl->resend_at;
	}
	return next;
}

/* Hand a slot's end over to the caller. */
static void
slot_done(struct chat_batch *b, struct chat_slot *sl, struct chat_result *res)
{
	chat_result_release(res);
	*res = sl->res;
	chat_result_init(&sl->res);
	slot_clear(sl);
	batch_report(b);
}

int
chat_batch_next(struct chat_batch *b, size_t *id, struct chat_result *res,
    struct error **err)
{
	struct error *terr;
	struct chat_slot *sl;
	long long due;
	long wait;

	*err = NULL;
	for (;;) {
		if ((due = batch_resend(b, id)) == -1) {
			*err = error_new(EXIT_INTERRUPT, "interrupted");
			slot_done(b, &b->slots[*id], res);
			return 1;
		}
		if (http_multi_running(b->hm) == 0) {
			if (due == 0)
				return 0;
			sleep_until(due);
			continue;
		}
		if (!http_multi_wait_until(b->hm, due, id, &terr))
			continue;
		sl = &b->slots[*id];
		if ((wait = retry_after(&sl->resp, terr, sl->tries)) >= 0) {
			stream_release(&sl->cs);
			sl->tries++;
			b->be->retries++;
			sl->resend_at = now_ns() + wait * 1000000000LL + 1;
			continue;
		}
		*err = stream_end(&sl->cs, terr, &sl->resp, sl->tries);
		slot_done(b, sl, res);
		return 1;
	}
}

void
chat_batch_cancel(struct chat_batch *b, size_t id)
{
	struct chat_slot *sl;

	if (id >= b->n || !b->slots[id].busy)
		return;
	sl = &b->slots[id];
	http_multi_cancel(b->hm, id);
	stream_release(&sl->cs);
	chat_result_release(&sl->res);
	slot_clear(sl);
	batch_report(b);
}

size_t
chat_batch_running(const struct chat_batch *b)
{
	size_t i, waiting = 0;

	for (i = 0; i < b->n; i++)
		if (b->slots[i].busy && b->slots[i].resend_at != 0)
			waiting++;
	return http_multi_running(b->hm) + waiting;
}

void
chat_batch_free(struct chat_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		chat_batch_cancel(b, i);
	http_multi_free(b->hm);
	free(b->slots);
	free(b);
}
