/*
 * cmd_eval.c: loco eval: an adapter against the base model on the same
 * benchmark with the same settings, compared paired (exact McNemar for
 * pass/fail, a paired bootstrap for continuous scores), with intervals,
 * an out-of-domain check, a gate for CI, and a results.json per run.
 */
#include <sys/utsname.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchfile.h"
#include "cmd.h"
#include "ensemble.h"
#include "evalrun.h"
#include "fsutil.h"
#include "jsonout.h"
#include "pkg.h"
#include "stats.h"
#include "strbuf.h"
#include "banned.h"

#define MAX_OOD 8
#define OOD_LIMIT 5.0		/* percentage points */
#define MAX_SEEDS 32		/* --seed, repeated */

enum fmt { FMT_TABLE, FMT_JSON, FMT_MARKDOWN, FMT_JUNIT };

struct side {
	struct eval_result	*r;
	struct stats_proportion	 acc;
	double			 mean_score;
	size_t			 truncated;	/* answers cut: scored wrong */
};

/* One seed's whole run, with several --seed values. */
struct seed_run {
	long		 seed;
	double		 adapter, base;		/* accuracy */
	size_t		 b_only, c_only;
	double		 p;			/* McNemar, this seed alone */
};

struct comparison {
	const char		*domain;	/* NULL: the main benchmark */
	struct bench		*b;
	struct side		 adapter, base;
	size_t			 b_only, c_only; /* discordant pairs */
	double			 p;		/* McNemar */
	int			 continuous;	/* rouge/judge/custom cases */
	size_t			 coded;		/* code cases with samples */
	double			 pass1, passk;	/* mean pass@1, pass@k */
	size_t			 k;
	struct stats_bootstrap	 boot;
	/*
	 * Several seeds: r[] of each side holds nseeds runs of n cases, seed
	 * after seed; accuracies are their means, and p is that of a paired
	 * bootstrap over the cases' pass rates (seedboot).
	 */
	size_t			 nseeds;
	struct seed_run		*per_seed;
	struct stats_bootstrap	 seedboot;
	/*
	 * --vs: the third model's side (main benchmark only), and McNemar
	 * of the adapter against it and of the base against it: the
	 * cases only the first got right, only it, and p.
	 */
	struct side		 vs;
	size_t			 av_a, av_v, bv_b, bv_v;
	double			 p_av, p_bv;
};

/* --vs BACKEND:MODEL: a model on another server, a third column. */
struct vs_model {
	const char		*spec;		/* as given */
	char			*backend;	/* a name of backends, or a type */
	char			*model;
	struct config		 cfg;		/* the configuration, backend chosen */
	int			 cfg_loaded;
	struct backend		*be;
	struct eval_target	 tg;
};

struct eval_cmd {
	struct loco		*lc;
	const struct cmd	*c;
	const char		*benchmark;
	const char		*ood[MAX_OOD];
	size_t			 nood;
	int			 base_only;
	int			 gate;
	double			 alpha;
	size_t			 limit;
	enum fmt		 fmt;
	const char		*output;
	const char		*resume;
	int			 no_cache;
	int			 grid;
	double			 temperature;	/* --temperature */
	int			 temperature_set;
	long			 seeds[MAX_SEEDS];	/* --seed */
	size_t			 nseeds;
	struct eval_settings	 es;
	struct eval_target	 judge;
	int			 ensemble;	/* --ensemble */
	const char		*ensemble_names; /* --ensemble=NAMES */
	struct ensemble		 ens;
	struct vs_model		 vs;		/* vs.spec NULL: none */
	struct tool_flags	 tf;		/* --no-tools, --unsafe-tools */
	struct tool_settings	 tools;		/* the adapter's */
};

enum {
	O_ALPHA = 1, O_BASE, O_BENCHMARK, O_ENSEMBLE, O_FORMAT, O_GATE,
	O_GRID, O_JOBS, O_JSON, O_LIMIT, O_NO_CACHE, O_OOD, O_OUTPUT,
	O_RESUME, O_SEED, O_TEMPERATURE, O_VS
};

static const struct opt eval_opts[] = {
	{ "alpha", 0, O_ALPHA, OPT_VALUE, "p", "significance level for --gate "
	  "(default 0.05)" },
	{ "backend", 0, 0, OPT_VALUE, "server", "a server of config.yaml's "
	  "backends, or a type", OC_BACKEND, NULL, "backend" },
	{ "base", 0, O_BASE, OPT_FLAG, NULL, "evaluate the base model only" },
	{ "benchmark", 0, O_BENCHMARK, OPT_VALUE, "file", "a benchmark file "
	  "(default: the domain's standard one)", OC_FILE },
	{ "ensemble", 0, O_ENSEMBLE, OPT_MAYBE, "names", "the domain's adapters "
	  "(or the named ones) voting, weighted, against the best of them" },
	{ "format", 0, O_FORMAT, OPT_VALUE, "format", "table, json, markdown "
	  "or junit", OC_WORDS, "table json markdown junit" },
	{ "gate", 0, O_GATE, OPT_FLAG, NULL, "exit 6 unless the adapter beats "
	  "the base (p < alpha) and degrades no --ood domain by over 5 "
	  "points" },
	{ "grid", 0, O_GRID, OPT_FLAG, NULL, "base and adapter x RE2 off/on x "
	  "1 sample/5 votes" },
	{ "host", 0, 0, OPT_VALUE, "url", "the server (default: backend.host)",
	  OC_NONE, NULL, "backend.host" },
	{ "jobs", 0, O_JOBS, OPT_VALUE, "n", "requests in flight (default: "
	  "inference.parallel)" },
	{ "json", 0, O_JSON, OPT_FLAG, NULL, "the same as --format json" },
	{ "limit", 0, O_LIMIT, OPT_VALUE, "n", "only the first n cases" },
	{ "no-cache", 0, O_NO_CACHE, OPT_FLAG, NULL, "ask again even when the "
	  "answer is cached" },
	{ "no-reread", 0, 0, OPT_FLAG, NULL, "without RE2", OC_NONE, NULL,
	  "inference.reread", 0, "false" },
	OPT_TOOL_NO,
	{ "ood", 0, O_OOD, OPT_VALUE, "domain", "also check another domain's "
	  "benchmark", OC_DOMAIN, NULL, NULL, OPT_REPEAT },
	{ "output", 0, O_OUTPUT, OPT_VALUE, "dir", "where the log and "
	  "results.json go", OC_DIR },
	{ "resume", 0, O_RESUME, OPT_VALUE, "dir", "finish an interrupted run "
	  "in dir", OC_DIR },
	{ "seed", 0, O_SEED, OPT_VALUE, "n", "seed (default 42), one run per "
	  "seed", OC_NONE, NULL, "options.seed", OPT_REPEAT },
	{ "temperature", 0, O_TEMPERATURE, OPT_VALUE, "t", "sample at t "
	  "(default: one sample is greedy, votes use "
	  "inference.vote_temperature)", OC_NONE, NULL,
	  "options.temperature" },
	OPT_TOOL_UNSAFE,
	{ "votes", 0, 0, OPT_VALUE, "n", "self-consistency votes per case",
	  OC_NONE, NULL, "inference.votes" },
	{ "vs", 0, O_VS, OPT_VALUE, "backend:model", "also a model of another "
	  "server (a name of config.yaml's backends), paired with both" },
};
static const struct opt_form eval_forms[] = {
	{ NULL, NULL, "adapter" },
};
static const struct opt_operand eval_operands[] = {
	{ "adapter", NULL, OC_ADAPTER, NULL },
};
const struct optspec eval_spec = OPTSPEC("eval", "evaluate an adapter "
    "against the base model, with statistics", eval_opts, eval_forms,
    eval_operands);

static const char *const format_words[] = {
	[FMT_TABLE] = "table", [FMT_JSON] = "json",
	[FMT_MARKDOWN] = "markdown", [FMT_JUNIT] = "junit",
};

/* The options; an EXIT_OK error after -h. */
static struct error *
parse_options(struct eval_cmd *e, int argc, char *argv[], int *used)
{
	struct optparse p;
	struct error *err;
	size_t i;
	long l;
	int id = 0;

	opt_init(&p, e->lc, &eval_spec, argc, argv);
	while (p.err == NULL && (id = opt_next(&p)) > 0) {
		if (opt_tool_flag(&p, id, &e->tf))
			continue;
		switch (id) {
		case O_ALPHA:
			if (parse_double(p.arg, 1e-12, 0.5, &e->alpha) == -1)
				p.err = opt_usage_error(&eval_spec, "--alpha: "
				    "must be a number above 0 and at most 0.5, "
				    "not '%s'", p.arg);
			break;
		case O_BASE:
			e->base_only = 1;
			break;
		case O_BENCHMARK:
			e->benchmark = p.arg;
			break;
		case O_NO_CACHE:
			e->no_cache = 1;
			break;
		case O_ENSEMBLE:
			e->ensemble = 1;
			e->ensemble_names = p.arg;
			break;
		case O_FORMAT:
			/* One of format_words: opt_next checked it. */
			for (i = 0; i < OPT_NELEM(format_words); i++)
				if (strcmp(p.arg, format_words[i]) == 0)
					e->fmt = (enum fmt)i;
			break;
		case O_GATE:
			e->gate = 1;
			break;
		case O_JSON:
			e->fmt = FMT_JSON;
			break;
		case O_GRID:
			e->grid = 1;
			break;
		case O_JOBS:
			if (parse_long(p.arg, 1, 64, &l) == -1)
				p.err = opt_usage_error(&eval_spec, "--jobs: "
				    "must be an integer from 1 to 64, not '%s'",
				    p.arg);
			e->es.jobs = (size_t)l;
			break;
		case O_LIMIT:
			if (parse_long(p.arg, 1, 10000000, &l) == -1)
				p.err = opt_usage_error(&eval_spec, "--limit: "
				    "must be a positive integer, not '%s'",
				    p.arg);
			e->limit = (size_t)l;
			break;
		case O_OOD:
			if (e->nood == MAX_OOD)
				p.err = opt_usage_error(&eval_spec, "--ood: at "
				    "most %d domains", MAX_OOD);
			else
				e->ood[e->nood++] = p.arg;
			break;
		case O_OUTPUT:
			e->output = p.arg;
			break;
		case O_RESUME:
			e->resume = p.arg;
			break;
		case O_SEED:
			/* Each one is checked as options.seed, and kept. */
			if (e->nseeds == MAX_SEEDS)
				p.err = opt_usage_error(&eval_spec, "--seed: at "
				    "most %d seeds", MAX_SEEDS);
			else
				e->seeds[e->nseeds++] = e->lc->cfg.seed;
			break;
		case O_TEMPERATURE:
			/* Checked as options.temperature; eval keeps its own. */
			e->temperature = e->lc->cfg.temperature;
			e->temperature_set = 1;
			break;
		case O_VS:
			e->vs.spec = p.arg;
			break;
		}
	}
	if (p.err != NULL || id < 0) {
		err = opt_end(&p);
		return err != NULL ? err : error_new(EXIT_OK, "%s", "");
	}
	*used = argc - p.argc;
	return NULL;
}

