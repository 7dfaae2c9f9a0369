"""Hugging Face PEFT's layout for the tiny world's adapters, written by the
project's own code (no peft, no safetensors package; numpy only):

  peft/NAME/adapter_config.json        the keys PEFT writes for a LoRA
  peft/NAME/adapter_model.safetensors  8-byte little-endian header length,
                                       a JSON header (dtype, shape,
                                       data_offsets; __metadata__
                                       {"format": "pt"}), the raw tensors

Tensor names are those of a PEFT LoRA on a Hugging Face LlamaForCausalLM:
base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight (r, in) and
...lora_B.weight (out, r); mlp.up_proj, mlp.down_proj and so on.

RoPE layout.  The tiny model rotates ADJACENT pairs (llama.cpp's NORM
rope), as its GGUF does.  A Hugging Face llama checkpoint rotates the two
HALVES of each head, and llama.cpp's converters turn its q and k rows into
the GGUF layout with

    w.reshape(n_head, 2, out // n_head // 2, in).swapaxes(1, 2).reshape(out, in)

(hf_to_gguf_rows below).  So the PEFT files hold q's and k's lora_B in the
Hugging Face layout (gguf_to_hf_rows, the inverse), and a standard
converter's permutation gives back exactly the rows the model was trained
with.  check_peft.py proves it: a rotate-half forward pass on the
Hugging Face layout gives the same logits as the model itself.
"""

import json
import os
import struct
import sys

import numpy as np

# torch LoRA target -> (Hugging Face module path under layers.N, GGUF tensor)
MODULES = {
    "q": ("self_attn.q_proj", "attn_q"),
    "k": ("self_attn.k_proj", "attn_k"),
    "v": ("self_attn.v_proj", "attn_v"),
    "o": ("self_attn.o_proj", "attn_output"),
    "gate": ("mlp.gate_proj", "ffn_gate"),
    "up": ("mlp.up_proj", "ffn_up"),
    "down": ("mlp.down_proj", "ffn_down"),
}
# the output head: PEFT's lm_head (no layer), GGUF's output; the base has
# its own (tie_word_embeddings false), so llama.cpp applies a LoRA on it
HEAD = ("lm_head", "output")
BASE_NAME = "tiny-base"
DTYPES = {"F32": np.float32, "F16": np.float16}


# ---------------------------------------------------------------- rows

