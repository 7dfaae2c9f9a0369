/*
 * cmd_router_train.c: loco router, its subcommand table, and loco router
 * train: the classifier router's model from the benchmarks, the adapters'
 * examples and general.txt.  loco router eval is in cmd_router_eval.c.
 */
#include <ctype.h>
#include <getopt.h>
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
		path = router_model_path(&lc->cfg);
	if ((err = loco_registry(lc, &reg)) != NULL)
		goto done;
	if ((err = clf_data_collect(reg, &d)) != NULL)
		goto done;
	if (d.n == 0) {
		clf_data_release(&d);
		err = error_new(EXIT_FAIL, "no training data: no benchmark, "
		    "router_examples or general.txt found");
		goto done;
	}
	m = clf_train(&d, 1);
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


#define U_TRAIN "loco router train [--json] [--out file]"
#define U_EVAL "loco router eval [--json] [--router type] file\n" \
	"       loco router eval --oracle [--host url] [--jobs n] [--json] " \
	"[--limit n] [--router type] benchmark ..."

static const struct subcmd subcmds[] = {
	{ "train", router_train, U_TRAIN,
	  "Train the classifier router on the benchmarks, the adapters'\n"
	  "router_examples and router_keywords, and general.txt.\n"
	  "  --json         print what was trained as JSON\n"
	  "  --out file     where to write the model (default: router.model,\n"
	  "                 $LOCO_HOME/router.model)\n" },
	{ "eval", cmd_router_eval, U_EVAL,
	  "Route every query of a labelled file (domain<TAB>query, or JSON\n"
	  "Lines {\"domain\", \"query\"}) and score the decisions.  With\n"
	  "--oracle, run every active adapter and the base model on the\n"
	  "benchmarks (files, or domains for their standard ones) and score\n"
	  "the routed choice against the best one (regret).\n"
	  "  --host url     Ollama server (--oracle)\n"
	  "  --jobs n       requests in flight (--oracle; default:\n"
	  "                 inference.parallel)\n"
	  "  --json         print JSON\n"
	  "  --limit n      only the first n cases of a benchmark (--oracle)\n"
	  "  --oracle       score routing by the answers, against the best\n"
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
