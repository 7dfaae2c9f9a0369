/*
 * fuzz_ydoc.c: ydoc_parse_string, the YAML loader under config and
 * registry files, and the helpers that walk its tree.
 */
#include "fuzz.h"
#include "ydoc.h"

static const char *const keys[] = {
	"version", "base_model", "domains", "adapters", "name", "tag",
	"router_keywords", "backend", "inference", "options", "host"
};

static void
walk(const struct ynode *n, int depth)
{
	struct error *err;
	size_t i, j;

	FUZZ_CHECK(n != NULL);
	FUZZ_CHECK(depth <= 101);
	FUZZ_CHECK(n->line >= 1 && n->col >= 1);
	FUZZ_CHECK(ydoc_type_name(n) != NULL);
	switch (n->type) {
	case YNODE_SCALAR:
		FUZZ_CHECK(n->value != NULL);
		FUZZ_CHECK(n->nitems == 0 && n->nents == 0);
		(void)str_suggest(n->value, keys, ARRAY_SIZE(keys));
		break;
	case YNODE_SEQ:
		FUZZ_CHECK(n->value == NULL && n->nents == 0);
		for (i = 0; i < n->nitems; i++)
			walk(n->items[i], depth + 1);
		break;
	case YNODE_MAP:
		FUZZ_CHECK(n->value == NULL && n->nitems == 0);
		for (i = 0; i < n->nents; i++) {
			FUZZ_CHECK(n->ents[i].key->type == YNODE_SCALAR);
			walk(n->ents[i].key, depth + 1);
			walk(n->ents[i].value, depth + 1);
			/* Keys are unique, and ydoc_get finds each. */
			for (j = 0; j < i; j++)
				FUZZ_CHECK(strcmp(n->ents[j].key->value,
				    n->ents[i].key->value) != 0);
			FUZZ_CHECK(ydoc_get(n, n->ents[i].key->value) ==
			    n->ents[i].value);
		}
		break;
	default:
		FUZZ_CHECK(!"bad node type");
	}
	err = ydoc_error("fuzz.yaml", n, "bad %s", ydoc_type_name(n));
	FUZZ_CHECK(err->code == EXIT_CONFIG);
	fuzz_error_free(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ynode *root = NULL;
	struct error *err;

	err = ydoc_parse_string("fuzz.yaml", (const char *)data, size, &root);
	if (err != NULL) {
		FUZZ_CHECK(root == NULL);
		FUZZ_CHECK(err->code == EXIT_CONFIG);
		FUZZ_CHECK(strncmp(err->msg, "fuzz.yaml:", 10) == 0);
		fuzz_error_free(err);
		return 0;
	}
	if (root != NULL) {
		walk(root, 0);
		(void)ydoc_is_null(root);
	}
	ydoc_free(root);
	return 0;
}
