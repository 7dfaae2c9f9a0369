#!/usr/bin/python3
"""check.py: validate loco's evaluation benchmark data.

    /usr/bin/python3 tests/bench_data/check.py [BENCHMARK_DIR]

Checks benchmarks/{math,code,analysis,writing}.jsonl (the full form of the
benchmark format), benchmarks/router.tsv, benchmarks/router-dev.tsv,
benchmarks/router-dev2.tsv, benchmarks/general.txt and the router_examples
of adapters/registry.yaml:

  - every line is a JSON object with the required keys and types, ids are
    "<domain>-NNN" and unique, difficulty and tags are well formed;
  - each evaluation_type has the config it needs (answer_type, tolerance,
    substring, choice options, rouge threshold, judge rubric and scale,
    code entry point and tests);
  - code: every reference solution is run with its tests in a fresh
    python3 (with a timeout) and must pass; the tests must also reject a
    stub that returns None, so they test something;
  - math: every answer is recomputed from an independent Python expression
    kept in MATH below; a few numeric analysis answers likewise (ANALYSIS);
  - multiple choice: the options A) B) ... are parsed from the instruction
    and the expected letter must be one of them;
  - rouge_l: thresholds lie in 0.4..0.7 and copying the input unchanged
    must score at least 0.05 below the threshold (ROUGE-L as include/rouge.h);
  - router.tsv: domain<TAB>query, valid domains, no duplicates, no query
    taken from a benchmark instruction; general.txt: unique lines, none in
    router.tsv or the benchmarks; the registry's router_examples: none in
    router.tsv; router-dev.tsv and router-dev2.tsv (the development sets):
    like router.tsv, sharing no query with router.tsv, general.txt,
    router_examples, the benchmarks or each other;
  - minimum counts per file.

Prints the counts and exits 0 when everything passes, 1 otherwise.
"""
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "benchmarks")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

DOMAINS = ("math", "code", "analysis", "writing")
ROUTER_DOMAINS = DOMAINS + ("none",)
MINIMUM = {"math": 60, "code": 60, "analysis": 55, "writing": 55}
MIN_ROUTER, MIN_ROUTER_NONE, MIN_GENERAL, MIN_ROUTER_DEV = 220, 45, 120, 250
ECHO_MARGIN = 0.05  # rouge_l: an unchanged copy of the input must score this far below
REQUIRED = {"id": str, "instruction": str, "input": str, "expected_output": str,
            "evaluation_type": str, "evaluation_config": dict, "difficulty": str, "tags": list}
EVAL_TYPES = ("exact_match", "contains", "multiple_choice", "rouge_l", "code_execution", "llm_judge")
ALLOWED = {
    "math": {"exact_match"},
    "code": {"code_execution"},
    "analysis": {"exact_match", "multiple_choice", "contains"},
    "writing": {"rouge_l", "llm_judge"},
}
ANSWER_TYPES = ("number", "choice", "regex", "code", "text")
DIFFICULTIES = ("easy", "medium", "hard")

errors = []


def fail(where, msg):
    errors.append(f"{where}: {msg}")


# --- helpers for the recomputations ---------------------------------------

def polyval(c, x):
    """c: coefficients, highest power first."""
    v = 0.0
    for a in c:
        v = v * x + a
    return v


def polyint(c, a, b):
    """Definite integral of the polynomial c from a to b."""
    n = len(c)
    anti = [coef / (n - i) for i, coef in enumerate(c)] + [0.0]
    return polyval(anti, b) - polyval(anti, a)


def nd(f, x, h=1e-5):
    """Central-difference derivative."""
    return (f(x + h) - f(x - h)) / (2 * h)


def lim(f, x, h=1e-7):
    return (f(x - h) + f(x + h)) / 2


def roots(a, b, c):
    d = math.sqrt(b * b - 4 * a * c)
    return ((-b - d) / (2 * a), (-b + d) / (2 * a))


