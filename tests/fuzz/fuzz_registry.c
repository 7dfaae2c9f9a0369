/*
 * fuzz_registry.c: registry_load on a file holding the input.  A registry
 * that loads is then used as loco would: a keyword router over it, the
 * prompt for each adapter, its Ollama model name and a chat request body
 * with its parameters.
 */
#include <math.h>

#include "config.h"
#include "fuzz.h"
#include "json.h"
#include "ollama.h"
#include "prompt.h"
#include "registry.h"
#include "router.h"

static const char *const questions[] = {
	"What is the integral of x^2 from 0 to 3?",
	"Write a Python function that reverses a list in c++ or c#",
	"",
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_file_init("registry.yaml");
	return 0;
}

/* A base's own name names its weights. */
static void
use_base(const struct registry *r)
{
	struct weights_id self = { NULL, NULL, NULL, NULL, r->base.name };
	char *found, *missing;

	FUZZ_CHECK(registry_base_identity(&r->base, &self, &found, &missing)
	    == BASE_SAME);
	FUZZ_CHECK(found != NULL && missing == NULL);
	free(found);
}

static void
use_adapter(const struct registry *r, const struct adapter *a)
{
	struct chat_message msg = { .role = "user", .content = "hello" };
	struct chat_request cr;
	struct prompt pr;
	struct error *err;
	char *s;
	struct json *root;

	FUZZ_CHECK(a->name != NULL && a->version != NULL);
	FUZZ_CHECK(a->model != NULL);
	FUZZ_CHECK(registry_find(r, a->name) == a);
	FUZZ_CHECK(adapter_type_name(a->type) != NULL);
	s = adapter_model_name(a->name, a->version, r->base.tag);
	FUZZ_CHECK(a->type == ADAPTER_TAG || strcmp(s, a->model) == 0);
	FUZZ_CHECK(strlen(strchr(s, ':') + 1) <= MODEL_TAG_MAX);
	FUZZ_CHECK(strspn(strchr(s, ':') + 1, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	    strlen(strchr(s, ':') + 1));
	free(s);

	err = prompt_build(r, a, questions[0], 1, NULL, &pr);
	FUZZ_CHECK(err == NULL);
	FUZZ_CHECK(pr.user != NULL);
	prompt_release(&pr);

	memset(&cr, 0, sizeof(cr));
	cr.model = a->model;
	cr.messages = &msg;
	cr.nmessages = 1;
	cr.think = CHAT_THINK_OMIT;
	cr.params = a->params;
	cr.nparams = a->nparams;
	cr.temperature = NAN;
	cr.seed = CONFIG_UNSET_INT;
	cr.num_predict = CONFIG_UNSET_INT;
	s = ollama_chat_body(&cr);
	root = json_parse(s, strlen(s), NULL);
	FUZZ_CHECK(json_is_object(root));
	json_free(root);
	free(s);
}

static void
route(const struct registry *r)
{
	struct route_result res;
	struct router *rt;
	size_t i, j;

	rt = router_new_keyword(r, 1.0);
	for (i = 0; i < ARRAY_SIZE(questions); i++) {
		FUZZ_CHECK(router_route(rt, questions[i], &res) == NULL);
		FUZZ_CHECK(res.reason != NULL);
		for (j = 0; j < res.ncandidates; j++) {
			FUZZ_CHECK(res.candidates[j].score > 0);
			FUZZ_CHECK(res.candidates[j].adapter->active);
		}
		FUZZ_CHECK(res.confidence >= 0 && res.confidence <= 1);
		route_result_release(&res);
	}
	router_free(rt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct registry *r = NULL;
	struct error *err;
	size_t i;

	fuzz_file_write(data, size);
	err = registry_load(fuzz_path, &r);
	if (err == NULL && (err = registry_check_compose(r)) != NULL) {
		registry_free(r);
		r = NULL;
	}
	if (err != NULL) {
		FUZZ_CHECK(r == NULL);
		FUZZ_CHECK(err->code == EXIT_CONFIG);
		fuzz_error_free(err);
		return 0;
	}
	FUZZ_CHECK(r != NULL);
	FUZZ_CHECK(r->base.tag != NULL);
	use_base(r);
	for (i = 0; i < r->nadapters; i++)
		use_adapter(r, &r->adapters[i]);
	route(r);
	registry_free(r);
	return 0;
}
