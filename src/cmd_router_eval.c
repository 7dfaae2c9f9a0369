/*
 * cmd_router_eval.c: loco router eval: score a router on a labelled file
 * (accuracy, confusion, calibration), or with --oracle against the best
 * answers of every active adapter and the base model on benchmarks.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchfile.h"
#include "classifier.h"
#include "cmd.h"
#include "evalrun.h"
#include "fsutil.h"
#include "jsonout.h"
#include "router.h"
#include "banned.h"

#define ECE_BINS	10

struct evalstats {
	char	**labels;	/* truth labels, then predicted ones */
	size_t	  nlabels;
	size_t	 *confusion;	/* [truth][pred], nlabels^2, grown */
	size_t	  n, correct, wrong_adapter, to_base;
	size_t	  links[3];	/* classifier, keyword, base */
	double	  bin_conf[ECE_BINS], bin_acc[ECE_BINS];
	size_t	  bin_n[ECE_BINS], nprob;
};

static size_t
label_index(struct evalstats *es, const char *name)
{
	size_t i, j, *cm;

	for (i = 0; i < es->nlabels; i++)
		if (strcmp(es->labels[i], name) == 0)
			return i;
	es->labels = xreallocarray(es->labels, es->nlabels + 1,
	    sizeof(*es->labels));
	es->labels[es->nlabels] = xstrdup(name);
	cm = xcalloc((es->nlabels + 1) * (es->nlabels + 1), sizeof(*cm));
	for (i = 0; i < es->nlabels; i++)
		for (j = 0; j < es->nlabels; j++)
			cm[i * (es->nlabels + 1) + j] =
			    es->confusion[i * es->nlabels + j];
	free(es->confusion);
	es->confusion = cm;
	return es->nlabels++;
}

static size_t
cm_at(const struct evalstats *es, size_t t, size_t p)
{
	return es->confusion[t * es->nlabels + p];
}

static void
evalstats_release(struct evalstats *es)
{
	strv_free(es->labels, es->nlabels);
	free(es->confusion);
}

static void
eval_one(struct evalstats *es, const char *truth,
    const struct route_result *rr)
{
	const char *pred = rr->adapter ? rr->adapter->domain : CLF_NONE;
	size_t t, p, i, best = 0;
	int bin;

	t = label_index(es, truth);
	p = label_index(es, pred);
	es->confusion[t * es->nlabels + p]++;
	es->n++;
	if (t == p)
		es->correct++;
	else if (strcmp(pred, CLF_NONE) == 0)
		es->to_base++;
	else
		es->wrong_adapter++;
	es->links[strcmp(rr->link, "classifier") == 0 ? 0 :
	    strcmp(rr->link, "base") == 0 ? 2 : 1]++;
	if (rr->nclasses == 0)
		return;
	/* Calibration of the classifier's own top class. */
	for (i = 1; i < rr->nclasses; i++)
		if (rr->probs[i] > rr->probs[best])
			best = i;
	bin = (int)(rr->probs[best] * ECE_BINS);
	if (bin >= ECE_BINS)
		bin = ECE_BINS - 1;
	es->bin_conf[bin] += rr->probs[best];
	es->bin_acc[bin] += strcmp(rr->classes[best], truth) == 0;
	es->bin_n[bin]++;
	es->nprob++;
}

static double
ece(const struct evalstats *es)
{
	double e = 0;
	int b;

	for (b = 0; b < ECE_BINS; b++)
		e += fabs(es->bin_conf[b] - es->bin_acc[b]) / (double)es->nprob;
	return e;
}

static double
ratio(size_t a, size_t b)
{
	return b ? (double)a / (double)b : 0;
}

static double
round4(double x)
{
	return round(x * 1e4) / 1e4;
}

