#!/bin/sh
# t_modelfiles.sh: modelfiles/ holds exactly the Modelfiles that
# `loco modelfile` prints for the shipped registry ('make modelfiles').
. "$TOP/tests/cmd/lib.sh"
area_begin modelfiles

t "one up-to-date Modelfile per shipped adapter"
names=$(sed -n 's/^  - name: \(.*\)$/\1/p' "$TOP/adapters/registry.yaml")
for a in $names; do
	run_loco --registry "$TOP/adapters/registry.yaml" modelfile "$a"
	expect_rc 0
	if cmp -s "$W/out" "$TOP/modelfiles/$a.Modelfile"; then pass; else
		fail "modelfiles/$a.Modelfile is out of date: run 'make modelfiles'"
	fi
done
for f in "$TOP"/modelfiles/*.Modelfile; do
	a=$(basename "$f" .Modelfile)
	if echo "$names" | grep -qx "$a"; then pass; else fail "$f has no adapter in the registry"; fi
done

t "usage and unknown adapters"
run_loco modelfile
expect_rc 2
expect_err "loco: no adapter given
usage: loco modelfile name"
run_loco modelfile math code
expect_rc 2
expect_err "loco: give one adapter name
usage: loco modelfile name"
run_loco modelfile -x math
expect_rc 2
expect_err "loco: unknown option '-x'
usage: loco modelfile name"
run_loco modelfile --helpp
expect_rc 2
expect_err "loco: unknown option '--helpp'; did you mean '--help'?
usage: loco modelfile name"
run_loco --registry "$W/nowhere.yaml" modelfile -h
expect_rc 0
expect_err_empty
expect_out "usage: loco modelfile name

print the Ollama Modelfile of an adapter.

  name               an adapter, or name@version"
run_loco modelfile nope
expect_rc 2
expect_err "loco: no adapter named 'nope' in '$LOCO_HOME/adapters/registry.yaml'; see 'loco adapters list'"

area_end
