"""Data generators for the tiny world: four domains plus generic skills.

Every generator takes a random.Random and returns (question, answer).
The prompt format (the only one the models know, reproduced by
tests/engine/server.js and by the tokenizer.chat_template in the GGUF):

    <s>[S: {system}\\n]Q: {user}\\nA: {answer}</s>

where {user} is either the question or loco's RE2 form
"{question}\\nRead the question again: {question}".
"""

import random

RE2 = "{q}\nRead the question again: {q}"

# ---------------------------------------------------------------- prompt format

SYSTEMS = ["Answer briefly.", "You are a helpful assistant.", "Give only the answer."]


def user_text(q, re2):
    return RE2.format(q=q) if re2 else q


def prompt_text(user, system=None):
    s = ""
    if system:
        s += "S: " + system + "\n"
    return s + "Q: " + user + "\nA: "


# ---------------------------------------------------------------- math

NAMES = ["Tom", "Anna", "Ben", "Sara", "Max", "Lily", "Sam", "Emma", "Leo", "Mia",
         "Jack", "Nora", "Paul", "Ruth", "Owen", "Zoe", "Ivan", "Kate", "Hugo", "Lena"]
ITEMS = ["apples", "pens", "books", "cards", "coins", "marbles", "stamps", "eggs",
         "shells", "stickers", "cookies", "flowers", "rocks", "toys"]

ADD = [
    "{n} has {a} {i} and buys {b} more. How many {i} now?",
    "{n} has {a} {i}. {m} gives {n} {b} more. How many {i}?",
    "{n} found {a} {i}, then {b} more. How many {i} in all?",
]
SUB = [
    "{n} has {a} {i} and gives away {b}. How many {i} are left?",
    "{n} had {a} {i} and lost {b}. How many {i} left?",
    "{n} had {a} {i} and gave {b} to {m}. How many {i} now?",
]
MUL = [
    "{n} buys {a} bags of {b} {i}. How many {i}?",
    "There are {a} boxes with {b} {i} each. How many {i}?",
]


def gen_math(r):
    n, m = r.sample(NAMES, 2)
    i = r.choice(ITEMS)
    k = r.random()
    if k < 0.4:
        a, b = r.randint(1, 9), r.randint(1, 9)
        return r.choice(ADD).format(n=n, m=m, i=i, a=a, b=b), str(a + b)
    if k < 0.8:
        b, c = r.randint(1, 9), r.randint(1, 9)
        return r.choice(SUB).format(n=n, m=m, i=i, a=b + c, b=b), str(c)
    a, b = r.randint(2, 6), r.randint(2, 6)
    return r.choice(MUL).format(n=n, m=m, i=i, a=a, b=b), str(a * b)


# ---------------------------------------------------------------- code

def _lst(r, lo=3, hi=5):
    return [r.randint(0, 9) for _ in range(r.randint(lo, hi))]


CODE_OPS = [
    ("{L}[::-1]", lambda L: L[::-1]),
    ("max({L})", max),
    ("min({L})", min),
    ("len({L})", len),
    ("{L}[0]", lambda L: L[0]),
    ("{L}[-1]", lambda L: L[-1]),
]

CODE_Q = "Python: print({e})"


def gen_code(r):
    L = _lst(r, 3, 4)
    expr, f = r.choice(CODE_OPS)
    e = expr.format(L=str(L))
    return CODE_Q.format(e=e), str(f(list(L)))


def code_expr(question):
    """The Python statement in a code question (for a checker that runs it)."""
    return question.split(": ", 1)[1]


# ---------------------------------------------------------------- analysis

PEOPLE = ["Anna", "Ben", "Carl", "Dora", "Eric", "Fay", "Gus", "Hana", "Ian", "Jill",
          "Kurt", "Lisa", "Mark", "Nina", "Omar", "Pia", "Rex", "Sue", "Tim", "Uma",
          "Vic", "Wes", "Yara", "Zed"]
VERBS = [("met", "meet"), ("helped", "help"), ("called", "call"), ("thanked", "thank"),
         ("visited", "visit"), ("followed", "follow"), ("praised", "praise"),
         ("warned", "warn"), ("paid", "pay"), ("invited", "invite"), ("taught", "teach"),
         ("hugged", "hug")]


def gen_analysis_v1(r):
    """The first analysis task, "who did what" by content (Kurt helped Carl.
    Pia visited Rex. Who visited Rex?).  No longer a domain: the base's
    pool still draws its analysis questions from it, as when the base was
    trained (adapters/tiny/README.md says why the task changed)."""
    k = r.choice([2, 2, 3])
    people = r.sample(PEOPLE, 2 * k)
    verbs = r.sample(VERBS, k)
    sents = [f"{people[2 * j]} {verbs[j][0]} {people[2 * j + 1]}." for j in range(k)]
    j = r.randrange(k)
    if r.random() < 0.5:
        q = f"who {verbs[j][0]} {people[2 * j + 1]}?"
        a = people[2 * j]
    else:
        q = f"whom did {people[2 * j]} {verbs[j][1]}?"
        a = people[2 * j + 1]
    return "Passage: " + " ".join(sents) + " " + q[0].upper() + q[1:], a


