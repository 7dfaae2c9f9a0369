"""Evaluate the tiny models in torch on the held-out sets (loco's own
`loco eval` will measure the same through the engine later).

    python3 evaluate.py [--vote-domains math] [--samples 5] [--temp 0.7]

Prints a markdown summary and writes adapters/tiny/logs/eval.json:
exact match of every model (the base and each adapter of runs.ADAPTERS
that was trained) on every domain; per domain base greedy, base + RE2,
each adapter greedy and + RE2, with McNemar's exact test between them
(RE2 against greedy, adapter against base); ROUGE-L for writing; and
majority voting of N samples at temperature T (top_k 40, top_p 0.9, as
Ollama) against one sample at T.
"""

import argparse
import collections
import math
import os
import re
import time

import torch

import data
import runs
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


FORMATS = {
    "math": lambda got, want: re.fullmatch(r"-?\d+", got) is not None,
    "code": lambda got, want: re.fullmatch(r"\[(\d(, \d)*)?\]" if want.startswith("[") else r"\d+", got) is not None,
    "analysis": lambda got, want: re.fullmatch(r"[A-Za-z]+", got) is not None,
    "writing": lambda got, want: len(got.split()) == len(want.split()),
}


def in_format(domain, got, want):
    """The answer is the kind of thing asked, right or wrong: a number
    (math); a list or a digit, as the expression gives (code); one word
    (analysis); as many words as the text (writing)."""
    return FORMATS[domain](got.strip(), want)


def paired(a, b):
    """Exact McNemar of two lists of right/wrong on the same cases."""
    nb = sum(x and not y for x, y in zip(a, b))
    nc = sum(y and not x for x, y in zip(a, b))
    return {"first_only": nb, "second_only": nc, "p": mcnemar_exact(nb, nc)}


def pct(ok):
    return round(sum(ok) / len(ok), 3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vote-domains", default="math", help="adapters whose vote of N samples is measured")
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--temp", type=float, default=0.7)
    ap.add_argument("--seed", type=int, default=99)
    ap.add_argument("--limit", type=int, help="only the first N cases of each domain (a quick look)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    sets = {d: load_heldout(d)[:args.limit] for d in data.DOMAINS}
    adapters = [n for n in runs.ADAPTERS if os.path.exists(os.path.join(OUT_DIR, f"{n}.pt"))]
    models = ["base"] + adapters
    domain_of = {n: runs.ADAPTERS[n][0] for n in adapters}
    res = {"exact": {}, "exact_re2": {}, "format": {}, "rouge_l": {}, "domains": {}, "voting": {},
           "n": {d: len(s) for d, s in sets.items()}, "adapters": domain_of}
    correct = {}
    for mname in models:
        m = load(OUT_DIR, None if mname == "base" else mname)
        res["exact"][mname] = {}
        res["exact_re2"][mname] = {}
        res["rouge_l"][mname] = {}
        res["format"][mname] = {}
        for d in data.DOMAINS:
            items = sets[d]
            qs = [x["question"] for x in items]
            got = answers(m, qs)
            ok = [g.strip() == x["answer"] for g, x in zip(got, items)]
            correct[(mname, d, False)] = ok
            res["exact"][mname][d] = pct(ok)
            res["format"][mname][d] = pct([in_format(d, g, x["answer"]) for g, x in zip(got, items)])
            res["rouge_l"][mname][d] = round(sum(rouge_l(g.strip(), x["answer"]) for g, x in zip(got, items)) / len(items), 3)
            if mname == "base" or domain_of.get(mname) == d:
                got2 = answers(m, qs, re2=True)
                ok2 = [g.strip() == x["answer"] for g, x in zip(got2, items)]
                correct[(mname, d, True)] = ok2
                res["exact_re2"][mname][d] = pct(ok2)
        print(f"{mname}: {res['exact'][mname]} re2 {res['exact_re2'][mname]} ({time.time() - t0:.0f}s)", flush=True)
        if mname in args.vote_domains.split(","):
            d = domain_of[mname]
            items = sets[d]
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
    # Per domain: base greedy, base + RE2, each adapter greedy and + RE2,
    # with the paired tests between neighbouring rows.
    for d in data.DOMAINS:
        b, b2 = correct[("base", d, False)], correct[("base", d, True)]
        dom = {"base": pct(b), "base_re2": pct(b2), "base_re2_vs_base": paired(b2, b), "adapters": {}}
        for a in (n for n in adapters if domain_of[n] == d):
            x, x2 = correct[(a, d, False)], correct[(a, d, True)]
            dom["adapters"][a] = {"greedy": pct(x), "re2": pct(x2),
                                  "greedy_vs_base": paired(x, b),
                                  "re2_vs_base_re2": paired(x2, b2),
                                  "re2_vs_greedy": paired(x2, x)}
        res["domains"][d] = dom
    res["seconds"] = round(time.time() - t0, 1)
    write_json(os.path.join(LOG_DIR, "eval.json"), res)

    print("\nAccuracy, greedy (rows: models; columns: held-out sets)\n")
    print("| model | " + " | ".join(data.DOMAINS) + " |")
    print("|---|" + "---|" * len(data.DOMAINS))
    for mname in models:
        print(f"| {mname} | " + " | ".join(f"{res['exact'][mname][d]:.3f}" for d in data.DOMAINS) + " |")
    print("\nIn the domain's answer format, right or wrong (evaluate.in_format)\n")
    print("| model | " + " | ".join(data.DOMAINS) + " |")
    print("|---|" + "---|" * len(data.DOMAINS))
    for mname in models:
        print(f"| {mname} | " + " | ".join(f"{res['format'][mname][d]:.3f}" for d in data.DOMAINS) + " |")
    print("\nPer domain, exact McNemar p between neighbouring rows (first only / second only)\n")
    print("| domain | row | accuracy | against | discordant | p |")
    print("|---|---|---|---|---|---|")

    def row(d, name, acc, against="", t=None):
        disc = f"{t['first_only']} / {t['second_only']}" if t else ""
        p = f"{t['p']:.2g}" if t else ""
        print(f"| {d} | {name} | {acc:.3f} | {against} | {disc} | {p} |")
    for d, dom in res["domains"].items():
        row(d, "base greedy", dom["base"])
        row(d, "base + RE2", dom["base_re2"], "base greedy", dom["base_re2_vs_base"])
        for a, r in dom["adapters"].items():
            row(d, f"{a} greedy", r["greedy"], "base greedy", r["greedy_vs_base"])
            row(d, f"{a} + RE2", r["re2"], f"{a} greedy", r["re2_vs_greedy"])
            row(d, f"{a} + RE2", r["re2"], "base + RE2", r["re2_vs_base_re2"])
    print("\nvoting:", res["voting"])


if __name__ == "__main__":
    main()
