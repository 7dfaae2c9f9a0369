#!/bin/sh
# t_router.sh: loco router train|eval and the classifier router behind
# route: deterministic training, the chain, stale and malformed models;
# router eval --oracle against the scripted backend.  Small benchmarks of
# its own in $LOCO_HOME/benchmarks keep the numbers exact; only the oracle
# sends requests.
. "$TOP/tests/cmd/lib.sh"
area_begin router
# The exact figures below come from this test's own small data: train
# without the shipped registry's router_examples.
awk '/^    router_examples:$/ { skip = 1; next }
    /^    router_examples: / { next }
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
expect_out "$MODEL: 159 examples (math 45, code 52, analysis 29, writing 27, none 6), 3469 features, temperature 0.741"
expect_err_empty

t "training is deterministic"
run_loco router train --out "$W/again.model"
expect_rc 0
if cmp -s "$MODEL" "$W/again.model"; then pass; else fail "models differ"; fi
expect_eq "$(sed -n 1p "$MODEL")" "loco-router-model	3" "first line"
expect_eq "$(sed -n 4p "$MODEL")" "classes	math	code	analysis	writing	none" "classes"
nix=$(sed -n 's/^index	\([0-9]*\)	[0-9]*$/\1/p' "$MODEL")
expect_eq "$nix" 109 "index entries (3469 features, one in 32)"
expect_eq "$(sed -n "$((9 + nix)),\$p" "$MODEL" | cut -f 1 | LC_ALL=C sort -c && echo sorted)" sorted "features sorted"
expect_eq "$(sed -n "9,$((8 + nix))p" "$MODEL" | cut -f 1 | LC_ALL=C sort -c && echo sorted)" sorted "index sorted"

t "a version 2 model (no index) is still read"
run_loco route --json --explain "solve 2x = 10"
cp "$W/out" "$W/route.v3"
{ printf 'loco-router-model\t2\n'; sed -n '2,7p' "$MODEL"; sed -n "$((9 + nix)),\$p" "$MODEL"; } >"$W/v2.model"
LOCO_ROUTER_MODEL="$W/v2.model" run_loco route --json --explain "solve 2x = 10"
expect_rc 0
expect_err_empty
if cmp -s "$W/out" "$W/route.v3"; then pass; else fail "version 2 routes otherwise"; fi

t "route --explain: the classifier decides"
run_loco route --explain "solve 2x = 10"
expect_rc 0
expect_out "math	domain math, model loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M, score 0.953405, confidence 0.95
decided by: classifier
probabilities:
  math         0.953
  code         0.023
  analysis     0.009
  writing      0.014
  none         0.001
top features:
  s:solve              0.523
  c:<sol               0.131
  c:<solv              0.131
  c:lve>               0.131
  c:olve               0.131"

t "route --explain: the classifier sends a general question to base"
run_loco route --explain "why do dogs bark"
expect_rc 0
expect_out "base	model qwen3:4b-instruct-2507-q4_K_M (classifier: none)
decided by: classifier
probabilities:
  math         0.011
  code         0.021
  analysis     0.038
  writing      0.013
  none         0.917
top features:
  s:why do             0.852
  s:why                0.645
  c:<do>               0.356
  w:do                 0.356
  c:<do                0.339"

t "route --explain: below router.threshold, no keyword: base"
LOCO_ROUTER_THRESHOLD=0.99 run_loco route --explain "why do dogs bark"
expect_rc 0
expect_out_has "base	model qwen3:4b-instruct-2507-q4_K_M (classifier below router.threshold, no keyword decision)"
expect_out_has "decided by: base"
expect_out_has "  none         0.917"

t "router.threshold 1: the keywords decide"
LOCO_ROUTER_THRESHOLD=1 run_loco route --explain "write an essay about summer"
expect_rc 0
expect_out_has "decided by: keyword"
expect_out_has "writing	domain writing, model loco-writing:1.0.0-qwen3-4b-instruct-2507-q4_K_M, score 3.5, confidence 1.00"

t "route --explain --json"
run_loco route --explain --json "solve 2x = 10"
expect_rc 0
expect_eq "$(json 'Object.keys(out).join(",")')" "adapter,domain,model,router,reason,score,confidence,candidates,link,probabilities,features" "keys"
expect_eq "$(json 'out.router')" classifier "router"
expect_eq "$(json 'out.link')" classifier "link"
expect_eq "$(json 'out.probabilities')" '{"math":0.9534,"code":0.0232,"analysis":0.0088,"writing":0.0138,"none":0.0008}' "probabilities"
expect_eq "$(json 'out.features[0]')" '{"feature":"s:solve","contribution":0.5225}' "top feature"
run_loco route --json "solve 2x = 10"
expect_eq "$(json 'Object.keys(out).join(",")')" "adapter,domain,model,router,reason,score,confidence,candidates" "keys without --explain"