def hf_to_gguf_rows(w, n_head):
    """llama.cpp's permutation (convert_hf_to_gguf.py LlamaModel.permute)."""
    out = w.shape[0]
    return (w.reshape(n_head, 2, out // n_head // 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


def gguf_to_hf_rows(w, n_head):
    """The inverse: GGUF (adjacent pairs) rows to Hugging Face (halves)."""
    out = w.shape[0]
    return (w.reshape(n_head, out // n_head // 2, 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


# ---------------------------------------------------------------- safetensors

def write_safetensors(path, tensors, metadata=None):
    """tensors: {name: numpy array (float32 or float16)}, written in name
    order, contiguous, little-endian.  Atomic: a temporary file, fsync, rename."""
    header = {}
    blobs = []
    off = 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        dt = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16"}[a.dtype]
        b = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = dict(metadata or {"format": "pt"})
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((-len(h)) % 8)  # the data starts 8-byte aligned, as safetensors writes it
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return 8 + len(h) + off


def read_safetensors(path):
    """{name: numpy array}, and the metadata; checks the offsets."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: shorter than a safetensors header")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header of {n} bytes runs past the end")
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    out = {}
    for name, t in header.items():
        s, e = t["data_offsets"]
        dt = np.dtype(DTYPES[t["dtype"]]).newbyteorder("<")
        count = int(np.prod(t["shape"])) if t["shape"] else 1
        if not 0 <= s <= e <= len(data) or e - s != count * dt.itemsize:
            raise ValueError(f"{path}: {name}: offsets {s}..{e} do not fit")
        out[name] = np.frombuffer(data[s:e], dtype=dt).reshape(t["shape"]).astype(dt.newbyteorder("="))
    return out, meta


# ---------------------------------------------------------------- adapters

def adapter_config(rank, alpha, targets, base=BASE_NAME):
    """The keys PEFT (0.13) writes for a LoRA; the values of a plain one."""
    return {
        "alpha_pattern": {},
        "auto_mapping": None,
        "base_model_name_or_path": base,
        "bias": "none",
        "fan_in_fan_out": False,
        "inference_mode": True,
        "init_lora_weights": True,
        "layer_replication": None,
        "layers_pattern": None,
        "layers_to_transform": None,
        "loftq_config": {},
        "lora_alpha": int(alpha) if float(alpha).is_integer() else alpha,
        "lora_dropout": 0.0,
        "megatron_config": None,
        "megatron_core": "megatron.core",
        "modules_to_save": None,
        "peft_type": "LORA",
        "r": rank,
        "rank_pattern": {},
        "revision": None,
        "target_modules": sorted(HEAD[0] if t == "out" else MODULES[t][0].split(".")[1]
                                 for t in targets),
        "task_type": "CAUSAL_LM",
        "use_dora": False,
        "use_rslora": False,
    }


def peft_tensors(lora_state, n_head):
    """{'blocks.N.t.A': (r, in), 'blocks.N.t.B': (out, r)} (torch tensors
    or arrays, GGUF row layout) -> PEFT names and Hugging Face rows."""
    out = {}
    for k, v in lora_state.items():
        a = v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)
        a = a.astype(np.float32)
        if k.startswith("out."):
            out[f"base_model.model.{HEAD[0]}.lora_{k[-1]}.weight"] = a
            continue
        _, i, t, ab = k.split(".")
        if ab == "B" and t in ("q", "k"):
            a = gguf_to_hf_rows(a, n_head)
        out[f"base_model.model.model.layers.{i}.{MODULES[t][0]}.lora_{ab}.weight"] = a
    return out


def save_adapter(folder, lora_state, cfg, rank, alpha, targets):
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "adapter_model.safetensors"),
                      peft_tensors(lora_state, cfg.n_head))
    tmp = os.path.join(folder, "adapter_config.json.tmp")
    with open(tmp, "w") as f:
        json.dump(adapter_config(rank, alpha, targets), f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, os.path.join(folder, "adapter_config.json"))


def load_adapter_as_gguf(folder, n_head):
    """A PEFT folder back to {gguf tensor name: array in GGUF row layout},
    with llama.cpp's converter's permutation: what a converter must write."""
    tensors, _ = read_safetensors(os.path.join(folder, "adapter_model.safetensors"))
    cfg = json.load(open(os.path.join(folder, "adapter_config.json")))
    by_hf = {v[0]: (k, v[1]) for k, v in MODULES.items()}
    out = {}
    for name, a in tensors.items():
        p = name.split(".")
        if p[2] == HEAD[0]:  # base_model.model.lm_head.lora_X.weight
            out[f"{HEAD[1]}.weight.lora_{p[3][-1].lower()}"] = a
            continue
        # base_model.model.model.layers.N.<group>.<proj>.lora_X.weight
        i, mod, ab = p[4], p[5] + "." + p[6], p[7]
        t, g = by_hf[mod]
        if ab == "lora_B" and t in ("q", "k"):
            a = hf_to_gguf_rows(a, n_head)
        out[f"blk.{i}.{g}.weight.lora_{ab[-1].lower()}"] = a
    return out, cfg


# ---------------------------------------------------------------- the base

def hf_config(cfg):
    """config.json of the base as a Hugging Face LlamaForCausalLM."""
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": cfg.d,
        "intermediate_size": cfg.ffn,
        "num_hidden_layers": cfg.n_layer,
        "num_attention_heads": cfg.n_head,
        "num_key_value_heads": cfg.n_head,
        "head_dim": cfg.d // cfg.n_head,
        "hidden_act": "silu",
        "max_position_embeddings": cfg.ctx,
        "rms_norm_eps": cfg.eps,
        "rope_theta": cfg.rope_base,
        "vocab_size": cfg.vocab,
        "tie_word_embeddings": False,
        "attention_bias": False,
        "mlp_bias": False,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "torch_dtype": "float32",
        "_name_or_path": BASE_NAME,
    }


HF_BASE = {"attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
           "q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj",
           "o": "self_attn.o_proj", "gate": "mlp.gate_proj", "up": "mlp.up_proj",
           "down": "mlp.down_proj"}


def hf_base_tensors(model):
    """The base's weights under Hugging Face llama names, q and k rows in
    the Hugging Face (rotate-half) layout."""
    cfg = model.cfg
    sd = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in model.state_dict().items()
          if not (k.endswith(".A") or k.endswith(".B"))}
    out = {"model.embed_tokens.weight": sd["embed.weight"], "model.norm.weight": sd["norm.weight"],
           "lm_head.weight": sd["out.weight"]}
    for k, a in sd.items():
        p = k.split(".")
        if p[0] != "blocks":
            continue
        t = p[2]
        if p[3] == "base":  # a LoRALinear's frozen weight
            p = p[:3] + p[4:]
        if t in ("q", "k"):
            a = gguf_to_hf_rows(a, cfg.n_head)
        out[f"model.layers.{p[1]}.{HF_BASE[t]}.weight"] = a
    return out


def save_hf_base(folder, model):
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), hf_base_tensors(model))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(hf_config(model.cfg), f, indent=2, sort_keys=True)
        f.write("\n")


def main(argv):
    """python3 peft.py out/NAME.pt ../peft/NAME: a PEFT folder again from a
    training checkpoint (needs torch for the checkpoint)."""
    import torch
    from model import Config

    if len(argv) != 3:
        print("usage: python3 peft.py CHECKPOINT.pt FOLDER", file=sys.stderr)
        return 2
    ck = torch.load(argv[1])
    base = torch.load(os.path.join(os.path.dirname(argv[1]), "base.pt"))
    save_adapter(argv[2], ck["lora"], Config(**base["config"]), ck["rank"], ck["alpha"], ck["targets"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
