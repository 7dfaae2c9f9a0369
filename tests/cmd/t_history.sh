#!/bin/sh
# t_history.sh: the history of queries: what loco query appends, loco
# history's listing, -n, --search, --adapter, --json, --feedback and
# --clear, inference.history, damaged files, a history that cannot be
# written, votes, Ctrl-C and concurrent queries.
. "$TOP/tests/cmd/lib.sh"
area_begin history

MODELS='"models":["qwen3:4b-instruct-2507-q4_K_M","loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-writing:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-analysis:1.0.0-qwen3-4b-instruct-2507-q4_K_M"]'
REPLIES='"chat":[{"match":{"model":"loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"},"reply":"The answer is: 4","metrics":{"prompt_eval_count":30,"eval_count":10}},{"match":{"model":"loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M"},"reply":"def rev(xs):\n    return xs[::-1]\n"},{"reply":"Bonjour !"}]'
H=$LOCO_HOME/history.jsonl
Q='What is the sum of 2 and 2?'

# list ARGS...: loco history ARGS, with the times on stdout as TIME.
list() {
	run_loco history "$@"
	sed 's/^\( *[0-9][0-9]*\)  [0-9]\{4\}-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]  /\1  TIME  /' \
	    "$W/out" >"$W/out.t" && mv "$W/out.t" "$W/out"
}

# hist EXPR: evaluate EXPR over the lines of the history file, as
# "lines" (every line parsed) and "recs" (the query and chat records).
hist() {
	node -e '
		const fs = require("fs");
		const lines = fs.readFileSync(process.argv[1], "utf8").split("\n")
		    .filter(Boolean).map((l) => JSON.parse(l));
		const recs = lines.filter((l) => l.kind === "query" || l.kind === "chat");
		const v = eval(process.argv[2]);
		process.stdout.write(typeof v === "string" ? v : (JSON.stringify(v) ?? ""));
	' "$H" "$1"
}

t "no history yet"
run_loco history
expect_rc 0
expect_out_empty
expect_err_empty
run_loco history --json
expect_rc 0
expect_out "[]"
if [ -e "$H" ]; then fail "reading created the file"; else pass; fi

t "queries append records"
script "{$MODELS,$REPLIES}"
run_loco query "$Q"
expect_rc 0
expect_out "The answer is: 4"
run_loco query --adapter none --quiet "Say hello in French."
expect_rc 0
expect_err_empty
run_loco query --adapter code --json "Reverse a list in Python"
expect_rc 0
expect_err_empty
expect_eq "$(wc -l <"$H" | tr -d ' ')" 3 "lines in the file"
expect_eq "$(ls -l "$H" | cut -c1-10)" "-rw-------" "the file is private"
expect_eq "$(hist 'recs.map(r => r.id).join(",")')" "1,2,3" "ids"
expect_eq "$(hist 'Object.keys(recs[0]).join(",")')" \
    "id,kind,time,session,question,adapter,model,route,confidence,answer,interrupted,stats,vote" "fields"
expect_eq "$(hist 'recs.map(r => r.kind).join(",")')" "query,query,query" "kind"
expect_eq "$(hist 'recs[0].question')" "$Q" "question as typed"
expect_eq "$(hist 'recs.map(r => String(r.adapter)).join(",")')" "math,null,code" "adapters"
expect_eq "$(hist 'recs.map(r => r.model).join(",")')" "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M,qwen3:4b-instruct-2507-q4_K_M,loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M" "models"
expect_eq "$(hist 'recs.map(r => r.route).join(",")')" "router,flag,flag" "routes"
expect_eq "$(hist 'recs.map(r => String(r.confidence)).join(",")')" "1,null,null" "confidence"
expect_eq "$(hist 'recs[2].answer')" "def rev(xs):
    return xs[::-1]" "the whole answer"
expect_eq "$(hist 'recs[0].stats.prompt_tokens + " " + recs[0].stats.answer_tokens')" "30 10" "tokens"
expect_eq "$(hist 'recs.every(r => r.stats.wall_seconds > 0 && r.vote === null && r.session === null && r.interrupted === false)')" true "stats, no vote"
expect_eq "$(hist 'recs.every(r => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(r.time))')" true "UTC times"

t "the listing, oldest first"
list
expect_rc 0
expect_err_empty
expect_out "1  TIME  math                  What is the sum of 2 and 2?
   The answer is: 4
