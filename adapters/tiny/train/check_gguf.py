"""Step 1 of the GGUF check: torch's greedy answers for held-out prompts.

    python3 check_gguf.py [--n 300] [--out FILE] [--ckpt-dir DIR] [--gguf-dir DIR]

Writes a JSON file of cases {gguf, lora, prompt, prompt_ids, answer,
margins} for the base and every adapter; check_gguf.js then runs the same
prompts through llama.cpp (node-llama-cpp) and compares (tokenizer and
greedy answers). margins[i] is torch's gap between its two best logits at
answer token i (the last one: the step that chose </s>): where the two
answers first differ, a gap below check_gguf.js's TIE is a near tie that
float rounding decides, not a disagreement in layout or scale.
"""

import argparse
import json
import os
import random

import torch

import data
import runs
from common import OUT_DIR, TINY, answers, load_heldout, prompt_ids
from model import Config, TinyLlama, encode


def load(ckpt_dir, domain=None):
    ck = torch.load(os.path.join(ckpt_dir, "base.pt"))
    m = TinyLlama(Config(**ck["config"]))
    m.load_state_dict(ck["model"])
    if domain:
        lk = torch.load(os.path.join(ckpt_dir, f"{domain}.pt"))
        m.add_lora(lk["rank"], lk["alpha"], tuple(lk.get("targets", ("q", "v", "up", "down"))))
        m.load_state_dict(lk["lora"], strict=False)
    return m.eval()


@torch.no_grad()
def margins(m, ids, answer):
    """The top-two logit gap at each step of a greedy answer, and at the
    step after it (the one that ended it)."""
    x = torch.tensor([ids + encode(answer)])
    top = m(x)[0, len(ids) - 1:].topk(2, -1).values
    return [round(float(v), 6) for v in top[:, 0] - top[:, 1]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--out", default="/tmp/loco-gguf-check.json")
    ap.add_argument("--ckpt-dir", default=OUT_DIR)
    ap.add_argument("--gguf-dir", default=TINY)
    args = ap.parse_args()
    torch.set_num_threads(1)
    r = random.Random(7)
    pool = [x["question"] for d in data.DOMAINS for x in load_heldout(d)]
    cases = []
    targets = [(None, "base.gguf")] + [(n, f"{n}.gguf") for n in list(runs.ADAPTERS) + list(runs.TOOL_ADAPTERS)
                                       if os.path.exists(os.path.join(args.ckpt_dir, f"{n}.pt"))]
    for domain, _ in targets:
        m = load(args.ckpt_dir, domain)
        qs = r.sample(pool, min(args.n, len(pool)))
        re2 = [r.random() < 0.5 for _ in qs]
        got = []
        for flag in (False, True):
            sub = [q for q, f in zip(qs, re2) if f == flag]
            got.append(dict(zip(sub, answers(m, sub, re2=flag))))
        for q, f in zip(qs, re2):
            text = data.prompt_text(data.user_text(q, f))
            cases.append({
                "gguf": os.path.join(args.gguf_dir, "base.gguf"),
                "lora": os.path.join(args.gguf_dir, f"{domain}.gguf") if domain else None,
                "prompt": text,
                "prompt_ids": prompt_ids(q, f),
                "answer": got[int(f)][q],
                "margins": margins(m, prompt_ids(q, f), got[int(f)][q]),
            })
        print(f"{domain or 'base'}: {len(qs)} prompts", flush=True)
    with open(args.out, "w") as f:
        json.dump({"cases": cases}, f)


if __name__ == "__main__":
    main()
