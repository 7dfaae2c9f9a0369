#!/bin/sh
# t_ensemble.sh: cross-adapter ensembles (loco query --ensemble, loco eval
# --ensemble) against the scripted backend: members, weights from the
# results archive, the weighted vote, early stopping counted at the
# backend, member-by-member order on Ollama, JSON and stream events, the
# eval against the best member with its paired test and gate; then on the
# fake llama-server (members in flight together, one LoRA each) and on the
# real engine with the tiny world (a named set of two LoRA members of math,
# and the domain's four).
. "$TOP/tests/cmd/lib.sh"
area_begin ensemble

BASE=qwen3:4b-instruct-2507-q4_K_M
MA=loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M
MB=loco-math-b:1.0.0-qwen3-4b-instruct-2507-q4_K_M
MC=loco-math-c:1.0.0-qwen3-4b-instruct-2507-q4_K_M
MODELS="\"models\":[\"$BASE\",\"$MA\",\"$MB\",\"$MC\"]"
Q='What is the sum of 25 and 26?'

# Two more math adapters in the test's registry: three active members.
cat >>"$LOCO_HOME/adapters/registry.yaml" <<'YAML'

  - name: math-b
    version: 1.0.0
    domain: math
    type: prompt
    description: a second math specialist
    system: You are math tutor B.
    answer_type: number
    router_keywords: [zzzb]

  - name: math-c
    version: 1.0.0
    domain: math
    type: prompt
    description: a third math specialist
    system: You are math tutor C.
    answer_type: number
    router_keywords: [zzzc]
YAML

# shape [--lines] SCHEMA: stdout fits tests/json/SCHEMA.json (see t_json.sh).
shape() {
	if [ "$1" = --lines ]; then _l=--lines; shift; else _l=; fi
	if node "$TOP/tests/json/validate.js" $_l "$TOP/tests/json/$1.json" "$W/out" 2>"$W/verr"; then pass; else
		fail "stdout does not fit $1.json: $(cat "$W/verr")"
	fi
}

# archive DOMAIN NAME VERSION ACCURACY [BENCHMARK]: a result of loco eval
# for the weights, as loco eval leaves it (the benchmark must exist).
archive() {
	d="$LOCO_HOME/results/$1/$2@$3"
	mkdir -p "$d"
	bp=${5:-$W/bench-$1.jsonl}
	[ -f "$bp" ] || printf '{"id":"1","input":"x","expected":"1","type":"exact_match"}\n' >"$bp"
	sha=$(sha256sum "$bp" | cut -d' ' -f1)
	cat >"$d/20260101T000000Z.json" <<JSON
{"adapter":"$2","version":"$3","domain":"$1","base_model":"$BASE",
 "benchmark":{"path":"$bp","sha256":"sha256:$sha"},"n":100,
 "scores":{"adapter":{"accuracy":$4,"ci_low":0,"ci_high":1,"passed":1},
  "base":{"accuracy":0.1,"ci_low":0,"ci_high":1,"passed":1}},
 "mcnemar":{"adapter_only":1,"base_only":0,"p":0.5},
 "gate":{"passed":true},"timestamp":"2026-01-01T00:00:00Z"}
JSON
}