static void
eval_pr(const struct evalstats *es, size_t l, double *prec, double *rec,
    size_t *support)
{
	size_t i, col = 0, row = 0;

	for (i = 0; i < es->nlabels; i++) {
		col += cm_at(es, i, l);
		row += cm_at(es, l, i);
	}
	*prec = ratio(cm_at(es, l, l), col);
	*rec = ratio(cm_at(es, l, l), row);
	*support = row;
}

static void
eval_print_json(const struct evalstats *es, const char *kind,
    const char *file)
{
	struct jout *j = jout_new();
	double prec, rec;
	size_t l, p, support;

	jout_str(j, "router", kind);
	jout_str(j, "file", file);
	jout_int(j, "queries", (long long)es->n);
	jout_int(j, "correct", (long long)es->correct);
	jout_num(j, "accuracy", round4(ratio(es->correct, es->n)));
	jout_num(j, "wrong_adapter_rate",
	    round4(ratio(es->wrong_adapter, es->n)));
	jout_num(j, "base_fallback_rate", round4(ratio(es->to_base, es->n)));
	if (es->nprob > 0)
		jout_num(j, "ece", round4(ece(es)));
	else
		jout_null(j, "ece");
	jout_obj(j, "decided_by");
	jout_int(j, "classifier", (long long)es->links[0]);
	jout_int(j, "keyword", (long long)es->links[1]);
	jout_int(j, "base", (long long)es->links[2]);
	jout_end(j);
	jout_obj(j, "domains");
	for (l = 0; l < es->nlabels; l++) {
		eval_pr(es, l, &prec, &rec, &support);
		jout_obj(j, es->labels[l]);
		jout_num(j, "precision", round4(prec));
		jout_num(j, "recall", round4(rec));
		jout_int(j, "support", (long long)support);
		jout_end(j);
	}
	jout_end(j);
	jout_obj(j, "confusion");
	for (l = 0; l < es->nlabels; l++) {
		jout_obj(j, es->labels[l]);
		for (p = 0; p < es->nlabels; p++)
			jout_int(j, es->labels[p], (long long)cm_at(es, l, p));
		jout_end(j);
	}
	jout_end(j);
	loco_print_json(j);
}

static void
eval_print_text(const struct evalstats *es, const char *kind,
    const char *file)
{
	double prec, rec;
	size_t l, p, support;

	printf("router %s on '%s': %zu queries\n", kind, file, es->n);
	printf("accuracy         %.3f (%zu/%zu)\n", ratio(es->correct, es->n),
	    es->correct, es->n);
	printf("wrong adapter    %.3f (%zu)\n", ratio(es->wrong_adapter, es->n),
	    es->wrong_adapter);
	printf("fallback to base %.3f (%zu)\n", ratio(es->to_base, es->n),
	    es->to_base);
	if (es->nprob > 0)
		printf("ECE              %.3f (%d bins)\n", ece(es), ECE_BINS);
	printf("decided by       classifier %zu, keyword %zu, base %zu\n",
	    es->links[0], es->links[1], es->links[2]);
	printf("\n%-10s %9s %6s %7s\n", "domain", "precision", "recall",
	    "queries");
	for (l = 0; l < es->nlabels; l++) {
		eval_pr(es, l, &prec, &rec, &support);
		printf("%-10s %9.3f %6.3f %7zu\n", es->labels[l], prec, rec,
		    support);
	}
	printf("\nconfusion (rows: labelled, columns: routed)\n%-10s",
	    "");
	for (p = 0; p < es->nlabels; p++)
		printf(" %8s", es->labels[p]);
	printf("\n");
	for (l = 0; l < es->nlabels; l++) {
		printf("%-10s", es->labels[l]);
		for (p = 0; p < es->nlabels; p++)
			printf(" %8zu", cm_at(es, l, p));
		printf("\n");
	}
}

/*
 * Oracle evaluation: every subject (each active adapter, the base model)
 * answers every case of the benchmarks, and the routed choice is scored
 * against the best of them.
 */

#define REGRET_EPS	1e-9

