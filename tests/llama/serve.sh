# Start the real llama-server (built by tests/llama/build.sh) on the tiny
# world: adapters/tiny/base.gguf with its seven LoRA adapters loaded, in the
# order math (id 0), math-b (1), code (2), code-b (3), analysis (4), writing
# (5), math-tool (6).
# POSIX sh; source it, do not run it:
#
#   . tests/llama/serve.sh
#   llama_start "$dir"            # exports LLAMA_PORT, LOCO_BACKEND_HOST
#   llama_start "$dir" -np 2      # extra arguments go to llama-server (last one wins)
#   ... curl "$LOCO_BACKEND_HOST/lora-adapters" ...
#   llama_stop "$dir"
#
# The server runs in adapters/tiny, so /lora-adapters lists the adapters by
# file name (math.gguf, ...), with
#   -m base.gguf --lora math.gguf,math-b.gguf,code.gguf,...,math-tool.gguf
#   --lora-init-without-apply --host 127.0.0.1 --port PORT -t 1 -c 2048 -np 4
# (one comma-separated --lora: a repeated one is deprecated, "only last value
# will be used", though this release still loads them all)
# on a free loopback port picked at start (a port taken in the meantime is
# retried with another). llama_start waits up to 30 s for GET /health to
# answer 200, saves the pid in DIR/llama.pid and the port in DIR/llama.port,
# and sends the server's output to DIR/llama.log. It returns 1 with a
# message when the binary is not built (sh tests/llama/build.sh builds it,
# minutes, once per machine) or the server does not come up.
#
# A watchdog stops the server when the shell that sourced this file exits,
# so call llama_start in the test script's own shell (not inside $(...) or a
# pipeline). LLAMA_SERVER overrides the binary; LLAMA_TOP the repository's
# top directory (default: found from BASH_SOURCE under bash, else the
# current directory, so source it from the top of the repository); NODE the
# node binary used to pick a port.

if [ -z "${LLAMA_TOP:-}" ]; then
	if [ -n "${BASH_SOURCE:-}" ]; then
		LLAMA_TOP=$(cd "$(dirname "$BASH_SOURCE")/../.." && pwd)
	else
		LLAMA_TOP=$(pwd)
	fi
fi

# _llama_get URL: print the HTTP status of GET URL (000 when unreachable).
_llama_get() {
	if command -v curl >/dev/null 2>&1; then
		curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true
	else
		${NODE:-node} -e '
			const r = require("http").get(process.argv[1], { timeout: 2000 }, (res) => {
				res.resume(); process.stdout.write(String(res.statusCode)); });
			r.on("error", () => process.stdout.write("000"));
			r.on("timeout", () => { r.destroy(); });' "$1" 2>/dev/null || echo 000
	fi
}

# _llama_port: a port that was free on 127.0.0.1 a moment ago.
_llama_port() {
	${NODE:-node} -e '
		const s = require("net").createServer();
		s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });' 2>/dev/null ||
		awk 'BEGIN { srand(); print 20000 + int(rand() * 40000) }'
}

llama_start() {
	_ld=$1
	shift
	_ltiny=$LLAMA_TOP/adapters/tiny
	if [ -n "${LLAMA_SERVER:-}" ]; then
		_lbin=$LLAMA_SERVER
	else
		_lbin=$(sh "$LLAMA_TOP/tests/llama/build.sh" --path) || return 1
		if [ -x "$_lbin" ] && [ ! -f "$(dirname "$(dirname "$_lbin")")/ok" ]; then
			echo "llama_start: $_lbin is not finished (a build is running or failed); run: sh tests/llama/build.sh" >&2
			return 1
		fi
	fi
	if [ ! -x "$_lbin" ]; then
		echo "llama_start: llama-server is not built (no $_lbin); build it with: sh tests/llama/build.sh (minutes, once per machine)" >&2
		return 1
	fi
	for _lf in base math math-b code code-b analysis writing math-tool; do
		if [ ! -f "$_ltiny/$_lf.gguf" ]; then
			echo "llama_start: missing $_ltiny/$_lf.gguf" >&2
			return 1
		fi
	done
	mkdir -p "$_ld" || return 1
	_ld=$(cd "$_ld" && pwd)
	rm -f "$_ld/llama.pid" "$_ld/llama.port"
	_lparent=$$
	_ltry=0
	while :; do
		_ltry=$((_ltry + 1))
		_lport=$(_llama_port)
		echo "llama_start: try $_ltry: port $_lport" >>"$_ld/llama.log"
		(cd "$_ltiny" && exec "$_lbin" -m base.gguf \
			--lora math.gguf,math-b.gguf,code.gguf,code-b.gguf,analysis.gguf,writing.gguf,math-tool.gguf \
			--lora-init-without-apply \
			--host 127.0.0.1 --port "$_lport" -t 1 -c 2048 -np 4 "$@") \
			</dev/null >>"$_ld/llama.log" 2>&1 &
		_lpid=$!
		echo "$_lpid" >"$_ld/llama.pid"
		_li=0
		_lok=
		while [ "$_li" -lt 300 ]; do
			if ! kill -0 "$_lpid" 2>/dev/null; then
				break
			fi
			if [ "$(_llama_get "http://127.0.0.1:$_lport/health")" = 200 ]; then
				_lok=1
				break
			fi
			_li=$((_li + 1))
			sleep 0.1
		done
		[ -n "$_lok" ] && break
		if kill -0 "$_lpid" 2>/dev/null; then
			kill "$_lpid" 2>/dev/null
			wait "$_lpid" 2>/dev/null
			rm -f "$_ld/llama.pid"
			echo "llama_start: no healthy llama-server after 30 s; see $_ld/llama.log" >&2
			return 1
		fi
		wait "$_lpid" 2>/dev/null
		rm -f "$_ld/llama.pid"
		# The port was taken between picking and binding: try another.
		if [ "$_ltry" -lt 5 ] && sed -n "/^llama_start: try $_ltry: /,\$p" "$_ld/llama.log" |
			grep -qi "couldn't bind\|address already in use"; then
			continue
		fi
		echo "llama_start: llama-server exited; last lines of $_ld/llama.log:" >&2
		tail -n 5 "$_ld/llama.log" >&2
		return 1
	done
	echo "$_lport" >"$_ld/llama.port"
	# Stop the server when the test's shell goes away without llama_stop.
	(
		trap '' HUP INT
		while kill -0 "$_lparent" 2>/dev/null && kill -0 "$_lpid" 2>/dev/null; do
			sleep 1
		done
		kill "$_lpid" 2>/dev/null
	) </dev/null >/dev/null 2>&1 &
	echo $! >"$_ld/llama.watch"
	LLAMA_PORT=$_lport
	LOCO_BACKEND_HOST=http://127.0.0.1:$_lport
	export LLAMA_PORT LOCO_BACKEND_HOST
}

llama_stop() {
	_ld=$1
	if [ -f "$_ld/llama.watch" ]; then
		kill "$(cat "$_ld/llama.watch")" 2>/dev/null
		rm -f "$_ld/llama.watch"
	fi
	[ -f "$_ld/llama.pid" ] || return 0
	_lp=$(cat "$_ld/llama.pid")
	kill "$_lp" 2>/dev/null
	_li=0
	while kill -0 "$_lp" 2>/dev/null; do
		_li=$((_li + 1))
		if [ "$_li" -gt 100 ]; then kill -9 "$_lp" 2>/dev/null; break; fi
		sleep 0.05
	done
	wait "$_lp" 2>/dev/null
	rm -f "$_ld/llama.pid" "$_ld/llama.port"
	return 0
}