t "unweighted: one greedy answer per member, the majority wins"
script "{$MODELS,\"chat\":[{\"match\":{\"model\":\"$MA\"},\"reply\":\"The answer is 50\"},{\"reply\":\"The answer is 51\"}]}"
run_loco query --ensemble "$Q"
expect_rc 0
expect_out "The answer is 51"
expect_err_has "ensemble: math@1.0.0 weight 1 (no recorded accuracy: unweighted), math-b@1.0.0 weight 1 (no recorded accuracy: unweighted), math-c@1.0.0 weight 1 (no recorded accuracy: unweighted)"
expect_err_match '^\[router: math, score 1, confidence 1\.00\] model ensemble:math@1\.0\.0,math-b@1\.0\.0,math-c@1\.0\.0 \| ensemble of 3, weighted majority: 51 x2 \(weight 2\), 50 x1 \(weight 1\), invalid 0; 3 of 3 samples, confidence 0\.67 \|'
expect_eq "$(req 'chats.map(c => c.body.model).join(" ")')" "$MA $MB $MC" "members in order, one request each"
expect_eq "$(req 'chats.map(c => c.body.messages[0].content.slice(0, 20)).slice(1).join("|")')" "You are math tutor B|You are math tutor C" "each member's own prompt"
expect_eq "$(req '[...new Set(chats.map(c => String(c.body.options.temperature)))].join(",")')" "0.2,undefined" "one answer each: the member's own temperature"

t "recorded accuracy weighs: two weaker members outweigh a stronger one"
archive math math 1.0.0 0.8
archive math math-b 1.0.0 0.4
archive math math-c 1.0.0 0.5
script "{$MODELS,\"chat\":[{\"match\":{\"model\":\"$MA\"},\"reply\":\"The answer is 50\"},{\"reply\":\"The answer is 51\"}]}"
run_loco query --ensemble --json "$Q"
expect_rc 0
shape query
expect_eq "$(json 'out.answer')" "The answer is 51" "0.5 + 0.4 beat 0.8"
expect_eq "$(json 'out.ensemble.members.map(m => m.adapter + ":" + m.weight + ":" + m.accuracy + ":" + m.weight_source + ":" + m.answers.join("/")).join(" ")')" "math:0.8:0.8:recorded:50 math-c:0.5:0.5:recorded:51 math-b:0.4:0.4:recorded:51" "members, heaviest first"
expect_eq "$(json 'out.ensemble.winner + "@" + out.ensemble.winner_version + " " + out.ensemble.answer + " " + out.ensemble.domain')" "math-c@1.0.0 51 math" "winner"
expect_eq "$(json 'JSON.stringify(out.vote.weights) + JSON.stringify(out.vote.votes)')" '{"50":0.8,"51":0.9}{"50":1,"51":2}' "weights and votes by answer"
expect_eq "$(json 'out.vote.confidence')" 0.5294 "confidence: the winner's weight over all"
expect_eq "$(json 'out.vote.responses.map(r => r.adapter + ":" + r.weight).join(" ")')" "math:0.8 math-c:0.5 math-b:0.4" "samples name their member"
expect_eq "$(req 'chats.map(c => c.body.model).join(" ")')" "$MA $MC $MB" "asked heaviest first"
run_loco query --ensemble "$Q"
expect_err_has "ensemble: math@1.0.0 weight 0.8 (recorded accuracy), math-c@1.0.0 weight 0.5 (recorded accuracy), math-b@1.0.0 weight 0.4 (recorded accuracy)"
expect_err_match ' \| ensemble of 3, weighted majority: 51 x2 \(weight 0\.9\), 50 x1 \(weight 0\.8\), invalid 0; 3 of 3 samples, confidence 0\.53 \|'

t "early stopping: the rest cannot outweigh the leader"
archive math math 1.0.0 0.9
archive math math-b 1.0.0 0.3
archive math math-c 1.0.0 0.4
script "{$MODELS,\"chat\":[{\"match\":{\"model\":\"$MA\"},\"reply\":\"The answer is 50\"},{\"reply\":\"The answer is 51\"}]}"
run_loco query --ensemble --json "$Q"
expect_rc 0
shape query
expect_eq "$(json 'out.vote.samples + " " + out.vote.saved + " " + out.vote.answer')" "1 2 50" "0.9 > 0.4 + 0.3: one asked"
expect_eq "$(req 'chats.map(c => c.body.model).join(" ")')" "$MA" "the others never asked"
expect_eq "$(json 'out.ensemble.members.map(m => m.answers.length).join(",")')" "1,0,0" "a skipped member has no answer"

