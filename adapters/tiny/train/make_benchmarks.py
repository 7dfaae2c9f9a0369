"""Write the tiny world's loco files (fixed seeds), from data/*.jsonl and
the generators:

  benchmarks/DOMAIN.jsonl  the held-out sets as loco benchmarks (see
                           loco-benchmark(5)): math by number, the others
                           by the exact text of the answer; math-hard
                           (by number) is the tool experiment's
  benchmarks/router.tsv    the router set: 50 fresh questions per domain
                           (the benchmark distribution) and
                           50 of the base's own bare skills ("none"), none
                           of them in data/ or general.txt
  benchmarks/general.txt   100 other bare-skill prompts: the classifier's
                           "none" class (loco router train)
"""

import json
import os
import random

import data
from common import TINY, load_heldout

OUT = os.path.join(TINY, "benchmarks")
EXACT_TEXT = r"(?s)^\s*(.*?)\s*$"
ROUTER_SEEDS = {"math": 2001, "code": 2002, "analysis": 2003, "writing": 2004}


def write_benchmark(domain):
    path = os.path.join(OUT, f"{domain}.jsonl")
    with open(path, "w") as f:
        for i, x in enumerate(load_heldout(domain), 1):
            case = {"id": f"{domain}-{i:03d}", "instruction": x["question"], "input": "",
                    "expected_output": x["answer"], "evaluation_type": "exact_match"}
            if domain in ("math", "math-hard"):
                case["evaluation_config"] = {"answer_type": "number"}
            else:
                case["evaluation_config"] = {"extract_pattern": EXACT_TEXT}
            f.write(json.dumps(case) + "\n")


def skills(seed, n, exclude):
    r = random.Random(seed)
    out = []
    while len(out) < n:
        q, _ = data.gen_skill(r)
        if q not in exclude and q not in out:
            out.append(q)
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    held = set()
    for d in data.HELDOUT:
        write_benchmark(d)
        held.update(x["question"] for x in load_heldout(d))
    general = skills(3005, 100, held)
    rows = []
    for d in data.DOMAINS:
        for q, _ in data.make_split(d, 50, ROUTER_SEEDS[d], exclude=held,
                                    generators=data.BENCH_GENERATORS):
            rows.append((d, q))
    rows += [("none", q) for q in skills(2005, 50, held | set(general))]
    with open(os.path.join(OUT, "router.tsv"), "w") as f:
        f.write("# The tiny world's router set (train/make_benchmarks.py): 50 fresh\n"
                "# questions per domain and 50 bare-skill prompts for the base model.\n")
        for d, q in rows:
            f.write(f"{d}\t{q}\n")
    with open(os.path.join(OUT, "general.txt"), "w") as f:
        f.write("# Bare-skill prompts the tiny base answers itself: the \"none\" class.\n")
        for q in general:
            f.write(q + "\n")
    print(f"benchmarks: {len(data.HELDOUT)} x 200 cases, router.tsv {len(rows)} rows, general.txt {len(general)}")


if __name__ == "__main__":
    main()
