/* state.c: $LOCO_HOME/state.json (see state.h). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "state.h"
#include "banned.h"

#define STATE_MAX (64u * 1024 * 1024)

struct state {
	char	*path;
	cJSON	*root;
	int	 dirty;
};

/* Every occurrence: a damaged or hand-edited file may repeat a key. */
static void
delete_all(cJSON *obj, const char *key)
{
	while (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL)
		cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
}

static cJSON *
child(cJSON *obj, const char *key)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsObject(c)) {
		delete_all(obj, key);
		c = cJSON_AddObjectToObject(obj, key);
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
		st->root = cJSON_CreateObject();
		return NULL;
	}
	if ((err = fs_read_file(path, STATE_MAX, &data, &len)) != NULL)
		return err;
	st->root = cJSON_ParseWithLength(data, len);
	free(data);
	if (!cJSON_IsObject(st->root)) {
		/* Only a cache: keep it for a look, start afresh. */
		cJSON_Delete(st->root);
		st->root = cJSON_CreateObject();
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
	cJSON_AddNumberToObject(st->root, "version", 1);
	if ((text = cJSON_Print(st->root)) == NULL)
		fatal("out of memory writing state");
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
	cJSON_Delete(st->root);
	free(st->path);
	free(st);
}

static const char *
str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void
state_get_model(const struct state *st, const char *server,
    const char *model, const char **request, const char **digest)
{
	const cJSON *servers, *srv, *m;

	servers = cJSON_GetObjectItemCaseSensitive(st->root, "servers");
	srv = cJSON_GetObjectItemCaseSensitive(servers, server);
	m = cJSON_GetObjectItemCaseSensitive(srv, model);
	*request = str(m, "request");
	*digest = str(m, "digest");
}

void
state_set_model(struct state *st, const char *server, const char *model,
    const char *request, const char *digest)
{
	cJSON *srv = child(child(st->root, "servers"), server), *m;

	delete_all(srv, model);
	m = cJSON_AddObjectToObject(srv, model);
	cJSON_AddStringToObject(m, "request", request);
	cJSON_AddStringToObject(m, "digest", digest ? digest : "");
	st->dirty = 1;
}

void
state_forget_model(struct state *st, const char *server, const char *model)
{
	cJSON *servers = cJSON_GetObjectItemCaseSensitive(st->root, "servers");
	cJSON *srv = cJSON_GetObjectItemCaseSensitive(servers, server);

	if (cJSON_GetObjectItemCaseSensitive(srv, model) != NULL) {
		delete_all(srv, model);
		st->dirty = 1;
	}
}

const char *
state_get_hash(const struct state *st, const char *path, long long size,
    long long mtime_ns)
{
	const cJSON *files, *f;
	const char *stamp;
	char want[64];

	/* As text: nanoseconds since 1970 do not fit a double exactly. */
	snprintf(want, sizeof(want), "%lld:%lld", size, mtime_ns);
	files = cJSON_GetObjectItemCaseSensitive(st->root, "files");
	f = cJSON_GetObjectItemCaseSensitive(files, path);
	if ((stamp = str(f, "stamp")) == NULL || strcmp(stamp, want) != 0)
		return NULL;
	return str(f, "sha256");
}

void
state_set_hash(struct state *st, const char *path, long long size,
    long long mtime_ns, const char *hex)
{
	cJSON *files = child(st->root, "files"), *f;
	char stamp[64];

	snprintf(stamp, sizeof(stamp), "%lld:%lld", size, mtime_ns);
	delete_all(files, path);
	f = cJSON_AddObjectToObject(files, path);
	cJSON_AddStringToObject(f, "stamp", stamp);
	cJSON_AddStringToObject(f, "sha256", hex);
	st->dirty = 1;
}
