#!/bin/sh
# t_vote.sh: loco query --votes against the scripted backend: the tally,
# seeds and temperature per sample, early stopping counted from the
# backend's log, methods, fallback, JSON, errors and cancellation.
. "$TOP/tests/cmd/lib.sh"
area_begin vote

MODELS='"models":["qwen3:4b-instruct-2507-q4_K_M","loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M"]'
Q='What is the sum of 25 and 26?'
# Replies chosen by seed: seed mod 5.
BYSEED='"replies":["The answer is 51","The answer is 50","I think it is 51.","I have no idea","The answer is: 51"],"by_seed":true'

t "majority vote: tally, winner, seeds and temperature"
script "{$MODELS,\"chat\":[{$BYSEED}]}"
run_loco query --votes 5 --parallel 1 --seed 10 "$Q"
expect_rc 0
expect_out "The answer is 51"
expect_err_match '^\[router: math, score 1, confidence 1\.00\] model loco-math:1\.0\.0-qwen3-4b-instruct-2507-q4_K_M \| vote majority: 51 x3, 50 x1, invalid 1; 5 of 5 samples, confidence 0\.60 \| [0-9]+ prompt tokens, [0-9]+ answer tokens, [0-9.]+ tokens/s, load [0-9.]+ s, total [0-9.]+ s$'
expect_eq "$(req 'chats.map(c => c.body.options.seed).sort((a, b) => a - b).join(",")')" "10,11,12,13,14" "seeds"
expect_eq "$(req '[...new Set(chats.map(c => c.body.options.temperature))].join(",")')" "0.7" "vote temperature"
expect_eq "$(req '[...new Set(chats.map(c => c.body.messages.at(-1).content))].length')" 1 "one prompt for all"
expect_eq "$(req 'chats[0].body.messages.at(-1).content')" "$Q
Read the question again: $Q" "RE2 in every sample"

t "JSON tally"
run_loco query --votes 5 --parallel 1 --seed 10 --json "$Q"
expect_rc 0
expect_eq "$(json 'out.answer')" "The answer is 51" "answer text"
expect_eq "$(json 'out.vote.answer')" 51 "voted answer"
expect_eq "$(json 'JSON.stringify(out.vote.votes)')" '{"50":1,"51":3}' "votes"
expect_eq "$(json '[out.vote.invalid, out.vote.samples, out.vote.requested, out.vote.saved].join(",")')" "1,5,5,0" "counts"
expect_eq "$(json 'out.vote.confidence')" 0.6 "confidence"
expect_eq "$(json 'out.vote.method + " " + out.vote.answer_type + " " + out.vote.seed + " " + out.vote.temperature')" "majority number 10 0.7" "settings"
expect_eq "$(json 'out.vote.winner')" 0 "winning sample"
expect_eq "$(json 'out.vote.responses.map(r => r.answer).join(",")')" "51,50,51,,51" "per-sample answers"

t "--temperature overrides the vote temperature; config sets the rest"
script "{$MODELS,\"chat\":[{$BYSEED}]}"
run_loco query --votes 3 --seed 0 --temperature 1.1 "$Q"
expect_eq "$(req '[...new Set(chats.map(c => c.body.options.temperature))].join(",")')" "1.1" "temperature"
printf 'inference:\n  votes: 3\n  vote_temperature: 0.4\n' >"$LOCO_HOME/config.yaml"
: >"$B/requests.jsonl"
run_loco query --seed 0 "$Q"
expect_rc 0
expect_eq "$(req 'chats.length + ":" + chats[0].body.options.temperature')" "3:0.4" "from config"
rm "$LOCO_HOME/config.yaml"

t "early stop: 2 of 5 saved when all agree (counted at the backend)"
script "{$MODELS,\"chat\":[{\"reply\":\"The answer is 7\",\"delay_ms\":50}]}"
run_loco query --votes 5 --parallel 1 --seed 1 "$Q"
expect_rc 0
expect_out "The answer is 7"
expect_err_match ' \| vote majority: 7 x3, invalid 0; 3 of 5 samples \(2 saved\), confidence 1\.00 \|'
expect_eq "$(req 'chats.length')" 3 "requests sent"
expect_eq "$(req 'chats.map(c => c.body.options.seed).join(",")')" "1,2,3" "seeds in order"

t "early stop cancels samples in flight"
script "{$MODELS,\"chat\":[{\"match\":{\"seed\":4},\"reply\":\"The answer is 7\",\"delay_ms\":3000},{\"match\":{\"seed\":5},\"reply\":\"The answer is 7\",\"delay_ms\":3000},{\"reply\":\"The answer is 7\",\"delay_ms\":100}]}"
start=$(date +%s)
run_loco query --votes 5 --parallel 5 --seed 1 --json "$Q"
end=$(date +%s)
expect_rc 0
expect_eq "$(json 'out.vote.samples + "/" + out.vote.saved')" "3/2" "samples used/saved"
if [ $((end - start)) -lt 3 ]; then pass; else fail "slow samples were waited for"; fi

t "no early stop while the vote is open"
script "{$MODELS,\"chat\":[{$BYSEED}]}"
run_loco query --votes 5 --parallel 1 --seed 10 --json "$Q"
expect_eq "$(json 'out.vote.samples')" 5 "all samples"

t "all samples invalid: no answer, said so"
script "{$MODELS,\"chat\":[{\"reply\":\"no idea\"}]}"
run_loco query --votes 3 --seed 0 "$Q"
expect_rc 0
expect_out "no idea"
expect_err_has "loco: vote: no sample had an answer"
run_loco query --votes 3 --seed 0 --json "$Q"
expect_eq "$(json 'String(out.vote.answer) + " " + out.vote.confidence')" "null 0" "no answer"

