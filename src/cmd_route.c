/* cmd_route.c: loco route: the routing decision, without inference. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "jsonout.h"
#include "router.h"
#include "banned.h"

static void
print_text(const struct registry *reg, const struct route_result *rr)
{
	size_t i, k;

	if (rr->adapter != NULL)
		printf("%s\tdomain %s, model %s, score %g, confidence %.2f\n",
		    rr->adapter->name, rr->adapter->domain, rr->adapter->model,
		    rr->score, rr->confidence);
	else
		printf("base\tmodel %s (%s)\n", reg->base.tag, rr->reason);
	for (i = 0; i < rr->ncandidates; i++) {
		const struct route_candidate *c = &rr->candidates[i];

		printf("  %-12s %6g  ", c->adapter->name, c->score);
		for (k = 0; k < c->nhits; k++)
			printf("%s%s", k ? ", " : "", c->hits[k]);
		printf("\n");
	}
}

/* --explain: the chain's decision, the probabilities, the features. */
static void
print_explain(const struct route_result *rr)
{
	size_t i;

	printf("decided by: %s\n", rr->link);
	if (rr->nclasses > 0) {
		printf("probabilities:\n");
		for (i = 0; i < rr->nclasses; i++)
			printf("  %-12s %.3f\n", rr->classes[i], rr->probs[i]);
	}
	if (rr->nfeatures > 0) {
		printf("top features:\n");
		for (i = 0; i < rr->nfeatures; i++)
			printf("  %-20s %.3f\n", rr->features[i].name,
			    rr->features[i].contrib);
	}
}

static void
explain_json(struct jout *j, const struct route_result *rr)
{
	size_t i;

	jout_str(j, "link", rr->link);
	jout_obj(j, "probabilities");
	for (i = 0; i < rr->nclasses; i++)
		jout_num(j, rr->classes[i], round(rr->probs[i] * 1e4) / 1e4);
	jout_end(j);
	jout_arr(j, "features");
	for (i = 0; i < rr->nfeatures; i++) {
		jout_obj(j, NULL);
		jout_str(j, "feature", rr->features[i].name);
		jout_num(j, "contribution",
		    round(rr->features[i].contrib * 1e4) / 1e4);
		jout_end(j);
	}
	jout_end(j);
}

enum { O_EXPLAIN = 1, O_JSON };

static const struct opt route_opts[] = {
	{ "explain", 0, O_EXPLAIN, OPT_FLAG, NULL, "show the probabilities, "
	  "the features behind the decision and which link of the chain "
	  "decided" },
	{ "json", 0, O_JSON, OPT_FLAG, NULL, "print the decision as JSON" },
};
static const struct opt_form route_forms[] = {
	{ NULL, NULL, "question" },
};
static const struct opt_operand route_operands[] = {
	{ "question", "the question; - reads it from standard input",
	  OC_NONE, NULL },
};
const struct optspec route_spec = OPTSPEC("route", "show which adapter a "
    "question would go to, without inference", route_opts, route_forms,
    route_operands);

struct error *
cmd_route(struct loco *lc, int argc, char *argv[])
{
	const struct cmd *c = cmd_find("route");
	struct route_result rr;
	struct registry *reg;
	struct router *r = NULL;
	struct error *err;
	struct optparse p;
	char *question = NULL;
	int id, json = 0, explain = 0;

	memset(&rr, 0, sizeof(rr));
	opt_init(&p, lc, &route_spec, argc, argv);
	while ((id = opt_next(&p)) > 0)
		switch (id) {
		case O_EXPLAIN:
			explain = 1;
			break;
		case O_JSON:
			json = 1;
			break;
		}
	if (id < 0)
		return opt_end(&p);
	argc = p.argc;
	argv = p.argv;
	if ((err = loco_question(c, argc, argv, &question)))
		return err;
	if ((err = loco_registry(lc, &reg)) != NULL)
		goto done;
	if ((err = loco_router(lc, reg, &r, 0)) != NULL)
		goto done;
	if ((err = router_route(r, question, &rr)) != NULL)
		goto done;
	if (json) {
		struct jout *j = jout_new();

		jout_str(j, "adapter", rr.adapter ? rr.adapter->name : NULL);
		jout_str(j, "domain", rr.adapter ? rr.adapter->domain : NULL);
		jout_str(j, "model", rr.adapter ? rr.adapter->model :
		    reg->base.tag);
		jout_str(j, "router", router_kind(r));
		route_describe_json(j, &rr);
		if (explain)
			explain_json(j, &rr);
		loco_print_json(j);
	} else {
		print_text(reg, &rr);
		if (explain)
			print_explain(&rr);
	}
done:
	route_result_release(&rr);
	router_free(r);
	free(question);
	return err;
}
