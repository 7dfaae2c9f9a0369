/*
 * fuzz_peftconfig.c: peft_config_parse on the input as adapter_config.json,
 * and peft_map_name on it as a tensor name.  An accepted config has a
 * rank and an alpha in range and nothing that is refused; a mapped name
 * is a GGUF LoRA name (blk.N.*, or output.weight for lm_head).
 */
#include "fuzz.h"
#include "peft.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static void
check_name(const char *s)
{
	struct error *err;
	const char *module;
	char *g;
	long layer;
	int is_b;

	err = peft_map_name(s, &g, &layer, &module, &is_b);
	if (err != NULL) {
		FUZZ_CHECK(err->code == EXIT_FAIL && g == NULL);
		fuzz_error_free(err);
		return;
	}
	/* lm_head is output.weight, with no layer. */
	if (layer == -1)
		FUZZ_CHECK(strcmp(module, "lm_head") == 0 &&
		    strcmp(g, is_b ? "output.weight.lora_b" :
		    "output.weight.lora_a") == 0);
	else
		FUZZ_CHECK(strncmp(g, "blk.", 4) == 0 && layer >= 0 &&
		    layer <= 99999);
	FUZZ_CHECK(strstr(g, is_b ? ".weight.lora_b" : ".weight.lora_a") !=
	    NULL);
	FUZZ_CHECK(strstr(s, module) != NULL);
	free(g);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct peft_config pc;
	struct error *err;
	char *s = fuzz_cstr(data, size);

	err = peft_config_parse("adapter_config.json", (const char *)data,
	    size, &pc);
	if (err != NULL) {
		FUZZ_CHECK(err->code == EXIT_INTEGRITY ||
		    err->code == EXIT_FAIL);
		fuzz_error_free(err);
	} else {
		FUZZ_CHECK(pc.r >= 1 && pc.r <= 65536);
		FUZZ_CHECK(pc.alpha > 0);
		FUZZ_CHECK(!pc.use_dora && pc.nmodules_to_save == 0);
		FUZZ_CHECK(!pc.layer_replication);
	}
	peft_config_release(&pc);
	check_name(s);
	free(s);
	return 0;
}