static void
summarize(struct comparison *cmp, int base_only)
{
	size_t i, k = 0, n = cmp->b->n;
	double *x, *y, sa = 0, sb = 0;

	x = xcalloc(n + 1, sizeof(*x));
	y = xcalloc(n + 1, sizeof(*y));
	for (i = 0; i < n; i++) {
		const struct eval_result *a = &cmp->adapter.r[i];
		const struct eval_result *b = &cmp->base.r[i];

		k += a->pass;
		cmp->adapter.truncated += a->truncated;
		cmp->base.truncated += b->truncated;
		sa += a->score;
		sb += b->score;
		x[i] = a->score;
		y[i] = b->score;
		if (a->pass && !b->pass)
			cmp->b_only++;
		if (!a->pass && b->pass)
			cmp->c_only++;
		if (cmp->b->cases[i].type == EVAL_ROUGE ||
		    cmp->b->cases[i].type == EVAL_JUDGE ||
		    cmp->b->cases[i].type == EVAL_CUSTOM)
			cmp->continuous = 1;
	}
	stats_wilson(k, n, STATS_Z95, &cmp->adapter.acc);
	/* Several samples of code: the unbiased pass@k (Chen et al.). */
	for (i = 0; i < n; i++) {
		const struct eval_result *a = &cmp->adapter.r[i];

		if (a->samples == 0)
			continue;
		cmp->coded++;
		cmp->k = a->samples;
		cmp->pass1 += (double)a->samples_passed / (double)a->samples;
		cmp->passk += stats_pass_at_k(a->samples, a->samples_passed,
		    a->samples);
	}
	if (cmp->coded > 0) {
		cmp->pass1 /= (double)cmp->coded;
		cmp->passk /= (double)cmp->coded;
	}
	for (i = k = 0; i < n; i++)
		k += cmp->base.r[i].pass;
	stats_wilson(k, n, STATS_Z95, &cmp->base.acc);
	cmp->adapter.mean_score = n ? sa / (double)n : 0;
	cmp->base.mean_score = n ? sb / (double)n : 0;
	cmp->p = base_only ? 1 : stats_mcnemar_exact(cmp->b_only, cmp->c_only);
	if (cmp->continuous && !base_only)
		stats_paired_bootstrap(x, y, n, STATS_BOOTSTRAP_DEFAULT, 1,
		    &cmp->boot);
	free(x);
	free(y);
}

/* --vs: the third model's accuracy, and both models paired against it. */
static void
summarize_vs(struct comparison *cmp)
{
	size_t i, k = 0, n = cmp->b->n;
	double sv = 0;

	for (i = 0; i < n; i++) {
		const struct eval_result *a = &cmp->adapter.r[i];
		const struct eval_result *b = &cmp->base.r[i];
		const struct eval_result *v = &cmp->vs.r[i];

		k += v->pass;
		sv += v->score;
		cmp->vs.truncated += v->truncated;
		cmp->av_a += a->pass && !v->pass;
		cmp->av_v += !a->pass && v->pass;
		cmp->bv_b += b->pass && !v->pass;
		cmp->bv_v += !b->pass && v->pass;
	}
	stats_wilson(k, n, STATS_Z95, &cmp->vs.acc);
	cmp->vs.mean_score = n ? sv / (double)n : 0;
	cmp->p_av = stats_mcnemar_exact(cmp->av_a, cmp->av_v);
	cmp->p_bv = stats_mcnemar_exact(cmp->bv_b, cmp->bv_v);
}

static void
json_side(struct jout *j, const char *key, const struct side *s)
{
	jout_obj(j, key);
	jout_num(j, "accuracy", s->acc.p);
	jout_num(j, "ci_low", s->acc.lo);
	jout_num(j, "ci_high", s->acc.hi);
	jout_int(j, "passed", (long long)s->acc.k);
	jout_num(j, "mean_score", s->mean_score);
	jout_int(j, "truncated", (long long)s->truncated);
	jout_end(j);
}

/* One McNemar test against the --vs model: "adapter" or "base". */
static void
json_vs_test(struct jout *j, const char *key, const struct side *s,
    const struct side *vs, size_t first_only, size_t vs_only, double p)
{
	char *name = xasprintf("%s_only", key);

	jout_obj(j, key);
	jout_num(j, "difference", s->acc.p - vs->acc.p);
	jout_int(j, name, (long long)first_only);
	jout_int(j, "vs_only", (long long)vs_only);
	jout_num(j, "p", p);
	jout_bool(j, "p_underflow", p < STATS_P_FLOOR);
	jout_end(j);
	free(name);
}

/*
 * results.json's vs: which model on which server (never its key: the
 * variable's name at most), asked with the same settings as the others
 * (inference), and the paired tests of the adapter and the base against
 * it.
 */
static void
json_vs(struct jout *j, const struct eval_cmd *e, const struct comparison *m)
{
	const struct vs_model *v = &e->vs;

	jout_obj(j, "vs");
	jout_str(j, "name", v->tg.t.label);
	jout_str(j, "backend", v->backend);
	jout_str(j, "type", backend_name(v->be));
	jout_str(j, "host", backend_url(v->be));
	jout_str(j, "api_key_env", v->cfg.api_key_env);
	jout_str(j, "model", v->model);
	jout_str(j, "identity", v->tg.identity);
	jout_bool(j, "think", v->tg.s.think);
	json_vs_test(j, "adapter", &m->adapter, &m->vs, m->av_a, m->av_v,
	    m->p_av);
	json_vs_test(j, "base", &m->base, &m->vs, m->bv_b, m->bv_v, m->p_bv);
	jout_end(j);
}

/*
 * The seed (and every seed: always, or only when there are several),
 * the token limit and the context size.
 */
static void
json_limits(struct jout *j, const struct eval_cmd *e, int all_seeds)
{
	size_t i;

	jout_int(j, "seed", e->es.seed);
	if (all_seeds || e->nseeds > 1) {
		jout_arr(j, "seeds");
		for (i = 0; i < e->nseeds; i++)
			jout_int(j, NULL, e->seeds[i]);
		jout_end(j);
	}
	jout_int(j, "num_predict", e->es.num_predict);
	if (e->es.num_ctx > 0)
		jout_int(j, "num_ctx", e->es.num_ctx);
	else
		jout_null(j, "num_ctx");	/* the server's choice */
	/* The adapter's tools change its answers: a run with them says so. */
	if (e->tools.tools != 0) {
		jout_arr(j, "tools");
		for (i = 0; i < 8 * sizeof(e->tools.tools); i++)
			if (e->tools.tools & (1u << i))
				jout_str(j, NULL, tool_name(1u << i));
		jout_end(j);
		jout_str(j, "tool_format", tool_format_name(e->tools.format));
	}
}

/*
 * results.json's cost (requests answered from the cache are not counted),
 * gate and warnings, for n cases.
 */
static void
json_cost_gate(struct jout *j, const struct eval_cmd *e,
    const struct eval_tally *tally, const char *why, size_t n)
{
	jout_obj(j, "cost");
	jout_int(j, "requests", tally->requests);
	jout_int(j, "retries", tally->retries);
	jout_int(j, "model_loads", tally->loads);
	jout_num(j, "load_seconds", (double)tally->load_ns / 1e9);
	jout_end(j);
	jout_obj(j, "gate");
	jout_num(j, "alpha", e->alpha);
	jout_bool(j, "passed", why == NULL);
	jout_str(j, "failed_because", why);
	jout_end(j);
	jout_arr(j, "warnings");
	if (n < STATS_SMALL_N)
		jout_str(j, NULL, "fewer than 50 cases: the test has little "
		    "power");
	jout_end(j);
}

/* results.json's settings that change answers. */
static void
json_inference(struct jout *j, const struct eval_cmd *e, long votes,
    double temperature)
{
	jout_obj(j, "inference");
	jout_bool(j, "reread", e->es.reread);
	jout_int(j, "votes", votes);
	jout_num(j, "temperature", temperature);
	json_limits(j, e, 1);
	jout_end(j);
}

/*
 * Several seeds: each seed's accuracies and McNemar test, and the paired
 * bootstrap over the cases' pass rates that compares the means.
 */
static void
json_seeds(struct jout *j, const struct comparison *m)
{
	size_t k;

	jout_obj(j, "seeds");
	jout_int(j, "count", (long long)m->nseeds);
	jout_str(j, "test", "paired bootstrap over the cases' pass rates");
	jout_num(j, "mean_difference", m->seedboot.mean);
	jout_num(j, "ci_low", m->seedboot.lo);
	jout_num(j, "ci_high", m->seedboot.hi);
	jout_num(j, "p", m->seedboot.p);
	jout_int(j, "resamples", (long long)m->seedboot.resamples);
	jout_arr(j, "runs");
	for (k = 0; k < m->nseeds; k++) {
		const struct seed_run *sr = &m->per_seed[k];

		jout_obj(j, NULL);
		jout_int(j, "seed", sr->seed);
		jout_num(j, "adapter", sr->adapter);
		jout_num(j, "base", sr->base);
		jout_int(j, "adapter_only", (long long)sr->b_only);
		jout_int(j, "base_only", (long long)sr->c_only);
		jout_num(j, "mcnemar_p", sr->p);
		jout_end(j);
	}
	jout_end(j);
	jout_end(j);
}