2  TIME  qwen3:4b-instruct...  Say hello in French.
   Bonjour !
3  TIME  code                  Reverse a list in Python
   def rev(xs): return xs[::-1]"

t "times are local"
utc=$(hist 'recs[2].time')
TZ=UTC run_loco history -n 1
expect_out_has "3  $(echo "${utc%:*}" | tr T ' ')  code"
TZ=IST-5:30 run_loco history -n 1
expect_out_has "3  $(TZ=IST-5:30 date -d "$utc" '+%Y-%m-%d %H:%M')  code"

t "-n"
list -n 2
expect_rc 0
expect_out "2  TIME  qwen3:4b-instruct...  Say hello in French.
   Bonjour !
3  TIME  code                  Reverse a list in Python
   def rev(xs): return xs[::-1]"
list -n 0
expect_eq "$(grep -c TIME "$W/out")" 3 "-n 0 lists all"
list -n 100
expect_eq "$(grep -c TIME "$W/out")" 3 "more than there are"
run_loco history -n x
expect_rc 2
expect_err "loco: -n: must be a number of entries, not 'x'
$("$LOCO" history -h | sed -n '1,4p')"
run_loco history -n -1
expect_rc 2
expect_err_has "loco: -n: must be a number of entries, not '-1'"

t "--search: question, answer or adapter, in any case"
list --search "SUM OF"
expect_rc 0
expect_out "1  TIME  math  What is the sum of 2 and 2?
   The answer is: 4"
list --search bonjour
expect_out "2  TIME  qwen3:4b-instruct...  Say hello in French.
   Bonjour !"
list --search CODE
expect_out "3  TIME  code  Reverse a list in Python
   def rev(xs): return xs[::-1]"
list --search "not there at all"
expect_rc 0
expect_out_empty
list --search e -n 1
expect_eq "$(head -c 1 "$W/out")" 3 "the last match"

t "--adapter"
list --adapter math
expect_out "1  TIME  math  What is the sum of 2 and 2?
   The answer is: 4"
list --adapter none
expect_out "2  TIME  qwen3:4b-instruct...  Say hello in French.
   Bonjour !"
list --adapter writing
expect_rc 0
expect_out_empty
run_loco history --adapter mth
expect_rc 2
expect_out_empty
expect_err "loco: no adapter named 'mth' in '$LOCO_HOME/adapters/registry.yaml'; did you mean 'math'?"
run_loco history --json --adapter zzz
expect_rc 2
expect_out_empty
expect_err "loco: no adapter named 'zzz' in '$LOCO_HOME/adapters/registry.yaml'; see 'loco adapters list'"

t "--json: full records"
run_loco history --json
expect_rc 0
expect_err_empty
expect_eq "$(json 'out.length')" 3 "entries"
expect_eq "$(json 'Object.keys(out[0]).join(",")')" \
    "id,kind,time,session,question,adapter,model,route,confidence,answer,interrupted,feedback,stats,vote" "fields"
expect_eq "$(json 'out.map(e => e.id).join(",")')" "1,2,3" "ids, oldest first"
expect_eq "$(json 'out[2].answer')" "def rev(xs):
    return xs[::-1]" "whole answer"
expect_eq "$(json 'Object.keys(out[0].stats).join(",")')" \
    "prompt_tokens,answer_tokens,wall_seconds,load_seconds,eval_seconds" "stats"
expect_eq "$(json 'out.every(e => typeof e.id === "number" && typeof e.time === "string" && e.session === null && e.feedback === null && e.vote === null && typeof e.interrupted === "boolean" && typeof e.stats.wall_seconds === "number")')" true "types"
expect_eq "$(json 'out[0].adapter + " " + out[1].adapter + " " + out[0].confidence')" "math null 1" "values"
run_loco history --json --search bonjour -n 5
expect_eq "$(json 'out.map(e => e.id).join(",")')" 2 "filtered"

t "--feedback good and bad; the last verdict wins"
run_loco history --feedback 1 good
expect_rc 0
expect_out "entry 1 marked good"
expect_err_empty
run_loco history --feedback 2 good
run_loco history --feedback 2 bad
expect_rc 0
list
expect_out "1  TIME  math                  What is the sum of 2 and 2?
   The answer is: 4  [good]
2  TIME  qwen3:4b-instruct...  Say hello in French.
   Bonjour !  [bad]
3  TIME  code                  Reverse a list in Python
   def rev(xs): return xs[::-1]"