t "eval: the classifier"
run_loco router eval "$W/labels.tsv"
expect_rc 0
expect_out "router classifier on '$W/labels.tsv': 8 queries
accuracy         1.000 (8/8)
wrong adapter    0.000 (0)
fallback to base 0.000 (0)
ECE              0.092 (10 bins)
decided by       classifier 8, keyword 0, base 0

domain     precision recall queries
math           1.000  1.000       2
code           1.000  1.000       2
none           1.000  1.000       2
writing        1.000  1.000       1
analysis       1.000  1.000       1

confusion (rows: labelled, columns: routed)
               math     code     none  writing analysis
math              2        0        0        0        0
code              0        2        0        0        0
none              0        0        2        0        0
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

# The oracle: five subjects (four adapters and the base model) answer two
# benchmarks; the keyword router's choices are known, so is every score.
#   m1 solve       -> math (right label): math right, base wrong   regret 0
#   m2 3+4         -> base (wrong label): math and base right      regret 0
#   m3 python code -> code (wrong label): code wrong, math right   regret 1
#   m4 calculate   -> math (right label): math wrong, base right   regret 1
#   c1, c2         -> code (right label): code right               regret 0
cat >"$W/math.jsonl" <<'EOB'
{"id":"m1","instruction":"Solve 2x = 10. What is x?","expected_output":"5","evaluation_type":"exact_match","evaluation_config":{"answer_type":"number"}}
{"id":"m2","instruction":"What is 3+4?","expected_output":"7","evaluation_type":"exact_match","evaluation_config":{"answer_type":"number"}}
{"id":"m3","instruction":"In Python code, what is 6*7?","expected_output":"42","evaluation_type":"exact_match","evaluation_config":{"answer_type":"number"}}
{"id":"m4","instruction":"Calculate 9*9.","expected_output":"81","evaluation_type":"exact_match","evaluation_config":{"answer_type":"number"}}
EOB
cat >"$W/code-q.jsonl" <<'EOB'
{"id":"c1","instruction":"Which Python keyword starts a function definition?","expected_output":"def","evaluation_type":"contains"}
{"id":"c2","instruction":"Which SQL clause sorts the rows?","expected_output":"ORDER BY","evaluation_type":"contains"}
EOB
ORACLE_MODELS='"models":["qwen3:4b-instruct-2507-q4_K_M","loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-analysis:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-writing:1.0.0-qwen3-4b-instruct-2507-q4_K_M"]'
ORACLE_SCRIPT='{'"$ORACLE_MODELS"',"chat":[
{"match":{"model":"loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","contains":"Solve 2x"},"reply":"The answer is 5"},
{"match":{"model":"loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","contains":"3+4"},"reply":"The answer is 7"},
{"match":{"model":"loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","contains":"6*7"},"reply":"The answer is 42"},
{"match":{"model":"loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","contains":"9*9"},"reply":"The answer is 80"},
{"match":{"model":"qwen3:4b-instruct-2507-q4_K_M","contains":"Solve 2x"},"reply":"The answer is 4"},
{"match":{"model":"qwen3:4b-instruct-2507-q4_K_M","contains":"3+4"},"reply":"The answer is 7"},
{"match":{"model":"qwen3:4b-instruct-2507-q4_K_M","contains":"6*7"},"reply":"The answer is 42"},
{"match":{"model":"qwen3:4b-instruct-2507-q4_K_M","contains":"9*9"},"reply":"The answer is 81"},
{"match":{"model":"loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M","contains":"6*7"},"reply":"The answer is 43"},
{"match":{"model":"loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M","contains":"function definition"},"reply":"def"},
{"match":{"model":"qwen3:4b-instruct-2507-q4_K_M","contains":"function definition"},"reply":"lambda"},
{"match":{"model":"loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M","contains":"sorts the rows"},"reply":"ORDER BY"},
{"match":{"model":"qwen3:4b-instruct-2507-q4_K_M","contains":"sorts the rows"},"reply":"ORDER BY"},
{"reply":"I do not know"}]}'

t "eval --oracle: the routed choice against the best subject"
script "$ORACLE_SCRIPT"
run_loco router eval --oracle --router keyword "$W/math.jsonl" "$W/code-q.jsonl"
expect_rc 0
expect_out "router keyword against the oracle: 6 cases of 2 benchmarks, 5 subjects