static char *
results_json(const struct eval_cmd *e, const struct adapter *a,
    const struct registry *reg, struct comparison *main_cmp,
    struct comparison *ood, size_t nood, const char *why,
    const char *run_dir, const struct eval_tally *tally)
{
	struct jout *j = jout_new();
	struct utsname u;
	char when[32], *sbx;
	time_t now = time(NULL);
	size_t i;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	jout_str(j, "adapter", a ? a->name : NULL);
	jout_str(j, "version", a ? a->version : NULL);
	jout_str(j, "domain", a ? a->domain : NULL);
	jout_str(j, "base_model", reg->base.tag);
	jout_str(j, "quantization", reg->base.quantization);
	jout_obj(j, "benchmark");
	jout_str(j, "path", main_cmp->b->path);
	{
		char *h = xasprintf("sha256:%s", main_cmp->b->sha256);
		jout_str(j, "sha256", h);
		free(h);
	}
	jout_end(j);
	jout_int(j, "n", (long long)main_cmp->b->n);
	jout_obj(j, "scores");
	if (!e->base_only)
		json_side(j, "adapter", &main_cmp->adapter);
	json_side(j, "base", &main_cmp->base);
	if (main_cmp->vs.r != NULL)
		json_side(j, "vs", &main_cmp->vs);
	jout_end(j);
	if (main_cmp->vs.r != NULL)
		json_vs(j, e, main_cmp);
	if (!e->base_only) {
		jout_obj(j, "improvement");
		jout_num(j, "absolute", main_cmp->adapter.acc.p -
		    main_cmp->base.acc.p);
		jout_num(j, "relative", main_cmp->base.acc.p > 0 ?
		    (main_cmp->adapter.acc.p - main_cmp->base.acc.p) /
		    main_cmp->base.acc.p : NAN);
		jout_end(j);
		if (main_cmp->nseeds > 1)
			json_seeds(j, main_cmp);
		else {
			jout_obj(j, "mcnemar");
			jout_int(j, "adapter_only", (long long)main_cmp->b_only);
			jout_int(j, "base_only", (long long)main_cmp->c_only);
			jout_num(j, "p", main_cmp->p);
			jout_bool(j, "p_underflow", main_cmp->p < STATS_P_FLOOR);
			jout_end(j);
		}
		if (main_cmp->continuous) {
			jout_obj(j, "bootstrap");
			jout_num(j, "mean_difference", main_cmp->boot.mean);
			jout_num(j, "ci_low", main_cmp->boot.lo);
			jout_num(j, "ci_high", main_cmp->boot.hi);
			jout_num(j, "p", main_cmp->boot.p);
			jout_int(j, "resamples",
			    (long long)main_cmp->boot.resamples);
			jout_end(j);
		}
	}
	if (main_cmp->coded > 0) {
		char *key = xasprintf("pass_at_%zu", main_cmp->k);

		jout_obj(j, "code");
		jout_int(j, "cases", (long long)main_cmp->coded);
		jout_num(j, "pass_at_1", main_cmp->pass1);
		jout_num(j, key, main_cmp->passk);
		jout_end(j);
		free(key);
	}
	if ((sbx = eval_sandbox_text(main_cmp->adapter.r, main_cmp->base.r,
	    main_cmp->b->n)) != NULL)
		jout_str(j, "sandbox", sbx);
	free(sbx);
	jout_arr(j, "out_of_domain");
	for (i = 0; i < nood; i++) {
		double deg = (ood[i].base.acc.p - ood[i].adapter.acc.p) * 100;

		jout_obj(j, NULL);
		jout_str(j, "domain", ood[i].domain);
		jout_int(j, "n", (long long)ood[i].b->n);
		jout_num(j, "adapter", ood[i].adapter.acc.p);
		jout_num(j, "base", ood[i].base.acc.p);
		jout_num(j, "degradation_points", deg);
		jout_bool(j, "flagged", deg > OOD_LIMIT);
		jout_end(j);
	}
	jout_end(j);
	json_inference(j, e, e->es.votes, e->es.votes > 1 ?
	    e->es.vote_temperature : e->es.temperature);
	json_cost_gate(j, e, tally, why, main_cmp->b->n);
	jout_str(j, "timestamp", when);
	jout_obj(j, "hardware");
	if (uname(&u) == 0) {
		jout_str(j, "os", u.sysname);
		jout_str(j, "machine", u.machine);
	} else {
		jout_null(j, "os");
		jout_null(j, "machine");
	}
	jout_int(j, "cpus", sysconf(_SC_NPROCESSORS_ONLN));
	jout_num(j, "memory_gb", (double)sysconf(_SC_PHYS_PAGES) *
	    (double)sysconf(_SC_PAGESIZE) / 1e9);
	jout_end(j);
	jout_str(j, "loco_version", LOCO_VERSION);
	jout_str(j, "run", run_dir);
	return jout_finish(j, 1);
}

/* The model column: as wide as the longest name, at least 28. */
static int
model_width(const struct eval_cmd *e, const struct adapter *a,
    const struct registry *reg)
{
	size_t w = 28;

	if (!e->base_only && a != NULL && strlen(a->model) > w)
		w = strlen(a->model);
	if (e->vs.spec != NULL && strlen(e->vs.tg.t.label) > w)
		w = strlen(e->vs.tg.t.label);
	if (strlen(reg->base.tag) > w)
		w = strlen(reg->base.tag);
	return w > 200 ? 200 : (int)w;
}

/* "seed 42", or "seeds 42, 43, 44 (each a whole run, averaged)". */
static char *
seeds_text(const struct eval_cmd *e)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	strbuf_addstr(&sb, e->nseeds > 1 ? "seeds " : "seed ");
	for (i = 0; i < e->nseeds; i++)
		strbuf_addf(&sb, "%s%ld", i ? ", " : "", e->seeds[i]);
	if (e->nseeds > 1)
		strbuf_addstr(&sb, " (each a whole run, averaged)");
	return strbuf_detach(&sb, NULL);
}

static void
print_table(const struct eval_cmd *e, const struct adapter *a,
    const struct registry *reg, const struct comparison *m,
    const struct comparison *ood, size_t nood, int gate_ok)
{
	char *seeds;
	size_t i;
	int md = e->fmt == FMT_MARKDOWN;
	int w = md ? 0 : model_width(e, a, reg);
	const char *sep = md ? " | " : "  ";

	if (md)
		printf("| model | accuracy | 95%% interval | passed |\n"
		    "|---|---|---|---|\n");
	else
		printf("%-*s%s%8s%s%-17s%s%s\n", w, "model", sep, "accuracy",
		    sep, "95% interval", sep, "passed");
#define ROW(name, s) printf("%s%-*s%s%7.1f%%%s[%5.1f%%, %5.1f%%]%s%zu/%zu%s\n", \
	md ? "| " : "", w, name, sep, (s)->acc.p * 100, sep, (s)->acc.lo * 100, \
	(s)->acc.hi * 100, sep, (s)->acc.k, (s)->acc.n, md ? " |" : "")
	if (!e->base_only)
		ROW(a->model, &m->adapter);
	ROW(reg->base.tag, &m->base);
	if (m->vs.r != NULL)
		ROW(e->vs.tg.t.label, &m->vs);
#undef ROW
	if (!md)
		printf("\n");
	printf("%sbenchmark %s (%zu cases, sha256:%.12s)\n", md ? "\n" : "",
	    m->b->path, m->b->n, m->b->sha256);
	seeds = seeds_text(e);
	if (e->es.votes > 1)
		printf("%ssettings: RE2 %s, %ld votes at temperature %g, %s "
		    "(+1 a vote), at most %ld tokens\n", md ? "\n" : "",
		    e->es.reread ? "on" : "off", e->es.votes,
		    e->es.vote_temperature, seeds, e->es.num_predict);
	else
		printf("%ssettings: RE2 %s, one %s at temperature %g, %s, at "
		    "most %ld tokens\n", md ? "\n" : "",
		    e->es.reread ? "on" : "off", e->es.temperature > 0 ?
		    "sample" : "greedy answer", e->es.temperature, seeds,
		    e->es.num_predict);
	free(seeds);
	for (i = 0; i < m->nseeds && m->nseeds > 1; i++) {
		const struct seed_run *sr = &m->per_seed[i];
		char pt[STATS_P_TEXT_LEN];

		if (e->base_only)
			printf("%sseed %ld: base %.1f%%\n", md ? "\n" : "",
			    sr->seed, sr->base * 100);
		else
			printf("%sseed %ld: adapter %.1f%%, base %.1f%%, "
			    "McNemar exact p %s%s\n", md ? "\n" : "", sr->seed,
			    sr->adapter * 100, sr->base * 100,
			    sr->p < STATS_P_FLOOR ? "" : "= ",
			    stats_p_text(sr->p, pt));
	}
	if (!e->base_only && m->nseeds > 1)
		printf("%sdifference %+.1f points, mean of %zu seeds; paired "
		    "bootstrap over the cases' pass rates: 95%% interval "
		    "[%+.1f, %+.1f], p = %.4g\n", md ? "\n" : "",
		    m->seedboot.mean * 100, m->nseeds, m->seedboot.lo * 100,
		    m->seedboot.hi * 100, m->seedboot.p);
	else if (!e->base_only) {
		char pt[STATS_P_TEXT_LEN];

		printf("%sdifference %+.1f points; McNemar exact p %s%s "
		    "(adapter only right %zu, base only right %zu)\n",
		    md ? "\n" : "", (m->adapter.acc.p - m->base.acc.p) * 100,
		    m->p < STATS_P_FLOOR ? "" : "= ", stats_p_text(m->p, pt),
		    m->b_only, m->c_only);
	}
	if (m->vs.r != NULL) {
		char pa[STATS_P_TEXT_LEN], pb[STATS_P_TEXT_LEN];
		const char *vn = e->vs.tg.t.label;

		printf("%sadapter against %s: %+.1f points; McNemar exact p "
		    "%s%s (adapter only right %zu, %s only right %zu)\n",
		    md ? "\n" : "", vn, (m->adapter.acc.p - m->vs.acc.p) * 100,
		    m->p_av < STATS_P_FLOOR ? "" : "= ",
		    stats_p_text(m->p_av, pa), m->av_a, vn, m->av_v);
		printf("%sbase against %s: %+.1f points; McNemar exact p %s%s "
		    "(base only right %zu, %s only right %zu)\n",
		    md ? "\n" : "", vn, (m->base.acc.p - m->vs.acc.p) * 100,
		    m->p_bv < STATS_P_FLOOR ? "" : "= ",
		    stats_p_text(m->p_bv, pb), m->bv_b, vn, m->bv_v);
	}
	if (!e->base_only && m->continuous)
		printf("%smean score difference %+.3f, 95%% bootstrap "
		    "interval [%.3f, %.3f], p = %.4g\n", md ? "\n" : "",
		    m->boot.mean, m->boot.lo, m->boot.hi, m->boot.p);
	if (m->coded > 0)
		printf("%scode, %zu samples per case: pass@1 %.1f%%, pass@%zu "
		    "%.1f%% (unbiased estimator)\n", md ? "\n" : "", m->k,
		    m->pass1 * 100, m->k, m->passk * 100);
	for (i = 0; i < nood; i++) {
		double deg = (ood[i].base.acc.p - ood[i].adapter.acc.p) * 100;
		printf("%sout of domain %s: adapter %.1f%%, base %.1f%% "
		    "(%+.1f points)%s\n", md ? "\n" : "", ood[i].domain,
		    ood[i].adapter.acc.p * 100, ood[i].base.acc.p * 100, -deg,
		    deg > OOD_LIMIT ? ": DEGRADED by more than 5 points" : "");
	}
	if (m->adapter.truncated + m->base.truncated > 0)
		printf("%swarning: answers cut at the token limit, scored "
		    "wrong: %zu of the adapter's, %zu of the base's; raise "
		    "--num-predict\n", md ? "\n" : "", m->adapter.truncated,
		    m->base.truncated);
	if (m->vs.truncated > 0)
		printf("%swarning: answers cut at the token limit, scored "
		    "wrong: %zu of %s's; raise --num-predict\n", md ? "\n" :
		    "", m->vs.truncated, e->vs.tg.t.label);
	if (m->b->n < STATS_SMALL_N)
		printf("%swarning: %zu cases: fewer than 50, so the test has "
		    "little power\n", md ? "\n" : "", m->b->n);
	if (e->gate)
		printf("%sgate: %s\n", md ? "\n" : "", gate_ok ? "passed" :
		    "FAILED");
}

static void
xml_text(struct strbuf *sb, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '<')
			strbuf_addstr(sb, "&lt;");
		else if (*s == '>')
			strbuf_addstr(sb, "&gt;");
		else if (*s == '&')
			strbuf_addstr(sb, "&amp;");
		else if (*s == '"')
			strbuf_addstr(sb, "&quot;");
		else if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
			strbuf_addch(sb, '?');
		else
			strbuf_addch(sb, *s);
	}
}

