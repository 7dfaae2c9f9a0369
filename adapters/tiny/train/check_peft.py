"""The tiny adapters' PEFT folders against their GGUF files (issue #17).

    python3 check_peft.py compare REF.gguf OTHER.gguf
        the Python writer's GGUF against another (loco adapters convert's):
        the same tensors (names, shapes, types, values; F16 to 1e-3) and
        the same adapter keys (general.architecture, general.type,
        adapter.type, adapter.lora.alpha)
    python3 check_peft.py folder PEFT_DIR FILE.gguf
        the PEFT folder, permuted as llama.cpp's converter does (q and k
        lora_B rows), against the GGUF's tensors
    python3 check_peft.py forward NAME [--n 40]       (needs torch)
        the Hugging Face layout means what the model means: the base and
        adapter NAME in Hugging Face's layout (train/out/tiny-base-hf,
        peft/NAME), run with rotate-half RoPE, give the model's own logits
        (adjacent-pair RoPE, GGUF rows) on held-out prompts

Exit 0 when they agree; 1 with the first differences on stderr.
"""

import argparse
import json
import os
import struct
import sys

import numpy as np

import peft

HERE = os.path.dirname(os.path.abspath(__file__))
TINY = os.path.dirname(HERE)

# GGUF value types: size or reader
_SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_GGML = {0: (np.float32, 4), 1: (np.float16, 2)}


def read_gguf(path):
    """(key/values, {name: numpy array in torch row-major layout})."""
    raw = open(path, "rb").read()
    off = 0

    def take(fmt):
        nonlocal off
        v = struct.unpack_from(fmt, raw, off)
        off += struct.calcsize(fmt)
        return v[0]

    def string():
        nonlocal off
        n = take("<Q")
        s = raw[off:off + n].decode("utf-8")
        off += n
        return s

    def value(t):
        if t == 8:
            return string()
        if t == 9:
            et, n = take("<I"), take("<Q")
            return [value(et) for _ in range(n)]
        return take(_SCALAR[t])

    if raw[:4] != b"GGUF":
        raise ValueError(f"{path}: not a GGUF file")
    off = 4
    _version, nt, nkv = take("<I"), take("<Q"), take("<Q")
    kv = {}
    for _ in range(nkv):
        k = string()
        kv[k] = value(take("<I"))
    infos = []
    for _ in range(nt):
        name = string()
        dims = [take("<Q") for _ in range(take("<I"))]
        infos.append((name, dims, take("<I"), take("<Q")))
    align = kv.get("general.alignment", 32)
    start = off + (-off) % align
    tensors = {}
    for name, dims, t, o in infos:
        if t not in _GGML:
            raise ValueError(f"{path}: {name}: ggml type {t} is not F32 or F16")
        dt, size = _GGML[t]
        count = int(np.prod(dims))
        a = np.frombuffer(raw, dtype=np.dtype(dt).newbyteorder("<"), count=count, offset=start + o)
        tensors[name] = (a.reshape(dims[::-1]).astype(np.float32), t)
    return kv, tensors


def compare_tensors(want, got, what, tol):
    errs = []
    for name in sorted(set(want) | set(got)):
        if name not in got:
            errs.append(f"{what}: {name} is missing")
        elif name not in want:
            errs.append(f"{what}: {name} is not in the reference")
        elif want[name].shape != got[name].shape:
            errs.append(f"{what}: {name}: shape {list(got[name].shape)}, reference {list(want[name].shape)}")
        else:
            d = float(np.max(np.abs(want[name] - got[name]))) if want[name].size else 0.0
            if d > tol:
                errs.append(f"{what}: {name}: values differ by up to {d:.3g}")
    return errs


def cmd_compare(ref, other):
    kv1, t1 = read_gguf(ref)
    kv2, t2 = read_gguf(other)
    errs = []
    for k in ("general.architecture", "general.type", "adapter.type"):
        if kv1.get(k) != kv2.get(k):
            errs.append(f"{other}: {k} is {kv2.get(k)!r}, reference {kv1.get(k)!r}")
    if abs(kv1.get("adapter.lora.alpha", 0) - kv2.get("adapter.lora.alpha", -1)) > 1e-6:
        errs.append(f"{other}: adapter.lora.alpha is {kv2.get('adapter.lora.alpha')}, "
                    f"reference {kv1.get('adapter.lora.alpha')}")
    f16 = any(t == 1 for _, t in t2.values())
    errs += compare_tensors({k: v for k, (v, _) in t1.items()}, {k: v for k, (v, _) in t2.items()},
                            other, 1e-3 if f16 else 0.0)
    return errs, f"{other}: {len(t2)} tensors and the adapter keys as in {ref}"


def cmd_folder(folder, gguf):
    kv, t = read_gguf(gguf)
    base_kv, _ = read_gguf(os.path.join(TINY, "base.gguf"))
    n_head = base_kv["llama.attention.head_count"]
    got, cfg = peft.load_adapter_as_gguf(folder, n_head)
    errs = compare_tensors({k: v for k, (v, _) in t.items()}, got, folder, 1e-3)
    if abs(cfg["lora_alpha"] - kv["adapter.lora.alpha"]) > 1e-6:
        errs.append(f"{folder}: lora_alpha {cfg['lora_alpha']}, {gguf} says {kv['adapter.lora.alpha']}")
    return errs, f"{folder}: {len(got)} tensors, permuted as llama.cpp's converter does, equal {gguf}"


