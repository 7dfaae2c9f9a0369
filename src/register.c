/* register.c: adapters as Ollama models (see register.h). */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fsutil.h"
#include "gguf.h"
#include "hash.h"
#include "register.h"
#include "state.h"
#include "strbuf.h"
#include "banned.h"

struct reg {
	struct ollama		*o;
	const struct registry	*registry;
	ollama_progress_fn	 progress;
	void			*arg;
	char			*version;
	struct backend_model	*models;
	size_t			 nmodels;
	struct state		*state;
	char			*base_arch;
	struct reg_counts	 counts;
};

static struct error *
refresh_tags(struct reg *r)
{
	backend_models_free(r->models, r->nmodels);
	r->models = NULL;
	r->nmodels = 0;
	return ollama_tags(r->o, &r->models, &r->nmodels);
}

struct error *
reg_open(struct ollama *o, const struct registry *registry,
    ollama_progress_fn progress, void *arg, struct reg **out)
{
	struct reg *r = xcalloc(1, sizeof(*r));
	struct error *err;
	char *home, *path;

	*out = NULL;
	r->o = o;
	r->registry = registry;
	r->progress = progress;
	r->arg = arg;
	if ((err = ollama_version(o, &r->version)) != NULL ||
	    (err = refresh_tags(r)) != NULL) {
		reg_close(r);
		return err;
	}
	home = loco_home();
	if ((err = fs_mkdirs(home, 1)) == NULL) {
		path = xasprintf("%s/state.json", home);
		err = state_load(path, &r->state);
		free(path);
	}
	free(home);
	if (err != NULL) {
		reg_close(r);
		return err;
	}
	*out = r;
	return NULL;
}

const char *
reg_server_version(const struct reg *r)
{
	return r->version;
}

const struct reg_counts *
reg_counts(const struct reg *r)
{
	return &r->counts;
}

static const struct backend_model *
find_model(const struct reg *r, const char *model)
{
	size_t i;

	for (i = 0; i < r->nmodels; i++)
		if (ollama_name_equal(r->models[i].name, model))
			return &r->models[i];
	return NULL;
}

int
reg_has_model(const struct reg *r, const char *model)
{
	return find_model(r, model) != NULL;
}

static void
progress(struct reg *r, const char *status)
{
	if (r->progress != NULL)
		r->progress(status, 0, 0, r->arg);
}

struct error *
reg_ensure_base(struct reg *r, int *pulled)
{
	struct error *err;
	const char *tag = r->registry->base.tag;

	*pulled = 0;
	if (reg_has_model(r, tag))
		return NULL;
	if ((err = ollama_pull(r->o, tag, r->progress, r->arg)) != NULL)
		return error_prefix(err, "cannot pull the base model '%s'",
		    tag);
	r->counts.pulls++;
	*pulled = 1;
	return refresh_tags(r);
}

struct error *
reg_base_arch(struct reg *r, const char **arch)
{
	struct error *err;
	const char *tag = r->registry->base.tag;

	if (r->base_arch == NULL) {
		err = ollama_show_architecture(r->o, tag, &r->base_arch);
		if (err != NULL && err->code == EXIT_NOMODEL) {
			error_free(err);
			return error_new(EXIT_NOMODEL, "base model '%s' is not "
			    "in Ollama at %s: run 'loco setup' to pull it", tag,
			    ollama_url(r->o));
		}
		if (err != NULL)
			return err;
	}
	*arch = r->base_arch;
	return NULL;
}

/* The file's SHA-256, from the cache when size and mtime are unchanged. */
static struct error *
file_hex(struct reg *r, const struct adapter *a, char hex[SHA256_HEX_LEN + 1])
{
	struct stat st;
	struct error *err;
	const char *cached = NULL;
	long long mtime;

	if (stat(a->file, &st) == -1)
		return error_new(EXIT_FAIL, "adapter '%s': cannot open '%s': "
		    "%s", a->name, a->file, strerror(errno));
	mtime = (long long)st.st_mtim.tv_sec * 1000000000LL +
	    st.st_mtim.tv_nsec;
	if (r != NULL)
		cached = state_get_hash(r->state, a->file,
		    (long long)st.st_size, mtime);
	if (cached != NULL && sha256_valid_hex(cached))
		memcpy(hex, cached, SHA256_HEX_LEN + 1);
	else {
		if (r != NULL) {
			char *status = xasprintf("hashing %s", a->file);
			progress(r, status);
			free(status);
		}
		if ((err = sha256_file(a->file, hex, NULL, NULL)) != NULL)
			return err;
		if (r != NULL) {
			r->counts.hashed++;
			state_set_hash(r->state, a->file, (long long)st.st_size,
			    mtime, hex);
		}
	}
	if (a->sha256 != NULL && strcmp(a->sha256, hex) != 0)
		return error_new(EXIT_INTEGRITY, "adapter '%s': '%s' has "
		    "SHA-256 %s but the registry says %s: the file is damaged "
		    "or not the one the registry names", a->name, a->file, hex,
		    a->sha256);
	return NULL;
}

