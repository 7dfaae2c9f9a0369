#!/bin/sh
# t_convert.sh: loco adapters convert, a PEFT LoRA folder to a GGUF LoRA:
# a synthetic Qwen3-shaped adapter against a synthetic Qwen3 base checked
# value by value (F16 and F32, F32/F16/BF16 in), llama's q/k row
# permutation, rsLoRA and alpha_pattern scales, a LoRA on lm_head (against
# a base with its own output.weight, a tied one, none, and in llama-server
# against the LoRA merged), every refused config and
# every damaged safetensors file (exit status, message naming the file
# and the tensor, nothing written), NaN warnings, the base found through
# the registry, and adapters add --peft.
. "$TOP/tests/cmd/lib.sh"
area_begin convert
P="node $TOP/tests/cmd/peft.js"
# Qwen3-shaped and small: 32 x 4 heads is not the width, as in Qwen3-4B.
Q3="--layers 4 --hidden 64 --heads 4 --kv 2 --head-dim 32 --ff 96"
$P base q3.gguf --arch qwen3 $Q3
$P base ll.gguf --arch llama --layers 2 --hidden 64 --heads 4 --kv 2

# nothing_written DIR: DIR holds only what it held before the run
# (listed in $W/before), so no output and no temporary file was left.
snap() { ls -A "$1" >"$W/before"; }
nothing_written() {
	if ls -A "$1" | cmp -s - "$W/before"; then pass; else
		fail "something was left in $1: $(ls -A "$1" | tr '\n' ' ')"
	fi
}

t "a Qwen3-shaped rank-16 adapter on q, k, v, o: F16 by default"
$P adapter qa $Q3 --rank 16 --alpha 32 --targets q,k,v,o
run_loco adapters convert --base q3.gguf qa
expect_rc 0
expect_out "wrote qa.gguf: 16 LoRA pairs, rank 16, alpha 32, qwen3, f16"
expect_err "loco: shapes checked against 'q3.gguf'"
if $P check qa qa.gguf --f16 --arch qwen3 >/dev/null 2>"$W/check"; then pass; else fail "$(cat "$W/check")"; fi

t "F32 out is exact; every projection; -o"
$P adapter all $Q3 --rank 8 --targets q,k,v,o,gate,up,down --seed 7
run_loco adapters convert --base q3.gguf --outtype f32 -o gg/all32.gguf all
expect_rc 1
expect_err "loco: cannot write 'gg/all32.gguf': No such file or directory"
mkdir gg
run_loco adapters convert --base q3.gguf --outtype f32 -o gg/all32.gguf all
expect_rc 0
expect_out "wrote gg/all32.gguf: 28 LoRA pairs, rank 8, alpha 16, qwen3, f32"
if $P check all gg/all32.gguf --arch qwen3 >/dev/null 2>"$W/check"; then pass; else fail "$(cat "$W/check")"; fi

t "F16 and BF16 in; the adapter name PEFT may keep; --json"
$P adapter h16 $Q3 --dtype F16 --infix .default
run_loco adapters convert --base q3.gguf --json h16
expect_rc 0
expect_eq "$(json 'out.output + " " + out.pairs + " " + out.outtype + " " + out.base + " " + out.permuted')" \
    "h16.gguf 16 f16 q3.gguf false" "--json"
if $P check h16 h16.gguf --f16 --arch qwen3 >/dev/null 2>"$W/check"; then pass; else fail "$(cat "$W/check")"; fi
$P adapter b16 $Q3 --dtype BF16 --prefix base_model.model.
run_loco adapters convert --base q3.gguf --outtype f32 b16
expect_rc 0
if $P check b16 b16.gguf --arch qwen3 >/dev/null 2>"$W/check"; then pass; else fail "$(cat "$W/check")"; fi

t "llama: lora_B rows of q and k permuted as convert_hf_to_gguf does"
$P adapter la --layers 2 --hidden 64 --heads 4 --kv 2 --targets q,k,v,o --seed 3
run_loco adapters convert --base ll.gguf --outtype f32 la
expect_rc 0
expect_out "wrote la.gguf: 8 LoRA pairs, rank 4, alpha 8, llama, f32, q/k rows reordered for llama.cpp"
if $P check la la.gguf --arch llama --heads 4 --kv 2 >/dev/null 2>"$W/check"; then pass; else fail "$(cat "$W/check")"; fi
# Without the permutation the check must fail: it is not vacuous.
if $P check la la.gguf --arch qwen3 >/dev/null 2>&1; then fail "unpermuted rows matched"; else pass; fi

t "llama q/k without a base: the head counts are unknown"
snap .
run_loco adapters convert --arch mistral la
expect_rc 5
expect_err "loco: 'la/adapter_model.safetensors': tensor 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight' needs the base's head counts: llama's q_proj and k_proj rows are reordered for llama.cpp; give --base FILE.gguf"
nothing_written .

t "--arch without a base: converted, shapes not checked"
$P adapter lv --layers 2 --hidden 64 --heads 4 --kv 2 --targets v,up,down
run_loco adapters convert --arch mistral lv
expect_rc 0
expect_out "wrote lv.gguf: 6 LoRA pairs, rank 4, alpha 8, llama, f16"
expect_err "loco: warning: shapes not checked (no base model GGUF): llama.cpp refuses a mismatch at load"
run_loco adapters convert --arch phi3 lv
expect_rc 1
expect_err "loco: architecture 'phi3' is not one loco converts LoRAs for (llama, mistral, qwen2, qwen3, gemma2, gemma3)"
run_loco adapters convert --base q3.gguf --arch llama qa
expect_rc 1
expect_err "loco: --arch llama does not match the base 'q3.gguf', which is 'qwen3'"

