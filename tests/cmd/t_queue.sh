#!/bin/sh
# t_queue.sh: a server that answers one request at a time, as a stock
# Ollama does.  How many requests loco keeps in flight by default on each
# backend (told by when the fake received them), and the two timeouts:
# the wait for a reply's first byte (the server's queue and the model's
# load, backend.load_timeout) apart from the gap between chunks once the
# reply flows (backend.timeout); and the line that shows the wait on a
# terminal (under script(1), where there is one).
. "$TOP/tests/cmd/lib.sh"
area_begin queue

Q='What is the sum of 25 and 26?'
# Two answers by seed, so that no majority decides early: all four run.
TWO='"replies":["The answer is 51","The answer is 50"],"by_seed":true'

# gaps: milliseconds between the chat requests' arrivals, in order.
gaps() {
	req 'const t = reqs.filter(r => /chat/.test(r.path)).map(r => r.time).sort((a, b) => a - b);
		t.slice(1).map((x, i) => x - t[i]).join(" ")'
}

# all_at_least MS GAPS...: every gap is MS or more.
all_at_least() {
	_min=$1
	shift
	for _g in "$@"; do [ "$_g" -ge "$_min" ] || return 1; done
	return 0
}

t "Ollama: one request at a time unless told"
# 5 chunks 150 ms apart: each answer takes 600 ms.
script "{\"models\":[\"qwen3:4b-instruct-2507-q4_K_M\"],\"chat\":[{$TWO,\"chunk_size\":3,\"chunk_delay_ms\":150}]}"
run_loco query --adapter none --votes 4 --seed 1 "$Q"
expect_rc 0
expect_eq "$(req 'chats.length')" 4 "requests"
g=$(gaps)
if all_at_least 500 $g; then pass; else fail "requests overlapped: arrivals $g ms apart"; fi
t "--parallel raises it"
script "{\"models\":[\"qwen3:4b-instruct-2507-q4_K_M\"],\"chat\":[{$TWO,\"chunk_size\":3,\"chunk_delay_ms\":150}]}"
run_loco query --adapter none --votes 4 --seed 1 --parallel 4 "$Q"
expect_rc 0
g=$(gaps)
if ! all_at_least 300 $g; then pass; else fail "requests went one at a time: arrivals $g ms apart"; fi

# The timeouts on a server that answers four at once, so that what a
# timed-out request leaves behind holds up nothing.
t "a first byte later than backend.load_timeout"
script "{\"models\":[\"qwen3:4b-instruct-2507-q4_K_M\"],\"chat\":[{\"first_byte_delay_ms\":4000}]}"
LOCO_BACKEND_LOAD_TIMEOUT=1 run_loco query --adapter none "$Q"
expect_rc 1
expect_err "loco: request to $BASE_URL/api/chat failed: no reply from the model for 1 s (waiting in the server's queue or loading; raise backend.load_timeout)"
expect_out_empty

t "in a vote: asked again, then counted invalid; the rest answer"
script "{\"models\":[\"qwen3:4b-instruct-2507-q4_K_M\"],\"chat\":[{\"match\":{\"seed\":2},\"first_byte_delay_ms\":4000},{\"reply\":\"The answer is 51\"}]}"
LOCO_BACKEND_LOAD_TIMEOUT=1 run_loco query --adapter none --votes 3 --seed 1 "$Q"
expect_rc 0
expect_out "The answer is 51"
expect_err_has "loco: vote: 1 of 3 samples failed twice (counted invalid): request to $BASE_URL/api/chat failed: no reply from the model for 1 s (waiting in the server's queue or loading; raise backend.load_timeout)"
expect_err_match 'vote majority: 51 x2, invalid 1; 3 of 3 samples, confidence 0\.67'
expect_eq "$(req 'chats.filter(c => c.body.options.seed === 2).length')" 2 "the late sample was asked twice"

t "a reply that stops longer than backend.timeout"
script "{\"models\":[\"qwen3:4b-instruct-2507-q4_K_M\"],\"chat\":[{\"reply\":\"The answer is 51\",\"chunk_size\":8,\"chunk_delay_ms\":3000}]}"
LOCO_BACKEND_TIMEOUT=1 run_loco query --adapter none "$Q"
expect_rc 1
expect_out "The answ"
expect_err "loco: request to $BASE_URL/api/chat failed: no data for 1 s after the reply began (raise backend.timeout)"

