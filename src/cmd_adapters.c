/*
 * cmd_adapters.c: loco adapters SUBCOMMAND: the registry's adapters and
 * the package manager (search, info, install, update, remove, add,
 * promote, convert).  A small table of its own; each subcommand has its
 * table of options (opt.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchfile.h"
#include "fsutil.h"
#include "cmd.h"
#include "hash.h"
#include "jsonout.h"
#include "modelfile.h"
#include "peft.h"
#include "pindex.h"
#include "pkg.h"
#include "progress.h"
#include "banned.h"

/* Is model among the server's models? */
static int
has_model(const struct backend_model *m, size_t n, const char *model)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ollama_name_equal(m[i].name, model))
			return 1;
	return 0;
}

enum {
	O_JSON = 1, O_FORCE, O_KEEP_MODEL, O_ARCH, O_BASE, O_NAME, O_OUTPUT,
	O_OUTTYPE, O_DESCRIPTION, O_DOMAIN, O_MODELFILE, O_PEFT, O_VERSION
};

#define HOST_ENTRY(what) \
	{ "host", 0, 0, OPT_VALUE, "url", what " (default: backend.host)", \
	  OC_NONE, NULL, "backend.host" }
#define INDEX_ENTRY \
	{ "index", 0, 0, OPT_VALUE, "url", "the package index (default: " \
	  "adapters.index)", OC_NONE, NULL, "adapters.index" }
#define JSON_ENTRY(help) \
	{ "json", 0, O_JSON, OPT_FLAG, NULL, help }

static const struct opt list_opts[] = {
	HOST_ENTRY("the Ollama server to ask"),
	JSON_ENTRY("print JSON"),
};
static const struct opt_form list_forms[] = { { NULL, NULL, NULL } };
static const struct opt_operand no_operands[1];
static const struct optspec list_spec = { "adapters list",
    "the registry's adapters and whether Ollama has them",
    list_opts, OPT_NELEM(list_opts), list_forms, 1, no_operands, 0, NULL };

static const struct opt search_opts[] = {
	INDEX_ENTRY,
	JSON_ENTRY("print JSON"),
};
static const struct opt_form search_forms[] = {
	{ NULL, NULL, "[term]" }
};
static const struct opt_operand search_operands[] = {
	{ "term", "a word of the name, domain, tags or description "
	  "(default: every package)" },
};
static const struct optspec search_spec = OPTSPEC("adapters search",
    "the package index, by name, domain, tag and description",
    search_opts, search_forms, search_operands);

static const struct opt info_opts[] = {
	JSON_ENTRY("print JSON"),
};
static const struct opt_form info_forms[] = { { NULL, NULL, "name" } };
static const struct opt_operand info_operands[] = {
	{ "name", "an adapter: every version, or name@version for one",
	  OC_ADAPTER },
};
static const struct optspec info_spec = OPTSPEC("adapters info",
    "one adapter's entry", info_opts, info_forms, info_operands);

static const struct opt install_opts[] = {
	{ "force", 0, O_FORCE, OPT_FLAG, NULL, "replace an installed copy of "
	  "the same version" },
	INDEX_ENTRY,
	JSON_ENTRY("print what was installed as JSON"),
};
static const struct opt_form install_forms[] = {
	{ NULL, NULL, "package" }
};
static const struct opt_operand install_operands[] = {
	{ "package", "a .tar.gz or .zip file, or name[@version] from the index "
	  "(the newest for the base model by default)", OC_FILE },
};
static const struct optspec install_spec = OPTSPEC("adapters install",
    "a package file, or name[@version] from the index",
    install_opts, install_forms, install_operands);

static const struct opt update_opts[] = {
	INDEX_ENTRY,
	JSON_ENTRY("print what was updated as JSON"),
};
static const struct opt_form update_forms[] = {
	{ NULL, NULL, "[name ...]" }
};
static const struct opt_operand update_operands[] = {
	{ "name", "an installed package (default: every one)", OC_ADAPTER },
};
static const struct optspec update_spec = OPTSPEC("adapters update",
    "newer versions of installed packages",
    update_opts, update_forms, update_operands);

static const struct opt remove_opts[] = {
	HOST_ENTRY("the Ollama server"),
	JSON_ENTRY("print what was removed as JSON"),
	{ "keep-model", 0, O_KEEP_MODEL, OPT_FLAG, NULL, "leave the Ollama "
	  "model alone" },
};
static const struct opt_form remove_forms[] = { { NULL, NULL, "name" } };
static const struct opt_operand remove_operands[] = {
	{ "name", "an installed package; name@version when several versions "
	  "are installed", OC_ADAPTER },
};
static const struct optspec remove_spec = OPTSPEC("adapters remove",
    "an installed package and its Ollama model",
    remove_opts, remove_forms, remove_operands);

static const struct opt add_opts[] = {
	{ "description", 0, O_DESCRIPTION, OPT_VALUE, "text", "one line about "
	  "it" },
	{ "force", 0, O_FORCE, OPT_FLAG, NULL, "replace an installed copy" },
	JSON_ENTRY("print what was added as JSON"),
	{ "version", 0, O_VERSION, OPT_VALUE, "version", "its semantic version "
	  "(default 1.0.0)" },
	{ "domain", 0, O_DOMAIN, OPT_VALUE, "domain", "its domain",
	  OC_DOMAIN, NULL, NULL, OPT_MUST },
	{ "modelfile", 0, O_MODELFILE, OPT_VALUE, "file", "the Modelfile",
	  OC_FILE, NULL, NULL, OPT_MUST | OPT_PAIR },
	{ "peft", 0, O_PEFT, OPT_VALUE, "dir", "the PEFT folder "
	  "(adapter_config.json and adapter_model.safetensors)", OC_DIR },
};
static const struct opt_form add_forms[] = { { NULL, NULL, "name" } };
static const struct opt_operand add_operands[] = {
	{ "name", "the new adapter's name", OC_NONE },
};
static const struct optspec add_spec = OPTSPEC("adapters add",
    "an adapter made from an Ollama Modelfile or a PEFT folder",
    add_opts, add_forms, add_operands);