t "rsLoRA and alpha_pattern: scales as PEFT applies them"
$P adapter rs $Q3 --rank 16 --alpha 16 --config '{"use_rslora": true, "alpha_pattern": {"model.layers.1.self_attn.v_proj": 64}}'
run_loco adapters convert --base q3.gguf --outtype f32 rs
expect_rc 0
expect_out "wrote rs.gguf: 16 LoRA pairs, rank 16, alpha 64, qwen3, f32"
if $P check rs rs.gguf --arch qwen3 >/dev/null 2>"$W/check"; then pass; else fail "$(cat "$W/check")"; fi
$P adapter rx $Q3 --config '{"alpha_pattern": {"layers\\.1\\..*": 64}}'
run_loco adapters convert --base q3.gguf rx
expect_rc 1
expect_err "loco: 'rx/adapter_config.json': alpha_pattern key 'layers\\.1\\..*' is a regular expression; loco matches module names literally (give each module's name)"

t "a LoRA on lm_head: output.weight.lora_a and lora_b, checked against the base's output.weight"
# q3v has its own output.weight [64, 160] (GGUF order); q3t ties its
# output to token_embd.weight, as Qwen3-4B does, and has none.
$P base q3v.gguf --arch qwen3 $Q3 --vocab 160
$P base q3t.gguf --arch qwen3 $Q3 --vocab 160 --tied
$P adapter qh $Q3 --vocab 160 --targets q,v,lm_head --rank 8 --seed 9
if grep -q '"lm_head"' qh/adapter_config.json && grep -q 'base_model.model.lm_head.lora_B.weight' qh/adapter_model.safetensors; then pass; else fail "the fixture has no lm_head LoRA"; fi
run_loco adapters convert --base q3v.gguf --outtype f32 qh
expect_rc 0
expect_out "wrote qh.gguf: 9 LoRA pairs, rank 8, alpha 16, qwen3, f32"
expect_err "loco: shapes checked against 'q3v.gguf'"
if $P check qh qh.gguf --arch qwen3 >/dev/null 2>"$W/check"; then pass; else fail "$(cat "$W/check")"; fi
# Last, as in a model; GGUF dims reversed from torch's [r, hidden] and
# [vocab, r], as for every projection.
node -e '
const g = require(process.argv[1]).readGGUF(process.argv[2]), o = g.order, t = g.tensors;
if (o.length !== 18 || o[16] !== "output.weight.lora_a" || o[17] !== "output.weight.lora_b" ||
    t[o[16]].ne.join() !== "64,8" || t[o[17]].ne.join() !== "8,160") {
	console.error(o.slice(-2).join(" ") + ": " + (t[o[16]] || {}).ne + " " + (t[o[17]] || {}).ne);
	process.exit(1);
}' "$TOP/tests/cmd/peft.js" qh.gguf 2>"$W/check" && pass || fail "order or dims: $(cat "$W/check")"
run_loco adapters convert --base q3v.gguf -o qh16.gguf qh
expect_rc 0
if $P check qh qh16.gguf --f16 --arch qwen3 >/dev/null 2>"$W/check"; then pass; else fail "$(cat "$W/check")"; fi
# alpha_pattern reaches lm_head by its module name, as PEFT's does.
$P adapter qha $Q3 --vocab 160 --targets v,lm_head --config '{"alpha_pattern": {"lm_head": 32}}'
run_loco adapters convert --base q3v.gguf --outtype f32 qha
expect_rc 0
if $P check qha qha.gguf --arch qwen3 >/dev/null 2>"$W/check"; then pass; else fail "$(cat "$W/check")"; fi

t "lm_head against a base that ties its output to the embeddings: refused, nothing written"
snap .
run_loco adapters convert --base q3t.gguf qh
expect_rc 1
expect_err "loco: 'qh/adapter_model.safetensors': tensor 'base_model.model.lm_head.lora_A.weight' is a LoRA on lm_head, but the base 'q3t.gguf' ties its output to the token embeddings (it has no output.weight), so llama.cpp cannot apply it: train again without lm_head in target_modules"
nothing_written .
# A base with no embeddings tensors at all: the same (and no complaint
# about lm_head's layer, which it has none of).
run_loco adapters convert --base q3.gguf -o qh.out.gguf qh
expect_rc 1
expect_err "loco: 'qh/adapter_model.safetensors': tensor 'base_model.model.lm_head.lora_A.weight' is a LoRA on lm_head, but the base 'q3.gguf' ties its output to the token embeddings (it has no output.weight), so llama.cpp cannot apply it: train again without lm_head in target_modules"
nothing_written .
# Another vocabulary: the shape check names output.weight.
$P adapter qhv $Q3 --vocab 200 --targets lm_head
snap .
run_loco adapters convert --base q3v.gguf qhv
expect_rc 5
expect_err "loco: 'qhv/adapter_model.safetensors': tensor 'base_model.model.lm_head.lora_B.weight' does not fit the base: lora_A [4, 64] and lora_B [200, 4] make a [200, 64] update, but 'output.weight' in 'q3v.gguf' is [160, 64] (out, in): the adapter was trained for another base model ('Qwen/Qwen3-4B-Instruct-2507' in adapter_config.json)"
nothing_written .

