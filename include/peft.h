/*
 * peft.h: a Hugging Face PEFT LoRA folder (adapter_config.json and
 * adapter_model.safetensors) converted to a GGUF LoRA that llama.cpp
 * (llama-server) and Ollama load, with no Python.
 *
 * What is converted: LoRA (peft_type LORA) on the attention and MLP
 * projections of the llama-style families llama (mistral bases are
 * llama in GGUF), qwen2, qwen3, gemma2 and gemma3: q_proj, k_proj,
 * v_proj, o_proj, gate_proj, up_proj and down_proj of layer N become
 * blk.N.attn_q ... blk.N.ffn_down, lora_A to .lora_a and lora_B to
 * .lora_b.  torch stores lora_A as [r, in] and lora_B as [out, r]
 * row-major; GGUF lists dimensions fastest first, so the bytes are the
 * same and the dimensions are reversed (lora_a [in, r], lora_b [r, out]).
 *
 * A LoRA on lm_head (base_model.model.lm_head.lora_A.weight [r, hidden],
 * lora_B [vocab, r]) becomes output.weight.lora_a and .lora_b, laid out
 * the same way, as llama.cpp's convert_lora_to_gguf.py writes it.
 * llama.cpp applies it only to a base with its own output.weight; a base
 * that ties its output to token_embd.weight has none (Qwen3-4B, every
 * gemma2), so with a base GGUF that has no output.weight, or for gemma2,
 * it is refused, and without a base it is converted with a warning.
 *
 * llama's GGUF keeps q and k rows in RoPE's adjacent-pair order, where
 * Hugging Face keeps each head's two halves apart; llama.cpp's
 * convert_hf_to_gguf.py permutes q_proj and k_proj rows for llama
 * (LlamaModel.permute, with the KV head count for k), and so does this
 * converter for lora_B's rows.  qwen2, qwen3 and gemma use NEOX RoPE:
 * no permutation.
 *
 * Scale: PEFT applies alpha / r (alpha / sqrt(r) with use_rslora) and
 * llama.cpp alpha / r with r the rank of each tensor, so the file's
 * adapter.lora.alpha is lora_alpha, or lora_alpha * sqrt(r) for rsLoRA;
 * a module whose alpha_pattern or rank_pattern gives it another scale
 * than that gets the ratio multiplied into its lora_B.
 *
 * fan_in_fan_out changes nothing here: PEFT's forward is always
 * lora_B(lora_A(x)), with lora_A [r, in] and lora_B [out, r]; the flag
 * only transposes the merged update for GPT-2's Conv1D weights, and PEFT
 * turns it off for the nn.Linear layers these families have.
 *
 * Refused, each with why: DoRA (use_dora), modules_to_save, LoRA on the
 * token embeddings (embed_tokens, lora_embedding_A/B), LoRA on lm_head
 * for a tied base, fused projections (qkv_proj, gate_up_proj,
 * W_pack, ...), bias tensors, layer_replication, other PEFT types, and
 * any tensor of another module.
 */
#ifndef LOCO_PEFT_H
#define LOCO_PEFT_H

#include <stddef.h>

#include "error.h"

struct peft_pattern {
	char	*key;		/* a module name or its tail */
	double	 value;
};

struct peft_config {
	char		*path;
	char		*peft_type;	/* "LORA" */
	long		 r;
	double		 alpha;
	char		*base_model;	/* base_model_name_or_path, or NULL */
	char		**targets;	/* target_modules, as a list */
	size_t		 ntargets;
	char		*target_regex;	/* target_modules as one string */
	int		 use_dora;
	int		 use_rslora;
	int		 fan_in_fan_out;
	char		*bias;		/* "none", "all", "lora_only" */
	char		**modules_to_save;
	size_t		 nmodules_to_save;
	struct peft_pattern *rank_pattern;
	size_t		 nrank_pattern;
	struct peft_pattern *alpha_pattern;
	size_t		 nalpha_pattern;
	int		 layer_replication;	/* set and not null */
};

/*
 * Read and check adapter_config.json.  EXIT_INTEGRITY when it is not the
 * JSON PEFT writes (naming the key); EXIT_FAIL for what is valid but not
 * convertible (DoRA, modules_to_save, another peft_type, ...).
 */
struct error	*peft_config_read(const char *path, struct peft_config *);
/* The same on text in memory (path names it in messages). */
struct error	*peft_config_parse(const char *path, const char *text,
		    size_t len, struct peft_config *);
void		 peft_config_release(struct peft_config *);

/*
 * The GGUF name of a PEFT tensor name:
 *   base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight
 *     -> blk.3.attn_q.weight.lora_a
 * (an adapter name, "lora_A.default.weight", and the missing ".weight"
 * are accepted), and base_model.model.lm_head.lora_B.weight ->
 * output.weight.lora_b.  *layer (-1 for lm_head), *module ("q_proj",
 * "lm_head") and *is_b describe it.  EXIT_FAIL with the reason for what
 * cannot be converted.
 */
struct error	*peft_map_name(const char *name, char **gguf_name,
		    long *layer, const char **module, int *is_b);

/* Permute lora_B's rows from Hugging Face's q/k order to llama.cpp's. */
void		 peft_permute_rows(float *b, size_t out, size_t r,
		    size_t n_head);
/* Its inverse (GGUF to Hugging Face), for tests and exporters. */
void		 peft_unpermute_rows(float *b, size_t out, size_t r,
		    size_t n_head);

enum peft_outtype {
	PEFT_F16,
	PEFT_F32
};

struct peft_convert {
	const char	*dir;		/* the PEFT folder */
	const char	*out;		/* the GGUF to write */
	const char	*base;		/* the base model's GGUF, or NULL */
	const char	*arch;		/* without a base: its architecture */
	const char	*name;		/* general.name, or NULL: the folder's */
	enum peft_outtype outtype;
	int		 quiet;		/* no warnings on stderr */
};

struct peft_result {
	char		*architecture;
	long		 rank;		/* the largest */
	double		 alpha;		/* adapter.lora.alpha written */
	size_t		 npairs;
	size_t		 ntensors;
	unsigned long long bytes;	/* of the GGUF */
	unsigned long long nonfinite;	/* NaN or Inf values seen */
	int		 shapes_checked;	/* against a base */
	int		 permuted;	/* q/k rows reordered (llama) */
};

/*
 * Convert c->dir into c->out: reads the config, checks every tensor
 * (and, with a base, its shape against the base's tensor of that name),
 * then writes a temporary file beside c->out, fsyncs it and renames it
 * into place; on any error nothing is left.  Without a base, c->arch is
 * required and shapes are not checked (llama q/k LoRAs, which need the
 * head counts, are refused).
 */
struct error	*peft_convert(const struct peft_convert *c,
		    struct peft_result *res);
void		 peft_result_release(struct peft_result *);

#endif
