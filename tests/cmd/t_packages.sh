#!/bin/sh
# t_packages.sh: the adapter package manager: install from files and from
# an index (with a resumed download), versions, promote, update, remove,
# add from a Modelfile, and every bad package refused with the installed
# state left byte for byte as it was.
. "$TOP/tests/cmd/lib.sh"
area_begin packages

A="$LOCO_HOME/adapters"
cat >"$A/registry.yaml" <<'YAML'
base_model:
  name: Qwen3-4B
  tag: qwen3:4b-instruct-2507-q4_K_M
  architecture: qwen3
adapters:
  - name: writer
    version: 1.0.0
    domain: writing
    type: prompt
    description: from the registry file
    router_keywords: [essay]
YAML

# snapshot: every installed file and its hash (the lock file aside).
snapshot() {
	(cd "$A" && find . -type f ! -name .lock | sort | xargs -r sha256sum) >"$W/snap.$1"
	ls "$LOCO_HOME/tmp" 2>/dev/null | grep -v downloads >>"$W/snap.$1"
}
unchanged() {
	snapshot after
	if cmp -s "$W/snap.before" "$W/snap.after"; then pass; else
		fail "installed state changed"; diff "$W/snap.before" "$W/snap.after" | head -5
	fi
}

mkpkg solver 1.0.0
mkpkg solver 1.1.0

t "install a package file"
run_loco adapters install "$W/pkgs/solver-1.0.0.tar.gz"
expect_rc 0
expect_out "installed solver 1.0.0; run 'loco setup' to register it with Ollama"
if [ -f "$A/solver/1.0.0/solver.gguf" ] && [ -f "$A/solver/1.0.0/adapter.yaml" ]; then pass; else fail "files in place"; fi
if grep -qx '  - "solver/1.0.0"' "$A/installed.yaml" && grep -qx 'base_model: "qwen3:4b-instruct-2507-q4_K_M"' "$A/installed.yaml"; then pass; else fail "installed.yaml"; fi
run_loco adapters list --json
expect_eq "$(json 'out.map(a => a.name + "@" + a.version + ":" + a.active).join(" ")')" "writer@1.0.0:true solver@1.0.0:true" "listed"
run_loco route "solve 2x = 4"
expect_out_has "solver	domain math, model loco-solver:1.0.0-qwen3-4b-instruct-2507-q4_K_M"
if [ -z "$(ls "$LOCO_HOME/tmp" | grep -v downloads)" ]; then pass; else fail "scratch left behind"; fi

t "installing the same version again"
run_loco adapters install "$W/pkgs/solver-1.0.0.tar.gz"
expect_rc 1
expect_err "loco: adapter 'solver' 1.0.0 is already installed; use --force to replace it"
run_loco adapters install --force "$W/pkgs/solver-1.0.0.tar.gz"
expect_rc 0

t "a second version: the newest is active, the old one stays"
run_loco adapters install "$W/pkgs/solver-1.1.0.tar.gz"
expect_rc 0
run_loco adapters list --json
expect_eq "$(json 'out.filter(a => a.name === "solver").map(a => a.version + ":" + a.active).join(" ")')" "1.0.0:false 1.1.0:true" "versions"
run_loco route --json "solve it"
expect_eq "$(json 'out.model')" "loco-solver:1.1.0-qwen3-4b-instruct-2507-q4_K_M" "routed to the newest"
run_loco adapters info solver@1.0.0
expect_rc 0
expect_out_has "solver 1.0.0"
expect_out_has "  source       installed package"

t "promote pins a version for its domain"
run_loco adapters promote solver@1.0.0
expect_rc 0
expect_out "solver 1.0.0 is now the active math adapter"
run_loco route --json "solve it"
expect_eq "$(json 'out.model')" "loco-solver:1.0.0-qwen3-4b-instruct-2507-q4_K_M" "routed to the promoted one"
run_loco adapters promote nope
expect_rc 2
expect_err "loco: no adapter named 'nope' in '$LOCO_HOME/adapters/registry.yaml'; see 'loco adapters list'"
run_loco adapters promote slver
expect_rc 2
expect_err "loco: no adapter named 'slver' in '$LOCO_HOME/adapters/registry.yaml'; did you mean 'solver'?"

t "bad packages change nothing"
snapshot before
for kind in traversal absolute symlink device nomanifest badsum truncated noyaml; do
	python3 "$TOP/tests/cmd/evilpkg.py" $kind "$W/pkgs/evil-$kind.tar.gz" "$W/src/solver-1.1.0"