run_loco history --json
expect_eq "$(json 'out.map(e => String(e.feedback)).join(",")')" "good,bad,null" "feedback in JSON"
expect_eq "$(hist 'lines.at(-1).kind + " " + lines.at(-1).ref + " " + lines.at(-1).verdict')" "feedback 2 bad" "feedback line"
run_loco history good --feedback 3
expect_rc 0
run_loco history --json -n 1
expect_eq "$(json 'out[0].feedback')" good "options after the verdict"

t "--feedback errors"
run_loco history --feedback 42 good
expect_rc 1
expect_err "loco: no entry '42' in the history; see 'loco history'"
run_loco history --feedback abc bad
expect_rc 1
expect_err "loco: no entry 'abc' in the history; see 'loco history'"
run_loco history --feedback 1 meh
expect_rc 2
expect_err "loco: the verdict must be good or bad, not 'meh'
$("$LOCO" history -h | sed -n '1,4p')"
run_loco history --feedback 1
expect_rc 2
expect_err_has "loco: --feedback needs a verdict: good or bad"
run_loco history --feedback
expect_rc 2
expect_err_has "loco: option '--feedback' needs a value"
run_loco history --feedback 1 good bad
expect_rc 2
expect_err_has "loco: unexpected argument 'bad'"
run_loco history --feedback 1 good -n 3
expect_rc 2
expect_err_has "loco: --feedback goes alone"
run_loco history --clear --feedback 1 good
expect_rc 2
expect_err_has "loco: --clear goes alone"
run_loco history extra
expect_rc 2
expect_err_has "loco: unexpected argument 'extra'"
run_loco history --bogus
expect_rc 2
expect_err_has "loco: unknown option '--bogus'"
run_loco history --serach sum
expect_rc 2
expect_err "loco: unknown option '--serach'; did you mean '--search'?
$("$LOCO" history -h | sed -n '1,4p')"
run_loco history --adapter
expect_rc 2
expect_err_has "loco: option '--adapter' needs a value"
expect_eq "$(hist 'lines.length')" 7 "nothing written by the errors"

t "failed queries are not recorded"
script "{$MODELS,\"chat\":[{\"status\":500}]}"
run_loco query "hello"
expect_rc 1
script '{"models":[]}'
run_loco query "hello"
expect_rc 4
expect_eq "$(hist 'recs.length')" 3 "records"

t "inference.history false writes nothing"
script "{$MODELS,$REPLIES}"
printf 'inference:\n  history: false\n' >"$LOCO_HOME/config.yaml"
run_loco query "$Q"
expect_rc 0
rm "$LOCO_HOME/config.yaml"
LOCO_INFERENCE_HISTORY=false run_loco query "$Q"
expect_rc 0
LOCO_INFERENCE_HISTORY=no run_loco query --votes 3 "$Q"
expect_rc 0
expect_eq "$(hist 'lines.length')" 7 "lines"
LOCO_INFERENCE_HISTORY=false run_loco history --feedback 3 bad
expect_rc 0
LOCO_INFERENCE_HISTORY=false run_loco history -n 1 --json
expect_eq "$(json 'out[0].feedback')" bad "history still readable and gradable"
run_loco config inference.history
expect_out true
LOCO_INFERENCE_HISTORY=maybe run_loco config inference.history
expect_rc 7
expect_err "loco: environment variable LOCO_INFERENCE_HISTORY: 'inference.history' must be true or false, not 'maybe'"

t "a vote records its tally"
BYSEED='"replies":["The answer is 51","The answer is 50","I think it is 51.","I have no idea","The answer is: 51"],"by_seed":true'
script "{$MODELS,\"chat\":[{$BYSEED}]}"
run_loco query --votes 5 --parallel 1 --seed 10 "What is the sum of 25 and 26?"
expect_rc 0
expect_out "The answer is 51"
expect_eq "$(hist 'JSON.stringify(recs.at(-1).vote)')" \
    '{"method":"majority","answer":"51","votes":{"50":1,"51":3},"invalid":1,"samples":5,"confidence":0.6}' "vote"
if tail -n 1 "$H" | grep -qF '"votes":{"51":3,"50":1}'; then pass; else fail "the tally is not ranked in the file"; fi
expect_eq "$(hist 'recs.at(-1).id + " " + recs.at(-1).answer')" "4 The answer is 51" "winning answer"
list -n 1
expect_out "4  TIME  math  What is the sum of 25 and 26?
   The answer is 51  [vote 3/5]"
