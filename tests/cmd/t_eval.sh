#!/bin/sh
# t_eval.sh: loco eval against the scripted backend: paired statistics,
# the gate's exit status, the cache (no request on a re-run, the judge's
# included), resuming a killed run without losing or repeating a case,
# the out-of-domain check, and the output formats.
. "$TOP/tests/cmd/lib.sh"
area_begin eval

# mkbench FILE N: N arithmetic cases "What is i+i?" -> 2i.
mkbench() {
	: >"$1"
	i=1
	while [ $i -le "$2" ]; do
		printf '{"id":"m%03d","instruction":"What is %d+%d?","expected_output":"%d","evaluation_type":"exact_match","evaluation_config":{"answer_type":"number"}}\n' $i $i $i $((2 * i)) >>"$1"
		i=$((i + 1))
	done
}
mkbench "$W/m60.jsonl" 60
# The adapter answers every case right; the base only those with an odd i.
ADAPTER_RULE='{"match":{"model":"loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"},"replies":["The answer is 0"],"by_seed":true}'
script_for() {
	node -e '
		const n = +process.argv[1], adapterWrong = process.argv[2].split(",").map(Number);
		const chat = [];
		for (let i = 1; i <= n; i++) {
			const q = `What is ${i}+${i}?`;
			chat.push({ match: { model: "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M", contains: q + "\n" },
			    reply: `The answer is ${adapterWrong.includes(i) ? 0 : 2 * i}` });
			chat.push({ match: { model: "qwen3:4b-instruct-2507-q4_K_M", contains: q + "\n" },
			    reply: `The answer is ${i % 2 ? 2 * i : 0}` });
		}
		const extra = process.argv[3] ? JSON.parse(process.argv[3]) : {};
		console.log(JSON.stringify(Object.assign({ models: ["qwen3:4b-instruct-2507-q4_K_M", "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"], chat }, extra)));
	' "$@"
}

t "paired comparison, significant: the gate passes"
script "$(script_for 60 "")"
run_loco eval --benchmark "$W/m60.jsonl" --output "$W/run1" --gate math
expect_rc 0
expect_out_has "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M    100.0%  [ 94.0%, 100.0%]  60/60"
expect_out_has "qwen3:4b-instruct-2507-q4_K_M                     50.0%  [ 37.7%,  62.3%]  30/60"
expect_out_has "difference +50.0 points; McNemar exact p = 1.863e-09 (adapter only right 30, base only right 0)"
expect_out_has "gate: passed"
expect_eq "$(req 'chats.length')" 120 "requests"
expect_eq "$(req 'chats.map(c => c.body.model).join(",").replace(/(loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M,)+/, "A,").replace(/(qwen3:4b-instruct-2507-q4_K_M,?)+/, "B")')" "A,B" "one model after the other"
expect_eq "$(req '[...new Set(chats.map(c => JSON.stringify(c.body.options)))].length')" 1 "same options for all (the adapter's temperature overridden)"
expect_eq "$(req 'chats[0].body.options.temperature + " " + chats[0].body.options.seed + " " + chats[0].body.options.num_predict')" "0 42 512" "greedy, seeded, fixed length"
node -e '
	const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	const ok = r.n === 60 && r.scores.adapter.passed === 60 && r.scores.base.passed === 30 &&
	    r.mcnemar.adapter_only === 30 && r.mcnemar.base_only === 0 && r.gate.passed === true &&
	    /^sha256:[0-9a-f]{64}$/.test(r.benchmark.sha256) &&
	    r.inference.seed === 42 && r.loco_version;
	process.exit(ok ? 0 : 1);' "$W/run1/results.json" && pass || fail "results.json"
expect_eq "$(wc -l <"$W/run1/log.jsonl" | tr -d ' ')" 120 "log lines"

t "progress lines off a terminal: every eval.progress_every seconds, and the end"
script "$(script_for 12 "" '{}' | node -e '
	const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
	for (const r of s.chat) r.delay_ms = 100;
	console.log(JSON.stringify(s));')"
LOCO_EVAL_PROGRESS_EVERY=0.3 run_loco eval --benchmark "$W/m60.jsonl" --limit 12 --no-cache --jobs 1 --format json math
expect_rc 0
n=$(grep -c '^eval adapter: [0-9]* of 12 cases, [0-9.]* cases/s, ETA [0-9]* s$' "$W/err")
if [ "$n" -ge 2 ] && [ "$n" -le 11 ]; then pass; else fail "$n progress lines for the adapter (at least 1.2 s, a line at most every 0.3 s)"; fi
expect_err_match '^eval adapter: 12 of 12 cases in [0-9]+ s$'
expect_err_match '^eval base: [0-9]+ of 12 cases, [0-9.]+ cases/s, ETA [0-9]+ s$'
expect_err_match '^eval base: 12 of 12 cases in [0-9]+ s$'
run_loco eval --benchmark "$W/m60.jsonl" --limit 12 --no-cache --jobs 1 --format json math
expect_rc 0
expect_err_empty
LOCO_EVAL_PROGRESS_EVERY= run_loco eval --benchmark "$W/m60.jsonl" --limit 3 --no-cache --jobs 1 --format json math
expect_rc 0
expect_err_empty

t "a re-run is answered from the cache"
: >"$B/requests.jsonl"
run_loco eval --benchmark "$W/m60.jsonl" --output "$W/run2" math
expect_rc 0
expect_out_has "(0 requests sent)"
expect_eq "$(req 'chats.length')" 0 "requests"
run_loco eval --benchmark "$W/m60.jsonl" --output "$W/run3" --no-cache math
expect_eq "$(req 'chats.length')" 120 "--no-cache asks again"