static const struct opt convert_opts[] = {
	{ "arch", 0, O_ARCH, OPT_VALUE, "arch", "without a base: llama, "
	  "mistral, qwen2, qwen3, gemma2 or gemma3 (shapes are then not "
	  "checked)" },
	{ "base", 0, O_BASE, OPT_VALUE, "file", "the base model's GGUF to "
	  "check shapes against (default: the registry's base model)",
	  OC_FILE },
	JSON_ENTRY("print what was written as JSON"),
	{ "name", 0, O_NAME, OPT_VALUE, "name", "general.name (default: the "
	  "folder's name)" },
	{ NULL, 'o', O_OUTPUT, OPT_VALUE, "file", "the GGUF to write (default: "
	  "DIR's name.gguf)", OC_FILE },
	{ "output", 0, O_OUTPUT, OPT_VALUE, "file", "the same as -o", OC_FILE,
	  NULL, NULL, OPT_NOUSAGE },
	{ "outtype", 0, O_OUTTYPE, OPT_VALUE, "f16|f32", "the tensors' type: "
	  "f16 (default) or f32", OC_WORDS, "f16 f32" },
};
static const struct opt_form convert_forms[] = { { NULL, NULL, "dir" } };
static const struct opt_operand convert_operands[] = {
	{ "dir", "a Hugging Face PEFT LoRA folder (adapter_config.json and "
	  "adapter_model.safetensors)", OC_DIR },
};
static const struct optspec convert_spec = OPTSPEC("adapters convert",
    "a PEFT LoRA folder to a GGUF LoRA for llama.cpp and Ollama",
    convert_opts, convert_forms, convert_operands);

static const struct opt promote_opts[] = {
	JSON_ENTRY("print the promoted adapter as JSON"),
};
static const struct opt_form promote_forms[] = { { NULL, NULL, "name" } };
static const struct opt_operand promote_operands[] = {
	{ "name", "an adapter, or name@version", OC_ADAPTER },
};
static const struct optspec promote_spec = OPTSPEC("adapters promote",
    "make an adapter the active one of its domain",
    promote_opts, promote_forms, promote_operands);

/* What the subcommands other than add and convert take: flags. */
struct flags {
	int	json;
	int	force;
	int	keep_model;
};

/*
 * Parse sc's options into f; 0 with the operands in *argc and *argv, or
 * -1 to stop with *err (NULL after -h).
 */
static int
parse_flags(struct loco *lc, const struct subcmd *sc, int *argc,
    char ***argv, struct flags *f, struct error **err)
{
	struct optparse p;
	int id;

	memset(f, 0, sizeof(*f));
	opt_init(&p, lc, sc->spec, *argc, *argv);
	while ((id = opt_next(&p)) > 0)
		switch (id) {
		case O_JSON:
			f->json = 1;
			break;
		case O_FORCE:
			f->force = 1;
			break;
		case O_KEEP_MODEL:
			f->keep_model = 1;
			break;
		}
	if (id < 0) {
		*err = opt_end(&p);
		return -1;
	}
	*argc = p.argc;
	*argv = p.argv;
	return 0;
}

static struct error *
adapters_list(struct loco *lc, const struct subcmd *c, int argc, char *argv[])
{
	struct registry *reg;
	struct ollama *o = NULL;
	struct backend_model *models = NULL;
	size_t nmodels = 0, i;
	struct error *err = NULL, *probe;
	struct flags f;
	int json, known;

	if (parse_flags(lc, c, &argc, &argv, &f, &err) == -1)
		return err;
	json = f.json;
	if (argc > 0)
		return sub_usage_error(c, "unexpected argument '%s'", argv[0]);
	if ((err = loco_registry(lc, &reg)) != NULL)
		return err;
	if ((err = loco_client(lc, &o)) != NULL)
		return err;
	/* Without a server the list is still useful: presence unknown. */
	probe = ollama_tags(o, &models, &nmodels);
	known = probe == NULL;
	if (probe != NULL) {
		if (probe->code == EXIT_INTERRUPT) {
			ollama_free(o);
			return probe;
		}
		fprintf(stderr, "loco: model presence unknown: %s\n",
		    probe->msg);
		error_free(probe);
	}
	if (json) {
		struct jout *j = jout_new_array();

		for (i = 0; i < reg->nadapters; i++) {
			const struct adapter *a = &reg->adapters[i];

			jout_obj(j, NULL);
			jout_str(j, "name", a->name);
			jout_str(j, "version", a->version);
			jout_str(j, "domain", a->domain);
			jout_str(j, "type", adapter_type_name(a->type));
			jout_str(j, "description", a->description);
			jout_str(j, "model", a->model);
			jout_bool(j, "active", a->active);
			/* A composition has no Ollama model to have. */
			if (known && a->type != ADAPTER_COMPOSE)
				jout_bool(j, "present",
				    has_model(models, nmodels, a->model));
			else
				jout_null(j, "present");
			jout_end(j);
		}
		loco_print_json(j);
	} else {
		printf("%-12s %-9s %-9s %-7s %-8s %s\n", "NAME", "VERSION",
		    "DOMAIN", "TYPE", "OLLAMA", "DESCRIPTION");
		for (i = 0; i < reg->nadapters; i++) {
			const struct adapter *a = &reg->adapters[i];
			const char *state = a->type == ADAPTER_COMPOSE ? "-" :
			    !known ? "?" :
			    has_model(models, nmodels, a->model) ? "present" :
			    "missing";

			printf("%-12s %-9s %-9s %-7s %-8s %s%s\n", a->name,
			    a->version, a->domain, adapter_type_name(a->type),
			    state, a->active ? "" : "(inactive) ",
			    a->description);
		}
	}
	backend_models_free(models, nmodels);
	ollama_free(o);
	return NULL;
}

