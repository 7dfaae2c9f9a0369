/* state.c: $LOCO_HOME/state.json (see state.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "json.h"
#include "state.h"
#include "banned.h"

#define STATE_MAX (64u * 1024 * 1024)

struct state {
	char		*path;
	struct json	*root;
	int		 dirty;
};

/* Every occurrence: a damaged or hand-edited file may repeat a key. */
static void
delete_all(struct json *obj, const char *key)
{
	while (json_get(obj, key) != NULL)
		json_remove(obj, key);
}

static struct json *
child(struct json *obj, const char *key)
{
	struct json *c = json_get(obj, key);

	if (!json_is_object(c)) {
		delete_all(obj, key);
		c = json_add_obj(obj, key);
	}
	return c;
}

struct error *
state_load(const char *path, struct state **out)
{
	struct state *st = xcalloc(1, sizeof(*st));
	struct error *err;
	char *data = NULL, *aside;
	size_t len;

	st->path = xstrdup(path);
	*out = st;
	if (!fs_exists(path)) {
		st->root = json_new_object();
		return NULL;
	}
	if ((err = fs_read_file(path, STATE_MAX, &data, &len)) != NULL)
		return err;
	st->root = json_parse_object(data, len);
	free(data);
	if (st->root == NULL) {
		/* Only a cache: keep it for a look, start afresh. */
		st->root = json_new_object();
		aside = xasprintf("%s.damaged", path);
		if (rename(path, aside) == 0)
			fprintf(stderr, "loco: '%s' was damaged; moved it to "
			    "'%s'\n", path, aside);
		free(aside);
		st->dirty = 1;
	}
	return NULL;
}

struct error *
state_save(struct state *st)
{
	struct error *err;
	char *text;

	if (!st->dirty)
		return NULL;
	delete_all(st->root, "version");
	json_add_num(st->root, "version", 1);
	text = json_print(st->root, 1);
	err = fs_write_atomic(st->path, text, strlen(text));
	free(text);
	if (err == NULL)
		st->dirty = 0;
	return err;
}

void
state_free(struct state *st)
{
	if (st == NULL)
		return;
	json_free(st->root);
	free(st->path);
	free(st);
}

void
state_get_model(const struct state *st, const char *server,
    const char *model, const char **request, const char **digest)
{
	const struct json *servers, *srv, *m;

	servers = json_get(st->root, "servers");
	srv = json_get(servers, server);
	m = json_get(srv, model);
	*request = json_str(m, "request");
	*digest = json_str(m, "digest");
}

void
state_set_model(struct state *st, const char *server, const char *model,
    const char *request, const char *digest)
{
	struct json *srv = child(child(st->root, "servers"), server), *m;

	delete_all(srv, model);
	m = json_add_obj(srv, model);
	json_add_str(m, "request", request);
	json_add_str(m, "digest", digest ? digest : "");
	st->dirty = 1;
}

void
state_forget_model(struct state *st, const char *server, const char *model)
{
	struct json *servers = json_get(st->root, "servers");
	struct json *srv = json_get(servers, server);

	if (json_get(srv, model) != NULL) {
		delete_all(srv, model);
		st->dirty = 1;
	}
}

const char *
state_get_hash(const struct state *st, const char *path, long long size,
    long long mtime_ns)
{
	const struct json *files, *f;
	const char *stamp;
	char want[64];

	/* As text: nanoseconds since 1970 do not fit a double exactly. */
	snprintf(want, sizeof(want), "%lld:%lld", size, mtime_ns);
	files = json_get(st->root, "files");
	f = json_get(files, path);
	if ((stamp = json_str(f, "stamp")) == NULL || strcmp(stamp, want) != 0)
		return NULL;
	return json_str(f, "sha256");
}

void
state_set_hash(struct state *st, const char *path, long long size,
    long long mtime_ns, const char *hex)
{
	struct json *files = child(st->root, "files"), *f;
	char stamp[64];

	snprintf(stamp, sizeof(stamp), "%lld:%lld", size, mtime_ns);
	delete_all(files, path);
	f = json_add_obj(files, path);
	json_add_str(f, "stamp", stamp);
	json_add_str(f, "sha256", hex);
	st->dirty = 1;
}