t "a stale result does not weigh"
printf 'changed\n' >>"$W/bench-math.jsonl"
script "{$MODELS,\"chat\":[{\"reply\":\"The answer is 51\"}]}"
run_loco query --ensemble --json "$Q"
expect_eq "$(json 'out.ensemble.members.map(m => m.weight + ":" + m.weight_source + ":" + m.accuracy).join(" ")')" "1:stale:null 1:stale:null 1:stale:null" "stale: weight 1"
rm -rf "$LOCO_HOME/results"

t "one member without a record: nobody's weight counts"
# An unmeasured member at 1 would outweigh every measured accuracy.
archive math math 1.0.0 0.9
archive math math-c 1.0.0 0.4
script "{$MODELS,\"chat\":[{\"match\":{\"model\":\"$MA\"},\"reply\":\"The answer is 50\"},{\"reply\":\"The answer is 51\"}]}"
run_loco query --ensemble --json "$Q"
expect_rc 0
shape query
expect_eq "$(json 'out.ensemble.members.map(m => m.adapter + ":" + m.weight + ":" + m.accuracy + ":" + m.weight_source).join(" ")')" "math:1:0.9:unweighted math-b:1:null:none math-c:1:0.4:unweighted" "members, registry order"
expect_eq "$(json 'out.answer')" "The answer is 51" "two against one, unweighted"
run_loco query --ensemble "$Q"
expect_err_has "ensemble: math@1.0.0 weight 1 (another member has no recorded accuracy: unweighted), math-b@1.0.0 weight 1 (no recorded accuracy: unweighted), math-c@1.0.0 weight 1 (another member has no recorded accuracy: unweighted)"
rm -rf "$LOCO_HOME/results"

t "votes per member: n samples each, seeds seed + i, member after member"
script "{$MODELS,\"chat\":[{\"match\":{\"model\":\"$MC\"},\"reply\":\"The answer is 50\"},{\"reply\":\"The answer is 51\",\"delay_ms\":20}]}"
run_loco query --ensemble --votes 2 --seed 7 --parallel 4 --json --no-reread "$Q"
expect_rc 0
expect_eq "$(req 'chats.map(c => c.body.model).join(" ")')" "$MA $MA $MB $MB" "a member's samples all end before the next member's start"
expect_eq "$(req 'chats.map(c => c.body.options.seed).sort().join(",") + " " + [...new Set(chats.map(c => c.body.options.temperature))]')" "7,7,8,8 0.7" "seeds and the votes' temperature"
expect_eq "$(json 'out.vote.samples + "/" + out.vote.requested + " " + out.vote.saved + " " + out.answer')" "4/6 2 The answer is 51" "4 > 0 + 2: early stop"

t "a named set"
script "{$MODELS,\"chat\":[{\"match\":{\"model\":\"$MB\"},\"reply\":\"The answer is 9\"},{\"reply\":\"The answer is 8\"}]}"
run_loco query --ensemble=math-c,math-b@1.0.0 "$Q"
expect_rc 0
expect_err_match '^\[ensemble: named set \(--ensemble\)\] model ensemble:math-c@1\.0\.0,math-b@1\.0\.0 \| ensemble of 2, weighted majority: 8 x1 \(weight 1\), 9 x1 \(weight 1\)'
expect_out "The answer is 8"
expect_eq "$(req 'chats.map(c => c.body.model).join(" ")')" "$MC $MB" "only the named"

t "stream events name each sample's member"
script "{$MODELS,\"chat\":[{\"reply\":\"The answer is 51\"}]}"
run_loco query --ensemble --json --stream "$Q"
expect_rc 0
shape --lines query-stream
expect_eq "$(node -e 'const ev=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse);process.stdout.write(ev.filter(e=>e.type==="sample").map(e=>e.adapter+"@"+e.version+":"+e.weight).join(" ")+" "+ev.at(-1).type+" "+ev.at(-1).ensemble.members.length)' "$W/out")" "math@1.0.0:1 math-b@1.0.0:1 done 3" "sample events"
expect_eq "$(node -e 'const ev=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse);process.stdout.write(ev[0].type+" "+ev[0].model)' "$W/out")" "route ensemble:math@1.0.0,math-b@1.0.0,math-c@1.0.0" "route event"

