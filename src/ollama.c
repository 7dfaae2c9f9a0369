/*
 * ollama.c: Ollama REST client: host parsing, model names, /api/version,
 * /api/tags, /api/show and streaming /api/chat.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend_int.h"
#include "config.h"
#include "hash.h"
#include "http.h"
#include "jsonout.h"
#include "ndjson.h"
#include "ollama.h"
#include "strbuf.h"
#include "banned.h"

#define OLLAMA_UNREACHABLE "is 'ollama serve' running?"

struct ollama {
	char	*url;
	long	 connect_timeout;
	long	 idle_timeout;
	/* The last model whose capabilities were asked, and the answer. */
	char	*caps_model;
	int	 caps_think;
};

/* Host parsing */

static int
valid_port(const char *p, long *port)
{
	return parse_long(p, 0, 65535, port) == 0;
}

/* Is s an IPv6 literal (contains ':' and only hex digits, ':' and '.')? */
static int
is_ipv6(const char *s)
{
	const char *p;

	if (strchr(s, ':') == NULL)
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.' &&
		    *p != '%')
			return 0;
	return 1;
}

struct error *
ollama_host_parse(const char *text, char **url)
{
	char *s, *p, *scheme, *hostport, *path = NULL, *host = NULL;
	char *port = NULL, *colon;
	const char *defport = "11434";
	long portnum;
	size_t len;
	struct error *err = NULL;

	if (text == NULL)
		text = "";
	/* As Ollama's envconfig: trim spaces, then quotes, then spaces. */
	s = xstrdup(text);
	str_trim(s);
	len = strlen(s);
	p = s;
	while (*p == '"' || *p == '\'')
		p++, len--;
	while (len > 0 && (p[len - 1] == '"' || p[len - 1] == '\''))
		len--;
	p[len] = '\0';
	memmove(s, p, len + 1);
	str_trim(s);

	if ((p = strstr(s, "://")) != NULL) {
		*p = '\0';
		scheme = s;
		hostport = p + 3;
		for (p = scheme; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		if (strcmp(scheme, "http") == 0)
			defport = "80";
		else if (strcmp(scheme, "https") == 0)
			defport = "443";
		else {
			char *clean = str_sanitize(scheme, 40);
			char *ctext = str_sanitize(text, 200);
			err = error_new(EXIT_CONFIG, "unsupported scheme '%s' in "
			    "Ollama host '%s': use http or https", clean,
			    ctext);
			free(ctext);
			free(clean);
			goto done;
		}
	} else {
		scheme = "http";
		hostport = s;
	}
	if ((p = strchr(hostport, '/')) != NULL) {
		*p = '\0';
		path = p + 1;
		len = strlen(path);
		while (len > 0 && path[len - 1] == '/')
			path[--len] = '\0';
	}

	/* net.SplitHostPort: "[v6]:port", "host:port" (one colon only). */
	if (hostport[0] == '[' && (p = strchr(hostport, ']')) != NULL &&
	    p[1] == ':') {
		host = xstrndup(hostport + 1, (size_t)(p - hostport - 1));
		port = xstrdup(p + 2);
	} else if ((colon = strchr(hostport, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL && hostport[0] != '[') {
		host = xstrndup(hostport, (size_t)(colon - hostport));
		port = xstrdup(colon + 1);
	} else {
		/* No port: a bare name or IP, maybe a bracketed IPv6. */
		len = strlen(hostport);
		if (len >= 2 && hostport[0] == '[' && hostport[len - 1] == ']')
			host = xstrndup(hostport + 1, len - 2);
		else
			host = xstrdup(hostport);
		port = xstrdup(defport);
	}
	if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0) {
		free(host);
		host = xstrdup("127.0.0.1");
	} else if (strcmp(host, "::") == 0) {
		free(host);
		host = xstrdup("::1");
	}
	if (!valid_port(port, &portnum) &&
	    parse_long(defport, 0, 65535, &portnum) != 0)
		portnum = 11434;

	*url = xasprintf("%s://%s%s%s:%ld%s%s", scheme,
	    is_ipv6(host) ? "[" : "", host, is_ipv6(host) ? "]" : "",
	    portnum, path && *path ? "/" : "", path && *path ? path : "");
done:
	free(host);
	free(port);
	free(s);
	return err;
}

char *
ollama_name_normalize(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *last = slash ? slash + 1 : name;
	char *out, *p;

	if (strchr(last, ':') == NULL)
		out = xasprintf("%s:latest", name);
	else
		out = xstrdup(name);
	for (p = out; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return out;
}

int
ollama_name_equal(const char *a, const char *b)
{
	char *na = ollama_name_normalize(a), *nb = ollama_name_normalize(b);
	int eq = strcmp(na, nb) == 0;

	free(na);
	free(nb);
	return eq;
}

/* Client */

struct ollama *
ollama_new(const char *base_url, long connect_timeout, long idle_timeout)
{
	struct ollama *o = xcalloc(1, sizeof(*o));

	o->url = xstrdup(base_url);
	o->connect_timeout = connect_timeout;
	o->idle_timeout = idle_timeout;
	return o;
}

void
ollama_free(struct ollama *o)
{
	if (o == NULL)
		return;
	free(o->url);
	free(o->caps_model);
	free(o);
}

const char *
ollama_url(const struct ollama *o)
{
	return o->url;
}

/*
 * Turn a transport error into one that names the server and, when it could
 * not be reached, says what to do.
 */
static struct error *
transport(struct ollama *o, const char *path, struct error *err)
{
	return backend_transport_error("Ollama", o->url, path,
	    OLLAMA_UNREACHABLE, err);
}

/*
 * Ollama still lists a model whose blob vanished, and answers
 * 'model "NAME" not found, try pulling it first' when asked to run it;
 * pulling is wrong for an adapter model, and 'loco setup' re-creates it.
 */
static struct error *
vanished_error(struct ollama *o, const char *text)
{
	const char *q = strchr(text, '"'), *end;
	char *name = NULL;
	struct error *err;

	if (q != NULL && (end = strchr(q + 1, '"')) != NULL)
		name = xasprintf("%.*s", (int)(end - q - 1), q + 1);
	err = error_new(EXIT_NOMODEL, "model '%s' is listed by Ollama at %s "
	    "but " BACKEND_VANISHED " (%s): run 'loco setup' to re-create "
	    "it", name ? name : "?", o->url, text);
	free(name);
	return err;
}

/* An error for a non-2xx reply. */
static struct error *
http_status_error(struct ollama *o, const char *path,
    const struct http_response *resp)
{
	char *text = backend_error_text(resp);
	struct error *err;

	if (resp->status == 404 && strstr(text, "try pulling it first") !=
	    NULL)
		err = vanished_error(o, text);
	else if (resp->status == 404 && strstr(text, "not found") != NULL &&
	    strstr(text, "model") != NULL)
		err = error_new(EXIT_NOMODEL, "%s", text);
	else if (resp->status == 404)
		err = error_new(EXIT_FAIL, "Ollama at %s has no %s (HTTP 404): "
		    "is it really Ollama?", o->url, path);
	else
		err = error_new(EXIT_FAIL, "Ollama answered HTTP %ld: %s",
		    resp->status, text);
	free(text);
	return err;
}

/* One request whose reply is read whole (or not at all, for HEAD). */
static struct error *
plain_request(struct ollama *o, const char *method, const char *path,
    const char *body, size_t max, struct http_response *resp)
{
	struct http_request req;
	struct error *err;
	char *url = xasprintf("%s%s", o->url, path);

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.body = body;
	req.bodylen = body ? strlen(body) : 0;
	req.connect_timeout = o->connect_timeout;
	req.idle_timeout = o->idle_timeout;
	req.max_body = max;
	err = http_perform(&req, resp);
	free(url);
	return err ? transport(o, path, err) : NULL;
}

static struct error *
request_json(struct ollama *o, const char *method, const char *path,
    const char *body, struct json **out)
{
	struct http_response resp;
	struct error *err;

	*out = NULL;
	http_response_init(&resp);
	if ((err = plain_request(o, method, path, body, 0, &resp)) != NULL)
		goto done;
	if (resp.status < 200 || resp.status >= 300) {
		err = http_status_error(o, path, &resp);
		goto done;
	}
	*out = json_parse_object(resp.body.buf, resp.body.len);
	if (*out == NULL) {
		char *clean = str_sanitize(resp.body.buf, 80);

		err = error_new(EXIT_FAIL, "malformed reply from Ollama at "
		    "%s%s: expected a JSON object, got '%s'", o->url, path,
		    clean);
		free(clean);
	}
done:
	http_response_release(&resp);
	return err;
}

struct error *
ollama_version(struct ollama *o, char **version)
{
	struct json *root;
	struct error *err;

	*version = NULL;
	if ((err = request_json(o, "GET", "/api/version", NULL, &root)))
		return err;
	if ((*version = json_strdup(root, "version")) == NULL)
		err = error_new(EXIT_FAIL, "malformed reply from Ollama at "
		    "%s/api/version: no \"version\"", o->url);
	json_free(root);
	return err;
}

struct error *
ollama_tags(struct ollama *o, struct backend_model **models, size_t *n)
{
	struct json *root, *list, *it, *details;
	struct backend_model *m;
	struct error *err;
	size_t i = 0;

	*models = NULL;
	*n = 0;
	if ((err = request_json(o, "GET", "/api/tags", NULL, &root)))
		return err;
	list = json_get(root, "models");
	if (!json_is_array(list)) {
		json_free(root);
		return error_new(EXIT_FAIL, "malformed reply from Ollama at "
		    "%s/api/tags: no \"models\" list", o->url);
	}
	m = xcalloc(json_count(list) + 1, sizeof(*m));
	JSON_FOREACH(it, list) {
		char *name = json_strdup(it, "name");

		if (name == NULL)
			name = json_strdup(it, "model");
		if (name == NULL)
			continue;
		m[i].name = name;
		m[i].digest = json_strdup(it, "digest");
		m[i].size = backend_json_ll(it, "size");
		details = json_get(it, "details");
		m[i].family = json_strdup(details, "family");
		m[i].parameter_size = json_strdup(details, "parameter_size");
		m[i].quantization = json_strdup(details, "quantization_level");
		i++;
	}
	json_free(root);
	*models = m;
	*n = i;
	return NULL;
}

/* The 64 hex digits after "sha256-" or "sha256:" at the end of a path. */
static char *
blob_hex(const char *path)
{
	const char *p;
	size_t n = strlen(path);

	if (n < 71)
		return NULL;
	p = path + n - 64;
	if (strncmp(p - 7, "sha256", 6) != 0 || (p[-1] != '-' && p[-1] != ':'))
		return NULL;
	return sha256_valid_hex(p) ? xstrdup(p) : NULL;
}

/* The blobs named by FROM and ADAPTER lines of show's modelfile. */
static void
modelfile_blobs(const char *mf, struct ollama_show *sh)
{
	char *copy = xstrdup(mf), *line, *next, *t;

	for (line = copy; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		t = str_trim(line);
		if (strncasecmp(t, "FROM ", 5) == 0 && sh->from_blob == NULL)
			sh->from_blob = blob_hex(str_trim(t + 5));
		else if (strncasecmp(t, "ADAPTER ", 8) == 0 &&
		    sh->adapter_blob == NULL)
			sh->adapter_blob = blob_hex(str_trim(t + 8));
	}
	free(copy);
}

/* The body of most model requests: {"model"}, perhaps "stream": true. */
static char *
model_body(const char *model, int stream)
{
	struct jout *j = jout_new();

	jout_str(j, "model", model);
	if (stream)
		jout_bool(j, "stream", 1);
	return jout_finish(j, 0);
}

struct error *
ollama_show(struct ollama *o, const char *model, struct ollama_show *sh)
{
	struct json *root, *info, *details;
	const char *mf;
	char *body;
	struct error *err;

	memset(sh, 0, sizeof(*sh));
	body = model_body(model, 0);
	err = request_json(o, "POST", "/api/show", body, &root);
	free(body);
	if (err != NULL)
		return err;
	info = json_get(root, "model_info");
	sh->architecture = json_strdup(info, "general.architecture");
	sh->basename = json_strdup(info, "general.basename");
	sh->finetune = json_strdup(info, "general.finetune");
	sh->size_label = json_strdup(info, "general.size_label");
	sh->version = json_strdup(info, "general.version");
	sh->name = json_strdup(info, "general.name");
	details = json_get(root, "details");
	sh->quantization = json_strdup(details, "quantization_level");
	if ((mf = json_str(root, "modelfile")) != NULL)
		modelfile_blobs(mf, sh);
	json_free(root);
	return NULL;
}

void
ollama_show_release(struct ollama_show *sh)
{
	free(sh->architecture);
	free(sh->basename);
	free(sh->finetune);
	free(sh->size_label);
	free(sh->version);
	free(sh->name);
	free(sh->quantization);
	free(sh->from_blob);
	free(sh->adapter_blob);
	memset(sh, 0, sizeof(*sh));
}

struct error *
ollama_show_architecture(struct ollama *o, const char *model, char **arch)
{
	struct ollama_show sh;
	struct error *err;

	*arch = NULL;
	if ((err = ollama_show(o, model, &sh)) != NULL)
		return err;
	if (sh.architecture == NULL)
		err = error_new(EXIT_FAIL, "Ollama's /api/show for '%s' names "
		    "no general.architecture", model);
	*arch = sh.architecture;
	sh.architecture = NULL;
	ollama_show_release(&sh);
	return err;
}

/* Chat */

/*
 * Model parameters as JSON: numbers as numbers, true/false as booleans,
 * repeated "stop" as one array.
 */
static void
add_params(struct json *opts, const struct param *params, size_t n)
{
	struct json *stop = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct param *p = &params[i];
		int b;

		if (strcmp(p->name, "stop") == 0) {
			if (stop == NULL)
				stop = json_add_arr(opts, "stop");
			json_add_str(stop, NULL, p->value);
			continue;
		}
		json_remove(opts, p->name);
		if (p->is_number) {
			double d;
			if (parse_double(p->value, -1e300, 1e300, &d) == 0)
				json_add_num(opts, p->name, d);
			else
				json_add_str(opts, p->name, p->value);
		} else if (parse_bool(p->value, &b) == 0 &&
		    (strcmp(p->value, "true") == 0 ||
		    strcmp(p->value, "false") == 0))
			json_add_bool(opts, p->name, b);
		else
			json_add_str(opts, p->name, p->value);
	}
}

/*
 * Ollama's shape of the tool fields: a call's arguments are an object,
 * not text, and a tool result names its tool (tool_name).
 */
static void
ollama_tool_fields(struct json *root, const struct chat_request *cr)
{
	struct json *msgs = json_get(root, "messages");
	struct json *msg, *calls, *call, *fn, *args, *obj;
	size_t i = 0;

	JSON_FOREACH(msg, msgs) {
		const struct chat_message *m = &cr->messages[i++];

		if (m->tool_name != NULL && strcmp(m->role, "tool") == 0)
			json_add_str(msg, "tool_name", m->tool_name);
		calls = json_get(msg, "tool_calls");
		JSON_FOREACH(call, calls) {
			json_remove(call, "type");
			fn = json_get(call, "function");
			args = json_get(fn, "arguments");
			if (!json_is_string(args))
				continue;
			obj = json_parse_head(json_string(args),
			    strlen(json_string(args)), NULL);
			if (!json_is_object(obj)) {
				json_free(obj);
				obj = json_new_object();
			}
			json_set(fn, "arguments",
			    obj);
		}
	}
}

char *
ollama_chat_body(const struct chat_request *cr)
{
	struct json *root, *opts;
	char *body;

	root = backend_chat_json(cr);
	ollama_tool_fields(root, cr);
	if (cr->think != CHAT_THINK_OMIT)
		json_add_bool(root, "think", cr->think);
	if (cr->no_truncate)
		json_add_bool(root, "truncate", 0);
	if (cr->keep_alive != NULL) {
		long secs;
		/* A plain number of seconds must go as a JSON number. */
		if (parse_long(cr->keep_alive, -2147483647L, 2147483647L,
		    &secs) == 0)
			json_add_num(root, "keep_alive", (double)secs);
		else
			json_add_str(root, "keep_alive",
			    cr->keep_alive);
	}
	opts = json_add_obj(root, "options");
	add_params(opts, cr->params, cr->nparams);
/* Replace in place, so the body reads in a stable order. */
#define SETNUM(key, v) json_set(opts, key, json_new_number((double)(v)))
	if (cr->num_ctx > 0)
		SETNUM("num_ctx", cr->num_ctx);
	if (!isnan(cr->temperature))
		SETNUM("temperature", cr->temperature);
	if (cr->seed != CONFIG_UNSET_INT)
		SETNUM("seed", cr->seed);
	if (cr->num_predict != CONFIG_UNSET_INT)
		SETNUM("num_predict", cr->num_predict);
#undef SETNUM
	body = json_print(root, 0);
	json_free(root);
	return body;
}

/* Model management */

struct error *
ollama_blob_exists(struct ollama *o, const char *hex, int *exists)
{
	struct http_response resp;
	struct error *err;
	char *path = xasprintf("/api/blobs/sha256:%s", hex);

	*exists = 0;
	http_response_init(&resp);
	if ((err = plain_request(o, "HEAD", path, NULL, 1024 * 1024, &resp))
	    == NULL) {
		if (resp.status == 200)
			*exists = 1;
		else if (resp.status != 404)
			err = error_new(EXIT_FAIL, "Ollama answered HTTP %ld to "
			    "HEAD %s", resp.status, path);
	}
	http_response_release(&resp);
	free(path);
	return err;
}

struct upload_progress {
	ollama_progress_fn	 fn;
	void			*arg;
	const char		*status;
};

static void
on_upload_progress(unsigned long long done, unsigned long long total,
    void *arg)
{
	struct upload_progress *up = arg;

	if (up->fn != NULL)
		up->fn(up->status, done, total, up->arg);
}

struct error *
ollama_blob_upload(struct ollama *o, const char *path, const char *hex,
    ollama_progress_fn fn, void *arg)
{
	struct http_request req;
	struct http_response resp;
	struct upload_progress up;
	struct error *err;
	char *rpath = xasprintf("/api/blobs/sha256:%s", hex);
	char *url = xasprintf("%s%s", o->url, rpath);
	char *status = xasprintf("uploading sha256:%.12s", hex);

	up.fn = fn;
	up.arg = arg;
	up.status = status;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.upload_path = path;
	req.upload_progress = on_upload_progress;
	req.arg = &up;
	req.connect_timeout = o->connect_timeout;
	req.idle_timeout = o->idle_timeout;
	req.max_body = 1024 * 1024;
	http_response_init(&resp);
	err = http_perform(&req, &resp);
	if (err != NULL) {
		if (err->code != EXIT_INTERRUPT && str_startswith(err->msg,
		    "cannot read"))
			;	/* the local file: already says what */
		else
			err = transport(o, rpath, err);
	} else if (resp.status == 400) {
		char *text = backend_error_text(&resp);
		err = error_new(strstr(text, "digest mismatch") ?
		    EXIT_INTEGRITY : EXIT_FAIL, "Ollama refused '%s': %s",
		    path, text);
		free(text);
	} else if (resp.status != 200 && resp.status != 201)
		err = http_status_error(o, rpath, &resp);
	http_response_release(&resp);
	free(status);
	free(url);
	free(rpath);
	return err;
}

/* A stream of {"status": ...} lines, as pull and create send. */
struct status_stream {
	struct ndjson		 nd;
	ollama_progress_fn	 fn;
	void			*arg;
	int			 success;	/* the last status was success */
	struct error		*err;
};

static struct error *
on_status_line(const char *line, size_t len, void *arg)
{
	struct status_stream *ss = arg;
	struct json *root, *e;
	const char *st;
	struct error *err = NULL;

	if ((root = json_parse_object(line, len)) == NULL)
		return error_new(EXIT_FAIL, "malformed reply from Ollama (line "
		    "%ld): expected a JSON object", ss->nd.lineno);
	e = json_get(root, "error");
	st = json_str(root, "status");
	if (e != NULL) {
		char *clean = str_sanitize(json_is_string(e) ? json_string(e) :
		    "unknown error", 500);
		err = error_new(EXIT_FAIL, "%s", clean);
		free(clean);
	} else if (st != NULL) {
		ss->success = strcmp(st, "success") == 0;
		if (ss->fn != NULL)
			ss->fn(st,
			    (unsigned long long)backend_json_ll(root, "completed"),
			    (unsigned long long)backend_json_ll(root, "total"), ss->arg);
	}
	json_free(root);
	return err;
}

static int
on_status_data(const char *data, size_t len, void *arg)
{
	struct status_stream *ss = arg;

	if (ss->err == NULL)
		ss->err = ndjson_feed(&ss->nd, data, len);
	return ss->err != NULL ? -1 : 0;
}

/*
 * POST a body whose reply is a status stream.  *status gets the HTTP
 * status; a non-2xx reply is returned as an error with the server's text
 * and code EXIT_FAIL (callers look at the text).
 */
static struct error *
status_request(struct ollama *o, const char *path, const char *body,
    ollama_progress_fn fn, void *arg, long *status)
{
	struct http_request req;
	struct http_response resp;
	struct status_stream ss;
	struct error *err;
	char *url = xasprintf("%s%s", o->url, path);

	memset(&ss, 0, sizeof(ss));
	ss.fn = fn;
	ss.arg = arg;
	ndjson_init(&ss.nd, CHAT_MAX_LINE, on_status_line, &ss);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.body = body;
	req.bodylen = strlen(body);
	req.on_data = on_status_data;
	req.arg = &ss;
	req.connect_timeout = o->connect_timeout;
	req.idle_timeout = o->idle_timeout;
	req.max_body = 1024 * 1024;
	http_response_init(&resp);
	err = http_perform(&req, &resp);
	*status = resp.status;
	if (err != NULL) {
		if (ss.err != NULL && err->code != EXIT_INTERRUPT) {
			error_free(err);
			err = ss.err;
			ss.err = NULL;
		} else
			err = transport(o, path, err);
	} else if (resp.status < 200 || resp.status >= 300) {
		char *text = backend_error_text(&resp);
		err = error_new(resp.status == 404 ? EXIT_NOMODEL : EXIT_FAIL,
		    "%s", text);
		free(text);
	} else if ((err = ndjson_finish(&ss.nd)) != NULL)
		;
	else if (ss.err != NULL) {
		err = ss.err;
		ss.err = NULL;
	} else if (!ss.success)
		err = error_new(EXIT_FAIL, "the reply ended before Ollama "
		    "reported success");
	error_free(ss.err);
	ndjson_release(&ss.nd);
	http_response_release(&resp);
	free(url);
	return err;
}

char *
ollama_create_body(const struct ollama_create *c)
{
	struct json *root, *obj;
	char *body, *digest;

	root = json_new_object();
	json_add_str(root, "model", c->model);
	if (c->from != NULL)
		json_add_str(root, "from", c->from);
	if (c->file_name != NULL) {
		obj = json_add_obj(root, "files");
		digest = xasprintf("sha256:%s", c->file_hex);
		json_add_str(obj, c->file_name, digest);
		free(digest);
	}
	if (c->adapter_name != NULL) {
		obj = json_add_obj(root, "adapters");
		digest = xasprintf("sha256:%s", c->adapter_hex);
		json_add_str(obj, c->adapter_name, digest);
		free(digest);
	}
	if (c->system != NULL)
		json_add_str(root, "system", c->system);
	if (c->nparams > 0)
		add_params(json_add_obj(root, "parameters"),
		    c->params, c->nparams);
	json_add_bool(root, "stream", 1);
	body = json_print(root, 0);
	json_free(root);
	return body;
}

struct error *
ollama_create(struct ollama *o, const struct ollama_create *c,
    ollama_progress_fn fn, void *arg, int *legacy)
{
	struct error *err;
	char *body = ollama_create_body(c);
	long status;
	struct jout *j;

	if (legacy != NULL)
		*legacy = 0;
	err = status_request(o, "/api/create", body, fn, arg, &status);
	free(body);
	if (err != NULL && status == 400 && c->legacy_modelfile != NULL &&
	    strstr(err->msg, "path or Modelfile are required") != NULL) {
		/* Up to v0.5.4: only {"model", "modelfile"} was understood. */
		error_free(err);
		j = jout_new();
		jout_str(j, "model", c->model);
		jout_str(j, "modelfile", c->legacy_modelfile);
		jout_bool(j, "stream", 1);
		body = jout_finish(j, 0);
		err = status_request(o, "/api/create", body, fn, arg, &status);
		free(body);
		if (legacy != NULL)
			*legacy = 1;
	}
	return err;
}

struct error *
ollama_pull(struct ollama *o, const char *model, ollama_progress_fn fn,
    void *arg)
{
	struct error *err;
	char *body = model_body(model, 1);
	long status;

	err = status_request(o, "/api/pull", body, fn, arg, &status);
	free(body);
	if (err != NULL && (strstr(err->msg, "file does not exist") != NULL ||
	    strstr(err->msg, "not found") != NULL))
		err->code = EXIT_NOMODEL;
	return err;
}

struct error *
ollama_delete(struct ollama *o, const char *model)
{
	struct http_response resp;
	struct error *err;
	char *body = model_body(model, 0);

	http_response_init(&resp);
	err = plain_request(o, "DELETE", "/api/delete", body, 1024 * 1024,
	    &resp);
	if (err == NULL && resp.status == 404)
		err = error_new(EXIT_NOMODEL, "model '%s' not found", model);
	else if (err == NULL && (resp.status < 200 || resp.status >= 300))
		err = http_status_error(o, "/api/delete", &resp);
	http_response_release(&resp);
	free(body);
	return err;
}

/* The Ollama backend (backend_int.h) */

/*
 * A chunk's message.tool_calls: [{function: {name, arguments: {...}}}],
 * each whole, appended to the answer's.
 */
static void
o_tool_calls(struct chat_result *res, const struct json *calls)
{
	const struct json *call, *fn, *args;
	const char *name, *id;
	struct chat_tool_call *tc;

	JSON_FOREACH(call, calls) {
		fn = json_get(call, "function");
		name = json_str(fn, "name");
		args = json_get(fn, "arguments");
		id = json_str(call, "id");
		if ((tc = chat_tool_call_at(res, res->ntool_calls)) == NULL)
			return;
		if (name != NULL) {
			free(tc->name);
			tc->name = xstrdup(name);
		}
		if (id != NULL) {
			free(tc->id);
			tc->id = xstrdup(id);
		}
		free(tc->arguments);
		if (json_is_string(args))
			tc->arguments = xstrdup(json_string(args));
		else if (args != NULL)
			tc->arguments = json_print(args, 0);
		else
			tc->arguments = xstrdup("{}");
	}
}

static struct error *
o_chat_line(struct chat_stream *cs, const char *line, size_t len)
{
	struct json *root, *e, *msg;
	struct error *err = NULL;
	const char *cstr, *tstr;

	if (cs->done)
		return NULL;	/* nothing may follow the final chunk */
	if ((err = chat_stream_json(cs, line, len, &root)) != NULL)
		return err;
	e = json_get(root, "error");
	if (e != NULL) {
		char *clean = str_sanitize(json_is_string(e) ? json_string(e) :
		    "unknown error", 500);
		err = error_new(EXIT_FAIL, "Ollama failed during the answer: %s",
		    clean);
		free(clean);
		json_free(root);
		return err;
	}
	msg = json_get(root, "message");
	if ((cstr = json_str(msg, "content")) == NULL)
		cstr = "";
	if ((tstr = json_str(msg, "thinking")) == NULL)
		tstr = "";
	err = chat_stream_piece(cs, cstr, tstr);
	if (err == NULL)
		o_tool_calls(cs->res, json_get(msg, "tool_calls"));
	if (cs->res->model == NULL)
		cs->res->model = json_strdup(root, "model");
	if (err == NULL && json_is_true(json_get(root, "done"))) {
		struct chat_result *r = cs->res;

		cs->done = 1;
		free(r->done_reason);
		r->done_reason = json_strdup(root, "done_reason");
		r->total_duration = backend_json_ll(root, "total_duration");
		r->load_duration = backend_json_ll(root, "load_duration");
		r->prompt_eval_count = backend_json_ll(root,
		    "prompt_eval_count");
		r->prompt_eval_duration = backend_json_ll(root,
		    "prompt_eval_duration");
		r->eval_count = backend_json_ll(root, "eval_count");
		r->eval_duration = backend_json_ll(root, "eval_duration");
	}
	json_free(root);
	return err;
}

static char *
o_chat_body(const struct backend *be, const struct chat_request *cr)
{
	return ollama_chat_body(cr);
}

static struct error *
o_status_error(struct backend *be, const char *path,
    const struct http_response *resp)
{
	return http_status_error(backend_ollama(be), path, resp);
}

/*
 * Each adapter is an Ollama model (registry.h: adapter->model); the base
 * is its tag.  Nothing is asked: a model that is missing shows when the
 * request is made, and the caller may fall back to the base.
 */
static struct error *
o_resolve(struct backend *be, const struct registry *reg,
    const struct adapter *a, struct backend_target *t)
{
	if (a != NULL && a->ncompose > 0)
		return error_new(EXIT_USAGE, "adapter '%s' is a composition of "
		    "%zu adapters with scales, which Ollama cannot serve (one "
		    "adapter per model); use the llama-server backend "
		    "(backend.type: llama-server, see 'loco serve')", a->name,
		    a->ncompose);
	t->model = xstrdup(a != NULL ? a->model : reg->base.tag);
	t->label = xstrdup(t->model);
	return NULL;
}

static struct error *
o_models(struct backend *be, struct backend_model **m, size_t *n)
{
	return ollama_tags(backend_ollama(be), m, n);
}

static struct error *
o_identity(struct backend *be, const struct backend_target *t, char **id)
{
	struct backend_model *m;
	struct error *err;
	const char *d;
	size_t n;

	if ((err = ollama_tags(backend_ollama(be), &m, &n)) != NULL)
		return err;
	if ((d = backend_model_digest(m, n, t->model)) != NULL)
		*id = xstrdup(d);
	else
		err = error_new(EXIT_NOMODEL, "model '%s' not found at %s: run "
		    "'loco setup'", t->model, be->url);
	backend_models_free(m, n);
	return err;
}

/*
 * The "thinking" capability of /api/show.  Any failure means no: the chat
 * that follows reports what is wrong (a missing model, a dead server).
 */
static int
o_thinks(struct backend *be, const struct backend_target *t)
{
	struct ollama *o = backend_ollama(be);
	struct json *root = NULL, *caps, *it;
	struct error *err;
	char *body;
	int think = 0;

	if (o->caps_model != NULL && ollama_name_equal(o->caps_model, t->model))
		return o->caps_think;
	body = model_body(t->model, 0);
	if ((err = request_json(o, "POST", "/api/show", body, &root)) == NULL) {
		caps = json_get(root, "capabilities");
		JSON_FOREACH(it, caps)
			if (json_is_string(it) &&
			    strcmp(json_string(it), "thinking") == 0)
				think = 1;
	}
	error_free(err);
	json_free(root);
	free(body);
	free(o->caps_model);
	o->caps_model = xstrdup(t->model);
	o->caps_think = think;
	return think;
}

static struct error *
o_version(struct backend *be, char **version)
{
	return ollama_version(backend_ollama(be), version);
}

static void
o_free(struct backend *be)
{
	ollama_free(be->priv);
	be->priv = NULL;
}

const struct backend_ops backend_ollama_ops = {
	.name = "ollama",
	.server = "Ollama",
	.features = BACKEND_MANAGE | BACKEND_DIGESTS | BACKEND_THINK |
	    BACKEND_KEEP_ALIVE | BACKEND_NUM_CTX,
	.chat_path = "/api/chat",
	.final_message = "\"done\" message",
	.chat_body = o_chat_body,
	.chat_line = o_chat_line,
	.unreachable_hint = OLLAMA_UNREACHABLE,
	.status_error = o_status_error,
	.resolve = o_resolve,
	.identity = o_identity,
	.models = o_models,
	.version = o_version,
	.thinks = o_thinks,
	.free = o_free,
};