struct oracle_file {
	char		*arg;		/* as given */
	char		*domain;	/* the label the router should give */
	struct bench	*b;
	size_t		*routed;	/* the subject routed to, per case */
	int		*right;		/* the label was right, per case */
	struct eval_result **r;		/* [subject][case] */
};

struct choice_sum {
	double	score, regret;
	size_t	passed;
};

struct label_group {
	size_t	n, costly, worse_than_base;
	double	regret;
};

struct oracle_sums {
	size_t			 n, correct, routed_best;
	struct choice_sum	 routed, oracle;
	struct choice_sum	*fixed;		/* per subject */
	struct label_group	 right, wrong;
};

struct oracle {
	struct loco		*lc;
	const struct registry	*reg;
	struct eval_subject	*subj;		/* adapters, then the base */
	size_t			 nsubj;
	struct oracle_file	*files;
	size_t			 nfiles;
	size_t			 limit;
	size_t			 jobs;
	int			 json;
	struct eval_tally	 tally;
};

static int
has_domain(const struct registry *reg, const char *name)
{
	size_t i;

	for (i = 0; i < reg->ndomains; i++)
		if (strcmp(reg->domains[i], name) == 0)
			return 1;
	return 0;
}

/*
 * The label a benchmark stands for: its argument when that is a domain
 * (its standard benchmark), else the domain its file name begins with
 * ("math.jsonl", "math-hard.jsonl"), or "none".
 */
static const char *
file_domain(const struct registry *reg, const char *path)
{
	const char *base = strrchr(path, '/'), *best = NULL;
	size_t i, len, bestlen = 0;

	base = base ? base + 1 : path;
	for (i = 0; i <= reg->ndomains; i++) {
		const char *d = i < reg->ndomains ? reg->domains[i] : CLF_NONE;

		len = strlen(d);
		if (strncmp(base, d, len) == 0 && !isalnum((unsigned char)
		    base[len]) && len > bestlen) {
			best = d;
			bestlen = len;
		}
	}
	return best;
}

static struct error *
oracle_load(struct oracle *or, int argc, char *argv[])
{
	struct oracle_file *f;
	struct error *err;
	const char *dom;
	char *path, *clean;
	size_t i;
	int k;

	or->files = xcalloc((size_t)argc + 1, sizeof(*or->files));
	for (k = 0; k < argc; k++) {
		f = &or->files[or->nfiles++];
		f->arg = xstrdup(argv[k]);
		if (strchr(argv[k], '/') == NULL && !fs_exists(argv[k]) &&
		    has_domain(or->reg, argv[k])) {
			path = bench_for_domain(or->reg, argv[k]);
			if (path == NULL)
				return error_new(EXIT_CONFIG, "no benchmark "
				    "for domain '%s' (no active adapter of it "
				    "names one, and no %s.jsonl in "
				    "$LOCO_HOME/benchmarks, the registry's "
				    "../benchmarks or %s/benchmarks); give a "
				    "file", argv[k], argv[k], LOCO_DATADIR);
			dom = argv[k];
		} else {
			dom = file_domain(or->reg, argv[k]);
			path = xstrdup(argv[k]);
		}
		err = bench_load(path, or->limit, &f->b);
		free(path);
		if (err != NULL)
			return err;
		if (dom == NULL) {
			clean = str_sanitize(argv[k], 256);
			err = error_new(EXIT_USAGE, "cannot tell the domain of "
			    "'%s': its name must begin with a domain or 'none' "
			    "(math.jsonl)", clean);
			free(clean);
			return err;
		}
		f->domain = xstrdup(dom);
		f->routed = xcalloc(f->b->n + 1, sizeof(*f->routed));
		f->right = xcalloc(f->b->n + 1, sizeof(*f->right));
		f->r = xcalloc(or->nsubj, sizeof(*f->r));
		for (i = 0; i < or->nsubj; i++)
			f->r[i] = xcalloc(f->b->n + 1, sizeof(*f->r[i]));
	}
	return NULL;
}

