#!/bin/sh
# t_hostile.sh: hostile input from indexes, packages and YAML files:
# deeply nested YAML refused before libyaml sees it, downloads bounded by
# the index, control characters never printed, stale scratch cleaned, and
# nothing left behind (no .part, no scratch directory, the lock free).
. "$TOP/tests/cmd/lib.sh"
area_begin hostile

A="$LOCO_HOME/adapters"

# nested N OPEN: N opening brackets on one line after "packages: ".
nested() {
	node -e 'process.stdout.write("packages: " + process.argv[2].repeat(Number(process.argv[1])))' "$1" "$2"
}

t "a 725-byte deeply nested index is refused at once"
nested 357 '[{' >"$W/deep.yaml"
expect_eq "$(wc -c <"$W/deep.yaml" | tr -d ' ')" 724 "the file's size"
echo >>"$W/deep.yaml"
timeout 10 "$LOCO" adapters search --index "$W/deep.yaml" x >"$W/out" 2>"$W/err" </dev/null
RC=$?
expect_rc 7
expect_err "loco: $W/deep.yaml:1:74: lists and mappings nested more than 64 levels deep; nest them less"

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

t "brackets in quoted and block scalars and comments do not count"
{
	echo "packages:"
	printf '  # %s\n' "$(nested 100 '[' | cut -c11-)"
	printf '  - name: "a%s"\n    version: 1.0.0\n    url: a.tar.gz\n' "$(nested 100 '[' | cut -c11-)"
	printf '    sha256: %s\n    tags: [x, "]]]", '"'"'}}}'"'"']\n' "$(printf '%064d' 0)"
	printf '    description: >\n      %s\n      }}]]\n\n      %s\n' "$(nested 100 '{' | cut -c11-)" "$(nested 100 '[' | cut -c11-)"
	printf '  - name: b\n    version: 1.0.0\n    url: b.tar.gz\n    sha256: %s\n' "$(printf '%064d' 0)"
} >"$W/ok.yaml"
run_loco adapters search --index "$W/ok.yaml"
expect_rc 0
if [ ! -e "$A/.lock" ] || flock -n "$A/.lock" true; then pass; else fail "lock held"; fi

area_end