t "errors"
run_loco query --ensemble=math,nosuch "$Q"
expect_rc 2
expect_err "loco: --ensemble: no adapter named 'nosuch' in '$LOCO_HOME/adapters/registry.yaml'; see 'loco adapters list'"
run_loco query --ensemble=math,math@1.0.0 "$Q"
expect_rc 2
expect_err "loco: --ensemble: 'math@1.0.0' is named twice"
run_loco query --ensemble --vote-method medoid "$Q"
expect_rc 2
expect_err_has "loco: --ensemble votes by weighted majority: --vote-method must be majority, not 'medoid'"
script "{\"models\":[\"$BASE\",\"$MA\"],\"chat\":[{\"reply\":\"The answer is 51\"}]}"
run_loco query --ensemble "$Q"
expect_rc 4
expect_err_has "loco: model '$MB' not found at $BASE_URL: run 'loco setup' (or 'ollama pull $MB')"

t "the base model answers: no ensemble"
script "{$MODELS,\"chat\":[{\"reply\":\"Paris\"}]}"
run_loco query --ensemble "What is the capital of France?"
expect_rc 0
expect_out "Paris"
expect_err_has "loco: --ensemble: the base model answers this question, and it has no domain: no ensemble"
expect_eq "$(req 'chats.length')" 1 "one request"

# ---------------------------------------------------------------------
# loco eval --ensemble

# 60 cases "What is i+i?"; who answers right is scripted per member.
: >"$W/e60.jsonl"
i=1
while [ $i -le 60 ]; do
	printf '{"id":"e%02d","instruction":"What is %d+%d?","expected_output":"%d","evaluation_type":"exact_match","evaluation_config":{"answer_type":"number"}}\n' $i $i $i $((2 * i)) >>"$W/e60.jsonl"
	i=$((i + 1))
done
# escript A B C: each member right on the cases whose i mod 60 is in its
# list (JS ranges "lo-hi", comma-separated), wrong (0) on the others.
escript() {
	node -e '
		const [ma, mb, mc] = [process.argv[1], process.argv[2], process.argv[3]];
		const sets = process.argv.slice(4).map((s) => {
			const ok = new Set();
			for (const r of s.split(",").filter(Boolean)) {
				const [lo, hi] = r.split("-").map(Number);
				for (let i = lo; i <= (hi || lo); i++) ok.add(i);
			}
			return ok;
		});
		const chat = [];
		[ma, mb, mc].forEach((m, k) => {
			for (let i = 1; i <= 60; i++)
				chat.push({ match: { model: m, contains: `What is ${i}+${i}?\n` },
				    reply: `The answer is ${sets[k].has(i) ? 2 * i : 1000 + k}` });
		});
		console.log(JSON.stringify({ models: ["qwen3:4b-instruct-2507-q4_K_M", ma, mb, mc], chat }));
	' "$MA" "$MB" "$MC" "$@"
}