ENV = {"math": math, "pi": math.pi, "sqrt": math.sqrt, "hypot": math.hypot, "log": math.log,
       "log2": math.log2, "comb": math.comb, "factorial": math.factorial, "gcd": math.gcd,
       "lcm": lambda a, b: a * b // math.gcd(a, b), "mean": statistics.mean,
       "median": statistics.median, "mode": statistics.mode, "pstdev": statistics.pstdev,
       "polyval": polyval, "polyint": polyint, "nd": nd, "lim": lim, "roots": roots}

# id -> expression that recomputes the answer from the problem statement
# (written independently of expected_output).  A tuple (expr, tol) sets a
# looser tolerance for numerical derivatives and limits.
MATH = {
    "math-001": "50 - 7 * 3.40",
    "math-002": "80 * (1 - 0.25) * (1 - 0.10)",
    "math-003": "(9 + 7) / (5 - 3)",
    "math-004": "3/4 + 5/8 - 1/2",
    "math-005": "350 / 5 * 2",
    "math-006": "max(roots(1, -5, -14))",
    "math-007": "min(roots(2, 3, -2))",
    "math-008": "len([1 for a in range(1, 7) for b in range(1, 7) if a + b == 8]) / 36",
    "math-009": "72 * 1000 / 3600",
    "math-010": "polyval([9, -8, 2], 2)",
    "math-011": "polyint([1, 2, 0], 0, 3)",
    "math-012": "7 + (25 - 1) * 4",
    "math-013": "sum(3 + 5 * k for k in range(20))",
    "math-014": "hypot(9, 12)",
    "math-015": "pi * 5 ** 2",
    "math-016": "mean([12, 15, 9, 20, 14])",
    "math-017": "median([7, 3, 9, 12, 5, 10])",
    "math-018": "3 * 2 ** 7",
    "math-019": "240 / 2.5",
    "math-020": "(52 - 40) / 40 * 100",
    "math-021": "2000 * 0.045 * 3",
    "math-022": "1000 * 1.05 ** 2",
    "math-023": "(9 + 6) / (5 - 2)",
    "math-024": "((14 + 4) / 2) * ((14 - 4) / 2)",
    "math-025": "0.15 * 240",
    "math-026": "78 / 1.2",
    "math-027": "6 / (4 + 6 + 5)",
    "math-028": "(3 / 5) * (2 / 4)",
    "math-029": "3.5 * 60",
    "math-030": "5 * 1.609",
    "math-031": "15 * (46 / 2 - 15)",
    "math-032": "14 * 9 / 2",
    "math-033": ("nd(lambda x: (2 * x + 1) ** 3, 1)", 1e-6),
    "math-034": "polyint([6, -4, 1], 1, 2)",
    "math-035": "(17 - 5) / (6 - 2)",
    "math-036": "hypot(7 - 1, 10 - 2)",
    "math-037": "log2(64)",
    "math-038": "2 ** 10 - 10 ** 2",
    "math-039": "40 * 18.50 + (46 - 40) * 18.50 * 1.5",
    "math-040": "87.60 * 1.15 / 3",
    "math-041": "6.5 * 340 / 100",
    "math-042": "32 * 5 / (3 + 5)",
    "math-043": "roots(1, 6, 9)[0]",
    "math-044": "sum(roots(3, -12, 7))",
    "math-045": "(-3) ** 2 - 4 * 2 * (-5)",
    "math-046": "min(polyval([2, -8, 3], x / 1000) for x in range(-10000, 10001))",
    "math-047": "1 - 0.5 ** 3",
    "math-048": "len({(r, s) for r in range(13) for s in range(4) if s == 0 or r == 12}) / 52",
    "math-049": "pi * 3 ** 2 * 10",
    "math-050": "6 * 4 ** 2",
    "math-051": "(6 - 2) * 180",
    "math-052": "(8 - 2) * 180 / 8",
    "math-053": "300 / (70 + 80)",
    "math-054": "(10 * 0.20 + 15 * 0.40) / (10 + 15) * 100",
    "math-055": "0.6 * 75 + 0.4 * 90",
    "math-056": "log(81, 3)",
    "math-057": "max((11 + 3) / 2, (-11 + 3) / 2)",
    "math-058": "(10 - 3) * 4",
    "math-059": ("nd(lambda x: x ** 4 - 3 * x ** 2, -1)", 1e-6),
    "math-060": "polyint([-1, 0, 4], -2, 2)",
    "math-061": "pstdev([1, 3, 5, 7, 9])",
    "math-062": "mode([3, 7, 7, 2, 9, 3, 7, 1])",
    "math-063": "max([14, 3, 22, 9, 17]) - min([14, 3, 22, 9, 17])",
    "math-064": "lcm(12, 18)",
    "math-065": "gcd(84, 126)",
    "math-066": "5 * 12 / 6",
    "math-067": "42 / 60 * 100",
    "math-068": "(68 - 32) * 5 / 9",
    "math-069": "0.2 * 10 + 0.8 * (-3)",
    "math-070": "comb(8, 3)",
    "math-071": "len(set(__import__('itertools').permutations('LEVEL')))",
    "math-072": ("lim(lambda x: (x ** 2 - 9) / (x - 3), 3)", 1e-6),
}

