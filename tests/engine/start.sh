# Helpers for shell tests that use the real engine (tests/engine/server.js).
# POSIX sh; source it from the top of the repository:
#
#   . tests/engine/start.sh
#   engine_start "$dir" [server.js args...]   # MODELDIR defaults to adapters/tiny
#   ... run loco (OLLAMA_HOST and LOCO_TEST_PORT are exported) ...
#   engine_stop "$dir"
#
# It reuses tests/backend/start.sh (same port file, pid file, server.log and
# shutdown), pointing BACKEND_JS at the engine. ENGINE_MODELS overrides the
# model directory. Needs `npm ci --omit=optional` in tests/engine first.

ENGINE_JS=${ENGINE_JS:-$(pwd)/tests/engine/server.js}
BACKEND_JS=$ENGINE_JS
. "$(dirname "$ENGINE_JS")/../backend/start.sh"

engine_start() {
	_ed=$1
	shift
	backend_start "$_ed" --models "${ENGINE_MODELS:-$(pwd)/adapters/tiny}" "$@"
}

engine_stop() {
	backend_stop "$1"
}