t "eval --ensemble: members after one another, the vote per case, against the best"
# math right on 1-40, math-b on 21-60, math-c on 1-10 and 41-60 (all
# unweighted): two right members outvote a wrong one, and where all three
# differ (11-20) the first, math, wins the tie: the ensemble is right on
# all 60, the best single member (math, first of the two with 40) on 40.
script "$(escript 1-40 21-60 1-10,41-60)"
run_loco eval --ensemble --benchmark "$W/e60.jsonl" --output "$W/ens1" --gate math
expect_rc 0
expect_out_has "ensemble of 3                                                     100.0%  [ 94.0%, 100.0%]  60/60"
expect_out_has "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M (best)         1     66.7%  [ 54.1%,  77.3%]  40/60"
expect_out_has "weights: math@1.0.0 1 (none recorded: 1), math-b@1.0.0 1 (none recorded: 1), math-c@1.0.0 1 (none recorded: 1)"
expect_out_has "ensemble against the best single adapter math@1.0.0: difference +33.3 points; McNemar exact p = 1.907e-06 (ensemble only right 20, math@1.0.0 only right 0)"
expect_out_has "gate: passed"
expect_eq "$(req 'chats.map(c => c.body.model).join(",").replace(/(loco-math:[^,]*,)+/, "A,").replace(/(loco-math-b:[^,]*,)+/, "B,").replace(/(loco-math-c:[^,]*,?)+/, "C")')" "A,B,C" "member after member"
expect_eq "$(req 'chats.length')" 180 "every member answers every case"
cp "$W/ens1/results.json" "$W/out"
shape eval-ensemble
expect_eq "$(json '[out.ensemble.score.passed, out.ensemble.best.adapter, out.ensemble.mcnemar.ensemble_only, out.ensemble.mcnemar.best_only, out.ensemble.mcnemar.p_underflow, out.gate.passed].join(" ")')" "60 math 20 0 false true" "results.json"
expect_eq "$(json 'out.ensemble.members.map(m => m.adapter + ":" + m.score.passed + ":" + m.weight + ":" + m.weight_source).join(" ")')" "math:40:1:none math-b:40:1:none math-c:30:1:none" "members"
# Early stopping: two agreeing members decide (2 > 0 + 1), which math and
# math-b do on 21-40; the other 40 cases need all three: 20 * 2 + 40 * 3.
expect_eq "$(json 'out.ensemble.answers_needed + "/" + out.ensemble.answers')" "160/180" "answers the votes needed"
expect_eq "$(node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse); console.log([...new Set(l.map(x => x.subject))].join(","))' "$W/ens1/log.jsonl")" "member math@1.0.0,member math-b@1.0.0,member math-c@1.0.0" "the log's subjects"

t "eval --ensemble: a re-run asks nothing (the members' answers are cached)"
: >"$B/requests.jsonl"
run_loco eval --ensemble --benchmark "$W/e60.jsonl" --output "$W/ens2" math
expect_rc 0
expect_eq "$(req 'chats.length')" 0 "requests"

t "eval --ensemble: the weights decide, and the gate fails when the best is as good"
# Recorded: math 0.9, math-b 0.3, math-c 0.4.  math alone outweighs the
# other two, so the ensemble answers as math: no better than its best.
archive math math 1.0.0 0.9 "$W/e60.jsonl"
archive math math-b 1.0.0 0.3 "$W/e60.jsonl"
archive math math-c 1.0.0 0.4 "$W/e60.jsonl"
run_loco eval --ensemble --benchmark "$W/e60.jsonl" --output "$W/ens3" --gate math
expect_rc 6
expect_out_has "weights: math@1.0.0 0.9 (recorded accuracy), math-c@1.0.0 0.4 (recorded accuracy), math-b@1.0.0 0.3 (recorded accuracy)"
expect_out_has "ensemble against the best single adapter math@1.0.0: difference +0.0 points; McNemar exact p = 1 (ensemble only right 0, math@1.0.0 only right 0)"
expect_out_has "early stopping: the votes needed 60 of 180 member answers"
expect_err "loco: gate failed: the ensemble is not more accurate than its best single adapter math@1.0.0 (66.7% against 66.7%)"
run_loco eval --ensemble --benchmark "$W/e60.jsonl" --output "$W/ens4" --format junit --gate math
expect_rc 6
expect_out_has '<testsuite name="loco eval ensemble of 3 (math domain)" tests="61" failures="21">'
expect_out_has '<testcase classname="loco" name="gate"><failure message="the ensemble is not more accurate than its best single adapter math@1.0.0 (66.7% against 66.7%)"/></testcase>'
rm -rf "$LOCO_HOME/results"

