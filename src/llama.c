/*
 * llama.c: the llama-server backend (llama.cpp's server).  The base model
 * is loaded once with every LoRA adapter resident; a request chooses its
 * adapters by id and scale ("lora": [{"id": 0, "scale": 1.0}]; none is
 * the base model).  Chat goes over the OpenAI-style /v1/chat/completions,
 * streamed as Server-Sent Events (the protocol is openai.c's); adapters are matched to ids through
 * GET /lora-adapters by file (the same path, or the same SHA-256).
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_int.h"
#include "config.h"
#include "hash.h"
#include "banned.h"

/* Seconds to wait for a server that is still loading its model. */
#define LOADING_WAIT 120

struct loaded_lora {
	long	 id;
	char	*path;		/* as the server names it */
	char	*real;		/* its realpath here, or NULL */
	char	*sha256;	/* computed on demand, or NULL */
};

struct llama {
	int			 listed;
	struct loaded_lora	*loras;
	size_t			 nloras;
	char			*model_path;	/* /props */
	char			*build;
};

static struct llama *
priv(struct backend *be)
{
	if (be->priv == NULL)
		be->priv = xcalloc(1, sizeof(struct llama));
	return be->priv;
}

static void
l_free(struct backend *be)
{
	struct llama *l = be->priv;
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nloras; i++) {
		free(l->loras[i].path);
		free(l->loras[i].real);
		free(l->loras[i].sha256);
	}
	free(l->loras);
	free(l->model_path);
	free(l->build);
	free(l);
	be->priv = NULL;
}

static struct error *
l_status_error(struct backend *be, const char *path,
    const struct http_response *resp)
{
	char *text = backend_error_text(resp);
	struct error *err;

	if (resp->status == 503)
		err = error_new(EXIT_FAIL, "llama-server at %s is not ready "
		    "(HTTP 503: %s): it is still loading the model; try again "
		    "in a moment", be->url, text);
	else if (resp->status == 404)
		err = error_new(EXIT_FAIL, "llama-server at %s has no %s (HTTP "
		    "404): is it really llama-server?", be->url, path);
	else if (resp->status == 400 && strstr(text, "adapter") != NULL)
		err = error_new(EXIT_FAIL, "llama-server at %s refused the "
		    "request's LoRA adapters (HTTP 400: %s): was it restarted "
		    "with other --lora files?", be->url, text);
	else
		err = error_new(EXIT_FAIL, "llama-server answered HTTP %ld: %s",
		    resp->status, text);
	free(text);
	return err;
}

static char *
body(const struct chat_request *cr, int with_lora)
{
	struct json *root, *msg, *lora, *kw;
	size_t i;
	char *text;

	root = backend_chat_json(cr);
	/*
	 * Always a list: a request without one gets the server's global
	 * scales, which are every adapter at once unless it was started
	 * with --lora-init-without-apply.
	 */
	if (with_lora) {
		lora = json_add_arr(root, "lora");
		for (i = 0; i < cr->nlora; i++) {
			msg = json_add_obj(lora, NULL);
			json_add_num(msg, "id", (double)cr->lora[i].id);
			json_add_num(msg, "scale", cr->lora[i].scale);
		}
	}
	/* Qwen3's template reads enable_thinking; others ignore it. */
	if (cr->think != CHAT_THINK_OMIT) {
		kw = json_add_obj(root, "chat_template_kwargs");
		json_add_bool(kw, "enable_thinking", cr->think);
	}
	oai_add_options(root, cr, 1);
	text = json_print(root, 0);
	json_free(root);
	return text;
}

static char *
l_chat_body(const struct backend *be, const struct chat_request *cr)
{
	return body(cr, 1);
}

/* The cache's body: ids depend on --lora order; identity names files. */
static char *
l_cache_body(const struct backend *be, const struct chat_request *cr)
{
	return body(cr, 0);
}

/*
 * GET path, waiting while the server loads its model (HTTP 503 from
 * every endpoint) rather than failing: no separate /health round trip.
 */
static struct error *
get_ready(struct backend *be, const char *path, struct json **root)
{
	struct error *err;
	long long until = now_ns() + (long long)LOADING_WAIT * 1000000000LL;
	long status;

	for (;;) {
		err = backend_request_json(be, "GET", path, NULL, root,
		    &status);
		if (err == NULL)
			return NULL;
		if (status != 503 || now_ns() > until || loco_interrupted)
			return err;
		error_free(err);
		usleep(250000);
	}
}

