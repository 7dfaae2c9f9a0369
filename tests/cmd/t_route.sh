#!/bin/sh
# t_route.sh: loco route with the default registry: decisions, word
# boundaries, JSON shape, standard input; no request reaches the server.
. "$TOP/tests/cmd/lib.sh"
area_begin route

# route_is QUESTION ADAPTER: the JSON decision names ADAPTER (null: base).
route_is() {
	t "route: $1"
	run_loco route --json "$1"
	expect_rc 0
	expect_eq "$(json 'String(out.adapter)')" "$2" "adapter for '$1'"
}

route_is "What is the derivative of x^2?" math
route_is "Solve 3x + 5 = 20 for x" math
route_is "How many apples are left if I eat 3 of 10?" math
route_is "Write a Python function that reverses a string" code
route_is "Why does my C++ program segfault?" code
route_is "Fix this syntax error in my SQL query" code
route_is "Compare the arguments in this passage" analysis
route_is "What evidence supports the main idea?" analysis
route_is "Write an essay about climate change" writing
route_is "Proofread this cover letter" writing
route_is "Summarize this article in three sentences" writing
# The substring traps: no keyword inside another word.
route_is "Assume the best" null
route_is "How do I decode this message?" null
route_is "Classify these animals by habitat" null
route_is "Tell me a fun fact about otters" null

t "text output"
run_loco route "Write a Python function to sort a list"
expect_rc 0
expect_out "code	domain code, model loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M, score 4, confidence 0.73
  code              4  function, python
  writing         1.5  write"
run_loco route "hello"
expect_out "base	model qwen3:4b-instruct-2507-q4_K_M (no keyword matched)"

t "JSON shape"
run_loco route --json "Write a Python function to sort a list"
expect_eq "$(json 'Object.keys(out).join(",")')" "adapter,domain,model,router,reason,score,confidence,candidates" "keys"
expect_eq "$(json 'out.domain')" code "domain"
expect_eq "$(json 'out.model')" "loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M" "model"
expect_eq "$(json 'out.router')" keyword "router"
expect_eq "$(json 'out.score')" 4 "score"
expect_eq "$(json 'out.confidence')" 0.7273 "confidence"
expect_eq "$(json 'out.candidates')" '[{"adapter":"code","domain":"code","score":4,"keywords":["function","python"]},{"adapter":"writing","domain":"writing","score":1.5,"keywords":["write"]}]' "candidates"
run_loco route --json "hello"
expect_eq "$(json 'JSON.stringify([out.adapter, out.domain, out.model, out.score, out.candidates])')" '[null,null,"qwen3:4b-instruct-2507-q4_K_M",0,[]]' "base decision"

t "router.min_score sends weak matches to the base model"
LOCO_ROUTER_MIN_SCORE=3 run_loco route "Write a Python function"
expect_out_has "code	"
LOCO_ROUTER_MIN_SCORE=5 run_loco route "Write a Python function"
expect_out_has "base	model qwen3:4b-instruct-2507-q4_K_M (keyword score below router.min_score)"

t "adapters of one domain are not rivals: the confidence counts each domain once"
# The tiny world's math, math-b and math-tool share their keywords; the
# first in the registry wins the tie, and only another domain's match
# lowers the confidence.
run_loco --registry "$TOP/adapters/tiny/registry.yaml" route --json "Anna buys 6 bags of 5 toys. How many toys?"
expect_rc 0
expect_eq "$(json '[out.adapter, out.score, out.confidence, out.candidates.map(c => c.adapter).join(",")].join(" ")')" "math 3 1 math,math-b,math-tool" "decision"
run_loco --registry "$TOP/adapters/tiny/registry.yaml" route --json "Python: a = [4, 6]; print(len(a)) How many?"
expect_rc 0
expect_eq "$(json '[out.adapter, out.confidence, out.candidates.map(c => c.adapter + ":" + c.score).join(",")].join(" ")')" "code 0.625 code:5,code-b:5,math:3,math-b:3,math-tool:3" "another domain lowers it: 5 / (5 + 3)"

t "question from standard input"
run_loco_stdin "Solve for x" route -
expect_rc 0
expect_out_has "math	"

t "no request reaches the server"
expect_eq "$(req 'reqs.length')" 0 "requests"

t "usage errors"
run_loco route
expect_rc 2
expect_err "loco: no question given
usage: loco route [--explain] [--json] question"
run_loco route --jsn x
expect_rc 2
expect_err "loco: unknown option '--jsn'; did you mean '--json'?
usage: loco route [--explain] [--json] question"
run_loco route --zzzzzz x
expect_rc 2
expect_err "loco: unknown option '--zzzzzz'
usage: loco route [--explain] [--json] question"