static void
print_junit(const struct eval_cmd *e, const struct adapter *a,
    const struct registry *reg, const struct comparison *m, const char *why)
{
	struct strbuf sb = STRBUF_INIT;
	const struct side *s = e->base_only ? &m->base : &m->adapter;
	const char *model = e->base_only ? reg->base.tag : a->model;
	size_t i, n = m->b->n * (m->nseeds ? m->nseeds : 1);
	size_t fails = n - s->acc.k;

	strbuf_addf(&sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<testsuites>\n<testsuite name=\"loco eval ");
	xml_text(&sb, model);
	strbuf_addf(&sb, "\" tests=\"%zu\" failures=\"%zu\">\n",
	    n + (e->gate ? 1 : 0), fails + (e->gate && why != NULL));
	/* --vs: the third model's figures, which are no test of loco's. */
	if (m->vs.r != NULL) {
		strbuf_addstr(&sb, "  <properties>\n"
		    "    <property name=\"vs.model\" value=\"");
		xml_text(&sb, e->vs.tg.t.label);
		strbuf_addf(&sb, "\"/>\n"
		    "    <property name=\"vs.accuracy\" value=\"%.4f\"/>\n"
		    "    <property name=\"vs.adapter_p\" value=\"%.4g\"/>\n"
		    "    <property name=\"vs.base_p\" value=\"%.4g\"/>\n"
		    "  </properties>\n", m->vs.acc.p, m->p_av, m->p_bv);
	}
	/* Several seeds: a test case a case and seed. */
	for (i = 0; i < n; i++) {
		const struct bench_case *c = &m->b->cases[i % m->b->n];
		const struct eval_result *r = e->base_only ? &m->base.r[i] :
		    &m->adapter.r[i];

		strbuf_addstr(&sb, "  <testcase classname=\"");
		xml_text(&sb, m->b->path);
		strbuf_addstr(&sb, "\" name=\"");
		xml_text(&sb, c->id);
		if (m->nseeds > 1)
			strbuf_addf(&sb, " (seed %ld)",
			    m->per_seed[i / m->b->n].seed);
		strbuf_addstr(&sb, "\"");
		if (r->pass)
			strbuf_addstr(&sb, "/>\n");
		else {
			char *q = bench_question(c);

			strbuf_addstr(&sb, "><failure message=\"");
			xml_text(&sb, r->reason ? r->reason : "failed");
			strbuf_addstr(&sb, "\">question: ");
			xml_text(&sb, q);
			strbuf_addstr(&sb, "\nexpected: ");
			xml_text(&sb, c->expected ? c->expected : "(none)");
			strbuf_addstr(&sb, "\nextracted: ");
			xml_text(&sb, r->extracted ? r->extracted : "(nothing)");
			strbuf_addstr(&sb, "</failure></testcase>\n");
			free(q);
		}
	}
	if (e->gate) {
		strbuf_addstr(&sb, "  <testcase classname=\"loco\" "
		    "name=\"gate\"");
		if (why == NULL)
			strbuf_addstr(&sb, "/>\n");
		else {
			strbuf_addstr(&sb, "><failure message=\"");
			xml_text(&sb, why);
			strbuf_addstr(&sb, "\"/></testcase>\n");
		}
	}
	strbuf_addstr(&sb, "</testsuite>\n</testsuites>\n");
	loco_write(sb.buf, sb.len);
	strbuf_release(&sb);
}

/*
 * Why the gate fails, or NULL: the adapter must be more accurate than the
 * base, significantly (McNemar p below alpha, which needs enough cases
 * that only one model got right), and lose no more than 5 points on any
 * other domain.
 */
static char *
gate_reasons(const struct eval_cmd *e, const struct comparison *m,
    const struct comparison *ood, size_t nood)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, d = m->b_only + m->c_only, need = 1;
	double deg;

	if (m->adapter.acc.p <= m->base.acc.p)
		strbuf_addf(&sb, "the adapter is not more accurate than the "
		    "base (%.1f%% against %.1f%%)", m->adapter.acc.p * 100,
		    m->base.acc.p * 100);
	else if (m->p >= e->alpha) {
		/* All d discordant cases for the adapter give p = 2^(1-d). */
		while (need < 64 && ldexp(1.0, 1 - (int)need) >= e->alpha)
			need++;
		strbuf_addf(&sb, "the difference is not significant (%s "
		    "p = %.4g, not below %g)", m->nseeds > 1 ? "bootstrap" :
		    "McNemar", m->p, e->alpha);
		if (d < need && m->nseeds <= 1)
			strbuf_addf(&sb, ": only %zu case%s told the models "
			    "apart, and at least %zu are needed; use a larger "
			    "benchmark", d, d == 1 ? "" : "s", need);
	}
	for (i = 0; i < nood; i++) {
		deg = (ood[i].base.acc.p - ood[i].adapter.acc.p) * 100;
		if (deg > OOD_LIMIT)
			strbuf_addf(&sb, "%sthe adapter loses %.1f points on %s, more "
			    "than %g", sb.len ? "; " : "", deg, ood[i].domain,
			    OOD_LIMIT);
	}
	if (sb.len == 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

/*
 * A subject's label in the log: "adapter", "adapter/code" for --ood, and
 * with several seeds "adapter/seed=43", "adapter/code/seed=43".
 */
static char *
side_label(const struct eval_subject *s, const struct comparison *cmp,
    long seed)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, s->label);
	if (cmp->domain)
		strbuf_addf(&sb, "/%s", cmp->domain);
	if (cmp->nseeds > 1)
		strbuf_addf(&sb, "/seed=%ld", seed);
	return strbuf_detach(&sb, NULL);
}

/*
 * Several seeds: each seed's accuracies and McNemar test, and the means
 * over the seeds, compared by a paired bootstrap over the cases' pass
 * rates (a case's runs under the seeds are not independent trials, so
 * neither a pooled Wilson interval nor a pooled McNemar test would do).
 */
static void
summarize_seeds(struct comparison *cmp, const long *seeds, int base_only)
{
	size_t i, k, n = cmp->b->n, ns = cmp->nseeds, ka = 0, kb = 0;
	double *x = xcalloc(n + 1, sizeof(*x)), *y = xcalloc(n + 1, sizeof(*y));
	double *sx = xcalloc(n + 1, sizeof(*sx)), *sy = xcalloc(n + 1,
	    sizeof(*sy)), *zero = xcalloc(n + 1, sizeof(*zero));
	struct stats_bootstrap bs;

	cmp->per_seed = xcalloc(ns, sizeof(*cmp->per_seed));
	for (k = 0; k < ns; k++) {
		struct seed_run *sr = &cmp->per_seed[k];
		size_t pa = 0, pb = 0;

		sr->seed = seeds[k];
		for (i = 0; i < n; i++) {
			const struct eval_result *a = &cmp->adapter.r[k * n + i];
			const struct eval_result *b = &cmp->base.r[k * n + i];

			pa += a->pass;
			pb += b->pass;
			x[i] += a->pass;
			y[i] += b->pass;
			sx[i] += a->score;
			sy[i] += b->score;
			sr->b_only += a->pass && !b->pass;
			sr->c_only += !a->pass && b->pass;
			cmp->adapter.truncated += a->truncated;
			cmp->base.truncated += b->truncated;
			if (a->samples > 0) {
				cmp->coded++;
				cmp->k = a->samples;
				cmp->pass1 += (double)a->samples_passed /
				    (double)a->samples;
				cmp->passk += stats_pass_at_k(a->samples,
				    a->samples_passed, a->samples);
			}
		}
		sr->adapter = n ? (double)pa / (double)n : 0;
		sr->base = n ? (double)pb / (double)n : 0;
		sr->p = base_only ? 1 : stats_mcnemar_exact(sr->b_only,
		    sr->c_only);
		cmp->b_only += sr->b_only;
		cmp->c_only += sr->c_only;
		ka += pa;
		kb += pb;
	}
	for (i = 0; i < n; i++) {
		x[i] /= (double)ns;
		y[i] /= (double)ns;
		sx[i] /= (double)ns;
		sy[i] /= (double)ns;
		if (cmp->b->cases[i].type == EVAL_ROUGE ||
		    cmp->b->cases[i].type == EVAL_JUDGE ||
		    cmp->b->cases[i].type == EVAL_CUSTOM)
			cmp->continuous = 1;
	}
	if (cmp->coded > 0) {
		cmp->pass1 /= (double)cmp->coded;
		cmp->passk /= (double)cmp->coded;
	}
	/* The interval of each mean: a bootstrap over the cases, too. */
	stats_paired_bootstrap(x, zero, n, STATS_BOOTSTRAP_DEFAULT, 1, &bs);
	cmp->adapter.acc = (struct stats_proportion){ .k = ka, .n = ns * n,
	    .p = bs.mean, .lo = bs.lo, .hi = bs.hi };
	stats_paired_bootstrap(y, zero, n, STATS_BOOTSTRAP_DEFAULT, 1, &bs);
	cmp->base.acc = (struct stats_proportion){ .k = kb, .n = ns * n,
	    .p = bs.mean, .lo = bs.lo, .hi = bs.hi };
	cmp->adapter.mean_score = stats_mean(sx, n);
	cmp->base.mean_score = stats_mean(sy, n);
	if (!base_only) {
		stats_paired_bootstrap(x, y, n, STATS_BOOTSTRAP_DEFAULT, 1,
		    &cmp->seedboot);
		cmp->p = cmp->seedboot.p;
		if (cmp->continuous)
			stats_paired_bootstrap(sx, sy, n,
			    STATS_BOOTSTRAP_DEFAULT, 1, &cmp->boot);
	} else
		cmp->p = 1;
	free(x);
	free(y);
	free(sx);
	free(sy);
	free(zero);
}

/*
 * Run both subjects (or the base only) over the benchmarks, under each
 * seed: every case of one subject before the next, then the judge's
 * calls, so that on Ollama each model loads once (a change of model is a
 * reload).
 */
static struct error *
compare(struct eval_cmd *e, struct backend *be, const struct eval_subject *subj,
    struct comparison **cmps, size_t ncmp, FILE *log, const char *logpath,
    struct eval_tally *tally)
{
	struct eval_judge judge;
	struct error *err;
	size_t i, k, n, resumed;
	long seed0 = e->es.seed;
	int s, pending;

