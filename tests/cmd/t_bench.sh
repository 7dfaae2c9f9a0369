#!/bin/sh
# t_bench.sh: loco bench import (GSM8K, HumanEval, loco's own JSONL) and
# loco bench check, with the errors a benchmark author will meet.
. "$TOP/tests/cmd/lib.sh"
area_begin bench

DATA="$TOP/../shared/data"
if [ -f "$DATA/gsm8k-test.jsonl" ] && [ -f "$DATA/HumanEval.jsonl.gz" ]; then
	t "import GSM8K"
	run_loco bench import --format gsm8k --output "$W/gsm8k.jsonl" "$DATA/gsm8k-test.jsonl"
	expect_rc 0
	expect_err "loco: 1319 cases from '$DATA/gsm8k-test.jsonl' written to $W/gsm8k.jsonl"
	expect_eq "$(head -n 1 "$W/gsm8k.jsonl" | node -e 'const o=JSON.parse(require("fs").readFileSync(0));console.log([o.id,o.expected_output,o.evaluation_type,o.evaluation_config.answer_type].join(" "))')" "gsm8k-0001 18 exact_match number" "first case"
	run_loco bench check "$W/gsm8k.jsonl"
	expect_rc 0
	expect_out_has "1319 cases"
	# Thousands separators in "#### 1,000" are dropped.
	expect_eq "$(grep -c '"expected_output":"[0-9.-]*"' "$W/gsm8k.jsonl")" 1319 "plain numbers"

	t "import HumanEval (gzip)"
	run_loco bench import --format humaneval "$DATA/HumanEval.jsonl.gz"
	expect_rc 0
	expect_eq "$(wc -l <"$W/out" | tr -d ' ')" 164 "cases"
	expect_eq "$(head -n 1 "$W/out" | node -e 'const o=JSON.parse(require("fs").readFileSync(0));console.log([o.id,o.evaluation_type,o.evaluation_config.entry_point,o.evaluation_config.tests.trim().split("\n").pop()].join(" "))')" "humaneval-0 code_execution has_close_elements check(has_close_elements)" "first case"
	# The reference solutions pass their own tests.
	head -n 3 "$W/out" | node -e '
		const lines = require("fs").readFileSync(0, "utf8").trim().split("\n");
		const { execFileSync } = require("child_process");
		for (const l of lines) {
			const o = JSON.parse(l);
			execFileSync("python3", ["-c", o.expected_output + "\n" + o.evaluation_config.tests]);
		}' && pass || fail "reference solutions do not pass"
else
	echo "bench: ../shared/data is absent: the importer tests on real data are skipped"
fi

t "short form and round trip"
printf '{"question": "What is 6 x 7?", "answer": "42"}\n\n{"question": "Capital of France?", "answer": "Paris"}\n' >"$W/short.jsonl"
run_loco bench import --format jsonl "$W/short.jsonl"
expect_rc 0
expect_out '{"id":"case-1","instruction":"What is 6 x 7?","input":"","expected_output":"42","evaluation_type":"exact_match","evaluation_config":{"answer_type":"number"}}
{"id":"case-2","instruction":"Capital of France?","input":"","expected_output":"Paris","evaluation_type":"exact_match","evaluation_config":{"answer_type":"text"}}'

t "errors name the file, the line and the field"
bad() {
	printf '%s\n' "$1" >"$W/bad.jsonl"
	run_loco bench check "$W/bad.jsonl"
	expect_rc 7
	expect_err "loco: cannot read benchmark '$W/bad.jsonl': $2"
}
bad '{"id": "a", "instruction": "x", "expected_output": "1"}
{"id": "a", "instruction": "y", "expected_output": 2}' 'line 2: "id": duplicate id '"'a'"' (first at line 1)'
bad '{"id": "a", "instruction": "x", "expected_output": "1"}
{"id": "b", "instruction": "y", "expected_output": "2"}