run_loco history --json -n 1
expect_eq "$(json 'JSON.stringify(out[0].vote.votes)')" '{"50":1,"51":3}' "tally in --json"

t "a damaged line is reported with FILE:LINE and the rest still listed"
cp "$H" "$W/history.good"
{ head -n 2 "$W/history.good"; echo 'this is not JSON'; tail -n +3 "$W/history.good"; } >"$H"
list
expect_rc 0
expect_err "loco: $H:3: not a JSON object; skipped"
expect_eq "$(grep -c TIME "$W/out")" 4 "entries listed"
run_loco history --json
expect_rc 0
expect_err "loco: $H:3: not a JSON object; skipped"
expect_eq "$(json 'out.map(e => e.id).join(",")')" "1,2,3,4" "JSON entries"
printf '{"id":5,"kind":"query","question":"cut sh' >>"$H"
list -n 1
expect_rc 0
expect_err "loco: $H:3: not a JSON object; skipped
loco: $H:11: the last record is cut short; skipped"
expect_out "4  TIME  math  What is the sum of 25 and 26?
   The answer is 51  [vote 3/5]"

t "a query after a torn line: the record is whole, the numbering goes on"
script "{$MODELS,$REPLIES}"
run_loco query --quiet "$Q"
expect_rc 0
expect_err_empty
list -n 1
expect_err "loco: $H:3: not a JSON object; skipped
loco: $H:11: not a JSON object; skipped"
expect_out "5  TIME  math  What is the sum of 2 and 2?
   The answer is: 4"
run_loco history --feedback 5 good
expect_rc 0
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "junk $i" >>"$H"; done
run_loco history -n 1
expect_rc 0
expect_eq "$(grep -c '; skipped$' "$W/err")" 10 "warnings shown"
expect_err_has "loco: $H: 4 more unusable lines skipped"
cp "$W/history.good" "$H"

t "a history that cannot be written warns once; the query succeeds"
mv "$H" "$W/history.saved"
mkdir "$H"
run_loco query "$Q"
expect_rc 0
expect_out "The answer is: 4"
expect_eq "$(grep -c '^loco: history:' "$W/err")" 1 "one warning"
expect_err_has "loco: history: cannot open '$H': Is a directory"
run_loco query --votes 3 --quiet --json "$Q"
expect_rc 0
expect_err "loco: history: cannot open '$H': Is a directory"
expect_eq "$(json 'out.answer')" "The answer is: 4" "JSON answer"
run_loco history
expect_rc 1
expect_err_match "^loco: cannot read '$H': "
rmdir "$H"
mv "$W/history.saved" "$H"
rm -f "$H.lock"
mkdir "$H.lock"
run_loco query "$Q"
expect_rc 0
expect_out "The answer is: 4"
expect_err_has "loco: history: cannot open lock '$H.lock': Is a directory"
rmdir "$H.lock"
expect_eq "$(hist 'recs.length')" 4 "records"
if [ "$(id -u)" -ne 0 ]; then
	chmod 500 "$LOCO_HOME"
	run_loco query --quiet "$Q"
	chmod 700 "$LOCO_HOME"
	expect_rc 0
	expect_err_match "^loco: history: cannot open lock '$H\\.lock': Permission denied$"
fi