	if ((err = eval_judge_init(&judge, be, &e->es, &e->judge.t,
	    e->judge.identity, (int)e->lc->cfg.judge_runs, tally)) != NULL)
		return err;
	for (i = 0; i < ncmp; i++) {
		n = cmps[i]->b->n * e->nseeds;
		cmps[i]->nseeds = e->nseeds;
		cmps[i]->adapter.r = xcalloc(n + 1,
		    sizeof(*cmps[i]->adapter.r));
		cmps[i]->base.r = xcalloc(n + 1, sizeof(*cmps[i]->base.r));
	}
	/* --vs: the third model, on the main benchmark, its server last. */
	if (e->vs.be != NULL)
		cmps[0]->vs.r = xcalloc(cmps[0]->b->n + 1,
		    sizeof(*cmps[0]->vs.r));
	for (pending = 0; pending < 2 && err == NULL; pending++)
	for (s = e->base_only ? 1 : 0; s < (e->vs.be ? 3 : 2) && err == NULL;
	    s++)
	for (k = 0; k < e->nseeds && err == NULL; k++)
	for (i = 0; i < (s == 2 ? 1 : ncmp) && err == NULL; i++) {
		struct comparison *cmp = cmps[i];
		struct eval_result *r = (s == 0 ? cmp->adapter.r : s == 1 ?
		    cmp->base.r : cmp->vs.r) + k * cmp->b->n;
		struct eval_subject sub = s == 2 ? e->vs.tg.s : subj[s];
		char *label = side_label(&sub, cmp, e->seeds[k]);

		sub.label = label;
		e->es.seed = e->seeds[k];
		if (pending)
			err = eval_judge_pending(&e->es, cmp->b, &sub,
			    &judge.judge, log, r);
		else if (logpath == NULL || (err = eval_log_resume(logpath,
		    cmp->b, label, r, &resumed)) == NULL)
			err = eval_subject_run(s == 2 ? e->vs.be : be, &e->es,
			    cmp->b, &sub, &judge.judge, log, r, tally);
		free(label);
	}
	e->es.seed = seed0;
	eval_judge_release(&judge);
	for (i = 0; i < ncmp && err == NULL; i++) {
		if (e->nseeds > 1)
			summarize_seeds(cmps[i], e->seeds, e->base_only);
		else
			summarize(cmps[i], e->base_only);
	}
	if (err == NULL && e->vs.be != NULL)
		summarize_vs(cmps[0]);
	return err;
}

/*
 * What the run is (run.json): everything that changes its answers, so
 * that --resume continues only the same run.
 */
static char *
run_record(const struct eval_cmd *e, const struct adapter *a,
    struct backend *be, const struct eval_target *tg,
    const struct comparison *main_cmp, const struct comparison *ood,
    size_t nood)
{
	struct jout *j = jout_new();
	struct strbuf sb = STRBUF_INIT;
	char *s;
	size_t i;

	jout_str(j, "adapter", a->name);
	jout_str(j, "version", a->version);
	jout_bool(j, "base_only", e->base_only);
	jout_bool(j, "grid", e->grid);
	jout_str(j, "backend", backend_name(be));
	if (!e->base_only) {
		jout_str(j, "adapter_model", tg[0].t.label);
		jout_str(j, "adapter_identity", tg[0].identity);
	}
	jout_str(j, "base_model", tg[1].t.label);
	jout_str(j, "base_identity", tg[1].identity);
	if (e->vs.spec != NULL) {
		jout_str(j, "vs_model", e->vs.tg.t.label);
		jout_str(j, "vs_identity", e->vs.tg.identity);
		jout_bool(j, "vs_think", e->vs.tg.s.think);
	}
	jout_str(j, "judge_model", e->judge.t.label);
	jout_str(j, "judge_identity", e->judge.identity);
	jout_int(j, "judge_runs", e->lc->cfg.judge_runs);
	s = xasprintf("sha256:%s", main_cmp->b->sha256);
	jout_str(j, "benchmark_sha256", s);
	free(s);
	for (i = 0; i < nood; i++)
		strbuf_addf(&sb, "%s%s sha256:%s", i ? ", " : "",
		    ood[i].domain, ood[i].b->sha256);
	jout_str(j, "ood", sb.buf);
	strbuf_release(&sb);
	jout_int(j, "cases", (long long)main_cmp->b->n);
	jout_bool(j, "reread", e->es.reread);
	jout_int(j, "votes", e->es.votes);
	jout_num(j, "vote_temperature", e->es.vote_temperature);
	jout_num(j, "temperature", e->es.temperature);
	/* One seed is recorded as runs before several seeds existed. */
	json_limits(j, e, 0);
	jout_bool(j, "think", tg[1].s.think);
	if (e->ens.n > 0) {
		/* The members and their weights decide the ensemble's answers. */
		for (i = 0; i < e->ens.n; i++) {
			char *name = ensemble_member_name(&e->ens.m[i]);

			strbuf_addf(&sb, "%s%s %.17g", i ? ", " : "", name,
			    e->ens.m[i].weight);
			free(name);
		}
		jout_str(j, "ensemble", sb.buf);
		strbuf_release(&sb);
	}
	return jout_finish(j, 1);
}

/*
 * The arguments as typed (getopt permutes argv), quoted for the shell,
 * without --output and --resume: the command that resumes a run is
 * "loco eval" with them and "--resume DIR".
 */
static char *
resume_args(int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (strcmp(s, "--output") == 0 || strcmp(s, "--resume") == 0) {
			i++;
			continue;
		}
		if (str_startswith(s, "--output=") ||
		    str_startswith(s, "--resume="))
			continue;
		strbuf_addch(&sb, ' ');
		strbuf_addquoted(&sb, s);
	}
	return strbuf_detach(&sb, NULL);
}

/*
 * start.json: how the run was started, for loco runs (runs.c): the
 * command that resumes it, as typed, and the benchmark's absolute path,
 * which run.json (compared whole on --resume) does not hold.  Written
 * once; a resumed run keeps its first.
 */
static struct error *
start_record(const char *dir, const char *args, const char *bench)
{
	struct jout *j;
	struct strbuf cmd = STRBUF_INIT;
	struct error *err;
	char *path = xasprintf("%s/start.json", dir), *real, *json;

	if (fs_exists(path)) {
		free(path);
		return NULL;
	}
	strbuf_addf(&cmd, "loco eval%s --resume ", args);
	strbuf_addquoted(&cmd, dir);
	real = realpath(bench, NULL);
	j = jout_new();
	jout_str(j, "command", cmd.buf);
	jout_str(j, "benchmark", real != NULL ? real : bench);
	json = jout_finish(j, 1);
	err = fs_write_atomic(path, json, strlen(json));
	free(json);
	free(real);
	free(path);
	strbuf_release(&cmd);
	return err;
}

static void
comparison_release(struct comparison *c)
{
	size_t i;

	if (c->b != NULL) {
		for (i = 0; i < c->b->n * (c->nseeds ? c->nseeds : 1); i++) {
			if (c->adapter.r)
				eval_result_release(&c->adapter.r[i]);
			if (c->base.r)
				eval_result_release(&c->base.r[i]);
		}
		for (i = 0; c->vs.r != NULL && i < c->b->n; i++)
			eval_result_release(&c->vs.r[i]);
	}
	free(c->adapter.r);
	free(c->base.r);
	free(c->vs.r);
	free(c->per_seed);
	bench_free(c->b);
}

/* A run directory: --output, --resume, or $LOCO_HOME/runs/<time>-<name>. */
static struct error *
run_dir(const struct eval_cmd *e, const char *name, char **dir)
{
	char when[32], *home;
	time_t now = time(NULL);

	*dir = NULL;
	if (e->resume != NULL && !fs_exists(e->resume))
		return error_new(EXIT_USAGE, "cannot resume '%s': no such run "
		    "directory", e->resume);
	if (e->resume != NULL)
		*dir = xstrdup(e->resume);
	else if (e->output != NULL)
		*dir = xstrdup(e->output);
	else {
		strftime(when, sizeof(when), "%Y%m%d-%H%M%S", gmtime(&now));
		home = loco_home();
		*dir = xasprintf("%s/runs/%s-%s-%ld", home, when, name,
		    (long)getpid());
		free(home);
	}
	return fs_mkdirs(*dir, 0);
}

/*
 * The grid's paired tests: each row of the chain base 1 sample, base +
 * RE2, adapter 1 sample, adapter + RE2, adapter + RE2 + votes against the
 * row before it, by exact McNemar on the cases only one of the two got
 * right (pass[adapter][re2][votes] holds every case's pass/fail).
 */
#define GRID_TESTS 4
struct grid_test {
	int		 row[3], prev[3];	/* adapter, re2, votes */
	size_t		 b, c;		/* only the row right, only the prev */
	double		 p, diff;
};

static void
grid_tests(unsigned char *pass[2][2][2], size_t n, struct grid_test *t)
{
	static const int chain[GRID_TESTS + 1][3] = {
		{ 0, 0, 0 }, { 0, 1, 0 }, { 1, 0, 0 }, { 1, 1, 0 }, { 1, 1, 1 }
	};
	size_t k, i, ra, pa;

	for (k = 0; k < GRID_TESTS; k++) {
		const int *r = chain[k + 1], *q = chain[k];
		const unsigned char *x = pass[r[0]][r[1]][r[2]];
		const unsigned char *y = pass[q[0]][q[1]][q[2]];

		memcpy(t[k].row, r, sizeof(t[k].row));
		memcpy(t[k].prev, q, sizeof(t[k].prev));
		t[k].b = t[k].c = ra = pa = 0;
		for (i = 0; i < n; i++) {
			t[k].b += x[i] && !y[i];
			t[k].c += !x[i] && y[i];
			ra += x[i];
			pa += y[i];
		}
		t[k].p = stats_mcnemar_exact(t[k].b, t[k].c);
		t[k].diff = n ? ((double)ra - (double)pa) * 100 / (double)n : 0;
	}
}

/* "adapter + RE2 + 5 votes", "base, 1 sample". */
static char *
grid_row_name(const int *r, long votes)
{
	if (r[2])
		return xasprintf("%s%s + %ld votes", r[0] ? "adapter" : "base",
		    r[1] ? " + RE2" : "", votes);
	return xasprintf("%s%s, 1 sample", r[0] ? "adapter" : "base",
	    r[1] ? " + RE2" : "");
}

static void
grid_tests_json(struct jout *j, const struct grid_test *t, long votes)
{
	size_t k;
	char *s;

	jout_arr(j, "tests");
	for (k = 0; k < GRID_TESTS; k++) {
		jout_obj(j, NULL);
		jout_str(j, "row", s = grid_row_name(t[k].row, votes));
		free(s);
		jout_str(j, "against", s = grid_row_name(t[k].prev, votes));
		free(s);
		jout_num(j, "difference_points", t[k].diff);
		jout_int(j, "row_only", (long long)t[k].b);
		jout_int(j, "against_only", (long long)t[k].c);
		jout_num(j, "p", t[k].p);
		jout_bool(j, "p_underflow", t[k].p < STATS_P_FLOOR);
		jout_end(j);
	}
	jout_end(j);
}

static void
grid_tests_print(const struct grid_test *t, long votes, int md)
{
	char pt[STATS_P_TEXT_LEN], *r, *q;
	size_t k;

	printf("\npaired tests, each row against the one before (exact "
	    "McNemar):\n%s", md ? "\n" : "");
	for (k = 0; k < GRID_TESTS; k++) {
		r = grid_row_name(t[k].row, votes);
		q = grid_row_name(t[k].prev, votes);
		printf("%s%s against %s: %+.1f points, p %s%s (only the first "
		    "right %zu, only the second %zu)\n", md ? "- " : "  ", r, q,
		    t[k].diff, t[k].p < STATS_P_FLOOR ? "" : "= ",
		    stats_p_text(t[k].p, pt), t[k].b, t[k].c);
		free(r);
		free(q);
	}
}

/*
 * The layered-enhancement grid: base and adapter, each without and with
 * RE2, each with one sample and with five votes, on the same cases.
 */