# Numeric answers in analysis.jsonl, recomputed from the passage.
ANALYSIS = {
    "analysis-004": "25 - 18",
    "analysis-005": "34 + (34 - 12) + 2 * (34 - 12)",
    "analysis-018": "18 - 4 - 2 * 4",
    "analysis-025": "18 + 15 - (30 - 4)",
    "analysis-030": "(2400 - 1080 - 720) / 2400 * 100",
    "analysis-032": "next(3 * m for m in range(1, 50) if 3 * m + 6 == 2 * (m + 6))",
    "analysis-038": "240 - 17",
    "analysis-045": "18 * 1.5 - 9",
    "analysis-049": "1 + 1 + 2",
    "analysis-054": "12 * 15 - (9 * 15 + 7)",
}


def evaluate(expr):
    return eval(expr, dict(ENV))  # trusted: our own table


# --- ROUGE-L, as include/rouge.h --------------------------------------------

WORD = re.compile(r"[A-Za-z0-9\u0080-\U0010ffff]+[+#]*")
LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def words(text):
    return [w.translate(LOWER) for w in WORD.findall(text)]


def rouge_l(candidate, reference):
    a, b = words(candidate), words(reference)
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    lcs = prev[-1]
    if lcs == 0:
        return 0.0
    p, r = lcs / len(a), lcs / len(b)
    return 2 * p * r / (p + r)


# --- per-item checks ----------------------------------------------------------

PLAIN_NUMBER = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$")
OPTION = re.compile(r"(?:^|\s)([A-E])\) ")
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
EXAMPLE = re.compile(r'^      - "((?:[^"\\]|\\.)*)"$')


def norm(text):
    """The words of text, lower case, apostrophes dropped ("what's" is
    "whats"), for comparing queries."""
    return " ".join(words(text.replace("'", "").replace("\u2019", "")))


def choice_options(instruction):
    """Letters of the options listed as 'A) ... B) ...', in order."""
    return [m.group(1) for m in OPTION.finditer(instruction)]


def number_matches(where, value, expected, config, instruction, tol=None):
    want = float(expected)
    rel = config.get("tolerance", 1e-6)
    if rel >= 1e-3:
        # A rounded answer: the instruction must say how to round, and the
        # exact value rounded that way must give expected_output.
        if "round" not in instruction.lower():
            fail(where, "tolerance for rounding but the instruction does not say how to round")
        decimals = len(expected.split(".")[1]) if "." in expected else 0
        if round(value, decimals) != want:
            fail(where, f"recomputed {value!r} rounds to {round(value, decimals)}, expected {expected}")
    else:
        t = tol if tol is not None else 1e-9
        if abs(value - want) > t * max(1.0, abs(want)):
            fail(where, f"recomputed {value!r}, expected {expected}")


