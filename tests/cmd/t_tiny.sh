#!/bin/sh
# t_tiny.sh: the tiny world's benchmarks share nothing with its training
# data (issue #18): adapters/tiny/train/overlap_check.py regenerates every
# training stream from its seed (plain python3, no torch) and fails on an
# exact duplicate, a near duplicate or the same template with the same
# numbers, naming the pair.
. "$TOP/tests/cmd/lib.sh"
area_begin tiny

TRAIN=$TOP/adapters/tiny/train

# overlap ARGS...: run the check, output in $W/out and $W/err, status in $RC
overlap() {
	python3 "$TRAIN/overlap_check.py" "$@" >"$W/out" 2>"$W/err" </dev/null
	RC=$?
}

# inject FILE QUESTION [FIELD [LINE]]: case LINE (default 0) of a
# benchmark or held-out file asks QUESTION in FIELD (default instruction)
inject() {
	python3 -c '
import json, sys
path, q, field, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
lines = open(path).read().splitlines()
case = json.loads(lines[n])
case[field] = q
lines[n] = json.dumps(case)
open(path, "w").write("\n".join(lines) + "\n")
' "$1" "$2" "${3:-instruction}" "${4:-0}"
}

# a copy of the tiny world's benchmarks and held-out sets to spoil
fresh() {
	rm -rf "$W/tiny"
	mkdir -p "$W/tiny"
	cp -R "$TOP/adapters/tiny/benchmarks" "$TOP/adapters/tiny/data" "$W/tiny/"
}

t "the committed benchmarks overlap no training question"
overlap
expect_rc 0
expect_out_has "no exact or near duplicate, no template with the same numbers"
expect_err_empty

t "a training question in a benchmark: exact duplicate"
q=$(python3 "$TRAIN/overlap_check.py" --show code 100)
[ -n "$q" ] && pass || fail "no training question to show"
fresh
inject "$W/tiny/benchmarks/code.jsonl" "$q"
overlap --tiny "$W/tiny" --runs code
expect_rc 1
expect_err_match "^overlap_check: benchmarks/code\.jsonl:1: exact duplicate of training question [0-9]+ of run code:$"
expect_err_has "  training:  '$q'"
expect_err_has "overlap_check: 1 of 2200 benchmark cases overlap the training data: change the benchmark distribution in data.py (BENCH_GENERATORS) or the training streams"

t "other numbers in a training question: near duplicate"
fresh
near=$(printf '%s\n' "$q" | sed 's/[0-9]/7/g')
[ "$near" != "$q" ] && pass || fail "the question has no digits: $q"
inject "$W/tiny/benchmarks/code.jsonl" "$near"
overlap --tiny "$W/tiny" --runs code
expect_rc 1
expect_err_match "^overlap_check: benchmarks/code\.jsonl:1: near duplicate of training question [0-9]+ of run code:$"
expect_err_has "  benchmark: '$near'"

t "another name, item and numbers in a math training question: near duplicate"
m=$(python3 "$TRAIN/overlap_check.py" --show math 7)
swapped=$(cd "$TRAIN" && python3 -c '
import re, sys, data
q = sys.argv[1]
for olds, news in ((data.NAMES, data.BENCH_NAMES), (data.ITEMS, data.BENCH_ITEMS)):
    q = re.sub(r"\b(%s)\b" % "|".join(olds), lambda m: news[olds.index(m.group(1)) % len(news)], q)
print(re.sub(r"\d", "1", q))' "$m")
[ "$swapped" != "$m" ] && pass || fail "nothing swapped in $m"
fresh
inject "$W/tiny/benchmarks/math.jsonl" "$swapped"
overlap --tiny "$W/tiny" --runs math
expect_rc 1
expect_err_match "^overlap_check: benchmarks/math\.jsonl:1: near duplicate of training question [0-9]+ of run math:$"

# the first question of a run that has WORD in it
first_with() {
	(cd "$TRAIN" && python3 -c '
import sys, runs, overlap_check
held = overlap_check.held_questions(sys.argv[3])
print(next(q for q in runs.trained_questions(sys.argv[1], held) if sys.argv[2] in q))' "$1" "$2" "$TOP/adapters/tiny")
}

t "another vocabulary word in a training question: same template with the same numbers"
m=$(first_with math " box ")
other=$(printf '%s\n' "$m" | sed 's/ box / bag /')
[ "$other" != "$m" ] && pass || fail "no math training question says box"
fresh
inject "$W/tiny/benchmarks/math.jsonl" "$other"
overlap --tiny "$W/tiny" --runs math
expect_rc 1
expect_err_match "^overlap_check: benchmarks/math\.jsonl:1: same template with the same numbers of training question [0-9]+ of run math:$"
expect_err_has "  benchmark: '$other'"

t "the held-out sets are checked too"
fresh
s=$(first_with base " plus ")
inject "$W/tiny/data/writing.jsonl" "$s" question 5
overlap --tiny "$W/tiny" --runs base
expect_rc 1
expect_err_match "^overlap_check: data/writing\.jsonl:6: exact duplicate of training question [0-9]+ of run base:$"

t "no benchmarks: an error, not a pass"
overlap --tiny "$W/nothing"
expect_rc 1
expect_err "overlap_check: no benchmark cases under $W/nothing"

area_end
