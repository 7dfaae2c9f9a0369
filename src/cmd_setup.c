/*
 * cmd_setup.c: loco setup: check the server, pull the base model, register
 * every adapter, write a default configuration.  Re-running it when all is
 * current sends no upload and no create, and says so.  The steps are lines
 * of text, or with --json one object at the end; the done line counts the
 * lines above it (register.h).  Pulls and uploads show their progress on
 * stderr as they go (progress.h), unless --quiet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fsutil.h"
#include "jsonout.h"
#include "progress.h"
#include "register.h"
#include "banned.h"

static const char *const outcome_text[] = {
	[REG_CURRENT] = "current", [REG_CREATED] = "created",
	[REG_UPDATED] = "updated", [REG_SKIPPED] = "skipped",
	[REG_REPAIRED] = "repaired", [REG_REPLACED] = "replaced",
	[REG_PULLED] = "pulled",
};

static const char *const base_text[] = {
	[BASE_PRESENT] = "present", [BASE_PULLED] = "pulled",
	[BASE_REPAIRED] = "repaired",
};

/*
 * Say once what is doubtful about the base: weights it does not name, or
 * other weights under prompt adapters (a LoRA adapter on them fails on its
 * own), or another quantization.
 */
static struct error *
base_warnings(struct reg *r, const struct registry *registry)
{
	enum base_identity id;
	const char *text, *quant;
	struct error *err;
	size_t i, nprompt = 0;

	if ((err = reg_base_identity(r, &id, &text, &quant)) != NULL)
		return err;
	for (i = 0; i < registry->nadapters; i++)
		nprompt += registry->adapters[i].type == ADAPTER_PROMPT;
	if (id == BASE_UNKNOWN)
		fprintf(stderr, "loco: %s\n", text);
	else if (id == BASE_OTHER && nprompt > 0)
		fprintf(stderr, "loco: %s; prompt adapters run on it, but the "
		    "registry's scores were not measured on it\n", text);
	if (quant != NULL)
		fprintf(stderr, "loco: %s\n", quant);
	return NULL;
}

/* Write $LOCO_HOME/config.yaml with the defaults if there is none. */
static struct error *
default_config(int *wrote, char **path)
{
	struct error *err;
	char *home = loco_home(), *text;

	*wrote = 0;
	*path = xasprintf("%s/config.yaml", home);
	if (fs_exists(*path) || (err = fs_mkdirs(home, 1)) != NULL) {
		free(home);
		return NULL;
	}
	free(home);
	text = config_default_text();
	if ((err = fs_write_atomic(*path, text, strlen(text))) == NULL)
		*wrote = 1;
	free(text);
	return err;
}

enum { O_JSON = 1, O_QUIET };

static const struct opt setup_opts[] = {
	{ "host", 0, 0, OPT_VALUE, "url", "the server (default: backend.host)",
	  OC_NONE, NULL, "backend.host" },
	{ "json", 0, O_JSON, OPT_FLAG, NULL, "print what was done as one JSON "
	  "object" },
	{ "quiet", 0, O_QUIET, OPT_FLAG, NULL, "no progress on stderr" },
};
static const struct opt_form setup_forms[] = {
	{ NULL, NULL, NULL },
};
const struct optspec setup_spec = {
	"setup", "pull the base model and register every adapter with Ollama",
	setup_opts, OPT_NELEM(setup_opts), setup_forms,
	OPT_NELEM(setup_forms), NULL, 0, NULL
};

