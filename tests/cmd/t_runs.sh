#!/bin/sh
# t_runs.sh: loco runs against runs made by loco eval on the scripted
# backend: the listing (status complete, interrupted with the command
# that resumes it, stale once the benchmark changes), runs show and
# --failures, runs diff with the paired test, and the errors: an unknown
# run, runs of different benchmarks, a damaged run.json.
. "$TOP/tests/cmd/lib.sh"
area_begin runs
export TZ=UTC

# mkbench FILE N: N arithmetic cases "What is i+i?" -> 2i, ids m1..mN.
mkbench() {
	: >"$1"
	i=1
	while [ $i -le "$2" ]; do
		printf '{"id":"m%d","instruction":"What is %d+%d?","expected_output":"%d","evaluation_type":"exact_match","evaluation_config":{"answer_type":"number"}}\n' $i $i $i $((2 * i)) >>"$1"
		i=$((i + 1))
	done
}
# script_for N WRONG [DELAY]: the adapter right but on the cases WRONG
# (comma-separated), the base right on the odd cases.
script_for() {
	node -e '
		const n = +process.argv[1], adapterWrong = process.argv[2].split(",").map(Number);
		const delay = +(process.argv[3] || 0);
		const chat = [];
		for (let i = 1; i <= n; i++) {
			const q = `What is ${i}+${i}?`;
			chat.push({ match: { model: "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M", contains: q },
			    reply: `The answer is ${adapterWrong.includes(i) ? 0 : 2 * i}`, delay_ms: delay });
			chat.push({ match: { model: "qwen3:4b-instruct-2507-q4_K_M", contains: q },
			    reply: `The answer is ${i % 2 ? 2 * i : 0}`, delay_ms: delay });
		}
		console.log(JSON.stringify({ models: ["qwen3:4b-instruct-2507-q4_K_M", "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"], chat }));
	' "$@"
}
# started DIR: the date column of a run, from its log's first line.
started() {
	date -u -d "@$(node -e '
		const l = require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0];
		console.log(JSON.parse(l).time);' "$1/log.jsonl")" '+%Y-%m-%d %H:%M'
}
# interrupt DIR LINES ARGS...: start loco eval ARGS, stop it with SIGINT
# once DIR's log has LINES lines.
interrupt() {
	_dir=$1 _lines=$2
	shift 2
	"$LOCO" eval "$@" >"$W/out" 2>"$W/err" </dev/null &
	_pid=$!
	_i=0
	while [ "$(cat "$_dir"/log.jsonl 2>/dev/null | wc -l)" -lt "$_lines" ] && [ $_i -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	kill -INT $_pid
	wait $_pid
	RC=$?
}
RUNS=$LOCO_HOME/runs
STD=$LOCO_HOME/benchmarks/math.jsonl
export STD
mkdir -p "$LOCO_HOME/benchmarks"
mkbench "$STD" 12

t "no runs yet"
run_loco runs
expect_rc 0
expect_out_empty
expect_err "loco: no eval runs; 'loco eval ADAPTER' makes one"
run_loco runs --json
expect_rc 0
expect_out "[]"

t "complete runs: in \$LOCO_HOME/runs, and an --output run found through the archive"
script "$(script_for 12 "")"
run_loco eval math
expect_rc 0
A=$(ls "$RUNS")
script "$(script_for 12 "3,8")"
run_loco eval --no-cache --output "$W/runB" math
expect_rc 0
# Both started in the same minute or not: the dates come from the logs.
dA=$(started "$RUNS/$A")
dB=$(started "$W/runB")
run_loco runs
expect_rc 0
expect_err_empty
w=$(printf '%s' "$A" | wc -c)
row() {
	printf "%-*s  %s  %s  %-10s  %-23s  %7s  %6s  %s\n" "$w" "$1" "$2" "math@1.0.0" "$3" "$4" "$5" "$6" "$7"
}
{
	row run date benchmark settings adapter base status | sed 's/  date  math@1.0.0/  date              name      /'
	row runB "$dB" math.jsonl "RE2 on, greedy, seed 42" 83.3% 50.0% complete
	row "$A" "$dA" math.jsonl "RE2 on, greedy, seed 42" 100.0% 50.0% complete
} >"$W/want"
if cmp -s "$W/want" "$W/out"; then pass; else fail "the listing"; diff "$W/want" "$W/out" | sed 's/^/  /'; fi
run_loco runs --json
expect_eq "$(json 'out.map(r => [r.id, r.status, r.complete, r.stale, r.accuracy.adapter, r.accuracy.base, r.benchmark.path, r.cases, r.settings.text, r.settings.seeds.join(), r.resume].join(" ")).join("; ")')" \
    "runB complete true false 0.8333333333333334 0.5 $STD 12 RE2 on, greedy, seed 42 42 ; $A complete true false 1 0.5 $STD 12 RE2 on, greedy, seed 42 42 " "--json"
expect_eq "$(json 'out[0].benchmark.sha256')" "sha256:$(sha256sum "$STD" | cut -c1-64)" "the recorded hash"
run_loco runs -n 1
expect_eq "$(wc -l <"$W/out" | tr -d ' ')" 2 "-n 1: the header and the newest"
expect_out_has "runB "
run_loco runs --adapter code
expect_rc 0
expect_out_empty
expect_err "loco: no eval runs of 'code'; 'loco eval ADAPTER' makes one"
run_loco runs -n many
expect_rc 2
expect_err_has "loco: -n: must be a number of runs, not 'many'"

t "runs show: every case of both models, --failures, --json"
run_loco runs show runB
expect_rc 0
expect_out "run runB: math@1.0.0 on math.jsonl (12 cases), RE2 on, greedy, seed 42: complete
id   question                                  expected  adapter  base
m1   What is 1+1?                              2         pass 2   pass 2
m2   What is 2+2?                              4         pass 4   FAIL 0
m3   What is 3+3?                              6         FAIL 0   pass 6
m4   What is 4+4?                              8         pass 8   FAIL 0
m5   What is 5+5?                              10        pass 10  pass 10
m6   What is 6+6?                              12        pass 12  FAIL 0
m7   What is 7+7?                              14        pass 14  pass 14
m8   What is 8+8?                              16        FAIL 0   FAIL 0
m9   What is 9+9?                              18        pass 18  pass 18
m10  What is 10+10?                            20        pass 20  FAIL 0
m11  What is 11+11?                            22        pass 22  pass 22
m12  What is 12+12?                            24        pass 24  FAIL 0
adapter 10 of 12 right (83.3%); base 6 of 12 right (50.0%)"
run_loco runs show --failures "$W/runB"
expect_rc 0
expect_out "run $W/runB: math@1.0.0 on math.jsonl (12 cases), RE2 on, greedy, seed 42: complete
id   question                                  expected  adapter  base
m3   What is 3+3?                              6         FAIL 0   pass 6
m8   What is 8+8?                              16        FAIL 0   FAIL 0
adapter 10 of 12 right (83.3%); base 6 of 12 right (50.0%); 2 failures shown"
run_loco runs show --failures --json runB
expect_rc 0
expect_eq "$(json 'out.cases.map(c => [c.id, c.question, c.expected, c.adapter.got, c.adapter.pass, c.base.got, c.base.pass].join(" ")).join("; ")')" \
    "m3 What is 3+3? 6 0 false 6 true; m8 What is 8+8? 16 0 false 0 false" "the failures as JSON"
expect_eq "$(json 'out.id + " " + out.status + " " + out.accuracy.adapter')" "runB complete 0.8333333333333334" "the run's fields"

t "runs diff: the cases only one run got right, and McNemar's exact test"
run_loco runs diff "$A" runB
expect_rc 0
expect_out "a: $A  math@1.0.0  RE2 on, greedy, seed 42: 12 of 12 right (100.0%)
b: runB  math@1.0.0  RE2 on, greedy, seed 42: 10 of 12 right (83.3%)
on the 12 cases both runs finished
only a right (2): m3, m8
only b right (0)
McNemar exact p = 0.5: no significant difference"
run_loco runs diff --json runB "$A"
expect_rc 0
expect_eq "$(json '[out.cases, out.a.id, out.a.passed, out.a.only_right.join(), out.b.passed, out.b.only_right.join(), out.mcnemar.p, out.mcnemar.significant].join(" ")')" \
    "12 runB 10  12 m3,m8 0.5 false" "--json"
# 40 cases the adapter gets right and the base wrong: significant, and the
# list is cut at ten.
mkbench "$W/m40.jsonl" 40
script "$(script_for 40 "")"
run_loco eval --benchmark "$W/m40.jsonl" --output "$W/runC" --base math
expect_rc 0
run_loco eval --benchmark "$W/m40.jsonl" --output "$W/runD" math
expect_rc 0
run_loco runs diff "$W/runC" "$W/runD"
expect_rc 0
expect_out "a: $W/runC  math@1.0.0  RE2 on, greedy, seed 42: 20 of 40 right (50.0%)
b: $W/runD  math@1.0.0  RE2 on, greedy, seed 42: 40 of 40 right (100.0%)
on the 40 cases both runs finished
only a right (0)
only b right (20): m2, m4, m6, m8, m10, m12, m14, m16, m18, m20 and 10 more
McNemar exact p = 1.907e-06: b is better (significant at 0.05)"

t "runs of different benchmarks are not paired"
run_loco runs diff runB "$W/runD"
expect_rc 1
expect_err "loco: runs 'runB' and '$W/runD' were measured on different benchmarks ($STD, sha256:$(sha256sum "$STD" | cut -c1-12); $W/m40.jsonl, sha256:$(sha256sum "$W/m40.jsonl" | cut -c1-12)): their cases cannot be paired"

t "an interrupted run says how to resume it, and the command does"
script "$(script_for 12 "" 40)"
interrupt "$W/runI" 6 --output "$W/runI" --no-reread --seed 7 --no-cache --jobs 1 math
expect_rc 130
run_loco runs show runI
expect_rc 0
expect_out_has "run runI: math@1.0.0 on math.jsonl (12 cases), RE2 off, greedy, seed 7: interrupted"
expect_eq "$(grep -c '^m[0-9]* .* pass [0-9]* *-$' "$W/out")" "$(sed -n 's/.*"subject":"adapter".*/x/p' "$W/runI/log.jsonl" | wc -l | tr -d ' ')" "the adapter's cases, the base's not run yet"
run_loco runs --json
expect_eq "$(json 'out.filter(r => r.id === "runI").map(r => [r.status, r.complete, r.stale, r.resume].join(" ")).join()')" \
    "" "an interrupted --output run is not in the archive"
run_loco runs show --json "$W/runI"
expect_eq "$(json '[out.status, out.complete, out.stale, out.resume].join(" ")')" \
    "interrupted false false loco eval --no-reread --seed 7 --no-cache --jobs 1 math --resume $W/runI" \
    "--json: the resume command, as typed (start.json)"
cmd=$(json 'out.resume')
script "$(script_for 12 "")"
sh -c "LOCO=$LOCO; $(printf '%s' "$cmd" | sed 's/^loco /"$LOCO" /')" >"$W/out" 2>"$W/err"
RC=$?
expect_rc 0
expect_eq "$(wc -l <"$W/runI/log.jsonl" | tr -d ' ')" 24 "the resumed run has every case once"
run_loco runs show runI
expect_out_has "run runI: math@1.0.0 on math.jsonl (12 cases), RE2 off, greedy, seed 7: complete"

t "an interrupted run of a file of its own: its path and command from start.json"
mkbench "$W/mine-math.jsonl" 12
script "$(script_for 12 "" 40)"
interrupt "$W/runM" 6 --output "$W/runM" --benchmark "$W/mine-math.jsonl" --jobs 1 --no-cache math
expect_rc 130
run_loco runs show --json "$W/runM"
expect_eq "$(json '[out.status, out.stale, out.benchmark.path, out.resume].join(" ")')" \
    "interrupted false $W/mine-math.jsonl loco eval --benchmark $W/mine-math.jsonl --jobs 1 --no-cache math --resume $W/runM" \
    "not stale, resumable"
cmd=$(json 'out.resume')
script "$(script_for 12 "")"
sh -c "LOCO=$LOCO; $(printf '%s' "$cmd" | sed 's/^loco /"$LOCO" /')" >"$W/out" 2>"$W/err"
RC=$?
expect_rc 0
run_loco runs show "$W/runM"
expect_out_has "run $W/runM: math@1.0.0 on mine-math.jsonl (12 cases), RE2 on, greedy, seed 42: complete"
rm -r "$W/runM"

t "the resume command names the --ood domains and the ensemble's members"
mkbench "$LOCO_HOME/benchmarks/code.jsonl" 4
script "$(script_for 12 "" 40)"
interrupt "$W/runO" 4 --output "$W/runO" --ood code --jobs 1 --no-cache math
expect_rc 130
run_loco runs show --json "$W/runO"
expect_eq "$(json 'out.resume')" "loco eval --ood code --jobs 1 --no-cache math --resume $W/runO" "--ood, as typed"
# A run from before start.json: the command is rebuilt from run.json.
rm "$W/runO/start.json"
run_loco runs show --json "$W/runO"
expect_eq "$(json 'out.resume')" "loco eval --ood code math --resume $W/runO" "--ood, rebuilt"
cmd=$(json 'out.resume')
script "$(script_for 12 "")"
sh -c "LOCO=$LOCO; $(printf '%s' "$cmd" | sed 's/^loco /"$LOCO" /')" >"$W/out" 2>"$W/err"
RC=$?
expect_rc 0
rm "$LOCO_HOME/benchmarks/code.jsonl"
script "$(script_for 12 "" 40)"
interrupt "$W/runE" 3 --output "$W/runE" --ensemble --limit 6 --jobs 1 --no-cache math
expect_rc 130
run_loco runs show --json "$W/runE"
expect_eq "$(json 'out.kind + " " + out.resume')" "ensemble loco eval --ensemble --limit 6 --jobs 1 --no-cache math --resume $W/runE" "--ensemble"
cmd=$(json 'out.resume')
script "$(script_for 12 "")"
sh -c "LOCO=$LOCO; $(printf '%s' "$cmd" | sed 's/^loco /"$LOCO" /')" >"$W/out" 2>"$W/err"
RC=$?
expect_rc 0
run_loco runs show "$W/runE"
expect_out_has ": complete"

t "an interrupted run in \$LOCO_HOME/runs: listed with its command"
script "$(script_for 12 "" 40)"
before=$(ls "$RUNS" | wc -l)
"$LOCO" eval --votes 3 --temperature 0.5 --seed 1 --seed 2 math >"$W/out" 2>"$W/err" </dev/null &
pid=$!
i=0
while [ "$(cat "$RUNS"/*/log.jsonl 2>/dev/null | wc -l)" -lt 36 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
# While it runs, it holds its lock: running, and nothing to resume.
"$LOCO" runs --json >"$W/running.json" 2>&1
kill -INT $pid
wait $pid
RC=$?
expect_rc 130
I=$(ls -t "$RUNS" | head -n 1)
expect_eq "$(ls "$RUNS" | wc -l)" $((before + 1)) "a new run directory"
expect_eq "$(node -e '
	const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0];
	console.log([r.id, r.status, r.complete, r.resume].join(" "));' "$W/running.json")" "$I running false " "a run at work"
run_loco runs
expect_rc 0
# The id column is as wide as the longest id: ids end with a pid of any length.
if grep -qF "$(started "$RUNS/$I")  math@1.0.0  math.jsonl  RE2 on, 3 votes at 0.5, seeds 1 2" "$W/out" &&
    grep -qE "^$I +$(started "$RUNS/$I")  " "$W/out"; then pass; else fail "the interrupted run's row"; fi
expect_out_has "interrupted"
expect_out_has "$I is interrupted; to finish it:"
expect_out_has "  loco eval --votes 3 --temperature 0.5 --seed 1 --seed 2 math --resume $RUNS/$I"

t "stale: the benchmark changed since the run"
echo '{"id":"extra","instruction":"What is 0+0?","expected_output":"0"}' >>"$STD"
run_loco runs --json
expect_eq "$(json 'out.filter(r => r.benchmark.path === process.env.STD || r.stale).map(r => r.id + " " + r.status + " " + r.stale + " " + r.resume).join("; ")')" \
    "$I stale true null; runO stale true null; runI stale true null; runB stale true null; $A stale true null" "every run of the old file is stale"
run_loco runs
if grep -qE "^runB +$dB  math@1.0.0  math.jsonl +RE2 on, greedy, seed 42 +83.3%   50.0%  stale$" "$W/out"; then pass; else fail "runB is stale"; fi
if grep -q "to finish it" "$W/out"; then fail "a stale run is not resumable"; else pass; fi
run_loco runs show runB
expect_out_has "run runB: math@1.0.0 on math.jsonl (12 cases), RE2 on, greedy, seed 42: stale"
run_loco runs show "$A"
expect_out_has "run $A: math@1.0.0 on math.jsonl (12 cases), RE2 on, greedy, seed 42: stale"
run_loco runs show --json "$I"
expect_eq "$(json '[out.status, out.benchmark.path, out.resume].join(" ")')" "stale $STD " "an interrupted run of a changed file"
sed -i '$d' "$STD"
run_loco runs show runB
expect_out_has "run runB: math@1.0.0 on math.jsonl (12 cases), RE2 on, greedy, seed 42: complete"

t "unknown runs: did you mean, and where to look"
run_loco runs show runB2
expect_rc 2
expect_err "loco: no run 'runB2'; did you mean 'runB'? ('loco runs' lists them)"
run_loco runs show zzzzzzzz
expect_rc 2
expect_err "loco: no run 'zzzzzzzz': 'loco runs' lists the runs, or give a run directory"
run_loco runs show "$W/nothing/here"
expect_rc 2
expect_err "loco: no run directory '$W/nothing/here'"
run_loco runs show "$W/"
expect_rc 1
expect_err "loco: '$W/' is not a run directory: no run.json"
run_loco runs shwo runB
expect_rc 2
expect_err_has "loco: unknown subcommand 'shwo'; did you mean 'show'?"
run_loco runs show
expect_rc 2
expect_err_has "loco: runs show takes one run"
run_loco runs diff runB
expect_rc 2
expect_err_has "loco: runs diff takes two runs"
run_loco runs --bogus
expect_rc 2
expect_err "loco: unknown option '--bogus'
usage: loco runs list [--adapter name] [--json] [-n count]"
run_loco runs list --jsno
expect_rc 2
expect_err "loco: unknown option '--jsno'; did you mean '--json'?
usage: loco runs list [--adapter name] [--json] [-n count]"
# Each subcommand takes only its own options.
run_loco runs show --adapter math runB
expect_rc 2
expect_err "loco: unknown option '--adapter'
usage: loco runs show [--failures] [--json] run"
expect_out_empty
run_loco runs diff --failures runB runB
expect_rc 2
expect_err "loco: unknown option '--failures'
usage: loco runs diff [--json] run run"
run_loco runs show --failrues runB
expect_rc 2
expect_err "loco: unknown option '--failrues'; did you mean '--failures'?
usage: loco runs show [--failures] [--json] run"

t "runs --adapter: did you mean for a name the registry does not know"
run_loco runs --adapter mth
expect_rc 2
expect_out_empty
expect_err "loco: no adapter named 'mth' in '$LOCO_HOME/adapters/registry.yaml'; did you mean 'math'?"
run_loco runs list --json --adapter mth
expect_rc 2
expect_out_empty
expect_err_match "did you mean 'math'\\?$"
run_loco runs --adapter math -n 1
expect_rc 0
expect_out_has " math@1.0.0 "

t "a damaged run.json is named and skipped"
mkdir -p "$RUNS/broken" "$RUNS/empty"
echo '{"adapter":' >"$RUNS/broken/run.json"
echo '{}' >"$RUNS/empty/run.json"
run_loco runs
expect_rc 0
expect_err "loco: '$RUNS/broken/run.json' is not a run record: not a JSON object; skipped
loco: '$RUNS/empty/run.json' is not a run record: missing or bad \"adapter\"; skipped"
expect_out_has "runB "
run_loco runs show "$RUNS/broken"
expect_rc 1
expect_err "loco: '$RUNS/broken/run.json' is not a run record: not a JSON object"
run_loco runs diff "$RUNS/broken" runB
expect_rc 1
expect_err_has "loco: '$RUNS/broken/run.json' is not a run record: not a JSON object"

t "--help matches the usage"
run_loco runs --help
expect_rc 0
expect_out_has "usage: loco runs list [--adapter name] [--json] [-n count]"
expect_out_has "       loco runs diff [--json] run run"
run_loco runs show -h
expect_rc 0
expect_out "usage: loco runs show [--failures] [--json] run

every case of a run, with each model's answer and verdict.

  --failures         only the cases the adapter got wrong
  --json             print JSON (see loco-json(7))
  run                an id 'loco runs' prints, or a run directory"

area_end