choice               mean score pass rate    passed   regret
routed                    0.667     0.667       4/6    0.333
oracle (best)             1.000     1.000       6/6    0.000
always math               0.500     0.500       3/6    0.500
always code               0.333     0.333       2/6    0.667
always analysis           0.000     0.000       0/6    1.000
always writing            0.000     0.000       0/6    1.000
always base               0.667     0.667       4/6    0.333

routed = best    0.667 (4/6)
mean regret      0.333
labels right     0.667 (4/6)
right label      4 cases, mean regret 0.250, costly 1, worse than base 1
wrong label      2 cases, mean regret 0.500, costly 1, worse than base 1

domain     cases labels routed   best regret  benchmark
math           4  0.500  0.500  1.000  0.500  $W/math.jsonl
code           2  1.000  1.000  1.000  0.000  $W/code-q.jsonl

30 requests sent, 5 model loads reported (1.25 s)"
expect_eq "$(req 'chats.length')" 30 "requests"
expect_eq "$(req 'chats.map(c => c.body.model).join(",").replace(/(loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M,)+/, "M,").replace(/(loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M,)+/, "C,").replace(/(loco-analysis:1.0.0-qwen3-4b-instruct-2507-q4_K_M,)+/, "A,").replace(/(loco-writing:1.0.0-qwen3-4b-instruct-2507-q4_K_M,)+/, "W,").replace(/(qwen3:4b-instruct-2507-q4_K_M,?)+/, "B")')" "M,C,A,W,B" "one model after the other"
expect_eq "$(req 'chats[0].body.options.temperature + " " + chats[0].body.options.seed')" "0 42" "greedy and seeded"
expect_eq "$(req 'chats[0].body.messages.slice(-1)[0].content')" "Solve 2x = 10. What is x?
Read the question again: Solve 2x = 10. What is x?" "RE2"

t "eval --oracle: a re-run is answered from the cache"
: >"$B/requests.jsonl"
run_loco router eval --oracle --json --router keyword "$W/math.jsonl" "$W/code-q.jsonl"
expect_rc 0
expect_eq "$(req 'chats.length')" 0 "requests"
expect_eq "$(json 'Object.keys(out).join(",")')" "router,cases,correct,label_accuracy,routed_best,routed_best_rate,mean_regret,routed,oracle,fixed,right_label,wrong_label,benchmarks,per_case,requests,model_loads" "keys"
expect_eq "$(json '[out.router, out.cases, out.correct, out.label_accuracy, out.routed_best, out.routed_best_rate, out.mean_regret, out.requests]')" '["keyword",6,4,0.6667,4,0.6667,0.3333,0]' "scores"
expect_eq "$(json 'out.routed')" '{"mean_score":0.6667,"pass_rate":0.6667,"passed":4,"mean_regret":0.3333}' "routed"
expect_eq "$(json 'out.oracle')" '{"mean_score":1,"pass_rate":1,"passed":6,"mean_regret":0}' "oracle"
expect_eq "$(json 'out.fixed.map(f => f.subject + "=" + f.model + ":" + f.mean_score).join(" ")')" "math=loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M:0.5 code=loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M:0.3333 analysis=loco-analysis:1.0.0-qwen3-4b-instruct-2507-q4_K_M:0 writing=loco-writing:1.0.0-qwen3-4b-instruct-2507-q4_K_M:0 base=qwen3:4b-instruct-2507-q4_K_M:0.6667" "fixed"
expect_eq "$(json '[out.right_label, out.wrong_label]')" '[{"cases":4,"mean_regret":0.25,"costly":1,"worse_than_base":1},{"cases":2,"mean_regret":0.5,"costly":1,"worse_than_base":1}]' "by label"
expect_eq "$(json 'out.benchmarks[1]')" '{"path":"'"$W"'/code-q.jsonl","domain":"code","cases":2,"label_accuracy":1,"routed_mean_score":1,"best_mean_score":1,"mean_regret":0}' "benchmarks"
expect_eq "$(json 'out.per_case[2]')" '{"benchmark":"'"$W"'/math.jsonl","id":"m3","expected":"math","routed":"code","label_right":false,"scores":{"math":1,"code":0,"analysis":0,"writing":0,"base":1}}' "a case"

t "eval --oracle: --limit, and a domain for its standard benchmark"
run_loco router eval --oracle --json --limit 1 --router keyword math
expect_rc 0
expect_eq "$(json '[out.cases, out.benchmarks[0].path, out.benchmarks[0].domain, out.per_case[0].routed]')" '[1,"'"$BM"'/math.jsonl","math","math"]' "one case"
expect_eq "$(req 'chats.length')" 5 "requests"

