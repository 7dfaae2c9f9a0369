#!/bin/sh
# t_chat.sh: loco chat against the scripted backend, piped (stdin is not a
# terminal) and through a pseudo-terminal (tmux): routing decisions,
# follow-ups, slash commands, multi-line input, compaction, Ctrl-C.
. "$TOP/tests/cmd/lib.sh"
area_begin chat

MODELS='"models":["qwen3:4b-instruct-2507-q4_K_M","loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-writing:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-analysis:1.0.0-qwen3-4b-instruct-2507-q4_K_M"]'
MATH='{"match":{"model":"loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"},"reply":"The answer is: 4"}'
BASE='{"match":{"model":"qwen3:4b-instruct-2507-q4_K_M"},"reply":"Hello from the base."}'
Q='What is the sum of 2 and 2?'

# chat LINES ARGS...: run loco chat with LINES (printf %b) on stdin.
chat() {
	_in=$1
	shift
	printf '%b' "$_in" | "$LOCO" chat "$@" >"$W/out" 2>"$W/err"
	RC=$?
}

t "piped chat: routed, then a follow-up stays with the adapter"
script "{$MODELS,\"chat\":[$MATH,$BASE]}"
chat "$Q\nwhy?\n"
expect_rc 0
expect_out "The answer is: 4
The answer is: 4"
expect_err "[router -> math 1.00]
[router -> math, follow-up]"
expect_eq "$(req 'chats.length')" 2 "chat requests"
expect_eq "$(req 'chats[1].body.model')" loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M "follow-up model"
expect_eq "$(req 'chats[1].body.messages.map(m => m.role).join(",")')" \
	system,user,assistant,user "follow-up carries the conversation"
expect_eq "$(req 'chats[1].body.messages[1].content')" "$Q" \
	"earlier turns are sent as typed, without RE2"
expect_eq "$(req 'chats[1].body.messages[3].content')" "why?
Read the question again: why?" "the new turn is re-read"
expect_eq "$(req 'chats[1].body.options.num_ctx')" "" "no num_ctx while the conversation fits in Ollama's least context"
expect_eq "$(req 'chats[1].body.truncate')" false "the server may not trim the conversation"
expect_eq "$(req 'chats[1].body.stream')" true "streamed"

t "every answered turn goes to the history, with its session"
run_loco history --json -n 0
expect_rc 0
expect_eq "$(json 'out.length')" 2 "history entries"
expect_eq "$(json 'out.map(e => e.kind + "/" + e.adapter + "/" + e.route).join(",")')" \
	"chat/math/router,chat/math/follow-up" "kind, adapter, route"
expect_eq "$(json 'out[0].session === out[1].session && out[0].session.length > 0')" true "one session"
expect_eq "$(json 'out[1].question + " " + out[1].answer')" "why? The answer is: 4" "question and answer"
chat "$Q\n" --quiet
run_loco history --json -n 0
expect_eq "$(json 'out[2].session !== out[1].session')" true "a new session"
LOCO_INFERENCE_HISTORY=false chat "$Q\n"
run_loco history --json -n 0
expect_eq "$(json 'out.length')" 3 "inference.history false records nothing"

t "a new topic re-routes; a first question with no topic goes to the base"
script "{$MODELS,\"chat\":[$MATH,$BASE,{\"match\":{\"model\":\"loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M\"},\"reply\":\"fixed\"}]}"
chat "hello there\n$Q\nplease debug this python function\n"
expect_rc 0
expect_out "Hello from the base.
The answer is: 4
fixed"
expect_err_has "[router -> base: no keyword matched]"
expect_err_has "[router -> math 1.00]"
expect_err_match '^\[router -> code [0-9.]+\]$'
expect_eq "$(req 'chats.map(c => c.body.model).join(",")')" \
	qwen3:4b-instruct-2507-q4_K_M,loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M,loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M "models in turn"

