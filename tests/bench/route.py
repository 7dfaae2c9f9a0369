#!/usr/bin/python3
"""route.py: `loco route` as a small Python CLI, for tests/bench.sh.

The yardstick the speed target is measured against: the same job done the
way a typical Python tool would do it (argparse, PyYAML, re, json).  It
loads the same registry, splits the question and the keyword phrases into
words the same way (runs of ASCII letters and digits and non-ASCII
characters, a trailing '+' or '#' kept, a phrase word's trailing '*'
matching any word it begins), scores and ranks like include/router.h, and
prints the decision in loco route's format.  Registry validation is lighter
than loco's: this is a timing yardstick, not a second implementation.

It parses YAML with yaml.safe_load, as most Python tools do; --libyaml uses
PyYAML's C binding instead (the fastest a Python tool can get), and
--registry-json FILE reads a JSON copy of the registry, for machines
without PyYAML.
"""
import hashlib
import argparse
import json
import os
import re
import sys

WORD = re.compile(r"[A-Za-z0-9\u0080-\U0010ffff]+[+#]*")
PATTERN = re.compile(r"[A-Za-z0-9\u0080-\U0010ffff]+[+#]*\*?")
LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def words(text, pattern=WORD):
    # ASCII-only lower-casing, as loco does in the C locale.
    return [w.translate(LOWER) for w in pattern.findall(text)]


def normalise(phrase):
    return " ".join(str(phrase).split()).translate(LOWER)


def locate(explicit):
    if explicit:
        return explicit
    home = os.environ.get("LOCO_HOME") or os.path.join(
        os.path.expanduser("~"), ".locollm")
    for path in (os.path.join(home, "adapters", "registry.yaml"),
                 os.path.join("adapters", "registry.yaml"),
                 "/usr/local/share/loco/adapters/registry.yaml"):
        if os.path.exists(path):
            return path
    sys.exit("route.py: no adapter registry found")


def load(path, as_json, libyaml):
    with open(path, encoding="utf-8") as f:
        if as_json:
            return json.load(f)
        import yaml
        if libyaml:
            return yaml.load(f, Loader=yaml.CSafeLoader)
        return yaml.safe_load(f)


class Phrase:
    __slots__ = ("text", "words", "weight")

    def __init__(self, text, weight):
        self.text = text
        self.words = words(text, PATTERN)
        self.weight = float(weight)

    def occurs(self, qwords):
        n = len(self.words)
        if n == 0 or n > len(qwords):
            return False
        for i in range(len(qwords) - n + 1):
            for j, pat in enumerate(self.words):
                w = qwords[i + j]
                if len(pat) > 1 and pat.endswith("*"):
                    if not w.startswith(pat[:-1]):
                        break
                elif pat != w:
                    break
            else:
                return True
        return False


def adapter_phrases(ad):
    kw = {}
    rk = ad.get("router_keywords") or {}
    if isinstance(rk, list):
        for p in rk:
            kw[normalise(p)] = 1.0
    else:
        for p, w in rk.items():
            kw[normalise(p)] = w
    for p, w in (ad.get("keyword_weights") or {}).items():
        kw[normalise(p)] = w
    return [Phrase(p, w) for p, w in kw.items() if words(p, PATTERN)]


def tag_chars(s, c):
    return "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "_.-" else c for ch in s)


def model_name(ad, base_tag):
    """registry.c's adapter_model_name: loco-NAME:VERSION-BASE, cut at 80
    characters with a hash of the whole."""
    if ad.get("type") == "tag":
        return ad["tag"]
    if base_tag.lower().endswith(":latest") and len(base_tag) > 7:
        base_tag = base_tag[:-7]
    tag = "%s-%s" % (tag_chars(str(ad["version"]), "_"), tag_chars(base_tag, "-"))
    if len(tag) > 80:
        tag = "%s-%.8s" % (tag[:71], hashlib.sha256(tag.encode()).hexdigest())
    return "loco-%s:%s" % (ad["name"], tag)


def route(reg, question, min_score):
    qwords = words(question)
    cands = []
    for index, ad in enumerate(reg.get("adapters") or []):
        if ad.get("active", True) is False:
            continue
        score, hits, nwords = 0.0, [], 0
        for ph in adapter_phrases(ad):
            if ph.occurs(qwords):
                score += ph.weight
                hits.append(ph.text)
                nwords += len(ph.words)
        if hits and score > 0:
            cands.append({"adapter": ad, "score": score, "hits": hits,
                          "nwords": nwords, "index": index})
    cands.sort(key=lambda c: (-c["score"], -len(c["hits"]), -c["nwords"],
                              c["index"]))
    total = sum(c["score"] for c in cands)
    if not cands:
        return None, 0.0, 0.0, "no keyword matched", cands
    if cands[0]["score"] < min_score:
        return None, 0.0, 0.0, "keyword score below router.min_score", cands
    top = cands[0]
    return top["adapter"], top["score"], top["score"] / total, "keywords", cands


def main():
    ap = argparse.ArgumentParser(prog="route.py",
                                 description="show which adapter a question "
                                 "would go to, without inference")
    ap.add_argument("--registry")
    ap.add_argument("--registry-json")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--libyaml", action="store_true",
                    help="parse with PyYAML's libyaml binding (CSafeLoader)")
    ap.add_argument("--min-score", type=float,
                    default=float(os.environ.get("LOCO_ROUTER_MIN_SCORE",
                                                 "1.0")))
    ap.add_argument("question", nargs="+")
    args = ap.parse_args()

    question = " ".join(args.question)
    if question == "-":
        question = sys.stdin.read()
    question = question.strip()
    if not question:
        ap.error("the question is empty")
    if args.registry_json:
        reg = load(args.registry_json, True, False)
    else:
        reg = load(locate(args.registry), False, args.libyaml)
    ad, score, conf, reason, cands = route(reg, question, args.min_score)

    if args.json:
        out = {"adapter": ad["name"] if ad else None,
               "domain": ad["domain"] if ad else None,
               "model": model_name(ad, reg["base_model"]["tag"]) if ad else reg["base_model"]["tag"],
               "router": "keyword", "reason": reason, "score": score,
               "confidence": conf,
               "candidates": [{"adapter": c["adapter"]["name"],
                               "domain": c["adapter"]["domain"],
                               "score": c["score"], "keywords": c["hits"]}
                              for c in cands]}
        print(json.dumps(out, indent="\t"))
        return
    if ad is not None:
        print("%s\tdomain %s, model %s, score %g, confidence %.2f"
              % (ad["name"], ad["domain"], model_name(ad, reg["base_model"]["tag"]), score, conf))
    else:
        print("base\tmodel %s (%s)" % (reg["base_model"]["tag"], reason))
    for c in cands:
        print("  %-12s %6g  %s" % (c["adapter"]["name"], c["score"],
                                   ", ".join(c["hits"])))


if __name__ == "__main__":
    main()
