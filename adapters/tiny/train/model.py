"""Tiny llama-architecture model, character tokenizer and LoRA, in torch 1.13.

The layout matches llama.cpp's "llama" architecture exactly so the GGUF
export runs unchanged: RMSNorm, RoPE on ADJACENT pairs (llama.cpp "NORM"
rope), SwiGLU FFN, untied output matrix, no biases.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------- tokenizer

UNK, BOS, EOS = 0, 1, 2
SPACE = "\u2581"


def vocab():
    """Token strings and types: <unk> <s> </s>, 256 byte tokens, printable ASCII
    (space stored as U+2581)."""
    toks = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [2, 3, 3] + [6] * 256
    for c in range(0x20, 0x7F):
        toks.append(SPACE if c == 0x20 else chr(c))
        types.append(1)
    return toks, types


TOKENS, TOKEN_TYPES = vocab()
STOI = {t: i for i, t in enumerate(TOKENS)}
BYTE0 = 3


def encode(text):
    """What llama.cpp's SPM tokenizer does with this vocabulary (no merges exist,
    add_space_prefix false): one token per character, bytes for the rest."""
    ids = []
    for ch in text:
        if ch == " ":
            ids.append(STOI[SPACE])
        elif ch in STOI and TOKEN_TYPES[STOI[ch]] == 1:
            ids.append(STOI[ch])
        else:
            ids.extend(BYTE0 + b for b in ch.encode("utf-8"))
    return ids


def decode(ids):
    out = bytearray()
    for i in ids:
        if i < BYTE0:
            continue
        if i < BYTE0 + 256:
            out.append(i - BYTE0)
        else:
            t = TOKENS[i]
            out.extend((" " if t == SPACE else t).encode("utf-8"))
    return out.decode("utf-8", errors="replace")


# ---------------------------------------------------------------- model

class Config:
    def __init__(self, **kw):
        self.vocab = len(TOKENS)
        self.d = 128
        self.n_layer = 4
        self.n_head = 4
        self.ffn = 256
        self.ctx = 512
        self.rope_base = 10000.0
        self.eps = 1e-5
        self.__dict__.update(kw)

    def as_dict(self):
        return dict(self.__dict__)


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class LoRALinear(nn.Module):
    """A frozen Linear plus (alpha/r) B A; B starts at zero."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        self.r, self.alpha = r, alpha
        self.A = nn.Parameter(torch.empty(r, base.in_features))
        self.B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))

    @property
    def weight(self):
        return self.base.weight

    def forward(self, x):
        return self.base(x) + (x @ self.A.t() @ self.B.t()) * (self.alpha / self.r)


def rope_tables(cfg, pos):
    """cos/sin for positions pos (B, T): (B, T, hd/2)."""
    hd = cfg.d // cfg.n_head
    inv = cfg.rope_base ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd)
    ang = pos.to(torch.float32)[..., None] * inv
    return ang.cos(), ang.sin()