t "eval --ensemble=names, and what it cannot be combined with"
run_loco eval --ensemble=math-b,math-c --benchmark "$W/e60.jsonl" --output "$W/ens5" --json math
expect_rc 0
shape eval-ensemble
expect_eq "$(json 'out.ensemble.members.map(m => m.adapter).join(",") + " " + out.ensemble.best.adapter + " " + out.ensemble.score.passed')" "math-b,math-c math-b 40" "two members: a tie goes to the first"
run_loco eval --ensemble --grid math
expect_rc 2
expect_err_has "loco: --ensemble: not with --grid"
run_loco eval --ensemble --votes 3 math
expect_rc 2
expect_err_has "loco: --ensemble: each member gives one answer a case in loco eval; --votes 3 is for loco query --ensemble"

# ---------------------------------------------------------------------
# The tiny world's registry (math, math-b and math-tool in math) with one
# more LoRA member of math: the code adapter's file registered as a weak
# math-code, first in registry order.  It answers the toys question 6
# where math answers 30.  The tests that want two members name the set,
# weak one first, so that only the weights put math first.
TB=$TOP/adapters/tiny/benchmarks/math.jsonl
TQ="Anna buys 6 bags of 5 toys. How many toys?"
PAIR=math-code,math
tiny_registry() {
	sed -e "s|file: \([a-z-]*\)\.gguf|file: $TOP/adapters/tiny/\1.gguf|" \
	    -e "s|benchmark: benchmarks/|benchmark: $TOP/adapters/tiny/benchmarks/|" \
	    -e 's|^adapters:$|adapters:\
  - name: math-code\
    version: 1.0.0\
    domain: math\
    type: lora\
    description: a weak math member (the code LoRA)\
    file: '"$TOP"'/adapters/tiny/code.gguf\
    benchmark: '"$TB"'\
    answer_type: number\
    router_keywords: [zzzcode]\
|' "$TOP/adapters/tiny/registry.yaml" >"$LOCO_HOME/adapters/registry.yaml"
}

# llama-server (the scripted fake): each member's request carries the
# LoRA list with its own adapter at scale 1, and the members share the
# parallel slots instead of waiting for one another.  The fake lists the
# LoRAs as tests/llama/serve.sh loads them: math is id 0, code id 2.
rm -rf "$LOCO_HOME/results"
backend_stop "$B"
backend_start "$B" --flavor llama-server --parallel 2 --idle-timeout 300 || { echo "ensemble: cannot start llama-server"; exit 1; }
BASE_URL=$LOCO_BACKEND_HOST
export LOCO_BACKEND=llama-server
tiny_registry
T=$TOP/adapters/tiny

t "llama-server: one request per member, its LoRA at scale 1, in flight together"
script "{\"loras\": [$(for f in math math-b code code-b analysis writing math-tool; do printf '"%s/%s.gguf",' "$T" $f; done | sed 's/,$//')], \"chat\": [{\"lora\": [{\"id\": 0}], \"reply\": \"30\", \"delay_ms\": 1500}, {\"lora\": [{\"id\": 2}], \"reply\": \"31\", \"delay_ms\": 1500}]}"
run_loco query --ensemble=$PAIR --parallel 2 --temperature 0 --json "$TQ"
expect_rc 0
expect_eq "$(json 'out.backend + " " + out.ensemble.members.map(m => m.adapter + ":" + m.answers.join("/")).join(",") + " " + out.answer')" "llama-server math-code:31,math:30 31" "a tie goes to the first member"
expect_eq "$(node -e '
	const r = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse)
		.filter((x) => x.path === "/v1/chat/completions");
	const on = r.map((x) => x.body.lora.filter((l) => l.scale === 1).map((l) => l.id).join("+")).sort().join(",");
	console.log(r.length + " " + on + " " + (Math.abs(r[1].time - r[0].time) < 1000));' "$B/requests.jsonl")" "2 0,2 true" "two requests, one LoRA each, sent together"