done
run_loco adapters install "$W/pkgs/evil-traversal.tar.gz"
expect_rc 5
expect_err_match "^loco: '$W/pkgs/evil-traversal.tar.gz': .*'\.\./escaped\.txt'"
unchanged
if [ ! -e "$A/escaped.txt" ] && [ ! -e "$LOCO_HOME/tmp/escaped.txt" ]; then pass; else fail "escaped"; fi
run_loco adapters install "$W/pkgs/evil-absolute.tar.gz"
expect_rc 5
unchanged
if [ ! -e /tmp/loco-absolute.txt ]; then pass; else fail "absolute path written"; rm -f /tmp/loco-absolute.txt; fi
run_loco adapters install "$W/pkgs/evil-symlink.tar.gz"
expect_rc 5
expect_err_match "links are not allowed in adapter packages"
unchanged
run_loco adapters install "$W/pkgs/evil-device.tar.gz"
expect_rc 5
unchanged
run_loco adapters install "$W/pkgs/evil-nomanifest.tar.gz"
expect_rc 5
expect_err_match "SHA256SUMS"
unchanged
run_loco adapters install "$W/pkgs/evil-badsum.tar.gz"
expect_rc 5
expect_err_match "adapter\.yaml"
unchanged
run_loco adapters install "$W/pkgs/evil-truncated.tar.gz"
expect_rc 5
expect_err_match "truncated or corrupt"
unchanged
run_loco adapters install "$W/pkgs/evil-noyaml.tar.gz"
expect_rc 5
expect_err_match "has no adapter.yaml"
unchanged
mkpkg wrongarch 1.0.0 llama
run_loco adapters install "$W/pkgs/wrongarch-1.0.0.tar.gz"
expect_rc 5
expect_err_match "is a LoRA for architecture 'llama' but the base model 'qwen3:4b-instruct-2507-q4_K_M' is 'qwen3'"
unchanged