t "--adapter fixes the adapter, --quiet hides the decisions"
script "{$MODELS,\"chat\":[$MATH,$BASE]}"
chat "hello\n" --adapter math --quiet
expect_rc 0
expect_out "The answer is: 4"
expect_err_empty
expect_eq "$(req 'chats[0].body.model')" loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M "model"
chat "$Q\n" --adapter none --no-reread --system "Be brief."
expect_out "Hello from the base."
expect_err "[adapter: base]"
expect_eq "$(req 'chats.at(-1).body.messages.map(m => m.role + ":" + m.content).join("|")')" \
	"system:Be brief.|user:$Q" "base, plain turn, own system prompt"

t "slash commands"
script "{$MODELS,\"chat\":[$MATH,$BASE]}"
chat "/help\n/adapter\n/adapter math\nhi\n/adapter none\nhi\n/adapter auto\n/reread off\n$Q\n/reread\n/system Answer in French.\n$Q\n/system\n/votes\n/adapters\n/quit\nnever sent\n"
expect_rc 0
expect_out_has "  /adapter [name|auto|none] show or choose the adapter (auto: route each new topic)"
expect_out_has "  /save file               save as Markdown, or JSON for *.json"
expect_out_has "adapter: auto, now base"
expect_out_has "reread: off"
expect_out_has "votes: 1"
expect_out_has "* math             math       loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"
expect_err_has "[adapter: math (loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M)]"
expect_err_has "[adapter: none: the base model answers]"
expect_err_has "[adapter: auto: the next question is routed]"
expect_err_has "[reread: off]"
expect_err_has "[system prompt set]"
expect_err_has "[system prompt: the adapter's own]"
expect_eq "$(req 'chats.map(c => c.body.model).join(",")')" \
	loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M,qwen3:4b-instruct-2507-q4_K_M,loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M,loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M "models"
expect_eq "$(req 'chats[2].body.messages.at(-1).content')" "$Q" "/reread off"
expect_eq "$(req 'chats[3].body.messages[0].content')" "Answer in French." "/system"
expect_eq "$(req 'chats.length')" 4 "nothing after /quit"

t "slash command mistakes get a hint and the session goes on"
script "{$MODELS,\"chat\":[$MATH,$BASE]}"
chat "/stat\n/frobnicate\n/adapter nosuch\n/votes 0\n/reread maybe\n/save\n//etc/hosts is a file\n"
expect_rc 0
expect_err_has "loco: unknown command '/stat': did you mean /stats?  (/help lists them)"
expect_err_has "loco: unknown command '/frobnicate' (/help lists them)"
expect_err_has "loco: no adapter named 'nosuch'; one of: math, code, analysis, writing, auto, none"
expect_err_has "loco: /votes: want a number from 1 to 64, not '0'"
expect_err_has "loco: /reread: want on or off, not 'maybe'"
expect_err_has "loco: /save: want a file name (.json for JSON, anything else for Markdown)"
expect_eq "$(req 'chats[0].body.messages.at(-1).content.split("\n")[0]')" \
	"/etc/hosts is a file" "// sends a leading slash"

t "/votes runs a vote per turn"
script "{$MODELS,\"chat\":[{\"match\":{\"model\":\"loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M\"},\"by_seed\":true,\"replies\":[\"The answer is: 4\",\"The answer is: 4\",\"The answer is: 5\"]}]}"
chat "/votes 3\n$Q\n" --seed 10
expect_rc 0
expect_out "The answer is: 4"
expect_err_has "[votes: 3]"
expect_err_match '^\[vote majority: 4 x2, 5 x1, invalid 0; 3 of 3 samples, confidence 0\.67\]$'
expect_eq "$(req 'chats.map(c => c.body.options.seed).join(",")')" 10,11,12 "seeds"
expect_eq "$(req 'chats[0].body.options.temperature')" 0.7 "vote temperature"

t "/clear forgets the conversation; /stats counts turns"
script "{$MODELS,\"chat\":[$MATH,$BASE]}"
chat "$Q\nand then?\n/stats\n/clear\nagain $Q\n"
expect_rc 0
expect_out_has "turn  adapter          prompt   answer  tokens/s  seconds"
expect_out_has " all "
expect_err_has "[conversation cleared]"
expect_eq "$(req 'chats[2].body.messages.length')" 2 "after /clear: system + question"
expect_eq "$(grep -c '^ *[0-9]  math' "$W/out")" 2 "two turns in /stats"

