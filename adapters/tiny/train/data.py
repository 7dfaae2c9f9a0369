"""Data generators for the tiny world: four domains plus generic skills.

Every generator takes a random.Random and returns (question, answer).
The prompt format (the only one the models know, reproduced by
tests/engine/server.js and by the tokenizer.chat_template in the GGUF):

    <s>[S: {system}\\n]Q: {user}\\nA: {answer}</s>

and for the tool adapter (issue #19), the tool's result and the answer:

    <s>Q: {user}\\nA: {call}</s>\\nT: {result}\\nA: {answer}</s>

where {user} is either the question or loco's RE2 form
"{question}\\nRead the question again: {question}".

Two distributions per domain (issue #18).  TRAIN generators make every
training stream (the base's small per-domain pool and the adapters'
streams); BENCH generators make the held-out sets and benchmarks.  They
share the task and the cue words a reader needs (more, lost, each; the
operation; subject/object/verb; title/upper case, reverse), but nothing
else:

  math      other frames (combinations of a start, a change and a
            question never trained together: math_frame_split); other
            names and items (the same operand pairs: see _math)
  code      other (form, operation, variable) combinations
            (code_combo_split); lists reserved for the benchmark
            (code_list_split)
  analysis  other (question style, part) combinations; other people
  writing   other (instruction frame, task) combinations; other words

Half of the training names (analysis) and words (writing, and the
base's generic skills) are made up afresh (pseudo_word), so the models
learn to copy letters rather than memorise a vocabulary: with a fixed
list of 126 words and 44 names, a first base copied no unseen word (it
wrote "sooa bat grew" for "soon ball girl").

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


# ---------------------------------------------------------------- made-up words

CONSONANTS = "bcdfghjklmnprstvz"
VOWELS = "aeiou"


def pseudo_word(r, syllables=(2, 3)):
    """A made-up word of 2-3 syllables (\"tobelka\"): half of the words and
    names in training are such, drawn fresh, so that no word can be
    memorised and the models must learn to copy letters, which is what
    a benchmark of other names and words asks."""
    w = ""
    for _ in range(r.randint(*syllables)):
        w += r.choice(CONSONANTS) + r.choice(VOWELS) + (r.choice(CONSONANTS) if r.random() < 0.3 else "")
    return w


# ---------------------------------------------------------------- math

NAMES = ["Tom", "Anna", "Ben", "Sara", "Max", "Lily", "Sam", "Emma", "Leo", "Mia",
         "Jack", "Nora", "Paul", "Ruth", "Owen", "Zoe", "Ivan", "Kate", "Hugo", "Lena"]
ITEMS = ["apples", "pens", "books", "cards", "coins", "marbles", "stamps", "eggs",
         "shells", "stickers", "cookies", "flowers", "rocks", "toys"]
BENCH_NAMES = ["Greta", "Felix", "Olga", "Bruno", "Tara", "Dylan", "Vera", "Axel",
               "Iris", "Noah", "Elsa", "Otto"]
BENCH_ITEMS = ["plums", "beads", "kites", "candles", "buttons", "lemons", "ribbons", "tickets"]

# A problem is a start, a change (or groups) and a question.  Every part
# is in training; the benchmark's combinations of them never are
# (math_frame_split), so a benchmark problem's frame is one no model saw.
START = ["{n} has {a} {i}.", "{n} had {a} {i}.", "{n} owns {a} {i}.", "{n} keeps {a} {i}.",
         "{n} starts with {a} {i}.", "There are {a} {i} in the box of {n}."]
GAIN = ["{n} buys {b} more.", "{m} gives {n} {b} more.", "{n} finds {b} more.",
        "{n} gets {b} more.", "Then {b} more arrive."]
LOSS = ["{n} gives away {b}.", "{n} loses {b}.", "{n} sells {b}.", "{n} gives {b} to {m}.",
        "Then {b} break."]
GROUPS = ["{n} buys {a} bags of {b} {i}.", "{n} has {a} boxes with {b} {i} each.",
          "{a} kids each have {b} {i}.", "{n} fills {a} jars with {b} {i} each.",
          "{n} makes {a} piles of {b} {i}."]
ASK = ["How many {i} now?", "How many {i} does {n} have?", "How many {i} are there?",
       "How many {i} in all?", "What is the number of {i}?", "Count the {i}."]


def math_frame_split(op, *parts):
    """True for the frames (part indices) reserved for the benchmark: about
    one in five of each operation's."""
    return (sum((k + 2) * p for k, p in enumerate(parts)) + op) % 5 == 1


def _math_frame(r, names, items, bench, p_add, p_sub):
    """Two names, an item, the operation (add with probability p_add,
    subtract up to p_sub, else multiply) and the frame's part indices,
    drawn until the frame is on the asked side of math_frame_split."""
    n, m = r.sample(names, 2)
    i = r.choice(items)
    k = r.random()
    op = 0 if k < p_add else 1 if k < p_sub else 2
    while True:
        if op < 2:
            parts = (r.randrange(len(START)), r.randrange(len(GAIN if op == 0 else LOSS)), r.randrange(len(ASK)))
        else:
            parts = (r.randrange(len(GROUPS)), r.randrange(len(ASK)))
        if math_frame_split(op, *parts) == bench:
            return n, m, i, op, parts


def _math(r, names, items, bench):
    n, m, i, op, parts = _math_frame(r, names, items, bench, 0.4, 0.8)
    # Every operand pair, on both sides: with pairs reserved for the
    # benchmark (a fifth), a probe adapter scored 45% on training pairs
    # and 20% on the others: at this size a sum is a memorised fact of
    # its pair, not a skill an adapter carries to pairs it never saw in a
    # word problem.
    if op == 2:
        x, y = r.randint(2, 6), r.randint(2, 6)
    else:
        x, y = r.randint(1, 9), r.randint(1, 9)
    if op == 0:
        text = " ".join((START[parts[0]], GAIN[parts[1]], ASK[parts[2]]))
        a, b, ans = x, y, x + y
    elif op == 1:  # x taken away, y left
        text = " ".join((START[parts[0]], LOSS[parts[1]], ASK[parts[2]]))
        a, b, ans = x + y, x, y
    else:
        text = " ".join((GROUPS[parts[0]], ASK[parts[1]]))
        a, b, ans = x, y, x * y
    return text.format(n=n, m=m, i=i, a=a, b=b), str(ans)


def gen_math(r):
    return _math(r, NAMES, ITEMS, False)


def gen_math_bench(r):
    return _math(r, BENCH_NAMES, BENCH_ITEMS, True)


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
# forms: how the list reaches print, with a variable V (and W) of CODE_VARS
CODE_FORMS = {
    "inline": "Python: print({E})",
    "var": "Python: {V} = {L}; print({E})",
    "two": "Python: {V} = {L}; {W} = {E}; print({W})",
}
CODE_VARS = ["x", "y", "nums", "data", "vals", "items", "a", "lst"]
CODE_RESULTS = ["r", "res", "out", "z"]


def code_combo_split(form, op, var):
    """True for the (form, operation, variable) combinations reserved for
    the benchmark: about one in five of those with a variable; every
    (form, operation) pair is in training with other variables."""
    if form == "inline":
        return False
    f = list(CODE_FORMS).index(form)
    o = list(CODE_OPS).index(op)
    return (3 * f + 2 * o + CODE_VARS.index(var)) % 5 == 1


def code_list_split(L):
    """True for the lists reserved for the benchmark (about one in five)."""
    return (sum(L) + 3 * len(L)) % 5 == 1


def _code(r, bench):
    while True:
        L = _lst(r, 3, 4)
        if code_list_split(L) == bench:
            break
    while True:
        form, op, var = r.choice(list(CODE_FORMS)), r.choice(list(CODE_OPS)), r.choice(CODE_VARS)
        if form != "inline" and code_combo_split(form, op, var) == bench:
            break
        if form == "inline" and not bench:
            break
    expr, f = CODE_OPS[op]
    if form == "inline":
        q = CODE_FORMS[form].format(E=expr.format(V=str(L)))
    else:
        q = CODE_FORMS[form].format(L=str(L), V=var, W=r.choice(CODE_RESULTS), E=expr.format(V=var))
    return q, str(f(list(L)))


def gen_code(r):
    return _code(r, False)


def gen_code_bench(r):
    return _code(r, True)


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


def train_person(r):
    """A training name: one of PEOPLE and NAMES, or a made-up one."""
    if r.random() < 0.5:
        return r.choice(PEOPLE + NAMES)
    while True:
        p = pseudo_word(r, (2, 2)).capitalize()
        if p not in KNOWN_NAMES:
            return p


def _numbered(r, people):
    """2-3 numbered sentences "(1) Anna helped Ben." with distinct people
    and verbs; people is a list, or a function of r giving one name."""
    k = r.choice([2, 2, 3])
    if callable(people):
        ps = []
        while len(ps) < 2 * k:
            p = people(r)
            if p not in ps:
                ps.append(p)
    else:
        ps = r.sample(people, 2 * k)
    verbs = r.sample(VERBS, k)
    sents = [(ps[2 * j], verbs[j][0], ps[2 * j + 1]) for j in range(k)]
    text = " ".join(f"({j + 1}) {s} {v} {o}." for j, (s, v, o) in enumerate(sents))
    return text, sents


# question styles and parts (0 subject, 1 verb, 2 object); the
# benchmark's (style, part) pairs are never in training, every style and
# every part is
ANALYSIS_STYLES = ["Who is the {p} of sentence {n}?", "In sentence {n}, who is the {p}?",
                   "Name the {p} of sentence {n}.", "Sentence {n}: who is the {p}?",
                   "Give the {p} of sentence {n}.", "Tell me the {p} of sentence {n}."]
ANALYSIS_PARTS = ["subject", "verb", "object"]
ANALYSIS_BENCH = [(1, 2), (2, 0), (3, 1), (5, 2)]
ANALYSIS_Q = [(s, p) for s in range(len(ANALYSIS_STYLES)) for p in range(3)
              if (s, p) not in ANALYSIS_BENCH]
BENCH_ANALYSIS_Q = ANALYSIS_BENCH


def _analysis(r, people, frames):
    text, sents = _numbered(r, people)
    j = r.randrange(len(sents))
    style, part = r.choice(frames)
    q = ANALYSIS_STYLES[style].format(p=ANALYSIS_PARTS[part], n=j + 1)
    if part == 1:
        q = q.replace("who is", "what is")
    return "Passage: " + text + " " + q, sents[j][part]


def gen_analysis(r):
    return _analysis(r, train_person, ANALYSIS_Q)


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
    "change": "Change to {t}: {s}",
    "convert": "Convert to {t}: {s}",
    "use": "Use {t}: {s}",
    "now": "Now in {t}: {s}",
}
# the benchmark's (frame, task) pairs are never in training; every frame
# and every task is
WRITE_BENCH = [("rewrite", "title"), ("write", "upper"), ("put", "reverse"),
               ("convert", "upper"), ("use", "reverse")]
