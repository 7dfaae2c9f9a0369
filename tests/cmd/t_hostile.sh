#!/bin/sh
# t_hostile.sh: hostile input from indexes, packages and YAML files:
# deeply nested YAML refused before libyaml sees it, downloads bounded by
# the index, control characters never printed, stale scratch cleaned, and
# nothing left behind (no .part, no scratch directory, the lock free).
. "$TOP/tests/cmd/lib.sh"
area_begin hostile

A="$LOCO_HOME/adapters"
# nothing_left: no partial download, no scratch directory, the lock free.
nothing_left() {
	if [ -z "$(find "$LOCO_HOME/tmp" -name '*.part' 2>/dev/null)" ]; then pass; else fail "partial download left: $(find "$LOCO_HOME/tmp" -name '*.part')"; fi
	if [ -z "$(ls "$LOCO_HOME/tmp" 2>/dev/null | grep -v downloads)" ]; then pass; else fail "scratch left behind"; fi
	if flock -n "$A/.lock" true 2>/dev/null || [ ! -e "$A/.lock" ]; then pass; else fail "lock held"; fi
}


# nested N OPEN: N opening brackets on one line after "packages: ".
nested() {
	node -e 'process.stdout.write("packages: " + process.argv[2].repeat(Number(process.argv[1])))' "$1" "$2"
}

t "a 725-byte deeply nested index is refused at once"
{ nested 357 '['; printf x; nested 357 ']' | cut -c11- | tr -d '\n'; } >"$W/deep.yaml"
expect_eq "$(wc -c <"$W/deep.yaml" | tr -d ' ')" 725 "the file's size"
timeout 10 "$LOCO" adapters search --index "$W/deep.yaml" x >"$W/out" 2>"$W/err" </dev/null
RC=$?
expect_rc 7
expect_err "loco: $W/deep.yaml:1:74: lists and mappings nested more than 64 levels deep; nest them less"
if flock -n "$A/.lock" true 2>/dev/null || [ ! -e "$A/.lock" ]; then pass; else fail "lock held"; fi

t "a 1 MB deeply nested index is refused at once"
nested 500000 '{[' >"$W/deep.yaml"
timeout 10 "$LOCO" adapters search --index "$W/deep.yaml" x >"$W/out" 2>"$W/err" </dev/null
RC=$?
expect_rc 7
expect_err "loco: $W/deep.yaml:1:74: lists and mappings nested more than 64 levels deep; nest them less"

t "the same in the configuration file"
{ printf 'inference:\n  options: '; nested 300 '[' | cut -c11-; echo; } >"$LOCO_HOME/config.yaml"
timeout 10 "$LOCO" config >"$W/out" 2>"$W/err" </dev/null
RC=$?
expect_rc 7
expect_err "loco: $LOCO_HOME/config.yaml:2:74: lists and mappings nested more than 64 levels deep; nest them less"
rm -f "$LOCO_HOME/config.yaml"

t "the same in the registry"
cp "$A/registry.yaml" "$W/registry.yaml"
{ cat "$W/registry.yaml"; printf '  - name: deep\n    router_keywords: '; nested 300 '{a: ' | cut -c11-; echo; } >"$A/registry.yaml"
L=$(grep -n 'router_keywords: {a: ' "$A/registry.yaml" | cut -d: -f1)
timeout 10 "$LOCO" adapters list >"$W/out" 2>"$W/err" </dev/null
RC=$?
expect_rc 7
expect_err "loco: $A/registry.yaml:$L:266: lists and mappings nested more than 64 levels deep; nest them less"
cp "$W/registry.yaml" "$A/registry.yaml"