def cmd_forward(name, n):
    import torch
    import data
    from check_gguf import load
    from common import OUT_DIR, load_heldout, prompt_ids

    torch.set_num_threads(1)
    m = load(OUT_DIR, name)
    hf_dir = os.path.join(OUT_DIR, "tiny-base-hf")
    hcfg = json.load(open(os.path.join(hf_dir, "config.json")))
    W, _ = peft.read_safetensors(os.path.join(hf_dir, "model.safetensors"))
    L, _ = peft.read_safetensors(os.path.join(TINY, "peft", name, "adapter_model.safetensors"))
    acfg = json.load(open(os.path.join(TINY, "peft", name, "adapter_config.json")))
    scale = acfg["lora_alpha"] / acfg["r"]
    T = {k: torch.tensor(v) for k, v in W.items()}
    LT = {k: torch.tensor(v) for k, v in L.items()}
    H, hd = hcfg["num_attention_heads"], hcfg["hidden_size"] // hcfg["num_attention_heads"]

    def lin(x, i, mod):
        y = x @ T[f"model.layers.{i}.{mod}.weight"].t()
        a = LT.get(f"base_model.model.model.layers.{i}.{mod}.lora_A.weight")
        if a is not None:
            b = LT[f"base_model.model.model.layers.{i}.{mod}.lora_B.weight"]
            y = y + scale * (x @ a.t() @ b.t())
        return y

    def rms(x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + hcfg["rms_norm_eps"]) * w

    def rotate_half(x):
        x1, x2 = x[..., :hd // 2], x[..., hd // 2:]
        return torch.cat((-x2, x1), -1)

    def hf_forward(ids):
        t = len(ids)
        x = T["model.embed_tokens.weight"][torch.tensor(ids)][None]
        inv = hcfg["rope_theta"] ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd)
        ang = torch.arange(t, dtype=torch.float32)[:, None] * inv
        cos, sin = torch.cat((ang.cos(), ang.cos()), -1), torch.cat((ang.sin(), ang.sin()), -1)
        mask = torch.tril(torch.ones(t, t, dtype=torch.bool))
        for i in range(hcfg["num_hidden_layers"]):
            h = rms(x, T[f"model.layers.{i}.input_layernorm.weight"])
            q = lin(h, i, "self_attn.q_proj").view(1, t, H, hd).transpose(1, 2)
            k = lin(h, i, "self_attn.k_proj").view(1, t, H, hd).transpose(1, 2)
            v = lin(h, i, "self_attn.v_proj").view(1, t, H, hd).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            att = (q @ k.transpose(-1, -2)) / hd ** 0.5
            att = att.masked_fill(~mask, float("-inf")).softmax(-1)
            y = (att @ v).transpose(1, 2).reshape(1, t, -1)
            x = x + lin(y, i, "self_attn.o_proj")
            h = rms(x, T[f"model.layers.{i}.post_attention_layernorm.weight"])
            x = x + lin(torch.nn.functional.silu(lin(h, i, "mlp.gate_proj")) * lin(h, i, "mlp.up_proj"),
                        i, "mlp.down_proj")
        h = rms(x, T["model.norm.weight"])
        y = h @ T["lm_head.weight"].t()
        a = LT.get("base_model.model.lm_head.lora_A.weight")
        if a is not None:
            y = y + scale * (h @ a.t() @ LT["base_model.model.lm_head.lora_B.weight"].t())
        return y

    errs = []
    worst = 0.0
    qs = [x["question"] for d in data.DOMAINS for x in load_heldout(d)[:max(1, n // len(data.DOMAINS))]]
    with torch.no_grad():
        for q in qs:
            ids = prompt_ids(q)
            want = m(torch.tensor([ids]))
            got = hf_forward(ids)
            d = float((want - got).abs().max())
            worst = max(worst, d)
            if d > 1e-3:
                errs.append(f"{name}: {q!r}: logits differ by up to {d:.3g}")
    return errs, f"{name}: Hugging Face layout with rotate-half RoPE = the model's logits on {len(qs)} prompts (max difference {worst:.2g})"


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare")
    c.add_argument("ref")
    c.add_argument("other")
    f = sub.add_parser("folder")
    f.add_argument("folder")
    f.add_argument("gguf")
    w = sub.add_parser("forward")
    w.add_argument("name")
    w.add_argument("--n", type=int, default=40)
    args = ap.parse_args()
    if args.cmd == "compare":
        errs, ok = cmd_compare(args.ref, args.other)
    elif args.cmd == "folder":
        errs, ok = cmd_folder(args.folder, args.gguf)
    else:
        errs, ok = cmd_forward(args.name, args.n)
    for e in errs[:20]:
        print("check_peft: " + e, file=sys.stderr)
    if errs:
        return 1
    print("check_peft: " + ok)
    return 0


if __name__ == "__main__":
    sys.exit(main())
