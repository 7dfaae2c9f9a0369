/* cmd_route.c: loco route: the routing decision, without inference. */
#include <getopt.h>
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

struct error *
cmd_route(struct loco *lc, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "explain", no_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cmd *c = cmd_find("route");
	struct route_result rr;
	struct registry *reg;
	struct router *r = NULL;
	struct error *err;
	char *question = NULL;
	int ch, json = 0, explain = 0;

	memset(&rr, 0, sizeof(rr));
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cmd_help_print(c);
			return NULL;
		case 'e':
			explain = 1;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cmd_option_error(c, ch, argv);
		}
	}
	if ((err = loco_question(c, argc - optind, argv + optind, &question)))
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