t "answer type from the flag"
script "{$MODELS,\"chat\":[{\"replies\":[\"(B)\",\"The answer is (C)\",\"B.\"],\"by_seed\":true}]}"
run_loco query --votes 3 --seed 0 --answer-type choice --json "$Q"
expect_eq "$(json 'out.vote.answer + " " + out.vote.answer_type')" "B choice" "choice vote"

t "medoid and best_of_n"
script "{$MODELS,\"chat\":[{\"match\":{\"contains\":\"Which answer is best\"},\"reply\":\"Answer 2 is best.\"},{\"replies\":[\"the cat sat on the mat\",\"the cat sat on a mat\",\"dogs bark loudly at night\"],\"by_seed\":true}]}"
run_loco query --votes 3 --seed 0 --vote-method medoid --json --adapter none "describe"
expect_eq "$(json 'out.answer + " | " + out.vote.method')" "the cat sat on the mat | medoid" "medoid"
run_loco query --votes 3 --seed 0 --vote-method best_of_n --json --adapter none "describe"
expect_eq "$(json 'out.answer + " | " + out.vote.method')" "the cat sat on a mat | best_of_n" "judge's pick"
expect_eq "$(req 'chats.length')" 7 "3 + 3 samples and one judge"
expect_eq "$(req 'chats.at(-1).body.options.temperature')" 0 "judge is greedy"
if req 'chats.at(-1).body.messages[0].content' | grep -q "^Answer 3:$"; then pass; else fail "judge saw the answers"; fi
script "{$MODELS,\"chat\":[{\"match\":{\"contains\":\"Which answer is best\"},\"reply\":\"I cannot decide.\"},{\"replies\":[\"the cat sat on the mat\",\"the cat sat on a mat\",\"dogs bark loudly at night\"],\"by_seed\":true}]}"
run_loco query --votes 3 --seed 0 --vote-method best_of_n --adapter none "describe"
expect_rc 0
expect_out "the cat sat on the mat"
expect_err_has "loco: vote: the judge named no answer; used the medoid"

t "the adapter's model is missing: the vote falls back to the base"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M"],"chat":[{"reply":"The answer is 51"}]}'
# All three in flight: one at a time, the first two agreeing would decide.
run_loco query --votes 3 --parallel 3 --seed 0 "$Q"
expect_rc 0
expect_err_has "loco: model 'loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M' is not in Ollama; answering with the base model 'qwen3:4b-instruct-2507-q4_K_M' and the adapter's prompt (run 'loco setup' to register it)"
expect_eq "$(req 'chats.filter(c => c.body.model === "qwen3:4b-instruct-2507-q4_K_M").length')" 3 "base samples"

t "a failing sample is asked again, then counted invalid; the vote goes on"
script "{$MODELS,\"chat\":[{\"match\":{\"seed\":1},\"status\":500},{\"reply\":\"The answer is 1\"}]}"
run_loco query --votes 3 --seed 0 --parallel 1 "$Q"
expect_rc 0
expect_out "The answer is 1"
expect_err_has "loco: vote: 1 of 3 samples failed twice (counted invalid): Ollama answered HTTP 500: llama runner process has terminated: exit status 2"

t "usage errors"
run_loco query --votes 0 "$Q"
expect_rc 2
expect_err_has "loco: --votes: 'inference.votes' must be an integer from 1 to 64, not '0'"
run_loco query --vote-method mode "$Q"
expect_rc 2
expect_err_has "loco: --vote-method: 'inference.vote_method' must be one of majority, best_of_n, medoid, tests, not 'mode'"
run_loco query --answer-type float "$Q"
expect_rc 2
expect_err_has "loco: --answer-type: 'float' is not one of number, choice, regex, code or text"
run_loco query --votes 3 --vote-method tests "$Q"
expect_rc 2
expect_err "loco: vote method 'tests' needs test cases: it is used by loco eval"

t "Ctrl-C cancels every sample"
script "{$MODELS,\"chat\":[{\"reply\":\"The answer is 7\",\"delay_ms\":5000}]}"
rm -f "$W/out" "$W/err"
"$LOCO" query --votes 4 --parallel 4 "$Q" >"$W/out" 2>"$W/err" &
pid=$!
i=0
while [ "$(req 'chats.length' 2>/dev/null)" != 4 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT $pid
wait $pid
RC=$?
expect_rc 130
expect_err "loco: interrupted"
expect_out_empty

t "a sample that fails twice is invalid, not the end of the vote"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M"],"chat":[{"match":{"seed":1},"status":500,"error":"runner crashed"},{"reply":"The answer is 4"}]}'
run_loco query --adapter none --votes 3 --seed 1 --parallel 1 --answer-type number --json "What is 2+2?"
expect_rc 0
expect_eq "$(json 'out.vote.answer + " " + out.vote.invalid')" "4 1" "answer, invalid"
expect_eq "$(json 'out.vote.note')" "1 of 3 samples failed twice (counted invalid): Ollama answered HTTP 500: runner crashed" "note"
expect_eq "$(req 'chats.filter(c => c.body.options.seed === 1).length')" 2 "the failed sample was asked twice"

t "a vote whose every sample fails"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M"],"chat":[{"status":500,"error":"runner crashed"}]}'
run_loco query --adapter none --votes 2 --seed 1 "What is 2+2?"
expect_rc 1
expect_err_has "loco: every sample failed: Ollama answered HTTP 500: runner crashed"

area_end