struct error *
cmd_setup(struct loco *lc, int argc, char *argv[])
{
	const struct cmd *c = cmd_find("setup");
	struct registry *registry;
	struct ollama *o = NULL;
	struct reg *r = NULL;
	struct progress pg;
	struct jout *j = NULL;
	struct error *err, *first = NULL;
	const struct reg_counts *n;
	enum reg_outcome out;
	unsigned failed = 0, changed = 0;
	char *cfgpath = NULL;
	enum base_outcome bout;
	struct optparse p;
	int id, quiet = 0, json = 0, wrote;
	size_t i;

	opt_init(&p, lc, &setup_spec, argc, argv);
	while ((id = opt_next(&p)) > 0)
		switch (id) {
		case O_JSON:
			json = 1;
			break;
		case O_QUIET:
			quiet = 1;
			break;
		}
	if (id < 0)
		return opt_end(&p);
	if (p.argc > 0)
		return cmd_usage_error(c, "unexpected argument '%s'",
		    p.argv[0]);
	if (lc->cfg.backend_type != NULL &&
	    strcmp(lc->cfg.backend_type, "llama-server") == 0) {
		if (json)
			return error_new(EXIT_USAGE, "setup --json reports what "
			    "Ollama registered; with llama-server, 'loco doctor "
			    "--json' reports the files and the server");
		return serve_setup(lc, quiet);
	}
	if ((err = loco_registry(lc, &registry)) != NULL ||
	    (err = loco_client(lc, &o)) != NULL)
		return err;
	progress_init(&pg, lc->stderr_progress, quiet);
	if ((err = reg_open(o, registry, &pg, &r)) != NULL)
		goto done;
	if (json) {
		j = jout_new();
		jout_obj(j, "server");
		jout_str(j, "version", reg_server_version(r));
		jout_str(j, "url", ollama_url(o));
		jout_end(j);
	} else
		printf("server: Ollama %s at %s\n", reg_server_version(r),
		    ollama_url(o));
	if ((err = default_config(&wrote, &cfgpath)) != NULL)
		goto done;
	if (json)
		jout_str(j, "config_written", wrote ? cfgpath : NULL);
	else if (wrote)
		printf("config: wrote the defaults to %s\n", cfgpath);
	changed += wrote;
	err = reg_ensure_base(r, &bout);
	progress_done(&pg);
	if (err != NULL || (err = base_warnings(r, registry)) != NULL)
		goto done;
	if (json) {
		jout_obj(j, "base");
		jout_str(j, "model", registry->base.tag);
		jout_str(j, "outcome", base_text[bout]);
		jout_end(j);
		jout_arr(j, "adapters");
	} else if (bout == BASE_REPAIRED)
		printf("base: %s repaired (its weights blob was missing from "
		    "Ollama: pulled again)\n", registry->base.tag);
	else
		printf("base: %s %s\n", registry->base.tag, base_text[bout]);
	changed += bout != BASE_PRESENT;
	for (i = 0; i < registry->nadapters; i++) {
		const struct adapter *a = &registry->adapters[i];

		err = reg_ensure_adapter(r, a, &out);
		progress_done(&pg);
		if (json) {
			jout_obj(j, NULL);
			jout_str(j, "name", a->name);
			jout_str(j, "version", a->version);
			jout_str(j, "model", a->model);
			jout_str(j, "outcome", err ? "failed" :
			    outcome_text[out]);
			jout_str(j, "error", err ? err->msg : NULL);
			jout_str(j, "reason", err ? NULL : out == REG_SKIPPED ?
			    reg_skip_reason(a) : reg_reason(r));
			jout_end(j);
		}
		if (err != NULL) {
			if (err->code == EXIT_INTERRUPT)
				goto done;
			fprintf(stderr, "loco: %s\n", err->msg);
			if (!json)
				printf("adapter %s: %s failed\n", a->name,
				    a->model);
			failed++;
			if (first == NULL)
				first = err;
			else
				error_free(err);
			err = NULL;
			continue;
		}
		if (!json && out == REG_SKIPPED)
			printf("adapter %s: %s skipped (%s)\n", a->name,
			    a->model, reg_skip_reason(a));
		else if (!json && reg_reason(r) != NULL)
			printf("adapter %s: %s %s (%s)\n", a->name, a->model,
			    outcome_text[out], reg_reason(r));
		else if (!json)
			printf("adapter %s: %s %s\n", a->name, a->model,
			    outcome_text[out]);
		changed += out != REG_CURRENT && out != REG_SKIPPED;
	}
	n = reg_counts(r);
	if (json) {
		jout_end(j);
		jout_int(j, "uploaded", n->uploads);
		jout_int(j, "created", n->creates);
		jout_int(j, "pulled", n->pulls);
		jout_bool(j, "changed", changed > 0);
		jout_int(j, "failed", failed);
		loco_print_json(j);
		j = NULL;
	}
	/* The counts are those of the lines above (register.h). */
	if (!json && failed == 0 && changed == 0)
		printf("everything is current: nothing to do\n");
	else if (!json && failed == 0)
		printf("done: %u uploaded, %u created, %u pulled\n",
		    n->uploads, n->creates, n->pulls);
	else if (!json)
		printf("done: %u uploaded, %u created, %u pulled, %u failed\n",
		    n->uploads, n->creates, n->pulls, failed);
	if (failed > 0) {
		err = error_new(first->code, "%u of %zu adapters could not be "
		    "registered", failed, registry->nadapters);
		error_free(first);
	}
done:
	jout_free(j);
	progress_done(&pg);
	if (r != NULL) {
		struct error *cerr = reg_close(r);
		if (err == NULL)
			err = cerr;
		else
			error_free(cerr);
	}
	ollama_free(o);
	free(cfgpath);
	return err;
}