WRITE_TRAIN = [(f, o) for f in WRITE_FRAMES for o in WRITE_OPS if (f, o) not in WRITE_BENCH]


def train_word(r):
    """A training word: one of WORDS, or a made-up one."""
    if r.random() < 0.5:
        return r.choice(WORDS)
    while True:
        w = pseudo_word(r)
        if w not in KNOWN_WORDS:
            return w


def _writing(r, words, combos):
    """words: a list, or a function of r giving one word."""
    pick = words if callable(words) else (lambda r: r.choice(words))
    w = [pick(r) for _ in range(r.randint(2, 4))]
    frame, op = r.choice(combos)
    t, f = WRITE_OPS[op]
    text = WRITE_FRAMES[frame].format(T=t[0].upper() + t[1:], t=t, s=" ".join(w))
    return text, f(w)


def gen_writing(r):
    return _writing(r, train_word, WRITE_TRAIN)


def gen_writing_bench(r):
    return _writing(r, BENCH_WORDS, WRITE_BENCH)


# made-up words and names are never one of these
KNOWN_WORDS = set(ALL_WORDS) | {v for pair in VERBS for v in pair}
KNOWN_NAMES = set(NAMES + BENCH_NAMES + PEOPLE + BENCH_PEOPLE)

GENERATORS = {"math": gen_math, "code": gen_code, "analysis": gen_analysis, "writing": gen_writing}
BENCH_GENERATORS = {"math": gen_math_bench, "code": gen_code_bench,
                    "analysis": gen_analysis_bench, "writing": gen_writing_bench}