/* The router's choice for every case, before any request. */
static struct error *
oracle_route(struct oracle *or, struct router *r)
{
	struct route_result rr;
	struct error *err;
	const char *pred;
	size_t i, j, s;
	char *q;

	for (i = 0; i < or->nfiles; i++) {
		struct oracle_file *f = &or->files[i];

		for (j = 0; j < f->b->n; j++) {
			q = bench_question(&f->b->cases[j]);
			err = router_route(r, q, &rr);
			free(q);
			if (err != NULL)
				return err;
			for (s = 0; s + 1 < or->nsubj; s++)
				if (or->subj[s].adapter == rr.adapter)
					break;
			f->routed[j] = s;
			pred = rr.adapter ? rr.adapter->domain : CLF_NONE;
			f->right[j] = strcmp(pred, f->domain) == 0;
			route_result_release(&rr);
		}
	}
	return NULL;
}

/* Every subject on every benchmark, one subject after the other. */
static struct error *
oracle_run(struct oracle *or)
{
	struct backend *be = NULL;
	struct eval_target *tg, jt;
	struct eval_settings es;
	struct eval_judge judge;
	struct error *err;
	const struct config *cfg = &or->lc->cfg;
	size_t s, i;

	tg = xcalloc(or->nsubj + 1, sizeof(*tg));
	memset(&jt, 0, sizeof(jt));
	if ((err = loco_backend(or->lc, &be)) != NULL)
		goto done;
	for (s = 0; s < or->nsubj; s++) {
		if ((err = eval_target_open(be, or->reg, or->subj[s].adapter,
		    or->subj[s].label, &tg[s])) != NULL)
			goto done;
		or->subj[s].model = tg[s].s.model;
		or->subj[s].target = tg[s].s.target;
		or->subj[s].digest = tg[s].s.digest;
		or->subj[s].think = tg[s].s.think;
	}
	if ((err = eval_judge_target(be, or->reg, cfg->judge_model, &jt)))
		goto done;
	/* As loco eval: greedy, seeded, one sample, the cache. */
	memset(&es, 0, sizeof(es));
	es.reread = cfg->reread;
	es.votes = 1;
	es.seed = cfg->seed != CONFIG_UNSET_INT ? cfg->seed : 42;
	es.num_predict = cfg->num_predict != CONFIG_UNSET_INT ?
	    cfg->num_predict : 512;
	es.num_ctx = cfg->num_ctx;
	es.keep_alive = cfg->keep_alive;
	es.jobs = or->jobs;
	es.cache = 1;
	es.registry = or->reg;
	es.progress = or->lc->stderr_progress && !or->json;
	es.progress_every = or->lc->stderr_progress ? 0 :
	    or->lc->cfg.progress_every;
	/* Every subject answers, then the judge: each model loads once. */
	if ((err = eval_judge_init(&judge, be, &es, &jt.t, jt.identity,
	    (int)cfg->judge_runs, &or->tally)))
		goto done;
	for (s = 0; s < or->nsubj && err == NULL; s++)
		for (i = 0; i < or->nfiles && err == NULL; i++)
			err = eval_subject_run(be, &es, or->files[i].b,
			    &or->subj[s], &judge.judge, NULL,
			    or->files[i].r[s], &or->tally);
	for (s = 0; s < or->nsubj && err == NULL; s++)
		for (i = 0; i < or->nfiles && err == NULL; i++)
			err = eval_judge_pending(&es, or->files[i].b,
			    &or->subj[s], &judge.judge, NULL,
			    or->files[i].r[s]);
	eval_judge_release(&judge);
done:
	/* Reports name the subjects after this: keep their model names. */
	for (s = 0; s < or->nsubj; s++) {
		or->subj[s].model = or->subj[s].adapter ?
		    or->subj[s].adapter->model : or->reg->base.tag;
		or->subj[s].target = NULL;
		or->subj[s].digest = NULL;
		eval_target_release(&tg[s]);
	}
	free(tg);
	eval_target_release(&jt);
	backend_free(be);
	return err;
}