static struct error *
list_loras(struct backend *be)
{
	struct llama *l = priv(be);
	struct error *err;
	struct json *root, *it;
	const char *path;
	size_t i = 0;
	char real[PATH_MAX];
	double id;

	if (l->listed)
		return NULL;
	if ((err = get_ready(be, "/lora-adapters", &root)) != NULL)
		return err;
	if (!json_is_array(root)) {
		json_free(root);
		return error_new(EXIT_FAIL, "malformed reply from llama-server "
		    "at %s/lora-adapters: expected a list", be->url);
	}
	l->loras = xcalloc(json_count(root) + 1,
	    sizeof(*l->loras));
	JSON_FOREACH(it, root) {
		if (json_num(it, "id", &id) == -1 ||
		    (path = json_str(it, "path")) == NULL)
			continue;
		l->loras[i].id = (long)id;
		l->loras[i].path = xstrdup(path);
		if (realpath(path, real) != NULL)
			l->loras[i].real = xstrdup(real);
		i++;
	}
	l->nloras = i;
	l->listed = 1;
	json_free(root);
	return NULL;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/*
 * A server started elsewhere may name its files relative to its own
 * directory, which cannot be opened from here: then the one file of the
 * same name, if only one has it.
 */
static long
base_name_id(const struct llama *l, const struct adapter *a)
{
	long id = -1;
	size_t i;

	for (i = 0; i < l->nloras; i++) {
		if (l->loras[i].real != NULL ||
		    strcmp(base_name(l->loras[i].path), base_name(a->file)))
			continue;
		if (id >= 0)
			return -1;
		id = l->loras[i].id;
	}
	return id;
}

/*
 * The server's id of a LoRA file: the same path, else the same contents,
 * else (for files not visible here) the same file name.
 */
static long
lora_id(struct llama *l, const struct adapter *a)
{
	char real[PATH_MAX];
	size_t i;

	if (realpath(a->file, real) == NULL)
		real[0] = '\0';
	for (i = 0; i < l->nloras; i++)
		if (strcmp(l->loras[i].path, a->file) == 0 ||
		    (l->loras[i].real && strcmp(l->loras[i].real, real) == 0))
			return l->loras[i].id;
	if (a->sha256 == NULL)
		return base_name_id(l, a);
	for (i = 0; i < l->nloras; i++) {
		struct loaded_lora *ll = &l->loras[i];
		char hex[SHA256_HEX_LEN + 1];

		if (ll->sha256 == NULL && ll->real != NULL) {
			struct error *err = sha256_file(ll->real, hex, NULL,
			    NULL);

			if (err == NULL)
				ll->sha256 = xstrdup(hex);
			error_free(err);
		}
		if (ll->sha256 && strcmp(ll->sha256, a->sha256) == 0)
			return ll->id;
	}
	return base_name_id(l, a);
}

static struct error *
not_loaded(struct backend *be, const struct adapter *a)
{
	return error_new(EXIT_NOMODEL, "adapter '%s' is not loaded in "
	    "llama-server at %s: start it with '--lora %s' (loco serve "
	    "loads every active adapter; restart it after 'loco setup')",
	    a->name, be->url, a->file);
}

/*
 * Every adapter the server holds, at scale 0: a request names them all.
 * Checked on the real llama-server: with "lora": [] it does not answer as
 * the base model (nor as a server without --lora does), and it reuses a
 * slot's prompt cache computed under another adapter; with every id and
 * explicit scales it answers as the base alone, and drops the cache when
 * the scales change.
 */
static void
every_lora(const struct llama *l, struct backend_target *t)
{
	size_t i;

	t->lora = xcalloc(l->nloras + 1, sizeof(*t->lora));
	for (i = 0; i < l->nloras; i++) {
		t->lora[i].id = l->loras[i].id;
		t->lora[i].scale = 0;
	}
	t->nlora = l->nloras;
}

static void
set_scale(struct backend_target *t, long id, double scale)
{
	size_t i;

	for (i = 0; i < t->nlora; i++)
		if (t->lora[i].id == id)
			t->lora[i].scale = scale;
}

static struct error *
l_resolve(struct backend *be, const struct registry *reg,
    const struct adapter *a, struct backend_target *t)
{
	struct llama *l = priv(be);
	struct strbuf sb = STRBUF_INIT;
	struct error *err;
	size_t i;
	long id;

	if ((err = list_loras(be)) != NULL)
		return err;
	if (a == NULL || a->type == ADAPTER_PROMPT) {
		/* The base model; a prompt adapter is its system prompt. */
		t->model = xstrdup(a ? a->model : reg->base.tag);
		t->label = xstrdup(reg->base.tag);
		every_lora(l, t);
		return NULL;
	}
	if (a->type == ADAPTER_TAG || a->type == ADAPTER_MERGED)
		return error_new(EXIT_USAGE, "adapter '%s' is of type %s, a "
		    "model of its own, which llama-server cannot swap in: it "
		    "serves one base with LoRA adapters", a->name,
		    adapter_type_name(a->type));
	t->model = xstrdup(a->model);
	if (a->type == ADAPTER_LORA) {
		if ((id = lora_id(l, a)) < 0)
			return not_loaded(be, a);
		every_lora(l, t);
		set_scale(t, id, 1.0);
		t->label = xstrdup(a->model);
		return NULL;
	}
	/* A composition: each part's id at its scale. */
	every_lora(l, t);
	strbuf_addf(&sb, "%s (", a->model);
	for (i = 0; i < a->ncompose; i++) {
		const struct adapter *p = registry_find(reg,
		    a->compose[i].adapter);

		if (p == NULL || p->type != ADAPTER_LORA) {
			strbuf_release(&sb);
			return error_new(EXIT_CONFIG, "adapter '%s': part '%s' "
			    "is not a LoRA adapter of the registry", a->name,
			    a->compose[i].adapter);
		}
		if ((id = lora_id(l, p)) < 0) {
			strbuf_release(&sb);
			return not_loaded(be, p);
		}
		set_scale(t, id, a->compose[i].scale);
		strbuf_addf(&sb, "%s%s %g", i ? " + " : "", p->name,
		    a->compose[i].scale);
	}
	strbuf_addch(&sb, ')');
	t->label = strbuf_detach(&sb, NULL);
	return NULL;
}

static struct error *
props(struct backend *be)
{
	struct llama *l = priv(be);
	struct error *err;
	struct json *root;

	if (l->model_path != NULL)
		return NULL;
	if ((err = get_ready(be, "/props", &root)) != NULL)
		return err;
	l->model_path = json_strdup(root, "model_path");
	l->build = json_strdup(root, "build_info");
	if (l->model_path == NULL)
		l->model_path = xstrdup("");
	json_free(root);
	return NULL;
}

/* A file as "path size mtime": what changes when it is replaced. */
static void
file_identity(struct strbuf *sb, const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0)
		strbuf_addf(sb, "%s %lld %lld", path, (long long)st.st_size,
		    (long long)st.st_mtime);
	else
		strbuf_addstr(sb, path);
}