t "Ctrl-C: the part of the answer is recorded as interrupted"
script "{$MODELS,\"chat\":[{\"reply\":\"one two three four five six seven eight\",\"chunk_size\":4,\"chunk_delay_ms\":300}]}"
rm -f "$W/out" "$W/err"
"$LOCO" query "hello" >"$W/out" 2>"$W/err" &
pid=$!
i=0
while [ ! -s "$W/out" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT $pid
wait $pid
RC=$?
expect_rc 130
expect_err "loco: interrupted"
expect_eq "$(hist 'recs.at(-1).interrupted')" true "interrupted"
expect_eq "$(hist 'recs.at(-1).question')" hello "question"
if hist 'recs.at(-1).answer' | grep -q '^one' && ! hist 'recs.at(-1).answer' | grep -q eight; then
	pass
else
	fail "the recorded answer is not the part printed"
fi
list -n 1
expect_eq "$(sed -n 2p "$W/out" | sed 's/.*  \[/[/')" "[interrupted]" "mark"

t "concurrent queries get distinct ids and whole lines"
script "{$MODELS,\"chat\":[{\"reply\":\"The answer is: 4\",\"delay_ms\":50}]}"
before=$(hist 'recs.length')
last=$(hist 'recs.at(-1).id')
pids=
for i in 1 2 3 4 5 6; do
	"$LOCO" query --quiet "question $i" >/dev/null 2>"$W/err.$i" &
	pids="$pids $!"
done
ok=0
for p in $pids; do wait "$p" && ok=$((ok + 1)); done
expect_eq "$ok" 6 "queries that succeeded"
expect_eq "$(cat "$W"/err.[1-6])" "" "no warnings"
expect_eq "$(hist 'recs.length - '"$before")" 6 "new records"
expect_eq "$(hist 'recs.slice(-6).map(r => r.id).join(",")')" \
    "$((last + 1)),$((last + 2)),$((last + 3)),$((last + 4)),$((last + 5)),$((last + 6))" "ids in order"
expect_eq "$(hist 'recs.slice(-6).map(r => r.question).sort().join(",")')" \
    "question 1,question 2,question 3,question 4,question 5,question 6" "questions"

t "--clear empties the history; ids go on"
last=$(hist 'recs.at(-1).id')
n=$(hist 'recs.length')
run_loco history --clear
expect_rc 0
expect_out "cleared the history: $n entries removed"
expect_err_empty
expect_eq "$(wc -l <"$H" | tr -d ' ')" 1 "one line left"
expect_eq "$(hist 'lines[0].kind + " " + lines[0].last_id')" "clear $last" "the marker"
expect_eq "$(ls -l "$H" | cut -c1-10)" "-rw-------" "still private"
run_loco history
expect_rc 0
expect_out_empty
expect_err_empty
run_loco history --feedback 1 good
expect_rc 1
expect_err "loco: no entry '1' in the history; see 'loco history'"
script "{$MODELS,$REPLIES}"
run_loco query --quiet "$Q"
expect_eq "$(hist 'recs.map(r => r.id).join(",")')" "$((last + 1))" "next id"
run_loco history --clear -n 1
expect_rc 2
expect_err_has "loco: --clear goes alone"
rm "$H"
run_loco history --clear
expect_rc 0
if [ -e "$H" ]; then fail "--clear created a file"; else pass; fi

t "history show: one entry whole; --json; unknown and bad ids"
export TZ=UTC
script "{$MODELS,$REPLIES}"
run_loco query --quiet "$Q"
run_loco query --quiet --adapter none "Say hello
in French"
run_loco history --feedback 2 bad
run_loco history show 1
expect_rc 0
expect_err_empty
when=$(date -u -d "$(hist 'recs[0].time')" '+%Y-%m-%d %H:%M')
wall=$(hist 'const s = recs[0].stats; s.wall_seconds.toFixed(2) + " s in all, " + s.load_seconds.toFixed(2) + " s loading, " + s.eval_seconds.toFixed(2) + " s generating"')
expect_out "id          1
time        $when
kind        query
adapter     math
model       loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M
routing     $(hist 'recs[0].route'), confidence $(hist 'recs[0].confidence.toFixed(2)')
tokens      30 prompt, 10 answer
timings     $wall
question:
  $Q
answer:
  The answer is: 4"
run_loco history show 2
expect_rc 0
expect_out_has "adapter     none (the base model)"
expect_out_has "feedback    bad"
expect_eq "$(sed -n '/^question:/,$p' "$W/out")" "question:
  Say hello
  in French
answer:
  Bonjour !" "question and answer whole, line by line"
run_loco history show --json 1
expect_rc 0
expect_eq "$(json '[out.id, out.question, out.adapter, out.answer, out.stats.prompt_tokens, out.vote].join("|")')" "1|$Q|math|The answer is: 4|30|" "--json: the entry's object"
run_loco history show 3
expect_rc 1
expect_err "loco: no entry '3' in the history; see 'loco history'"
run_loco history show 0
expect_rc 2
expect_err_has "loco: history show: '0' is not an entry id (a number that 'loco history' prints)"
run_loco history show two
expect_rc 2
expect_err_has "loco: history show: 'two' is not an entry id (a number that 'loco history' prints)"
run_loco history show
expect_rc 2
expect_err_has "loco: history show takes one id"
run_loco history show --search x 1
expect_rc 2
expect_err_has "loco: history show takes only --json"

area_end
