"""Write the held-out sets adapters/tiny/data/{domain}.jsonl (fixed seeds),
from the benchmark distribution (data.BENCH_GENERATORS: other frames,
names, items, words and numbers than training; see data.py).  Training
streams also skip every question that is in these files, and
overlap_check.py checks that none is near one they hold."""

import json
import os

import data
from common import DATA_DIR

N = 200
SEEDS = {"math": 1001, "code": 1002, "analysis": 1003, "writing": 1004,
         "math-hard": 1005}  # the tool experiment's (issue #19)

if __name__ == "__main__":
    os.makedirs(DATA_DIR, exist_ok=True)
    for d in data.HELDOUT:
        items = data.make_split(d, N, SEEDS[d], generators=data.BENCH_GENERATORS)
        with open(os.path.join(DATA_DIR, f"{d}.jsonl"), "w") as f:
            for q, a in items:
                f.write(json.dumps({"question": q, "answer": a}) + "\n")
        print(d, len(items))