static void
group_add(struct label_group *g, double regret, int worse)
{
	g->n++;
	g->regret += regret;
	g->costly += regret > REGRET_EPS;
	g->worse_than_base += worse;
}

/* Add file f's cases (all files: f NULL) to sums. */
static void
oracle_sum(const struct oracle *or, const struct oracle_file *only,
    struct oracle_sums *sm)
{
	size_t i, j, s, base = or->nsubj - 1;

	memset(sm, 0, sizeof(*sm));
	sm->fixed = xcalloc(or->nsubj, sizeof(*sm->fixed));
	for (i = 0; i < or->nfiles; i++) {
		const struct oracle_file *f = &or->files[i];

		if (only != NULL && f != only)
			continue;
		for (j = 0; j < f->b->n; j++) {
			const struct eval_result *rt = &f->r[f->routed[j]][j];
			double best = 0, regret;
			int bestpass = 0;

			for (s = 0; s < or->nsubj; s++) {
				const struct eval_result *x = &f->r[s][j];

				if (s == 0 || x->score > best) {
					best = x->score;
					bestpass = 0;
				}
				if (x->score >= best - REGRET_EPS && x->pass)
					bestpass = 1;
			}
			for (s = 0; s < or->nsubj; s++) {
				sm->fixed[s].score += f->r[s][j].score;
				sm->fixed[s].passed += f->r[s][j].pass;
				sm->fixed[s].regret += best - f->r[s][j].score;
			}
			regret = best - rt->score;
			if (regret < REGRET_EPS)
				regret = 0;
			sm->n++;
			sm->correct += f->right[j];
			sm->routed_best += regret == 0;
			sm->routed.score += rt->score;
			sm->routed.passed += rt->pass;
			sm->routed.regret += regret;
			sm->oracle.score += best;
			sm->oracle.passed += bestpass;
			group_add(f->right[j] ? &sm->right : &sm->wrong, regret,
			    rt->score < f->r[base][j].score - REGRET_EPS);
		}
	}
}

static double
mean(double sum, size_t n)
{
	return n ? sum / (double)n : 0;
}

static void
oracle_json_choice(struct jout *j, const struct choice_sum *c, size_t n)
{
	jout_num(j, "mean_score", round4(mean(c->score, n)));
	jout_num(j, "pass_rate", round4(ratio(c->passed, n)));
	jout_int(j, "passed", (long long)c->passed);
	jout_num(j, "mean_regret", round4(mean(c->regret, n)));
}

static void
oracle_json_group(struct jout *j, const char *key, const struct label_group *g)
{
	jout_obj(j, key);
	jout_int(j, "cases", (long long)g->n);
	jout_num(j, "mean_regret", round4(mean(g->regret, g->n)));
	jout_int(j, "costly", (long long)g->costly);
	jout_int(j, "worse_than_base", (long long)g->worse_than_base);
	jout_end(j);
}

