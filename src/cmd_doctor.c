/*
 * cmd_doctor.c: loco doctor: each check with OK or PROBLEM and, for a
 * problem, what to do.  Exit status 1 when any check fails.
 */
#include <sys/statvfs.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "cmd.h"
#include "gguf.h"
#include "jsonout.h"
#include "register.h"
#include "sandbox.h"
#include "tools.h"
#include "serve.h"
#include "strbuf.h"
#include "banned.h"

#define MIN_DISK_GB 5.0
#define TARGET_RAM_GB 8.0

struct check {
	char	*name;
	int	 ok;
	char	*detail;
	char	*fix;		/* NULL when ok */
};

struct report {
	struct check	*checks;
	size_t		 n;
};

static void
add(struct report *rp, const char *name, int ok, char *detail, char *fix)
{
	struct check *c;

	rp->checks = xreallocarray(rp->checks, rp->n + 1, sizeof(*rp->checks));
	c = &rp->checks[rp->n++];
	c->name = xstrdup(name);
	c->ok = ok;
	c->detail = detail;
	c->fix = fix;
}

/* "0.33.0" -> 33000 + ...; unknown forms compare as new. */
static long
version_number(const char *v)
{
	long major = 0, minor = 0, patch = 0;
	char *end;

	major = strtol(v, &end, 10);
	if (*end == '.')
		minor = strtol(end + 1, &end, 10);
	if (*end == '.')
		patch = strtol(end + 1, &end, 10);
	return major * 1000000 + minor * 1000 + patch;
}

/* What tool calls can use here (tools.h): Python, and sympy. */
static void
check_tools(struct report *rp)
{
	int py = access(SANDBOX_PYTHON, X_OK) == 0;

	add(rp, "tools", 1, xasprintf("python %s; sympy %s", py ?
	    SANDBOX_PYTHON : "missing (the python tool cannot run)",
	    tools_sympy_available() ? "installed (the sympy tool can run)" :
	    "not installed (apt install python3-sympy for the sympy tool)"),
	    NULL);
}