DOMAINS = list(GENERATORS)


# ---------------------------------------------------------------- math with a tool (issue #19)
# The tool experiment.  The benchmark math-hard asks what the direct math
# adapter cannot do at this size: the same word problems (the benchmark's
# frames, names and items) with three-digit sums and differences and
# three-digit by two-digit products.  The tool adapter (run math-tool)
# learns to write the computation as a call in loco's text form, and,
# once loco sends the tool's result back (the template's tool role,
# "T: "), to copy it into its answer:
#
#   Q: Greta buys 347 bags of 28 plums. How many plums in all?
#   A: <tool_call>{"tool": "python", "code": "347*28"}</tool_call></s>
#   T: 9716
#   A: 9716</s>
#
# A third of its training problems keep math's small numbers (the call
# is the same skill), the rest are large.  Not in GENERATORS: the four
# domains (base pool, held-out sets) stay as they are.

TOOL_CALL = '<tool_call>{{"tool": "python", "code": "{code}"}}</tool_call>'
TOOL_RESULT = "\nT: {result}\nA: "  # between the call's EOS and the final answer


def _math_tool(r, names, items, bench, hard_frac):
    """(question, code, answer) of a math word problem, large numbers with
    probability hard_frac."""
    n, m, i, op, parts = _math_frame(r, names, items, bench, 0.35, 0.7)
    hard = r.random() < hard_frac
    if op == 2:
        x, y = (r.randint(100, 999), r.randint(11, 99)) if hard else (r.randint(2, 6), r.randint(2, 6))
    else:
        x, y = (r.randint(100, 999), r.randint(100, 999)) if hard else (r.randint(1, 9), r.randint(1, 9))
    if op == 0:
        text = " ".join((START[parts[0]], GAIN[parts[1]], ASK[parts[2]]))
        a, b, ans, code = x, y, x + y, f"{x}+{y}"
    elif op == 1:  # x taken away, y left
        text = " ".join((START[parts[0]], LOSS[parts[1]], ASK[parts[2]]))
        a, b, ans, code = x + y, x, y, f"{x + y}-{x}"
    else:
        text = " ".join((GROUPS[parts[0]], ASK[parts[1]]))
        a, b, ans, code = x, y, x * y, f"{x}*{y}"
    return text.format(n=n, m=m, i=i, a=a, b=b), code, str(ans)