def apply_rope(x, cos, sin):
    """x (B, H, T, hd); rotate adjacent pairs (x0,x1), (x2,x3), ..."""
    x0 = x[..., 0::2]
    x1 = x[..., 1::2]
    c = cos[:, None]
    s = sin[:, None]
    r0 = x0 * c - x1 * s
    r1 = x0 * s + x1 * c
    return torch.stack((r0, r1), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg.d
        self.cfg = cfg
        self.attn_norm = RMSNorm(d, cfg.eps)
        self.q = nn.Linear(d, d, bias=False)
        self.k = nn.Linear(d, d, bias=False)
        self.v = nn.Linear(d, d, bias=False)
        self.o = nn.Linear(d, d, bias=False)
        self.ffn_norm = RMSNorm(d, cfg.eps)
        self.gate = nn.Linear(d, cfg.ffn, bias=False)
        self.up = nn.Linear(d, cfg.ffn, bias=False)
        self.down = nn.Linear(cfg.ffn, d, bias=False)

    def forward(self, x, cos, sin, mask, cache=None):
        B, T, D = x.shape
        H = self.cfg.n_head
        hd = D // H
        h = self.attn_norm(x)
        q = self.q(h).view(B, T, H, hd).transpose(1, 2)
        k = self.k(h).view(B, T, H, hd).transpose(1, 2)
        v = self.v(h).view(B, T, H, hd).transpose(1, 2)
        q = apply_rope(q, cos, sin)
        k = apply_rope(k, cos, sin)
        if cache is not None:
            if cache.get("k") is not None:
                k = torch.cat([cache["k"], k], dim=2)
                v = torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        att = att.masked_fill(~mask[:, None], float("-inf"))
        att = att.softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, D)
        x = x + self.o(y)
        h = self.ffn_norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class TinyLlama(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab, cfg.d)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)])
        self.norm = RMSNorm(cfg.d, cfg.eps)
        self.out = nn.Linear(cfg.d, cfg.vocab, bias=False)
        for n, p in self.named_parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)
        for b in self.blocks:  # scaled residual projections
            nn.init.normal_(b.o.weight, std=0.02 / math.sqrt(2 * cfg.n_layer))
            nn.init.normal_(b.down.weight, std=0.02 / math.sqrt(2 * cfg.n_layer))

    def forward(self, idx, pos=None, mask=None, caches=None, select=None):
        """idx (B, T). Without pos/mask: plain causal over the whole row.
        select: a bool (B, T) mask; logits only for those positions (N, vocab)."""
        B, T = idx.shape
        if pos is None:
            pos = torch.arange(T)[None].expand(B, T)
        if mask is None:
            mask = torch.tril(torch.ones(T, T, dtype=torch.bool))[None].expand(B, T, T)
        cos, sin = rope_tables(self.cfg, pos)
        x = self.embed(idx)
        for i, b in enumerate(self.blocks):
            x = b(x, cos, sin, mask, None if caches is None else caches[i])
        if select is not None:
            x = x[select]
        return self.out(self.norm(x))

    def add_lora(self, r, alpha, targets=("q", "v", "up", "down")):
        for p in self.parameters():
            p.requires_grad_(False)
        for b in self.blocks:
            for t in targets:
                if t != "out":
                    setattr(b, t, LoRALinear(getattr(b, t), r, alpha))
        if "out" in targets:  # the output head (PEFT's lm_head, GGUF's output)
            self.out = LoRALinear(self.out, r, alpha)

    def lora_state(self):
        return {k: v for k, v in self.state_dict().items() if k.endswith(".A") or k.endswith(".B")}


# ---------------------------------------------------------------- generation

@torch.no_grad()
def generate(model, prompts, max_new=48, temperature=0.0, gen=None, top_k=40, top_p=0.9):
    """Batched generation with a KV cache. prompts: list of token id lists
    (BOS included). Returns list of generated id lists (EOS excluded)."""
    model.eval()
    B = len(prompts)
    L = max(len(p) for p in prompts)
    idx = torch.zeros(B, L, dtype=torch.long)
    valid = torch.zeros(B, L, dtype=torch.bool)
    for i, p in enumerate(prompts):  # left padding
        idx[i, L - len(p):] = torch.tensor(p)
        valid[i, L - len(p):] = True
    pos = (valid.long().cumsum(1) - 1).clamp(min=0)
    causal = torch.tril(torch.ones(L, L, dtype=torch.bool))
    mask = causal[None] & valid[:, None, :]
    mask = mask | torch.eye(L, dtype=torch.bool)[None]  # pad rows: attend to self (ignored)
    caches = [dict() for _ in model.blocks]
    logits = model(idx, pos, mask, caches)[:, -1]
    next_pos = pos[:, -1] + 1
    out = [[] for _ in range(B)]
    done = torch.zeros(B, dtype=torch.bool)
    for step in range(max_new):
        if temperature > 0:  # Ollama's defaults: top_k 40, top_p 0.9
            lg = logits / temperature
            if top_k:
                kth = lg.topk(top_k, -1).values[:, -1:]
                lg = lg.masked_fill(lg < kth, float("-inf"))
            if top_p < 1.0:
                sp, si = lg.softmax(-1).sort(-1, descending=True)
                cut = sp.cumsum(-1) - sp > top_p
                sp = sp.masked_fill(cut, 0.0)
                lg = torch.full_like(lg, float("-inf")).scatter(-1, si, sp.log())
            tok = torch.multinomial(lg.softmax(-1), 1, generator=gen)[:, 0]
        else:
            tok = logits.argmax(-1)
        for i in range(B):
            if not done[i]:
                if tok[i].item() == EOS:
                    done[i] = True
                else:
                    out[i].append(tok[i].item())
        if bool(done.all()):
            break
        valid = torch.cat([valid, torch.ones(B, 1, dtype=torch.bool)], 1)
        m = valid[:, None, :]
        logits = model(tok[:, None], next_pos[:, None], m, caches)[:, -1]
        next_pos = next_pos + 1
    return out