/* Split "name@version"; *version NULL when there is no '@'. */
static char *
split_name(const char *arg, char **version)
{
	const char *at = strchr(arg, '@');

	*version = at ? xstrdup(at + 1) : NULL;
	return at ? xstrndup(arg, (size_t)(at - arg)) : xstrdup(arg);
}

static struct error *
load_index(struct loco *lc, struct pkg_index **idx)
{
	struct error *err;

	if (lc->cfg.index == NULL)
		return error_new(EXIT_CONFIG, "no package index: set "
		    "adapters.index in config.yaml or use --index");
	if ((err = index_load(lc->cfg.index, lc->cfg.connect_timeout,
	    idx)) == NULL)
		index_set_ceiling(*idx, lc->cfg.max_download * 1048576LL);
	return err;
}

static struct error *
adapters_search(struct loco *lc, const struct subcmd *sc, int argc,
    char *argv[])
{
	struct pkg_index *idx = NULL;
	struct registry *reg;
	struct error *err = NULL;
	struct flags f;
	int json;
	size_t i;
	const char *term;

	if (parse_flags(lc, sc, &argc, &argv, &f, &err) == -1)
		return err;
	json = f.json;
	if (argc > 1)
		return sub_usage_error(sc, "give one search term");
	term = argc > 0 ? argv[0] : "";
	if ((err = loco_registry(lc, &reg)) != NULL ||
	    (err = load_index(lc, &idx)) != NULL)
		return err;
	if (json) {
		struct jout *j = jout_new_array();

		for (i = 0; i < idx->n; i++) {
			const struct index_entry *e = &idx->entries[i];
			size_t t;

			if (!index_match(e, term))
				continue;
			jout_obj(j, NULL);
			jout_str(j, "name", e->name);
			jout_str(j, "version", e->version);
			jout_str(j, "domain", e->domain);
			jout_str(j, "description", e->description);
			jout_arr(j, "tags");
			for (t = 0; t < e->ntags; t++)
				jout_str(j, NULL, e->tags[t]);
			jout_end(j);
			jout_int(j, "size", e->size);
			jout_str(j, "base_model", e->base_model);
			{
				char *pick = xasprintf("%s@%s", e->name,
				    e->version);
				jout_bool(j, "installed",
				    registry_find(reg, pick) != NULL);
				free(pick);
			}
			jout_end(j);
		}
		loco_print_json(j);
	} else {
		for (i = 0; i < idx->n; i++) {
			const struct index_entry *e = &idx->entries[i];
			char *pick = xasprintf("%s@%s", e->name, e->version);

			/* A package for another base cannot be installed here. */
			int other = e->base_model != NULL &&
			    strcmp(e->base_model, reg->base.tag) != 0;

			if (index_match(e, term))
				printf("%-12s %-9s %-9s %s%s%s%s%s\n", e->name,
				    e->version, e->domain ? e->domain : "-",
				    registry_find(reg, pick) ? "(installed) " :
				    "", other ? "(for " : "", other ?
				    e->base_model : "", other ? ", not this "
				    "base) " : "", e->description ?
				    e->description : "");
			free(pick);
		}
	}
	index_free(idx);
	return NULL;
}

/* Was the recorded score made on another version of the benchmark? */
static int
score_stale(const struct registry *reg, const struct adapter *a)
{
	char *path = bench_for_adapter(reg, a), hex[SHA256_HEX_LEN + 1];
	struct error *err;
	int stale = 1;

	if (path != NULL && (err = sha256_file(path, hex, NULL, NULL)) == NULL)
		stale = strcmp(a->score_sha256 + (str_startswith(
		    a->score_sha256, "sha256:") ? 7 : 0), hex) != 0;
	else if (path != NULL)
		error_free(err);
	free(path);
	return stale;
}

static void
info_text(const struct adapter *a, const struct registry *reg)
{
	size_t i;

	printf("%s %s%s\n", a->name, a->version, a->active ? " (active)" : "");
	printf("  domain       %s\n  type         %s\n  model        %s\n",
	    a->domain, adapter_type_name(a->type), a->model);
	printf("  description  %s\n", a->description);
	if (a->file != NULL)
		printf("  file         %s\n", a->file);
	if (a->sha256 != NULL)
		printf("  sha256       %s\n", a->sha256);
	printf("  source       %s\n", a < reg->adapters + reg->nbase ?
	    reg->path : "installed package");
	if (a->answer_type != NULL)
		printf("  answers      %s\n", a->answer_type);
	if (a->ntools > 0) {
		printf("  tools       ");
		for (i = 0; i < a->ntools; i++)
			printf(" %s", a->tools[i]);
		printf(" (%s form)\n", a->tool_format ? a->tool_format :
		    "text");
	}
	if (a->nkeywords > 0) {
		printf("  keywords    ");
		for (i = 0; i < a->nkeywords; i++)
			printf(" %s:%g", a->keywords[i].phrase,
			    a->keywords[i].weight);
		printf("\n");
	}
	for (i = 0; i < a->nscores; i++)
		printf("  score        %s %g\n", a->scores[i].name,
		    a->scores[i].value);
	if (a->score_sha256 != NULL)
		printf("  evaluated    %s on %s%s\n", a->score_date ?
		    a->score_date : "?", a->score_sha256, score_stale(reg, a) ?
		    " (STALE: the benchmark has changed since)" : "");
}

