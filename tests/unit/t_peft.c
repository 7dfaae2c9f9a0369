/*
 * t_peft.c: the pieces of the PEFT converter that are arithmetic: half
 * precision both ways (every F16 value, round-to-nearest-even at the
 * halfway points, subnormals, overflow), llama's q/k row permutation
 * against a hand-worked case, and the name mapping's accepted variants.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peft.h"
#include "safetensors.h"
#include "unit.h"

static float
bits_to_f32(uint32_t u)
{
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

TEST(f16_every_value_round_trips)
{
	uint32_t h;
	int bad = 0;

	for (h = 0; h < 0x10000; h++) {
		float f = st_f16_to_f32((uint16_t)h);

		if (isnan(f)) {
			if ((st_f32_to_f16(f) & 0x7c00) != 0x7c00 ||
			    (st_f32_to_f16(f) & 0x3ff) == 0)
				bad++;
			continue;
		}
		if (st_f32_to_f16(f) != h)
			bad++;
	}
	CHECK_INT(bad, 0);
}

TEST(f16_rounds_to_nearest_even)
{
	/* 1 + 2^-11 is halfway between 1 and 1 + 2^-10: to even, 1. */
	CHECK_INT(st_f32_to_f16(1.0f + ldexpf(1, -11)), 0x3c00);
	/* 1 + 3 * 2^-11 is halfway to 1 + 2^-9 (even). */
	CHECK_INT(st_f32_to_f16(1.0f + 3 * ldexpf(1, -11)), 0x3c02);
	/* Just above halfway rounds up. */
	CHECK_INT(st_f32_to_f16(1.0f + ldexpf(1, -11) + ldexpf(1, -20)),
	    0x3c01);
	CHECK_INT(st_f32_to_f16(65504.0f), 0x7bff);
	CHECK_INT(st_f32_to_f16(65520.0f), 0x7c00);	/* rounds to Inf */
	CHECK_INT(st_f32_to_f16(-1e10f), 0xfc00);
	/* Smallest subnormal, and half of it (ties to even: zero). */
	CHECK_INT(st_f32_to_f16(ldexpf(1, -24)), 0x0001);
	CHECK_INT(st_f32_to_f16(ldexpf(1, -25)), 0x0000);
	CHECK_INT(st_f32_to_f16(ldexpf(3, -25)), 0x0002);
	CHECK_INT(st_f32_to_f16(-0.0f), 0x8000);
	CHECK_INT(st_f32_to_f16(bits_to_f32(0x7fc00000)) & 0x7e00, 0x7e00);
	CHECK_DBL(st_bf16_to_f32(0x3f80), 1.0, 0);
	CHECK_DBL(st_bf16_to_f32(0xc040), -3.0, 0);
}

/* Two heads of 4 rows, rank 1: HF rows h0 = [0 1 | 2 3] become the
 * adjacent pairs (0, 2), (1, 3). */
TEST(permute_rows_matches_llama_cpp)
{
	float b[8] = { 0, 1, 2, 3, 10, 11, 12, 13 };
	const float want[8] = { 0, 2, 1, 3, 10, 12, 11, 13 };
	float r2[16];
	size_t i;

	peft_permute_rows(b, 8, 1, 2);
	for (i = 0; i < 8; i++)
		CHECK_DBL(b[i], want[i], 0);
	peft_unpermute_rows(b, 8, 1, 2);
	for (i = 0; i < 8; i++)
		CHECK_DBL(b[i], i < 4 ? (double)i : (double)(i + 6), 0);
	/* Rank 2: whole rows move. */
	for (i = 0; i < 16; i++)
		r2[i] = (float)i;
	peft_permute_rows(r2, 8, 2, 2);
	CHECK_DBL(r2[2], 4, 0);		/* row 1 is old row 2 */
	CHECK_DBL(r2[3], 5, 0);
	peft_unpermute_rows(r2, 8, 2, 2);
	for (i = 0; i < 16; i++)
		CHECK_DBL(r2[i], (double)i, 0);
}

static void
map_ok(const char *name, const char *want, long want_layer, int want_b)
{
	char *g;
	const char *module;
	long layer = -2;
	int is_b = -1;

	CHECK_OK(peft_map_name(name, &g, &layer, &module, &is_b));
	CHECK_STR(g, want);
	CHECK_INT(layer, want_layer);
	CHECK_INT(is_b, want_b);
	free(g);
}