static void
oracle_print_json(const struct oracle *or, const char *kind,
    const struct oracle_sums *sm)
{
	struct jout *j = jout_new();
	struct oracle_sums fs;
	size_t i, c, s;
	char *out;

	jout_str(j, "router", kind);
	jout_int(j, "cases", (long long)sm->n);
	jout_int(j, "correct", (long long)sm->correct);
	jout_num(j, "label_accuracy", round4(ratio(sm->correct, sm->n)));
	jout_int(j, "routed_best", (long long)sm->routed_best);
	jout_num(j, "routed_best_rate", round4(ratio(sm->routed_best,
	    sm->n)));
	jout_num(j, "mean_regret", round4(mean(sm->routed.regret, sm->n)));
	jout_obj(j, "routed");
	oracle_json_choice(j, &sm->routed, sm->n);
	jout_end(j);
	jout_obj(j, "oracle");
	oracle_json_choice(j, &sm->oracle, sm->n);
	jout_end(j);
	jout_arr(j, "fixed");
	for (s = 0; s < or->nsubj; s++) {
		jout_obj(j, NULL);
		jout_str(j, "subject", or->subj[s].label);
		jout_str(j, "model", or->subj[s].model);
		oracle_json_choice(j, &sm->fixed[s], sm->n);
		jout_end(j);
	}
	jout_end(j);
	oracle_json_group(j, "right_label", &sm->right);
	oracle_json_group(j, "wrong_label", &sm->wrong);
	jout_arr(j, "benchmarks");
	for (i = 0; i < or->nfiles; i++) {
		oracle_sum(or, &or->files[i], &fs);
		jout_obj(j, NULL);
		jout_str(j, "path", or->files[i].b->path);
		jout_str(j, "domain", or->files[i].domain);
		jout_int(j, "cases", (long long)fs.n);
		jout_num(j, "label_accuracy", round4(ratio(fs.correct, fs.n)));
		jout_num(j, "routed_mean_score", round4(mean(fs.routed.score,
		    fs.n)));
		jout_num(j, "best_mean_score", round4(mean(fs.oracle.score,
		    fs.n)));
		jout_num(j, "mean_regret", round4(mean(fs.routed.regret,
		    fs.n)));
		jout_end(j);
		free(fs.fixed);
	}
	jout_end(j);
	jout_arr(j, "per_case");
	for (i = 0; i < or->nfiles; i++) {
		const struct oracle_file *f = &or->files[i];

		for (c = 0; c < f->b->n; c++) {
			jout_obj(j, NULL);
			jout_str(j, "benchmark", f->b->path);
			jout_str(j, "id", f->b->cases[c].id);
			jout_str(j, "expected", f->domain);
			jout_str(j, "routed", or->subj[f->routed[c]].label);
			jout_bool(j, "label_right", f->right[c]);
			jout_obj(j, "scores");
			for (s = 0; s < or->nsubj; s++)
				jout_num(j, or->subj[s].label,
				    round4(f->r[s][c].score));
			jout_end(j);
			jout_end(j);
		}
	}
	jout_end(j);
	jout_int(j, "requests", (long long)or->tally.requests);
	jout_int(j, "model_loads", (long long)or->tally.loads);
	out = jout_finish(j, 1);
	loco_write(out, strlen(out));
	loco_write("\n", 1);
	free(out);
}

static void
oracle_print_group(const char *name, const struct label_group *g)
{
	printf("%-16s %zu case%s, mean regret %.3f, costly %zu, worse than "
	    "base %zu\n", name, g->n, g->n == 1 ? "" : "s",
	    mean(g->regret, g->n), g->costly, g->worse_than_base);
}

static void
oracle_print_text(const struct oracle *or, const char *kind,
    const struct oracle_sums *sm)
{
	struct oracle_sums fs;
	size_t i, s, n = sm->n;
	char name[64], passed[48], *text;

#define CHOICE(label, c) do {						\
	snprintf(passed, sizeof(passed), "%zu/%zu", (c)->passed, n);	\
	printf("%-20s %10.3f %9.3f %9s %8.3f\n", label,			\
	    mean((c)->score, n), ratio((c)->passed, n), passed,		\
	    mean((c)->regret, n));					\
} while (0)
	printf("router %s against the oracle: %zu cases of %zu benchmark%s, "
	    "%zu subjects\n\n", kind, n, or->nfiles, or->nfiles == 1 ? "" :
	    "s", or->nsubj);
	printf("%-20s %10s %9s %9s %8s\n", "choice", "mean score",
	    "pass rate", "passed", "regret");
	CHOICE("routed", &sm->routed);
	CHOICE("oracle (best)", &sm->oracle);
	for (s = 0; s < or->nsubj; s++) {
		snprintf(name, sizeof(name), "always %s", or->subj[s].label);
		CHOICE(name, &sm->fixed[s]);
	}
