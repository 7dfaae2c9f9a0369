"""The tiny world's benchmarks against its training data (issue #18): no
benchmark case may be a training question, near one, or the same template
with the same numbers.  Plain python3, no torch: the training streams are
regenerated from their seeds (runs.trained_questions replays the packing,
so exactly the questions each run trains on are checked).

    python3 overlap_check.py [--tiny DIR] [--runs base,math,...]
    python3 overlap_check.py --show RUN N     the Nth question RUN trains on

Checked: every case of DIR/benchmarks/DOMAIN.jsonl, DIR/data/DOMAIN.jsonl
and the domain rows of DIR/benchmarks/router.tsv, against every question
of the base's run (its pool and its generic skills) and of each adapter's:

  exact duplicate  the same text (case and spaces aside)
  near duplicate   the same text once numbers, names (and any capitalized
                   word inside a sentence) and items are masked (a training
                   problem with other numbers, names or items)
  same template    the same frame (numbers, names, items and vocabulary
  with the same    words masked) with the same numbers in the same order
  numbers

Exit 0 when nothing overlaps; 1 with the offending pairs on stderr.
"""

import argparse
import json
import os
import re
import sys

import data
import runs

HERE = os.path.dirname(os.path.abspath(__file__))


def _alternation(words):
    return re.compile(r"\b(" + "|".join(sorted(map(re.escape, set(words)), key=len, reverse=True)) + r")\b",
                      re.IGNORECASE)


NAMES_RE = _alternation(data.NAMES + data.BENCH_NAMES + data.PEOPLE + data.BENCH_PEOPLE)
ITEMS_RE = _alternation(data.ITEMS + data.BENCH_ITEMS)
WORDS_RE = _alternation(data.ALL_WORDS + [v for pair in data.VERBS for v in pair])
DIGITS_RE = re.compile(r"\d+")


def norm(q):
    return " ".join(q.lower().split())


CAPITALIZED_RE = re.compile(r"(?<![.?!:] )\b[A-Z][a-z]+\b")


def names_masked(q):
    """Names masked: those of data.py's lists and any other capitalized
    word that does not start a sentence (made-up training names)."""
    first, _, rest = NAMES_RE.sub("<n>", " ".join(q.split())).partition(" ")
    return (first + " " + CAPITALIZED_RE.sub("<n>", rest)).lower()


def near_key(q):
    """Numbers, names and items masked."""
    s = ITEMS_RE.sub("<i>", names_masked(q))
    return DIGITS_RE.sub("#", s)


def template_key(q):
    """The frame and the numbers: names, items and vocabulary words masked,
    the digits kept in order."""
    s = WORDS_RE.sub("<w>", ITEMS_RE.sub("<i>", names_masked(q)))
    nums = tuple(DIGITS_RE.findall(s))
    return (DIGITS_RE.sub("#", s), nums) if nums else None


def benchmark_cases(tiny):
    """(where, domain, question) of every case loco is measured on."""
    out = []
    for d in data.HELDOUT:
        for sub, field in (("benchmarks", "instruction"), ("data", "question")):
            path = os.path.join(tiny, sub, f"{d}.jsonl")
            if not os.path.exists(path):
                continue
            with open(path) as f:
                for n, line in enumerate(f, 1):
                    if line.strip():
                        out.append((f"{sub}/{d}.jsonl:{n}", d, json.loads(line)[field]))
    path = os.path.join(tiny, "benchmarks", "router.tsv")
    if os.path.exists(path):
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if line.startswith("#") or "\t" not in line:
                    continue
                d, q = line.rstrip("\n").split("\t", 1)
                if d in data.DOMAINS:
                    out.append((f"benchmarks/router.tsv:{n}", d, q))
    return out


def held_questions(tiny):
    """What the training streams skip (common.heldout_questions, no torch)."""
    held = set()
    for d in data.HELDOUT:
        path = os.path.join(tiny, "data", f"{d}.jsonl")
        if os.path.exists(path):
            with open(path) as f:
                held.update(json.loads(l)["question"] for l in f if l.strip())
    return held


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiny", default=os.path.dirname(HERE), help="the tiny world (default adapters/tiny)")
    ap.add_argument("--runs", default=",".join(["base"] + list(runs.ADAPTERS) + list(runs.TOOL_ADAPTERS)))
    ap.add_argument("--show", nargs=2, metavar=("RUN", "N"))
    args = ap.parse_args()
    held = held_questions(args.tiny)
    if args.show:
        print(runs.trained_questions(args.show[0], held)[int(args.show[1])])
        return 0
    cases = benchmark_cases(args.tiny)
    if not cases:
        print(f"overlap_check: no benchmark cases under {args.tiny}", file=sys.stderr)
        return 1
    exact, near, tmpl = {}, {}, {}
    total = 0
    for run in args.runs.split(","):
        for k, q in enumerate(runs.trained_questions(run, held)):
            total += 1
            key = norm(q)
            if key in exact:  # seen (the base's pool is seen many times)
                continue
            where = (run, k, q)
            exact[key] = where
            near.setdefault(near_key(q), where)
            t = template_key(q)
            if t is not None:
                tmpl.setdefault(t, where)
    bad = []
    for where, d, q in cases:
        for what, table, key in (("exact duplicate", exact, norm(q)),
                                 ("near duplicate", near, near_key(q)),
                                 ("same template with the same numbers", tmpl, template_key(q))):
            if key is not None and key in table:
                run, k, tq = table[key]
                bad.append(f"{where}: {what} of training question {k} of run {run}:\n"
                           f"  benchmark: {q!r}\n  training:  {tq!r}")
                break
    if bad:
        for b in bad[:20]:
            print("overlap_check: " + b, file=sys.stderr)
        more = " (the first 20 above)" if len(bad) > 20 else ""
        print(f"overlap_check: {len(bad)} of {len(cases)} benchmark cases overlap the training "
              f"data{more}: change the benchmark distribution in data.py (BENCH_GENERATORS) "
              f"or the training streams", file=sys.stderr)
        return 1
    print(f"overlap_check: {len(cases)} benchmark cases, {total} training questions of "
          f"{len(args.runs.split(','))} runs: no exact or near duplicate, no template with the same numbers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