static void
check_machine(struct report *rp)
{
	struct statvfs sv;
	char *home = loco_home(), *where, line[256];
	double gb;
	FILE *fp;
	long long kb = 0;

	/* The nearest existing directory on the way to $LOCO_HOME. */
	where = xstrdup(home);
	while (statvfs(where, &sv) == -1 && strrchr(where, '/') != NULL &&
	    strrchr(where, '/') != where)
		*strrchr(where, '/') = '\0';
	if (statvfs(where, &sv) == 0) {
		gb = (double)sv.f_bavail * (double)sv.f_frsize / 1e9;
		add(rp, "disk", gb >= MIN_DISK_GB, xasprintf("%.1f GB free "
		    "for %s", gb, home), gb >= MIN_DISK_GB ? NULL :
		    xasprintf("free at least %.0f GB: the base model alone "
		    "takes about 2.5 GB", MIN_DISK_GB));
	}
	free(where);
	free(home);
	if ((fp = fopen("/proc/meminfo", "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL)
			if (sscanf(line, "MemTotal: %lld kB", &kb) == 1)
				break;
		fclose(fp);
	}
	if (kb > 0) {
		gb = (double)kb * 1024 / 1e9;
		add(rp, "memory", gb >= TARGET_RAM_GB * 0.95, xasprintf("%.1f "
		    "GB in all (loco's target is %.0f GB)", gb, TARGET_RAM_GB),
		    gb >= TARGET_RAM_GB * 0.95 ? NULL : xstrdup("expect swapping "
		    "with a 4B model: close other programs or use a smaller "
		    "base model"));
	}
}

/*
 * The protections model code would run with here, and whether they meet
 * sandbox.require; a policy of the user's weaker than essential is said.
 */
static void
check_sandbox(struct report *rp)
{
	static const struct sandbox_policy essential = {
		SANDBOX_ESSENTIAL_ALL, SANDBOX_ESSENTIAL_ANY
	};
	struct strbuf have = STRBUF_INIT, miss = STRBUF_INIT;
	struct error *err;
	unsigned mask;

	if ((err = sandbox_probe(&mask)) != NULL) {
		add(rp, "sandbox", 0, xstrdup(err->msg), xstrdup("model code "
		    "(code_execution cases) cannot run"));
		error_free(err);
		return;
	}
	sandbox_protections_describe(mask, &have);
	if (sandbox_policy_missing(sandbox_required(), mask, &miss))
		add(rp, "sandbox", 0, xasprintf("lacks %s; has %s", miss.buf,
		    have.buf), xstrdup(geteuid() != 0 &&
		    !(mask & SANDBOX_PROT_USERNS) ? "allow unprivileged user "
		    "namespaces (sysctl user.max_user_namespaces, "
		    "kernel.unprivileged_userns_clone), or set sandbox.require "
		    "to none to run model code with only what is available" :
		    "set sandbox.require to none to run model code with only "
		    "what is available"));
	else if (sandbox_policy_missing(&essential, mask, &miss))
		add(rp, "sandbox", 1, xasprintf("%s (without %s, as "
		    "sandbox.require allows)", have.buf, miss.buf), NULL);
	else
		add(rp, "sandbox", 1, xstrdup(have.buf), NULL);
	strbuf_release(&have);
	strbuf_release(&miss);
}

/*
 * Models an earlier loco named without the base: nothing uses them now.
 * Not a problem, but worth removing.
 */
static void
check_legacy(struct report *rp, const struct reg *r,
    const struct registry *registry)
{
	struct strbuf names = STRBUF_INIT;
	size_t i, n = 0;
	char *old;

	for (i = 0; i < registry->nadapters; i++) {
		const struct adapter *a = &registry->adapters[i];

		if (a->type == ADAPTER_TAG || reg_skip_reason(a) != NULL)
			continue;
		old = adapter_legacy_model_name(a->name, a->version);
		if (reg_has_model(r, old) && !ollama_name_equal(old, a->model)) {
			strbuf_addf(&names, " %s", old);
			n++;
		}
		free(old);
	}
	if (n > 0)
		add(rp, "old models", 1, xasprintf("%zu model%s named without "
		    "the base by an earlier loco, no longer used:%s", n,
		    n == 1 ? "" : "s", names.buf), xasprintf("remove %s with "
		    "'ollama rm%s'", n == 1 ? "it" : "them", names.buf));
	strbuf_release(&names);
}

static void
check_server(struct report *rp, struct ollama *o,
    const struct registry *registry)
{
	struct reg *r = NULL;
	struct error *err, *cerr;
	const char *why, *arch = NULL, *missing, *text, *quant;
	enum base_identity id;
	int current;
	size_t i, nlora = 0;
	long v;

	if ((err = reg_open(o, registry, NULL, &r)) != NULL) {
		add(rp, "server", 0, xstrdup(err->msg), xstrdup(
		    err->code == EXIT_UNREACHABLE ? "start it with 'ollama "
		    "serve', or set OLLAMA_HOST" : "check the server's log"));
		error_free(err);
		return;
	}
	add(rp, "server", 1, xasprintf("Ollama %s at %s",
	    reg_server_version(r), ollama_url(o)), NULL);
	for (i = 0; i < registry->nadapters; i++)
		nlora += registry->adapters[i].type == ADAPTER_LORA;
	v = version_number(reg_server_version(r));
	if (nlora > 0 && v >= 6000 && v < 30000)
		add(rp, "version", 0, xasprintf("Ollama %s cannot load LoRA "
		    "adapters on models of its own engine (qwen3, gemma3, ...)",
		    reg_server_version(r)), xstrdup("upgrade Ollama to 0.30 "
		    "or later, or use merged adapters"));
	else
		add(rp, "version", 1, xasprintf("%s%s", reg_server_version(r),
		    v < 5005 ? " (old create API: loco sends Modelfiles)" : ""),
		    NULL);
	if (!reg_has_model(r, registry->base.tag))
		add(rp, "base model", 0, xasprintf("%s is not in Ollama",
		    registry->base.tag), xasprintf("run 'loco setup' (or "
		    "'ollama pull %s')", registry->base.tag));
	else if ((err = reg_base_arch(r, &arch)) != NULL ||
	    (err = reg_base_whole(r, &missing)) != NULL ||
	    (err = reg_base_identity(r, &id, &text, &quant)) != NULL) {
		add(rp, "base model", 0, xstrdup(err->msg), NULL);
		error_free(err);
		arch = NULL;
	} else if (missing != NULL) {
		add(rp, "base model", 0, xasprintf("%s is listed, but its "
		    "weights blob sha256:%.12s is missing from Ollama",
		    registry->base.tag, missing), xstrdup("run 'loco setup' "
		    "(it pulls the base again)"));
		arch = NULL;
	} else {
		add(rp, "base model", 1, xasprintf("%s (%s)",
		    registry->base.tag, arch), NULL);
		if (id == BASE_SAME)
			add(rp, "base identity", 1, xasprintf("%s: %s%s%s",
			    registry->base.name, text, quant ? "; " : "",
			    quant ? quant : ""), NULL);
		else
			add(rp, "base identity", id != BASE_OTHER,
			    xasprintf("%s%s%s", text, quant ? "; " : "",
			    quant ? quant : ""), id != BASE_OTHER ? NULL :
			    xstrdup("pull the base the registry names, or "
			    "change base_model in the registry"));
	}
	for (i = 0; i < registry->nadapters; i++) {
		const struct adapter *a = &registry->adapters[i];
		char *name = xasprintf("adapter %s", a->name);
		const char *skip = reg_skip_reason(a);

		if (skip != NULL)
			add(rp, name, 1, xasprintf("%s skipped (%s)", a->model,
			    skip), NULL);
		else if ((err = reg_check(r, a, &current, &why)) != NULL) {
			add(rp, name, 0, xstrdup(err->msg), xstrdup("fix or "
			    "reinstall the adapter's files"));
			error_free(err);
		} else
			add(rp, name, current, xasprintf("%s %s", a->model,
			    current ? "registered and current" : why),
			    current ? NULL : xstrdup("run 'loco setup'"));
		if (a->type == ADAPTER_LORA && arch != NULL) {
			err = reg_check_file(registry, a, arch);
			free(name);
			name = xasprintf("adapter %s file", a->name);
			add(rp, name, err == NULL, err ? xstrdup(err->msg) :
			    xasprintf("LoRA for %s, as the base", arch), err ?
			    xstrdup("install an adapter trained for this base")
			    : NULL);
			error_free(err);
		}
		free(name);
	}
	check_legacy(rp, r, registry);
	if ((cerr = reg_close(r)) != NULL)
		error_free(cerr);
}

static long long
mem_total(void)
{
	char line[256];
	long long kb = 0;
	FILE *fp;

	if ((fp = fopen("/proc/meminfo", "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL)
			if (sscanf(line, "MemTotal: %lld kB", &kb) == 1)
				break;
		fclose(fp);
	}
	return kb * 1024;
}

/*
 * What llama-server will hold: the base's weights, every adapter, and
 * the KV cache (K and V, f16, for every layer and every slot's num_ctx).
 */
static void
check_memory(struct report *rp, const struct loco *lc,
    const struct serve_state *st)
{
	struct gguf_info gi;
	struct error *err;
	double weights = 0, adapters = 0, kv = 0, total, have;
	size_t i;

	if ((err = gguf_read(st->base, &gi)) != NULL) {
		error_free(err);
		return;
	}
	weights = (double)gi.file_size;
	if (gi.n_head > 0)
		kv = 2.0 * 2.0 * (double)gi.n_layer * (double)config_context(&lc->cfg) *
		    (double)lc->cfg.serve_slots * (double)gi.n_embd *
		    (double)(gi.n_head_kv ? gi.n_head_kv : gi.n_head) /
		    (double)gi.n_head;
	gguf_info_release(&gi);
	for (i = 0; i < st->nloras; i++)
		if (gguf_read(st->loras[i].path, &gi) == NULL) {
			adapters += (double)gi.file_size;
			gguf_info_release(&gi);
		}
	total = weights + adapters + kv;
	have = (double)mem_total();
	add(rp, "memory estimate", have <= 0 || total <= 0.8 * have,
	    xasprintf("about %.2f GB: base %.2f GB, %zu adapter%s %.2f GB, KV "
	    "cache %.2f GB (%ld slots x %ld tokens), of %.1f GB", total / 1e9,
	    weights / 1e9, st->nloras, st->nloras == 1 ? "" : "s",
	    adapters / 1e9, kv / 1e9, lc->cfg.serve_slots, config_context(&lc->cfg),
	    have / 1e9), have <= 0 || total <= 0.8 * have ? NULL :
	    xstrdup("lower serve.slots or options.num_ctx, or use a smaller "
	    "base"));
}

/* The llama-server backend: the binary, what it loads, the server. */
static void
check_llama(struct report *rp, struct loco *lc)
{
	struct serve_state st;
	struct backend *be = NULL;
	struct backend_model *m = NULL;
	struct error *err;
	char *v = NULL;
	size_t n = 0;

	if ((err = serve_plan(lc, &st)) != NULL) {
		add(rp, "llama-server", 0, xstrdup(err->msg), NULL);
		error_free(err);
		serve_state_release(&st);
		return;
	}
	if ((err = serve_binary_version(st.binary, &v)) != NULL) {
		add(rp, "llama-server", 0, xstrdup(err->msg), xstrdup("rebuild "
		    "llama-server, or set backend.llama_server"));
		error_free(err);
	} else
		add(rp, "llama-server", 1, xasprintf("%s (%s)", st.binary, v),
		    NULL);
	free(v);
	add(rp, "base model", 1, xasprintf("%s", st.base), NULL);
	add(rp, "adapters", 1, xasprintf("%zu LoRA adapter%s checked for "
	    "the base", st.nloras, st.nloras == 1 ? "" : "s"), NULL);
	check_memory(rp, lc, &st);
	if ((err = backend_open(&lc->cfg, &be)) == NULL &&
	    (err = backend_models(be, &m, &n)) == NULL) {
		if (n == st.nloras + 1)
			add(rp, "server", 1, xasprintf("llama-server at %s: %zu "
			    "adapters loaded", backend_url(be), n - 1), NULL);
		else
			add(rp, "server", 0, xasprintf("llama-server at %s has "
			    "%zu adapters loaded, the registry %zu", backend_url(be),
			    n - 1, st.nloras), xstrdup("run 'loco setup' (it "
			    "restarts loco serve with the registry's adapters)"));
	} else {
		add(rp, "server", 0, xstrdup(err->msg), xstrdup(
		    "start it with 'loco serve'"));
		error_free(err);
	}
	backend_models_free(m, n);
	backend_free(be);
	serve_state_release(&st);
}

/* Is name among the n models listed? */
static int
listed(const struct backend_model *m, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(m[i].name, name) == 0)
			return 1;
	return 0;
}

/*
 * The openai backend: the key's variable, the server, and that it lists
 * the base and each active LoRA adapter (a missing one is loaded at run
 * time where vLLM allows it, which doctor does not try).
 */
static void
check_openai(struct report *rp, struct loco *lc,
    const struct registry *registry)
{
	struct backend *be = NULL;
	struct backend_model *m = NULL;
	struct strbuf miss = STRBUF_INIT, fix = STRBUF_INIT;
	const char *base = lc->cfg.base_model ? lc->cfg.base_model :
	    registry->base.tag;
	struct error *err;
	char *v = NULL;
	size_t i, n = 0, nlora = 0;

	if ((err = backend_open(&lc->cfg, &be)) != NULL ||
	    (err = backend_version(be, &v)) != NULL ||
	    (err = backend_models(be, &m, &n)) != NULL) {
		add(rp, "server", 0, xstrdup(err->msg), xstrdup(
		    err->code == EXIT_CONFIG ? "see backend.api_key_env and "
		    "backend.host in loco.yaml(5)" : "check backend.host and "
		    "the server's log"));
		error_free(err);
		goto done;
	}
	/* Names from the server, shown: no control characters. */
	for (i = 0; i < n && i < 8; i++) {
		char *clean = str_sanitize(m[i].name, 80);

		strbuf_addf(&miss, "%s%s", i ? ", " : "", clean);
		free(clean);
	}
	add(rp, "server", 1, xasprintf("OpenAI-compatible server at %s "
	    "(version %s): %zu model%s (%s%s)", backend_url(be), v, n,
	    n == 1 ? "" : "s", miss.buf, n > 8 ? ", ..." : ""), NULL);
	strbuf_reset(&miss);
	if (listed(m, n, base))
		add(rp, "base model", 1, xasprintf("%s is served", base), NULL);
	else
		add(rp, "base model", 0, xasprintf("%s is not served", base),
		    xstrdup(lc->cfg.base_model ? "serve it, or correct "
		    "backend.base_model" : "set backend.base_model to the "
		    "name the server gives the base"));
	for (i = 0; i < registry->nadapters; i++) {
		const struct adapter *a = &registry->adapters[i];

		if (!a->active || a->type != ADAPTER_LORA)
			continue;
		nlora++;
		if (listed(m, n, a->name) || listed(m, n, a->model))
			continue;
		strbuf_addf(&miss, "%s%s", miss.len ? ", " : "", a->name);
		strbuf_addf(&fix, " %s=PEFT_FOLDER", a->name);
	}
	if (miss.len == 0)
		add(rp, "adapters", 1, xasprintf("%zu active LoRA adapter%s "
		    "served", nlora, nlora == 1 ? "" : "s"), NULL);
	else
		add(rp, "adapters", 0, xasprintf("not served: %s", miss.buf),
		    xasprintf("start vLLM with --enable-lora --lora-modules%s, "
		    "or allow loading at run time "
		    "(VLLM_ALLOW_RUNTIME_LORA_UPDATING=True)", fix.buf));
done:
	strbuf_release(&miss);
	strbuf_release(&fix);
	free(v);
	backend_models_free(m, n);
	backend_free(be);
}

enum { O_JSON = 1 };

static const struct opt doctor_opts[] = {
	{ "host", 0, 0, OPT_VALUE, "url", "the server (default: backend.host)",
	  OC_NONE, NULL, "backend.host" },
	{ "json", 0, O_JSON, OPT_FLAG, NULL, "print the checks as JSON" },
};
static const struct opt_form doctor_forms[] = {
	{ NULL, NULL, NULL },
};
const struct optspec doctor_spec = {
	"doctor", "check the server, the models, the adapters and this "
	"machine", doctor_opts, OPT_NELEM(doctor_opts), doctor_forms,
	OPT_NELEM(doctor_forms), NULL, 0, NULL
};

struct error *
cmd_doctor(struct loco *lc, int argc, char *argv[])
{
	const struct cmd *c = cmd_find("doctor");
	struct registry *registry;
	struct ollama *o = NULL;
	struct report rp = { NULL, 0 };
	struct error *err;
	struct optparse p;
	size_t i, problems = 0;
	int id, json = 0;

	opt_init(&p, lc, &doctor_spec, argc, argv);
	while ((id = opt_next(&p)) > 0)
		if (id == O_JSON)
			json = 1;
	if (id < 0)
		return opt_end(&p);
	if (p.argc > 0)
		return cmd_usage_error(c, "unexpected argument '%s'",
		    p.argv[0]);
	/*
	 * A registry that does not load is a problem to report with the
	 * others, not a reason to stop: the checks that need it are left out.
	 */
	if ((err = loco_registry(lc, &registry)) != NULL) {
		add(&rp, "registry", 0, xstrdup(err->msg), xstrdup("correct "
		    "it where the message says; the server's checks need it"));
		error_free(err);
		registry = NULL;
	} else if (strcmp(lc->cfg.backend_type, "llama-server") == 0)
		check_llama(&rp, lc);
	else if (strcmp(lc->cfg.backend_type, "openai") == 0)
		check_openai(&rp, lc, registry);
	else {
		if ((err = loco_client(lc, &o)) != NULL)
			return err;
		check_server(&rp, o, registry);
	}
	check_machine(&rp);
	check_sandbox(&rp);
	check_tools(&rp);
	if (json) {
		struct jout *j = jout_new_array();

		for (i = 0; i < rp.n; i++) {
			jout_obj(j, NULL);
			jout_str(j, "check", rp.checks[i].name);
			jout_bool(j, "ok", rp.checks[i].ok);
			jout_str(j, "detail", rp.checks[i].detail);
			jout_str(j, "fix", rp.checks[i].fix);
			jout_end(j);
		}
		loco_print_json(j);
	}
	for (i = 0; i < rp.n; i++) {
		struct check *k = &rp.checks[i];

		problems += !k->ok;
		if (!json) {
			printf("%-7s %-20s %s\n", k->ok ? "OK" : "PROBLEM",
			    k->name, k->detail);
			if (k->fix != NULL)
				printf("%-7s %-20s -> %s\n", "", "", k->fix);
		}
		free(k->name);
		free(k->detail);
		free(k->fix);
	}
	free(rp.checks);
	ollama_free(o);
	if (problems > 0)
		return error_new(EXIT_FAIL, "%zu problem%s found", problems,
		    problems == 1 ? "" : "s");
	return NULL;
}