#undef CHOICE
	printf("\nrouted = best    %.3f (%zu/%zu)\n", ratio(sm->routed_best, n),
	    sm->routed_best, n);
	printf("mean regret      %.3f\n", mean(sm->routed.regret, n));
	printf("labels right     %.3f (%zu/%zu)\n", ratio(sm->correct, n),
	    sm->correct, n);
	oracle_print_group("right label", &sm->right);
	oracle_print_group("wrong label", &sm->wrong);
	printf("\n%-10s %5s %6s %6s %6s %6s  %s\n", "domain", "cases",
	    "labels", "routed", "best", "regret", "benchmark");
	for (i = 0; i < or->nfiles; i++) {
		oracle_sum(or, &or->files[i], &fs);
		printf("%-10s %5zu %6.3f %6.3f %6.3f %6.3f  %s\n",
		    or->files[i].domain, fs.n, ratio(fs.correct, fs.n),
		    mean(fs.routed.score, fs.n), mean(fs.oracle.score, fs.n),
		    mean(fs.routed.regret, fs.n), or->files[i].b->path);
		free(fs.fixed);
	}
	text = eval_tally_text(&or->tally);
	printf("\n%s\n", text);
	free(text);
}

static void
oracle_release(struct oracle *or)
{
	size_t i, s, c;

	for (i = 0; i < or->nfiles; i++) {
		struct oracle_file *f = &or->files[i];

		if (f->r != NULL)
			for (s = 0; s < or->nsubj; s++) {
				for (c = 0; f->r[s] && c < f->b->n; c++)
					eval_result_release(&f->r[s][c]);
				free(f->r[s]);
			}
		free(f->r);
		free(f->routed);
		free(f->right);
		free(f->arg);
		free(f->domain);
		bench_free(f->b);
	}
	free(or->files);
	free(or->subj);
}

static struct error *
router_oracle(struct oracle *or, int argc, char *argv[])
{
	struct registry *reg;
	struct router *r = NULL;
	struct oracle_sums sm;
	struct error *err;
	size_t i;

	memset(&sm, 0, sizeof(sm));
	if ((err = loco_registry(or->lc, &reg)) != NULL)
		return err;
	or->reg = reg;
	or->subj = xcalloc(reg->nadapters + 1, sizeof(*or->subj));
	for (i = 0; i < reg->nadapters; i++) {
		const struct adapter *a = &reg->adapters[i];

		if (!a->active)
			continue;
		or->subj[or->nsubj].label = a->name;
		or->subj[or->nsubj].model = a->model;
		or->subj[or->nsubj++].adapter = a;
	}
	or->subj[or->nsubj].label = "base";
	or->subj[or->nsubj++].model = reg->base.tag;
	if ((err = oracle_load(or, argc, argv)) != NULL ||
	    (err = loco_router(or->lc, reg, &r, 0)) != NULL ||
	    (err = oracle_route(or, r)) != NULL ||
	    (err = oracle_run(or)) != NULL)
		goto done;
	oracle_sum(or, NULL, &sm);
	if (or->json)
		oracle_print_json(or, router_kind(r), &sm);
	else
		oracle_print_text(or, router_kind(r), &sm);
done:
	free(sm.fixed);
	router_free(r);
	oracle_release(or);
	return err;
}

enum { O_HOST = 1, O_JOBS, O_JSON, O_LIMIT, O_ORACLE };

