"""Write the held-out sets adapters/tiny/data/{domain}.jsonl (fixed seeds).
Training streams skip every question that is in these files."""

import json
import os

import data
from common import DATA_DIR

N = 200
SEEDS = {"math": 1001, "code": 1002, "analysis": 1003, "writing": 1004}

if __name__ == "__main__":
    os.makedirs(DATA_DIR, exist_ok=True)
    for d in data.DOMAINS:
        items = data.make_split(d, N, SEEDS[d])
        with open(os.path.join(DATA_DIR, f"{d}.jsonl"), "w") as f:
            for q, a in items:
                f.write(json.dumps({"question": q, "answer": a}) + "\n")
        print(d, len(items))