static struct error *
adapters_info(struct loco *lc, const struct subcmd *sc, int argc,
    char *argv[])
{
	struct registry *reg;
	struct error *err = NULL;
	struct flags f;
	char *name, *version, *s;
	int json, shown = 0;
	size_t i;
	struct jout *j = NULL;

	if (parse_flags(lc, sc, &argc, &argv, &f, &err) == -1)
		return err;
	json = f.json;
	if (argc != 1)
		return sub_usage_error(sc, "give one adapter name");
	if ((err = loco_registry(lc, &reg)) != NULL)
		return err;
	name = split_name(argv[0], &version);
	/* A name the registry does not know: perhaps a typo. */
	if (registry_find(reg, name) == NULL) {
		free(name);
		free(version);
		return registry_unknown(reg, argv[0]);
	}
	if (json)
		j = jout_new_array();
	for (i = 0; i < reg->nadapters; i++) {
		const struct adapter *a = &reg->adapters[i];

		if (strcmp(a->name, name) != 0 || (version != NULL &&
		    strcmp(a->version, version) != 0))
			continue;
		shown++;
		if (!json) {
			if (shown > 1)
				printf("\n");
			info_text(a, reg);
			continue;
		}
		jout_obj(j, NULL);
		jout_str(j, "name", a->name);
		jout_str(j, "version", a->version);
		jout_str(j, "domain", a->domain);
		jout_str(j, "type", adapter_type_name(a->type));
		jout_str(j, "model", a->model);
		jout_str(j, "description", a->description);
		jout_str(j, "file", a->file);
		jout_str(j, "sha256", a->sha256);
		jout_bool(j, "active", a->active);
		jout_bool(j, "installed_package", a >= reg->adapters +
		    reg->nbase);
		jout_arr(j, "tools");
		{
			size_t k;
			for (k = 0; k < a->ntools; k++)
				jout_str(j, NULL, a->tools[k]);
		}
		jout_end(j);
		jout_str(j, "tool_format", a->ntools == 0 ? NULL :
		    a->tool_format ? a->tool_format : "text");
		jout_obj(j, "scores");
		{
			size_t k;
			for (k = 0; k < a->nscores; k++)
				jout_num(j, a->scores[k].name,
				    a->scores[k].value);
		}
		jout_end(j);
		jout_str(j, "evaluated", a->score_date);
		jout_str(j, "benchmark_sha256", a->score_sha256);
		if (a->score_sha256 != NULL)
			jout_bool(j, "stale", score_stale(reg, a));
		else
			jout_null(j, "stale");
		jout_end(j);
	}
	if (json) {
		s = jout_finish(j, 1);
		if (shown > 0) {
			loco_write(s, strlen(s));
			loco_write("\n", 1);
		}
		free(s);
	}
	err = shown ? NULL : error_new(EXIT_FAIL, "no adapter '%s' in the "
	    "registry; see 'loco adapters info %s'", argv[0], name);
	free(name);
	free(version);
	return err;
}

/* Install from an index entry: fetch, then install. */
static struct error *
install_entry(struct loco *lc, const struct registry *reg,
    const struct index_entry *e, int force, char **name, char **version)
{
	struct progress pg;
	struct error *err;
	char *path;

	progress_init(&pg, lc->stderr_progress, 0);
	err = index_fetch(e, progress_update, &pg, &path);
	progress_done(&pg);
	if (err != NULL)
		return err;
	err = pkg_install(reg, path, force, e->name, e->version, name, version);
	free(path);
	return err;
}

static struct error *
adapters_install(struct loco *lc, const struct subcmd *sc, int argc,
    char *argv[])
{
	struct pkg_index *idx = NULL;
	struct registry *reg;
	const struct index_entry *e;
	struct error *err;
	char *name = NULL, *version = NULL, *want, *wantv;
	const char *arg;
	struct flags f;
	int force, json;

	err = NULL;
	if (parse_flags(lc, sc, &argc, &argv, &f, &err) == -1)
		return err;
	force = f.force;
	json = f.json;
	if (argc != 1)
		return sub_usage_error(sc, "give one package file or name");
	arg = argv[0];
	if ((err = loco_registry(lc, &reg)) != NULL)
		return err;
	if (strchr(arg, '/') != NULL || str_endswith(arg, ".tar.gz") ||
	    str_endswith(arg, ".tgz") || str_endswith(arg, ".zip")) {
		err = pkg_install(reg, str_startswith(arg, "file://") ? arg + 7 :
		    arg, force, NULL, NULL, &name, &version);
	} else {
		if ((err = load_index(lc, &idx)) != NULL)
			return err;
		want = split_name(arg, &wantv);
		e = index_best(idx, want, wantv, reg->base.tag);
		if (e == NULL)
			err = error_new(EXIT_FAIL, "no package '%s' for the base "
			    "model '%s' in the index '%s'", arg, reg->base.tag,
			    idx->source);
		else
			err = install_entry(lc, reg, e, force, &name, &version);
		free(want);
		free(wantv);
		index_free(idx);
	}
	if (err == NULL && json) {
		struct jout *j = jout_new();

		jout_str(j, "name", name);
		jout_str(j, "version", version);
		loco_print_json(j);
	} else if (err == NULL)
		printf("installed %s %s; run 'loco setup' to register it with "
		    "Ollama\n", name, version);
	free(name);
	free(version);
	return err;
}

static int
contains_arg(int argc, char *argv[], const char *name)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

/* The highest version of name that came from a package. */
static const struct adapter *
newest_installed(const struct registry *reg, const char *name)
{
	const struct adapter *best = NULL;
	size_t i;

	for (i = reg->nbase; i < reg->nadapters; i++)
		if (strcmp(reg->adapters[i].name, name) == 0 && (best == NULL ||
		    semver_cmp(reg->adapters[i].version, best->version) > 0))
			best = &reg->adapters[i];
	return best;
}

/* Is some version of name the promoted adapter of its domain? */
static int
was_promoted(const struct installed *in, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < in->nactive; i++)
		if (strncmp(in->active[i].pick, name, n) == 0 &&
		    in->active[i].pick[n] == '@')
			return 1;
	return 0;
}