t "/save writes Markdown or JSON"
script "{$MODELS,\"chat\":[$MATH,$BASE]}"
chat "$Q\n/save $W/conv.md\n/save $W/conv.json\n/save $W/no/such/dir/x.md\n"
expect_rc 0
expect_err_has "[saved 1 turn to $W/conv.md]"
expect_err_match "^loco: .*no/such/dir"
expect_eq "$(sed -n 5p "$W/conv.md")" "## You" "markdown heading"
expect_eq "$(grep -c "^$Q\$" "$W/conv.md")" 1 "markdown question"
cp "$W/conv.json" "$W/out"
expect_eq "$(json 'out.turns[0].adapter + " " + out.turns[0].answer + " " + out.turns[0].in_context')" \
	"math The answer is: 4 true" "json turn"
expect_eq "$(json 'typeof out.started + " " + out.base_model')" "string qwen3:4b-instruct-2507-q4_K_M" "json header"

t "multi-line input between triple quotes"
script "{$MODELS,\"chat\":[$MATH,$BASE]}"
chat '"""first line\nsecond line\nthird"""\n"""one line"""\n' --no-reread --adapter none
expect_rc 0
expect_eq "$(req 'chats[0].body.messages.at(-1).content')" "first line
second line
third" "three lines"
expect_eq "$(req 'chats[1].body.messages.at(-1).content')" "one line" "one line"
chat '"""never\nfinished\n' --adapter none
expect_rc 0
expect_err_has '[end of input inside """: the unfinished question was not sent]'

t "a small num_ctx drops the oldest turns and says so"
script "{$MODELS,\"chat\":[$BASE]}"
long=$(printf 'word %.0s' $(seq 1 60))
# About 110 tokens a question (at 1/3 token a character): with 128 kept
# for the answer, two earlier turns fit in 512, three do not.
chat "one $long\ntwo $long\nthree $long\nfour $long\n" --adapter none --no-reread --num-ctx 512
expect_rc 0
expect_err_has "[context: num_ctx is 512 tokens; dropped the 1 oldest turn, kept the system prompt and the last 2]"
expect_eq "$(req 'chats.map(c => c.body.messages.length).join(",")')" 1,3,5,5 "messages sent"
expect_eq "$(req 'chats[3].body.messages[0].content.slice(0, 4)')" "two " "oldest kept"
expect_eq "$(req 'chats.map(c => c.body.options.num_ctx).join(",")')" 512,512,512,512 "num_ctx"

t "unset num_ctx: asked for when the conversation needs it, never smaller again"
script "{$MODELS,\"chat\":[$BASE]}"
big=$(printf 'word %.0s' $(seq 1 2000))
chat "short\n$big\nshort again\n" --adapter none --no-reread
expect_rc 0
expect_err_has "[context: the conversation needs about 4390 tokens: asking for num_ctx 8192 (the server reloads the model; options.num_ctx fixes it)]"
expect_eq "$(req 'chats.map(c => c.body.options.num_ctx).join(",")')" ",8192,8192" "num_ctx: none, then 8192 kept"
expect_eq "$(req 'chats.map(c => c.body.truncate).join(",")')" "false,false,false" "truncate: false on every turn"

t "the server finds the conversation too long: loco drops a turn and asks again"
script "{$MODELS,\"chat\":[{\"match\":{\"contains\":\"three\"},\"status\":400,\"error\":\"the input length exceeds the context length\"},$BASE]}"
chat "one\ntwo\nthree\n" --adapter none --no-reread
expect_rc 1
expect_err_has "[context: the server found the conversation longer than its context; dropped the oldest turn, kept the last 1]"
expect_err_has "[context: the server found the conversation longer than its context; dropped the oldest turn, kept the last 0]"
expect_err_match "^loco: .*the input length exceeds the context length"
expect_eq "$(req 'chats.map(c => c.body.messages.length).join(",")')" 1,3,5,3,1 "asked again with one turn fewer each time"