struct error *
reg_check_file(const struct registry *registry, const struct adapter *a,
    const char *base_arch)
{
	struct gguf_info info;
	struct error *err;

	if (a->type != ADAPTER_LORA && a->type != ADAPTER_MERGED)
		return NULL;
	if ((err = gguf_read(a->file, &info)) == NULL)
		err = gguf_check(a->file, &info, a->type == ADAPTER_LORA ?
		    GGUF_LORA : GGUF_MODEL, a->type == ADAPTER_LORA ?
		    base_arch : NULL, registry->base.tag);
	gguf_info_release(&info);
	return err ? error_prefix(err, "adapter '%s'", a->name) : NULL;
}

/* A Modelfile value: quoted when it has spaces, block-quoted on lines. */
static void
mf_value(struct strbuf *sb, const char *v)
{
	if (strchr(v, '\n') != NULL)
		strbuf_addf(sb, "\"\"\"%s\"\"\"", v);
	else if (*v == '\0' || strpbrk(v, " \t\"") != NULL)
		strbuf_addf(sb, "\"%s\"", v);
	else
		strbuf_addstr(sb, v);
}

/* The request as a Modelfile, for servers that predate the JSON form. */
static char *
legacy_modelfile(const struct registry *registry, const struct adapter *a,
    const char *hex)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	if (a->type == ADAPTER_MERGED)
		strbuf_addf(&sb, "FROM @sha256:%s\n", hex);
	else
		strbuf_addf(&sb, "FROM %s\n", registry->base.tag);
	if (a->type == ADAPTER_LORA)
		strbuf_addf(&sb, "ADAPTER @sha256:%s\n", hex);
	if (a->system != NULL) {
		strbuf_addstr(&sb, "SYSTEM ");
		mf_value(&sb, a->system);
		strbuf_addch(&sb, '\n');
	}
	for (i = 0; i < a->nparams; i++) {
		strbuf_addf(&sb, "PARAMETER %s ", a->params[i].name);
		mf_value(&sb, a->params[i].value);
		strbuf_addch(&sb, '\n');
	}
	return strbuf_detach(&sb, NULL);
}

/* What to send for an adapter; names point into a and hex. */
static void
create_request(const struct registry *registry, const struct adapter *a,
    const char *hex, char *basename_buf, struct ollama_create *c)
{
	memset(c, 0, sizeof(*c));
	c->model = a->model;
	c->system = a->system;
	c->params = a->params;
	c->nparams = a->nparams;
	switch (a->type) {
	case ADAPTER_LORA:
		c->from = registry->base.tag;
		c->adapter_name = basename_buf;
		c->adapter_hex = hex;
		break;
	case ADAPTER_MERGED:
		c->file_name = basename_buf;
		c->file_hex = hex;
		break;
	default:
		c->from = registry->base.tag;
		break;
	}
}

