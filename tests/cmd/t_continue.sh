#!/bin/sh
# t_continue.sh: loco query --continue against the scripted backend: the
# earlier turns sent in order, the conversation's adapter kept (or
# --adapter's), the new turn recorded in the same session, a chain of
# --continue, a chat session continued, --votes, --json, and each error
# with its message and exit status.
. "$TOP/tests/cmd/lib.sh"
area_begin continue

MODELS='"models":["qwen3:4b-instruct-2507-q4_K_M","loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-writing:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-analysis:1.0.0-qwen3-4b-instruct-2507-q4_K_M"]'
MATH_MODEL=loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M
CODE_MODEL=loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M
BASE_MODEL=qwen3:4b-instruct-2507-q4_K_M
# One reply per question, so that the order of the turns shows.
REPLIES='"chat":[{"match":{"contains":"Why?"},"reply":"Because 2 plus 2 makes 4."},{"match":{"contains":"times 3"},"reply":"That is 12."},{"match":{"contains":"in Python"},"reply":"print(4 * 3)"},{"match":{"contains":"hello"},"reply":"Bonjour !"},{"match":{"contains":"please"},"replies":["Salut !","Coucou !","Salut !"]},{"match":{"contains":"Another"},"reply":"Salut !"},{"reply":"The answer is: 4"}]'
H=$LOCO_HOME/history.jsonl
Q='What is the sum of 2 and 2?'
EMPTY='loco: nothing to continue: the history is empty; ask a question first'

# hist EXPR: evaluate EXPR over the records of the history file ("recs").
hist() {
	node -e '
		const fs = require("fs");
		const recs = fs.readFileSync(process.argv[1], "utf8").split("\n")
		    .filter(Boolean).map((l) => JSON.parse(l))
		    .filter((l) => l.kind === "query" || l.kind === "chat");
		const v = eval(process.argv[2]);
		process.stdout.write(typeof v === "string" ? v : (JSON.stringify(v) ?? ""));
	' "$H" "$1"
}

# records: how many records the history holds.
records() {
	if [ -e "$H" ]; then hist 'recs.length'; else echo 0; fi
}

# ---------------------------------------------------------------------
# Errors before anything is asked.

t "an empty history: nothing to continue"
script "{$MODELS,$REPLIES}"
run_loco query --continue "Why?"
expect_rc 2
expect_err "$EMPTY"
expect_out_empty
expect_eq "$(req 'chats.length')" 0 "nothing sent"
if [ -e "$H" ]; then fail "the history file was created"; else pass; fi

t "the history turned off"
LOCO_INFERENCE_HISTORY=false run_loco query --continue "Why?"
expect_rc 2
expect_err "loco: nothing to continue: the history is off; set inference.history to true (see 'loco config inference.history')"
expect_eq "$(req 'chats.length')" 0 "nothing sent"

t "--continue with --ensemble is a usage error"
run_loco query --continue --ensemble "Why?"
expect_rc 2
expect_err_has "loco: --continue cannot be used with --ensemble: a conversation goes on with one adapter"
expect_err_match '^usage: loco query .*\[--continue\]'
expect_eq "$(req 'chats.length')" 0 "nothing sent"

# ---------------------------------------------------------------------
# A query continued, and a chain.

t "a query, then --continue: the earlier turn is sent, the adapter kept"
run_loco query "$Q"
expect_rc 0
expect_out "The answer is: 4"
script "{$MODELS,$REPLIES}"
# "Why?" alone would go to the base model; the conversation keeps math.
run_loco query --continue "Why?"
expect_rc 0
expect_out "Because 2 plus 2 makes 4."
expect_err_match "^\[continue: math \(kept\), conversation query-1 turn 2\] model $MATH_MODEL \| "
expect_eq "$(req 'chats.length')" 1 "one request"
expect_eq "$(req 'chats[0].body.model')" "$MATH_MODEL" "the conversation's model"
expect_eq "$(req 'chats[0].body.messages.map(m => m.role).join(",")')" \
    system,user,assistant,user "roles"