def gen_math_tool(r):
    """A training example of the tool adapter: (question, (call, result,
    answer)); the result is what loco's python tool prints."""
    q, code, ans = _math_tool(r, NAMES, ITEMS, False, 2 / 3)
    return q, (TOOL_CALL.format(code=code), ans, ans)


def gen_math_hard_bench(r):
    q, _, ans = _math_tool(r, BENCH_NAMES, BENCH_ITEMS, True, 1.0)
    return q, ans


# run domain -> training generator; benchmark -> held-out generator
TOOL_GENERATORS = {"math-tool": gen_math_tool}
TOOL_BENCH_GENERATORS = {"math-hard": gen_math_hard_bench}
# every held-out set: the four domains and the tool experiment's
HELDOUT = DOMAINS + list(TOOL_BENCH_GENERATORS)


def answer_text(a):
    """The text after the prompt an example trains on (a plain answer, or a
    tool example's call, its result and the answer)."""
    if isinstance(a, tuple):
        call, result, final = a
        return call + "</s>" + TOOL_RESULT.format(result=result) + final
    return a


# ---------------------------------------------------------------- generic skills (base only)

def gen_skill(r):
    """Bare skills in a format that is NOT any domain's: the base learns the
    circuits (number facts, list picks, copy, case, word reversal, who did
    what) without the domains' question formats.  Training names and words
    only (half of them made up)."""
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
        w = [train_word(r) for _ in range(r.randint(2, 4))]
        op = r.choice(["copy", "caps", "big"])
        s = " ".join(w)
        return f"{op}: {s}", {"copy": s, "caps": s.upper(), "big": " ".join(x.capitalize() for x in w)}[op]
    if k == 3:
        w = [train_word(r) for _ in range(r.randint(2, 4))]
        return "flip: " + " ".join(w), " ".join(w[::-1])
    if k == 4:
        L = _lst(r, 2, 5)
        op = r.choice(["back", "top", "low", "count", "head", "tail"])
        v = {"back": L[::-1], "top": max(L), "low": min(L), "count": len(L), "head": L[0], "tail": L[-1]}[op]
        return f"{op} {L}", str(v)
    p = []
    while len(p) < 4:
        x = train_person(r)
        if x not in p:
            p.append(x)
    v = r.choice(VERBS)[0]
    if r.random() < 0.5:
        return f"{p[0]} {v} {p[1]}. {p[2]} {v} {p[3]}. subject of {v} {p[3]}", p[2]
    return f"{p[0]} {v} {p[1]}. object of {p[0]} {v}", p[1]


def make_split(domain, n, seed, exclude=(), generators=GENERATORS):
    """n distinct (question, answer) pairs, none of whose question is in exclude."""
    r = random.Random(seed)
    gen = generators[domain] if domain in generators else TOOL_BENCH_GENERATORS[domain]
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
