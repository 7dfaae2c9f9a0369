"""Route every held-out question with loco's keyword router and count how
many go to their own domain's adapter.

    python3 adapters/tiny/train/route_check.py [--loco ./loco] [--registry adapters/tiny/registry.yaml]
"""

import argparse
import json
import os
import subprocess
import sys

DOMAINS = ["math", "code", "analysis", "writing"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--loco", default="./loco")
    ap.add_argument("--registry", default="adapters/tiny/registry.yaml")
    ap.add_argument("--out")
    args = ap.parse_args()
    data_dir = os.path.join(os.path.dirname(os.path.abspath(args.registry)), "data")
    res = {}
    # the keyword router, whatever the user's config or router model says
    env = dict(os.environ, LOCO_ROUTER_TYPE="keyword")
    for d in DOMAINS:
        ok = 0
        items = [json.loads(l) for l in open(os.path.join(data_dir, f"{d}.jsonl")) if l.strip()]
        for x in items:
            p = subprocess.run([args.loco, "--registry", args.registry, "route", "--json", "-"],
                               input=x["question"], capture_output=True, text=True, env=env)
            try:
                got = json.loads(p.stdout).get("adapter")
            except ValueError:
                got = None
            if got == d:
                ok += 1
            else:
                print(f"  {d} -> {got}: {x['question']}  [{p.stdout.strip()} {p.stderr.strip()}]")
        res[d] = {"routed": ok, "n": len(items)}
        print(f"{d}: {ok}/{len(items)}", flush=True)
    tot = sum(v["routed"] for v in res.values())
    n = sum(v["n"] for v in res.values())
    print(f"all: {tot}/{n}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(res, f, indent=1)
            f.write("\n")
    return 0 if tot == n else 1


if __name__ == "__main__":
    sys.exit(main())