{"id": "c", "instruction": "z", "expected_output": "3"}
{"id": "b", "instruction": "w", "expected_output": "4"}' 'line 5: "id": duplicate id '"'b'"' (first at line 2)'
bad '{"id": "a", "instruction": 5, "expected_output": "1"}' 'line 1: "instruction": expected a string'
bad '{"id": "a", "instruction": "x"}' 'line 1: "expected_output": missing'
bad '{"id": "a", "instruction": "x", "expected_output": "1", "evaluation_type": "fuzzy"}' 'line 1: "evaluation_type": unknown type '"'fuzzy'"' (exact_match, contains, multiple_choice, rouge_l, code_execution, llm_judge or custom)'
bad '{"id": "a", "instruction": "x", "expected_output": "1", "evaluation_type": "code_execution"}' 'line 1: "evaluation_config": code_execution needs "tests"'
bad '{"id": "a", "instruction": "x", "expected_output": "1", "evaluation_config": {"threshold": 3}}' 'line 1: "threshold": expected a number from 0 to 1'
bad '{"id": "a", "instruction": "x", "expected_output": "1", "evaluation_config": {"tolerance": 2}}' 'line 1: "tolerance": expected a number from 0 to 1'
bad '{"id": "a", "instruction": "x", "expected_output": "1", "colour": "red"}' "line 1: unknown field 'colour'"
bad '{"id": "a", "instruction": "x", "expected_output": "1", "evaluation_config": {"tolerence": 1}}' "line 1: unknown field 'tolerence' in \"evaluation_config\""
bad '{"id": "a", "instruction": "x", "expected_output": "1", "evaluation_config": {"answer_type": "integer"}}' 'line 1: "answer_type": unknown type '"'integer'"' (number, choice, regex, code or text)'
bad '{"id": "a", "instruction": "x", "expected_output": "1", "evaluation_config": {"answer_type": "regex"}}' 'line 1: "answer_type": regex needs "extract_pattern"'
bad '{"id": "a", "instruction": "x", "expected_output": "1"}
{"id": "b", "instruction": "y", "expected_output": "2", "evaluation_config": {"extract_pattern": "Total: (\\d+"}}' 'line 2: "extract_pattern": invalid PCRE2 pattern '"'Total: (\\d+'"': offset 11: missing closing parenthesis'
bad '{"id": "a", "instruction": "x", "expected_output": "1", "evaluation_config": {"extract_pattern": "[a-"}}' 'line 1: "extract_pattern": invalid PCRE2 pattern '"'[a-'"': offset 3: missing terminating ] for character class'
bad '{"id": "a", "instruction": "x", "expected_output": "1", "evaluation_config": {"extract_pattern": "\u001b(x"}}' 'line 1: "extract_pattern": invalid PCRE2 pattern '"'?(x'"': offset 3: missing closing parenthesis'
bad '{"id": "a", "instruction": "x", "expected_output": "1", "evaluation_type": "contains", "evaluation_config": {"extract_pattern": ""}}' 'line 1: "extract_pattern": must not be empty'
bad '{"id": "a",' 'line 1: not valid JSON'
bad '{"id": "a", "instruction": "x\u0000y", "expected_output": "1"}' 'line 1: a string holds \u0000 (a NUL character): remove it'
bad '{"id": "a", "instruction": "x\\u0000y", "expected_output": "1", "colour": 1}' "line 1: unknown field 'colour'"
printf '\n\n' >"$W/empty.jsonl"
run_loco bench check "$W/empty.jsonl"
expect_rc 7
expect_err "loco: benchmark '$W/empty.jsonl' has no cases"

t "usage errors"
run_loco bench import --format csv "$W/short.jsonl"
expect_rc 2
expect_err "loco: --format: 'csv' is not one of gsm8k, humaneval or jsonl
usage: loco bench import --format format [--json] [--output file] file"
run_loco bench import --format gsm8 --output "$W/never.jsonl" "$W/short.jsonl"
expect_rc 2
expect_err "loco: --format: 'gsm8' is not one of gsm8k, humaneval or jsonl; did you mean 'gsm8k'?
usage: loco bench import --format format [--json] [--output file] file"
if [ ! -e "$W/never.jsonl" ]; then pass; else fail "output written on a usage error"; fi
run_loco bench import "$W/short.jsonl"
expect_rc 2
expect_err "loco: --format is required
usage: loco bench import --format format [--json] [--output file] file"
expect_out_empty
run_loco bench import --format jsonl --json "$W/short.jsonl"
expect_rc 2
expect_err "loco: --json needs --output: without it the benchmark itself goes to standard output
usage: loco bench import --format format [--json] [--output file] file"
run_loco bench import --format jsonl --ouput x.jsonl "$W/short.jsonl"
expect_rc 2
expect_err "loco: unknown option '--ouput'; did you mean '--output'?
usage: loco bench import --format format [--json] [--output file] file"
run_loco bench check --format jsonl "$W/short.jsonl"
expect_rc 2
expect_err "loco: unknown option '--format'
usage: loco bench check [--json] file"
run_loco bench chek "$W/short.jsonl"
expect_rc 2
expect_err_has "loco: unknown subcommand 'chek'; did you mean 'check'?"
run_loco bench
expect_rc 2
expect_err "loco: no subcommand given
usage: loco bench import --format format [--json] [--output file] file
       loco bench check [--json] file"

area_end
