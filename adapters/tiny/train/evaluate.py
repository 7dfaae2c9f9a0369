"""Evaluate the tiny models in torch on the held-out sets (loco's own
`loco eval` will measure the same through the engine later).

    python3 evaluate.py [--vote-domains math] [--samples 5] [--temp 0.7]

Prints a markdown summary and writes adapters/tiny/logs/eval.json:
exact match per (model, domain) without and with RE2, ROUGE-L for writing,
McNemar's exact test adapter vs base on its own domain, and majority voting
of N samples at temperature T (top_k 40, top_p 0.9, as Ollama) against one
sample at T.
"""

import argparse
import collections
import math
import os
import time

import torch

import data
from check_gguf import load
from common import LOG_DIR, OUT_DIR, answers, load_heldout, rouge_l, write_json


def mcnemar_exact(b, c):
    """Two-sided exact McNemar p-value for discordant counts b, c."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    p = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vote-domains", default="math")
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--temp", type=float, default=0.7)
    ap.add_argument("--seed", type=int, default=99)
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    sets = {d: load_heldout(d) for d in data.DOMAINS}
    models = ["base"] + [d for d in data.DOMAINS if os.path.exists(os.path.join(OUT_DIR, f"{d}.pt"))]
    res = {"exact": {}, "exact_re2": {}, "rouge_l": {}, "mcnemar": {}, "voting": {}, "n": {d: len(s) for d, s in sets.items()}}
    correct = {}
    for mname in models:
        m = load(OUT_DIR, None if mname == "base" else mname)
        res["exact"][mname] = {}
        res["exact_re2"][mname] = {}
        res["rouge_l"][mname] = {}
        for d in data.DOMAINS:
            items = sets[d]
            qs = [x["question"] for x in items]
            got = answers(m, qs)
            ok = [g.strip() == x["answer"] for g, x in zip(got, items)]
            correct[(mname, d)] = ok
            res["exact"][mname][d] = round(sum(ok) / len(ok), 3)
            res["rouge_l"][mname][d] = round(sum(rouge_l(g.strip(), x["answer"]) for g, x in zip(got, items)) / len(items), 3)
            if mname == "base" or mname == d:
                got2 = answers(m, qs, re2=True)
                res["exact_re2"][mname][d] = round(sum(g.strip() == x["answer"] for g, x in zip(got2, items)) / len(items), 3)
        print(f"{mname}: {res['exact'][mname]} re2 {res['exact_re2'][mname]} ({time.time() - t0:.0f}s)", flush=True)
        if mname in args.vote_domains.split(","):
            items = sets[mname]
            qs = [x["question"] for x in items]
            g = torch.Generator().manual_seed(args.seed)
            samples = [answers(m, qs, temperature=args.temp, gen=g) for _ in range(args.samples)]
            single = sum(s[i].strip() == items[i]["answer"] for s in samples for i in range(len(items))) / (len(items) * args.samples)
            first = sum(samples[0][i].strip() == x["answer"] for i, x in enumerate(items)) / len(items)
            vote_ok = 0
            for i, x in enumerate(items):
                c = collections.Counter(s[i].strip() for s in samples)
                top = max(c.values())
                winner = next(s[i].strip() for s in samples if c[s[i].strip()] == top)  # ties: first seen
                vote_ok += winner == x["answer"]
            res["voting"][mname] = {"temperature": args.temp, "samples": args.samples, "top_k": 40, "top_p": 0.9,
                                    "single_sample_mean": round(single, 3), "single_sample_first": round(first, 3),
                                    "majority_vote": round(vote_ok / len(items), 3)}
            print("voting", mname, res["voting"][mname], flush=True)
    for d in models[1:]:
        a, b = correct[(d, d)], correct[("base", d)]
        nb = sum(x and not y for x, y in zip(a, b))
        nc = sum(y and not x for x, y in zip(a, b))
        res["mcnemar"][d] = {"adapter_only": nb, "base_only": nc, "p": mcnemar_exact(nb, nc)}
    res["seconds"] = round(time.time() - t0, 1)
    write_json(os.path.join(LOG_DIR, "eval.json"), res)

    print("\n| model | " + " | ".join(data.DOMAINS) + " |")
    print("|---|" + "---|" * len(data.DOMAINS))
    for mname in models:
        print(f"| {mname} | " + " | ".join(f"{res['exact'][mname][d]:.3f}" for d in data.DOMAINS) + " |")
    print("\nRE2:", res["exact_re2"])
    print("McNemar:", res["mcnemar"])
    print("voting:", res["voting"])


if __name__ == "__main__":
    main()
