"""loco's own minimal GGUF (v3) writer: base models and LoRA adapters, F32 or F16.

Layout: "GGUF", u32 version, u64 tensor count, u64 kv count, key/values,
tensor infos (name, u32 n_dims, u64 dims fastest first, u32 type, u64 offset),
zero padding to the alignment (32), then the tensor data, each tensor padded
to the alignment and in the same order as the infos.
"""

import struct

import numpy as np

ALIGN = 32

# GGUF value types
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
# ggml tensor types
GGML_F32, GGML_F16 = 0, 1


class Writer:
    def __init__(self):
        self.kv = []  # (key, type, value, elem_type)
        self.tensors = []  # (name, np.ndarray in torch layout, ggml type)

    # ------------------------------------------------------------ key/values
    def add(self, key, vtype, value, elem_type=None):
        self.kv.append((key, vtype, value, elem_type))

    def add_string(self, key, v):
        self.add(key, STRING, v)

    def add_u32(self, key, v):
        self.add(key, U32, int(v))

    def add_i32(self, key, v):
        self.add(key, I32, int(v))

    def add_f32(self, key, v):
        self.add(key, F32, float(v))

    def add_bool(self, key, v):
        self.add(key, BOOL, bool(v))

    def add_array(self, key, elem_type, values):
        self.add(key, ARRAY, list(values), elem_type)

    # ------------------------------------------------------------ tensors
    def add_tensor(self, name, array, ggml_type=GGML_F32):
        """array in row-major (torch) layout; dims are written reversed
        (fastest first), so a torch Linear weight (out, in) becomes [in, out]."""
        a = np.ascontiguousarray(array, dtype=np.float32)
        self.tensors.append((name, a, ggml_type))

    # ------------------------------------------------------------ encoding
    @staticmethod
    def _str(s):
        b = s.encode("utf-8")
        return struct.pack("<Q", len(b)) + b

    def _val(self, t, v):
        fmt = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f",
               BOOL: "<?", U64: "<Q", I64: "<q", F64: "<d"}
        if t == STRING:
            return self._str(v)
        return struct.pack(fmt[t], v)

    def write(self, path):
        out = bytearray()
        out += b"GGUF" + struct.pack("<IQQ", 3, len(self.tensors), len(self.kv))
        for key, t, v, et in self.kv:
            out += self._str(key) + struct.pack("<I", t)
            if t == ARRAY:
                out += struct.pack("<IQ", et, len(v))
                for x in v:
                    out += self._val(et, x)
            else:
                out += self._val(t, v)
        datas = []
        offset = 0
        for name, a, gt in self.tensors:
            data = (a.astype(np.float16) if gt == GGML_F16 else a).tobytes()
            dims = list(a.shape[::-1])
            out += self._str(name) + struct.pack("<I", len(dims))
            for d in dims:
                out += struct.pack("<Q", d)
            out += struct.pack("<IQ", gt, offset)
            datas.append(data)
            offset += len(data)
            offset += (-offset) % ALIGN
        out += b"\0" * ((-len(out)) % ALIGN)
        for data in datas:
            out += data
            out += b"\0" * ((-len(data)) % ALIGN)
        with open(path, "wb") as f:
            f.write(out)
        return len(out)


CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if m['role'] == 'system' %}S: {{ m['content'] }}\n"
    "{% elif m['role'] == 'user' %}Q: {{ m['content'] }}\n"
    "{% elif m['role'] == 'tool' %}T: {{ m['content'] }}\n"
    "{% else %}A: {{ m['content'] }}{{ eos_token }}\n{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}A: {% endif %}"
)


def _ftype(f16):
    return GGML_F16 if f16 else GGML_F32


def size_label(n):
    """llama.cpp's size label: 747136 parameters -> "747K"."""
    for div, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= div:
            return f"{n / div:.0f}{unit}" if n / div >= 100 else f"{n / div:.1f}{unit}"
    return str(n)