t "brackets in quoted and block scalars and comments do not count"
{
	echo "packages:"
	printf '  # %s\n' "$(nested 100 '[' | cut -c11-)"
	printf '  - name: a\n    base_model: "%s"\n    version: 1.0.0\n    url: a.tar.gz\n' "$(nested 100 '[' | cut -c11-)"
	printf '    sha256: %s\n    tags: [x, "]]]", '"'"'}}}'"'"']\n' "$(printf '%064d' 0)"
	printf '    description: >\n      %s\n      }}]]\n\n      %s\n' "$(nested 100 '{' | cut -c11-)" "$(nested 100 '[' | cut -c11-)"
	printf '  - name: b\n    version: 1.0.0\n    url: b.tar.gz\n    sha256: %s\n' "$(printf '%064d' 0)"
} >"$W/ok.yaml"
run_loco adapters search --index "$W/ok.yaml"
expect_rc 0
if [ ! -e "$A/.lock" ] || flock -n "$A/.lock" true; then pass; else fail "lock held"; fi

t "index text with control characters is refused, never printed"
SUM=$(printf '%064d' 0)
# bad_index FIELDS: an index of one package with FIELDS (printf escapes).
bad_index() {
	printf "packages:\n  - {$1, url: a.tar.gz, sha256: $SUM}\n" >"$W/bad.yaml"
	run_loco adapters search --index "$W/bad.yaml"
	expect_rc 7
	expect_out_empty
}
bad_index 'name: "evil\\e[31m", version: 1.0.0'
expect_err "loco: $W/bad.yaml:2:12: package name 'evil?[31m' must be letters a-z, digits, '_', '.' and '-', starting with a letter or digit, at most 64"
bad_index 'name: ok, version: "1.0.0\\x9b"'
expect_err "loco: $W/bad.yaml:2:25: package 'ok': 'version' must be a semantic version like 1.0.0, not '1.0.0?'"
bad_index 'name: ok, version: 1.0.0, description: "a\\e]0;x\\a"'
expect_err "loco: $W/bad.yaml:2:45: package 'ok': 'description' holds a control character"
bad_index 'name: ok, version: 1.0.0, tags: [a, "b\\e[2J"]'
expect_err "loco: $W/bad.yaml:2:38: package 'ok': a tag holds a control character"
bad_index 'name: ok, version: 1.0.0, domain: Math'
expect_err "loco: $W/bad.yaml:2:40: package 'ok': 'domain' must be a lower-case word, not 'Math'"
bad_index 'name: ok, version: 1.0.0, base_model: "q\\r"'
expect_err "loco: $W/bad.yaml:2:44: package 'ok': 'base_model' holds a control character"

t "an index over 16 MiB is a bad index (exit 7)"
head -c 17000000 /dev/zero | tr '\0' '#' >"$W/big.yaml"
run_loco adapters search --index "$W/big.yaml"
expect_rc 7
expect_err "loco: $W/big.yaml: an index may be at most 16 MiB; is this an index?"

t "scratch a killed install left is removed by the next, by lock and age"
T="$LOCO_HOME/tmp"
mkdir -p "$T/install.killed/pkg" "$T/install.old/pkg" "$T/install.young/pkg" "$T/install.busy/pkg"
head -c 100000 /dev/zero >"$T/install.killed/pkg/model.gguf"
: >"$T/install.killed/.owner"; : >"$T/install.young/.owner"; : >"$T/install.busy/.owner"
touch -d '2 minutes ago' "$T/install.killed" "$T/install.busy"
touch -d '2 hours ago' "$T/install.old"
# A live install holds its lock: a process that is still working.
flock "$T/install.busy/.owner" sleep 30 &
fpid=$!
i=0; while flock -n "$T/install.busy/.owner" true && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
touch -d '2 minutes ago' "$T/install.busy"
printf 'not a package' >"$W/junk.tar.gz"
run_loco adapters install "$W/junk.tar.gz"
expect_rc 5
expect_eq "$(ls "$T" | grep install | sort | tr '\n' ' ')" "install.busy install.young " "scratch left"
kill $fpid 2>/dev/null
wait $fpid 2>/dev/null
rm -rf "$T/install.busy" "$T/install.young"
if flock -n "$A/.lock" true; then pass; else fail "lock held"; fi