/* Move a promotion from cur to the same name at version. */
static struct error *
promote_version(const struct registry *reg, const struct adapter *cur,
    const char *version)
{
	struct adapter a = *cur;

	a.version = (char *)version;
	return pkg_promote(&a, reg->base.tag);
}

static struct error *
adapters_update(struct loco *lc, const struct subcmd *sc, int argc,
    char *argv[])
{
	struct pkg_index *idx = NULL;
	struct registry *reg;
	struct installed in;
	const struct index_entry *e;
	const struct adapter *cur;
	struct error *err = NULL;
	struct jout *j = NULL;
	char *name, *version;
	const char *hint;
	struct flags f;
	int json, updated = 0;
	size_t i, k;

	if (parse_flags(lc, sc, &argc, &argv, &f, &err) == -1)
		return err;
	json = f.json;
	if (json) {
		j = jout_new();
		jout_arr(j, "updated");
	}
	if ((err = loco_registry(lc, &reg)) != NULL ||
	    (err = load_index(lc, &idx)) != NULL ||
	    (err = installed_load(&in)) != NULL)
		goto out;
	for (k = 0; k < (size_t)argc && err == NULL; k++) {
		if (newest_installed(reg, argv[k]) != NULL)
			continue;
		if ((hint = registry_suggest(reg, argv[k], reg->nbase)))
			err = error_new(EXIT_FAIL, "no package '%s' is "
			    "installed; did you mean '%s'?", argv[k], hint);
		else
			err = error_new(EXIT_FAIL, "no package '%s' is "
			    "installed; see 'loco adapters list'", argv[k]);
	}
	for (i = 0; i < in.npackages && err == NULL; i++) {
		char *pname = xstrndup(in.packages[i],
		    strcspn(in.packages[i], "/"));

		/* Each name once, and only those asked for. */
		for (k = 0; k < i; k++)
			if (strncmp(in.packages[k], pname, strlen(pname)) == 0 &&
			    in.packages[k][strlen(pname)] == '/')
				break;
		if (k < i || (argc > 0 && !contains_arg(argc, argv, pname))) {
			free(pname);
			continue;
		}
		cur = newest_installed(reg, pname);
		e = index_best(idx, pname, NULL, reg->base.tag);
		if (cur != NULL && e != NULL &&
		    semver_cmp(e->version, cur->version) > 0) {
			err = install_entry(lc, reg, e, 0, &name, &version);
			if (err == NULL) {
				int promoted = was_promoted(&in, pname);

				updated++;
				if (json) {
					jout_obj(j, NULL);
					jout_str(j, "name", pname);
					jout_str(j, "from", cur->version);
					jout_str(j, "to", version);
					jout_bool(j, "promoted", promoted);
					jout_end(j);
				} else
					printf("updated %s %s -> %s\n", pname,
					    cur->version, version);
				if (promoted)
					err = promote_version(reg, cur, version);
			}
			free(name);
			free(version);
		}
		free(pname);
	}
	if (err == NULL && json) {
		jout_end(j);
		loco_print_json(j);
		j = NULL;
	} else if (err == NULL && updated == 0)
		printf("everything is up to date\n");
	else if (err == NULL)
		printf("run 'loco setup' to register the new versions\n");
	installed_release(&in);
out:
	jout_free(j);
	index_free(idx);
	return err;
}

/*
 * Remove a dangling entry of installed.yaml (its directory gone, so the
 * registry skipped it): NAME, or NAME@VERSION in *version.  EXIT_NOMODEL
 * when there is none.
 */
static struct error *
remove_dangling(const char *name, char **version)
{
	struct installed in;
	struct error *err;
	char *want = xasprintf("%s/", name), *v = NULL;
	size_t i, n = 0, len = strlen(want);

	if ((err = installed_load(&in)) != NULL) {
		free(want);
		return err;
	}
	for (i = 0; i < in.npackages; i++)
		if (strncmp(in.packages[i], want, len) == 0 &&
		    (*version == NULL ||
		    strcmp(in.packages[i] + len, *version) == 0) &&
		    !installed_present(&in, i)) {
			n++;
			free(v);
			v = xstrdup(in.packages[i] + len);
		}
	installed_release(&in);
	free(want);
	if (n == 0)
		err = error_new(EXIT_NOMODEL, "no dangling entry");
	else if (n > 1)
		err = error_new(EXIT_USAGE, "several versions of '%s' are "
		    "installed: say which, as %s@VERSION", name, name);
	else if ((err = pkg_remove(name, v)) == NULL) {
		free(*version);
		*version = v;
		v = NULL;
	}
	free(v);
	return err;
}