t "lm_head without a base: converted with a warning; gemma2 refused"
run_loco adapters convert --arch qwen3 -o qhn.gguf qh
expect_rc 0
expect_out "wrote qhn.gguf: 9 LoRA pairs, rank 8, alpha 16, qwen3, f16"
expect_err "loco: warning: 'qh/adapter_model.safetensors' holds a LoRA on lm_head and no base was given to check it: llama.cpp rejects the adapter if the base ties its output to the token embeddings (no output.weight, as in Qwen3-4B); give --base FILE.gguf to check
loco: warning: shapes not checked (no base model GGUF): llama.cpp refuses a mismatch at load"
if $P check qh qhn.gguf --f16 --arch qwen3 >/dev/null 2>"$W/check"; then pass; else fail "$(cat "$W/check")"; fi
snap .
run_loco adapters convert --arch gemma2 -o qhg.gguf qh
expect_rc 1
expect_err "loco: 'qh/adapter_model.safetensors': tensor 'base_model.model.lm_head.lora_A.weight' is a LoRA on lm_head, but gemma2 always ties its output to the token embeddings (llama.cpp loads no output.weight for it), so llama.cpp cannot apply it: train again without lm_head in target_modules"
nothing_written .

t "no base: the registry's base model, or a clear refusal"
snap .
run_loco adapters convert qa
expect_rc 2
expect_err "loco: no GGUF file of the base model 'qwen3:4b-instruct-2507-q4_K_M' to check the adapter against: give --base FILE.gguf, set base_model.file in '$LOCO_HOME/adapters/registry.yaml' or 'ollama pull qwen3:4b-instruct-2507-q4_K_M'; or give --arch ARCH to convert without checking shapes"
nothing_written .
# What Ollama keeps for the tag is found through its manifest.
m=$HOME/.ollama/models
mkdir -p "$m/manifests/registry.ollama.ai/library/qwen3" "$m/blobs"
h=$(sha256sum q3.gguf | cut -c1-64)
cp q3.gguf "$m/blobs/sha256-$h"
printf '{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:%s"}]}' "$h" \
    >"$m/manifests/registry.ollama.ai/library/qwen3/4b-instruct-2507-q4_K_M"
run_loco adapters convert -o viaollama.gguf qa
expect_rc 0
expect_err "loco: shapes checked against '$m/blobs/sha256-$h'"
rm -rf "$HOME/.ollama"

t "an adapter for another base: the tensor, both shapes, the cause"
$P adapter small --layers 4 --hidden 32 --heads 4 --kv 2 --head-dim 8 --ff 48 --rank 4
snap .
run_loco adapters convert --base q3.gguf small
expect_rc 5
expect_err "loco: 'small/adapter_model.safetensors': tensor 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight' does not fit the base: lora_A [4, 32] and lora_B [32, 4] make a [32, 32] update, but 'blk.0.attn_q.weight' in 'q3.gguf' is [128, 64] (out, in): the adapter was trained for another base model ('Qwen/Qwen3-4B-Instruct-2507' in adapter_config.json)"
nothing_written .
$P adapter deep --layers 6 --hidden 64 --heads 4 --kv 2 --head-dim 32 --ff 96 --targets o
snap .
run_loco adapters convert --base q3.gguf deep
expect_rc 5
expect_err "loco: 'deep/adapter_model.safetensors': tensor 'base_model.model.model.layers.4.self_attn.o_proj.lora_A.weight' is for layer 4 but the base 'q3.gguf' has 4 layers: the adapter was trained for another base model ('Qwen/Qwen3-4B-Instruct-2507')"
nothing_written .
run_loco adapters convert --base qa.gguf qa
expect_rc 5
expect_err "loco: 'qa.gguf' is not a model (general.type is 'adapter', expected 'model')"

t "NaN values: converted, with a warning naming the tensor and the count"
$P adapter nan $Q3 --nan 3
run_loco adapters convert --base q3.gguf nan
expect_rc 0
expect_err_has "loco: warning: 'nan/adapter_model.safetensors': tensor 'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight' holds 3 NaN or infinite values"
$P adapter big $Q3 --config '{"alpha_pattern": {"q_proj": 1e8}}'
run_loco adapters convert --base q3.gguf big
expect_rc 0
expect_err_match "tensor 'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight' holds [0-9]+ values too large for F16 \(written as infinity; try --outtype f32\)"

