/*
 * fuzz_index.c: index_load of a package index file holding the input (a
 * path, never a URL: nothing is fetched).  An index that loads is checked
 * entry by entry, then searched with index_best and index_match the way
 * "loco adapters install" and "loco adapters search" do.
 */
#include "fuzz.h"
#include "pindex.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_file_init("index.yaml");
	return 0;
}

static int
is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

static void
check_entry(const struct index_entry *e)
{
	size_t i;

	FUZZ_CHECK(e->name != NULL && e->version != NULL);
	FUZZ_CHECK(e->url != NULL && e->sha256 != NULL);
	FUZZ_CHECK(is_hex64(e->sha256));
	FUZZ_CHECK(e->size >= -1);
	FUZZ_CHECK(e->ntags == 0 || e->tags != NULL);
	for (i = 0; i < e->ntags; i++)
		FUZZ_CHECK(e->tags[i] != NULL);
}

static void
search(const struct pkg_index *idx)
{
	static const char *const bases[] = { NULL, "qwen3:4b", "llama3" };
	const struct index_entry *e, *b;
	size_t i, j, k;

	for (i = 0; i < idx->n; i++) {
		e = &idx->entries[i];
		for (k = 0; k < ARRAY_SIZE(bases); k++) {
			b = index_best(idx, e->name, NULL, bases[k]);
			if (b != NULL) {
				FUZZ_CHECK(b >= idx->entries &&
				    b < idx->entries + idx->n);
				FUZZ_CHECK(strcmp(b->name, e->name) == 0);
			}
			b = index_best(idx, e->name, e->version, bases[k]);
			if (b != NULL) {
				FUZZ_CHECK(strcmp(b->name, e->name) == 0);
				FUZZ_CHECK(strcmp(b->version, e->version) ==
				    0);
			}
		}
		/* With no base model every entry is a candidate. */
		FUZZ_CHECK(index_best(idx, e->name, NULL, NULL) != NULL);
		FUZZ_CHECK(index_best(idx, e->name, e->version, NULL) !=
		    NULL);
		FUZZ_CHECK(index_match(e, ""));
		FUZZ_CHECK(index_match(e, e->name));
		for (j = 0; j < e->ntags; j++)
			FUZZ_CHECK(index_match(e, e->tags[j]));
		if (e->domain != NULL)
			FUZZ_CHECK(index_match(e, e->domain));
		(void)index_match(e, "math");
		(void)index_match(e, "\xc3\x9f");
	}
	FUZZ_CHECK(index_best(idx, "", NULL, NULL) == NULL ||
	    idx->n > 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkg_index *idx = NULL;
	struct error *err;
	size_t i;

	fuzz_file_write(data, size);
	err = index_load(fuzz_path, 1, &idx);
	if (err != NULL) {
		FUZZ_CHECK(idx == NULL);
		FUZZ_CHECK(err->code == EXIT_CONFIG);
		fuzz_error_free(err);
		return 0;
	}
	FUZZ_CHECK(idx != NULL && idx->source != NULL);
	FUZZ_CHECK(strcmp(idx->source, fuzz_path) == 0);
	FUZZ_CHECK(idx->n == 0 || idx->entries != NULL);
	for (i = 0; i < idx->n; i++)
		check_entry(&idx->entries[i]);
	search(idx);
	index_free(idx);
	return 0;
}