def check_config(where, domain, item):
    et, cfg = item["evaluation_type"], item["evaluation_config"]
    exp = item["expected_output"]
    if et not in EVAL_TYPES:
        fail(where, f"unknown evaluation_type {et!r}")
        return
    if et not in ALLOWED[domain]:
        fail(where, f"evaluation_type {et} not used for {domain}")
    if et == "exact_match":
        at = cfg.get("answer_type")
        if at not in ANSWER_TYPES:
            fail(where, f"exact_match needs answer_type in {ANSWER_TYPES}, got {at!r}")
        if at == "number":
            tol = cfg.get("tolerance")
            if not isinstance(tol, (int, float)) or isinstance(tol, bool) or not 0 < tol <= 0.05:
                fail(where, f"number tolerance must be a number in (0, 0.05], got {tol!r}")
            if not PLAIN_NUMBER.match(exp):
                fail(where, f"expected_output {exp!r} is not a plain number string")
        elif at == "text":
            if not exp.strip() or len(exp.split()) > 4:
                fail(where, f"text answer should be a short span, got {exp!r}")
            if exp != exp.strip():
                fail(where, "text answer has outer white space")
            if domain == "analysis" and "answer" not in item["instruction"].lower():
                fail(where, "text answer: the instruction should say how to answer")
            if re.fullmatch(r"[A-Za-z ]+", exp) and exp.lower() not in (item["input"] + " " + item["instruction"]).lower():
                fail(where, f"text answer {exp!r} does not occur in the passage or question")
        if domain == "math" and at != "number":
            fail(where, "math answers must be answer_type number")
        if domain == "analysis" and at != "text":
            fail(where, "analysis exact_match must be answer_type text")
    elif et == "contains":
        sub = cfg.get("substring")
        if not isinstance(sub, str) or not sub.strip():
            fail(where, "contains needs a non-empty substring")
        elif sub.lower() not in exp.lower():
            fail(where, "substring does not occur in expected_output")
        elif domain == "analysis" and sub.lower() not in item["input"].lower():
            fail(where, f"substring {sub!r} is not grounded in the passage")
    elif et == "multiple_choice":
        if cfg.get("answer_type") != "choice":
            fail(where, "multiple_choice needs answer_type choice")
        letters = choice_options(item["instruction"])
        if len(letters) < 3 or letters != list("ABCDE"[:len(letters)]):
            fail(where, f"options must be listed as A) B) C) ... in order, found {letters}")
        if exp not in letters:
            fail(where, f"expected letter {exp!r} is not among the options {letters}")
        parts = OPTION.split(item["instruction"])[2::2]
        texts = [p.strip().rstrip(".").strip() for p in parts]
        if len(set(texts)) != len(texts):
            fail(where, "duplicate option texts")
    elif et == "rouge_l":
        thr = cfg.get("threshold")
        if not isinstance(thr, (int, float)) or not 0.4 <= thr <= 0.7:
            fail(where, f"rouge_l threshold should be in 0.4..0.7, got {thr!r}")
        elif item["input"]:
            echo = rouge_l(item["input"], exp)
            if echo > thr - ECHO_MARGIN + 1e-9:
                fail(where, f"copying the input scores ROUGE-L {echo:.3f}, too close to threshold {thr}")
    elif et == "llm_judge":
        if not isinstance(cfg.get("rubric"), str) or len(cfg["rubric"]) < 20:
            fail(where, "llm_judge needs a rubric")
        thr = cfg.get("threshold")
        if not isinstance(thr, (int, float)) or not 0 < thr <= 1:
            fail(where, f"llm_judge threshold must be in (0, 1], got {thr!r}")
        sc = cfg.get("scale")
        if not (isinstance(sc, list) and len(sc) == 2 and all(isinstance(x, int) for x in sc) and sc[0] < sc[1]):
            fail(where, f"llm_judge scale must be [low, high] integers, got {sc!r}")
    elif et == "code_execution":
        if cfg.get("language") != "python":
            fail(where, "code_execution language must be python")
        ep = cfg.get("entry_point")
        if not isinstance(ep, str) or not IDENT.match(ep):
            fail(where, f"bad entry_point {ep!r}")
            return
        if f"`{ep}(" not in item["instruction"]:
            fail(where, f"instruction does not name `{ep}(...)`")
        if not item["instruction"].startswith("Write a Python function `"):
            fail(where, "instruction should start 'Write a Python function `'")
        if not re.search(rf"^def {re.escape(ep)}\(", exp, re.M):
            fail(where, f"reference does not define {ep}")
        tests = cfg.get("tests")
        if not isinstance(tests, str) or "assert" not in tests:
            fail(where, "tests must be a string of asserts")
        to = cfg.get("timeout")
        if not isinstance(to, (int, float)) or not 0 < to <= 30:
            fail(where, f"timeout must be in (0, 30], got {to!r}")