t "configurations PEFT writes that cannot be converted"
snap .
refuse() {
	_name=$1 _cfg=$2 _rc=$3 _msg=$4
	$P adapter "$_name" $Q3 --config "$_cfg"
	snap .
	run_loco adapters convert --base q3.gguf "$_name"
	expect_rc "$_rc"
	expect_err "loco: '$_name/adapter_config.json'$_msg"
	nothing_written .
}
refuse dora '{"use_dora": true}' 1 ": a DoRA adapter (use_dora: true) is not converted: llama.cpp's LoRA has no magnitude vector; train with use_dora=False, or merge the adapter into the model and convert that"
refuse mts '{"modules_to_save": ["lm_head", "embed_tokens"]}' 1 ": modules_to_save ('lm_head', ...) keeps whole trained copies of modules, which a GGUF LoRA cannot carry; train without modules_to_save, or merge the adapter into the model"
refuse fused '{"target_modules": ["qkv_proj", "o_proj"]}' 1 ": target_modules is on the fused projection 'qkv_proj' (phi3): loco converts LoRAs on separate q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj and down_proj (llama, mistral, qwen2, qwen3, gemma2, gemma3)"
refuse emb '{"target_modules": ["q_proj", "lm_head", "embed_tokens"]}' 1 ": target_modules holds 'embed_tokens': a LoRA on the token embeddings is not converted (loco converts the attention and MLP projections and lm_head); train without it"
refuse loha '{"peft_type": "LOHA"}' 1 ": peft_type 'LOHA' is not a LoRA; loco converts LoRA adapters (peft_type LORA)"
refuse bias '{"bias": "all"}' 1 ": trained biases (bias not \"none\") are not converted: a GGUF LoRA has none; train with bias=\"none\""
refuse rep '{"layer_replication": [[0, 2]]}' 1 ": layer_replication is not converted: the GGUF base has its layers once"
refuse badr '{"r": 0}' 5 ": \"r\" is not a whole number from 1 to 65536"
refuse bada '{"lora_alpha": "16"}' 5 ": \"lora_alpha\" is not a positive number"
refuse badd '{"use_dora": "no"}' 5 ": \"use_dora\" is not true or false"
$P adapter nojson $Q3
printf '{"r": 4,' >nojson/adapter_config.json
run_loco adapters convert --base q3.gguf nojson
expect_rc 5
expect_err "loco: 'nojson/adapter_config.json' is not valid JSON"

t "a folder that is not a PEFT adapter"
mkdir empty
run_loco adapters convert --base q3.gguf empty
expect_rc 1
expect_err "loco: 'empty' is not a PEFT adapter folder: it has no adapter_config.json"
cp qa/adapter_config.json empty/ && : >empty/adapter_model.bin
run_loco adapters convert --base q3.gguf empty
expect_rc 1
expect_err "loco: 'empty' has no adapter_model.safetensors (adapter_model.bin is a pickle, which loco does not read: save with safe_serialization=True)"
run_loco adapters convert --base q3.gguf --outtype q8 qa
expect_rc 2
expect_err "loco: --outtype: 'q8' is not one of f16 or f32
usage: loco adapters convert [--arch arch] [--base file] [--json] [--name name] [-o file] [--outtype f16|f32] dir"
run_loco adapters convert --base q3.gguf --outtype f61 qa
expect_rc 2
expect_err "loco: --outtype: 'f61' is not one of f16 or f32; did you mean 'f16'?
usage: loco adapters convert [--arch arch] [--base file] [--json] [--name name] [-o file] [--outtype f16|f32] dir"

# bad NAME HEADER [DATA] [EXPECTED] RC: a folder whose safetensors file
# has that header and that many data bytes; the message is
# 'NAME/adapter_model.safetensors': EXPECTED.
bad() {
	mkdir -p "$1" && cp qa/adapter_config.json "$1/"
	$P raw "$1/adapter_model.safetensors" "$2" "$3"
	snap .
	run_loco adapters convert --base q3.gguf "$1"
	expect_rc "$5"
	expect_err "loco: '$1/adapter_model.safetensors'$4"
	nothing_written .
}
A=base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight
B=base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight

t "damaged safetensors files: each an error naming the file and tensor"
bad s_size "{\"$A\":{\"dtype\":\"F32\",\"shape\":[4,64],\"data_offsets\":[0,1000]}}" 1000 \
    ": tensor '$A': data_offsets [0, 1000] hold 1000 bytes but shape [4, 64] of F32 needs 1024" 5
bad s_past "{\"$A\":{\"dtype\":\"F32\",\"shape\":[4,64],\"data_offsets\":[0,1024]}}" 1000 \
    ": tensor '$A': data_offsets [0, 1024] go past the end of the file (1000 bytes of data): truncated?" 5
bad s_back "{\"$A\":{\"dtype\":\"F32\",\"shape\":[4,64],\"data_offsets\":[1024,0]}}" 1024 \
    ": tensor '$A': data_offsets [1024, 0] end before they begin" 5
bad s_over "{\"$A\":{\"dtype\":\"F32\",\"shape\":[4,64],\"data_offsets\":[0,1024]},\"$B\":{\"dtype\":\"F32\",\"shape\":[128,4],\"data_offsets\":[512,2560]}}" 2560 \
    ": tensor '$B': data_offsets [512, 2560] overlap those of tensor '$A'" 5
bad s_hole "{\"$A\":{\"dtype\":\"F32\",\"shape\":[4,64],\"data_offsets\":[0,1024]},\"$B\":{\"dtype\":\"F32\",\"shape\":[128,4],\"data_offsets\":[1032,3080]}}" 3080 \
    ": data bytes 1024 to 1032 belong to no tensor" 5
bad s_tail "{\"$A\":{\"dtype\":\"F32\",\"shape\":[4,64],\"data_offsets\":[0,1024]}}" 1030 \
    ": 6 bytes after the last tensor's data" 5