t "failures: each turn reports, the session goes on, the status tells"
script "{$MODELS,\"chat\":[$MATH,{\"match\":{\"contains\":\"boom\"},\"status\":500,\"error\":\"runner crashed\"},$BASE]}"
chat "boom\n$Q\n" --adapter none
expect_rc 1
expect_err_match "^loco: .*runner crashed"
expect_err_has "loco: 1 of 2 turns failed"
OLLAMA_HOST=http://127.0.0.1:9 chat "$Q\n"
expect_rc 3
expect_err_has "loco: 1 of 1 turn failed"
chat "hi\n" --adapter nosuch
expect_rc 2
expect_err_match "^loco: no adapter named 'nosuch' in '.*registry.yaml'; see 'loco adapters list'$"
chat "" extra words
expect_rc 2
expect_err_has "loco: unexpected argument 'extra' (chat reads its questions from the terminal or standard input)"

t "options: the table's keys, a repeated --system, the votes' temperature"
script "{$MODELS,\"chat\":[$BASE]}"
chat "$Q\n" --adapter none --no-reread --system A --system B --votes 2 --temperature 0.3 --seed 9 --num-predict 20
expect_rc 0
expect_eq "$(req 'chats.map(c => c.body.messages[0].content).join(",")')" "B,B" "the last --system"
expect_eq "$(req 'chats.map(c => c.body.options.temperature).join(",")')" "0.3,0.3" "--temperature wins for the votes"
expect_eq "$(req 'chats.map(c => c.body.options.num_predict).join(",")')" "20,20" "--num-predict"
: >"$B/requests.jsonl"
chat "$Q\n" --adapter none --no-reread --votes 2
expect_rc 0
expect_eq "$(req 'chats.map(c => c.body.options.temperature).join(",")')" "0.7,0.7" "without it, inference.vote_temperature"

t "option errors, and -h without a registry"
CHAT_USAGE="usage: loco chat [--adapter name] [--backend server] [--host url] [--no-reread] [--no-tools] [--num-ctx n] [--num-predict n] [--quiet] [--seed n] [--system text] [--temperature t] [--think | --no-think] [--tools names] [--unsafe-tools] [--votes n]"
: >"$B/requests.jsonl"
chat "$Q\n" --temprature 1
expect_rc 2
expect_out_empty
expect_err "loco: unknown option '--temprature'; did you mean '--temperature'?
$CHAT_USAGE"
chat "$Q\n" --think=yes
expect_rc 2
expect_err "loco: option '--think' takes no value
$CHAT_USAGE"
chat "$Q\n" --votes 0
expect_rc 2
expect_err "loco: --votes: 'inference.votes' must be an integer from 1 to 64, not '0'
$CHAT_USAGE"
chat "$Q\n" --tools pyhton
expect_rc 2
expect_err "loco: --tools: unknown tool 'pyhton' (known: python, sympy)
$CHAT_USAGE"
chat "$Q\n" --adapter
expect_rc 2
expect_err "loco: option '--adapter' needs a value
$CHAT_USAGE"
expect_eq "$(req 'reqs.length')" 0 "requests"
run_loco --registry "$W/nowhere.yaml" chat -h
expect_rc 0
expect_err_empty
expect_eq "$(head -n 1 "$W/out")" "$CHAT_USAGE" "usage"
expect_out_has "Type /help in the chat for its commands."

t "an adapter missing from Ollama: the base answers with its prompt"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M"],"chat":[{"match":{"model":"qwen3:4b-instruct-2507-q4_K_M"},"reply":"base says 4"}]}'
chat "$Q\n"
expect_rc 0
expect_out "base says 4"
expect_err_has "[model 'loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M' is not in Ollama: answering with the base model and the adapter's prompt; run 'loco setup']"