static struct error *
adapters_remove(struct loco *lc, const struct subcmd *sc, int argc,
    char *argv[])
{
	struct registry *reg;
	struct ollama *o = NULL;
	const struct adapter *a;
	struct error *err = NULL;
	struct flags f;
	char *name, *version, *model = NULL;
	const char *status = NULL;	/* of the Ollama model */
	const char *hint;
	int keep, json, n = 0;
	size_t i;

	if (parse_flags(lc, sc, &argc, &argv, &f, &err) == -1)
		return err;
	keep = f.keep_model;
	json = f.json;
	if (argc != 1)
		return sub_usage_error(sc, "give one adapter name");
	if ((err = loco_registry(lc, &reg)) != NULL)
		return err;
	name = split_name(argv[0], &version);
	for (i = reg->nbase; i < reg->nadapters; i++)
		if (strcmp(reg->adapters[i].name, name) == 0)
			n++;
	if (version == NULL && n > 1) {
		err = error_new(EXIT_USAGE, "several versions of '%s' are "
		    "installed: say which, as %s@VERSION", name, name);
		goto done;
	}
	/*
	 * One installed version: that is the one to remove, even when the
	 * active NAME is the registry file's (promoted, or higher).
	 */
	a = NULL;
	for (i = reg->nbase; version == NULL && n == 1 && i < reg->nadapters;
	    i++)
		if (strcmp(reg->adapters[i].name, name) == 0)
			a = &reg->adapters[i];
	if (a == NULL && (a = registry_find(reg, argv[0])) == NULL) {
		if ((err = remove_dangling(name, &version)) == NULL) {
			/* Its type is unknown: the model may be a tag's. */
			model = adapter_model_name(name, version,
			    reg->base.tag);
			status = "kept";
			if (!json)
				printf("removed %s %s\nkept the Ollama model %s: "
				    "its package was gone, so its type is "
				    "unknown\n", name, version, model);
			goto print;
		}
		if (err->code != EXIT_NOMODEL)
			goto done;
		error_free(err);
		if ((hint = registry_suggest(reg, name, reg->nbase)) != NULL)
			err = error_new(EXIT_FAIL, "no adapter '%s' is "
			    "installed; did you mean '%s'?", argv[0], hint);
		else
			err = error_new(EXIT_FAIL, "no adapter '%s' is "
			    "installed", argv[0]);
		goto done;
	}
	if (a < reg->adapters + reg->nbase) {
		err = error_new(EXIT_FAIL, "adapter '%s' %s comes from the "
		    "registry '%s': edit that file to remove it", a->name,
		    a->version, reg->path);
		goto done;
	}
	model = xstrdup(a->model);
	free(version);
	version = xstrdup(a->version);
	if ((err = pkg_remove(name, version)) != NULL)
		goto done;
	if (!json)
		printf("removed %s %s\n", name, version);
	/* A tag adapter's model is someone else's: never delete it. */
	if (keep || a->type == ADAPTER_TAG) {
		status = "kept";
		goto print;
	}
	/* The files are gone either way; the model is a courtesy. */
	if ((err = loco_client(lc, &o)) == NULL &&
	    (err = ollama_delete(o, model)) == NULL) {
		status = "deleted";
		if (!json)
			printf("deleted the Ollama model %s\n", model);
	}
	if (err != NULL && err->code == EXIT_NOMODEL) {
		status = "not_found";
		error_free(err);
		err = NULL;
	} else if (err != NULL) {
		status = "failed";
		fprintf(stderr, "loco: the Ollama model '%s' was not deleted: "
		    "%s\n", model, err->msg);
		error_free(err);
		err = NULL;
	}
print:
	if (json) {
		struct jout *j = jout_new();

		jout_str(j, "name", name);
		jout_str(j, "version", version);
		jout_str(j, "model", model);
		jout_str(j, "model_status", status);
		loco_print_json(j);
	}
done:
	ollama_free(o);
	free(model);
	free(name);
	free(version);
	return err;
}

/*
 * The base model's GGUF to check a converted adapter against: --base,
 * else (without --arch) the registry's base_model.file, else the file
 * Ollama keeps for its tag.  *base NULL: convert unchecked (--arch).
 */
static struct error *
find_base(struct loco *lc, const char *given, const char *arch, char **base)
{
	struct registry *reg;
	struct error *err;

	*base = NULL;
	if (given != NULL) {
		*base = xstrdup(given);
		return NULL;
	}
	if (arch != NULL)
		return NULL;
	if ((err = loco_registry(lc, &reg)) != NULL)
		return error_prefix(err, "no --base given, and the registry "
		    "cannot say which base model to check against");
	if (reg->base.file != NULL && fs_exists(reg->base.file)) {
		*base = xstrdup(reg->base.file);
		return NULL;
	}
	if ((*base = ollama_blob(reg->base.tag)) != NULL)
		return NULL;
	return error_new(EXIT_USAGE, "no GGUF file of the base model '%s' "
	    "to check the adapter against: give --base FILE.gguf, set "
	    "base_model.file in '%s' or 'ollama pull %s'; or give --arch "
	    "ARCH to convert without checking shapes", reg->base.tag,
	    reg->path, reg->base.tag);
}

/* What a conversion did, on stderr (stdout is for --json). */
static void
convert_report(const struct peft_convert *pc, const struct peft_result *res)
{
	printf("wrote %s: %zu LoRA pairs, rank %ld, alpha %g, %s, %s%s\n",
	    pc->out, res->npairs, res->rank, res->alpha, res->architecture,
	    pc->outtype == PEFT_F16 ? "f16" : "f32",
	    res->permuted ? ", q/k rows reordered for llama.cpp" : "");
	if (res->shapes_checked)
		fprintf(stderr, "loco: shapes checked against '%s'\n",
		    pc->base);
	else
		fprintf(stderr, "loco: warning: shapes not checked (no base "
		    "model GGUF): llama.cpp refuses a mismatch at load\n");
}

