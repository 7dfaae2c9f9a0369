#!/bin/sh
# t_router.sh: loco router train|eval and the classifier router behind
# route: deterministic training, the chain, stale and malformed models.
# Small benchmarks of its own in $LOCO_HOME/benchmarks keep the numbers
# exact; no request reaches the server.
. "$TOP/tests/cmd/lib.sh"
area_begin router
# The exact figures below come from this test's own small data: train
# without the shipped registry's router_examples.
awk '/^    router_examples:$/ { skip = 1; next }
    skip && /^      - / { next }
    { skip = 0; print }' "$TOP/adapters/registry.yaml" >"$LOCO_HOME/adapters/registry.yaml"

BM=$LOCO_HOME/benchmarks
mkdir -p "$BM"
cat >"$BM/math.jsonl" <<'EOB'
{"question": "Solve for x: 3x + 4 = 19.", "answer": "5"}
{"question": "What is 15% of 80?", "answer": "12"}
{"question": "A train travels 120 km in 2 hours. What is its average speed in km/h?", "answer": "60"}
{"question": "Find the area of a rectangle 7 m by 9 m, in square metres.", "answer": "63"}
{"question": "What is the derivative of x^3?", "answer": "3x^2"}
{"question": "How many minutes are there in 3.5 hours?", "answer": "210"}
EOB
cat >"$BM/code.jsonl" <<'EOB'
{"question": "Write a Python function that returns the largest of three numbers.", "answer": "def f(a, b, c): return max(a, b, c)"}
{"question": "Write a Python function `is_even(n)` that returns True for even n.", "answer": "def is_even(n): return n % 2 == 0"}
{"question": "Fix the bug in this JavaScript loop that never ends.", "answer": "x"}
{"question": "Write a SQL query that counts the rows of the table orders.", "answer": "SELECT COUNT(*) FROM orders;"}
{"question": "Explain what this Python list comprehension returns: [x * x for x in range(4)]", "answer": "[0, 1, 4, 9]"}
{"question": "Write a function in C that reverses a string in place.", "answer": "x"}
EOB
cat >"$BM/general.txt" <<'EOB'
What's the best time of year to visit Japan?
Hello! Nice to meet you.
Who was the first woman to win a Nobel Prize?
How do I make a good cup of tea?
Why do cats purr?
Which country has the most islands?
EOB
cat >"$W/labels.tsv" <<'EOB'
# a small labelled set
math	solve 2x = 10
math	what is 20% of 50
code	write a python function to add two numbers
code	fix my javascript
none	hello, how are you?
none	why do dogs bark
writing	write an essay about summer
analysis	compare these two arguments
EOB
MODEL=$LOCO_HOME/router.model

t "auto without a model: the keywords"
run_loco route --json "solve 2x = 10"
expect_rc 0
expect_eq "$(json 'out.router')" keyword "router"
expect_err_empty

t "classifier without a model: an error"
LOCO_ROUTER_TYPE=classifier run_loco route "solve 2x = 10"
expect_rc 1
expect_err "loco: no router model '$MODEL': run 'loco router train'"

t "train"
run_loco router train
expect_rc 0
expect_out "$MODEL: 159 examples (math 45, code 52, analysis 29, writing 27, none 6), 324 features, temperature 0.719"
expect_err_empty

t "training is deterministic"
run_loco router train --out "$W/again.model"
expect_rc 0
if cmp -s "$MODEL" "$W/again.model"; then pass; else fail "models differ"; fi
expect_eq "$(sed -n 1p "$MODEL")" "loco-router-model	1" "first line"
expect_eq "$(sed -n 3p "$MODEL")" "classes	math	code	analysis	writing	none" "classes"

t "route --explain: the classifier decides"
run_loco route --explain "solve 2x = 10"
expect_rc 0
expect_out "math	domain math, model loco-math:1.0.0, score 0.713703, confidence 0.71
decided by: classifier
probabilities:
  math         0.714
  code         0.111
  analysis     0.065
  writing      0.102
  none         0.008
top features:
  c:ve>                0.660
  c:<so                0.482"

t "route --explain: the classifier sends a general question to base"
run_loco route --explain "why do dogs bark"
expect_rc 0
expect_out "base	model qwen3:4b (classifier: none)
decided by: classifier
probabilities:
  math         0.046
  code         0.055
  analysis     0.104
  writing      0.040
  none         0.755
top features:
  c:<wh                2.938"

t "route --explain: below router.threshold, no keyword: base"
LOCO_ROUTER_THRESHOLD=0.9 run_loco route --explain "why do dogs bark"
expect_rc 0
expect_out_has "base	model qwen3:4b (classifier below router.threshold, no keyword decision)"
expect_out_has "decided by: base"
expect_out_has "  none         0.755"

t "router.threshold 1: the keywords decide"
LOCO_ROUTER_THRESHOLD=1 run_loco route --explain "write an essay about summer"
expect_rc 0
expect_out_has "decided by: keyword"
expect_out_has "writing	domain writing, model loco-writing:1.0.0, score 3.5, confidence 1.00"