# ------------------------------------------------------ a real terminal
if command -v tmux >/dev/null 2>&1; then
	TM="tmux -L loco-test-$$-1 -f /dev/null"
	pane() { $TM capture-pane -p -S -200 -t chat >"$W/out" 2>/dev/null; }
	shown() { sed -e 's/[[:space:]]*$//' -e '/^$/d' "$W/out" | tail -n 15 | sed 's/^/  | /'; }
	# wait_for TEXT: poll the pane until it shows TEXT (20 s at most).
	wait_for() {
		_i=0
		while [ $_i -lt 200 ]; do
			pane
			grep -qF -- "$1" "$W/out" && return 0
			sleep 0.1
			_i=$((_i + 1))
		done
		return 1
	}
	seen() {
		if wait_for "$1"; then pass; else fail "the terminal never showed '$1'; it showed:
$(shown)"; fi
	}
	# at_prompt N: wait until the pane has shown N prompts and its last
	# line is a bare one: loco reads keys again.  Keys are sent only then:
	# libedit prints its prompt once it has put the terminal in raw mode,
	# and a key sent earlier meets the terminal in canonical mode (a Ctrl-D
	# sent while an answer still streams is lost when libedit switches).
	at_prompt() {
		_i=0
		while [ $_i -lt 200 ]; do
			pane
			if [ "$(grep -c '^>>>' "$W/out")" -ge "$1" ] &&
			    [ "$(sed -e 's/[[:space:]]*$//' -e '/^$/d' "$W/out" | tail -n 1)" = ">>>" ]; then
				pass
				return 0
			fi
			sleep 0.1
			_i=$((_i + 1))
		done
		fail "the terminal never showed prompt $1 bare; it showed:
$(shown)"
	}

	t "terminal: prompt, routing, Ctrl-C stops an answer, Ctrl-D leaves"
	script "{$MODELS,\"chat\":[{\"match\":{\"contains\":\"slowly\"},\"reply\":\"one two three four five six seven eight nine ten\",\"chunk_size\":4,\"chunk_delay_ms\":300},$MATH,$BASE]}"
	$TM new-session -d -s chat -x 200 -y 40 \
		"env OLLAMA_HOST=$OLLAMA_HOST HOME=$HOME LOCO_HOME=$LOCO_HOME TERM=xterm $LOCO chat; echo chat-exit=\$?; sleep 60"
	seen "/help for commands, Ctrl-D to leave."
	at_prompt 1
	$TM send-keys -t chat "$Q" Enter
	at_prompt 2
	seen "The answer is: 4"
	seen "[router -> math 1.00]"
	$TM send-keys -t chat "count slowly please" Enter
	seen "one two"
	$TM send-keys -t chat C-c
	seen "[interrupted: the partial answer stays in the conversation; /clear forgets it]"
	at_prompt 3
	$TM send-keys -t chat "half a line" C-c
	at_prompt 4
	$TM send-keys -t chat "/stats" Enter
	at_prompt 5
	seen "(interrupted)"
	$TM send-keys -t chat "and after that?" Enter
	at_prompt 6
	seen "[router -> math, follow-up]"
	$TM send-keys -t chat C-d
	seen "chat-exit=0"
	expect_eq "$(req 'chats.length')" 3 "chat requests (the Ctrl-C'd line was not sent)"
	expect_eq "$(req 'const p = chats[2].body.messages[4].content; p.startsWith("one two") && p.length < 30')" \
		true "the partial answer stays in the conversation"
	run_loco history --json -n 3
	expect_eq "$(json 'out.map(e => e.interrupted).join(",")')" false,true,false \
		"the interrupted answer is in the history, marked"
	expect_eq "$(grep -c 'half' "$LOCO_HOME/chat_history")" 0 "an interrupted line is not remembered"
	expect_eq "$(grep -c 'count\\040slowly' "$LOCO_HOME/chat_history")" 1 "input history saved"
	$TM kill-server 2>/dev/null

	t "terminal: input history is there in the next session"
	# A server of its own: the last one may still be going away.
	TM="tmux -L loco-test-$$-2 -f /dev/null"
	$TM new-session -d -s chat -x 200 -y 40 \
		"env OLLAMA_HOST=$OLLAMA_HOST HOME=$HOME LOCO_HOME=$LOCO_HOME TERM=xterm $LOCO chat; echo chat-exit=\$?; sleep 60"
	at_prompt 1
	$TM send-keys -t chat Up
	seen ">>> and after that?"
	$TM send-keys -t chat C-u "/quit" Enter
	seen "chat-exit=0"
	$TM kill-server 2>/dev/null
else
	echo "chat: tmux not installed: terminal tests skipped"
fi

area_end