bad s_f64 "{\"$A\":{\"dtype\":\"F64\",\"shape\":[4,64],\"data_offsets\":[0,2048]}}" 2048 \
    ": tensor '$A': dtype F64 is not converted (F32, F16 and BF16 are)" 5
bad s_dtype "{\"$A\":{\"dtype\":\"Q4\",\"shape\":[4,64],\"data_offsets\":[0,2048]}}" 2048 \
    ": tensor '$A': unknown dtype 'Q4'" 5
bad s_huge "{\"$A\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}" 8 \
    ": tensor '$A': shape has too many elements" 5
bad s_neg "{\"$A\":{\"dtype\":\"F32\",\"shape\":[-4,64],\"data_offsets\":[0,1024]}}" 1024 \
    ": tensor '$A': shape holds something other than a size" 5
bad s_twice "{\"$A\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"$A\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}" 8 \
    ": tensor '$A': listed twice" 5
bad s_json "{\"$A\":" 0 ": header is not valid JSON" 5
bad s_notobj "[1, 2]" 0 ": header is not a JSON object (not a safetensors file?)" 5
bad s_alone "{\"$A\":{\"dtype\":\"F32\",\"shape\":[4,64],\"data_offsets\":[0,1024]}}" 1024 \
    ": tensor '$A' has no lora_B partner" 5
bad s_3d "{\"$A\":{\"dtype\":\"F32\",\"shape\":[4,8,8],\"data_offsets\":[0,1024]}}" 1024 \
    ": tensor '$A' has 3 dimensions, not the 2 of a LoRA matrix" 5
bad s_mod "{\"base_model.model.model.layers.0.mlp.experts.0.w1.lora_A.weight\":{\"dtype\":\"F32\",\"shape\":[4,64],\"data_offsets\":[0,1024]}}" 1024 \
    ": tensor 'base_model.model.model.layers.0.mlp.experts.0.w1.lora_A.weight' is not a LoRA on a projection loco converts (layers.N.self_attn.{q,k,v,o}_proj, layers.N.mlp.{gate,up,down}_proj or lm_head, lora_A or lora_B)" 1
bad s_emb "{\"base_model.model.model.embed_tokens.lora_embedding_A\":{\"dtype\":\"F32\",\"shape\":[4,64],\"data_offsets\":[0,1024]}}" 1024 \
    ": tensor 'base_model.model.model.embed_tokens.lora_embedding_A' is on the token embeddings: such LoRAs are not converted; train without them" 1
bad s_phi "{\"base_model.model.model.layers.0.self_attn.qkv_proj.lora_A.weight\":{\"dtype\":\"F32\",\"shape\":[4,64],\"data_offsets\":[0,1024]}}" 1024 \
    ": tensor 'base_model.model.model.layers.0.self_attn.qkv_proj.lora_A.weight' is on the fused projection 'qkv_proj' (phi3): loco converts LoRAs on separate q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj and down_proj (llama, mistral, qwen2, qwen3, gemma2, gemma3)" 1
bad s_dora "{\"base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector\":{\"dtype\":\"F32\",\"shape\":[128],\"data_offsets\":[0,512]}}" 512 \
    ": tensor 'base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector' is a DoRA magnitude vector: DoRA adapters are not converted (llama.cpp's LoRA has none)" 1
bad s_ctl "{\"bad\\u0007name\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}" 8 \
    ": tensor 'bad?name': dtype F64 is not converted (F32, F16 and BF16 are)" 5

t "a header that lies about its own length"
mkdir -p s_len && cp qa/adapter_config.json s_len/
$P raw s_len/adapter_model.safetensors '{}' 0 --len 4096
run_loco adapters convert --base q3.gguf s_len
expect_rc 5
expect_err "loco: 's_len/adapter_model.safetensors': truncated: the header says it is 4096 bytes, the file has 2 after the length"
$P raw s_len/adapter_model.safetensors '{}' 0 --len 1099511627776
run_loco adapters convert --base q3.gguf s_len
expect_rc 5
expect_err "loco: 's_len/adapter_model.safetensors': header of 1099511627776 bytes is larger than the limit of 100000000 bytes (not a safetensors file?)"
printf 'abc' >s_len/adapter_model.safetensors
run_loco adapters convert --base q3.gguf s_len
expect_rc 5
expect_err "loco: 's_len/adapter_model.safetensors': truncated: 3 bytes, less than the 8 of the header's length"

t "a truncated download: caught before anything is written"
$P adapter cut $Q3
size=$(wc -c <cut/adapter_model.safetensors)
head -c $((size - 100)) cut/adapter_model.safetensors >cut/x && mv cut/x cut/adapter_model.safetensors
snap .
run_loco adapters convert --base q3.gguf cut
expect_rc 5
expect_err_match "^loco: 'cut/adapter_model.safetensors': tensor 'base_model.model.model.layers.3.self_attn.o_proj.lora_B.weight': data_offsets \[[0-9]+, [0-9]+\] go past the end of the file \([0-9]+ bytes of data\): truncated\?$"
nothing_written .

t "the converted file is what loco itself accepts as a LoRA"
run_loco adapters convert --base q3.gguf --name "my adapter" -o named.gguf qa
expect_rc 0
node -e '
const g = require(process.argv[1]).readGGUF(process.argv[2]);
const k = g.kv;
if (k["general.name"] !== "my adapter" || k["general.architecture"] !== "qwen3" || g.order[0] !== "blk.0.attn_q.weight.lora_a" || g.order[1] !== "blk.0.attn_q.weight.lora_b") process.exit(1);
' "$TOP/tests/cmd/peft.js" named.gguf && pass || fail "general.name or tensor order"