static const struct opt eval_opts[] = {
	{ "host", 0, O_HOST, OPT_VALUE, "url", "the server (--oracle; default: "
	  "backend.host)", OC_NONE, NULL, "backend.host" },
	{ "jobs", 0, O_JOBS, OPT_VALUE, "n", "requests in flight (--oracle; "
	  "default: inference.parallel)" },
	{ "json", 0, O_JSON, OPT_FLAG, NULL, "print JSON" },
	{ "limit", 0, O_LIMIT, OPT_VALUE, "n", "only the first n cases of a "
	  "benchmark (--oracle)" },
	{ "oracle", 0, O_ORACLE, OPT_FLAG, NULL, "score routing by the answers, "
	  "against the best", OC_NONE, NULL, NULL, OPT_NOUSAGE },
	{ "router", 0, 0, OPT_VALUE, "type", "keyword, classifier or "
	  "auto (default: router.type)", OC_WORDS, "keyword classifier auto", "router.type" },
};
static const struct opt_form eval_forms[] = {
	{ NULL, "json router", "file" },
	{ "--oracle", "host jobs json limit router", "benchmark ..." },
};
static const struct opt_operand eval_operands[] = {
	{ "file", "queries labelled with their domain: domain<TAB>query "
	  "lines, or JSON Lines {\"domain\", \"query\"}", OC_FILE },
	{ "benchmark", "with --oracle: a benchmark file, or a domain for its "
	  "standard one; every active adapter and the base model answer it",
	  OC_FILE },
};
const struct optspec router_eval_spec = OPTSPEC("router eval", "score a "
    "router on labelled queries, or against the best answers", eval_opts,
    eval_forms, eval_operands);

struct error *
cmd_router_eval(struct loco *lc, const struct subcmd *sc, int argc,
    char *argv[])
{
	struct oracle or;
	struct evalstats es;
	struct route_result rr;
	struct registry *reg;
	struct router *r = NULL;
	struct clf_data d;
	struct error *err;
	struct optparse p;
	const char *oracle_only = NULL;
	size_t i;
	long l;
	int id, json = 0, oracle = 0;

	memset(&or, 0, sizeof(or));
	or.lc = lc;
	or.jobs = (size_t)config_parallel(&lc->cfg);
	opt_init(&p, lc, sc->spec, argc, argv);
	while ((id = opt_next(&p)) > 0) {
		switch (id) {
		case O_HOST:
			oracle_only = "--host";
			break;
		case O_JOBS:
			oracle_only = "--jobs";
			if (parse_long(p.arg, 1, 64, &l) == -1)
				p.err = sub_usage_error(sc, "--jobs: must be an "
				    "integer from 1 to 64, not '%s'", p.arg);
			or.jobs = (size_t)l;
			break;
		case O_JSON:
			json = 1;
			break;
		case O_LIMIT:
			oracle_only = "--limit";
			if (parse_long(p.arg, 1, 10000000, &l) == -1)
				p.err = sub_usage_error(sc, "--limit: must be a "
				    "positive integer, not '%s'", p.arg);
			or.limit = (size_t)l;
			break;
		case O_ORACLE:
			oracle = 1;
			break;
		}
		if (p.err != NULL)
			return opt_end(&p);
	}
	if (id < 0)
		return opt_end(&p);
	argc = p.argc;
	argv = p.argv;
	if (oracle) {
		if (argc == 0)
			return sub_usage_error(sc, "no benchmark given");
		or.json = json;
		return router_oracle(&or, argc, argv);
	}
	if (oracle_only != NULL)
		return sub_usage_error(sc, "%s needs --oracle", oracle_only);
	if (argc != 1)
		return sub_usage_error(sc, argc == 0 ?
		    "no labelled file given" : "give one labelled file");
	if ((err = router_labels_load(argv[0], &d)) != NULL)
		return err;
	memset(&es, 0, sizeof(es));
	if ((err = loco_registry(lc, &reg)) != NULL ||
	    (err = loco_router(lc, reg, &r, 0)) != NULL)
		goto done;
	for (i = 0; i < d.nclasses; i++)
		label_index(&es, d.classes[i]);
	for (i = 0; i < d.n; i++) {
		if ((err = router_route(r, d.texts[i], &rr)) != NULL)
			goto done;
		eval_one(&es, d.classes[d.labels[i]], &rr);
		route_result_release(&rr);
	}
	if (json)
		eval_print_json(&es, router_kind(r), argv[0]);
	else
		eval_print_text(&es, router_kind(r), argv[0]);
done:
	evalstats_release(&es);
	clf_data_release(&d);
	router_free(r);
	return err;
}