t "not significant: the gate fails with exit 6"
mkbench "$W/m10.jsonl" 10
script "$(script_for 10 "")"
run_loco eval --benchmark "$W/m10.jsonl" --output "$W/run4" --gate --no-cache math
expect_rc 6
expect_out_has "warning: 10 cases: fewer than 50, so the test has little power"
expect_err "loco: gate failed: the difference is not significant (McNemar p = 0.0625, not below 0.05): only 5 cases told the models apart, and at least 6 are needed; use a larger benchmark"
run_loco eval --benchmark "$W/m10.jsonl" --output "$W/run5" --gate --alpha 0.1 --no-cache math
expect_rc 0

t "out-of-domain degradation is flagged and fails the gate"
mkdir -p "$LOCO_HOME/benchmarks"
node -e '
	for (let i = 1; i <= 20; i++)
		console.log(JSON.stringify({ id: "c" + i, instruction: `Say the word w${i}.`, expected_output: `w${i}`,
		    evaluation_type: "contains" }));' >"$LOCO_HOME/benchmarks/code.jsonl"
script "$(script_for 60 "" '{"chat_extra":1}' | node -e '
	const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
	for (let i = 1; i <= 20; i++) {
		s.chat.unshift({ match: { model: "qwen3:4b-instruct-2507-q4_K_M", contains: `Say the word w${i}.` }, reply: `w${i}` });
		s.chat.unshift({ match: { model: "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M", contains: `Say the word w${i}.` }, reply: i <= 15 ? `w${i}` : "no" });
	}
	console.log(JSON.stringify(s));')"
run_loco eval --benchmark "$W/m60.jsonl" --output "$W/run6" --ood code --gate --no-cache math
expect_rc 6
expect_out_has "out of domain code: adapter 75.0%, base 100.0% (-25.0 points): DEGRADED by more than 5 points"
expect_err "loco: gate failed: the adapter loses 25.0 points on code, more than 5"
expect_eq "$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r.gate.failed_because)' "$W/run6/results.json")" "the adapter loses 25.0 points on code, more than 5" "results.json says why"
expect_eq "$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(r.out_of_domain[0].flagged + " " + r.out_of_domain[0].degradation_points)' "$W/run6/results.json")" "true 25" "results.json"

t "--ood takes the benchmark the registry names for the domain"
# Another code benchmark, named by the code adapter's entry: 10 cases the
# adapter gets right, so nothing degrades.
node -e '
	for (let i = 1; i <= 10; i++)
		console.log(JSON.stringify({ id: "k" + i, instruction: `Say the word w${i}.`, expected_output: `w${i}`,
		    evaluation_type: "contains" }));' >"$W/code-own.jsonl"
cp "$LOCO_HOME/adapters/registry.yaml" "$W/registry.saved"
sed "s|^\(  - name: code\)\$|\1\n    benchmark: $W/code-own.jsonl|" "$W/registry.saved" >"$LOCO_HOME/adapters/registry.yaml"
run_loco eval --benchmark "$W/m60.jsonl" --output "$W/run6b" --ood code --no-cache --format json math
expect_rc 0
expect_eq "$(json 'out.out_of_domain[0].n + " " + out.out_of_domain[0].adapter')" "10 1" "the registry's benchmark"
cp "$W/registry.saved" "$LOCO_HOME/adapters/registry.yaml"

t "--ood takes another domain of the registry, once"
run_loco eval --benchmark "$W/m60.jsonl" --ood physics math
expect_rc 2
expect_err_has "loco: --ood physics: not a domain of the registry (math, code, analysis and writing)"
run_loco eval --benchmark "$W/m60.jsonl" --ood math math
expect_rc 2
expect_err_has "loco: --ood math: that is the adapter's own domain; --ood takes the others"
run_loco eval --benchmark "$W/m60.jsonl" --ood code --ood code math
expect_rc 2
expect_err_has "loco: --ood code is given twice"

t "a killed run resumes: no case lost or repeated"
script "$(script_for 60 "" '{}' | node -e '
	const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
	for (const r of s.chat) r.delay_ms = 40;
	console.log(JSON.stringify(s));')"