A=$LOCO_HOME/adapters
t "adapters add --peft: converted and installed in one step"
run_loco adapters add --domain math qa
expect_rc 2
expect_err "loco: --modelfile or --peft is required
usage: loco adapters add [--description text] [--force] [--json] [--version version] --domain domain --modelfile file | --peft dir name"
run_loco adapters add --peft qa qa
expect_rc 2
expect_err "loco: --domain is required
usage: loco adapters add [--description text] [--force] [--json] [--version version] --domain domain --modelfile file | --peft dir name"
run_loco adapters add --domain math --peft qa --modelfile Modelfile qa
expect_rc 2
expect_err "loco: give one of --modelfile or --peft, not both
usage: loco adapters add [--description text] [--force] [--json] [--version version] --domain domain --modelfile file | --peft dir name"
expect_eq "$(ls "$A" | grep -c '^qa$')" 0 "nothing installed"
# Without a GGUF of the base: converted for the registry's architecture.
run_loco adapters add --peft qa --domain math qsolver
expect_rc 0
expect_out "added qsolver 1.0.0 (lora, 16 LoRA pairs of rank 16) from qa; run 'loco setup' to register it with Ollama"
expect_err_has "loco: warning: 'qa' was converted without checking its shapes: no GGUF of the base model 'qwen3:4b-instruct-2507-q4_K_M' (set base_model.file or 'ollama pull qwen3:4b-instruct-2507-q4_K_M')"
if [ -f "$A/qsolver/1.0.0/qsolver.gguf" ] && grep -q '^file: "qsolver.gguf"' "$A/qsolver/1.0.0/adapter.yaml"; then pass; else fail "installed files"; fi
if $P check qa "$A/qsolver/1.0.0/qsolver.gguf" --f16 --arch qwen3 >/dev/null 2>"$W/check"; then pass; else fail "$(cat "$W/check")"; fi
ls "${TMPDIR:-/tmp}" | grep '^loco-peft\.' >"$W/left" && fail "scratch left: $(cat "$W/left")" || pass
# With Ollama's copy of the base, shapes are checked: a wrong base refused.
mkdir -p "$m/manifests/registry.ollama.ai/library/qwen3" "$m/blobs"
cp q3.gguf "$m/blobs/sha256-$h"
printf '{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:%s"}]}' "$h" \
    >"$m/manifests/registry.ollama.ai/library/qwen3/4b-instruct-2507-q4_K_M"
run_loco adapters add --peft small --domain math --json smallsolver
expect_rc 5
expect_err_match "^loco: 'small/adapter_model.safetensors': tensor '[^']*q_proj.lora_A.weight' does not fit the base: "
if [ ! -e "$A/smallsolver" ]; then pass; else fail "a refused adapter was installed"; fi
run_loco adapters add --peft all --domain code --json --version 2.0.0 allsolver
expect_rc 0
expect_eq "$(json 'out.name + " " + out.version + " " + out.type + " " + out.pairs + " " + out.shapes_checked')" \
    "allsolver 2.0.0 lora 28 true" "--json"
expect_err "loco: 'allsolver' has no router keywords: ask for it with --adapter allsolver, or give it router_keywords"

t "a package carrying a PEFT folder: converted at install"
pk=$W/src/peftpkg-1.0.0
mkdir -p "$pk/peft" "$W/pkgs"
cp qa/adapter_config.json qa/adapter_model.safetensors "$pk/peft/"
cat >"$pk/adapter.yaml" <<'YAML'
name: peftpkg
version: 1.0.0
domain: math
type: lora
description: a PEFT adapter in a package
file: adapter.gguf
answer_type: number
YAML
(cd "$pk" && sha256sum adapter.yaml peft/adapter_config.json peft/adapter_model.safetensors >SHA256SUMS &&
    tar -czf "$W/pkgs/peftpkg-1.0.0.tar.gz" adapter.yaml peft SHA256SUMS)
run_loco adapters install "$W/pkgs/peftpkg-1.0.0.tar.gz"
expect_rc 0
expect_out "installed peftpkg 1.0.0; run 'loco setup' to register it with Ollama"
if $P check qa "$A/peftpkg/1.0.0/adapter.gguf" --f16 --arch qwen3 >/dev/null 2>"$W/check"; then pass; else fail "$(cat "$W/check")"; fi
# The same package for another base: refused, nothing installed.
rm "$pk/peft/adapter_model.safetensors" && cp small/adapter_model.safetensors "$pk/peft/"
sed -i 's/1.0.0/1.1.0/' "$pk/adapter.yaml"
(cd "$pk" && sha256sum adapter.yaml peft/adapter_config.json peft/adapter_model.safetensors >SHA256SUMS &&
    tar -czf "$W/pkgs/peftpkg-1.1.0.tar.gz" adapter.yaml peft SHA256SUMS)
