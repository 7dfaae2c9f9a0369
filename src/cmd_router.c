/*
 * cmd_router.c: loco router train|eval: the trained router's model and
 * its evaluation on a labelled file; and loco_router, the router that
 * router.type asks for, shared by query and route.
 */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classifier.h"
#include "cmd.h"
#include "fsutil.h"
#include "jsonout.h"
#include "router.h"
#include "banned.h"

#define ECE_BINS	10
#define STALE_MSG	"the router model was trained on other data: run " \
			"'loco router train'"

static char *
model_path(const struct loco *lc)
{
	char *home, *path;

	if (lc->cfg.router_model != NULL)
		return xstrdup(lc->cfg.router_model);
	home = loco_home();
	path = xasprintf("%s/router.model", home);
	free(home);
	return path;
}

struct error *
loco_router(struct loco *lc, struct registry *reg, struct router **out)
{
	const char *type = lc->cfg.router_type;
	struct classifier *m = NULL;
	struct error *err = NULL;
	char *path = NULL, *clean, sha[SHA256_HEX_LEN + 1];
	int stale;

	*out = NULL;
	if (strcmp(type, "keyword") == 0)
		goto keyword;
	path = model_path(lc);
	if (!fs_exists(path)) {
		if (strcmp(type, "auto") == 0)
			goto keyword;
		clean = str_sanitize(path, 256);
		err = error_new(EXIT_FAIL, "no router model '%s': run 'loco "
		    "router train'", clean);
		free(clean);
		goto done;
	}
	if ((err = clf_load(path, &m)) != NULL)
		goto done;
	if ((err = router_data_sha256(reg, sha)) != NULL)
		goto done;
	stale = strcmp(sha, clf_data_sha256(m)) != 0;
	if (stale) {
		clf_free(m);
		m = NULL;
		if (strcmp(type, "classifier") == 0) {
			err = error_new(EXIT_FAIL, "%s", STALE_MSG);
			goto done;
		}
		fprintf(stderr, "loco: %s; using keywords\n", STALE_MSG);
		goto keyword;
	}
	*out = router_new_classifier(reg, m, lc->cfg.router_threshold,
	    lc->cfg.router_min_score);
	m = NULL;
	goto done;
keyword:
	*out = router_new_keyword(reg, lc->cfg.router_min_score);
done:
	clf_free(m);
	free(path);
	return err;
}

static void
train_print_text(const char *path, const struct clf_data *d,
    const size_t *count, const struct classifier *m)
{
	size_t i;

	printf("%s: %zu examples (", path, d->n);
	for (i = 0; i < d->nclasses; i++)
		printf("%s%s %zu", i ? ", " : "", d->classes[i], count[i]);
	printf("), %zu features, temperature %.3g\n", clf_nfeatures(m),
	    clf_temperature(m));
}

static void
train_print_json(const char *path, const struct clf_data *d,
    const size_t *count, const struct classifier *m)
{
	struct jout *j = jout_new();
	size_t i;

	jout_str(j, "file", path);
	jout_int(j, "examples", (long long)d->n);
	jout_obj(j, "classes");
	for (i = 0; i < d->nclasses; i++)
		jout_int(j, d->classes[i], (long long)count[i]);
	jout_end(j);
	jout_int(j, "features", (long long)clf_nfeatures(m));
	jout_num(j, "temperature", clf_temperature(m));
	jout_str(j, "data_sha256", clf_data_sha256(m));
	loco_print_json(j);
}

static struct error *
router_train(struct loco *lc, const struct subcmd *sc, int argc,
    char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct registry *reg;
	struct classifier *m;
	struct clf_data d;
	struct error *err;
	char *path = NULL, *dir;
	size_t *count, i;
	int ch, json = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			sub_help(sc);
			return NULL;
		case 'j':
			json = 1;
			break;
		case 'o':
			free(path);
			path = xstrdup(optarg);
			break;
		default:
			free(path);
			return sub_option_error(sc, ch, argv);
		}
	}
	if (optind != argc) {
		free(path);
		return sub_usage_error(sc, "unexpected argument '%s'",
		    argv[optind]);
	}
	if (path == NULL)
		path = model_path(lc);
	if ((err = loco_registry(lc, &reg)) != NULL)
		goto done;
	if ((err = router_data_collect(reg, &d)) != NULL)
		goto done;
	if (d.n == 0) {
		clf_data_release(&d);
		err = error_new(EXIT_FAIL, "no training data: no benchmark, "
		    "router_examples or general.txt found");
		goto done;
	}
	m = clf_train(&d, 3);
	dir = path_dirname(path);
	err = fs_mkdirs(dir, 0);
	free(dir);
	if (err == NULL)
		err = clf_save(m, path);
	if (err == NULL) {
		count = xcalloc(d.nclasses, sizeof(*count));
		for (i = 0; i < d.n; i++)
			count[d.labels[i]]++;
		(json ? train_print_json : train_print_text)(path, &d, count,
		    m);
		free(count);
	}
	clf_free(m);
	clf_data_release(&d);
done:
	free(path);
	return err;
}

/* Evaluation */

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

static struct error *
router_eval(struct loco *lc, const struct subcmd *sc, int argc,
    char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "router", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct evalstats es;
	struct route_result rr;
	struct registry *reg;
	struct router *r = NULL;
	struct clf_data d;
	struct error *err;
	size_t i;
	int ch, json = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			sub_help(sc);
			return NULL;
		case 'j':
			json = 1;
			break;
		case 'r':
			if ((err = sub_flag_set(sc, lc, "--router",
			    "router.type", optarg)) != NULL)
				return err;
			break;
		default:
			return sub_option_error(sc, ch, argv);
		}
	}
	if (argc - optind != 1)
		return sub_usage_error(sc, argc == optind ?
		    "no labelled file given" : "give one labelled file");
	if ((err = router_labels_load(argv[optind], &d)) != NULL)
		return err;
	memset(&es, 0, sizeof(es));
	if ((err = loco_registry(lc, &reg)) != NULL ||
	    (err = loco_router(lc, reg, &r)) != NULL)
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
		eval_print_json(&es, router_kind(r), argv[optind]);
	else
		eval_print_text(&es, router_kind(r), argv[optind]);
done:
	evalstats_release(&es);
	clf_data_release(&d);
	router_free(r);
	return err;
}

#define U_TRAIN "loco router train [--json] [--out file]"
#define U_EVAL "loco router eval [--json] [--router type] file"

static const struct subcmd subcmds[] = {
	{ "train", router_train, U_TRAIN,
	  "Train the classifier router on the benchmarks, the adapters'\n"
	  "router_examples and router_keywords, and general.txt.\n"
	  "  --json         print what was trained as JSON\n"
	  "  --out file     where to write the model (default: router.model,\n"
	  "                 $LOCO_HOME/router.model)\n" },
	{ "eval", router_eval, U_EVAL,
	  "Route every query of a labelled file (domain<TAB>query, or JSON\n"
	  "Lines {\"domain\", \"query\"}) and score the decisions.\n"
	  "  --json         print JSON\n"
	  "  --router type  keyword, classifier or auto (default: router.type)\n" },
};

const struct subcmd *
router_subcmds(size_t *n)
{
	*n = ARRAY_SIZE(subcmds);
	return subcmds;
}

struct error *
cmd_router(struct loco *lc, int argc, char *argv[])
{
	return cmd_subcommand(lc, cmd_find("router"), argc, argv);
}
