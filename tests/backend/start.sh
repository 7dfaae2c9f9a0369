# Helpers for shell tests that use the scripted Ollama test backend.
# POSIX sh; source it, do not run it:
#
#   . tests/backend/start.sh
#   backend_start "$dir"            # starts the server, exports LOCO_TEST_PORT, OLLAMA_HOST
#   backend_start "$dir" --flavor llama-server   # also exports LOCO_BACKEND_HOST
#   backend_start "$dir" --flavor openai         # the same
#   backend_script "$dir" '{"models":["qwen3:4b"],"chat":[{"reply":"hi"}]}'
#   ... run loco ...
#   backend_stop "$dir"
#
# backend_start must run in the test script's own shell (not inside $(...)
# or a pipeline): the server exits when its parent process exits.
# Extra arguments to backend_start go to server.js (--parallel 2, ...).
# Server stderr goes to DIR/server.log. NODE picks the node binary.
#
# server.js is found through $BACKEND_JS if set, else next to this file when
# the shell is bash, else as tests/backend/server.js under the directory the
# file is sourced from (source it from the top of the repository, or set
# BACKEND_JS to an absolute path).

if [ -z "${BACKEND_JS:-}" ]; then
	if [ -n "${BASH_SOURCE:-}" ]; then
		BACKEND_JS=$(cd "$(dirname "$BASH_SOURCE")" && pwd)/server.js
	else
		BACKEND_JS=$(pwd)/tests/backend/server.js
	fi
fi

backend_start() {
	_bd=$1
	shift
	_bf=ollama
	_bprev=
	for _ba in "$@"; do
		case $_ba in
		--flavor=*) _bf=${_ba#--flavor=} ;;
		*) [ "$_bprev" = --flavor ] && _bf=$_ba ;;
		esac
		_bprev=$_ba
	done
	if [ ! -f "$BACKEND_JS" ]; then
		echo "backend_start: cannot find server.js (set BACKEND_JS)" >&2
		return 1
	fi
	mkdir -p "$_bd" || return 1
	rm -f "$_bd/port"
	${NODE:-node} "$BACKEND_JS" --dir "$_bd" "$@" 2>>"$_bd/server.log" &
	echo $! >"$_bd/pid"
	_bi=0
	while [ ! -s "$_bd/port" ]; do
		if ! kill -0 "$(cat "$_bd/pid")" 2>/dev/null; then
			echo "backend_start: server exited; see $_bd/server.log" >&2
			return 1
		fi
		_bi=$((_bi + 1))
		if [ "$_bi" -gt 200 ]; then
			echo "backend_start: no port file after 10 s; see $_bd/server.log" >&2
			return 1
		fi
		sleep 0.05
	done
	LOCO_TEST_PORT=$(cat "$_bd/port")
	OLLAMA_HOST=http://127.0.0.1:$LOCO_TEST_PORT
	export LOCO_TEST_PORT OLLAMA_HOST
	if [ "$_bf" = llama-server ] || [ "$_bf" = openai ]; then
		LOCO_BACKEND_HOST=http://127.0.0.1:$LOCO_TEST_PORT
		export LOCO_BACKEND_HOST
	fi
}

backend_stop() {
	_bd=$1
	[ -f "$_bd/pid" ] || return 0
	_bp=$(cat "$_bd/pid")
	if [ -s "$_bd/port" ]; then
		${NODE:-node} -e '
			const r = require("http").request({ host: "127.0.0.1", port: +process.argv[1],
				method: "POST", path: "/__control/shutdown" }, (res) => res.resume());
			r.on("error", () => {});
			r.end();' "$(cat "$_bd/port")" 2>/dev/null
	fi
	_bi=0
	while kill -0 "$_bp" 2>/dev/null; do
		_bi=$((_bi + 1))
		if [ "$_bi" -eq 40 ]; then kill "$_bp" 2>/dev/null; fi
		if [ "$_bi" -gt 80 ]; then kill -9 "$_bp" 2>/dev/null; break; fi
		sleep 0.05
	done
	wait "$_bp" 2>/dev/null
	rm -f "$_bd/pid"
	return 0
}

# backend_script DIR 'json text': replace DIR/script.json atomically.
backend_script() {
	printf '%s\n' "$2" >"$1/script.json.tmp.$$" && mv -f "$1/script.json.tmp.$$" "$1/script.json"
}