TEST(map_names)
{
	char *g;
	const char *m;
	long l;
	int b;

	map_ok("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
	    "blk.0.attn_q.weight.lora_a", 0, 0);
	map_ok("base_model.model.model.layers.35.mlp.down_proj.lora_B.weight",
	    "blk.35.ffn_down.weight.lora_b", 35, 1);
	map_ok("base_model.model.model.layers.2.self_attn.o_proj.lora_B."
	    "default.weight", "blk.2.attn_output.weight.lora_b", 2, 1);
	map_ok("base_model.model.layers.1.mlp.gate_proj.lora_A",
	    "blk.1.ffn_gate.weight.lora_a", 1, 0);
	map_ok("base_model.model.model.language_model.layers.3.mlp.up_proj."
	    "lora_A.weight", "blk.3.ffn_up.weight.lora_a", 3, 0);
	CHECK_ERR(peft_map_name("base_model.model.model.layers.01.self_attn."
	    "q_proj.lora_A.weight", &g, &l, &m, &b), "tensor 'base_model."
	    "model.model.layers.01.self_attn.q_proj.lora_A.weight' is not a "
	    "LoRA on a projection loco converts (layers.N.self_attn.{q,k,v,o}"
	    "_proj, layers.N.mlp.{gate,up,down}_proj or lm_head, lora_A or "
	    "lora_B)");
	CHECK_ERR(peft_map_name("base_model.model.model.layers.0.self_attn."
	    "q_proj.lora_B.bias", &g, &l, &m, &b), "tensor 'base_model.model."
	    "model.layers.0.self_attn.q_proj.lora_B.bias' is a LoRA bias "
	    "(lora_bias): not converted, a GGUF LoRA has none");
	/* lm_head is output.weight, with no layer. */
	map_ok("base_model.model.lm_head.lora_A.weight",
	    "output.weight.lora_a", -1, 0);
	map_ok("base_model.model.lm_head.lora_B.default.weight",
	    "output.weight.lora_b", -1, 1);
	CHECK_OK(peft_map_name("lm_head.lora_B", &g, &l, &m, &b));
	CHECK_STR(g, "output.weight.lora_b");
	CHECK_STR(m, "lm_head");
	free(g);
	CHECK_ERR(peft_map_name("base_model.model.lm_head.base_layer.weight",
	    &g, &l, &m, &b), "tensor 'base_model.model.lm_head.base_layer."
	    "weight' is not a LoRA on a projection loco converts (layers.N."
	    "self_attn.{q,k,v,o}_proj, layers.N.mlp.{gate,up,down}_proj or "
	    "lm_head, lora_A or lora_B)");
	CHECK_ERR(peft_map_name("base_model.model.lm_head", &g, &l, &m, &b),
	    "tensor 'base_model.model.lm_head' is not a LoRA on a projection "
	    "loco converts (layers.N.self_attn.{q,k,v,o}_proj, layers.N.mlp."
	    "{gate,up,down}_proj or lm_head, lora_A or lora_B)");
	/* The embeddings are not converted. */
	CHECK_ERR(peft_map_name("base_model.model.model.embed_tokens."
	    "lora_embedding_A.default", &g, &l, &m, &b), "tensor 'base_model."
	    "model.model.embed_tokens.lora_embedding_A.default' is on the "
	    "token embeddings: such LoRAs are not converted; train without "
	    "them");
	CHECK(g == NULL);
}

TEST(config_keys)
{
	struct peft_config pc;
	const char *text = "{\"r\": 16, \"lora_alpha\": 32, \"target_modules\":"
	    " [\"q_proj\", \"v_proj\"], \"base_model_name_or_path\": \"Qwen/"
	    "Qwen3-4B\", \"use_rslora\": true, \"rank_pattern\": {\"q_proj\": "
	    "8}, \"modules_to_save\": null, \"peft_type\": \"LORA\"}";

	CHECK_OK(peft_config_parse("c.json", text, strlen(text), &pc));
	CHECK_INT(pc.r, 16);
	CHECK_DBL(pc.alpha, 32, 0);
	CHECK_INT(pc.ntargets, 2);
	CHECK_STR(pc.targets[1], "v_proj");
	CHECK_STR(pc.base_model, "Qwen/Qwen3-4B");
	CHECK_INT(pc.use_rslora, 1);
	CHECK_INT(pc.nrank_pattern, 1);
	CHECK_DBL(pc.rank_pattern[0].value, 8, 0);
	peft_config_release(&pc);
	text = "{\"r\": 16, \"lora_alpha\": 32, \"target_modules\": "
	    "\"all-linear\"}";
	CHECK_OK(peft_config_parse("c.json", text, strlen(text), &pc));
	CHECK_STR(pc.target_regex, "all-linear");
	peft_config_release(&pc);
	text = "{\"r\": 8, \"lora_alpha\": 16, \"target_modules\": "
	    "[\"q_proj\", \"lm_head\"]}";
	CHECK_OK(peft_config_parse("c.json", text, strlen(text), &pc));
	CHECK_STR(pc.targets[1], "lm_head");
	peft_config_release(&pc);
	text = "{\"r\": 8, \"lora_alpha\": 16, \"target_modules\": "
	    "[\"lm_head\", \"embed_tokens\"]}";
	CHECK_ERR(peft_config_parse("c.json", text, strlen(text), &pc),
	    "'c.json': target_modules holds 'embed_tokens': a LoRA on the "
	    "token embeddings is not converted (loco converts the attention "
	    "and MLP projections and lm_head); train without it");
	peft_config_release(&pc);
	text = "{\"lora_alpha\": 32}";
	CHECK_ERR(peft_config_parse("c.json", text, strlen(text), &pc),
	    "'c.json': no \"r\" (the LoRA rank)");
	peft_config_release(&pc);
}

/* The bulk conversion (F16C where the CPU has it) agrees with the
 * scalar one on every half, the halfway points, and counts specials. */
TEST(f16_bulk_matches_scalar)
{
	enum { N = 0x10000 + 64 };
	float *in = malloc(N * sizeof(*in));
	uint16_t *out = malloc(N * sizeof(*out));
	size_t i, special = 0, got;
	int bad = 0;

	for (i = 0; i < 0x10000; i++)
		in[i] = st_f16_to_f32((uint16_t)i);
	for (; i < N; i++)	/* halfway and just past, around 1 and 65504 */
		in[i] = (i & 1) ? 1.0f + ldexpf((float)(i - 0x10000), -11) :
		    65504.0f + (float)(i - 0x10000);
	for (i = 0; i < N; i++)
		special += (st_f32_to_f16(in[i]) & 0x7c00) == 0x7c00;
	got = st_f32_to_f16_n(in, out, N);
	CHECK_INT(got, special);
	for (i = 0; i < N; i++) {
		uint16_t want = st_f32_to_f16(in[i]);

		if (isnan(in[i]) ? (out[i] & 0x7c00) != 0x7c00 ||
		    (out[i] & 0x3ff) == 0 : out[i] != want)
			bad++;
	}
	CHECK_INT(bad, 0);
	free(in);
	free(out);
}
