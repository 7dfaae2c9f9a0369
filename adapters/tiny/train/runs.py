"""The tiny world's training runs: one table that train.py, train_all.sh
and overlap_check.py share (no torch here), and the question streams each
run trains on, regenerated exactly from the seeds.

Two adapters for math and for code (issue #18: the leaderboard ranks
them, promote chooses, ensembles have members): the "-b" runs draw their
own stream (another seed) and train for fewer steps.
"""

import random

import data

# rows of 320: the pool holds analysis questions with RE2 (see ADAPTERS)
BASE = dict(steps=1800, bs=7, lr=3e-3, pool=100, skill_frac=0.75, seed=1234, lm_weight=0.3, row=320)
LORA = dict(steps=700, bs=8, lr=5e-3, rank=8, alpha=16.0, seed=4321, lm_weight=0.0,
            targets="q,v,up,down", row=256)

# name: (domain, settings that differ from LORA)
ADAPTERS = {
    "math": ("math", {}),
    "math-b": ("math", {"seed": 5321, "steps": 450}),
    "code": ("code", {}),
    "code-b": ("code", {"seed": 5322, "steps": 450}),
    # three numbered sentences and the question twice (RE2) take more
    # than 256 tokens
    "analysis": ("analysis", {"row": 320}),
    "writing": ("writing", {}),
}

# The tool experiment (issue #19): trained on the same base after the
# others, not by the loops over ADAPTERS (evaluate.py); measured by loco
# itself, whose tool loop runs the calls (measure.sh).  Rows of 384: the
# call, the result and the answer follow the question (twice with RE2).
# With math's rank 8 on q, v, up and down for 700 steps the adapter wrote
# the call's form but not the right computation ("199+444" for "197 kids
# each have 44 ribbons"), 0 of 60 right.  The per-token loss said why:
# each character the base never produced (< _ > { " } / and *) costs
# about 3.3 nats in any context, so greedy decoding never picked *
# (4.7 nats): products came out as sums or differences; rank 16 on every
# projection but the gate, 1200 steps, plateaued at a loss of 0.93 (4 of
# 60).  The base has its own output head (untied), so a LoRA on it (out:
# PEFT's lm_head, GGUF's output.weight, which llama.cpp applies) lifts
# those characters: loss 0.13 after 400 steps, 0.057 after 1200, and the
# call's form, * included, on every question.  What is left is copying
# three- and four-digit numbers in order ("197*69" for 197 x 96, "8686"
# for the result 8668): 4 of 60 in training's check.
TOOL_ADAPTERS = {
    "math-tool": ("math-tool", {"row": 384, "bench": "math-hard", "rank": 16,
                                "targets": "q,k,v,o,up,down,out", "steps": 1200}),
}


def settings(name):
    """The settings of a run: 'base' or an adapter's name."""
    if name == "base":
        return dict(BASE, mode="base", domain=None)
    domain, over = ADAPTERS[name] if name in ADAPTERS else TOOL_ADAPTERS[name]
    return dict(LORA, mode="lora", domain=domain, **over)


def question_stream(mode, seed, domain=None, pool=None, skill_frac=None, held=()):
    """Yields the (question, answer) pairs a run trains on, in order.
    base: generic skills, and a small fixed pool per domain drawn from the
    domain's training distribution; lora: fresh questions of its domain.
    Questions in held (the held-out sets) are never yielded."""
    r = random.Random(seed)
    if mode == "base":
        pools = {}
        for k, d in enumerate(data.DOMAINS):
            pools[d] = data.make_split(d, pool, seed + 17 * (k + 1), exclude=held)
        while True:
            if r.random() < skill_frac:
                yield data.gen_skill(r)
            else:
                yield r.choice(pools[r.choice(data.DOMAINS)])
    else:
        gen = data.GENERATORS[domain] if domain in data.GENERATORS else data.TOOL_GENERATORS[domain]
        while True:
            q, a = gen(r)
            if q not in held:
                yield q, a


def examples(name, held=(), **over):
    """Yields (question, answer, re2, system) as the run trains on them:
    half with loco's RE2 prompt, a tenth with one of the system prompts."""
    s = dict(settings(name), **over)
    rr = random.Random(s["seed"] + 1)
    for q, a in question_stream(s["mode"], s["seed"], s["domain"], s.get("pool"),
                                s.get("skill_frac"), held):
        system = rr.choice(data.SYSTEMS) if rr.random() < 0.1 else None
        yield q, a, rr.random() < 0.5, system


def example_tokens(q, a, re2, system):
    """Tokens of one training example: BOS, the prompt, the answer, EOS
    (the tokenizer has one token per printable ASCII character)."""
    return 1 + len(data.prompt_text(data.user_text(q, re2), system)) + len(data.answer_text(a)) - \
        (len("</s>") - 1 if isinstance(a, tuple) else 0) + 1


def trained_questions(name, held=(), **over):
    """The questions the run trains on, exactly: the packing of
    common.packed_batch (whole examples per row of `row` tokens, an example
    that does not fit waits for the next row) replayed without torch."""
    s = dict(settings(name), **over)
    it = examples(name, held, **over)
    out = []
    pending = None
    for _ in range(s["steps"] * s["bs"]):
        off = 0
        while True:
            if pending is None:
                pending = next(it)
            n = example_tokens(*pending)
            if n > s["row"]:
                raise ValueError(f"{name}: example longer than a row: {pending[0]!r}")
            if off + n > s["row"]:
                break
            out.append(pending[0])
            pending = None
            off += n
    return out