static struct error *
run_grid(struct eval_cmd *e, struct backend *be, const struct registry *reg,
    const struct adapter *a, const struct eval_subject *subj,
    const struct bench *b, FILE *log, struct eval_tally *tally, const char *dir)
{
	struct stats_proportion acc[2][2][2];
	unsigned char *pass[2][2][2];
	struct grid_test tests[GRID_TESTS];
	struct eval_settings saved = e->es;
	struct eval_result *r;
	struct error *err = NULL;
	struct jout *j;
	char *label, *json, *path, *cost, vh[32];
	/* One sample, and --votes n when more than one, else 5. */
	const long votes[2] = { 1, e->es.votes > 1 ? e->es.votes : 5 };
	int s, re2, v;
	size_t i, k;

	r = xcalloc(b->n + 1, sizeof(*r));
	for (s = 0; s < 2; s++)
		for (re2 = 0; re2 < 2; re2++)
			for (v = 0; v < 2; v++)
				pass[s][re2][v] = xcalloc(b->n + 1, 1);
	for (s = 0; s < 2 && err == NULL; s++)
		for (re2 = 0; re2 < 2 && err == NULL; re2++)
			for (v = 0; v < 2 && err == NULL; v++) {
				struct eval_subject sub = subj[s == 0 ? 1 : 0];

				e->es.reread = re2;
				e->es.votes = votes[v];
				e->es.cache = !e->no_cache && votes[v] == 1;
				label = xasprintf("%s/re2=%s/votes=%ld",
				    sub.label, re2 ? "on" : "off", votes[v]);
				sub.label = label;
				err = eval_subject_run(be, &e->es, b, &sub, NULL,
				    log, r, tally);
				for (i = k = 0; i < b->n; i++) {
					k += r[i].pass;
					pass[s][re2][v][i] = (unsigned char)
					    r[i].pass;
					eval_result_release(&r[i]);
				}
				stats_wilson(k, b->n, STATS_Z95, &acc[s][re2][v]);
				free(label);
			}
	free(r);
	e->es = saved;
	if (err == NULL)
		grid_tests(pass, b->n, tests);
	for (s = 0; s < 2; s++)
		for (re2 = 0; re2 < 2; re2++)
			for (v = 0; v < 2; v++)
				free(pass[s][re2][v]);
	if (err != NULL)
		return err;
	j = jout_new();
	jout_str(j, "adapter", a->name);
	jout_str(j, "version", a->version);
	jout_str(j, "base_model", reg->base.tag);
	jout_str(j, "benchmark", b->path);
	jout_int(j, "n", (long long)b->n);
	jout_arr(j, "grid");
	for (s = 0; s < 2; s++)
		for (re2 = 0; re2 < 2; re2++)
			for (v = 0; v < 2; v++) {
				jout_obj(j, NULL);
				jout_str(j, "model", s ? a->model : reg->base.tag);
				jout_bool(j, "adapter", s);
				jout_bool(j, "reread", re2);
				jout_int(j, "votes", votes[v]);
				jout_num(j, "accuracy", acc[s][re2][v].p);
				jout_num(j, "ci_low", acc[s][re2][v].lo);
				jout_num(j, "ci_high", acc[s][re2][v].hi);
				jout_end(j);
			}
	jout_end(j);
	grid_tests_json(j, tests, votes[1]);
	json = jout_finish(j, 1);
	path = xasprintf("%s/grid.json", dir);
	err = fs_write_atomic(path, json, strlen(json));
	if (err == NULL && e->fmt == FMT_JSON) {
		loco_write(json, strlen(json));
		loco_write("\n", 1);
	} else if (err == NULL) {
		int md = e->fmt == FMT_MARKDOWN, w = model_width(e, a, reg);

		snprintf(vh, sizeof(vh), "%ld votes", votes[1]);
		if (md)
			printf("| model | RE2 off, 1 | RE2 off, %s | RE2 on, 1 | "
			    "RE2 on, %s |\n|---|---|---|---|---|\n", vh, vh);
		else
			printf("%-*s %-21s %s\n%-*s %-10s %-10s %-10s %s\n",
			    w, "", "RE2 off", "RE2 on", w, "model", "1 sample",
			    vh, "1 sample", vh);
		for (s = 0; s < 2; s++) {
			if (md)
				printf("| %s |", s ? a->model : reg->base.tag);
			else
				printf("%-*s", w, s ? a->model : reg->base.tag);
			for (re2 = 0; re2 < 2; re2++)
				for (v = 0; v < 2; v++)
					printf(md ? " %.1f%% |" : " %6.1f%%   ",
					    acc[s][re2][v].p * 100);
			printf("\n");
		}
		grid_tests_print(tests, votes[1], md);
		printf("\n%zu cases of %s; votes at temperature %g\n"
		    "grid: %s (%s)\n", b->n, b->path,
		    e->es.vote_temperature, path, cost = eval_tally_text(tally));
		free(cost);
	}
	free(path);
	free(json);
	return err;
}

/*
 * loco eval --ensemble: every member of the ensemble answers every case
 * (member after member, as subjects are), the ensemble's answer to each
 * case is their weighted vote (eval_ensemble_combine), and the ensemble is
 * compared, paired, with the best single member of this run.
 */
struct ens_run {
	const struct bench	*b;
	size_t			 n;		/* members */
	struct eval_target	*tg;
	char			**labels;	/* "member NAME@VERSION" */
	struct eval_result	**r;		/* each member's results */
	struct stats_proportion	*acc;		/* each member's accuracy */
	double			*w;
	size_t			 best;		/* the best single member */
	size_t			 needed;	/* member answers the votes used */
	struct comparison	 cmp;		/* adapter: the ensemble, base: best */
	char			*why;		/* why the gate fails, or NULL */
};

static void
ens_release(struct ens_run *er)
{
	size_t m, i;

	for (m = 0; m < er->n; m++) {
		for (i = 0; er->r && er->r[m] && i < er->b->n; i++)
			eval_result_release(&er->r[m][i]);
		if (er->r)
			free(er->r[m]);
		if (er->tg)
			eval_target_release(&er->tg[m]);
		if (er->labels)
			free(er->labels[m]);
	}
	for (i = 0; er->cmp.adapter.r && i < er->b->n; i++)
		eval_result_release(&er->cmp.adapter.r[i]);
	free(er->cmp.adapter.r);
	free(er->r);
	free(er->tg);
	free(er->labels);
	free(er->acc);
	free(er->w);
	free(er->why);
}

/*
 * The gate of an ensemble: more accurate than the best single member,
 * significantly (McNemar p below alpha).
 */
static char *
ens_gate(const struct eval_cmd *e, const struct ens_run *er)
{
	const struct comparison *m = &er->cmp;
	char pt[STATS_P_TEXT_LEN];

	if (m->adapter.acc.p <= m->base.acc.p)
		return xasprintf("the ensemble is not more accurate than its "
		    "best single adapter %s@%s (%.1f%% against %.1f%%)",
		    e->ens.m[er->best].adapter->name,
		    e->ens.m[er->best].adapter->version,
		    m->adapter.acc.p * 100, m->base.acc.p * 100);
	if (m->p >= e->alpha)
		return xasprintf("the difference from the best single adapter "
		    "is not significant (McNemar p = %s, not below %g)",
		    stats_p_text(m->p, pt), e->alpha);
	return NULL;
}

static void
ens_json_side(struct jout *j, const char *key, const struct stats_proportion *p)
{
	jout_obj(j, key);
	jout_num(j, "accuracy", p->p);
	jout_num(j, "ci_low", p->lo);
	jout_num(j, "ci_high", p->hi);
	jout_int(j, "passed", (long long)p->k);
	jout_end(j);
}

static char *
ens_json(const struct eval_cmd *e, const struct adapter *a,
    const struct registry *reg, const struct ens_run *er, const char *dir,
    const struct eval_tally *tally)
{
	struct jout *j = jout_new();
	char when[32], *h;
	time_t now = time(NULL);
	size_t m;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	jout_str(j, "adapter", a->name);
	jout_str(j, "version", a->version);
	jout_str(j, "domain", a->domain);
	jout_str(j, "base_model", reg->base.tag);
	jout_obj(j, "benchmark");
	jout_str(j, "path", er->b->path);
	h = xasprintf("sha256:%s", er->b->sha256);
	jout_str(j, "sha256", h);
	free(h);
	jout_end(j);
	jout_int(j, "n", (long long)er->b->n);
	jout_obj(j, "ensemble");
	jout_arr(j, "members");
	for (m = 0; m < er->n; m++) {
		const struct ensemble_member *em = &e->ens.m[m];

		jout_obj(j, NULL);
		jout_str(j, "adapter", em->adapter->name);
		jout_str(j, "version", em->adapter->version);
		jout_str(j, "model", er->tg[m].t.label);
		jout_num(j, "weight", em->weight);
		if (isnan(em->accuracy))
			jout_null(j, "recorded_accuracy");
		else
			jout_num(j, "recorded_accuracy", em->accuracy);
		jout_str(j, "weight_source", em->source);
		ens_json_side(j, "score", &er->acc[m]);
		jout_end(j);
	}
	jout_end(j);
	ens_json_side(j, "score", &er->cmp.adapter.acc);
	jout_obj(j, "best");
	jout_str(j, "adapter", e->ens.m[er->best].adapter->name);
	jout_str(j, "version", e->ens.m[er->best].adapter->version);
	jout_end(j);
	jout_obj(j, "mcnemar");
	jout_int(j, "ensemble_only", (long long)er->cmp.b_only);
	jout_int(j, "best_only", (long long)er->cmp.c_only);
	jout_num(j, "p", er->cmp.p);
	jout_bool(j, "p_underflow", er->cmp.p < STATS_P_FLOOR);
	jout_end(j);
	jout_int(j, "answers_needed", (long long)er->needed);
	jout_int(j, "answers", (long long)(er->n * er->b->n));
	jout_end(j);
	json_inference(j, e, 1, e->es.temperature);
	json_cost_gate(j, e, tally, er->why, er->b->n);
	jout_str(j, "timestamp", when);
	jout_str(j, "loco_version", LOCO_VERSION);
	jout_str(j, "run", dir);
	return jout_finish(j, 1);
}

static void
ens_table(const struct eval_cmd *e, const struct ens_run *er)
{
	int md = e->fmt == FMT_MARKDOWN;
	const char *sep = md ? " | " : "  ";
	const char *nl = md ? "\n" : "";
	char pt[STATS_P_TEXT_LEN], *name, *label;
	size_t m, w = 28;

	for (m = 0; m < er->n; m++)
		if (strlen(er->tg[m].t.label) + 7 > w)	/* " (best)" */
			w = strlen(er->tg[m].t.label) + 7;
	if (w > 200)
		w = 200;
	if (md)
		printf("| model | weight | accuracy | 95%% interval | passed |\n"
		    "|---|---|---|---|---|\n");
	else
		printf("%-*s%s%6s%s%8s%s%-17s%s%s\n", (int)w, "model", sep,
		    "weight", sep, "accuracy", sep, "95% interval", sep,
		    "passed");
#define EROW(name_, wt_, p_) printf("%s%-*s%s%6s%s%7.1f%%%s[%5.1f%%, %5.1f%%]" \
	"%s%zu/%zu%s\n", md ? "| " : "", md ? 0 : (int)w, name_, sep, wt_, sep, \
	(p_)->p * 100, sep, (p_)->lo * 100, (p_)->hi * 100, sep, (p_)->k, \
	(p_)->n, md ? " |" : "")
	label = xasprintf("ensemble of %zu", er->n);
	EROW(label, "", &er->cmp.adapter.acc);
	free(label);
	for (m = 0; m < er->n; m++) {
		char wt[32];

		snprintf(wt, sizeof(wt), "%.3g", e->ens.m[m].weight);
		label = xasprintf("%s%s", er->tg[m].t.label, m == er->best ?
		    " (best)" : "");
		EROW(label, wt, &er->acc[m]);
		free(label);
	}