rm -rf "$W/run7"
"$LOCO" eval --benchmark "$W/m60.jsonl" --output "$W/run7" --no-cache --jobs 2 math >"$W/out" 2>"$W/err" &
pid=$!
i=0
while [ "$(cat "$W/run7/log.jsonl" 2>/dev/null | wc -l)" -lt 20 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT $pid
wait $pid
RC=$?
expect_rc 130
expect_err_has "loco: interrupted: the finished cases are in $W/run7; to go on:"
expect_err_has "  loco eval --benchmark $W/m60.jsonl --no-cache --jobs 2 math --resume $W/run7"
# A kill can tear the last line: it is cut off, and its case runs again.
printf '{"subject":"base","model":"qwen3:4b-instruct-2507-q4_K_M","id":"c60","pass":tr' >>"$W/run7/log.jsonl"
before=$(wc -l <"$W/run7/log.jsonl" | tr -d ' ')
: >"$B/requests.jsonl"
run_loco eval --benchmark "$W/m60.jsonl" --resume "$W/run7" --no-cache --jobs 2 --no-reread --seed 7 math
expect_rc 2
expect_err_has "loco: cannot resume '$W/run7': it was run with other settings: reread true (now false), seed 42 (now 7); give the same ones, or start a new run"
expect_eq "$(req 'chats.length')" 0 "nothing asked"
run_loco eval --benchmark "$W/m60.jsonl" --resume "$W/run7" --no-cache --jobs 2 math
expect_rc 0
expect_eq "$(wc -l <"$W/run7/log.jsonl" | tr -d ' ')" 120 "every case once in the log"
expect_eq "$(grep -c ':tr{' "$W/run7/log.jsonl")" 0 "the torn line is not glued to the next"
expect_eq "$(node -e '
	const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
	console.log(new Set(l.map(x => x.subject + "/" + x.id)).size);' "$W/run7/log.jsonl")" 120 "no duplicates"
expect_eq "$(req 'chats.length')" $((120 - before)) "only the missing cases asked"
expect_out_has "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M    100.0%"

t "a server error or a reset is retried with backoff, and counted"
good=$(script_for 10 "")
bad=$(printf "%s" "$good" | node -e '
	const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
	s.chat.unshift({ match: { model: "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M", contains: "What is 3+3?" }, fault: "reset" });
	console.log(JSON.stringify(s));')
script "$bad"
"$LOCO" eval --benchmark "$W/m10.jsonl" --output "$W/retry1" --no-cache --jobs 1 math >"$W/out" 2>"$W/err" &
pid=$!
i=0
until grep -q 'What is 3+3' "$B/requests.jsonl" 2>/dev/null || [ $i -gt 100 ]; do sleep 0.05; i=$((i + 1)); done
backend_script "$B" "$good"
wait $pid
RC=$?
expect_rc 0
expect_out_has "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M    100.0%"
expect_eq "$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r.cost.retries >= 1 && r.cost.requests === 20 + r.cost.retries)' "$W/retry1/results.json")" "true" "the retries, counted"
script "$(printf "%s" "$good" | node -e '
	const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
	s.chat.unshift({ match: { model: "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M", contains: "What is 3+3?" }, status: 500, error: "runner crashed" });
	console.log(JSON.stringify(s));')"
run_loco eval --benchmark "$W/m10.jsonl" --output "$W/retry2" --no-cache --jobs 1 math
expect_rc 1
expect_err_match "^loco: adapter 'loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M': .*runner crashed"
expect_eq "$(req 'chats.filter(c => c.body.messages.at(-1).content.includes("What is 3+3?")).length')" 4 "asked four times, then the run stops"

t "a run directory is one run: --output refuses an old one, --resume a missing one, a second loco waits its turn"
run_loco eval --benchmark "$W/m60.jsonl" --output "$W/run7" --no-cache math
expect_rc 2
expect_err_has "loco: '$W/run7' holds a run already: resume it with --resume, or give another --output"
run_loco eval --benchmark "$W/m60.jsonl" --resume "$W/nothing-here" math
expect_rc 2
expect_err_has "loco: cannot resume '$W/nothing-here': no such run directory"
node -e 'const fs = require("fs"), r = JSON.parse(fs.readFileSync(process.argv[1])); r.version = "0.9.0"; fs.writeFileSync(process.argv[1], JSON.stringify(r));' "$W/run7/run.json"
run_loco eval --benchmark "$W/m60.jsonl" --resume "$W/run7" --no-cache --jobs 2 math
expect_rc 2
expect_err_has "loco: cannot resume '$W/run7': it was run with other settings: version 0.9.0 (now 1.0.0); give the same ones, or start a new run"
flock "$W/run7/lock" sleep 3 &
lpid=$!
sleep 0.3
run_loco eval --benchmark "$W/m60.jsonl" --resume "$W/run7" --no-cache math
expect_rc 1
expect_err_has "loco: '$W/run7/lock' is locked by another loco; try again when it has finished"
wait $lpid

t "formats"
script "$(script_for 10 "3,4")"
run_loco eval --benchmark "$W/m10.jsonl" --output "$W/run8" --format junit --gate --no-cache math
expect_rc 6
expect_out_has '<testsuite name="loco eval loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M" tests="11" failures="3">'
expect_out_has '  <testcase classname="'"$W"'/m10.jsonl" name="m003"><failure message="wrong answer">question: What is 3+3?'
expect_out_has 'expected: 6'
expect_out_has 'extracted: 0</failure></testcase>'
expect_eq "$(grep -c '"question":"What is 3+3?","expected":"6"' "$W/run8/log.jsonl")" 2 "the log has the question and the expected answer"
run_loco eval --benchmark "$W/m10.jsonl" --output "$W/run9" --format markdown --no-cache math
expect_out_has "| model | accuracy | 95% interval | passed |"
run_loco eval --benchmark "$W/m10.jsonl" --output "$W/run10" --format json --base math
expect_rc 0
expect_eq "$(json 'out.scores.base.passed + " " + (out.scores.adapter === undefined)')" "5 true" "base only"

t "votes in eval"
script "$(script_for 10 "")"
run_loco eval --benchmark "$W/m10.jsonl" --output "$W/run11" --votes 3 --jobs 3 math
expect_rc 0
expect_eq "$(req '[...new Set(chats.map(c => c.body.options.temperature))].join(",")')" "0.7" "vote temperature"
run_loco eval --benchmark "$W/m10.jsonl" --output "$W/run11b" --votes 3 --temperature 0.9 --format json math
expect_rc 0
expect_eq "$(req '[...new Set(chats.filter(c => c.body.options.seed >= 42).map(c => c.body.options.temperature))].join(",")')" "0.7,0.9" "--temperature for the votes (after a run at 0.7)"
expect_eq "$(json 'out.inference.temperature')" 0.9 "temperature in the JSON"

t "one sample at a temperature, seeded and cached"
script "$(script_for 10 "")"
run_loco eval --benchmark "$W/m10.jsonl" --output "$W/run11c" --temperature 0.7 --seed 5 --format json math
expect_rc 0
expect_eq "$(req '[...new Set(chats.map(c => c.body.options.temperature))].join(",")')" "0.7" "sampled"
expect_eq "$(req '[...new Set(chats.map(c => c.body.options.seed))].sort((a, b) => a - b).join(",")')" \
	"5,1014,2023,3032,4041,5050,6059,7068,8077,9086" "case i is seeded 5 + 1009 i"
expect_eq "$(json 'out.inference.temperature + " " + out.inference.votes')" "0.7 1" "JSON"
run_loco eval --benchmark "$W/m10.jsonl" --output "$W/run11d" --temperature 0.7 --seed 5 math
expect_eq "$(req 'chats.length')" 20 "the same seed is answered from the cache"
run_loco eval --temperature 3 math
expect_rc 2
expect_err_has "loco: --temperature: 'options.temperature' must be a number from 0 to 2, not '3'"

t "several seeds: each a whole run, averaged, compared by a paired bootstrap"
# The adapter is always right; the base right when its sample's seed,
# S + 1009 i for case i, is even: under seed 1 the odd cases, under 2
# the even ones, so every case's pass rate is 1/2.
node -e '
	const chat = [];
	for (let i = 1; i <= 60; i++) {
		const q = `What is ${i}+${i}?`;
		chat.push({ match: { model: "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M", contains: q + "\n" }, reply: `The answer is ${2 * i}` });
		chat.push({ match: { model: "qwen3:4b-instruct-2507-q4_K_M", contains: q + "\n" }, replies: [`The answer is ${2 * i}`, "The answer is 0"], by_seed: true });
	}
	console.log(JSON.stringify({ models: ["qwen3:4b-instruct-2507-q4_K_M", "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"], chat }));' >"$W/seeds.json"
script "$(cat "$W/seeds.json")"
run_loco eval --benchmark "$W/m60.jsonl" --output "$W/runs2" --temperature 0.7 --seed 1 --seed 2 --gate math
expect_rc 0
expect_out_has "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M    100.0%  [100.0%, 100.0%]  120/120"
expect_out_has "qwen3:4b-instruct-2507-q4_K_M                     50.0%  [ 50.0%,  50.0%]  60/120"
expect_out_has "settings: RE2 on, one sample at temperature 0.7, seeds 1, 2 (each a whole run, averaged), at most 512 tokens"
expect_out_has "seed 1: adapter 100.0%, base 50.0%, McNemar exact p = 1.863e-09"
expect_out_has "seed 2: adapter 100.0%, base 50.0%, McNemar exact p = 1.863e-09"
expect_out_has "difference +50.0 points, mean of 2 seeds; paired bootstrap over the cases' pass rates: 95% interval [+50.0, +50.0], p = 0.0002"
expect_eq "$(req 'chats.length')" 240 "two whole runs"
expect_eq "$(req 'chats.map(c => c.body.model + "/" + (c.body.options.seed - 1) % 1009).join(",").replace(/(loco-math[^,]*\/0,)+/, "A0,").replace(/(loco-math[^,]*\/1,)+/, "A1,").replace(/(qwen3[^,]*\/0,)+/, "B0,").replace(/(qwen3[^,]*\/1,?)+/, "B1")')" \
	"A0,A1,B0,B1" "a model's seeds one after the other, then the other model's"
expect_eq "$(grep -c '"adapter/seed=2"' "$W/runs2/log.jsonl")" 60 "log labels carry the seed"
node -e '
	const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	const ok = r.mcnemar === undefined && r.seeds.count === 2 && r.seeds.p > 0 && r.seeds.p < 0.001 &&
	    r.seeds.runs.map(x => x.seed + ":" + x.base + ":" + x.base_only + ":" + x.adapter_only).join(",") === "1:0.5:0:30,2:0.5:0:30" &&
	    r.inference.seeds.join(",") === "1,2" && r.scores.adapter.accuracy === 1 && r.scores.base.accuracy === 0.5;
	process.exit(ok ? 0 : 1);' "$W/runs2/results.json" && pass || fail "results.json with seeds"
run_loco eval --benchmark "$W/m60.jsonl" --resume "$W/runs2" --temperature 0.7 --seed 1 --seed 3 math
expect_rc 2
expect_err_has "loco: cannot resume '$W/runs2': it was run with other settings: seeds [1,2] (now [1,3]); give the same ones, or start a new run"
run_loco eval --benchmark "$W/m60.jsonl" --seed 1 --seed 2 math
expect_rc 2
expect_err_has "loco: several --seed values change nothing for greedy answers: sample with --temperature T or vote with --votes N"
run_loco eval --benchmark "$W/m60.jsonl" --temperature 0.7 --seed 3 --seed 3 math
expect_rc 2
expect_err_has "loco: --seed 3 is given twice"
run_loco eval --benchmark "$W/m60.jsonl" --temperature 0.7 --seed 3 --seed 4 --grid math
expect_rc 2
expect_err_has "loco: --grid takes one --seed"

t "llm_judge cases are scored by the judge model"
node -e '
	for (let i = 1; i <= 4; i++)
		console.log(JSON.stringify({ id: "w" + i, instruction: `Write a line about topic ${i}.`, expected_output: "a line",
		    evaluation_type: "llm_judge", evaluation_config: { rubric: "on topic", threshold: 0.7 } }));' >"$W/judge.jsonl"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M","loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","judge:1"],"chat":[{"match":{"model":"judge:1","contains":"GOOD"},"reply":"Fine work.\nScore: 5"},{"match":{"model":"judge:1"},"reply":"Score: 2"},{"match":{"model":"loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"},"reply":"A GOOD line."},{"reply":"a poor line"}]}'
LOCO_EVAL_JUDGE_MODEL=judge:1 LOCO_EVAL_JUDGE_RUNS=2 run_loco eval --benchmark "$W/judge.jsonl" --output "$W/runj" --no-cache --jobs 1 math
expect_rc 0
expect_out_has "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M    100.0%"
expect_out_has "qwen3:4b-instruct-2507-q4_K_M                      0.0%"
expect_out_has "mean score difference +0.750, 95% bootstrap interval [0.750, 0.750], p = 0"
expect_eq "$(req 'chats.filter(c => c.body.model === "judge:1").length')" 16 "two judge runs per case and model"
expect_eq "$(req 'chats.filter(c => c.body.model === "judge:1").slice(0, 2).map(c => c.body.options.temperature + "/" + c.body.options.seed).join(" ")')" "0/42 0.5/43" "greedy, then a seeded sample"
expect_eq "$(req 'chats.map(c => c.body.model).filter((m, i, a) => i === 0 || a[i - 1] !== m).join(" ")')" "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M qwen3:4b-instruct-2507-q4_K_M judge:1" "each model asked in one run: adapter, base, then the judge"
expect_eq "$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r.cost.requests + " " + r.cost.model_loads + " " + r.cost.load_seconds)' "$W/runj/results.json")" "24 3 0.75" "results.json counts the requests and the three model loads"
expect_out_has "(24 requests sent, 3 model loads reported (0.75 s))"
expect_eq "$(grep -c '"pending":true' "$W/runj/log.jsonl")" 8 "answers waiting for the judge are logged"
mkdir "$W/runj4"
grep '"pending":true' "$W/runj/log.jsonl" >"$W/runj4/log.jsonl"
cp "$W/runj/run.json" "$W/runj4/"
: >"$B/requests.jsonl"
LOCO_EVAL_JUDGE_MODEL=judge:1 LOCO_EVAL_JUDGE_RUNS=2 run_loco eval --benchmark "$W/judge.jsonl" --resume "$W/runj4" --no-cache --jobs 1 math
expect_rc 0
expect_out_has "mean score difference +0.750, 95% bootstrap interval [0.750, 0.750], p = 0"
expect_eq "$(req 'chats.map(c => c.body.model).join(" ").replace(/(judge:1 ?)+/, "J")')" "J" "a resumed run gives the logged answers to the judge and asks the models nothing"
LOCO_EVAL_JUDGE_MODEL=judge:1 LOCO_EVAL_JUDGE_RUNS=2 run_loco eval --benchmark "$W/judge.jsonl" --output "$W/runj2" --jobs 1 math
expect_rc 0
: >"$B/requests.jsonl"
LOCO_EVAL_JUDGE_MODEL=judge:1 LOCO_EVAL_JUDGE_RUNS=2 run_loco eval --benchmark "$W/judge.jsonl" --output "$W/runj3" --jobs 1 math
expect_rc 0
expect_out_has "mean score difference +0.750, 95% bootstrap interval [0.750, 0.750], p = 0"
expect_eq "$(req 'chats.length')" 0 "a re-run asks neither the models nor the judge"

t "a standard run is archived and recorded with the adapter"
mkdir -p "$LOCO_HOME/benchmarks"
cp "$W/m10.jsonl" "$LOCO_HOME/benchmarks/math.jsonl"
script "$(script_for 10 "")"
run_loco eval --output "$W/runs1" math
expect_rc 0
if ls "$LOCO_HOME"/results/math/math@1.0.0/*.json >/dev/null 2>&1; then pass; else fail "no archived result"; fi
run_loco adapters info --json math
expect_eq "$(json 'out[0].scores.accuracy + " " + out[0].scores.base_accuracy + " " + out[0].scores.n + " " + out[0].stale')" "1 0.5 10 false" "recorded scores"
run_loco adapters info math
expect_out_has "  score        accuracy 1"
if grep -q "evaluated .* on sha256:[0-9a-f]\{64\}$" "$W/out"; then pass; else fail "evaluated line"; fi
echo '{"id":"extra","instruction":"What is 0+0?","expected_output":"0"}' >>"$LOCO_HOME/benchmarks/math.jsonl"
run_loco adapters info math
expect_out_has "(STALE: the benchmark has changed since)"
run_loco eval --output "$W/runs2" --limit 3 math
expect_eq "$(ls "$LOCO_HOME"/results/math/math@1.0.0/ | wc -l | tr -d ' ')" 1 "a partial run is not archived"
sed -i '$d' "$LOCO_HOME/benchmarks/math.jsonl"
"$LOCO" eval --output "$W/runs3" math >/dev/null 2>&1 &
p1=$!
"$LOCO" eval --output "$W/runs4" math >/dev/null 2>&1
wait $p1
expect_eq "$(ls "$LOCO_HOME"/results/math/math@1.0.0/ | wc -l | tr -d ' ')" 3 "two runs in the same second are both archived"
rm "$LOCO_HOME/benchmarks/math.jsonl"
if [ ! -e /usr/local/share/loco/benchmarks/math.jsonl ]; then
	# The current directory's benchmarks are never the standard ones.
	mkdir -p "$W/elsewhere/benchmarks"
	cp "$W/m10.jsonl" "$W/elsewhere/benchmarks/math.jsonl"
	(cd "$W/elsewhere" && "$LOCO" eval --output "$W/runs5" math >"$W/out" 2>"$W/err" </dev/null)
	RC=$?
	expect_rc 7
	expect_err "loco: no standard benchmark for domain 'math' (looked for math.jsonl in \$LOCO_HOME/benchmarks, the registry's ../benchmarks and /usr/local/share/loco/benchmarks); give one with --benchmark"
fi

t "the grid: base and adapter x RE2 x votes"
script "$(script_for 10 "3,4" | node -e '
	const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
	console.log(JSON.stringify(s));')"
run_loco eval --benchmark "$W/m10.jsonl" --output "$W/rung" --grid --no-cache --jobs 4 math
expect_rc 0
expect_out_has "model                                         1 sample   5 votes    1 sample   5 votes"
# Both models' scripted answers only match the RE2 prompt.
expect_out_has "qwen3:4b-instruct-2507-q4_K_M                    0.0%       0.0%      50.0%      50.0%   "
expect_out_has "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M    0.0%       0.0%      80.0%      80.0%   "
expect_eq "$(node -e 'const g=JSON.parse(require("fs").readFileSync(process.argv[1])).grid;console.log(g.length + " " + g.filter(x => x.votes === 5).length)' "$W/rung/grid.json")" "8 4" "grid.json"
expect_eq "$(req 'chats.filter(c => c.body.options.temperature === 0.7).length > 0')" true "votes sampled"
run_loco eval --benchmark "$W/m10.jsonl" --output "$W/rung3" --grid --votes 3 --no-cache --jobs 4 math
expect_rc 0
expect_out_has "model                                         1 sample   3 votes    1 sample   3 votes"
expect_eq "$(node -e 'const g=JSON.parse(require("fs").readFileSync(process.argv[1])).grid;console.log(g.filter(x => x.votes === 3).length)' "$W/rung3/grid.json")" "4" "--grid --votes 3 votes three times"

t "the grid's paired tests: each row of the chain against the one before"
# 30 cases; who is right where, so that the four pairs have known
# discordant counts (row only right b, the row before only right c):
#   base, 1 sample        1-10
#   base + RE2            1-8, 11-20      b=10 c=2 (p = 0.0386)
#   adapter, 1 sample     1-25            b=7  c=0
#   adapter + RE2         1-24, 26-30     b=5  c=1
#   adapter + RE2 + votes 4-30            b=1  c=3
# The votes' requests are told from greedy ones by their seed (not 42).
mkbench "$W/m30.jsonl" 30
node -e '
	const A = "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M", B = "qwen3:4b-instruct-2507-q4_K_M";
	const r = (lo, hi) => Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
	const sets = {
		base: r(1, 10), baseRe2: [...r(1, 8), ...r(11, 20)], ad: r(1, 25),
		adRe2: [...r(1, 24), ...r(26, 30)], adVotes: r(4, 30)
	};
	const say = (set, i) => `The answer is ${set.includes(i) ? 2 * i : 0}`;
	const chat = [];
	for (let i = 1; i <= 30; i++) {
		const q = `What is ${i}+${i}?`, again = `again: ${q}`;
		chat.push({ match: { model: A, contains: again, seed: 42 }, reply: say(sets.adRe2, i) });
		chat.push({ match: { model: A, contains: again }, reply: say(sets.adVotes, i) });
		chat.push({ match: { model: A, contains: q }, reply: say(sets.ad, i) });
		chat.push({ match: { model: B, contains: again }, reply: say(sets.baseRe2, i) });
		chat.push({ match: { model: B, contains: q }, reply: say(sets.base, i) });
	}
	console.log(JSON.stringify({ models: [A, B], chat }));' >"$W/grid-script.json"
script "$(cat "$W/grid-script.json")"
run_loco eval --benchmark "$W/m30.jsonl" --output "$W/rungp" --grid --no-cache --jobs 4 math
expect_rc 0
# The exact two-sided McNemar p, computed here independently of loco:
# 2 * P(X <= min(b, c)) for X ~ Binomial(b + c, 1/2), capped at 1.
mcnemar() {
	node -e '
		const [b, c] = process.argv.slice(1).map(Number), n = b + c;
		let tail = 0, binom = 1;
		for (let i = 0; i <= Math.min(b, c); i++) {
			tail += binom;
			binom = binom * (n - i) / (i + 1);
		}
		const p = n === 0 ? 1 : Math.min(1, 2 * tail / 2 ** n);
		process.stdout.write(Number(p.toPrecision(4)).toString());' "$@"
}
expect_eq "$(mcnemar 10 2)" 0.03857 "the independent computation (b=10, c=2)"
expect_out_has "paired tests, each row against the one before (exact McNemar):"
expect_out_has "  base + RE2, 1 sample against base, 1 sample: +26.7 points, p = $(mcnemar 10 2) (only the first right 10, only the second 2)"
expect_out_has "  adapter, 1 sample against base + RE2, 1 sample: +23.3 points, p = $(mcnemar 7 0) (only the first right 7, only the second 0)"
expect_out_has "  adapter + RE2, 1 sample against adapter, 1 sample: +13.3 points, p = $(mcnemar 5 1) (only the first right 5, only the second 1)"
expect_out_has "  adapter + RE2 + 5 votes against adapter + RE2, 1 sample: -6.7 points, p = $(mcnemar 1 3) (only the first right 1, only the second 3)"
cp "$W/rungp/grid.json" "$W/out"
expect_eq "$(node -e '
	const g = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	console.log(g.tests.map((t) => [t.row, t.against, t.row_only, t.against_only, Number(t.p.toPrecision(4)), t.p_underflow].join("|")).join("\n"))' "$W/out")" "base + RE2, 1 sample|base, 1 sample|10|2|$(mcnemar 10 2)|false
adapter, 1 sample|base + RE2, 1 sample|7|0|$(mcnemar 7 0)|false
adapter + RE2, 1 sample|adapter, 1 sample|5|1|$(mcnemar 5 1)|false
adapter + RE2 + 5 votes|adapter + RE2, 1 sample|1|3|$(mcnemar 1 3)|false" "grid.json tests"

t "code cases with votes: pass@1 and pass@k"
node -e '
	for (let i = 1; i <= 2; i++)
		console.log(JSON.stringify({ id: "c" + i, instruction: `Write double${i}(x).`, expected_output: "",
		    evaluation_type: "code_execution", evaluation_config: { language: "python",
		    entry_point: `double${i}`, tests: `assert double${i}(2) == 4` } }));' >"$W/code.jsonl"
# Seeds 42..45: for double1 two of four samples are right, for double2 none.
script '{"models":["qwen3:4b-instruct-2507-q4_K_M","loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"],"chat":[{"match":{"contains":"double1"},"replies":["```python\ndef double1(x):\n    return 2 * x\n```","```python\ndef double1(x):\n    return x\n```"],"by_seed":true},{"match":{"contains":"double2"},"reply":"```python\ndef double2(x):\n    return 0\n```"}]}'
run_loco eval --benchmark "$W/code.jsonl" --output "$W/runc" --votes 4 --jobs 4 --format json math
expect_rc 0
expect_eq "$(json 'out.code.cases + " " + out.code.pass_at_1 + " " + out.code.pass_at_4')" "2 0.25 0.5" "pass@k"

t "errors"
run_loco eval --benchmark "$W/nope.jsonl" math
expect_rc 1
expect_err_match "^loco: cannot read '$W/nope.jsonl'"
run_loco eval --benchmark "$W/m10.jsonl" nope
expect_rc 2
expect_err "loco: no adapter named 'nope' in '$LOCO_HOME/adapters/registry.yaml'; see 'loco adapters list'"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M"]}'
run_loco eval --benchmark "$W/m10.jsonl" math
expect_rc 4
expect_err "loco: model 'loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M' not found at $BASE_URL: run 'loco setup'"
EVAL_USAGE="usage: loco eval [--alpha p] [--backend server] [--base] [--benchmark file] [--ensemble[=names]] [--format format] [--gate] [--grid] [--host url] [--jobs n] [--json] [--limit n] [--no-cache] [--no-reread] [--no-tools] [--ood domain] [--output dir] [--resume dir] [--seed n] [--temperature t] [--unsafe-tools] [--votes n] [--vs backend:model] adapter"
: >"$B/requests.jsonl"
run_loco eval --format csv math
expect_rc 2
expect_err "loco: --format: 'csv' is not one of table, json, markdown or junit
$EVAL_USAGE"
run_loco eval --format jsn math
expect_rc 2
expect_err "loco: --format: 'jsn' is not one of table, json, markdown or junit; did you mean 'json'?
$EVAL_USAGE"
run_loco eval --formt json math
expect_rc 2
expect_err "loco: unknown option '--formt'; did you mean '--format'?
$EVAL_USAGE"
run_loco eval --json=yes math
expect_rc 2
expect_err "loco: option '--json' takes no value
$EVAL_USAGE"
run_loco eval --seed 1 --seed x math
expect_rc 2
expect_err "loco: --seed: 'options.seed' must be an integer from -2147483648 to 2147483647, not 'x'
$EVAL_USAGE"
run_loco eval --jobs 0 math
expect_rc 2
expect_err "loco: --jobs: must be an integer from 1 to 64, not '0'
$EVAL_USAGE"
run_loco eval --no-tools --unsafe-tools
expect_rc 2
expect_err "loco: give one adapter
$EVAL_USAGE"
expect_eq "$(req 'reqs.length')" 0 "requests"
run_loco --registry "$W/nowhere.yaml" eval -h
expect_rc 0
expect_err_empty
expect_eq "$(head -n 1 "$W/out")" "$EVAL_USAGE" "-h needs no registry"
expect_out_has "  --ood domain       also check another domain's benchmark (repeatable)"
run_loco eval math
expect_rc 7
expect_err_match "^loco: no standard benchmark for domain 'math'"

t "answers cut at the token limit are scored wrong and reported, fresh or cached"
: >"$W/m4.jsonl"
for i in 1 2 3 4; do
	printf '{"id":"c%d","instruction":"Add %d and %d.","expected_output":"%d","evaluation_type":"exact_match","evaluation_config":{"answer_type":"number"}}\n' $i $i $i $((2 * i)) >>"$W/m4.jsonl"
done
# The adapter's answers to cases 1 and 2 end with done_reason length,
# though the text holds the right number.
script "$(node -e '
	const chat = [];
	for (let i = 1; i <= 4; i++) {
		const q = `Add ${i} and ${i}.`;
		chat.push(Object.assign({ match: { model: "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M", contains: q + "\n" },
		    reply: `The answer is ${2 * i}` }, i <= 2 ? { done_reason: "length" } : {}));
		chat.push({ match: { model: "qwen3:4b-instruct-2507-q4_K_M", contains: q + "\n" }, reply: "The answer is 0" });
	}
	console.log(JSON.stringify({ models: ["qwen3:4b-instruct-2507-q4_K_M", "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"], chat }));')"
run_loco eval --benchmark "$W/m4.jsonl" --output "$W/cut1" math
expect_rc 0
expect_out_has "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M     50.0%  [ 15.0%,  85.0%]  2/4"
expect_out_has "warning: answers cut at the token limit, scored wrong: 2 of the adapter's, 0 of the base's; raise --num-predict"
expect_eq "$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r.scores.adapter.truncated + " " + r.scores.base.truncated)' "$W/cut1/results.json")" "2 0" "results.json"
expect_eq "$(grep -c '"truncated":true' "$W/cut1/log.jsonl")" 2 "log"
grep -q '"reason":"cut at the token limit (done_reason length): raise --num-predict"' "$W/cut1/log.jsonl" && pass || fail "reason in the log"
: >"$B/requests.jsonl"
run_loco eval --benchmark "$W/m4.jsonl" --output "$W/cut2" math
expect_out_has "(0 requests sent)"
expect_out_has "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M     50.0%  [ 15.0%,  85.0%]  2/4"
expect_out_has "warning: answers cut at the token limit, scored wrong: 2 of the adapter's, 0 of the base's; raise --num-predict"


t "an extract_pattern PCRE2 cannot compile stops eval before any request"
printf '%s\n' '{"id":"p1","instruction":"What is 1+1?","expected_output":"2","evaluation_config":{"answer_type":"number"}}' \
    '{"id":"p2","instruction":"What is 2+2?","expected_output":"4","evaluation_config":{"extract_pattern":"Total: (\\d+"}}' >"$W/pat.jsonl"
script "$(script_for 2 "")"
run_loco eval --benchmark "$W/pat.jsonl" --output "$W/pat" --no-cache math
expect_rc 7
expect_err "loco: cannot read benchmark '$W/pat.jsonl': line 2: \"extract_pattern\": invalid PCRE2 pattern 'Total: (\\d+': offset 11: missing closing parenthesis"
expect_eq "$(req 'reqs.length')" 0 "requests"
[ ! -e "$W/pat/log.jsonl" ] && pass || fail "a log was started"

t "whole numbers are exact: 1,450,001 is not 1,450,000"
printf '%s\n' '{"id":"w1","instruction":"Name a big number.","expected_output":"1,450,000","evaluation_config":{"answer_type":"number"}}' \
    '{"id":"w2","instruction":"Name another big number.","expected_output":"1450000","evaluation_config":{"answer_type":"number","tolerance":0.01}}' \
    '{"id":"w3","instruction":"Name a third big number.","expected_output":"3","evaluation_config":{"answer_type":"number"}}' >"$W/whole.jsonl"
script "$(node -e '
	const chat = [
		{ match: { model: "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M", contains: "Name a big number." }, reply: "The answer is $1,450,000.00" },
		{ match: { model: "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M", contains: "Name another big number." }, reply: "The answer is 1,450,001" },
		{ match: { model: "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M", contains: "Name a third big number." }, reply: "The answer is 3.0" },
		{ match: { model: "qwen3:4b-instruct-2507-q4_K_M" }, reply: "The answer is 1450001" },
	];
	console.log(JSON.stringify({ models: ["qwen3:4b-instruct-2507-q4_K_M", "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"], chat }));')"
run_loco eval --benchmark "$W/whole.jsonl" --output "$W/whole" --no-cache math
expect_rc 0
expect_out_has "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M     66.7%"
expect_out_has "qwen3:4b-instruct-2507-q4_K_M                      0.0%"
expect_eq "$(node -e '
	const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
	console.log(l.filter(x => x.subject === "adapter").sort((a, b) => a.id < b.id ? -1 : 1).map(x => x.id + ":" + x.extracted + ":" + x.pass).join(" "));' "$W/whole/log.jsonl")" \
    "w1:1450000:true w2:1450001:false w3:3:true" "the adapter's answers"

t "a p-value below any double prints as < 1e-300, never 0"
# 1100 cases the adapter gets right and the base wrong: p = 2^-1099.
node -e 'for (let i = 1; i <= 1100; i++) console.log(JSON.stringify({id: "u" + i, instruction: `Case ${i}: what is 1+1?`, expected_output: "2", evaluation_type: "exact_match", evaluation_config: {answer_type: "number"}}))' >"$W/u1100.jsonl"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M","loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"],"chat":[{"match":{"model":"loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"},"reply":"The answer is 2"},{"reply":"The answer is 3"}]}'
run_loco eval --benchmark "$W/u1100.jsonl" --output "$W/under" --no-cache --jobs 8 math
expect_rc 0
expect_out_has "difference +100.0 points; McNemar exact p < 1e-300 (adapter only right 1100, base only right 0)"
expect_eq "$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r.mcnemar.p_underflow + " " + (r.mcnemar.p < 1e-300))' "$W/under/results.json")" "true true" "results.json: the flag"
run_loco eval --benchmark "$W/u1100.jsonl" --output "$W/under-md" --jobs 8 --format markdown math
expect_out_has "difference +100.0 points; McNemar exact p < 1e-300 (adapter only right 1100, base only right 0)"
expect_eq "$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r.mcnemar.p_underflow)' "$W/run1/results.json")" "false" "an ordinary p: no flag"

area_end