static struct error *
adapters_convert(struct loco *lc, const struct subcmd *sc, int argc,
    char *argv[])
{
	struct peft_convert pc;
	struct peft_result res;
	struct optparse p;
	struct error *err;
	const char *given = NULL;
	char *base = NULL, *out = NULL, *name;
	int id, json = 0;

	memset(&pc, 0, sizeof(pc));
	memset(&res, 0, sizeof(res));
	pc.outtype = PEFT_F16;
	opt_init(&p, lc, sc->spec, argc, argv);
	while ((id = opt_next(&p)) > 0)
		switch (id) {
		case O_ARCH:
			pc.arch = p.arg;
			break;
		case O_BASE:
			given = p.arg;
			break;
		case O_JSON:
			json = 1;
			break;
		case O_NAME:
			pc.name = p.arg;
			break;
		case O_OUTPUT:
			pc.out = p.arg;
			break;
		case O_OUTTYPE:
			/* One of the table's words. */
			pc.outtype = strcmp(p.arg, "f32") == 0 ? PEFT_F32 :
			    PEFT_F16;
			break;
		}
	if (id < 0)
		return opt_end(&p);
	argc = p.argc;
	argv = p.argv;
	if (argc != 1)
		return sub_usage_error(sc, "give one PEFT adapter folder");
	pc.dir = argv[0];
	if (pc.out == NULL) {
		char *d = xstrdup(pc.dir), *slash;
		size_t n = strlen(d);

		while (n > 1 && d[n - 1] == '/')
			d[--n] = '\0';
		slash = strrchr(d, '/');
		name = slash && slash[1] ? slash + 1 : d;
		out = xasprintf("%s.gguf", strcmp(name, ".") == 0 ||
		    strcmp(name, "..") == 0 || strcmp(name, "/") == 0 ?
		    "adapter" : name);
		free(d);
		pc.out = out;
	}
	if ((err = find_base(lc, given, pc.arch, &base)) != NULL)
		goto done;
	pc.base = base;
	if ((err = peft_convert(&pc, &res)) != NULL)
		goto done;
	if (json) {
		struct jout *j = jout_new();

		jout_str(j, "output", pc.out);
		jout_str(j, "architecture", res.architecture);
		jout_int(j, "pairs", (long long)res.npairs);
		jout_int(j, "rank", res.rank);
		jout_num(j, "alpha", res.alpha);
		jout_str(j, "outtype", pc.outtype == PEFT_F16 ? "f16" : "f32");
		jout_int(j, "bytes", (long long)res.bytes);
		jout_bool(j, "permuted", res.permuted);
		if (base != NULL)
			jout_str(j, "base", base);
		else
			jout_null(j, "base");
		jout_int(j, "nonfinite", (long long)res.nonfinite);
		loco_print_json(j);
	} else
		convert_report(&pc, &res);
done:
	peft_result_release(&res);
	free(base);
	free(out);
	return err;
}

/*
 * adapters add --peft: convert the folder into a scratch directory,
 * checked against the registry's base GGUF when there is one (else for
 * its architecture, with a warning), then install it as a lora adapter.
 */
static struct error *
add_peft(const struct registry *reg, const struct subcmd *sc,
    const char *name, const char *dir, const char *domain, const char *descr,
    const char *version, int force, int json)
{
	struct peft_convert pc;
	struct peft_result res;
	struct adapter a;
	const struct adapter *prev;
	struct error *err, *e2;
	const char *tmp = getenv("TMPDIR");
	char *tdir, *base = NULL, *out, *auto_descr = NULL;

	memset(&res, 0, sizeof(res));
	tdir = xasprintf("%s/loco-peft.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(tdir) == NULL) {
		err = error_new(EXIT_FAIL, "cannot create '%s': %s", tdir,
		    strerror(errno));
		free(tdir);
		return err;
	}
	if (reg->base.file != NULL && fs_exists(reg->base.file))
		base = xstrdup(reg->base.file);
	else
		base = ollama_blob(reg->base.tag);
	memset(&pc, 0, sizeof(pc));
	pc.dir = dir;
	pc.out = out = xasprintf("%s/%s.gguf", tdir, name);
	pc.base = base;
	pc.arch = base == NULL ? reg->base.architecture : NULL;
	pc.name = name;
	pc.outtype = PEFT_F16;
	if (base == NULL && pc.arch == NULL) {
		err = error_new(EXIT_FAIL, "no GGUF of the base model '%s' to "
		    "convert '%s' for, and no base_model.architecture in '%s'",
		    reg->base.tag, dir, reg->path);
		goto done;
	}
	if ((err = peft_convert(&pc, &res)) != NULL)
		goto done;
	if (base == NULL)
		fprintf(stderr, "loco: warning: '%s' was converted without "
		    "checking its shapes: no GGUF of the base model '%s' (set "
		    "base_model.file or 'ollama pull %s')\n", dir,
		    reg->base.tag, reg->base.tag);
	memset(&a, 0, sizeof(a));
	a.name = (char *)name;
	if ((prev = registry_find(reg, a.name)) != NULL) {
		a.keywords = prev->keywords;
		a.nkeywords = prev->nkeywords;
	}
	a.version = (char *)version;
	a.domain = (char *)domain;
	a.type = ADAPTER_LORA;
	a.file = out;
	a.description = (char *)(descr ? descr : (auto_descr =
	    xasprintf("converted from the PEFT adapter %s", dir)));
	if ((err = pkg_install_parts(reg, &a, force)) != NULL)
		goto done;
	if (json) {
		struct jout *j = jout_new();

		jout_str(j, "name", a.name);
		jout_str(j, "version", a.version);
		jout_str(j, "domain", a.domain);
		jout_str(j, "type", adapter_type_name(a.type));
		jout_str(j, "peft", dir);
		jout_int(j, "pairs", (long long)res.npairs);
		jout_int(j, "rank", res.rank);
		jout_bool(j, "shapes_checked", res.shapes_checked);
		loco_print_json(j);
	} else
		printf("added %s %s (lora, %zu LoRA pairs of rank %ld) from %s; "
		    "run 'loco setup' to register it with Ollama\n", a.name,
		    a.version, res.npairs, res.rank, dir);
	if (a.nkeywords == 0)
		fprintf(stderr, "loco: '%s' has no router keywords: ask for it "
		    "with --adapter %s, or give it router_keywords\n", a.name,
		    a.name);
done:
	if ((e2 = fs_remove_tree(tdir)) != NULL)
		error_free(e2);
	free(auto_descr);
	free(out);
	peft_result_release(&res);
	free(base);
	free(tdir);
	return err;
}

