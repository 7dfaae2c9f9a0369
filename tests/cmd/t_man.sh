#!/bin/sh
# t_man.sh: the manual against the program.  The pages lint clean; every
# usage line loco prints is its SYNOPSIS line in loco.1 and the other way
# round; each command's options are described under COMMANDS, every option
# of the tables with its value's name, and none that they lack; every
# configuration key is in loco.yaml(5) and every exit status in loco.1; and
# the EXAMPLES of loco.1 run.
#
# Examples are the lines of the rendered EXAMPLES section that begin with
# "$ ".  Each runs with sh -c, with loco on PATH, against the scripted
# backend, and must exit 0.  The lines right after a command, up to a blank
# line, are its output as the page shows it: stdout must match them, white
# space aside.  So show output only where it is deterministic.
. "$TOP/tests/cmd/lib.sh"
area_begin man

MAN1=$TOP/man/loco.1
MAN5=$TOP/man/loco.yaml.5
BS=$(printf '\b')

# render PAGE: plain text, no overstrike, no line wrapping.
render() {
	mandoc -Tascii -O width=1000 "$1" | sed "s/.$BS//g"
}

# noio: checks that follow read no command's output; show none on failure.
noio() {
	: >"$W/out"
	: >"$W/err"
}

# squeeze: runs of white space to one space, none at the ends.
squeeze() {
	sed 's/[[:space:]][[:space:]]*/ /g; s/^ //; s/ $//'
}

# section NAME: the body of one section of the rendered loco.1.
section() {
	awk -v s="$1" '/^[A-Z]/ { on = ($0 == s); next } on' "$W/loco.txt"
}

render "$MAN1" >"$W/loco.txt"
section SYNOPSIS | squeeze | sed '/^$/d' >"$W/synopsis"
section COMMANDS >"$W/commands"

t "man pages lint clean"
make -s --no-print-directory -C "$TOP" lint >"$W/out" 2>"$W/err"
RC=$?
expect_rc 0
expect_out_empty
expect_err_empty

t "global usage is the first SYNOPSIS line"
run_loco --help
expect_rc 0
expect_eq "$(head -n 1 "$W/out")" "usage: $(head -n 1 "$W/synopsis")" "loco --help"
help_all=$(cat "$W/out")
run_loco help
expect_rc 0
expect_out "$help_all"
run_loco -h
expect_rc 0
expect_out "$help_all"

# The commands loco knows, from the list in its help.
run_loco help
sed -n '/^commands:$/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' "$W/out" >"$W/cmds"
t "loco help lists commands"
noio
if [ -s "$W/cmds" ]; then pass; else fail "no commands found in 'loco help'"; fi

for cmd in $(cat "$W/cmds"); do
	t "$cmd: usage line is its SYNOPSIS line"
	syn=$(grep "^loco $cmd\( \|$\)" "$W/synopsis" | head -n 1)
	if [ -z "$syn" ]; then
		noio
		fail "loco.1 has no SYNOPSIS line for '$cmd'"
		continue
	fi
	run_loco "$cmd" -h
	expect_rc 0
	expect_eq "$(head -n 1 "$W/out")" "usage: $syn" "loco $cmd -h"
	cmd_help=$(cat "$W/out")

	t "$cmd: loco help $cmd is loco $cmd -h"
	run_loco help "$cmd"
	expect_rc 0
	expect_out "$cmd_help"

	t "$cmd: described under COMMANDS with all its options"
	awk -v c="$cmd" '
		/^     [a-z]/ { on = (index($0, "     " c " ") == 1 ||
		    $0 == "     " c) }
		on' "$W/commands" >"$W/item"
	if [ ! -s "$W/item" ]; then
		fail "loco.1 COMMANDS has no entry for '$cmd'"
		continue
	fi
	expect_eq "$(head -n 1 "$W/item" | squeeze)" "${syn#loco }" \
	    "COMMANDS heading for '$cmd'"
	for opt in $(printf '%s\n' "$cmd_help" | sed 1d |
	    grep -o -- '--[a-z][a-z-]*' | sort -u); do
		if grep -q -- "$opt\([^a-z-]\|$\)" "$W/item"; then pass; else
			fail "option '$opt' of '$cmd' is not described under COMMANDS"
		fi
	done
done

