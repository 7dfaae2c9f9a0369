/*
 * cmd_router_train.c: loco router, its subcommand table, and loco router
 * train: the classifier router's model from the benchmarks, the adapters'
 * examples and general.txt.  loco router eval is in cmd_router_eval.c.
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

enum { O_JSON = 1, O_OUT };

static const struct opt train_opts[] = {
	{ "json", 0, O_JSON, OPT_FLAG, NULL, "print what was trained as JSON" },
	{ "out", 0, O_OUT, OPT_VALUE, "file", "where to write the model "
	  "(default: router.model, $LOCO_HOME/router.model)", OC_FILE },
};
static const struct opt_form train_forms[] = { { NULL, NULL, NULL } };
static const struct opt_operand train_operands[1];
static const struct optspec train_spec = { "router train", "train the "
    "classifier on the benchmarks, router_examples and general.txt",
    train_opts, OPT_NELEM(train_opts), train_forms, 1, train_operands, 0,
    NULL };

static struct error *
router_train(struct loco *lc, const struct subcmd *sc, int argc,
    char *argv[])
{
	struct registry *reg;
	struct classifier *m;
	struct clf_data d;
	struct error *err;
	struct optparse p;
	char *path = NULL, *dir;
	size_t *count, i;
	int id, json = 0;

	opt_init(&p, lc, sc->spec, argc, argv);
	while ((id = opt_next(&p)) > 0)
		switch (id) {
		case O_JSON:
			json = 1;
			break;
		case O_OUT:
			free(path);
			path = xstrdup(p.arg);
			break;
		}
	if (id < 0) {
		free(path);
		return opt_end(&p);
	}
	if (p.argc > 0) {
		free(path);
		return sub_usage_error(sc, "unexpected argument '%s'",
		    p.argv[0]);
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

static const struct subcmd subcmds[] = {
	{ .name = "train", .fn = router_train, .spec = &train_spec },
	{ .name = "eval", .fn = cmd_router_eval, .spec = &router_eval_spec },
};

const struct optspec router_spec = { "router", "train the classifier "
    "router and evaluate routers", NULL, 0, NULL, 0, NULL, 0, NULL };

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