t "eval --oracle: a domain's benchmark named by its active adapter, as eval takes it"
cp "$LOCO_HOME/adapters/registry.yaml" "$W/registry.orig"
sed 's|^\(    domain: math\)$|\1\n    benchmark: '"$W"'/math.jsonl|' "$W/registry.orig" \
	>"$LOCO_HOME/adapters/registry.yaml"
run_loco router eval --oracle --json --limit 1 --router keyword math
expect_rc 0
expect_eq "$(json '[out.cases, out.benchmarks[0].path, out.per_case[0].id]')" '[1,"'"$W"'/math.jsonl","m1"]' "the adapter's benchmark"
cp "$W/registry.orig" "$LOCO_HOME/adapters/registry.yaml"

t "eval --oracle: errors"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M","loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-writing:1.0.0-qwen3-4b-instruct-2507-q4_K_M"]}'
run_loco router eval --oracle --router keyword "$W/math.jsonl"
expect_rc 4
expect_err "loco: model 'loco-analysis:1.0.0-qwen3-4b-instruct-2507-q4_K_M' not found at $BASE_URL: run 'loco setup'"
run_loco router eval --oracle --host http://127.0.0.1:9 "$W/math.jsonl"
expect_rc 3
expect_err_match "^loco: cannot reach Ollama at http://127.0.0.1:9"
cp "$W/math.jsonl" "$W/sums.jsonl"
run_loco router eval --oracle "$W/sums.jsonl"
expect_rc 2
expect_err "loco: cannot tell the domain of '$W/sums.jsonl': its name must begin with a domain or 'none' (math.jsonl)"
run_loco router eval --oracle "$W/nope.jsonl"
expect_rc 1
expect_err_match "^loco: cannot read '$W/nope.jsonl'"
run_loco router eval --oracle
expect_rc 2
expect_err "loco: no benchmark given
usage: loco router eval [--json] [--router type] file
       loco router eval --oracle [--host url] [--jobs n] [--json] [--limit n] [--router type] benchmark ..."
run_loco router eval --jobs 2 "$W/labels.tsv"
expect_rc 2
expect_err_has "loco: --jobs needs --oracle"
run_loco router eval --oracle --jobs 0 "$W/math.jsonl"
expect_rc 2
expect_err_has "loco: --jobs: must be an integer from 1 to 64, not '0'"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M"]}'

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
# A source of the data that cannot be read: keywords, with a warning.
cp "$BM/math.jsonl" "$W/math.saved"
rm "$BM/math.jsonl"
mkdir "$BM/math.jsonl"
run_loco route --json "solve 2x = 10"
expect_rc 0
expect_eq "$(json 'out.router')" keyword "unchecked: keywords"
expect_err_match "^loco: cannot check the router model against its data: .*math\.jsonl.*; using keywords$"
LOCO_ROUTER_TYPE=classifier run_loco route "solve 2x = 10"
expect_rc 1
expect_err_match "math\.jsonl"
rmdir "$BM/math.jsonl"
cp "$W/math.saved" "$BM/math.jsonl"
# Three words or fewer that the classifier calls none are not placed.
run_loco route --explain "where is it?"
expect_rc 0
expect_out_has "base	model qwen3:4b-instruct-2507-q4_K_M (too few words to place, no keyword decision)"
expect_out_has "decided by: base"
expect_out_has "  none         0.795"
run_loco route "why do dogs bark"
expect_rc 0
expect_out "base	model qwen3:4b-instruct-2507-q4_K_M (classifier: none)"

t "the stamp file: the data checked by stat, a change still seen"
# Data changed less than 2 seconds before training gets no stamp file.
sleep 3
run_loco router train
expect_rc 0
if [ -f "$MODEL.stamp" ]; then pass; else fail "no $MODEL.stamp"; fi
run_loco route --json "solve 2x = 10"
expect_eq "$(json 'out.router')" classifier "stamped model"
expect_err_empty
# The same size, another letter: the stamp differs, the contents decide.
cp "$BM/general.txt" "$W/general.saved"
sed 's/Japan/Jopan/' "$W/general.saved" >"$BM/general.txt"
run_loco route --json "solve 2x = 10"
expect_eq "$(json 'out.router')" keyword "a change of the same size"
expect_err "loco: the router model was trained on other data: run 'loco router train'; using keywords"
# Back as it was (new times): the contents are what was trained on.
cp "$W/general.saved" "$BM/general.txt"
run_loco route --json "solve 2x = 10"
expect_eq "$(json 'out.router')" classifier "same contents, new times"
expect_err_empty
# Trained again just after a change: no stamp file (nor the old one).
touch "$BM/general.txt"
run_loco router train
expect_rc 0
if [ -e "$MODEL.stamp" ]; then fail "$MODEL.stamp left"; else pass; fi
run_loco route --json "solve 2x = 10"
expect_eq "$(json 'out.router')" classifier "unstamped model"
expect_err_empty