# The tables of options against loco.1: every option of a table
# (__complete --options lists them) has an ".It Fl -name Ar meta" in its
# command's item of COMMANDS (loco's own in the list of global options),
# and loco.1 documents no option, in a heading or an .It, that the table
# lacks.
cat >"$W/manopts.awk" <<'AWK'
# The options loco.1 documents: "KEY<TAB>-opt<TAB>meta<TAB>where" for the
# global options ("" key, from the list after "The global options") and for
# each item of COMMANDS: where is "head" in its heading, "it" in an .It of
# its option list, "lead" bare in its heading (a required option, or the
# lead of a form: "router eval --oracle"); and "KEY<TAB><TAB><TAB>item"
# for each item.
function opts(line, key, where,    n, tok, i, j, meta, w) {
	sub(/^\./, "", line)
	n = split(line, tok, /[ \t]+/)
	for (i = 1; i < n; i++) {
		if (tok[i] != "Fl")
			continue
		meta = ""
		for (j = i + 2; j <= n; j++) {
			if (tok[j] == "Ns" || tok[j] == "Op" || tok[j] == "Oo" ||
			    tok[j] == "=")
				continue
			if (tok[j] == "Ar" && j < n)
				meta = tok[j + 1]
			# "Ar backend : Ns Ar model"
			if (meta != "" && tok[j + 2] == ":" &&
			    tok[j + 3] == "Ns" && tok[j + 4] == "Ar")
				meta = meta ":" tok[j + 5]
			break
		}
		# Bare in a heading, not in Op: a required option or the
		# lead of a form, which the item itself describes.
		w = where
		if (w == "head" && (i == 1 || (tok[i - 1] != "Op" &&
		    tok[i - 1] != "Oo" && tok[i - 1] != "|")))
			w = "lead"
		print key "\t-" tok[i + 1] "\t" meta "\t" w
	}
}
function cmkey(line,    n, tok, i, k) {
	sub(/^\./, "", line)
	n = split(line, tok, /[ \t]+/)
	for (i = 1; i <= n && tok[i] != "Cm"; i++)
		;
	k = ""
	for (i++; i <= n; i++) {
		if (tok[i] ~ /^[A-Z][a-z]$/ || tok[i] == "|")
			break
		k = k (k == "" ? "" : " ") tok[i]
	}
	return k
}
/^\.Sh / { sec = $2; next }
sec == "DESCRIPTION" && /^The global options/ { glob = 1; next }
glob && /^\.Bl/ { gdepth++; next }
glob && /^\.El/ { if (--gdepth == 0) glob = 0; next }
glob && gdepth == 1 && /^\.It / { opts($0, "", "it"); next }
sec != "COMMANDS" { next }
/^\.Bl/ { depth++; next }
/^\.El/ { depth--; next }
depth == 1 && /^\.It Xo/ { inhead = 1; key = ""; next }
inhead && /^\.Xc/ { inhead = 0; next }
inhead {
	if (key == "" && $1 == ".Cm") {
		key = cmkey($0)
		print key "\t\t\titem"
	} else
		opts($0, key, "head")
	next
}
depth == 1 && /^\.It / {
	key = cmkey($0)
	print key "\t\t\titem"
	opts($0, key, "head")
	next
}
depth == 2 && /^\.It / && key != "" { opts($0, key, "it") }
AWK
cat >"$W/cmpopts.awk" <<'AWK'
# Compare the tables (file 1: __complete --options) with loco.1 (file 2:
# manopts): "pass" or "fail MESSAGE" a line.
function label(k) { return k == "" ? "loco's own options" : "'loco " k "'" }
FNR == NR {
	if (NF == 0 || index($0, "\t") == 0) { keys[$0] = 1; next }
	keys[$1] = 1
	topt[$1 "\t" $2] = $3
	order[++ntab] = $1 "\t" $2
	next
}
{
	# The table key of this item: the longest that is it or a prefix.
	t = $1
	while (!(t in keys) && t ~ / /)
		sub(/ [^ ]*$/, "", t)
	if (!(t in keys)) {
		untabled[$1] = 1
		next
	}
	seen[t] = 1
	if ($4 == "item")
		next
	if (!((t "\t" $2) in topt)) {
		print "fail loco.1 documents " $2 " for 'loco " $1 "', which its table lacks"
		next
	}
	if ($4 == "it" || $4 == "lead") {
		described[t "\t" $2] = 1
		if ($3 != topt[t "\t" $2])
			print "fail loco.1 gives " $2 " of " label(t) " the value '" $3 "', its table '" topt[t "\t" $2] "'"
		else
			print "pass"
	} else if ($3 != topt[t "\t" $2])
		print "fail the heading of 'loco " $1 "' gives " $2 " the value '" $3 "', its table '" topt[t "\t" $2] "'"
}
END {
	for (i = 1; i <= ntab; i++) {
		split(order[i], f, "\t")
		if (order[i] in described)
			print "pass"
		else
			print "fail " f[2] " of " label(f[1]) " has no '.It Fl " substr(f[2], 2) (topt[order[i]] == "" ? "" : " Ar " topt[order[i]]) "' in loco.1"
	}
	for (k in keys)
		if (k != "" && !(k in seen))
			print "fail 'loco " k "' has a table but no entry under COMMANDS"
}
AWK