unset LOCO_BACKEND LOCO_BACKEND_HOST

# ---------------------------------------------------------------------
# The tiny world on the real engine (node-llama-cpp): the set of two LoRA
# members of math, math-code (weak, named first) and math, where only the
# weights put math first; and the domain's ensemble, whose members are its
# four active adapters.  Skipped when the engine's packages are not
# installed.
if [ -d "$TOP/tests/engine/node_modules/node-llama-cpp" ]; then
	backend_stop "$B"
	B="$W/engine"
	BACKEND_JS="$TOP/tests/engine/server.js"
	backend_start "$B" --models "$TOP/adapters/tiny" --idle-timeout 300 ||
	    { echo "ensemble: cannot start the engine"; exit 1; }
	BASE_URL=$OLLAMA_HOST
	tiny_registry
	MV=$(sed -n '/^  - name: math$/,/version:/s/^ *version: //p' "$TOP/adapters/tiny/registry.yaml")

	t "tiny world: setup registers every adapter, the fixture member too"
	run_loco setup --quiet
	expect_rc 0
	expect_out_has "adapter math-code: loco-math-code:1.0.0-tiny-base created"
	expect_out_has "adapter math: loco-math:$MV-tiny-base created"

	t "tiny world: the domain's ensemble is its four active adapters"
	# Members only: math-tool's answers change with its training.
	run_loco query --ensemble --temperature 0 --json "$TQ"
	expect_rc 0
	expect_eq "$(json 'out.ensemble.domain + " " + out.ensemble.members.map(m => m.adapter + "@" + m.version + ":" + m.weight_source).join(",")')" \
	    "math math-code@1.0.0:none,math@$MV:none,math-b@1.0.0:none,math-tool@1.0.0:none" "registry order, unweighted"

	t "tiny world: weights put the strong member first, and it decides alone"
	run_loco query --ensemble=$PAIR --temperature 0 --json "$TQ"
	expect_rc 0
	# Unweighted, a tie: the first named, the weak one, wins.
	expect_eq "$(json 'out.ensemble.members.map(m => m.adapter + ":" + m.answers.join("/")).join(",") + " " + out.answer')" "math-code:6,math:30 6" "unweighted: named order, the weak member's answer"
	archive math math "$MV" 0.9 "$TB"
	archive math math-code 1.0.0 0.1 "$TB"
	run_loco query --ensemble=$PAIR --temperature 0 --json "$TQ"
	expect_rc 0
	expect_eq "$(json 'out.ensemble.members.map(m => m.adapter + ":" + m.weight + ":" + m.weight_source).join(",") + " " + out.vote.samples + " " + out.answer')" "math:0.9:recorded,math-code:0.1:recorded 1 30" "math first, decisive"

	t "tiny world: eval --ensemble on real answers"
	run_loco eval --ensemble=$PAIR --limit 30 --jobs 2 --json --output "$W/tiny-ens" math
	expect_rc 0
	shape eval-ensemble
	expect_eq "$(json 'out.ensemble.members.map(m => m.adapter).join(",")')" "math,math-code" "heaviest first"
	expect_eq "$(json 'out.ensemble.score.passed === out.ensemble.members[0].score.passed && out.ensemble.members[0].score.passed > out.ensemble.members[1].score.passed')" true "the ensemble answers as its heavy member, which beats the weak one"
	expect_eq "$(json 'out.ensemble.best.adapter + " " + out.ensemble.mcnemar.p + " " + out.ensemble.answers_needed + "/" + out.ensemble.answers')" "math 1 30/60" "no difference from the best; half the answers needed"
fi

area_end