run_loco adapters install "$W/pkgs/peftpkg-1.1.0.tar.gz"
expect_rc 5
expect_err_match "^loco: package '$W/pkgs/peftpkg-1.1.0.tar.gz': 'peft/adapter_model.safetensors': tensor '[^']*' does not fit the base: .*/sha256-$h' is \[128, 64\] \(out, in\): the adapter was trained for another base model"
if [ ! -e "$A/peftpkg/1.1.0" ]; then pass; else fail "a refused package was installed"; fi
# Both a GGUF and a PEFT folder: ambiguous.
cp qa/adapter_model.safetensors "$pk/peft/" && cp qa.gguf "$pk/adapter.gguf"
(cd "$pk" && sha256sum adapter.yaml adapter.gguf peft/adapter_config.json peft/adapter_model.safetensors >SHA256SUMS &&
    tar -czf "$W/pkgs/peftpkg-1.1.0.tar.gz" adapter.yaml adapter.gguf peft SHA256SUMS)
run_loco adapters install "$W/pkgs/peftpkg-1.1.0.tar.gz"
expect_rc 5
expect_err "loco: package '$W/pkgs/peftpkg-1.1.0.tar.gz': holds both peft/ and adapter.gguf: which one is the adapter?"
rm -rf "$HOME/.ollama"

T=$TOP/adapters/tiny
DOMAINS="math code analysis writing"