# 1.5 s answers: 6 chunks 300 ms apart.
SLOW='"chunk_size":3,"chunk_delay_ms":300'

t "queue time is not a gap between chunks"
# Four in flight on a server that answers one at a time: the last waits
# some 4.5 s for its first byte, far over backend.timeout.
backend_stop "$B"
backend_start "$B" --parallel 1 --idle-timeout 300 ||
    { echo "queue: cannot start the fake"; exit 1; }
BASE_URL=$OLLAMA_HOST
script "{\"models\":[\"qwen3:4b-instruct-2507-q4_K_M\"],\"chat\":[{$TWO,$SLOW}]}"
LOCO_BACKEND_TIMEOUT=1 run_loco query --adapter none --votes 4 --parallel 4 --seed 1 --json "$Q"
expect_rc 0
expect_eq "$(json '[out.vote.samples, out.vote.invalid, out.vote.note].join(",")')" "4,0," "samples, invalid, note"
expect_eq "$(req 'chats.length')" 4 "requests"

t "no waiting line where stderr is not a terminal"
# 2.5 s to the first byte: a second or more, whenever the ticks fall.
script "{\"models\":[\"qwen3:4b-instruct-2507-q4_K_M\"],\"chat\":[{\"reply\":\"The answer is 51\",\"first_byte_delay_ms\":2500}]}"
run_loco query --adapter none "$Q"
expect_rc 0
expect_out "The answer is 51"
if grep -q "waiting" "$W/err"; then fail "a waiting line on a file"; else pass; fi

# on_tty ARGS...: loco under script(1) (not lib.sh's script), stdout and
# stderr on its terminal, captured in $W/tty.
on_tty() {
	TERM=xterm command script -qfec "$(printf '%s ' "$LOCO" "$@")" /dev/null \
	    </dev/null >"$W/tty" 2>&1
	RC=$?
	cp "$W/tty" "$W/err"
	: >"$W/out"
}

if command script -qfec true /dev/null </dev/null >/dev/null 2>&1; then
	CR=$(printf '\r')
	ESC=$(printf '\033')
	t "on a terminal, the wait shows and goes before the answer"
	on_tty query --adapter none "'$Q'"
	expect_rc 0
	if grep -q "${CR}${ESC}\[Kwaiting for the model ([12]s)${CR}${ESC}\[KThe answer is 51" "$W/tty"; then
		pass; else fail "no waiting line erased before the answer"; fi
	t "several in flight: how many wait"
	on_tty query --adapter none --votes 2 --parallel 2 --seed 1 "'$Q'"
	expect_rc 0
	if grep -q "waiting for the model ([0-9]s, 2 of 2 requests)" "$W/tty"; then
		pass; else fail "no count of the waiting requests"; fi
	t "not with --quiet, nor --json"
	on_tty query --adapter none --quiet "'$Q'"
	expect_rc 0
	if grep -q "waiting" "$W/tty"; then fail "a waiting line with --quiet"; else pass; fi
	on_tty query --adapter none --json "'$Q'"
	expect_rc 0
	if grep -q "waiting" "$W/tty"; then fail "a waiting line with --json"; else pass; fi
fi

t "llama-server: as many as serve.slots"
backend_stop "$B"
backend_start "$B" --flavor llama-server --parallel 2 --idle-timeout 300 ||
    { echo "queue: cannot start the llama-server fake"; exit 1; }
BASE_URL=$LOCO_BACKEND_HOST
script "{\"loras\":[],\"chat\":[{$TWO,\"chunk_size\":3,\"chunk_delay_ms\":150}]}"
LOCO_SERVE_SLOTS=2 run_loco --backend llama-server query --adapter none --votes 4 --seed 1 "$Q"
expect_rc 0
expect_eq "$(req 'reqs.filter(r => /chat/.test(r.path)).length')" 4 "requests"
# Two at once, then two more when those are answered.
set -- $(gaps)
if [ "$1" -lt 300 ] && [ "$2" -ge 400 ] && [ "$3" -lt 300 ]; then pass; else
	fail "not two at a time: arrivals $* ms apart"; fi

area_end