t "route --explain --json"
run_loco route --explain --json "solve 2x = 10"
expect_rc 0
expect_eq "$(json 'Object.keys(out).join(",")')" "adapter,domain,model,router,reason,score,confidence,candidates,link,probabilities,features" "keys"
expect_eq "$(json 'out.router')" classifier "router"
expect_eq "$(json 'out.link')" classifier "link"
expect_eq "$(json 'out.probabilities')" '{"math":0.7137,"code":0.1113,"analysis":0.065,"writing":0.1016,"none":0.0084}' "probabilities"
expect_eq "$(json 'out.features[0]')" '{"feature":"c:ve>","contribution":0.66}' "top feature"
run_loco route --json "solve 2x = 10"
expect_eq "$(json 'Object.keys(out).join(",")')" "adapter,domain,model,router,reason,score,confidence,candidates" "keys without --explain"

t "eval: the classifier"
run_loco router eval "$W/labels.tsv"
expect_rc 0
expect_out "router classifier on '$W/labels.tsv': 8 queries
accuracy         0.875 (7/8)
wrong adapter    0.125 (1)
fallback to base 0.000 (0)
ECE              0.152 (10 bins)
decided by       classifier 7, keyword 1, base 0

domain     precision recall queries
math           0.667  1.000       2
code           1.000  1.000       2
none           1.000  0.500       2
writing        1.000  1.000       1
analysis       1.000  1.000       1

confusion (rows: labelled, columns: routed)
               math     code     none  writing analysis
math              2        0        0        0        0
code              0        2        0        0        0
none              1        0        1        0        0
writing           0        0        0        1        0
analysis          0        0        0        0        1"

t "eval --router keyword --json"
run_loco router eval --router keyword --json "$W/labels.tsv"
expect_rc 0
expect_eq "$(json 'Object.keys(out).join(",")')" "router,file,queries,correct,accuracy,wrong_adapter_rate,base_fallback_rate,ece,decided_by,domains,confusion" "keys"
expect_eq "$(json '[out.router, out.queries, out.correct, out.accuracy, out.wrong_adapter_rate, out.base_fallback_rate, out.ece]')" '["keyword",8,7,0.875,0,0.125,null]' "scores"
expect_eq "$(json 'out.decided_by')" '{"classifier":0,"keyword":5,"base":3}' "links"
expect_eq "$(json 'out.domains.math')" '{"precision":1,"recall":0.5,"support":2}' "math"
expect_eq "$(json 'out.confusion.math')" '{"math":1,"code":0,"none":1,"writing":0,"analysis":0}' "confusion"

t "eval reads JSON Lines"
printf '{"domain": "math", "query": "solve 2x = 10"}\n{"domain": "none", "query": "hello, how are you?"}\n' >"$W/labels.jsonl"
run_loco router eval --json "$W/labels.jsonl"
expect_rc 0
expect_eq "$(json '[out.queries, Object.keys(out.domains).join()]')" '[2,"math,none"]' "queries and domains"

t "a model trained on other data"
echo "Where is the nearest beach?" >>"$BM/general.txt"
run_loco route --json "solve 2x = 10"
expect_rc 0
expect_eq "$(json 'out.router')" keyword "auto falls back to keywords"
expect_err "loco: the router model was trained on other data: run 'loco router train'; using keywords"
LOCO_ROUTER_TYPE=classifier run_loco route "solve 2x = 10"
expect_rc 1
expect_err "loco: the router model was trained on other data: run 'loco router train'"
run_loco router train
expect_rc 0
run_loco route --json "solve 2x = 10"
expect_eq "$(json 'out.router')" classifier "retrained"
expect_err_empty

t "malformed model files name the line"
printf 'loco-router-model\t1\ndata\tnope\n' >"$MODEL"
run_loco route "solve 2x = 10"
expect_rc 1
expect_err "loco: malformed router model '$MODEL': line 2: expected a SHA-256 after 'data'; run 'loco router train'"
run_loco router eval "$W/labels.tsv"
expect_rc 1
expect_err "loco: malformed router model '$MODEL': line 2: expected a SHA-256 after 'data'; run 'loco router train'"
LOCO_ROUTER_TYPE=keyword run_loco route --json "solve 2x = 10"
expect_rc 0
expect_eq "$(json 'out.router')" keyword "router.type keyword never reads it"

t "router.model names the file"
run_loco router train --out "$W/other.model"
LOCO_ROUTER_MODEL="$W/other.model" run_loco route --json "solve 2x = 10"
expect_rc 0
expect_eq "$(json 'out.router')" classifier "router"

t "labelled file errors"
printf 'math\tok\nno tab\n' >"$W/bad.tsv"
run_loco router eval "$W/bad.tsv"
expect_rc 1
expect_err "loco: cannot read '$W/bad.tsv': line 2: expected domain<TAB>query"

t "usage errors"
run_loco router
expect_rc 2
expect_err "loco: no subcommand given
usage: loco router train [--json] [--out file]
       loco router eval [--json] [--router type] file"
run_loco router eval
expect_rc 2
expect_err "loco: no labelled file given
usage: loco router eval [--json] [--router type] file"
run_loco router eval --router bayes "$W/labels.tsv"
expect_rc 2
expect_err_has "usage: loco router eval [--json] [--router type] file"
run_loco router train extra
expect_rc 2
expect_err "loco: unexpected argument 'extra'
usage: loco router train [--json] [--out file]"

t "no request reaches the server"
expect_eq "$(req 'reqs.length')" 0 "requests"

area_end
