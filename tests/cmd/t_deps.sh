#!/bin/sh
# t_deps.sh: .ci/deps, which `make demo` and `make check-all` run first:
# on this machine (CI's, after it ran) nothing is missing; with libraries
# or commands taken away it names the Debian packages, and as a user who
# is not root it stops with the one command to run, installing nothing.
. "$TOP/tests/cmd/lib.sh"
area_begin deps

t "nothing to install here"
(cd "$TOP" && sh .ci/deps --check check) >"$W/out" 2>"$W/err"
RC=$?
expect_rc 0
expect_out "deps: nothing to install for check"
expect_err_empty
(cd "$TOP" && sh .ci/deps --ensure check) >"$W/out" 2>"$W/err"
RC=$?
expect_rc 0
expect_out_empty
expect_err_empty

t "missing libraries are named by their packages"
(cd "$TOP" && PKG_CONFIG=false sh .ci/deps --check build) >"$W/out" 2>"$W/err"
RC=$?
expect_rc 1
expect_out "deps: to install with apt-get: libcurl4-openssl-dev libcjson-dev libyaml-dev libarchive-dev libssl-dev libpcre2-dev libedit-dev"

t "missing commands, as a user: the one command to run, nothing done"
# A PATH with everything the check uses but tmux and mandoc (and then,
# for one check, chromium).
mkdir "$W/bin"
for c in sh dirname id cc make pkg-config node npm python3 zsh curl cmake git \
    clang sha256sum cut chromium; do
	p=$(command -v "$c") && ln -s "$p" "$W/bin/$c"
done
chmod 755 "$W"
(cd "$TOP" && PATH=$W/bin sh .ci/deps --check check) >"$W/out" 2>"$W/err"
RC=$?
expect_rc 1
expect_out_has "deps: to install with apt-get: mandoc tmux"
if grep -q chromium "$W/out"; then fail "chromium named though present"; else pass; fi
# Without chromium too: it is named.
rm -f "$W/bin/chromium"
(cd "$TOP" && PATH=$W/bin sh .ci/deps --check check) >"$W/out" 2>"$W/err"
RC=$?
expect_rc 1
expect_out_has "deps: to install with apt-get: mandoc tmux chromium"
setpriv --reuid=65534 --regid=65534 --clear-groups env PATH="$W/bin" HOME=/nonexistent \
    sh "$TOP/.ci/deps" --ensure check >"$W/out" 2>"$W/err"
RC=$?
expect_rc 1
expect_out_has "deps: to install with apt-get: mandoc tmux"
expect_err "deps: missing what is above; as root, run: sh .ci/deps check"
# make stops before compiling anything.
setpriv --reuid=65534 --regid=65534 --clear-groups env PATH="$W/bin" HOME=/nonexistent \
    make -s -C "$TOP" PKG_CONFIG=false loco >"$W/out" 2>"$W/err"
RC=$?
expect_rc 2
expect_err_has "deps: missing what is above; as root, run: sh .ci/deps build"
if grep -q -- "-c -o" "$W/out" "$W/err"; then fail "make compiled"; else pass; fi

t "usage"
sh "$TOP/.ci/deps" --bogus >"$W/out" 2>"$W/err"
RC=$?
expect_rc 2
expect_err "usage: sh .ci/deps [--check | --ensure] [build | demo | check]"
sh "$TOP/.ci/deps" --check everything >"$W/out" 2>"$W/err"
RC=$?
expect_rc 2
expect_err "deps: 'everything': say build, demo or check"

t "the Makefile rebuilds when the compiler or a flag changes"
# In a copy, with the objects made up to date by hand (make -n compiles
# nothing): the same flags need nothing, another flag every object.
mkdir "$W/tree"
cp -R "$TOP/Makefile" "$TOP/src" "$TOP/include" "$TOP/.ci" "$W/tree/"
nsrc=$(ls "$W/tree/src"/*.c | wc -l)
# The make that runs the tests (make WERROR=1 SANITIZE=... check) puts its
# command-line variables in the environment and MAKEFLAGS: the copy's make
# sees none of them.
tmake() { (cd "$W/tree" && env -i PATH="$PATH" make "$@"); }
tmake -n loco >/dev/null 2>&1
mkdir -p "$W/tree/build/plain"
for f in "$W"/tree/src/*.c; do b=${f##*/}; : >"$W/tree/build/plain/${b%.c}.o"; done
touch "$W/tree/build/plain/.flavour" "$W/tree/loco"
compiles() { tmake -n "$@" loco 2>/dev/null | grep -c -- ' -c -o build/plain/'; }
expect_eq "$(compiles)" 0 "the same flags: nothing to compile"
expect_eq "$(compiles CURL_DLOPEN=0)" "$nsrc" "CURL_DLOPEN=0: every object"
expect_eq "$(compiles CC=clang)" "$nsrc" "another compiler: every object"
expect_eq "$(compiles WERROR=1)" "$nsrc" "WERROR=1: every object"
expect_eq "$(compiles DATADIR=/opt/loco)" "$nsrc" "another data directory: every object"

t "one wrapper module per library: only it includes the library's headers"
# header pattern (grep -E) and the files of src and include that may include
# it (tests may use a library to make their fixtures)
while read -r pat files; do
	got=$(cd "$TOP" && grep -lE "^#[[:space:]]*include[[:space:]]*<($pat)" src/*.c include/*.h 2>/dev/null | tr '\n' ' ' | sed 's/ $//')
	expect_eq "$got" "$files" "<$pat> is included by $files only"
done <<'LIBS'
curl/ src/http.c
cjson/|cJSON src/json.c src/jsonout.c
yaml\.h src/ydoc.c
archive(_entry)?\.h src/package.c
openssl/ src/hash.c
pcre2\.h src/extract.c
histedit\.h|editline/|readline/ src/lineedit.c
LIBS

area_end
