"""Data generators for the tiny world: four domains plus generic skills.

Every generator takes a random.Random and returns (question, answer).
The prompt format (the only one the models know, reproduced by
tests/engine/server.js and by the tokenizer.chat_template in the GGUF):

    <s>[S: {system}\\n]Q: {user}\\nA: {answer}</s>

where {user} is either the question or loco's RE2 form
"{question}\\nRead the question again: {question}".

Two distributions per domain (issue #18).  TRAIN generators make every
training stream (the base's small per-domain pool and the adapters'
streams); BENCH generators make the held-out sets and benchmarks.  They
share the task and the cue words a reader needs (more, lost, each; the
operation; subject/object/verb; title/upper case, reverse), but nothing
else:

  math      other sentence frames; other names and items; operand pairs
            reserved for the benchmark (math_pair_split)
  code      other (form, operation) combinations; lists reserved for the
            benchmark (code_list_split)
  analysis  other question frames; other people
  writing   other instruction frames; other words

overlap_check.py regenerates the training streams and fails on an exact
duplicate, a near duplicate (the same text once digits, names, items and
words are masked) or the same numbers in a similar frame.
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
BENCH_NAMES = ["Greta", "Felix", "Olga", "Bruno", "Tara", "Dylan", "Vera", "Axel",
               "Iris", "Noah", "Elsa", "Otto"]
BENCH_ITEMS = ["plums", "beads", "kites", "candles", "buttons", "lemons", "ribbons", "tickets"]

ADD = [
    "{n} has {a} {i} and buys {b} more. How many {i} now?",
    "{n} has {a} {i}. {m} gives {n} {b} more. How many {i}?",
    "{n} found {a} {i}, then {b} more. How many {i} in all?",
    "{n} picks {a} {i} and then {b} more. How many {i} in all?",
    "{n} had {a} {i} and got {b} more from {m}. How many {i} now?",
]
SUB = [
    "{n} has {a} {i} and gives away {b}. How many {i} are left?",
    "{n} had {a} {i} and lost {b}. How many {i} left?",
    "{n} had {a} {i} and gave {b} to {m}. How many {i} now?",
    "{n} sells {b} of {a} {i}. How many {i} are left?",
]
MUL = [
    "{n} buys {a} bags of {b} {i}. How many {i}?",
    "There are {a} boxes with {b} {i} each. How many {i}?",
    "{n} has {a} packs of {b} {i}. How many {i} in all?",
]
BENCH_ADD = [
    "{n} had {a} {i}. Later {n} got {b} more. How many {i} does {n} have?",
    "{m} brought {b} more {i} to {n}, who had {a}. What is the total number of {i}?",
]
BENCH_SUB = [
    "{n} had {a} {i}. Later {n} lost {b} of them. How many {i} does {n} have?",
    "Out of {a} {i}, {n} gave away {b}. What number of {i} is left?",
]
BENCH_MUL = [
    "{n} fills {a} jars with {b} {i} each. What is the total number of {i}?",
    "{a} friends each bring {b} {i}. How many {i} does the group have?",
]


def math_pair_split(x, y):
    """True for the operand pairs reserved for the benchmark (about one in
    five): training never sees them in a word problem."""
    return (3 * x + y) % 5 == 2


def _math(r, names, items, add, sub, mul, bench):
    n, m = r.sample(names, 2)
    i = r.choice(items)
    k = r.random()
    while True:
        if k < 0.4:
            a, b = r.randint(1, 9), r.randint(1, 9)
            key = (a, b)
        elif k < 0.8:
            b, c = r.randint(1, 9), r.randint(1, 9)
            key = (b, c)
        else:
            a, b = r.randint(2, 6), r.randint(2, 6)
            key = (a, b)
        if math_pair_split(*key) == bench:
            break
    if k < 0.4:
        return r.choice(add).format(n=n, m=m, i=i, a=a, b=b), str(a + b)
    if k < 0.8:
        return r.choice(sub).format(n=n, m=m, i=i, a=b + c, b=b), str(c)
    return r.choice(mul).format(n=n, m=m, i=i, a=a, b=b), str(a * b)


def gen_math(r):
    return _math(r, NAMES, ITEMS, ADD, SUB, MUL, False)


def gen_math_bench(r):
    return _math(r, BENCH_NAMES, BENCH_ITEMS, BENCH_ADD, BENCH_SUB, BENCH_MUL, True)


# ---------------------------------------------------------------- code

def _lst(r, lo=3, hi=5):
    return [r.randint(0, 9) for _ in range(r.randint(lo, hi))]


# operation: (expression of a list or variable V, function)
CODE_OPS = {
    "reverse": ("{V}[::-1]", lambda L: L[::-1]),
    "max": ("max({V})", max),
    "min": ("min({V})", min),
    "len": ("len({V})", len),
    "first": ("{V}[0]", lambda L: L[0]),
    "last": ("{V}[-1]", lambda L: L[-1]),
}
# forms: how the list reaches print
CODE_FORMS = {
    "inline": "Python: print({E})",
    "var": "Python: x = {L}; print({E})",
    "two": "Python: x = {L}; y = {E}; print(y)",
}
CODE_TRAIN = [("inline", o) for o in CODE_OPS] + [
    ("var", "reverse"), ("var", "max"), ("var", "len"), ("var", "first"),
    ("two", "reverse"), ("two", "min"), ("two", "len"), ("two", "last")]
CODE_BENCH = [("var", "min"), ("var", "last"), ("two", "max"), ("two", "first")]


def code_list_split(L):
    """True for the lists reserved for the benchmark (about one in five)."""
    return (sum(L) + 3 * len(L)) % 5 == 1


def _code(r, combos, bench):
    while True:
        L = _lst(r, 3, 4)
        if code_list_split(L) == bench:
            break
    form, op = r.choice(combos)
    expr, f = CODE_OPS[op]
    if form == "inline":
        q = CODE_FORMS[form].format(E=expr.format(V=str(L)))
    else:
        q = CODE_FORMS[form].format(L=str(L), E=expr.format(V="x"))
    return q, str(f(list(L)))


def gen_code(r):
    return _code(r, CODE_TRAIN, False)


def gen_code_bench(r):
    return _code(r, CODE_BENCH, True)


def code_expr(question):
    """The Python statement in a code question (for a checker that runs it)."""
    return question.split(": ", 1)[1]


# ---------------------------------------------------------------- analysis

PEOPLE = ["Anna", "Ben", "Carl", "Dora", "Eric", "Fay", "Gus", "Hana", "Ian", "Jill",
          "Kurt", "Lisa", "Mark", "Nina", "Omar", "Pia", "Rex", "Sue", "Tim", "Uma",
          "Vic", "Wes", "Yara", "Zed"]
BENCH_PEOPLE = ["Abe", "Bea", "Cy", "Dee", "Eve", "Finn", "Gil", "Ida", "Jo", "Kai",
                "Liv", "Ned", "Ona", "Pat", "Quin", "Ros"]
VERBS = [("met", "meet"), ("helped", "help"), ("called", "call"), ("thanked", "thank"),
         ("visited", "visit"), ("followed", "follow"), ("praised", "praise"),
         ("warned", "warn"), ("paid", "pay"), ("invited", "invite"), ("taught", "teach"),
         ("hugged", "hug")]


def _numbered(r, people):
    """2-3 numbered sentences "(1) Anna helped Ben." with distinct people and verbs."""
    k = r.choice([2, 2, 3])
    ps = r.sample(people, 2 * k)
    verbs = r.sample(VERBS, k)
    sents = [(ps[2 * j], verbs[j][0], ps[2 * j + 1]) for j in range(k)]
    text = " ".join(f"({j + 1}) {s} {v} {o}." for j, (s, v, o) in enumerate(sents))
    return text, sents


# (frame, part: 0 subject, 1 verb, 2 object)
ANALYSIS_Q = [
    ("Who is the subject of sentence {n}?", 0),
    ("Who is the object of sentence {n}?", 2),
    ("What is the verb of sentence {n}?", 1),
    ("In sentence {n}, who is the subject?", 0),
    ("In sentence {n}, what is the verb?", 1),
    ("Name the object of sentence {n}.", 2),
]
BENCH_ANALYSIS_Q = [
    ("In sentence {n}, who is the object?", 2),
    ("Name the subject of sentence {n}.", 0),
    ("Name the verb of sentence {n}.", 1),
]


def _analysis(r, people, frames):
    text, sents = _numbered(r, people)
    j = r.randrange(len(sents))
    q, part = r.choice(frames)
    return "Passage: " + text + " " + q.format(n=j + 1), sents[j][part]


def gen_analysis(r):
    return _analysis(r, PEOPLE, ANALYSIS_Q)


def gen_analysis_bench(r):
    return _analysis(r, BENCH_PEOPLE, BENCH_ANALYSIS_Q)


# ---------------------------------------------------------------- writing

ALL_WORDS = ("the a old new red big small green cold warm dog cat bird fish horse cow man woman boy "
             "girl king queen river road house garden tree door window car train boat ship sun moon "
             "star rain snow wind hill lake farm town city park shop ran sat sang saw found lost "
             "made took gave kept read wrote ate drank slept walked jumped played swam went came "
             "left stood fell grew built painted opened closed and with near under over into from "
             "today slowly quickly quietly home away again soon late early bread milk tea cake "
             "music song game ball hat coat shoe bag box cup").split()
# every fifth word is the benchmark's only
WORDS = [w for k, w in enumerate(ALL_WORDS) if k % 5 != 4]
BENCH_WORDS = [w for k, w in enumerate(ALL_WORDS) if k % 5 == 4]

WRITE_OPS = {
    "title": ("title case", lambda w: " ".join(x.capitalize() for x in w)),
    "upper": ("upper case", lambda w: " ".join(w).upper()),
    "reverse": ("reverse word order", lambda w: " ".join(w[::-1])),
}
WRITE_FRAMES = {
    "bare": "{T}: {s}",
    "write": "Write in {t}: {s}",
    "put": "Put in {t}: {s}",
    "rewrite": "Rewrite in {t}: {s}",
}
WRITE_TRAIN = [("bare", "title"), ("write", "title"), ("put", "title"),
               ("bare", "upper"), ("put", "upper"), ("rewrite", "upper"),
               ("bare", "reverse"), ("write", "reverse"), ("rewrite", "reverse")]
WRITE_BENCH = [("rewrite", "title"), ("write", "upper"), ("put", "reverse")]


def _writing(r, words, combos):
    w = [r.choice(words) for _ in range(r.randint(2, 4))]
    frame, op = r.choice(combos)
    t, f = WRITE_OPS[op]
    text = WRITE_FRAMES[frame].format(T=t[0].upper() + t[1:], t=t, s=" ".join(w))
    return text, f(w)


def gen_writing(r):
    return _writing(r, WORDS, WRITE_TRAIN)


def gen_writing_bench(r):
    return _writing(r, BENCH_WORDS, WRITE_BENCH)


GENERATORS = {"math": gen_math, "code": gen_code, "analysis": gen_analysis, "writing": gen_writing}
BENCH_GENERATORS = {"math": gen_math_bench, "code": gen_code_bench,
                    "analysis": gen_analysis_bench, "writing": gen_writing_bench}
DOMAINS = list(GENERATORS)


# ---------------------------------------------------------------- generic skills (base only)

def gen_skill(r):
    """Bare skills in a format that is NOT any domain's: the base learns the
    circuits (number facts, list picks, copy, case, word reversal, who did
    what) without the domains' question formats.  Training names and words
    only."""
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