static struct error *
adapters_add(struct loco *lc, const struct subcmd *sc, int argc,
    char *argv[])
{
	struct registry *reg;
	struct modelfile mf;
	struct adapter a;
	const struct adapter *prev;
	struct error *err;
	const char *file = NULL, *domain = NULL, *descr = NULL, *peft = NULL;
	const char *version = "1.0.0";
	char *auto_descr = NULL;
	struct optparse p;
	int id, force = 0, json = 0;

	opt_init(&p, lc, sc->spec, argc, argv);
	while ((id = opt_next(&p)) > 0)
		switch (id) {
		case O_DESCRIPTION:
			descr = p.arg;
			break;
		case O_DOMAIN:
			domain = p.arg;
			break;
		case O_FORCE:
			force = 1;
			break;
		case O_JSON:
			json = 1;
			break;
		case O_MODELFILE:
			file = p.arg;
			break;
		case O_PEFT:
			peft = p.arg;
			break;
		case O_VERSION:
			version = p.arg;
			break;
		}
	if (id < 0)
		return opt_end(&p);
	argc = p.argc;
	argv = p.argv;
	if (argc != 1)
		return sub_usage_error(sc, "give the new adapter's name");
	if (file != NULL && peft != NULL)
		return sub_usage_error(sc, "give one of --modelfile or --peft, "
		    "not both");
	if ((err = loco_registry(lc, &reg)) != NULL)
		return err;
	if (peft != NULL)
		return add_peft(reg, sc, argv[0], peft, domain, descr,
		    version, force, json);
	if ((err = modelfile_read(file, &mf)) != NULL)
		return err;
	memset(&a, 0, sizeof(a));
	a.name = argv[0];
	/* A new version of a known adapter keeps its router keywords. */
	if ((prev = registry_find(reg, a.name)) != NULL) {
		a.keywords = prev->keywords;
		a.nkeywords = prev->nkeywords;
	}
	a.version = (char *)version;
	a.domain = (char *)domain;
	a.description = (char *)(descr ? descr :
	    (auto_descr = xasprintf("imported from %s", file)));
	a.system = mf.system;
	a.params = mf.params;
	a.nparams = mf.nparams;
	if (mf.adapter != NULL) {
		if (mf.from_is_file || !ollama_name_equal(mf.from,
		    reg->base.tag)) {
			err = error_new(EXIT_FAIL, "'%s': FROM %s is not the "
			    "registry's base model '%s'; an ADAPTER only works "
			    "on the model it was trained for", file, mf.from,
			    reg->base.tag);
			goto done;
		}
		a.type = ADAPTER_LORA;
		a.file = mf.adapter;
	} else if (mf.from_is_file) {
		a.type = ADAPTER_MERGED;
		a.file = mf.from;
	} else if (ollama_name_equal(mf.from, reg->base.tag))
		a.type = ADAPTER_PROMPT;
	else {
		a.type = ADAPTER_TAG;
		a.tag = mf.from;
	}
	if ((err = pkg_install_parts(reg, &a, force)) != NULL)
		goto done;
	if (json) {
		struct jout *j = jout_new();

		jout_str(j, "name", a.name);
		jout_str(j, "version", a.version);
		jout_str(j, "domain", a.domain);
		jout_str(j, "type", adapter_type_name(a.type));
		jout_str(j, "modelfile", file);
		loco_print_json(j);
	} else
		printf("added %s %s (%s) from %s; run 'loco setup' to register "
		    "it with Ollama\n", a.name, a.version,
		    adapter_type_name(a.type), file);
	if (mf.template_ != NULL || mf.nmessages > 0 || mf.license != NULL ||
	    mf.requires != NULL)
		fprintf(stderr, "loco: '%s': TEMPLATE, MESSAGE, LICENSE and "
		    "REQUIRES were not kept: the adapter uses the base model's "
		    "template\n", file);
	if (a.nkeywords == 0)
		fprintf(stderr, "loco: '%s' has no router keywords: ask for it "
		    "with --adapter %s, or give it router_keywords\n", a.name,
		    a.name);
done:
	modelfile_release(&mf);
	free(auto_descr);
	return err;
}

static struct error *
adapters_promote(struct loco *lc, const struct subcmd *sc, int argc,
    char *argv[])
{
	struct registry *reg;
	const struct adapter *a;
	struct error *err = NULL;
	struct flags f;
	int json;

	if (parse_flags(lc, sc, &argc, &argv, &f, &err) == -1)
		return err;
	json = f.json;
	if (argc != 1)
		return sub_usage_error(sc, "give one adapter name");
	if ((err = loco_registry(lc, &reg)) != NULL)
		return err;
	if ((a = registry_find(reg, argv[0])) == NULL)
		return registry_unknown(reg, argv[0]);
	if ((err = pkg_promote(a, reg->base.tag)) != NULL)
		return err;
	if (json) {
		struct jout *j = jout_new();

		jout_str(j, "name", a->name);
		jout_str(j, "version", a->version);
		jout_str(j, "domain", a->domain);
		loco_print_json(j);
	} else
		printf("%s %s is now the active %s adapter\n", a->name,
		    a->version, a->domain);
	return NULL;
}

static const struct subcmd subcmds[] = {
	{ .name = "list", .fn = adapters_list, .spec = &list_spec },
	{ .name = "search", .fn = adapters_search, .spec = &search_spec },
	{ .name = "info", .fn = adapters_info, .spec = &info_spec },
	{ .name = "install", .fn = adapters_install, .spec = &install_spec },
	{ .name = "update", .fn = adapters_update, .spec = &update_spec },
	{ .name = "remove", .fn = adapters_remove, .spec = &remove_spec },
	{ .name = "add", .fn = adapters_add, .spec = &add_spec },
	{ .name = "convert", .fn = adapters_convert, .spec = &convert_spec },
	{ .name = "promote", .fn = adapters_promote, .spec = &promote_spec },
};

const struct optspec adapters_spec = { "adapters", "list, find, install, "
    "update, remove, import, convert and promote adapters", NULL, 0, NULL, 0,
    NULL, 0, NULL };

const struct subcmd *
adapters_subcmds(size_t *n)
{
	*n = ARRAY_SIZE(subcmds);
	return subcmds;
}

struct error *
cmd_adapters(struct loco *lc, int argc, char *argv[])
{
	return cmd_subcommand(lc, cmd_find("adapters"), argc, argv);
}