expect_eq "$(req 'chats[0].body.messages[1].content')" "$Q" "the earlier question, as typed"
expect_eq "$(req 'chats[0].body.messages[2].content')" "The answer is: 4" "the earlier answer"
expect_eq "$(req 'chats[0].body.messages[3].content')" "Why?
Read the question again: Why?" "the new question, re-read"
expect_eq "$(req 'chats[0].body.truncate')" false "the server may not trim the conversation"

t "the continued turn is recorded in the conversation's session"
expect_eq "$(records)" 2 "records"
expect_eq "$(hist 'recs.map(r => r.kind + "/" + r.adapter + "/" + r.route + "/" + r.session).join(",")')" \
    "query/math/router/null,query/math/continue/query-1" "kind, adapter, route, session"
expect_eq "$(hist 'recs[1].question + " | " + recs[1].answer')" "Why? | Because 2 plus 2 makes 4." "question and answer"

t "a chain of two --continue is one conversation"
script "{$MODELS,$REPLIES}"
run_loco query --continue --json "And the sum times 3?"
expect_rc 0
expect_err_empty
if node "$TOP/tests/json/validate.js" "$TOP/tests/json/query.json" "$W/out" 2>"$W/verr"; then pass; else
	fail "stdout does not fit query.json: $(cat "$W/verr")"
fi
expect_eq "$(json 'JSON.stringify(out.conversation)')" '{"session":"query-1","turn":3,"ids":[1,2]}' "conversation"
expect_eq "$(json 'out.routing.method + " " + out.adapter + " " + out.answer')" "continue math That is 12." "routing"
expect_eq "$(req 'chats[0].body.model')" "$MATH_MODEL" "still math"
expect_eq "$(req 'chats[0].body.messages.slice(1).map(m => m.role + ":" + m.content.split("\n")[0]).join("|")')" \
    "user:$Q|assistant:The answer is: 4|user:Why?|assistant:Because 2 plus 2 makes 4.|user:And the sum times 3?" \
    "every earlier turn, in order"
expect_eq "$(hist 'recs.map(r => String(r.session)).join(",")')" "null,query-1,query-1" "sessions"

t "--adapter overrides the kept adapter; the turn stays in the conversation"
script "{$MODELS,$REPLIES}"
run_loco query --continue --adapter code "Write it in Python"
expect_rc 0
expect_out "print(4 * 3)"
expect_err_match "^\[adapter: code \(--adapter\), conversation query-1 turn 4\] model $CODE_MODEL \| "
expect_eq "$(req 'chats[0].body.model')" "$CODE_MODEL" "code's model"
expect_eq "$(req 'chats[0].body.messages.length')" 8 "system, three turns, the question"
expect_eq "$(hist 'recs[3].adapter + " " + recs[3].route + " " + recs[3].session')" "code flag query-1" "recorded"

t "the next --continue keeps the last turn's adapter"
script "{$MODELS,$REPLIES}"
run_loco query --continue --quiet "And times 3 again?"
expect_rc 0
expect_err_empty
expect_eq "$(req 'chats[0].body.model')" "$CODE_MODEL" "code kept"
expect_eq "$(req 'chats[0].body.messages.length')" 10 "four turns and the question"

t "a new query starts a new conversation; the base model is kept too"
script "{$MODELS,$REPLIES}"
run_loco query --adapter none --quiet "Say hello in French"
expect_rc 0
run_loco query --continue "Another one?"
expect_rc 0
expect_out "Salut !"
expect_err_match "^\[continue: none \(kept\), conversation query-6 turn 2\] model $BASE_MODEL \| "
expect_eq "$(req 'chats[1].body.model')" "$BASE_MODEL" "the base model"
expect_eq "$(req 'chats[1].body.messages.map(m => m.role + ":" + m.content.split("\n")[0]).join("|")')" \
    "user:Say hello in French|assistant:Bonjour !|user:Another one?" "no system prompt, the one turn"
expect_eq "$(hist 'recs[6].session + " " + String(recs[6].adapter) + " " + recs[6].route')" "query-6 null continue" "recorded"

