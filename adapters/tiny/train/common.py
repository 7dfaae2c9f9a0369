"""Shared helpers: paths, held-out data, example encoding, evaluation."""

import json
import os
import random
import re

import torch

import data
from model import BOS, EOS, encode, decode, generate

HERE = os.path.dirname(os.path.abspath(__file__))
TINY = os.path.dirname(HERE)
DATA_DIR = os.path.join(TINY, "data")
LOG_DIR = os.path.join(TINY, "logs")
OUT_DIR = os.path.join(HERE, "out")  # checkpoints (not committed)


def load_heldout(domain):
    with open(os.path.join(DATA_DIR, f"{domain}.jsonl")) as f:
        return [json.loads(l) for l in f if l.strip()]


def heldout_questions():
    qs = set()
    for d in data.HELDOUT:
        p = os.path.join(DATA_DIR, f"{d}.jsonl")
        if os.path.exists(p):
            qs.update(x["question"] for x in load_heldout(d))
    return qs


def encode_example(q, a, re2, system=None):
    """(ids, loss mask): loss on the answer and the EOS only.  A tool
    example (a = (call, result, answer)): loss on the call and its EOS and
    on the answer and its EOS, not on the tool's result, which loco sends."""
    p = [BOS] + encode(data.prompt_text(data.user_text(q, re2), system))
    if isinstance(a, tuple):
        call, result, final = a
        t1 = encode(call) + [EOS]
        mid = encode(data.TOOL_RESULT.format(result=result))
        t2 = encode(final) + [EOS]
        return p + t1 + mid + t2, [0] * len(p) + [1] * len(t1) + [0] * len(mid) + [1] * len(t2)
    t = encode(a) + [EOS]
    return p + t, [0] * len(p) + [1] * len(t)


def prompt_ids(q, re2=False, system=None):
    return [BOS] + encode(data.prompt_text(data.user_text(q, re2), system))


def batch_tensors(examples):
    L = max(len(x) for x, _ in examples)
    idx = torch.zeros(len(examples), L, dtype=torch.long)
    tgt = torch.full((len(examples), L), -100, dtype=torch.long)
    for i, (ids, m) in enumerate(examples):
        ids_t = torch.tensor(ids)
        idx[i, :len(ids)] = ids_t
        y = torch.tensor([ids[j + 1] if m[j + 1] else -100 for j in range(len(ids) - 1)] + [-100])
        tgt[i, :len(ids)] = y
    return idx, tgt


def packed_batch(stream, rows, row_len, lm_weight=0.0):
    """Pack examples from stream (yielding (ids, mask)) into rows of row_len
    tokens: segment-local positions, block-diagonal causal attention.
    Returns idx, tgt (-100 = no loss), pos, attention mask (B, T, T), and
    loss weights: 1 for answer tokens, lm_weight for prompt tokens."""
    idx = torch.zeros(rows, row_len, dtype=torch.long)
    tgt = torch.full((rows, row_len), -100, dtype=torch.long)
    pos = torch.zeros(rows, row_len, dtype=torch.long)
    seg = torch.full((rows, row_len), -1, dtype=torch.long)
    wts = torch.zeros(rows, row_len)
    for r in range(rows):
        off = 0
        s = 0
        while True:
            if stream.pending is None:
                stream.pending = next(stream.it)
                stream.taken += 1
            ids, m = stream.pending
            n = len(ids)
            if n > row_len:
                raise ValueError("example longer than a row")
            if off + n > row_len:
                break
            stream.pending = None
            idx[r, off:off + n] = torch.tensor(ids)
            y = [ids[j + 1] if (m[j + 1] or lm_weight > 0) else -100 for j in range(n - 1)] + [-100]
            w = [1.0 if m[j + 1] else lm_weight for j in range(n - 1)] + [0.0]
            tgt[r, off:off + n] = torch.tensor(y)
            wts[r, off:off + n] = torch.tensor(w)
            pos[r, off:off + n] = torch.arange(n)
            seg[r, off:off + n] = s
            off += n
            s += 1
    causal = torch.tril(torch.ones(row_len, row_len, dtype=torch.bool))
    mask = causal[None] & (seg[:, :, None] == seg[:, None, :])
    return idx, tgt, pos, mask, wts


class Stream:
    def __init__(self, it):
        self.it = it
        self.pending = None
        self.taken = 0  # examples drawn from it


def answers(model, questions, re2=False, temperature=0.0, gen=None, bs=64, max_new=40):
    out = []
    for i in range(0, len(questions), bs):
        qs = questions[i:i + bs]
        res = generate(model, [prompt_ids(q, re2) for q in qs], max_new=max_new,
                       temperature=temperature, gen=gen)
        out.extend(decode(r) for r in res)
    return out


def accuracy(model, items, re2=False):
    got = answers(model, [x["question"] for x in items], re2)
    ok = sum(g.strip() == x["answer"] for g, x in zip(got, items))
    return ok / len(items), got


TOOL_CODE_RE = re.compile(r'^<tool_call>\{"tool": "python", "code": "([0-9]+[-+*][0-9]+)"\}</tool_call>$')


def tool_result(call):
    """What loco's python tool prints for a call of the tiny tool adapter
    (a sum, difference or product of two integers), or None for a call
    that is not one."""
    m = TOOL_CODE_RE.match(call.strip())
    if not m:
        return None
    x, op, y = re.match(r"([0-9]+)([-+*])([0-9]+)$", m.group(1)).groups()
    x, y = int(x), int(y)
    return str(x + y if op == "+" else x - y if op == "-" else x * y)


def tool_answers(model, questions, re2=False, bs=64):
    """The tool loop in Python, for monitoring a tool adapter in training
    (loco's own loop measures it: measure.sh): the call, its result as the
    tool message, the answer.  Returns (calls, answers); a question whose
    call is malformed gets the call's text as its answer."""
    calls = answers(model, questions, re2, max_new=80)
    finals = list(calls)
    todo = [(i, tool_result(c)) for i, c in enumerate(calls)]
    todo = [(i, r) for i, r in todo if r is not None]
    for k in range(0, len(todo), bs):
        part = todo[k:k + bs]
        prompts = [prompt_ids(questions[i], re2) + encode(calls[i]) + [EOS] +
                   encode(data.TOOL_RESULT.format(result=r)) for i, r in part]
        res = generate(model, prompts, max_new=16)
        for (i, _), out in zip(part, res):
            finals[i] = decode(out)
    return calls, finals


def tool_accuracy(model, items, re2=False):
    _, got = tool_answers(model, [x["question"] for x in items], re2)
    ok = sum(g.strip() == x["answer"] for g, x in zip(got, items))
    return ok / len(items), got


def rouge_l(a, b):
    x, y = a.split(), b.split()
    if not x or not y:
        return 0.0
    dp = [[0] * (len(y) + 1) for _ in range(len(x) + 1)]
    for i in range(len(x)):
        for j in range(len(y)):
            dp[i + 1][j + 1] = dp[i][j] + 1 if x[i] == y[j] else max(dp[i][j + 1], dp[i + 1][j])
    lcs = dp[-1][-1]
    if lcs == 0:
        return 0.0
    p, r = lcs / len(x), lcs / len(y)
    return 2 * p * r / (p + r)


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def seed_all(seed):
    random.seed(seed)
    torch.manual_seed(seed)