t "an empty benchmark has no cases, not an unrecognized archive format"
: >"$W/empty.jsonl"
run_loco bench check "$W/empty.jsonl"
expect_rc 7
expect_err "loco: benchmark '$W/empty.jsonl' has no cases"

# pkgwith NAME LINES: a package NAME.tar.gz whose adapter.yaml ends with
# LINES (printf escapes), SHA256SUMS over its files.
pkgwith() {
	d="$W/src/$1"
	rm -rf "$d" && mkdir -p "$d/bench"
	node "$TOP/tests/cmd/mkgguf.js" "$d/$1.gguf" general.architecture=s:qwen3 general.name=s:$1
	echo '{"input": "2+2", "expected": "4"}' >"$d/bench/math.jsonl"
	printf "name: $1\nversion: 1.0.0\ndomain: math\ndescription: test\ntype: lora\nfile: $1.gguf\nanswer_type: number\nrouter_keywords: [solve]\n$2" >"$d/adapter.yaml"
	(cd "$d" && sha256sum adapter.yaml "$1.gguf" bench/math.jsonl >SHA256SUMS)
	(cd "$d" && tar -czf "$W/$1.tar.gz" adapter.yaml "$1.gguf" bench SHA256SUMS)
}

t "a package's benchmark and router_examples must be inside it"
pkgwith outb 'benchmark: ../../../../../../etc/passwd\n'
run_loco adapters install "$W/outb.tar.gz"
expect_rc 5
expect_err "loco: package '$W/outb.tar.gz': adapter 'outb': its benchmark '../../../../../../etc/passwd' is not inside the package"
pkgwith oute 'router_examples: /etc/passwd\n'
run_loco adapters install "$W/oute.tar.gz"
expect_rc 5
expect_err "loco: package '$W/oute.tar.gz': adapter 'oute': its router_examples '/etc/passwd' is not inside the package"
pkgwith missb 'benchmark: bench/nothere.jsonl\n'
run_loco adapters install "$W/missb.tar.gz"
expect_rc 5
expect_err "loco: package '$W/missb.tar.gz': adapter 'missb': its benchmark 'bench/nothere.jsonl' is not in the package"
pkgwith okb 'benchmark: bench/math.jsonl\n'
run_loco adapters install "$W/okb.tar.gz"
expect_rc 0
nothing_left

t "a package's text with escape sequences is refused, never listed"
pkgwith esc 'tags: [ok, "\\e]0;pwned\\a"]\n'
run_loco adapters install "$W/esc.tar.gz"
expect_rc 5
expect_err "loco: package '$W/esc.tar.gz': adapter 'esc': a tag holds a control character"
sed -i 's/^description: test$/description: "x\\e[31mRED"/' "$W/src/esc/adapter.yaml"
sed -i '/^tags:/d' "$W/src/esc/adapter.yaml"
(cd "$W/src/esc" && sha256sum adapter.yaml esc.gguf bench/math.jsonl >SHA256SUMS && tar -czf "$W/esc.tar.gz" adapter.yaml esc.gguf bench SHA256SUMS)
run_loco adapters install "$W/esc.tar.gz"
expect_rc 5
expect_err "loco: package '$W/esc.tar.gz': adapter 'esc': its description holds a control character"
run_loco adapters list
if grep -q "$(printf '\033')" "$W/out"; then fail "escape printed"; else pass; fi
nothing_left

t "errors name the package's files, not loco's scratch copy"
pkgwith typo 'benchmrak: bench/math.jsonl\n'
run_loco adapters install "$W/typo.tar.gz"
expect_rc 7
expect_err_match "^loco: package '$W/typo.tar.gz': adapter.yaml:9:1: "
if grep -q "tmp/install" "$W/err"; then fail "scratch path in the error"; else pass; fi