t "registry errors name file, line and column"
mkdir -p "$W/bad"
printf 'base_model:\n  name: x\n  tag: y\nadapters:\n  - name: a\n    version: 1.0.0\n    domain: poetry\n    type: prompt\n    description: d\n' >"$W/bad/registry.yaml"
run_loco --registry "$W/bad/registry.yaml" route hi
expect_rc 7
expect_err "loco: $W/bad/registry.yaml:7:13: adapter 'a': unknown domain 'poetry' (known: math, code, analysis, writing)"
printf 'base_model:\n  name: x\n  tag: y\nadapters:\n  - name: a\n    version: 1.0.0\n    domain: math\n    type: prompt\n    description: d\n  - name: a\n    version: 1.0.1\n    domain: math\n    type: prompt\n    description: d\n' >"$W/bad/registry.yaml"
run_loco --registry "$W/bad/registry.yaml" route hi
expect_rc 7
expect_err_match "^loco: $W/bad/registry.yaml:10:[0-9]+: duplicate adapter name 'a' \(first defined at line 5\)$"
printf 'base_model:\n  name: x\n  tag: y\nadapters:\n  - {name: a, version: 1.0.0, domain: math, type: lora, file: a.gguf, description: d}\n  - name: ac\n    version: 1.0.0\n    domain: math\n    description: d\n    compose:\n      - {adapter: a, scale: 0.5}\n      - {adapter: b}\n' >"$W/bad/registry.yaml"
run_loco --registry "$W/bad/registry.yaml" route hi
expect_rc 7
expect_err "loco: $W/bad/registry.yaml:12:19: adapter 'ac': compose: unknown adapter 'b' (known lora adapters: a)"
printf 'base_model: [\n' >"$W/bad/registry.yaml"
run_loco --registry "$W/bad/registry.yaml" route hi
expect_rc 7
expect_err_match "^loco: $W/bad/registry.yaml:[0-9]+:[0-9]+: "
run_loco --registry "$W/nope.yaml" route hi
expect_rc 7
expect_err "loco: cannot open registry '$W/nope.yaml': No such file or directory"
mv "$LOCO_HOME/adapters/registry.yaml" "$W/registry.yaml"
run_loco route hi
expect_rc 7
expect_err_match "^loco: no adapter registry found \(looked in $LOCO_HOME/adapters/registry.yaml, \./adapters/registry.yaml, .*\); set registry.path or reinstall loco$"
LOCO_REGISTRY_PATH="$W/registry.yaml" run_loco route "solve it"
expect_rc 0
expect_out_has "math	"
mkdir -p "$W/adapters" && cp "$W/registry.yaml" "$W/adapters/registry.yaml"
run_loco route "solve it"
expect_rc 0
expect_out_has "math	"

t "the YAML cache: a parsed registry's tree kept, read back while the file holds the same bytes"
C=$LOCO_HOME/cache/yaml
REG=$LOCO_HOME/adapters/registry.yaml
cp "$W/registry.yaml" "$REG"
rm -rf "$C"
run_loco route "Write a Python function to sort a list"
first=$(cat "$W/out")
expect_eq "$(ls "$C" | grep -c '\.tree$')" 1 "one tree file, the registry's"
expect_eq "$(ls "$C" | grep -vc '\.tree$')" 0 "no temporary file left"
run_loco route "Write a Python function to sort a list"
expect_rc 0
expect_out "$first"
expect_err_empty
# The same size and modification time, other bytes: still seen.
stamp=$(stat -c %y "$REG")
sed -i 's/^      python: 2$/      pithon: 2/' "$REG"
touch -d "$stamp" "$REG"
grep -q '^      pithon: 2$' "$REG" && pass || fail "the edit did not happen"
run_loco route "Write a Python function to sort a list"
expect_rc 0
expect_out_has "code	domain code"
if grep -q python "$W/out"; then fail "the old tree was believed"; else pass; fi
sed -i 's/^      pithon: 2$/      python: 2/' "$REG"
touch -d "$stamp" "$REG"
tree=$(ls "$C"/*.tree)
t "the YAML cache: a torn, damaged or foreign tree file is not believed"
run_loco route "Write a Python function to sort a list"
expect_out "$first"
size=$(wc -c <"$tree")
head -c $((size - 9)) "$tree" >"$W/torn" && cp "$W/torn" "$tree"
run_loco route "Write a Python function to sort a list"
expect_rc 0
expect_out "$first"
expect_err_empty
# One byte of a value changed (the checksum then fails).
printf 'X' | dd of="$tree" bs=1 seek=$((size - 40)) conv=notrunc 2>/dev/null
run_loco route "Write a Python function to sort a list"
expect_out "$first"
printf 'not a tree' >"$tree"
run_loco route "Write a Python function to sort a list"
expect_out "$first"
expect_err_empty
t "the YAML cache: errors are never cached, and are the same with a cached tree"
cp "$REG" "$W/reg.good"
printf 'adapters: [\n' >>"$REG"
run_loco route "hello"
expect_rc 7
cp "$W/err" "$W/err1"
run_loco route "hello"
expect_rc 7
cmp -s "$W/err1" "$W/err" && pass || fail "another message the second time"
expect_err_match "^loco: $REG:[0-9]+:[0-9]+: did not find expected node content"
cp "$W/reg.good" "$REG"
t "the YAML cache: a home it cannot write to only costs the parse"
rm -rf "$C"
mkdir -p "$C" && chmod 0500 "$C"
run_loco route "Write a Python function to sort a list"
expect_rc 0
expect_out "$first"
expect_err_empty
chmod 0700 "$C"

area_end