t "--votes: every sample carries the conversation"
script "{$MODELS,$REPLIES}"
run_loco query --continue --votes 3 --quiet "Another one, please?"
expect_rc 0
expect_out "Salut !"
expect_eq "$(req 'chats.length')" 3 "three samples"
expect_eq "$(req 'chats.every(c => c.body.messages.length === 5 && c.body.messages[0].content === "Say hello in French")')" true "each with both earlier turns"
expect_eq "$(hist 'recs[7].session + " " + recs[7].vote.samples')" "query-6 3" "recorded with its vote"

# ---------------------------------------------------------------------
# A chat session continued.

t "a chat session, continued"
script "{$MODELS,$REPLIES}"
printf '%s\nWhy?\n' "$Q" | "$LOCO" chat --quiet >"$W/out" 2>"$W/err"
RC=$?
expect_rc 0
SESSION=$(hist 'recs.at(-1).session')
expect_eq "$(hist 'recs.at(-2).session === recs.at(-1).session && recs.at(-1).kind')" chat "two chat turns in one session"
script "{$MODELS,$REPLIES}"
run_loco query --continue --json "And the sum times 3?"
expect_rc 0
expect_eq "$(json 'out.conversation.session + " " + out.conversation.turn + " " + out.conversation.ids.join(",")')" \
    "$SESSION 3 9,10" "conversation"
expect_eq "$(req 'chats[0].body.model')" "$MATH_MODEL" "the chat's adapter"
expect_eq "$(req 'chats[0].body.messages.slice(1).map(m => m.role + ":" + m.content.split("\n")[0]).join("|")')" \
    "user:$Q|assistant:The answer is: 4|user:Why?|assistant:Because 2 plus 2 makes 4.|user:And the sum times 3?" \
    "the chat's turns, in order"
expect_eq "$(hist 'recs.at(-1).kind + " " + (recs.at(-1).session === recs.at(-2).session)')" "query true" "recorded in the chat's session"
script "{$MODELS,$REPLIES}"
run_loco query --continue --quiet "Why?"
expect_rc 0
expect_eq "$(req 'chats[0].body.messages.length')" 8 "the chain goes on in the chat's session"

# ---------------------------------------------------------------------
# The conversation's adapter is gone.

t "the conversation's adapter is no longer in the registry"
script "{$MODELS,$REPLIES}"
run_loco query --adapter code --quiet "Write it in Python"
expect_rc 0
REG=$LOCO_HOME/adapters/nocode.yaml
sed '/^  - name: code$/,/^  - name: analysis$/{/^  - name: analysis$/!d;}' \
    "$LOCO_HOME/adapters/registry.yaml" >"$REG"
if grep -q 'name: code$' "$REG"; then fail "code still in $REG"; else pass; fi
N=$(records)
script "{$MODELS,$REPLIES}"
run_loco --registry "$REG" query --continue "And times 3?"
expect_rc 1
expect_err "loco: cannot continue conversation query-$N: its adapter 'code' is not in '$REG' any more; install it again, or choose one with --adapter (auto routes, none is the base model)"
expect_out_empty
expect_eq "$(req 'chats.length')" 0 "nothing sent"
expect_eq "$(records)" "$N" "nothing recorded"
run_loco --registry "$REG" query --continue --adapter math --quiet "And times 3?"
expect_rc 0
expect_eq "$(req 'chats[0].body.model')" "$MATH_MODEL" "--adapter gets past it"
expect_eq "$(hist 'recs.at(-1).session')" "query-$N" "in the conversation"

t "a conversation longer than the context: an error that says what to do"
script "{$MODELS,\"chat\":[{\"match\":{\"contains\":\"long\"},\"status\":400,\"error\":\"the input length exceeds the context length\"}]}"
N=$(records)
run_loco query --continue --adapter math "A long one"
expect_rc 1
expect_err "loco: Ollama answered HTTP 400: the input length exceeds the context length: conversation query-13 (2 earlier turns) does not fit the context; raise --num-ctx"
expect_eq "$(records)" "$N" "nothing recorded"

t "a cleared history: nothing to continue"
run_loco history --clear
expect_rc 0
script "{$MODELS,$REPLIES}"
run_loco query --continue "Why?"
expect_rc 2
expect_err "$EMPTY"
expect_eq "$(req 'chats.length')" 0 "nothing sent"

area_end
