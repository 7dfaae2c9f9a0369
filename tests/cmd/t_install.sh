#!/bin/sh
# t_install.sh: make install into a fresh prefix; the installed loco finds
# its default registry there.  Built in a build directory of its own so the
# working tree's ./loco is left alone.
. "$TOP/tests/cmd/lib.sh"
area_begin install

t "make install PREFIX=..."
P="$W/prefix"
make -s --no-print-directory -C "$TOP" install PREFIX="$P" BUILD="$W/build" PROG="$W/build/loco" >"$W/out" 2>"$W/err"
RC=$?
expect_rc 0
for f in bin/loco share/man/man1/loco.1 share/man/man5/loco.yaml.5 \
    share/man/man5/loco-registry.5 share/man/man5/loco-adapter.5 \
    share/man/man5/loco-benchmark.5 share/loco/adapters/registry.yaml \
    share/loco/modelfiles/math.Modelfile; do
	if [ -f "$P/$f" ]; then pass; else fail "$f not installed"; fi
done
if [ -x "$P/bin/loco" ]; then pass; else fail "bin/loco not executable"; fi

t "the completion scripts are installed where bash-completion and zsh look"
BC="$P/share/bash-completion/completions/loco"
ZC="$P/share/zsh/site-functions/_loco"
"$P/bin/loco" completion bash >"$W/expected"
if cmp -s "$W/expected" "$BC"; then pass; else fail "bash completion not installed as printed"; fi
"$P/bin/loco" completion zsh >"$W/expected"
if cmp -s "$W/expected" "$ZC"; then pass; else fail "zsh completion not installed as printed"; fi
if [ -f /usr/share/bash-completion/bash_completion ]; then
	# bash-completion finds it through XDG_DATA_DIRS, on the first TAB.
	XDG_DATA_DIRS="$P/share" bash --norc --noprofile -c '
		. /usr/share/bash-completion/bash_completion
		_completion_loader loco
		complete -p loco' >"$W/out" 2>"$W/err"
	RC=$?
	expect_rc 0
	expect_out "complete -F _loco loco"
fi

t "the installed loco uses the installed registry"
rm -rf "$LOCO_HOME/adapters"
mkdir -p "$W/elsewhere" && cd "$W/elsewhere" || exit 1
"$P/bin/loco" route --json "Solve for x" >"$W/out" 2>"$W/err"
RC=$?
expect_rc 0
expect_eq "$(json 'out.adapter')" math "routed with the installed registry"
cd "$W" || exit 1

t "DESTDIR stages the same tree"
make -s --no-print-directory -C "$TOP" install PREFIX=/opt/loco DESTDIR="$W/stage" BUILD="$W/build2" PROG="$W/build2/loco" >"$W/out" 2>"$W/err"
RC=$?
expect_rc 0
if [ -x "$W/stage/opt/loco/bin/loco" ] && [ -f "$W/stage/opt/loco/share/loco/adapters/registry.yaml" ]; then pass; else fail "staged tree"; fi
if strings "$W/stage/opt/loco/bin/loco" | grep -qx /opt/loco/share/loco/adapters/registry.yaml; then pass; else fail "data directory compiled in"; fi

t "make uninstall removes what install put there"
make -s --no-print-directory -C "$TOP" uninstall PREFIX="$P" >"$W/out" 2>"$W/err"
RC=$?
expect_rc 0
for f in bin/loco share/man/man1/loco.1 share/loco "${BC#"$P"/}" "${ZC#"$P"/}"; do
	if [ -e "$P/$f" ]; then fail "$f left behind"; else pass; fi
done

area_end
