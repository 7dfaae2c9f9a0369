"""Train the tiny base model or one LoRA adapter, CPU, fixed seed; export.

    python3 train.py base [--steps N]
    python3 train.py lora --name math-b [--steps N]     (runs.ADAPTERS)
    python3 train.py lora --domain math                 (= --name math)

The settings of each run are in runs.py; a flag overrides one.  Writes
adapters/tiny/logs/NAME.json and a checkpoint in adapters/tiny/train/out/;
the base as adapters/tiny/base.gguf (and in Hugging Face's layout in
train/out/tiny-base-hf/); an adapter in PEFT's layout in
adapters/tiny/peft/NAME/ and, by the project's Python GGUF writer, as
adapters/tiny/NAME.gguf (train_all.sh makes that file with `loco adapters
convert` instead when loco is built, and compares).
"""

import argparse
import math
import os
import platform
import sys
import time

import torch
import torch.nn.functional as F

import data
import gguf_writer
import peft
import runs
from common import (LOG_DIR, OUT_DIR, TINY, Stream, accuracy, encode_example, packed_batch, tool_accuracy,
                    heldout_questions, load_heldout, seed_all, write_json)
from model import TOKENS, TOKEN_TYPES, Config, TinyLlama


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["base", "lora"])
    ap.add_argument("--domain", choices=data.DOMAINS, help="lora: the adapter named after the domain")
    ap.add_argument("--name", choices=list(runs.ADAPTERS) + list(runs.TOOL_ADAPTERS),
                    help="lora: the run (runs.ADAPTERS, runs.TOOL_ADAPTERS)")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--bs", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--pool", type=int)
    ap.add_argument("--skill-frac", type=float)
    ap.add_argument("--rank", type=int)
    ap.add_argument("--alpha", type=float)
    ap.add_argument("--targets", help="lora: comma-separated projections among q,k,v,o,gate,up,down, and out (the output head) "
                    "(default q,v,up,down)")
    ap.add_argument("--eval-every", type=int, default=300)
    ap.add_argument("--eval-n", type=int, default=60)
    ap.add_argument("--row", type=int, help="tokens a packed row")
    ap.add_argument("--lm-weight", type=float, help="loss weight of prompt tokens (base default 0.3, lora 0)")
    ap.add_argument("--init", help="base: start from this checkpoint (continued training)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=TINY, help="where the GGUF files and peft/ go (default adapters/tiny)")
    args = ap.parse_args()
    if args.mode == "lora" and not (args.name or args.domain):
        ap.error("lora needs --name or --domain")
    name = "base" if args.mode == "base" else (args.name or args.domain)
    run = runs.settings(name)
    over = {}
    for k, v in run.items():
        if getattr(args, k, None) is None:
            setattr(args, k, v)
        elif k != "mode" and getattr(args, k) != v:
            over[k] = getattr(args, k)
    if args.domain != run["domain"]:
        ap.error(f"adapter {name} is for domain {run['domain']}")

    torch.set_num_threads(args.threads)
    seed_all(args.seed)
    os.makedirs(OUT_DIR, exist_ok=True)
    held = heldout_questions()
    evalsets = {d: load_heldout(d)[:args.eval_n] for d in data.DOMAINS}
    # a tool adapter: the tool experiment's benchmark, through the loop
    tool_bench = run.get("bench")
    if tool_bench:
        evalsets[args.domain] = load_heldout(tool_bench)[:args.eval_n]

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

    # The stream, exactly as runs.trained_questions replays it for the
    # overlap check (overrides of the table's settings included).
    stream = Stream(encode_example(q, a, re2, system)
                    for q, a, re2, system in runs.examples(name, held, **over))
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
                score = tool_accuracy if tool_bench else accuracy
                ev[d] = round(score(model, evalsets[d])[0], 3)
            ev["time"] = round(time.time() - t0, 1)
            log["evals"].append(ev)
            print("eval", ev, flush=True)
    log["train_seconds"] = round(time.time() - t0, 1)
    # the examples trained on (the one waiting for the next row was not)
    log["examples"] = stream.taken - (stream.pending is not None)

    if args.mode == "base":
        torch.save({"config": cfg.as_dict(), "model": model.state_dict()}, os.path.join(OUT_DIR, "base.pt"))
        size = gguf_writer.write_base(os.path.join(args.out, "base.gguf"), model, TOKENS, TOKEN_TYPES)
        peft.save_hf_base(os.path.join(OUT_DIR, "tiny-base-hf"), model)
    else:
        st = model.lora_state()
        targets = args.targets.split(",")
        torch.save({"rank": args.rank, "alpha": args.alpha, "targets": targets, "lora": st}, os.path.join(OUT_DIR, f"{name}.pt"))
        peft.save_adapter(os.path.join(args.out, "peft", name), st, cfg, args.rank, args.alpha, targets)
        size = gguf_writer.write_lora(os.path.join(args.out, f"{name}.gguf"), st, args.alpha, f"tiny-{name}")
    log["gguf_bytes"] = size
    write_json(os.path.join(LOG_DIR, f"{name}.json"), log)
    print(f"done {name}: {log['train_seconds']} s, gguf {size} bytes", flush=True)


if __name__ == "__main__":
    sys.exit(main())
