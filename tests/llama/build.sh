#!/bin/sh
# Build the real llama-server (CPU only) from the llama.cpp source tree that
# the test engine's npm package node-llama-cpp ships as a git bundle, and
# cache it outside the clone, keyed by the bundle's SHA-256, so a machine
# builds it once (about 8 minutes on 2 idle cores) and every later run,
# CI's included, finds it.  Nothing is downloaded.
#
#   sh tests/llama/build.sh          build if needed; print the binary's path
#   sh tests/llama/build.sh --path   print the path it would have (no build)
#
# LOCO_LLAMA_CACHE overrides the cache folder (default
# /var/cache/loco/llama-server as root, else ~/.cache/loco/llama-server).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
bundle=$top/tests/engine/node_modules/node-llama-cpp/llama/gitRelease.bundle
if [ ! -f "$bundle" ]; then
	echo "build.sh: no llama.cpp source: $bundle is missing; run 'sh .ci/deps' (installs the test engine's npm packages)" >&2
	exit 1
fi
if [ -n "${LOCO_LLAMA_CACHE:-}" ]; then
	cache=$LOCO_LLAMA_CACHE
elif [ "$(id -u)" -eq 0 ]; then
	cache=/var/cache/loco/llama-server
else
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/loco/llama-server
fi
hash=$(sha256sum "$bundle" | cut -c1-16)
dir=$cache/$hash
bin=$dir/bin/llama-server
if [ "${1:-}" = --path ]; then
	echo "$bin"
	exit 0
fi
if [ -x "$bin" ] && [ -f "$dir/ok" ]; then
	echo "$bin"
	exit 0
fi
mkdir -p "$cache"
# One build at a time per cache (make -j, two shells).
exec 9>"$cache/.lock"
flock 9
if [ -x "$bin" ] && [ -f "$dir/ok" ]; then
	echo "$bin"
	exit 0
fi
work=$cache/.build-$hash
rm -rf "$work"
echo "build.sh: building llama-server from $(basename "$bundle") into $dir (minutes, once per machine)" >&2
git clone -q "$bundle" "$work/src"
jobs=$(nproc 2>/dev/null || echo 2)
cmake -B "$work/build" -S "$work/src" -DCMAKE_BUILD_TYPE=Release \
	-DGGML_NATIVE=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
	-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
	-DCMAKE_INSTALL_RPATH='$ORIGIN' -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON \
	>"$work/cmake.log" 2>&1 || { tail -n 30 "$work/cmake.log" >&2; exit 1; }
cmake --build "$work/build" --target llama-server -j"$jobs" \
	>"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir/bin"
cp -a "$work/build/bin/." "$dir/bin/"
"$dir/bin/llama-server" --version >"$dir/version" 2>&1 || { cat "$dir/version" >&2; exit 1; }
touch "$dir/ok"
rm -rf "$work"
echo "$bin"