def _numbered(r):
    """2-3 numbered sentences "(1) Anna helped Ben." with distinct people and verbs."""
    k = r.choice([2, 2, 3])
    people = r.sample(PEOPLE, 2 * k)
    verbs = r.sample(VERBS, k)
    sents = [(people[2 * j], verbs[j][0], people[2 * j + 1]) for j in range(k)]
    text = " ".join(f"({j + 1}) {s} {v} {o}." for j, (s, v, o) in enumerate(sents))
    return text, sents


ANALYSIS_Q = [
    ("Who is the subject of sentence {n}?", 0),
    ("Who is the object of sentence {n}?", 2),
    ("What is the verb of sentence {n}?", 1),
]


def gen_analysis(r):
    text, sents = _numbered(r)
    j = r.randrange(len(sents))
    q, part = r.choice(ANALYSIS_Q)
    return "Passage: " + text + " " + q.format(n=j + 1), sents[j][part]


# ---------------------------------------------------------------- writing

WORDS = ("the a old new red big small green cold warm dog cat bird fish horse cow man woman boy "
         "girl king queen river road house garden tree door window car train boat ship sun moon "
         "star rain snow wind hill lake farm town city park shop ran sat sang saw found lost "
         "made took gave kept read wrote ate drank slept walked jumped played swam went came "
         "left stood fell grew built painted opened closed and with near under over into from "
         "today slowly quickly quietly home away again soon late early bread milk tea cake "
         "music song game ball hat coat shoe bag box cup").split()

WRITE_TASKS = [
    ("Title case: {s}", lambda w: " ".join(x.capitalize() for x in w)),
    ("Upper case: {s}", lambda w: " ".join(w).upper()),
    ("Reverse words: {s}", lambda w: " ".join(w[::-1])),
]


def gen_writing(r):
    w = [r.choice(WORDS) for _ in range(r.randint(2, 4))]
    t, f = r.choice(WRITE_TASKS)
    return t.format(s=" ".join(w)), f(w)


GENERATORS = {"math": gen_math, "code": gen_code, "analysis": gen_analysis, "writing": gen_writing}
DOMAINS = list(GENERATORS)
# What the base's small per-domain pool is drawn from (train.py base).
BASE_POOL_GENERATORS = dict(GENERATORS, analysis=gen_analysis_v1)


# ---------------------------------------------------------------- generic skills (base only)

def gen_skill(r):
    """Bare skills in a format that is NOT any domain's: the base learns the
    circuits (number facts, list picks, copy, case, word reversal, who did
    what) without the domains' question formats."""
    k = r.randrange(6)
    if k == 0:
        a, b = r.randint(1, 9), r.randint(1, 9)
        if r.random() < 0.5:
            return f"{a} plus {b}", str(a + b)
        return f"{a + b} minus {a}", str(b)
    if k == 1:
        a, b = r.randint(2, 6), r.randint(2, 6)
        return f"{a} times {b}", str(a * b)
    if k == 2:
        w = [r.choice(WORDS) for _ in range(r.randint(2, 4))]
        op = r.choice(["copy", "caps", "big"])
        s = " ".join(w)
        return f"{op}: {s}", {"copy": s, "caps": s.upper(), "big": " ".join(x.capitalize() for x in w)}[op]
    if k == 3:
        w = [r.choice(WORDS) for _ in range(r.randint(2, 4))]
        return "flip: " + " ".join(w), " ".join(w[::-1])
    if k == 4:
        L = _lst(r, 2, 5)
        op = r.choice(["back", "top", "low", "count", "head", "tail"])
        v = {"back": L[::-1], "top": max(L), "low": min(L), "count": len(L), "head": L[0], "tail": L[-1]}[op]
        return f"{op} {L}", str(v)
    p = r.sample(PEOPLE + NAMES, 4)
    v = r.choice(VERBS)[0]
    if r.random() < 0.5:
        return f"{p[0]} {v} {p[1]}. {p[2]} {v} {p[3]}. subject of {v} {p[3]}", p[2]
    return f"{p[0]} {v} {p[1]}. object of {p[0]} {v}", p[1]


def make_split(domain, n, seed, exclude=(), generators=GENERATORS):
    """n distinct (question, answer) pairs, none of whose question is in exclude."""
    r = random.Random(seed)
    gen = generators[domain]
    seen = set(exclude)
    out = []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 200 * n:
            raise RuntimeError(f"cannot make {n} distinct {domain} items")
        q, a = gen(r)
        if q in seen:
            continue
        seen.add(q)
        out.append((q, a))
    return out