static int
mentions_adapter(const char *msg)
{
	char *low = xstrdup(msg), *p;
	int yes;

	for (p = low; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	yes = (strstr(low, "adapter") != NULL || strstr(low, "lora") != NULL)
	    && strstr(low, "only one adapter") == NULL;
	free(low);
	return yes;
}

/* Everything reg_adapter and reg_check share: the request and its hash. */
struct plan {
	char			 hex[SHA256_HEX_LEN + 1];
	char			 request[SHA256_HEX_LEN + 1];
	char			*base;
	struct ollama_create	 c;
};

static struct error *
plan_make(struct reg *r, const struct adapter *a, struct plan *p)
{
	struct error *err;
	char *body, *copy;

	memset(p, 0, sizeof(*p));
	if (a->type == ADAPTER_LORA || a->type == ADAPTER_MERGED) {
		if ((err = file_hex(r, a, p->hex)) != NULL)
			return err;
		copy = xstrdup(a->file);
		p->base = xstrdup(basename(copy));
		free(copy);
	}
	create_request(r->registry, a, p->hex, p->base, &p->c);
	body = ollama_create_body(&p->c);
	sha256_hex(body, strlen(body), p->request);
	free(body);
	return NULL;
}

static int
plan_current(struct reg *r, const struct adapter *a, const struct plan *p,
    const char **why)
{
	const struct backend_model *m = find_model(r, a->model);
	const char *request, *digest;

	state_get_model(r->state, ollama_url(r->o), a->model, &request,
	    &digest);
	if (m == NULL)
		*why = "not in Ollama";
	else if (request == NULL)
		*why = "not registered by loco on this server";
	else if (strcmp(request, p->request) != 0)
		*why = "registered from another file or other settings";
	else if (digest == NULL || m->digest == NULL ||
	    strcmp(digest, m->digest) != 0)
		*why = "changed in Ollama since loco registered it";
	else
		return 1;
	return 0;
}

const char *
reg_skip_reason(const struct adapter *a)
{
	switch (a->type) {
	case ADAPTER_COMPOSE:
		return "served only by llama-server: Ollama applies one "
		    "adapter per model";
	case ADAPTER_LORA:
	case ADAPTER_MERGED:
	case ADAPTER_PROMPT:
	case ADAPTER_TAG:
		break;
	}
	return NULL;
}

struct error *
reg_check(struct reg *r, const struct adapter *a, int *current,
    const char **why)
{
	struct plan p;
	struct error *err;

	*current = 0;
	*why = NULL;
	if (reg_skip_reason(a) != NULL) {
		*current = 1;
		return NULL;
	}
	if (a->type == ADAPTER_TAG) {
		*current = reg_has_model(r, a->model);
		*why = *current ? NULL : "not in Ollama";
		return NULL;
	}
	if ((err = plan_make(r, a, &p)) != NULL)
		return err;
	*current = plan_current(r, a, &p, why);
	free(p.base);
	return NULL;
}

struct error *
reg_adapter(struct reg *r, const struct adapter *a, enum reg_outcome *out)
{
	struct plan p;
	struct error *err;
	const struct backend_model *m;
	const char *why, *arch;
	char *legacy = NULL;
	int exists, existed, used_legacy;

	*out = REG_CURRENT;
	if (reg_skip_reason(a) != NULL) {
		*out = REG_SKIPPED;
		return NULL;
	}
	if (a->type == ADAPTER_TAG) {
		if (reg_has_model(r, a->model))
			return NULL;
		if ((err = ollama_pull(r->o, a->model, r->progress, r->arg)))
			return error_prefix(err, "adapter '%s': cannot pull "
			    "'%s'", a->name, a->model);
		r->counts.pulls++;
		*out = REG_CREATED;
		return refresh_tags(r);
	}
	if ((err = plan_make(r, a, &p)) != NULL)
		return err;
	if (plan_current(r, a, &p, &why))
		goto done;
	existed = reg_has_model(r, a->model);
	if (a->type == ADAPTER_LORA) {
		if ((err = reg_base_arch(r, &arch)) != NULL ||
		    (err = reg_check_file(r->registry, a, arch)) != NULL)
			goto done;
	} else if (a->type == ADAPTER_MERGED &&
	    (err = reg_check_file(r->registry, a, NULL)) != NULL)
		goto done;
	if (a->type == ADAPTER_LORA || a->type == ADAPTER_MERGED) {
		if ((err = ollama_blob_exists(r->o, p.hex, &exists)) != NULL)
			goto done;
		if (!exists) {
			if ((err = ollama_blob_upload(r->o, a->file, p.hex,
			    r->progress, r->arg)) != NULL)
				goto done;
			r->counts.uploads++;
		}
	}
	legacy = legacy_modelfile(r->registry, a, p.hex);
	p.c.legacy_modelfile = legacy;
	err = ollama_create(r->o, &p.c, r->progress, r->arg, &used_legacy);
	r->counts.creates++;
	if (err != NULL && a->type == ADAPTER_LORA && err->code == EXIT_FAIL &&
	    mentions_adapter(err->msg)) {
		struct error *refusal = error_new(EXIT_REFUSED, "Ollama %s at "
		    "%s refused the LoRA adapter of '%s' (%s): adapter models "
		    "made earlier still run, and prompt adapters are not "
		    "affected; to serve LoRA adapters, use loco's llama-server "
		    "backend (backend.type: llama-server, then 'loco serve'), "
		    "or a merged GGUF (registry type merged)", r->version,
		    ollama_url(r->o), a->model, err->msg);
		error_free(err);
		err = refusal;
		goto done;
	}
	if (err != NULL) {
		err = error_prefix(err, "cannot create '%s'", a->model);
		goto done;
	}
	if ((err = refresh_tags(r)) != NULL)
		goto done;
	m = find_model(r, a->model);
	state_set_model(r->state, ollama_url(r->o), a->model, p.request,
	    m ? m->digest : NULL);
	*out = existed ? REG_UPDATED : REG_CREATED;
done:
	free(legacy);
	free(p.base);
	return err;
}

struct error *
reg_close(struct reg *r)
{
	struct error *err = NULL;

	if (r == NULL)
		return NULL;
	if (r->state != NULL)
		err = state_save(r->state);
	state_free(r->state);
	backend_models_free(r->models, r->nmodels);
	free(r->version);
	free(r->base_arch);
	free(r);
	return err;
}