t "malformed model files name the line"
printf 'loco-router-model\t2\ndata\tnope\n' >"$MODEL"
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
       loco router eval [--json] [--router type] file
       loco router eval --oracle [--host url] [--jobs n] [--json] [--limit n] [--router type] benchmark ..."
run_loco router eval
expect_rc 2
expect_err "loco: no labelled file given
usage: loco router eval [--json] [--router type] file
       loco router eval --oracle [--host url] [--jobs n] [--json] [--limit n] [--router type] benchmark ..."
run_loco router eval --router bayes "$W/labels.tsv"
expect_rc 2
expect_err "loco: --router: 'bayes' is not one of keyword, classifier or auto
usage: loco router eval [--json] [--router type] file
       loco router eval --oracle [--host url] [--jobs n] [--json] [--limit n] [--router type] benchmark ..."
run_loco router eval --router clasifier "$W/labels.tsv"
expect_rc 2
expect_err_has "loco: --router: 'clasifier' is not one of keyword, classifier or auto; did you mean 'classifier'?"
run_loco router eval --orcale "$W/labels.tsv"
expect_rc 2
expect_err "loco: unknown option '--orcale'; did you mean '--oracle'?
usage: loco router eval [--json] [--router type] file
       loco router eval --oracle [--host url] [--jobs n] [--json] [--limit n] [--router type] benchmark ..."
expect_out_empty
run_loco router train --out
expect_rc 2
expect_err "loco: option '--out' needs a value
usage: loco router train [--json] [--out file]"
run_loco router train --jsn
expect_rc 2
expect_err "loco: unknown option '--jsn'; did you mean '--json'?
usage: loco router train [--json] [--out file]"
run_loco router eval --oracle --limit 0 math
expect_rc 2
expect_err_has "loco: --limit: must be a positive integer, not '0'"
run_loco router eval --limit 2 "$W/labels.tsv"
expect_rc 2
expect_err_has "loco: --limit needs --oracle"
run_loco router eval --host http://127.0.0.1:9 "$W/labels.tsv"
expect_rc 2
expect_err_has "loco: --host needs --oracle"
run_loco router -h
expect_rc 0
expect_out "usage: loco router train [--json] [--out file]
       loco router eval [--json] [--router type] file
       loco router eval --oracle [--host url] [--jobs n] [--json] [--limit n] [--router type] benchmark ...

train the classifier router and evaluate routers.

  train    train the classifier on the benchmarks, router_examples and general.txt
  eval     score a router on labelled queries, or against the best answers

See 'loco router SUBCOMMAND -h' for options."
run_loco router train extra
expect_rc 2
expect_err "loco: unexpected argument 'extra'
usage: loco router train [--json] [--out file]"

t "router_examples from a file named by the registry"
cp "$LOCO_HOME/adapters/registry.yaml" "$W/registry.plain"
sed 's|^\(    domain: writing\)$|\1\n    router_examples: ex/writing.txt|' "$W/registry.plain" \
	>"$LOCO_HOME/adapters/registry.yaml"
mkdir -p "$LOCO_HOME/adapters/ex"
printf '# comment\n\npolish the wording of my cover letter\nmake this paragraph flow better\n' \
	>"$LOCO_HOME/adapters/ex/writing.txt"
run_loco router train --json --out "$W/ex.model"
expect_rc 0
with=$(json 'out.classes.writing')
cp "$W/registry.plain" "$LOCO_HOME/adapters/registry.yaml"
run_loco router train --json --out "$W/ex0.model"
expect_eq "$((with - $(json 'out.classes.writing')))" 2 \
	"two examples from the file (comment and blank line skipped)"
sed 's|^\(    domain: writing\)$|\1\n    router_examples: ex/writing.txt|' "$W/registry.plain" \
	>"$LOCO_HOME/adapters/registry.yaml"
rm "$LOCO_HOME/adapters/ex/writing.txt"
run_loco router train --out "$W/ex2.model"
expect_rc 7
expect_err_match "^loco: router_examples of adapter 'writing': .*ex/writing.txt"
cp "$W/registry.plain" "$LOCO_HOME/adapters/registry.yaml"

t "no other request reaches the server"
expect_eq "$(req 'reqs.length')" 0 "requests"

area_end