#undef EROW
	if (!md)
		printf("\n");
	printf("%sbenchmark %s (%zu cases, sha256:%.12s)\n", nl, er->b->path,
	    er->b->n, er->b->sha256);
	printf("%ssettings: RE2 %s, one %s per member at temperature %g, "
	    "seed %ld, at most %ld tokens\n", nl, e->es.reread ? "on" : "off",
	    e->es.temperature > 0 ? "sample" : "greedy answer",
	    e->es.temperature, e->es.seed, e->es.num_predict);
	printf("%sweights: ", nl);
	for (m = 0; m < er->n; m++) {
		const struct ensemble_member *em = &e->ens.m[m];

		name = ensemble_member_name(em);
		printf("%s%s %.4g (%s)", m ? ", " : "", name, em->weight,
		    strcmp(em->source, "recorded") == 0 ? "recorded accuracy" :
		    strcmp(em->source, "stale") == 0 ? "stale result: 1" :
		    strcmp(em->source, "unweighted") == 0 ?
		    "another member has none: 1" : "none recorded: 1");
		free(name);
	}
	printf("\n");
	name = ensemble_member_name(&e->ens.m[er->best]);
	printf("%sensemble against the best single adapter %s: difference "
	    "%+.1f points; McNemar exact p %s%s (ensemble only right %zu, "
	    "%s only right %zu)\n", nl, name,
	    (er->cmp.adapter.acc.p - er->cmp.base.acc.p) * 100,
	    er->cmp.p < STATS_P_FLOOR ? "" : "= ", stats_p_text(er->cmp.p, pt),
	    er->cmp.b_only, name, er->cmp.c_only);
	free(name);
	printf("%searly stopping: the votes needed %zu of %zu member "
	    "answers\n", nl, er->needed, er->n * er->b->n);
	if (er->b->n < STATS_SMALL_N)
		printf("%swarning: %zu cases: fewer than 50, so the test has "
		    "little power\n", nl, er->b->n);
	if (e->gate)
		printf("%sgate: %s\n", nl, er->why == NULL ? "passed" :
		    "FAILED");
}

/*
 * --ensemble: what it cannot be combined with, then its members (the
 * active adapters of the adapter's domain, or those named).
 */
static struct error *
ensemble_check(struct eval_cmd *e, const struct registry *reg,
    const struct adapter *a)
{
	if (e->grid || e->base_only || e->nood > 0)
		return cmd_usage_error(e->c, "--ensemble: not with %s",
		    e->grid ? "--grid" : e->base_only ? "--base" : "--ood");
	if (e->lc->cfg.votes > 1)
		return cmd_usage_error(e->c, "--ensemble: each member gives one "
		    "answer a case in loco eval; --votes %ld is for loco "
		    "query --ensemble", e->lc->cfg.votes);
	if (e->nseeds > 1)
		return cmd_usage_error(e->c, "--ensemble takes one --seed");
	return ensemble_select(reg, e->ensemble_names, a->domain, &e->ens);
}

static struct error *
run_ensemble(struct eval_cmd *e, struct backend *be,
    const struct registry *reg, const struct adapter *a, struct bench *b,
    FILE *log, const char *logpath, struct eval_tally *tally,
    const char *dir)
{
	struct ens_run er;
	struct eval_judge judge;
	struct adapter shown;
	struct error *err = NULL;
	char *json = NULL, *resfile = NULL, *cost = NULL;
	size_t m, i, k, resumed;

	memset(&er, 0, sizeof(er));
	er.b = b;
	er.n = e->ens.n;
	er.tg = xcalloc(er.n, sizeof(*er.tg));
	er.labels = xcalloc(er.n, sizeof(*er.labels));
	er.r = xcalloc(er.n, sizeof(*er.r));
	er.acc = xcalloc(er.n, sizeof(*er.acc));
	er.w = xcalloc(er.n, sizeof(*er.w));
	for (m = 0; m < er.n && err == NULL; m++) {
		char *name = ensemble_member_name(&e->ens.m[m]);

		er.labels[m] = xasprintf("member %s", name);
		free(name);
		er.w[m] = e->ens.m[m].weight;
		er.r[m] = xcalloc(b->n + 1, sizeof(**er.r));
		if ((err = eval_target_open(be, reg, e->ens.m[m].adapter,
		    er.labels[m], &er.tg[m])) == NULL && logpath != NULL)
			err = eval_log_resume(logpath, b, er.labels[m], er.r[m],
			    &resumed);
	}
	if (err == NULL && (err = eval_judge_init(&judge, be, &e->es,
	    &e->judge.t, e->judge.identity, (int)e->lc->cfg.judge_runs,
	    tally)) == NULL) {
		/* Member after member: on Ollama each is a model to load. */
		for (m = 0; m < er.n && err == NULL; m++)
			err = eval_subject_run(be, &e->es, b, &er.tg[m].s,
			    &judge.judge, log, er.r[m], tally);
		for (m = 0; m < er.n && err == NULL; m++)
			err = eval_judge_pending(&e->es, b, &er.tg[m].s,
			    &judge.judge, log, er.r[m]);
		eval_judge_release(&judge);
	}
	if (err != NULL)
		goto done;
	for (m = 0; m < er.n; m++) {
		for (i = k = 0; i < b->n; i++)
			k += er.r[m][i].pass;
		stats_wilson(k, b->n, STATS_Z95, &er.acc[m]);
		/* The best: most cases right, the heavier on a tie. */
		if (er.acc[m].k > er.acc[er.best].k)
			er.best = m;
	}
	er.cmp.b = b;
	er.cmp.adapter.r = xcalloc(b->n + 1, sizeof(*er.cmp.adapter.r));
	er.cmp.base.r = er.r[er.best];
	eval_ensemble_combine(b, er.r, er.w, er.n, er.cmp.adapter.r, NULL,
	    &er.needed);
	summarize(&er.cmp, 0);
	er.why = ens_gate(e, &er);
	json = ens_json(e, a, reg, &er, dir, tally);
	resfile = xasprintf("%s/results.json", dir);
	if ((err = fs_write_atomic(resfile, json, strlen(json))) != NULL)
		goto done;
	if (e->fmt == FMT_JSON) {
		loco_write(json, strlen(json));
		loco_write("\n", 1);
	} else if (e->fmt == FMT_JUNIT) {
		/* The ensemble's cases, and the gate against the best. */
		shown = *a;
		shown.model = xasprintf("ensemble of %zu (%s domain)", er.n,
		    a->domain);
		print_junit(e, &shown, reg, &er.cmp, er.why);
		free(shown.model);
	} else {
		ens_table(e, &er);
		printf("%sresults: %s (%s)\n", e->fmt == FMT_MARKDOWN ? "\n" :
		    "", resfile, cost = eval_tally_text(tally));
	}
	if (e->gate && er.why != NULL)
		err = error_new(EXIT_GATE, "gate failed: %s", er.why);
done:
	er.cmp.base.r = NULL;
	ens_release(&er);
	free(json);
	free(resfile);
	free(cost);
	return err;
}

/* Each --ood is another of the registry's domains, named once. */
static struct error *
ood_check(const struct eval_cmd *e, const struct registry *reg,
    const struct adapter *a)
{
	struct strbuf sb = STRBUF_INIT;
	struct error *err = NULL;
	size_t i, k;
	char *clean;

	for (i = 0; i < e->nood && err == NULL; i++) {
		for (k = 0; k < reg->ndomains; k++)
			if (strcmp(reg->domains[k], e->ood[i]) == 0)
				break;
		clean = str_sanitize(e->ood[i], 60);
		if (k == reg->ndomains) {
			for (k = 0; k < reg->ndomains; k++)
				strbuf_addf(&sb, "%s%s", k == 0 ? "" :
				    k + 1 == reg->ndomains ? " and " : ", ",
				    reg->domains[k]);
			err = cmd_usage_error(e->c, "--ood %s: not a domain of "
			    "the registry (%s)", clean, sb.buf);
		} else if (strcmp(e->ood[i], a->domain) == 0)
			err = cmd_usage_error(e->c, "--ood %s: that is the "
			    "adapter's own domain; --ood takes the others",
			    clean);
		for (k = 0; k < i && err == NULL; k++)
			if (strcmp(e->ood[k], e->ood[i]) == 0)
				err = cmd_usage_error(e->c, "--ood %s is given "
				    "twice", clean);
		free(clean);
	}
	strbuf_release(&sb);
	return err;
}

/*
 * A run on the adapter's standard benchmark, whole, is its score: kept in
 * $LOCO_HOME/results/DOMAIN/NAME@VERSION/ for the leaderboard, and
 * recorded with the adapter (installed.yaml) for loco adapters info.
 */
static struct error *
record(const struct adapter *a, const struct registry *reg,
    const struct comparison *m, const char *json)
{
	struct pkg_score sc;
	struct error *err;
	char when[32], iso[32], *home, *dir, *path = NULL, *sha;
	time_t now = time(NULL);

	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", gmtime(&now));
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	home = loco_home();
	dir = xasprintf("%s/results/%s/%s@%s", home, a->domain, a->name,
	    a->version);
	free(home);
	/* Two runs in the same second keep both: the name is reserved. */
	if ((err = fs_mkdirs(dir, 0)) == NULL)
		err = fs_create_unique(dir, when, ".json", &path);
	if (err == NULL)
		err = fs_write_atomic(path, json, strlen(json));
	free(dir);
	free(path);
	if (err != NULL)
		return err;
	sha = xasprintf("sha256:%s", m->b->sha256);
	memset(&sc, 0, sizeof(sc));
	sc.accuracy = m->adapter.acc.p;
	sc.base_accuracy = m->base.acc.p;
	sc.p = m->p;
	sc.n = (long)m->b->n;
	sc.benchmark_sha256 = sha;
	sc.date = iso;
	err = pkg_record_score(a, reg->base.tag, &sc);
	free(sha);
	return err;
}

/*
 * Several --seed values average samples: each seed runs the whole
 * benchmark.  Greedy answers are the same under every seed, so several
 * seeds then would only repeat the run.
 */
static struct error *
check_seeds(const struct eval_cmd *e)
{
	size_t i, k;

	for (i = 0; i < e->nseeds; i++)
		for (k = 0; k < i; k++)
			if (e->seeds[k] == e->seeds[i])
				return cmd_usage_error(e->c, "--seed %ld is "
				    "given twice", e->seeds[i]);
	if (e->nseeds < 2)
		return NULL;
	if (e->grid)
		return cmd_usage_error(e->c, "--grid takes one --seed");
	if (e->lc->cfg.votes <= 1 && (!e->temperature_set ||
	    e->temperature == 0))
		return cmd_usage_error(e->c, "several --seed values change "
		    "nothing for greedy answers: sample with --temperature T "
		    "or vote with --votes N");
	return NULL;
}