static struct error *
l_identity(struct backend *be, const struct backend_target *t, char **id)
{
	struct llama *l = priv(be);
	struct strbuf sb = STRBUF_INIT;
	struct error *err;
	size_t i, k;

	if ((err = props(be)) != NULL || (err = list_loras(be)) != NULL)
		return err;
	strbuf_addstr(&sb, "llama-server base ");
	file_identity(&sb, l->model_path);
	for (i = 0; i < t->nlora; i++) {
		if (t->lora[i].scale == 0)
			continue;
		for (k = 0; k < l->nloras; k++)
			if (l->loras[k].id == t->lora[i].id)
				break;
		strbuf_addf(&sb, "\nlora %g ", t->lora[i].scale);
		if (k == l->nloras) {
			strbuf_release(&sb);
			return error_new(EXIT_NOMODEL, "llama-server at %s has "
			    "no LoRA id %ld", be->url, t->lora[i].id);
		}
		if (l->loras[k].sha256 != NULL)
			strbuf_addstr(&sb, l->loras[k].sha256);
		else
			file_identity(&sb, l->loras[k].path);
	}
	*id = strbuf_detach(&sb, NULL);
	return NULL;
}

static struct error *
l_models(struct backend *be, struct backend_model **m, size_t *n)
{
	struct llama *l = priv(be);
	struct error *err;
	size_t i;

	if ((err = props(be)) != NULL || (err = list_loras(be)) != NULL)
		return err;
	*m = xcalloc(l->nloras + 2, sizeof(**m));
	(*m)[0].name = xstrdup(l->model_path);
	(*m)[0].digest = xstrdup("");
	(*m)[0].family = xstrdup("base");
	for (i = 0; i < l->nloras; i++) {
		(*m)[i + 1].name = xstrdup(l->loras[i].path);
		(*m)[i + 1].digest = xstrdup(l->loras[i].sha256 ?
		    l->loras[i].sha256 : "");
		(*m)[i + 1].family = xasprintf("lora %ld", l->loras[i].id);
	}
	*n = l->nloras + 1;
	return NULL;
}

static struct error *
l_version(struct backend *be, char **version)
{
	struct llama *l = priv(be);
	struct error *err;

	if ((err = props(be)) != NULL)
		return err;
	*version = xstrdup(l->build ? l->build : "unknown");
	return NULL;
}

const struct backend_ops backend_llama_ops = {
	.name = "llama-server",
	.server = "llama-server",
	.features = BACKEND_LORA | BACKEND_LORA_MULTI | BACKEND_THINK,
	.chat_path = "/v1/chat/completions",
	.final_message = "event (\"finish_reason\" or [DONE])",
	.chat_body = l_chat_body,
	.cache_body = l_cache_body,
	.chat_line = oai_event_line,
	.unreachable_hint = "is 'loco serve' running?",
	.status_error = l_status_error,
	.resolve = l_resolve,
	.identity = l_identity,
	.models = l_models,
	.version = l_version,
	.free = l_free,
};
