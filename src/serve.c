/* serve.c: the state of loco serve, $LOCO_HOME/serve.json (serve.h). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "backend_int.h"
#include "config.h"
#include "fsutil.h"
#include "serve.h"
#include "banned.h"

#define STATE_MAX (1024u * 1024)

char *
serve_state_path(void)
{
	char *home = loco_home(), *p = xasprintf("%s/serve.json", home);

	free(home);
	return p;
}

struct error *
serve_state_write(const struct serve_state *st)
{
	struct json *root, *arr, *o;
	struct error *err;
	char *text, *path, *home;
	size_t i;

	root = json_new_object();
	json_add_str(root, "url", st->url);
	json_add_num(root, "pid", (double)st->pid);
	json_add_num(root, "server_pid", (double)st->server_pid);
	json_add_str(root, "binary", st->binary);
	json_add_str(root, "base", st->base);
	json_add_num(root, "restarts", (double)st->restarts);
	arr = json_add_arr(root, "loras");
	for (i = 0; i < st->nloras; i++) {
		o = json_add_obj(arr, NULL);
		json_add_num(o, "id", (double)i);
		json_add_str(o, "adapter", st->loras[i].adapter);
		json_add_str(o, "path", st->loras[i].path);
		if (st->loras[i].sha256 != NULL)
			json_add_str(o, "sha256",
			    st->loras[i].sha256);
	}
	text = json_print(root, 1);
	json_free(root);
	home = loco_home();
	err = fs_mkdirs(home, 1);
	free(home);
	path = serve_state_path();
	if (err == NULL) {
		char *t2 = xasprintf("%s\n", text);

		err = fs_write_atomic(path, t2, strlen(t2));
		free(t2);
	}
	free(path);
	free(text);
	return err;
}

/* A pid or a count: 0 unless a number in range. */
static long
jlong(const struct json *o, const char *key)
{
	long long v = backend_json_ll(o, key);

	return v < 2147483647LL ? (long)v : 0;
}

static int
alive(long pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

struct error *
serve_state_read(struct serve_state *st)
{
	struct error *err;
	char *path = serve_state_path(), *data = NULL;
	size_t len, i = 0;
	struct json *root, *arr, *it;

	memset(st, 0, sizeof(*st));
	if (!fs_exists(path)) {
		free(path);
		return error_new(EXIT_UNREACHABLE, "no llama-server is running "
		    "for loco: start one with 'loco serve', or set backend.host "
		    "to a llama-server's URL");
	}
	if ((err = fs_read_file(path, STATE_MAX, &data, &len)) != NULL) {
		free(path);
		return err;
	}
	root = json_parse(data, len, NULL);
	free(data);
	if (!json_is_object(root) || (st->url = json_strdup(root, "url")) == NULL) {
		json_free(root);
		err = error_new(EXIT_UNREACHABLE, "'%s' is not loco serve's "
		    "state: remove it and start 'loco serve' again", path);
		free(path);
		return err;
	}
	st->pid = jlong(root, "pid");
	st->server_pid = jlong(root, "server_pid");
	st->binary = json_strdup(root, "binary");
	st->base = json_strdup(root, "base");
	st->restarts = jlong(root, "restarts");
	arr = json_get(root, "loras");
	st->loras = xcalloc(json_count(arr) + 1,
	    sizeof(*st->loras));
	JSON_FOREACH(it, arr) {
		st->loras[i].adapter = json_strdup(it, "adapter");
		st->loras[i].path = json_strdup(it, "path");
		st->loras[i].sha256 = json_strdup(it, "sha256");
		i++;
	}
	st->nloras = i;
	json_free(root);
	if (!alive(st->pid)) {
		serve_state_release(st);
		err = error_new(EXIT_UNREACHABLE, "loco serve is not running "
		    "(its state '%s' is left from process %ld): start it with "
		    "'loco serve'", path, st->pid);
		free(path);
		return err;
	}
	free(path);
	return NULL;
}

void
serve_state_release(struct serve_state *st)
{
	size_t i;

	free(st->url);
	free(st->binary);
	free(st->base);
	for (i = 0; i < st->nloras; i++) {
		free(st->loras[i].adapter);
		free(st->loras[i].path);
		free(st->loras[i].sha256);
	}
	free(st->loras);
	memset(st, 0, sizeof(*st));
}

struct error *
serve_url_parse(const char *text, char **url)
{
	const char *p = text;
	size_t len;

	*url = NULL;
	while (*p == ' ' || *p == '"' || *p == '\'')
		p++;
	len = strlen(p);
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '"' ||
	    p[len - 1] == '\'' || p[len - 1] == '/'))
		len--;
	if (len == 0)
		return error_new(EXIT_CONFIG, "backend.host: empty URL");
	if (strstr(p, "://") == NULL)
		*url = xasprintf("http://%.*s", (int)len, p);
	else if (str_startswith(p, "http://") || str_startswith(p, "https://"))
		*url = xstrndup(p, len);
	else {
		char *clean = str_sanitize(p, 80);
		struct error *err = error_new(EXIT_CONFIG, "backend.host: "
		    "unsupported scheme in '%s' (http or https)", clean);
		free(clean);
		return err;
	}
	return NULL;
}

struct error *
serve_running_url(char **url)
{
	struct serve_state st;
	struct error *err;

	*url = NULL;
	if ((err = serve_state_read(&st)) != NULL)
		return err;
	*url = st.url;
	st.url = NULL;
	serve_state_release(&st);
	return NULL;
}
