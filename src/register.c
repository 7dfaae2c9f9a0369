/* register.c: adapters as Ollama models (see register.h). */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "fsutil.h"
#include "gguf.h"
#include "hash.h"
#include "progress.h"
#include "register.h"
#include "state.h"
#include "strbuf.h"
#include "banned.h"

struct reg {
	struct ollama		*o;
	const struct registry	*registry;
	struct progress		*pg;		/* may be NULL */
	char			*version;
	struct backend_model	*models;
	size_t			 nmodels;
	struct state		*state;
	struct reg_counts	 counts;
	/* The base's /api/show, asked once (base_show). */
	struct ollama_show	 base;
	int			 base_shown;
	enum base_identity	 identity;
	char			*identity_text;
	char			*quant_text;	/* a quantization mismatch */
	/* HEAD /api/blobs answers of this run. */
	struct blob_seen {
		char	 hex[SHA256_HEX_LEN + 1];
		int	 exists;
	}			*blobs;
	size_t			 nblobs;
	char			*reason;	/* of the last reg_ensure_adapter */
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
    struct progress *pg, struct reg **out)
{
	struct reg *r = xcalloc(1, sizeof(*r));
	struct error *err;
	char *home, *path;

	*out = NULL;
	r->o = o;
	r->registry = registry;
	r->pg = pg;
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

/* "solver.gguf for solver": an adapter's file, in progress lines. */
static char *
file_label(const struct adapter *a)
{
	char *copy = xstrdup(a->file), *label;

	label = xasprintf("%s for %s", basename(copy), a->name);
	free(copy);
	return label;
}

/* A hash_progress_fn feeding the progress of a PROGRESS_HASH step. */
static int
on_hash(uint64_t done, uint64_t total, void *arg)
{
	progress_update("hashing", done, total, arg);
	return 0;
}

/* Pull a model, one progress bar for it; counted by the caller. */
static struct error *
pull(struct reg *r, const char *model)
{
	struct error *err;

	progress_begin(r->pg, PROGRESS_PULL, model);
	err = ollama_pull(r->o, model, progress_update, r->pg);
	progress_end(r->pg, err);
	return err;
}

/* HEAD /api/blobs/sha256:HEX, once per run. */
static struct error *
blob_exists(struct reg *r, const char *hex, int *exists)
{
	struct error *err;
	size_t i;

	for (i = 0; i < r->nblobs; i++)
		if (strcmp(r->blobs[i].hex, hex) == 0) {
			*exists = r->blobs[i].exists;
			return NULL;
		}
	if ((err = ollama_blob_exists(r->o, hex, exists)) != NULL)
		return err;
	r->blobs = xreallocarray(r->blobs, r->nblobs + 1, sizeof(*r->blobs));
	snprintf(r->blobs[r->nblobs].hex, sizeof(r->blobs[0].hex), "%s", hex);
	r->blobs[r->nblobs++].exists = *exists;
	return NULL;
}

/* After a pull or an upload, blobs may be there that were not. */
static void
blobs_forget(struct reg *r)
{
	free(r->blobs);
	r->blobs = NULL;
	r->nblobs = 0;
}

/* Compare the base's model_info with the registry's base_model. */
static void
base_identity(struct reg *r)
{
	const struct base_model *b = &r->registry->base;
	struct weights_id wid = { r->base.basename, r->base.finetune,
	    r->base.size_label, r->base.version, r->base.name };
	char *found, *missing, *name = str_sanitize(b->name, 200);

	r->identity = registry_base_identity(b, &wid, &found, &missing);
	switch (r->identity) {
	case BASE_UNKNOWN:
		r->identity_text = xasprintf("base model '%s' does not say "
		    "which weights it is (its metadata has no general.basename,"
		    " finetune, size_label, version or name): loco cannot "
		    "confirm that it is %s, the registry's base (%s:%d)",
		    b->tag, name, r->registry->path, b->name_line);
		break;
	case BASE_OTHER:
		r->identity_text = xasprintf("base model '%s' is not the "
		    "registry's base: found %s, expected %s (%s:%d), which "
		    "says %s", b->tag, found, name, r->registry->path,
		    b->name_line, missing);
		break;
	case BASE_SAME:
		r->identity_text = found;
		found = NULL;
		break;
	}
	/* Ollama says "unknown" for a file type it has no name for. */
	if (b->quantization != NULL && r->base.quantization != NULL &&
	    *r->base.quantization != '\0' &&
	    strcasecmp(r->base.quantization, "unknown") != 0 &&
	    strcasecmp(b->quantization, r->base.quantization) != 0) {
		char *q = str_sanitize(r->base.quantization, 80);
		char *want = str_sanitize(b->quantization, 80);

		r->quant_text = xasprintf("base model '%s' is quantized as %s, "
		    "not %s as the registry says (%s:%d): adapters run on it, "
		    "but the registry's scores were measured on %s", b->tag, q,
		    want, r->registry->path, b->quantization_line, want);
		free(want);
		free(q);
	}
	free(found);
	free(missing);
	free(name);
}

/* The base's /api/show, once per run. */
static struct error *
base_show(struct reg *r)
{
	struct error *err;
	const char *tag = r->registry->base.tag;

	if (r->base_shown)
		return NULL;
	err = ollama_show(r->o, tag, &r->base);
	if (err != NULL && err->code == EXIT_NOMODEL) {
		error_free(err);
		/* Listed but not shown: Ollama could not read its weights. */
		if (reg_has_model(r, tag))
			return error_new(EXIT_NOMODEL, "base model '%s' is "
			    "listed by Ollama at %s but a file of it is "
			    "missing: run 'loco setup' to pull it again", tag,
			    ollama_url(r->o));
		return error_new(EXIT_NOMODEL, "base model '%s' is not in "
		    "Ollama at %s: run 'loco setup' to pull it", tag,
		    ollama_url(r->o));
	}
	if (err != NULL)
		return err;
	r->base_shown = 1;
	base_identity(r);
	return NULL;
}

static void
base_forget(struct reg *r)
{
	ollama_show_release(&r->base);
	r->base_shown = 0;
	free(r->identity_text);
	free(r->quant_text);
	r->identity_text = r->quant_text = NULL;
	blobs_forget(r);
}

struct error *
reg_base_whole(struct reg *r, const char **missing)
{
	struct error *err;
	int exists = 1;

	*missing = NULL;
	if ((err = base_show(r)) != NULL)
		return err;
	if (r->base.from_blob != NULL &&
	    (err = blob_exists(r, r->base.from_blob, &exists)) != NULL)
		return err;
	if (!exists)
		*missing = r->base.from_blob;
	return NULL;
}

struct error *
reg_ensure_base(struct reg *r, enum base_outcome *out)
{
	struct error *err;
	const char *tag = r->registry->base.tag, *missing = NULL;

	*out = BASE_PRESENT;
	if (reg_has_model(r, tag)) {
		/*
		 * Listed, but is it whole?  Ollama keeps listing a model whose
		 * blob vanished, and then answers "try pulling it first".
		 */
		err = reg_base_whole(r, &missing);
		if (err == NULL && missing == NULL)
			return NULL;
		if (err != NULL && err->code != EXIT_NOMODEL)
			return err;
		error_free(err);
		*out = BASE_REPAIRED;
	}
	if ((err = pull(r, tag)) != NULL)
		return error_prefix(err, "cannot pull the base model '%s'",
		    tag);
	if (*out != BASE_REPAIRED)
		*out = BASE_PULLED;
	base_forget(r);
	if ((err = refresh_tags(r)) != NULL)
		return err;
	r->counts.pulls++;
	return NULL;
}

struct error *
reg_base_identity(struct reg *r, enum base_identity *id, const char **text,
    const char **quant)
{
	struct error *err;

	if ((err = base_show(r)) != NULL)
		return err;
	*id = r->identity;
	*text = r->identity_text;
	*quant = r->quant_text;
	return NULL;
}

struct error *
reg_base_arch(struct reg *r, const char **arch)
{
	struct error *err;

	if ((err = base_show(r)) != NULL)
		return err;
	if (r->base.architecture == NULL)
		return error_new(EXIT_FAIL, "Ollama's /api/show for '%s' names "
		    "no general.architecture", r->registry->base.tag);
	*arch = r->base.architecture;
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
		struct progress *pg = r != NULL ? r->pg : NULL;
		char *label = file_label(a);

		progress_begin(pg, PROGRESS_HASH, label);
		free(label);
		err = sha256_file(a->file, hex, pg ? on_hash : NULL, pg);
		progress_end(pg, err);
		if (err != NULL)
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

/* Everything reg_ensure_adapter and reg_check share: the request and its hash. */
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

/*
 * A model Ollama lists may still be wrong: built FROM another base's
 * weights (the tag now names other weights, or another registry made it),
 * or missing a blob, which Ollama only reports when it is asked to answer
 * ("try pulling it first").  /api/show names its blobs; HEAD says whether
 * each is there.  *why is NULL when all is well, else a phrase (owned by
 * r); *other says it was another base.
 */
static struct error *
model_verify(struct reg *r, const struct adapter *a, const char **why,
    int *other)
{
	struct ollama_show sh;
	struct error *err;
	const char *hexes[2];
	int exists;
	size_t i;

	*why = NULL;
	*other = 0;
	free(r->reason);
	r->reason = NULL;
	/* Without the base (doctor says so), there is nothing to compare. */
	if (a->type != ADAPTER_MERGED && (err = base_show(r)) != NULL) {
		if (err->code != EXIT_NOMODEL)
			return err;
		error_free(err);
	}
	err = ollama_show(r->o, a->model, &sh);
	if (err != NULL && err->code == EXIT_NOMODEL) {
		/* Listed by /api/tags but not shown: a file of it is gone. */
		error_free(err);
		r->reason = xstrdup("listed by Ollama, but a file of it is "
		    "missing");
		*why = r->reason;
		return NULL;
	}
	if (err != NULL)
		return err;
	if (a->type != ADAPTER_MERGED && r->base_shown &&
	    sh.from_blob != NULL && r->base.from_blob != NULL &&
	    strcmp(sh.from_blob, r->base.from_blob) != 0) {
		r->reason = xasprintf("built from other weights than the base "
		    "model '%s' (sha256:%.12s, not sha256:%.12s)",
		    r->registry->base.tag, sh.from_blob, r->base.from_blob);
		*why = r->reason;
		*other = 1;
		goto done;
	}
	hexes[0] = sh.from_blob;
	hexes[1] = sh.adapter_blob;
	for (i = 0; i < ARRAY_SIZE(hexes); i++) {
		if (hexes[i] == NULL)
			continue;
		if ((err = blob_exists(r, hexes[i], &exists)) != NULL)
			goto done;
		if (!exists) {
			r->reason = xasprintf("its %s blob sha256:%.12s is "
			    "missing from Ollama", i == 0 ? "weights" :
			    "adapter", hexes[i]);
			*why = r->reason;
			break;
		}
	}
done:
	ollama_show_release(&sh);
	return err;
}

/* A LoRA adapter fits only the weights it was trained on. */
static struct error *
lora_fits_base(struct reg *r, const struct adapter *a)
{
	struct error *err;

	if (a->type != ADAPTER_LORA)
		return NULL;
	if ((err = base_show(r)) != NULL)
		return err;
	if (r->identity == BASE_OTHER)
		return error_new(EXIT_INTEGRITY, "adapter '%s': %s; a LoRA "
		    "trained on one does not fit the other: pull the base the "
		    "registry names, or change base_model in the registry",
		    a->name, r->identity_text);
	return NULL;
}

struct error *
reg_check(struct reg *r, const struct adapter *a, int *current,
    const char **why)
{
	struct plan p;
	struct error *err;
	int other;

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
	/* As reg_ensure_adapter: what is wrong with a model comes first. */
	if (reg_has_model(r, a->model) &&
	    (err = model_verify(r, a, why, &other)) != NULL) {
		free(p.base);
		return err;
	}
	if (*why == NULL)
		*current = plan_current(r, a, &p, why);
	free(p.base);
	return NULL;
}

const char *
reg_reason(const struct reg *r)
{
	return r->reason;
}

struct error *
reg_ensure_adapter(struct reg *r, const struct adapter *a, enum reg_outcome *out)
{
	struct plan p;
	struct error *err;
	const struct backend_model *m;
	const char *why, *arch = NULL;
	char *legacy = NULL;
	int exists, existed, used_legacy, other = 0;

	*out = REG_CURRENT;
	free(r->reason);
	r->reason = NULL;
	if (reg_skip_reason(a) != NULL) {
		*out = REG_SKIPPED;
		return NULL;
	}
	if (a->type == ADAPTER_TAG) {
		if (reg_has_model(r, a->model))
			return NULL;
		if ((err = pull(r, a->model)) != NULL)
			return error_prefix(err, "adapter '%s': cannot pull "
			    "'%s'", a->name, a->model);
		if ((err = refresh_tags(r)) != NULL)
			return err;
		r->counts.pulls++;
		*out = REG_PULLED;
		return NULL;
	}
	/* Nothing is sent for an adapter that cannot work. */
	if ((err = lora_fits_base(r, a)) != NULL)
		return err;
	if ((err = plan_make(r, a, &p)) != NULL)
		return err;
	if (a->type == ADAPTER_LORA) {
		if ((err = reg_base_arch(r, &arch)) != NULL ||
		    (err = reg_check_file(r->registry, a, arch)) != NULL)
			goto done;
	} else if (a->type == ADAPTER_MERGED &&
	    (err = reg_check_file(r->registry, a, NULL)) != NULL)
		goto done;
	existed = reg_has_model(r, a->model);
	if (existed && (err = model_verify(r, a, &why, &other)) != NULL)
		goto done;
	if (existed && why != NULL)
		*out = other ? REG_REPLACED : REG_REPAIRED;
	else if (plan_current(r, a, &p, &why))
		goto done;
	if (a->type == ADAPTER_LORA || a->type == ADAPTER_MERGED) {
		if ((err = blob_exists(r, p.hex, &exists)) != NULL)
			goto done;
		if (!exists) {
			char *label = file_label(a);

			progress_begin(r->pg, PROGRESS_UPLOAD, label);
			free(label);
			err = ollama_blob_upload(r->o, a->file, p.hex,
			    progress_update, r->pg);
			progress_end(r->pg, err);
			if (err != NULL)
				goto done;
			r->counts.uploads++;
			blobs_forget(r);
		}
	}
	/* Delete first: nothing of the model on the other base is kept. */
	if (*out == REG_REPLACED && (err = ollama_delete(r->o, a->model))
	    != NULL) {
		err = error_prefix(err, "cannot delete '%s'", a->model);
		goto done;
	}
	legacy = legacy_modelfile(r->registry, a, p.hex);
	p.c.legacy_modelfile = legacy;
	progress_begin(r->pg, PROGRESS_CREATE, a->model);
	err = ollama_create(r->o, &p.c, progress_update, r->pg, &used_legacy);
	progress_end(r->pg, err);
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
	/* Counted as the line setup prints: created, not failed. */
	r->counts.creates++;
	m = find_model(r, a->model);
	state_set_model(r->state, ollama_url(r->o), a->model, p.request,
	    m ? m->digest : NULL);
	if (*out == REG_CURRENT)
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
	base_forget(r);
	free(r->reason);
	free(r);
	return err;
}