/*
 * --vs BACKEND:MODEL: BACKEND is a server of config.yaml's backends (or
 * a backend type, with the configuration's host), MODEL the name it
 * serves the model as; it answers every case of the main benchmark as
 * the base does (same prompt, RE2, temperature, seed, token limit).
 */
static struct error *
vs_open(struct eval_cmd *e)
{
	struct vs_model *v = &e->vs;
	const char *colon = strchr(v->spec, ':');
	struct error *err;

	if (colon == NULL || colon == v->spec || colon[1] == '\0')
		return cmd_usage_error(e->c, "--vs: give BACKEND:MODEL, a "
		    "server of config.yaml's backends and the name it serves "
		    "the model as (lab:Qwen/Qwen3-8B, ollama:llama3.1:8b)");
	if (e->base_only || e->grid || e->ensemble || e->nseeds > 1)
		return cmd_usage_error(e->c, "--vs compares the adapter and "
		    "the base with another model: not with %s", e->base_only ?
		    "--base" : e->grid ? "--grid" : e->ensemble ? "--ensemble" :
		    "several --seed values");
	v->backend = xstrndup(v->spec, (size_t)(colon - v->spec));
	v->model = xstrdup(colon + 1);
	if ((err = config_load(&v->cfg)) != NULL)
		return err;
	v->cfg_loaded = 1;
	if ((err = config_backend_choose(&v->cfg, v->backend)) != NULL) {
		struct error *usage = cmd_usage_error(e->c, "--vs: %s",
		    err->msg);

		error_free(err);
		return usage;
	}
	if ((err = backend_open(&v->cfg, &v->be)) != NULL ||
	    (err = eval_model_target(v->be, v->model, v->spec, "vs",
	    &v->tg)) != NULL)
		return error_prefix(err, "--vs %s", v->spec);
	return NULL;
}

static void
vs_release(struct vs_model *v)
{
	eval_target_release(&v->tg);
	backend_free(v->be);
	if (v->cfg_loaded)
		config_free(&v->cfg);
	free(v->backend);
	free(v->model);
}

struct error *
cmd_eval(struct loco *lc, int argc, char *argv[])
{
	struct eval_cmd e;
	struct registry *reg;
	const struct adapter *a = NULL;
	struct backend *be = NULL;
	struct comparison main_cmp, ood[MAX_OOD], *cmps[MAX_OOD + 1];
	struct eval_target tg[2];
	struct eval_subject subj[2];
	struct error *err;
	size_t i, nood = 0;
	struct eval_tally tally;
	char *path = NULL, *dir = NULL, *logpath = NULL, *json = NULL;
	char *resfile = NULL, *cost = NULL, *lockpath = NULL, *runrec = NULL;
	char *args = NULL, *why = NULL;
	FILE *log = NULL;
	int used = 0, gate_ok, lockfd = -1;

	memset(&e, 0, sizeof(e));
	memset(&main_cmp, 0, sizeof(main_cmp));
	memset(&tally, 0, sizeof(tally));
	memset(ood, 0, sizeof(ood));
	memset(tg, 0, sizeof(tg));
	memset(subj, 0, sizeof(subj));
	e.lc = lc;
	e.c = cmd_find("eval");
	e.alpha = 0.05;
	e.es.jobs = (size_t)config_parallel(&lc->cfg);
	args = resume_args(argc, argv);
	if ((err = parse_options(&e, argc, argv, &used)) != NULL) {
		free(args);
		if (err->code == EXIT_OK) {
			error_free(err);
			err = NULL;
		}
		return err;
	}
	if (argc - used != 1) {
		err = cmd_usage_error(e.c, "give one adapter");
		goto done;
	}
	if ((err = check_seeds(&e)) != NULL)
		goto done;
	if ((err = loco_registry(lc, &reg)) != NULL)
		goto done;
	if ((a = registry_find(reg, argv[used])) == NULL) {
		err = registry_unknown(reg, argv[used]);
		goto done;
	}
	if (e.ensemble && (err = ensemble_check(&e, reg, a)) != NULL)
		goto done;
	e.es.reread = lc->cfg.reread;
	e.es.votes = lc->cfg.votes;
	e.es.vote_temperature = e.temperature_set ? e.temperature :
	    lc->cfg.vote_temperature;
	/* One sample per case is greedy unless --temperature says. */
	e.es.temperature = e.temperature_set ? e.temperature : 0;
	if (e.nseeds == 0)
		e.seeds[e.nseeds++] = lc->cfg.seed != CONFIG_UNSET_INT ?
		    lc->cfg.seed : 42;
	e.es.seed = e.seeds[0];
	e.es.num_predict = lc->cfg.num_predict != CONFIG_UNSET_INT ?
	    lc->cfg.num_predict : 512;
	e.es.num_ctx = lc->cfg.num_ctx;
	e.es.keep_alive = lc->cfg.keep_alive;
	e.es.cache = !e.no_cache && e.es.votes == 1;
	e.es.registry = reg;
	e.es.progress = lc->stderr_progress && e.fmt == FMT_TABLE;
	e.es.progress_every = lc->stderr_progress ? 0 : lc->cfg.progress_every;

	if (e.benchmark == NULL || strcmp(e.benchmark, "standard") == 0) {
		path = bench_for_adapter(reg, a);
		if (path == NULL) {
			err = error_new(EXIT_CONFIG, "no standard benchmark "
			    "for domain '%s' (looked for %s.jsonl in "
			    "$LOCO_HOME/benchmarks, the registry's "
			    "../benchmarks and %s/benchmarks); give one with "
			    "--benchmark", a->domain,
			    a->domain, LOCO_DATADIR);
			goto done;
		}
	} else
		path = xstrdup(e.benchmark);
	if ((err = bench_load(path, e.limit, &main_cmp.b)) != NULL ||
	    (err = eval_sandbox_check(main_cmp.b)) != NULL)
		goto done;
	if ((err = ood_check(&e, reg, a)) != NULL)
		goto done;
	for (i = 0; i < e.nood; i++) {
		char *p = bench_for_domain(reg, e.ood[i]);

		ood[i].domain = e.ood[i];
		if (p == NULL) {
			err = error_new(EXIT_CONFIG, "--ood %s: no benchmark "
			    "%s.jsonl found", e.ood[i], e.ood[i]);
			goto done;
		}
		err = bench_load(p, e.limit, &ood[i].b);
		free(p);
		nood++;
		if (err != NULL || (err = eval_sandbox_check(ood[i].b)) != NULL)
			goto done;
	}
	/* The adapter's tool calls (a --base run asks the base alone). */
	if (!e.base_only && (err = loco_tools(lc, a, &e.tf,
	    e.fmt != FMT_TABLE, &e.tools)) != NULL)
		goto done;
	if ((err = loco_backend(lc, &be)) != NULL)
		goto done;
	if (e.vs.spec != NULL && (err = vs_open(&e)) != NULL)
		goto done;
	for (i = e.base_only ? 1 : 0; i < 2; i++) {
		if ((err = eval_target_open(be, reg, i == 0 ? a : NULL,
		    i == 0 ? "adapter" : "base", &tg[i])) != NULL)
			goto done;
		subj[i] = tg[i].s;
	}
	if (e.tools.tools != 0)
		subj[0].tools = &e.tools;
	if (e.base_only) {
		subj[0].label = "adapter";
		subj[0].model = a->model;
		subj[0].adapter = a;
	}
	if ((err = eval_judge_target(be, reg, lc->cfg.judge_model,
	    &e.judge)) != NULL)
		goto done;
	if ((err = run_dir(&e, a->name, &dir)) != NULL)
		goto done;
	/* One loco a run directory: two would share its log. */
	lockpath = xasprintf("%s/lock", dir);
	if ((err = fs_lock(lockpath, 0, &lockfd)) != NULL)
		goto done;
	runrec = run_record(&e, a, be, tg, &main_cmp, ood, nood);
	if ((err = eval_record_check(dir, runrec, e.resume != NULL)) != NULL)
		goto done;
	if ((err = start_record(dir, args, main_cmp.b->path)) != NULL)
		goto done;
	logpath = xasprintf("%s/log.jsonl", dir);
	if ((err = eval_log_open(logpath, &log)) != NULL)
		goto done;
	if (e.grid) {
		err = run_grid(&e, be, reg, a, subj, main_cmp.b, log, &tally,
		    dir);
		goto done;
	}
	if (e.ensemble) {
		err = run_ensemble(&e, be, reg, a, main_cmp.b, log, e.resume ?
		    logpath : NULL, &tally, dir);
		goto done;
	}
	cmps[0] = &main_cmp;
	for (i = 0; i < nood; i++)
		cmps[i + 1] = &ood[i];
	if ((err = compare(&e, be, subj, cmps, nood + 1, log, e.resume ?
	    logpath : NULL, &tally)) != NULL)
		goto done;
	why = e.base_only ? NULL : gate_reasons(&e, &main_cmp, ood, nood);
	gate_ok = why == NULL;
	json = results_json(&e, e.base_only ? NULL : a, reg, &main_cmp, ood,
	    nood, why, dir, &tally);
	resfile = xasprintf("%s/results.json", dir);
	if ((err = fs_write_atomic(resfile, json, strlen(json))) != NULL)
		goto done;
	if (e.fmt == FMT_JSON) {
		loco_write(json, strlen(json));
		loco_write("\n", 1);
	} else if (e.fmt == FMT_JUNIT)
		print_junit(&e, a, reg, &main_cmp, why);
	else
		print_table(&e, a, reg, &main_cmp, ood, nood, gate_ok);
	if (!e.base_only && e.limit == 0 && (e.benchmark == NULL ||
	    strcmp(e.benchmark, "standard") == 0) &&
	    (err = record(a, reg, &main_cmp, json)) != NULL)
		goto done;
	if (e.fmt != FMT_JSON && e.fmt != FMT_JUNIT)
		printf("%sresults: %s (%s)\n", e.fmt == FMT_MARKDOWN ? "\n" :
		    "", resfile, cost = eval_tally_text(&tally));
	if (e.gate && !gate_ok)
		err = error_new(EXIT_GATE, "gate failed: %s", why);
done:
	if (err != NULL && err->code == EXIT_INTERRUPT && log != NULL) {
		struct strbuf q = STRBUF_INIT;

		strbuf_addquoted(&q, dir);
		fprintf(stderr, "loco: interrupted: the finished cases are in "
		    "%s; to go on:\n  loco eval%s --resume %s\n", dir, args,
		    q.buf);
		strbuf_release(&q);
	}
	if (log != NULL)
		fclose(log);
	fs_unlock(lockfd);
	free(lockpath);
	free(runrec);
	free(args);
	free(why);
	comparison_release(&main_cmp);
	for (i = 0; i < nood; i++)
		comparison_release(&ood[i]);
	eval_target_release(&tg[0]);
	eval_target_release(&tg[1]);
	eval_target_release(&e.judge);
	ensemble_release(&e.ens);
	vs_release(&e.vs);
	backend_free(be);
	free(path);
	free(dir);
	free(logpath);
	free(json);
	free(resfile);
	free(cost);
	return err;
}