t "every option of the tables is described in loco.1, and no other"
run_loco __complete --options
expect_rc 0
cp "$W/out" "$W/table"
noio
awk -f "$W/manopts.awk" "$MAN1" >"$W/manopts"
awk -F '\t' -f "$W/cmpopts.awk" "$W/table" "$W/manopts" >"$W/results"
[ -s "$W/results" ] || fail "no options compared"
while read -r verdict msg; do
	if [ "$verdict" = pass ]; then pass; else fail "$msg"; fi
done <"$W/results"
# Every command has its table (modelfile's and help's list no options,
# only their name): one missing here would not be compared with loco.1.
for cmd in $(cat "$W/cmds"); do
	if grep -q "^$cmd\( \|\$\)" "$W/table"; then pass; else
		fail "'$cmd' has no table of options: not compared with loco.1"; fi
done

t "every SYNOPSIS line is a command"
noio
sed 1d "$W/synopsis" | while read -r _loco cmd _rest; do
	if [ "$_loco" = loco ] && grep -qxF -- "$cmd" "$W/cmds"; then
		echo pass
	else
		echo "fail SYNOPSIS line for unknown command '$cmd'"
	fi
done >"$W/results"
while read -r verdict msg; do
	if [ "$verdict" = pass ]; then pass; else fail "$msg"; fi
done <"$W/results"

t "every configuration key is in loco.yaml(5)"
run_loco config
expect_rc 0
awk '{ print $1 }' "$W/out" >"$W/keys"
noio
for key in $(cat "$W/keys"); do
	if grep -qxF ".It Cm $key" "$MAN5"; then pass; else
		fail "key '$key' has no '.It Cm $key' in loco.yaml.5"
	fi
done

t "every key in loco.yaml(5) exists"
for key in $(sed -n '/^\.Sh KEYS/,/^\.Sh /s/^\.It Cm \([^ ]*\)$/\1/p' "$MAN5"); do
	run_loco config "$key"
	if [ "$RC" -eq 0 ]; then pass; else
		fail "loco.yaml.5 documents '$key', which 'loco config' does not know"
	fi
done

t "every exit status is in EXIT STATUS"
noio
section "EXIT STATUS" | squeeze >"$W/exit"
codes=$(sed -n 's/^[[:space:]]*EXIT_[A-Z]* = \([0-9][0-9]*\).*/\1/p' "$TOP/include/error.h")
[ -n "$codes" ] || fail "no exit codes found in include/error.h"
for code in $codes; do
	if grep -q "^$code " "$W/exit"; then pass; else
		fail "exit status $code is not in loco.1 EXIT STATUS"
	fi
done
for code in $(sed -n 's/^\([0-9][0-9]*\) .*/\1/p' "$W/exit"); do
	if printf '%s\n' $codes | grep -qx "$code"; then pass; else
		fail "loco.1 documents exit status $code, which error.h lacks"
	fi
done

# Examples: N.cmd holds a command, N.exp the output the page shows.
mkdir "$W/ex"
section EXAMPLES | awk -v dir="$W/ex" '
	{ line = $0; sub(/^[ \t]+/, "", line) }
	line ~ /^\$ / {
		n++; out = 1
		print substr(line, 3) > (dir "/" n ".cmd")
		printf "" > (dir "/" n ".exp")
		next
	}
	line == "" { out = 0; next }
	out { print line > (dir "/" n ".exp") }'

t "loco.1 has examples"
noio
n=$(ls "$W/ex" | grep -c '\.cmd$')
if [ "$n" -ge 5 ]; then pass; else fail "only $n examples found in EXAMPLES"; fi

script '{"models":["qwen3:4b-instruct-2507-q4_K_M","loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-analysis:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-writing:1.0.0-qwen3-4b-instruct-2507-q4_K_M"]}'
i=1
while [ -f "$W/ex/$i.cmd" ]; do
	cmd=$(cat "$W/ex/$i.cmd")
	t "example: $cmd"
	PATH="$TOP:$PATH" sh -c "$cmd" >"$W/out" 2>"$W/err" </dev/null
	RC=$?
	expect_rc 0
	if [ -s "$W/ex/$i.exp" ]; then
		squeeze <"$W/ex/$i.exp" >"$W/expected"
		squeeze <"$W/out" >"$W/actual"
		if cmp -s "$W/expected" "$W/actual"; then pass; else
			fail "output differs from the page"
			diff "$W/expected" "$W/actual" | head -10 | sed 's/^/  /'
		fi
	fi
	i=$((i + 1))
done

area_end
