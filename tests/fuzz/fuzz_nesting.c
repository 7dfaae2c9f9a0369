/*
 * fuzz_nesting.c: ydoc_check_nesting, the linear pre-scan that refuses
 * deep nesting before libyaml sees the text.  Besides not crashing, what
 * it lets through must really be that shallow: a text it passes at depth
 * max that parses has no lists and mappings nested deeper than 2 * max
 * (a flow list's "[a: b]" is a one-pair mapping the scan does not count),
 * so a quote or comment the scan misread cannot hide nesting from it.
 * Aliases are left out: they nest what the text does not.
 */
#include "fuzz.h"
#include "ydoc.h"

static int
depth(const struct ynode *n)
{
	int d = 0, c;
	size_t i;

	if (n == NULL || n->type == YNODE_SCALAR)
		return 0;
	for (i = 0; i < n->nitems; i++)
		if ((c = depth(n->items[i])) > d)
			d = c;
	for (i = 0; i < n->nents; i++)
		if ((c = depth(n->ents[i].value)) > d)
			d = c;
	return d + 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int maxes[] = { 1, 2, 4, 8 };
	struct ynode *root;
	struct error *err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(maxes); i++) {
		err = ydoc_check_nesting("fuzz.yaml", (const char *)data, size,
		    maxes[i]);
		if (err != NULL) {
			FUZZ_CHECK(err->code == EXIT_CONFIG);
			FUZZ_CHECK(strncmp(err->msg, "fuzz.yaml:", 10) == 0);
			fuzz_error_free(err);
			continue;
		}
		if (memchr(data, '*', size) != NULL)
			continue;
		root = NULL;
		err = ydoc_parse_string("fuzz.yaml", (const char *)data, size,
		    &root);
		if (err != NULL) {
			fuzz_error_free(err);
			continue;
		}
		if (depth(root) > 2 * maxes[i]) {
			fprintf(stderr, "depth %d passed the scan at %d\n",
			    depth(root), maxes[i]);
			FUZZ_CHECK(!"nesting hidden from the scan");
		}
		ydoc_free(root);
	}
	return 0;
}