def run_python(source, timeout):
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False, encoding="utf-8") as f:
        f.write(source)
        path = f.name
    try:
        r = subprocess.run([PYTHON, "-I", path], capture_output=True, text=True, timeout=timeout,
                           cwd=tempfile.gettempdir())
        return r.returncode, r.stderr.strip().splitlines()[-1:] or [""]
    except subprocess.TimeoutExpired:
        return None, ["timeout"]
    finally:
        os.unlink(path)


def check_code(where, item):
    cfg = item["evaluation_config"]
    ep, tests, timeout = cfg.get("entry_point"), cfg.get("tests"), cfg.get("timeout", 5)
    if not isinstance(ep, str) or not isinstance(tests, str):
        return
    rc, msg = run_python(item["expected_output"] + "\n\n" + tests + "\n", timeout)
    if rc != 0:
        fail(where, f"reference fails its tests: {msg[0]}")
    stub = f"def {ep}(*args, **kwargs):\n    return None\n\n" + tests + "\n"
    rc, _ = run_python(stub, timeout)
    if rc == 0:
        fail(where, "tests pass for a stub returning None")


def load_jsonl(domain):
    path = os.path.join(BENCH, f"{domain}.jsonl")
    items = []
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        fail(path, str(e))
        return items
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        fail(path, f"not UTF-8: {e}")
        return items
    if text and not text.endswith("\n"):
        fail(path, "no final newline")
    seen = set()
    for n, line in enumerate(text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"), 1):
        where = f"{domain}.jsonl:{n}"
        if not line.strip():
            fail(where, "blank line")
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            fail(where, f"bad JSON: {e}")
            continue
        if not isinstance(item, dict):
            fail(where, "not a JSON object")
            continue
        for k, t in REQUIRED.items():
            if k not in item:
                fail(where, f"missing key {k}")
            elif not isinstance(item[k], t):
                fail(where, f"{k} should be {t.__name__}")
        extra = set(item) - set(REQUIRED)
        if extra:
            fail(where, f"unknown keys {sorted(extra)}")
        if any(k not in item or not isinstance(item[k], REQUIRED[k]) for k in REQUIRED):
            continue
        where = f"{domain}.jsonl:{item['id']}"
        if not re.fullmatch(rf"{domain}-\d{{3}}", item["id"]):
            fail(where, "id must be <domain>-NNN")
        if item["id"] in seen:
            fail(where, "duplicate id")
        seen.add(item["id"])
        if not item["instruction"].strip():
            fail(where, "empty instruction")
        if not item["expected_output"].strip():
            fail(where, "empty expected_output")
        if item["difficulty"] not in DIFFICULTIES:
            fail(where, f"difficulty must be one of {DIFFICULTIES}")
        if not item["tags"] or not all(isinstance(t, str) and t.strip() for t in item["tags"]):
            fail(where, "tags must be a non-empty list of non-empty strings")
        if len(set(item["tags"])) != len(item["tags"]):
            fail(where, "duplicate tags")
        check_config(where, domain, item)
        items.append(item)
    return items


def main():
    data = {d: load_jsonl(d) for d in DOMAINS}
    instructions = {}
    for d, items in data.items():
        seen = {}
        for it in items:
            key = norm(it["instruction"] + " " + it["input"])
            if key in seen:
                fail(f"{d}.jsonl:{it['id']}", f"same instruction and input as {seen[key]}")
            seen[key] = it["id"]
            instructions[norm(it["instruction"])] = it["id"]
            if it["input"]:
                instructions[norm(it["input"])] = it["id"]
        if len(items) < MINIMUM[d]:
            fail(f"{d}.jsonl", f"{len(items)} cases, need at least {MINIMUM[d]}")

    # math: every answer recomputed
    for it in data["math"]:
        where = f"math.jsonl:{it['id']}"
        entry = MATH.get(it["id"])
        if entry is None:
            fail(where, "no recomputation in MATH")
            continue
        expr, tol = entry if isinstance(entry, tuple) else (entry, None)
        try:
            value = float(evaluate(expr))
        except Exception as e:  # noqa: BLE001
            fail(where, f"recomputation failed: {e}")
            continue
        if PLAIN_NUMBER.match(it["expected_output"]):
            number_matches(where, value, it["expected_output"], it["evaluation_config"],
                           it["instruction"], tol)
    for k in set(MATH) - {it["id"] for it in data["math"]}:
        fail("check.py", f"MATH has {k}, which is not in math.jsonl")

    by_id = {it["id"]: it for it in data["analysis"]}
    for k, expr in ANALYSIS.items():
        it = by_id.get(k)
        if it is None:
            fail("check.py", f"ANALYSIS has {k}, which is not in analysis.jsonl")
            continue
        value = float(evaluate(expr))
        if abs(value - float(it["expected_output"])) > 1e-9:
            fail(f"analysis.jsonl:{k}", f"recomputed {value}, expected {it['expected_output']}")

    # code: run every reference against its tests (and a stub)
    for it in data["code"]:
        check_code(f"code.jsonl:{it['id']}", it)
    names = [it["evaluation_config"].get("entry_point") for it in data["code"]]
    for n in {x for x in names if names.count(x) > 1}:
        fail("code.jsonl", f"entry point {n} used twice")

    # router.tsv
    router = {d: 0 for d in ROUTER_DOMAINS}
    queries = {}
    path = os.path.join(BENCH, "router.tsv")
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            where = f"router.tsv:{n}"
            if line.startswith("#"):
                continue
            if not line.strip():
                fail(where, "blank line")
                continue
            parts = line.split("\t")
            if len(parts) != 2:
                fail(where, "want exactly one tab: domain<TAB>query")
                continue
            dom, q = parts
            if dom not in ROUTER_DOMAINS:
                fail(where, f"bad domain {dom!r}")
                continue
            if not q.strip() or q != q.strip():
                fail(where, "empty query or outer white space")
            key = norm(q)
            if key in queries:
                fail(where, f"duplicate query (line {queries[key]})")
            queries[key] = n
            if key in instructions:
                fail(where, f"query copied from {instructions[key]}")
            elif len(key) > 25 and any(key in k for k in instructions):
                fail(where, "query is part of a benchmark instruction")
            router[dom] += 1
    total = sum(router.values())
    if total < MIN_ROUTER:
        fail("router.tsv", f"{total} queries, need at least {MIN_ROUTER}")
    if router["none"] < MIN_ROUTER_NONE:
        fail("router.tsv", f"{router['none']} none queries, need at least {MIN_ROUTER_NONE}")

    # general.txt
    general = 0
    seen = {}
    path = os.path.join(BENCH, "general.txt")
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            where = f"general.txt:{n}"
            if not line.strip():
                fail(where, "blank line")
                continue
            if "\t" in line or line != line.strip():
                fail(where, "tab or outer white space")
            key = norm(line)
            if key in seen:
                fail(where, f"duplicate of line {seen[key]}")
            seen[key] = n
            if key in queries:
                fail(where, f"also in router.tsv line {queries[key]}")
            if key in instructions:
                fail(where, f"copied from {instructions[key]}")
            general += 1
    if general < MIN_GENERAL:
        fail("general.txt", f"{general} questions, need at least {MIN_GENERAL}")

    # router_examples: training data too, so none may be a router.tsv query.
    # In the registry as a list, or in the file it names (one a line).
    examples = {}
    path = os.path.join(ROOT, "adapters", "registry.yaml")

    def example(where, text):
        key = norm(text)
        if key in queries:
            fail(where, f"router example also in router.tsv line {queries[key]}")
        examples.setdefault(key, where)

    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            inside = False
            for n, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if line.strip() == "router_examples:":
                    inside = True
                    continue
                m = re.match(r"^\s*router_examples:\s*(\S+)\s*$", line)
                if m:
                    ex = os.path.join(ROOT, "adapters", m.group(1))
                    with open(ex, encoding="utf-8") as g:
                        for k, e in enumerate(g, 1):
                            e = e.strip()
                            if e and not e.startswith("#"):
                                example(f"{m.group(1)}:{k}", e)
                    continue
                m = EXAMPLE.match(line)
                if not inside or not m:
                    inside = False
                    continue
                example(f"registry.yaml:{n}", json.loads('"' + m.group(1) + '"'))

    # router-dev.tsv and router-dev2.tsv: the development sets the router
    # is tuned and checked on; they share no query with router.tsv, with
    # the training data or with each other
    def devset(name, other):
        counts = {d: 0 for d in ROUTER_DOMAINS}
        devseen = {}
        path = os.path.join(BENCH, name)
        if not os.path.exists(path):
            return counts, devseen
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip("\n")
                where = f"{name}:{n}"
                if line.startswith("#"):
                    continue
                parts = line.split("\t")
                if len(parts) != 2 or parts[0] not in ROUTER_DOMAINS:
                    fail(where, "want domain<TAB>query with a router domain")
                    continue
                dom, q = parts
                if not q.strip() or q != q.strip():
                    fail(where, "empty query or outer white space")
                key = norm(q)
                if key in devseen:
                    fail(where, f"duplicate query (line {devseen[key]})")
                devseen[key] = n
                if key in queries:
                    fail(where, f"also in router.tsv line {queries[key]}")
                if key in seen:
                    fail(where, f"also in general.txt line {seen[key]}")
                if key in examples:
                    fail(where, f"also a router example, {examples[key]}")
                if key in instructions:
                    fail(where, f"copied from {instructions[key]}")
                if other is not None and key in other[1]:
                    fail(where, f"also in {other[0]} line {other[1][key]}")
                counts[dom] += 1
        if sum(counts.values()) < MIN_ROUTER_DEV:
            fail(name, f"{sum(counts.values())} queries, need at least {MIN_ROUTER_DEV}")
        return counts, devseen

    dev, devkeys = devset("router-dev.tsv", None)
    dev2, _ = devset("router-dev2.tsv", ("router-dev.tsv", devkeys))

    # report
    for d in DOMAINS:
        types = {}
        diffs = {}
        for it in data[d]:
            types[it["evaluation_type"]] = types.get(it["evaluation_type"], 0) + 1
            diffs[it["difficulty"]] = diffs.get(it["difficulty"], 0) + 1
        print(f"{d}.jsonl: {len(data[d])} cases  {types}  {diffs}")
    mc = {}
    for it in data["analysis"]:
        if it["evaluation_type"] == "multiple_choice":
            mc[it["expected_output"]] = mc.get(it["expected_output"], 0) + 1
    print(f"  analysis multiple-choice answer letters: {dict(sorted(mc.items()))}")
    print(f"router.tsv: {total} queries  {router}")
    print(f"general.txt: {general} questions")
    print(f"router-dev.tsv: {sum(dev.values())} queries  {dev}")
    print(f"router-dev2.tsv: {sum(dev2.values())} queries  {dev2}")
    print(f"router_examples: {len(examples)} distinct")
    print(f"recomputed: {len(MATH)} math answers, {len(ANALYSIS)} analysis answers; "
          f"ran {len(data['code'])} code references")
    if errors:
        print(f"\n{len(errors)} problem(s):", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
