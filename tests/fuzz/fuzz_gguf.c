/*
 * fuzz_gguf.c: gguf_read on a file holding the input.  A header that reads
 * is checked for consistency, then gguf_check'ed as a model and as a LoRA,
 * with and without a base model's architecture.
 */
#include "fuzz.h"
#include "gguf.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_file_init("model.gguf");
	return 0;
}

static int
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* gguf_check one way; 1 if it passed. */
static int
check(const struct gguf_info *gi, enum gguf_kind want, const char *base_arch,
    const char *base_tag)
{
	struct error *err;

	err = gguf_check(fuzz_path, gi, want, base_arch, base_tag);
	if (err == NULL)
		return 1;
	FUZZ_CHECK(err->code == EXIT_INTEGRITY);
	fuzz_error_free(err);
	return 0;
}

static void
check_kinds(const struct gguf_info *gi)
{
	static const char *const archs[] = { "qwen3", "llama", "" };
	int model, lora, i, j;

	model = check(gi, GGUF_MODEL, NULL, NULL);
	lora = check(gi, GGUF_LORA, NULL, NULL);
	/* general.type cannot be both absent/"model" and "adapter". */
	FUZZ_CHECK(!(model && lora));
	if (model || lora)
		FUZZ_CHECK(gi->architecture != NULL);
	for (i = 0; i < 2; i++) {
		enum gguf_kind k = i == 0 ? GGUF_MODEL : GGUF_LORA;
		int base = i == 0 ? model : lora;

		for (j = 0; j < (int)ARRAY_SIZE(archs); j++) {
			int ok1 = check(gi, k, archs[j], NULL);
			int ok2 = check(gi, k, archs[j], "qwen3:4b");

			FUZZ_CHECK(ok1 == ok2);
			/* A base architecture only adds a condition. */
			if (ok1)
				FUZZ_CHECK(base &&
				    strcmp(gi->architecture, archs[j]) == 0);
		}
		/* Its own architecture always matches. */
		if (base)
			FUZZ_CHECK(check(gi, k, gi->architecture,
			    "qwen3:4b"));
	}
}

static void
check_info(const struct gguf_info *gi, size_t size)
{
	size_t i, j;

	FUZZ_CHECK(gi->version == 2 || gi->version == 3);
	FUZZ_CHECK(gi->file_size == size);
	FUZZ_CHECK(gi->nkvs <= gi->kv_count);
	FUZZ_CHECK(gi->nkvs == 0 || gi->kvs != NULL);
	FUZZ_CHECK(gi->alignment != 0 &&
	    (gi->alignment & (gi->alignment - 1)) == 0);
	FUZZ_CHECK(gi->data_offset <= gi->file_size);
	FUZZ_CHECK(gi->data_size <= gi->file_size - gi->data_offset);
	if (gi->tensor_count > 0)
		FUZZ_CHECK(gi->data_offset % gi->alignment == 0);
	else
		FUZZ_CHECK(gi->data_size == 0);
	for (i = 0; i < gi->nkvs; i++) {
		FUZZ_CHECK(gi->kvs[i].key != NULL && gi->kvs[i].value != NULL);
		FUZZ_CHECK(gi->kvs[i].key[0] != '\0');
		FUZZ_CHECK(has_prefix(gi->kvs[i].key, "general.") ||
		    has_prefix(gi->kvs[i].key, "adapter."));
		/* Keys are unique, so gguf_get finds this one. */
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(gi->kvs[i].key, gi->kvs[j].key) != 0);
		FUZZ_CHECK(gguf_get(gi, gi->kvs[i].key) == gi->kvs[i].value);
	}
	FUZZ_CHECK(gi->architecture == gguf_get(gi, "general.architecture"));
	FUZZ_CHECK(gi->type == gguf_get(gi, "general.type"));
	FUZZ_CHECK(gi->adapter_type == gguf_get(gi, "adapter.type"));
	FUZZ_CHECK(gi->name == gguf_get(gi, "general.name"));
	FUZZ_CHECK(gguf_get(gi, "general.alignment") == NULL);
	FUZZ_CHECK(gguf_get(gi, "adapter.lora.alpha") == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gguf_info gi;
	struct error *err;

	fuzz_file_write(data, size);
	err = gguf_read(fuzz_path, &gi);
	if (err != NULL) {
		FUZZ_CHECK(err->code == EXIT_INTEGRITY);
		fuzz_error_free(err);
		/* Left empty, and releasing it is still allowed. */
		FUZZ_CHECK(gi.kvs == NULL && gi.nkvs == 0);
		FUZZ_CHECK(gi.architecture == NULL && gi.type == NULL);
		gguf_info_release(&gi);
		return 0;
	}
	check_info(&gi, size);
	check_kinds(&gi);
	gguf_info_release(&gi);
	FUZZ_CHECK(gi.kvs == NULL && gi.nkvs == 0);
	return 0;
}