t "the tiny world's adapters are loco's conversions of its PEFT folders, byte for byte"
# train_all.sh makes each committed GGUF so (issue #17): train.py writes
# the PEFT folder, loco adapters convert the GGUF.
mkdir -p reconv
for f in "$T"/peft/*/adapter_config.json; do
	d=$(basename "$(dirname "$f")")
	"$LOCO" adapters convert --base "$T/base.gguf" --outtype f32 -o "reconv/$d.gguf" "$T/peft/$d" >/dev/null 2>&1
	if cmp -s "reconv/$d.gguf" "$T/$d.gguf"; then pass; else
		fail "adapters/tiny/$d.gguf is not loco's conversion of adapters/tiny/peft/$d: run make train-tiny, or convert it again"
	fi
done

t "the tiny world converted: tensor by tensor the reference adapters"
mkdir -p tiny
for d in $DOMAINS; do
	run_loco adapters convert --base "$T/base.gguf" --outtype f32 -o "tiny/f32-$d.gguf" "$T/peft/$d"
	expect_rc 0
	expect_out "wrote tiny/f32-$d.gguf: 16 LoRA pairs, rank 8, alpha 16, llama, f32, q/k rows reordered for llama.cpp"
	if $P cmp "$T/$d.gguf" "tiny/f32-$d.gguf" >/dev/null 2>"$W/check"; then pass; else fail "$(cat "$W/check")"; fi
	run_loco adapters convert --base "$T/base.gguf" -o "tiny/conv-$d.gguf" "$T/peft/$d"
	expect_rc 0
	if $P cmp "$T/$d.gguf" "tiny/conv-$d.gguf" --f16 >/dev/null 2>"$W/check"; then pass; else fail "$(cat "$W/check")"; fi
	cp "$T/$d.gguf" tiny/
done
cp "$T/base.gguf" tiny/
# A control that must fail: q/k rows permuted twice (as if the folder
# had been in llama.cpp's order already).
mkdir -p twice && cp "$T/peft/math/adapter_config.json" twice/
node -e '
const p = require(process.argv[1]), st = p.readSafetensors(process.argv[2] + "/adapter_model.safetensors"), out = [];
for (const [n, t] of Object.entries(st)) {
	let d = t.data;
	if (/(q|k)_proj\.lora_B/.test(n)) d = p.permuteRows(d, t.shape[0], t.shape[1], 4, false);
	out.push([n, "F32", t.shape, d]);
}
p.writeSafetensors(process.argv[3] + "/adapter_model.safetensors", out);
' "$TOP/tests/cmd/peft.js" "$T/peft/math" twice
"$LOCO" adapters convert --base "$T/base.gguf" -o tiny/conv-twice.gguf twice 2>/dev/null >&2
cp "$T/math.gguf" tiny/twice.gguf
mkdir -p bench && head -n 40 "$T/benchmarks/math.jsonl" >bench/twice.jsonl
for d in $DOMAINS; do cp "$T/benchmarks/$d.jsonl" bench/; done

t "lm_head on the tiny world's untied llama base (output.weight [128, 354])"
mkdir -p head
$P adapter th --arch llama --layers 4 --hidden 128 --heads 4 --kv 4 --ff 256 --vocab 354 --targets lm_head --rank 8 --alpha 48 --seed 11
run_loco adapters convert --base "$T/base.gguf" --outtype f32 -o head/th.gguf th
expect_rc 0
expect_out "wrote head/th.gguf: 1 LoRA pairs, rank 8, alpha 48, llama, f32"
if $P check th head/th.gguf --arch llama >/dev/null 2>"$W/check"; then pass; else fail "$(cat "$W/check")"; fi
# What llama.cpp must compute: the LoRA merged into output.weight.
if $P merge "$T/base.gguf" th head/merged.gguf 2>"$W/check"; then pass; else fail "$(cat "$W/check")"; fi
# A control that must fail below: lora_B's rows (the vocabulary) reversed.
mkdir -p threv && cp th/adapter_config.json threv/
node -e '
const p = require(process.argv[1]), st = p.readSafetensors(process.argv[2] + "/adapter_model.safetensors"), out = [];
for (const [n, t] of Object.entries(st)) {
	let d = t.data;
	if (/lora_B/.test(n)) {
		const r = t.shape[1], v = t.shape[0];
		d = new Float32Array(d.length);
		for (let o = 0; o < v; o++) d.set(t.data.subarray((v - 1 - o) * r, (v - o) * r), o * r);
	}
	out.push([n, "F32", t.shape, d]);
}
p.writeSafetensors(process.argv[3] + "/adapter_model.safetensors", out);
' "$TOP/tests/cmd/peft.js" th threv
"$LOCO" adapters convert --base "$T/base.gguf" --outtype f32 -o head/threv.gguf threv 2>/dev/null >&2

LLAMA=$(sh "$TOP/tests/llama/build.sh" --path)
t "llama-server: the same greedy answers with converted and reference adapters"
if [ -x "$LLAMA" ]; then
	port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
	loras=
	for d in $DOMAINS twice; do loras="$loras --lora $d.gguf --lora conv-$d.gguf"; done
	# Unapplied unless a request names them: the lm_head LoRA and its
	# control change nothing for the other comparisons.
	loras="$loras --lora ../head/th.gguf --lora ../head/threv.gguf"
	(cd tiny && exec "$LLAMA" -m base.gguf $loras --lora-init-without-apply \
	    --host 127.0.0.1 --port "$port" -t 1 -c 2048 -np 2 >"$W/llama.log" 2>&1) &
	lpid=$!
	# The base with the lm_head LoRA merged, beside it.
	port2=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
	(cd head && exec "$LLAMA" -m merged.gguf --host 127.0.0.1 --port "$port2" \
	    -t 1 -c 2048 -np 1 >"$W/llama2.log" 2>&1) &
	lpid2=$!
	i=0
	until curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 &&
	    curl -sf "http://127.0.0.1:$port2/health" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ "$i" -gt 300 ] || ! kill -0 "$lpid" 2>/dev/null ||
		    ! kill -0 "$lpid2" 2>/dev/null; then break; fi
		sleep 0.1
	done
	# The conv- files are F16 (the default): at most 1% of the answers may
	# differ where F16 rounding decides a near tie (writing-156 does).
	if ALLOW=2 node "$TOP/tests/cmd/samegreedy.js" "http://127.0.0.1:$port" bench $DOMAINS >"$W/same" 2>&1; then pass; else fail "$(cat "$W/same")"; fi
	cat "$W/same" | sed 's/^/convert: llama-server: /'
	node "$TOP/tests/cmd/samegreedy.js" "http://127.0.0.1:$port" bench twice >"$W/same" 2>&1
	rc=$?
	n=$(sed -n 's/^twice: \([0-9]*\) of 40 .*/\1/p' "$W/same")
	# 1: some answers differ (2 would be a failure of the comparison).
	if [ "$rc" -eq 1 ] && [ -n "$n" ] && [ "$n" -lt 40 ]; then pass; else
		fail "rows permuted twice: exit $rc, $n of 40 the same: $(cat "$W/same")"
	fi
	echo "convert: llama-server: q/k rows permuted twice: ${n:-?} of 40 math answers the same"
	# lm_head: llama.cpp loads output.weight.lora_a/b and applies them
	# as the merged output.weight, to the log-probability.
	if node "$TOP/tests/cmd/headmerge.js" "http://127.0.0.1:$port" th.gguf \
	    "http://127.0.0.1:$port2" bench $DOMAINS >"$W/same" 2>&1; then pass; else fail "$(cat "$W/same" "$W/llama.log" | tail -5)"; fi
	sed 's/^/convert: llama-server: /' "$W/same"
	if node "$TOP/tests/cmd/headmerge.js" "http://127.0.0.1:$port" threv.gguf \
	    "http://127.0.0.1:$port2" bench math >"$W/same" 2>&1; then
		fail "lm_head rows reversed matched the merged base"
	else
		grep -q '^headmerge.js: math [^ ]*: with the LoRA\|^headmerge.js: math [^ ]*: token' "$W/same" && pass ||
		    fail "the control failed for another reason: $(cat "$W/same")"
	fi
	kill "$lpid" "$lpid2" 2>/dev/null
	wait "$lpid" "$lpid2" 2>/dev/null
elif [ "${CI:-}" = true ]; then
	fail "no llama-server at $LLAMA (run sh tests/llama/build.sh)"
else
	echo "convert: llama-server is not built (sh tests/llama/build.sh): skipped"
fi

t "the engine: the same greedy answers with converted and reference adapters"
if [ -d "$TOP/tests/engine/node_modules/node-llama-cpp" ]; then
	backend_stop "$B"
	B="$W/engine"
	BACKEND_JS="$TOP/tests/engine/server.js"
	backend_start "$B" --models "$W/tiny" --idle-timeout 300 ||
	    { echo "convert: cannot start the engine"; exit 1; }
	# One request at a time: the engine's hot-swap endpoint has been
	# seen answering one concurrent request with another's answer.
	if ALLOW=2 JOBS=1 node "$TOP/tests/cmd/samegreedy.js" "$OLLAMA_HOST" bench $DOMAINS >"$W/same" 2>&1; then pass; else fail "$(cat "$W/same")"; fi
	cat "$W/same" | sed 's/^/convert: engine: /'
else
	echo "convert: node-llama-cpp is not installed: skipped"
fi

area_end