def write_base(path, model, tokens, token_types, name="tiny-base", f16=False):
    from model import BOS, EOS, UNK
    cfg = model.cfg
    sd = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    w = Writer()
    w.add_string("general.architecture", "llama")
    w.add_string("general.type", "model")
    w.add_string("general.name", name)
    # Which weights these are, as llama.cpp's converters say it: loco
    # compares them with the registry's base_model.name (Ollama's
    # /api/show drops general.name).
    w.add_string("general.basename", name)
    w.add_string("general.size_label", size_label(sum(p.numel() for p in model.parameters())))
    w.add_u32("general.file_type", 1 if f16 else 0)
    w.add_u32("general.quantization_version", 2)
    w.add_u32("llama.context_length", cfg.ctx)
    w.add_u32("llama.embedding_length", cfg.d)
    w.add_u32("llama.block_count", cfg.n_layer)
    w.add_u32("llama.feed_forward_length", cfg.ffn)
    w.add_u32("llama.attention.head_count", cfg.n_head)
    w.add_u32("llama.attention.head_count_kv", cfg.n_head)
    w.add_u32("llama.rope.dimension_count", cfg.d // cfg.n_head)
    w.add_u32("llama.vocab_size", cfg.vocab)
    w.add_f32("llama.attention.layer_norm_rms_epsilon", cfg.eps)
    w.add_f32("llama.rope.freq_base", cfg.rope_base)
    w.add_string("tokenizer.ggml.model", "llama")
    w.add_array("tokenizer.ggml.tokens", STRING, tokens)
    w.add_array("tokenizer.ggml.scores", F32, [0.0] * len(tokens))
    w.add_array("tokenizer.ggml.token_type", I32, token_types)
    w.add_u32("tokenizer.ggml.bos_token_id", BOS)
    w.add_u32("tokenizer.ggml.eos_token_id", EOS)
    w.add_u32("tokenizer.ggml.unknown_token_id", UNK)
    w.add_bool("tokenizer.ggml.add_bos_token", True)
    w.add_bool("tokenizer.ggml.add_eos_token", False)
    w.add_bool("tokenizer.ggml.add_space_prefix", False)
    w.add_string("tokenizer.chat_template", CHAT_TEMPLATE)
    ft = _ftype(f16)
    # 1-D tensors (norms) stay F32, as llama.cpp's converters do.
    w.add_tensor("token_embd.weight", sd["embed.weight"], ft)
    for i in range(cfg.n_layer):
        p = f"blocks.{i}."
        g = f"blk.{i}."
        w.add_tensor(g + "attn_norm.weight", sd[p + "attn_norm.weight"])
        w.add_tensor(g + "attn_q.weight", sd[p + "q.weight"], ft)
        w.add_tensor(g + "attn_k.weight", sd[p + "k.weight"], ft)
        w.add_tensor(g + "attn_v.weight", sd[p + "v.weight"], ft)
        w.add_tensor(g + "attn_output.weight", sd[p + "o.weight"], ft)
        w.add_tensor(g + "ffn_norm.weight", sd[p + "ffn_norm.weight"])
        w.add_tensor(g + "ffn_gate.weight", sd[p + "gate.weight"], ft)
        w.add_tensor(g + "ffn_up.weight", sd[p + "up.weight"], ft)
        w.add_tensor(g + "ffn_down.weight", sd[p + "down.weight"], ft)
    w.add_tensor("output_norm.weight", sd["norm.weight"])
    w.add_tensor("output.weight", sd["out.weight"], ft)
    return w.write(path)


GGUF_NAMES = {"q": "attn_q", "k": "attn_k", "v": "attn_v", "o": "attn_output",
              "gate": "ffn_gate", "up": "ffn_up", "down": "ffn_down"}


def write_lora(path, lora_state, alpha, name, architecture="llama", f16=False):
    """lora_state: {'blocks.N.<t>.A': (r, in), 'blocks.N.<t>.B': (out, r)},
    and 'out.A', 'out.B' for a LoRA on the output head.
    GGUF wants lora_a dims [in, r] (= torch A row-major) and lora_b dims
    [r, out] (= torch B row-major)."""
    w = Writer()
    w.add_string("general.architecture", architecture)
    w.add_string("general.type", "adapter")
    w.add_string("general.name", name)
    w.add_string("adapter.type", "lora")
    w.add_f32("adapter.lora.alpha", alpha)
    ft = _ftype(f16)
    keys = sorted({k.rsplit(".", 1)[0] for k in lora_state},
                  key=lambda s: (s == "out", int(s.split(".")[1]) if s != "out" else 0, s))
    for k in keys:
        if k == "out":  # the output head
            g = "output.weight"
        else:
            _, i, t = k.split(".")
            g = f"blk.{i}.{GGUF_NAMES[t]}.weight"
        w.add_tensor(g + ".lora_a", lora_state[k + ".A"].detach().cpu().numpy(), ft)
        w.add_tensor(g + ".lora_b", lora_state[k + ".B"].detach().cpu().numpy(), ft)
    return w.write(path)
