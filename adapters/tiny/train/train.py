"""Train the tiny base model or one LoRA adapter, CPU, fixed seed; export GGUF.

    python3 train.py base [--steps N]
    python3 train.py lora --domain math [--steps N]

Writes adapters/tiny/{base,DOMAIN}.gguf, adapters/tiny/logs/{base,DOMAIN}.json
and a checkpoint in adapters/tiny/train/out/.
"""

import argparse
import math
import os
import platform
import random
import sys
import time

import torch
import torch.nn.functional as F

import data
import gguf_writer
from common import (LOG_DIR, OUT_DIR, TINY, Stream, accuracy, encode_example, packed_batch,
                    heldout_questions, load_heldout, seed_all, write_json)
from model import TOKENS, TOKEN_TYPES, Config, TinyLlama

BASE_DEFAULTS = dict(steps=1800, bs=8, lr=3e-3, pool=100, skill_frac=0.75, seed=1234, lm_weight=0.3)
LORA_DEFAULTS = dict(steps=700, bs=8, lr=5e-3, rank=8, alpha=16.0, seed=4321, lm_weight=0.0,
                     targets="q,v,up,down")


def example_stream(args, held):
    """Yields (question, answer) pairs for training."""
    r = random.Random(args.seed)
    if args.mode == "base":
        # A little of each domain: a small fixed pool, seen many times.
        pools = {}
        for k, d in enumerate(data.DOMAINS):
            pools[d] = data.make_split(d, args.pool, args.seed + 17 * (k + 1), exclude=held,
                                       generators=data.BASE_POOL_GENERATORS)
        while True:
            if r.random() < args.skill_frac:
                yield data.gen_skill(r)
            else:
                yield r.choice(pools[r.choice(data.DOMAINS)])
    else:
        gen = data.GENERATORS[args.domain]
        while True:
            q, a = gen(r)
            if q not in held:
                yield q, a


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["base", "lora"])
    ap.add_argument("--domain", choices=data.DOMAINS)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--bs", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--pool", type=int)
    ap.add_argument("--skill-frac", type=float)
    ap.add_argument("--rank", type=int)
    ap.add_argument("--alpha", type=float)
    ap.add_argument("--targets", help="lora: comma-separated projections among q,k,v,o,gate,up,down "
                    "(default q,v,up,down)")
    ap.add_argument("--eval-every", type=int, default=300)
    ap.add_argument("--eval-n", type=int, default=60)
    ap.add_argument("--row", type=int, default=256,
                    help="tokens a packed row (analysis needs 320: three numbered sentences with RE2)")
    ap.add_argument("--lm-weight", type=float, help="loss weight of prompt tokens (base default 0.3, lora 0)")
    ap.add_argument("--init", help="base: start from this checkpoint (continued training)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--name", help="lora: output name (default: the domain), for trying settings side by side")
    args = ap.parse_args()
    defaults = BASE_DEFAULTS if args.mode == "base" else LORA_DEFAULTS
    for k, v in defaults.items():
        if getattr(args, k, None) is None:
            setattr(args, k, v)
    if args.mode == "lora" and not args.domain:
        ap.error("lora needs --domain")
    name = "base" if args.mode == "base" else (args.name or args.domain)

    torch.set_num_threads(args.threads)
    seed_all(args.seed)
    os.makedirs(OUT_DIR, exist_ok=True)
    held = heldout_questions()
    evalsets = {d: load_heldout(d)[:args.eval_n] for d in data.DOMAINS}

    if args.mode == "base":
        cfg = Config()
        model = TinyLlama(cfg)
        if args.init:
            model.load_state_dict(torch.load(args.init)["model"])
        params = [p for p in model.parameters()]
    else:
        ck = torch.load(os.path.join(OUT_DIR, "base.pt"))
        cfg = Config(**ck["config"])
        model = TinyLlama(cfg)
        model.load_state_dict(ck["model"])
        torch.manual_seed(args.seed)
        model.add_lora(args.rank, args.alpha, tuple(args.targets.split(",")))
        params = [p for p in model.parameters() if p.requires_grad]
    nparams = sum(p.numel() for p in params)
    print(f"{name}: {nparams} trainable parameters", flush=True)

    opt = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.98),
                            weight_decay=0.01 if args.mode == "base" else 0.0)
    warm = max(1, args.steps // 20)

    def lr_at(s):
        if s < warm:
            return args.lr * (s + 1) / warm
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (s - warm) / (args.steps - warm))))

    rr = random.Random(args.seed + 1)

    def encoded():
        for q, a in example_stream(args, held):
            system = rr.choice(data.SYSTEMS) if rr.random() < 0.1 else None
            yield encode_example(q, a, rr.random() < 0.5, system)

    stream = Stream(encoded())
    log = {"name": name, "mode": args.mode, "settings": {k: v for k, v in vars(args).items()},
           "config": cfg.as_dict(), "trainable_params": nparams, "torch": torch.__version__,
           "machine": platform.machine(), "threads": args.threads, "loss": [], "evals": []}
    t0 = time.time()
    run_loss = 0.0
    for step in range(args.steps):
        model.train()
        idx, tgt, pos, mask, wts = packed_batch(stream, args.bs, args.row, args.lm_weight)
        sel = tgt != -100
        logits = model(idx, pos, mask, select=sel)
        ce = F.cross_entropy(logits, tgt[sel], reduction="none")
        w = wts[sel]
        loss = (ce * w).sum() / w.sum()
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        run_loss += loss.item()
        if (step + 1) % 25 == 0:
            log["loss"].append([step + 1, round(run_loss / 25, 4), round(time.time() - t0, 1)])
            print(f"step {step + 1} loss {run_loss / 25:.4f} t {time.time() - t0:.0f}s", flush=True)
            run_loss = 0.0
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            doms = data.DOMAINS if args.mode == "base" else [args.domain]
            ev = {"step": step + 1}
            for d in doms:
                ev[d] = round(accuracy(model, evalsets[d])[0], 3)
            ev["time"] = round(time.time() - t0, 1)
            log["evals"].append(ev)
            print("eval", ev, flush=True)
    log["train_seconds"] = round(time.time() - t0, 1)

    if args.mode == "base":
        torch.save({"config": cfg.as_dict(), "model": model.state_dict()}, os.path.join(OUT_DIR, "base.pt"))
        size = gguf_writer.write_base(os.path.join(TINY, "base.gguf"), model, TOKENS, TOKEN_TYPES)
    else:
        st = model.lora_state()
        torch.save({"rank": args.rank, "alpha": args.alpha, "targets": args.targets.split(","), "lora": st}, os.path.join(OUT_DIR, f"{name}.pt"))
        size = gguf_writer.write_lora(os.path.join(TINY, f"{name}.gguf"), st, args.alpha, f"tiny-{name}")
    log["gguf_bytes"] = size
    write_json(os.path.join(LOG_DIR, f"{name}.json"), log)
    print(f"done {name}: {log['train_seconds']} s, gguf {size} bytes", flush=True)


if __name__ == "__main__":
    sys.exit(main())