# The download tests: a registry, an index of URLs on a static server.
mkdir -p "$W/www"
node "$TOP/tests/cmd/static.js" --dir "$W/www" --portfile "$W/static.port" &
spid=$!
i=0; while [ ! -s "$W/static.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
U="http://127.0.0.1:$(cat "$W/static.port")"
SUM=$(printf '%064d' 0)
cat >"$W/www/index.yaml" <<YAML
packages:
  - {name: sized, version: 1.0.0, url: endless/sized.tar.gz, size: 281, sha256: $SUM}
  - {name: unsized, version: 1.0.0, url: endless/unsized.tar.gz, sha256: $SUM}
  - {name: slow, version: 1.0.0, url: drip/slow.tar.gz, sha256: $SUM}
  - {name: sizedslow, version: 1.0.0, url: drip/sizedslow.tar.gz, size: 100000000, sha256: 1$(printf '%063d' 0)}
  - {name: huge, version: 1.0.0, url: endless/huge.tar.gz, size: 1000000000000000, sha256: $SUM}
YAML
head -c 17000000 /dev/zero | tr '\0' '#' >"$W/www/big.yaml"
printf 'adapters:\n  index: "%s"\n' "$U/index.yaml" >"$LOCO_HOME/config.yaml"
t "an endless download stops at the index's size"
timeout 10 "$LOCO" adapters install sized >"$W/out" 2>"$W/err" </dev/null
RC=$?
expect_rc 5
expect_err "loco: package 'sized' 1.0.0: '$U/endless/sized.tar.gz' sends more than the 281 bytes the index says; not installed"
nothing_left

t "without a size, at adapters.max_download"
LOCO_ADAPTERS_MAX_DOWNLOAD=2 timeout 10 "$LOCO" adapters install unsized >"$W/out" 2>"$W/err" </dev/null
RC=$?
expect_rc 1
expect_eq "$(tail -n 1 "$W/err")" "loco: package 'unsized' 1.0.0: '$U/endless/unsized.tar.gz' sends more than 2 MiB and the index gives no size; raise adapters.max_download if the package is that big" "the error"
nothing_left

t "a size larger than the free space is refused before downloading"
: >"$W/static-requests.log"
timeout 10 "$LOCO" adapters install huge >"$W/out" 2>"$W/err" </dev/null
RC=$?
expect_rc 1
expect_err_match "^loco: not enough space in '$LOCO_HOME/tmp/downloads' for package 'huge' 1.0.0: 1000000000000000 bytes needed, [0-9]+ free; free some space and run the command again$"
if grep -q huge "$W/static-requests.log"; then fail "downloaded anyway"; else pass; fi
nothing_left

t "an index over 16 MiB from a URL is a bad index too"
run_loco adapters search --index "$U/big.yaml"
expect_rc 7
expect_err "loco: $U/big.yaml: an index may be at most 16 MiB; is this an index?"

t "an interrupted download of unknown size leaves no partial file"
"$LOCO" adapters install slow >"$W/out" 2>"$W/err" </dev/null &
lpid=$!
i=0; while [ -z "$(find "$LOCO_HOME/tmp" -name '*.part' -size +1k 2>/dev/null)" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT $lpid
wait $lpid
RC=$?
expect_rc 130
expect_eq "$(tail -n 1 "$W/err")" "loco: interrupted" "the error"
nothing_left
t "an interrupted download of known size is kept to be resumed"
"$LOCO" adapters install sizedslow >"$W/out" 2>"$W/err" </dev/null &
lpid=$!
i=0; while [ -z "$(find "$LOCO_HOME/tmp" -name '*.part' -size +1k 2>/dev/null)" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT $lpid
wait $lpid
RC=$?
expect_rc 130
expect_eq "$(tail -n 1 "$W/err")" "loco: interrupted" "the error"
expect_eq "$(find "$LOCO_HOME/tmp/downloads" -name '*.part' | wc -l | tr -d ' ')" 1 "the partial download kept"
rm -f "$LOCO_HOME/tmp/downloads/"*.part
nothing_left

kill $spid 2>/dev/null
wait $spid 2>/dev/null
rm -f "$LOCO_HOME/config.yaml"

area_end