t "an index: search, install by name, resumed download"
mkdir -p "$W/www/pkgs"
cp "$W/pkgs/solver-1.0.0.tar.gz" "$W/pkgs/solver-1.1.0.tar.gz" "$W/www/pkgs/"
mkpkg solver 1.2.0
mkpkg solver 9.0.0
cp "$W/pkgs/solver-1.2.0.tar.gz" "$W/pkgs/solver-9.0.0.tar.gz" "$W/www/pkgs/"
entry() {
	f="$W/www/pkgs/$1-$2.tar.gz"
	printf '  - {name: %s, version: %s, domain: math, description: "solver %s", tags: [algebra], url: pkgs/%s-%s.tar.gz, size: %s, sha256: %s%s}\n' \
	    "$1" "$2" "$2" "$1" "$2" "$(wc -c <"$f" | tr -d ' ')" "$(sha256sum "$f" | cut -d' ' -f1)" "$3"
}
{
	echo "packages:"
	entry solver 1.0.0 ""
	entry solver 1.1.0 ""
	entry solver 1.2.0 ""
	entry solver 9.0.0 ", base_model: llama3:8b"
} >"$W/www/index.yaml"
run_loco adapters search --index "$W/www/index.yaml" algebra
expect_rc 0
expect_out_has "solver       1.2.0     math      solver 1.2.0"
expect_out_has "solver       1.0.0     math      (installed) solver 1.0.0"
expect_out_has "solver       9.0.0     math      (for llama3:8b, not this base) solver 9.0.0"
node "$TOP/tests/cmd/static.js" --dir "$W/www" --portfile "$W/static.port" --cut 100 &
spid=$!
i=0; while [ ! -s "$W/static.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
URL="http://127.0.0.1:$(cat "$W/static.port")/index.yaml"
printf 'adapters:\n  index: "%s"\n' "$URL" >"$LOCO_HOME/config.yaml"
run_loco adapters install solver
expect_rc 0
expect_out "installed solver 1.2.0; run 'loco setup' to register it with Ollama"
expect_eq "$(grep -c 'solver-1.2.0.tar.gz' "$W/static-requests.log")" 2 "two requests for the package"
expect_eq "$(grep 'solver-1.2.0.tar.gz' "$W/static-requests.log" | tail -1 | cut -d' ' -f3)" "bytes=100-" "resumed from byte 100"

t "update moves a promotion to the new version"
run_loco adapters remove solver@1.2.0 --keep-model
expect_rc 0
run_loco adapters update
expect_rc 0
expect_out "updated solver 1.1.0 -> 1.2.0
run 'loco setup' to register the new versions"
run_loco route --json "solve it"
expect_eq "$(json 'out.model')" "loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M" "promotion moved"
run_loco adapters update
expect_out "everything is up to date"
run_loco adapters update slver
expect_rc 1
expect_err "loco: no package 'slver' is installed; did you mean 'solver'?"
# writer is the registry file's, not a package's: no suggestion.
run_loco adapters update wrter
expect_rc 1
expect_err "loco: no package 'wrter' is installed; see 'loco adapters list'"
kill $spid 2>/dev/null
wait $spid 2>/dev/null

t "an index whose checksum is wrong"
sed 's/sha256: [0-9a-f]*/sha256: 0000000000000000000000000000000000000000000000000000000000000000/' "$W/www/index.yaml" >"$W/www/bad.yaml"
run_loco adapters install --index "$W/www/bad.yaml" solver@1.1.0 --force
expect_rc 5
expect_err_match "^loco: package 'solver' 1.1.0: '.*solver-1.1.0.tar.gz' has SHA-256 [0-9a-f]{64}, the index says 0{64}$"

t "remove: which version, registry adapters, the Ollama model"
run_loco adapters remove solver
expect_rc 2
expect_err "loco: several versions of 'solver' are installed: say which, as solver@VERSION"
run_loco adapters remove writer
expect_rc 1
expect_err "loco: adapter 'writer' 1.0.0 comes from the registry '$A/registry.yaml': edit that file to remove it"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M",{"name":"loco-solver:1.1.0-qwen3-4b-instruct-2507-q4_K_M"}]}'
run_loco adapters remove solver@1.1.0
expect_rc 0
expect_out "removed solver 1.1.0
deleted the Ollama model loco-solver:1.1.0-qwen3-4b-instruct-2507-q4_K_M"
expect_eq "$(req 'reqs.filter(r => r.method === "DELETE").map(r => r.body.model).join(",")')" "loco-solver:1.1.0-qwen3-4b-instruct-2507-q4_K_M" "delete request"
if [ ! -d "$A/solver/1.1.0" ] && ! grep -q 'solver/1.1.0' "$A/installed.yaml"; then pass; else fail "still there"; fi
# One installed version is the one removed, even when the registry
# file's version of the name is the active one (promoted).
mkpkg writer 2.0.0
run_loco adapters install "$W/pkgs/writer-2.0.0.tar.gz"
expect_rc 0
run_loco adapters promote writer@1.0.0
expect_rc 0
run_loco adapters remove --keep-model writer
expect_rc 0
expect_out "removed writer 2.0.0"
if [ ! -d "$A/writer/2.0.0" ]; then pass; else fail "writer 2.0.0 still there"; fi
run_loco adapters remove slver
expect_rc 1
expect_err "loco: no adapter 'slver' is installed; did you mean 'solver'?"
run_loco adapters remove wrter
expect_rc 1
expect_err "loco: no adapter 'wrter' is installed"
if [ -d "$A/solver/1.0.0" ] && [ -d "$A/solver/1.2.0" ]; then pass; else fail "a mistyped remove removed something"; fi

t "add an adapter from a Modelfile"
node "$TOP/tests/cmd/mkgguf.js" "$W/mine.gguf" general.architecture=s:qwen3
cat >"$W/Modelfile" <<'MF'
# my adapter
from qwen3:4b-instruct-2507-q4_K_M
ADAPTER ./mine.gguf
SYSTEM """Be exact.
Show the steps."""
PARAMETER temperature 0.3
PARAMETER stop "User:"
MF
run_loco adapters add --domain math --modelfile "$W/Modelfile" mine
expect_rc 0
expect_out "added mine 1.0.0 (lora) from $W/Modelfile; run 'loco setup' to register it with Ollama"
run_loco modelfile mine
expect_rc 0
expect_out "# loco adapter mine 1.0.0 (lora): generated from the registry; do not edit
FROM qwen3:4b-instruct-2507-q4_K_M
ADAPTER ./mine/1.0.0/mine.gguf
SYSTEM \"\"\"Be exact.
Show the steps.\"\"\"
PARAMETER temperature 0.3
PARAMETER stop User:"
printf 'FROM llama3:8b\nADAPTER ./mine.gguf\n' >"$W/Modelfile2"
run_loco adapters add --domain math --modelfile "$W/Modelfile2" other
expect_rc 1
expect_err "loco: '$W/Modelfile2': FROM llama3:8b is not the registry's base model 'qwen3:4b-instruct-2507-q4_K_M'; an ADAPTER only works on the model it was trained for"
printf 'FROM qwen3:4b-instruct-2507-q4_K_M\nFORM x\n' >"$W/Modelfile3"
run_loco adapters add --domain math --modelfile "$W/Modelfile3" other
expect_rc 7
expect_err "loco: '$W/Modelfile3': line 2: unknown instruction 'FORM'; did you mean 'FROM'?"

t "setup registers installed packages"
script '{"models":[{"name":"qwen3:4b-instruct-2507-q4_K_M","architecture":"qwen3"}]}'
run_loco setup --quiet
expect_rc 0
expect_out_has "adapter solver: loco-solver:1.0.0-qwen3-4b-instruct-2507-q4_K_M created"
expect_out_has "adapter mine: loco-mine:1.0.0-qwen3-4b-instruct-2507-q4_K_M created"
expect_eq "$(req 'reqs.filter(r => r.method === "POST" && r.path.startsWith("/api/blobs")).length')" 3 "uploads: solver 1.0.0 and 1.2.0, mine"

area_end
