#!/bin/sh
# t_completion.sh: loco completion bash|zsh and the loco __complete it
# calls: the scripts load cleanly (bash with and without bash-completion,
# set -u; zsh when installed) and complete commands, options, values,
# subcommands and the adapters of the registry in use (LOCO_HOME,
# --registry, registry.path, installed packages).  And the terminal rule:
# no escape sequences on stderr unless it is a terminal whose TERM is
# not dumb.
. "$TOP/tests/cmd/lib.sh"
area_begin completion

BASH_COMPLETION=/usr/share/bash-completion/bash_completion
PATH="$(dirname "$LOCO"):$PATH"
export PATH

# comp [--bc] WORD...: complete the last word of "loco WORD..." in a fresh
# bash (with bash-completion loaded for --bc); COMPREPLY sorted on stdout,
# one a line, bash's complaints on stderr.
comp() {
	_pre=:
	if [ "$1" = --bc ]; then
		_pre=". $BASH_COMPLETION"
		shift
	fi
	bash --norc --noprofile -c '
		set -u
		'"$_pre"'
		. "$1"
		shift
		COMP_WORDS=(loco "$@")
		COMP_CWORD=$#
		COMP_LINE="loco $*"
		COMP_POINT=${#COMP_LINE}
		_loco
		printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort
	' bash "$W/loco.bash" "$@" >"$W/out" 2>"$W/err" </dev/null
	RC=$?
}

# expect_words WORD...: stdout holds exactly these lines, sorted.
expect_words() {
	printf '%s\n' "$@" | LC_ALL=C sort >"$W/expected"
	if cmp -s "$W/expected" "$W/out"; then pass; else
		fail "candidates differ"; diff "$W/expected" "$W/out" | head -10 | sed 's/^/  /'
	fi
}

SHIPPED="analysis
code
math
writing"

t "loco completion bash prints a script that loads cleanly"
run_loco completion bash
expect_rc 0
expect_err_empty
cp "$W/out" "$W/loco.bash"
bash --norc --noprofile -c 'set -u; . "$1"; complete -p loco' bash "$W/loco.bash" >"$W/out" 2>"$W/err"
RC=$?
expect_rc 0
expect_out "complete -F _loco loco"
expect_err_empty

t "commands"
comp qu
expect_rc 0
expect_words query
expect_err_empty
comp ""
expect_eq "$(wc -l <"$W/out")" "$("$LOCO" help | sed -n '/^commands:$/,/^$/p' | grep -c '^  [a-z]')" "every command"
comp rou
expect_words route router

t "options and their values"
comp query --ad
expect_words --adapter
comp query --no
expect_words --no-reread --no-think --no-tools
comp query --adapter ""
expect_words $SHIPPED auto none
comp eval --format ""
expect_words table json markdown junit
comp router eval --router ""
expect_words keyword classifier auto
comp query --vote-method m
expect_words majority medoid
comp config inference.re
expect_words inference.reread
comp completion ""
expect_words bash zsh
comp leaderboard --format ""
expect_words table markdown json html
comp report --format=m
expect_words markdown
comp report --f
expect_words --format
comp help con
expect_words config
comp -
expect_words --backend --registry --help --version
comp --backend ""
expect_words ollama llama-server openai

t "bash splits --adapter=m at the ="
comp query --adapter = m
expect_words math
comp query --adapter =
expect_words $SHIPPED auto none

t "subcommands and their arguments"
comp adapters ""
expect_words list search info install update remove add convert promote
comp router ""
expect_words train eval
comp adapters info ""
expect_words $SHIPPED
for sub in remove update promote; do
	comp adapters "$sub" w
	expect_words writing
done
comp modelfile c
expect_words code
comp adapters list ""
expect_words --host --json

t "file arguments"
mkdir "$W/files" && : >"$W/files/labels.tsv" && mkdir "$W/files/runs"
cd "$W/files" || exit 1
comp router eval l
expect_words labels.tsv
comp router train --out ""
expect_words labels.tsv runs
comp eval --output ""
expect_words runs
comp report l
expect_words labels.tsv
comp --registry ""
expect_words labels.tsv runs
cd "$W" || exit 1

if [ -f "$BASH_COMPLETION" ]; then
	t "with bash-completion loaded"
	comp --bc query --adapter ""
	expect_rc 0
	expect_words $SHIPPED auto none
	expect_err_empty
	cd "$W/files" || exit 1
	comp --bc eval --output ""
	expect_words runs
	comp --bc router eval l
	expect_words labels.tsv
	cd "$W" || exit 1
else
	echo "completion: $BASH_COMPLETION not found: skipped the checks with bash-completion"
fi

t "the registry in use: --registry, registry.path, installed packages"
cat >"$W/poems.yaml" <<'YAML'
base_model:
  name: Qwen3-4B
  tag: qwen3:4b-instruct-2507-q4_K_M
domains: [poetry]
adapters:
  - name: sonnet
    version: 2.0.0
    domain: poetry
    type: prompt
    description: fourteen lines
    system: Write a sonnet.
YAML
comp --registry "$W/poems.yaml" query --adapter ""
expect_words sonnet auto none
comp --registry="$W/poems.yaml" modelfile ""
expect_words sonnet
comp query --registry "$W/poems.yaml" --adapter ""
expect_words $SHIPPED auto none
comp --registry "$W/poems.yaml" leaderboard --domain ""
expect_words poetry
printf 'registry:\n  path: %s\n' "$W/poems.yaml" >"$LOCO_HOME/config.yaml"
comp modelfile ""
expect_words sonnet
rm "$LOCO_HOME/config.yaml"
run_loco modelfile writing
cp "$W/out" "$W/terse.Modelfile"
run_loco adapters add --domain writing --modelfile "$W/terse.Modelfile" terse
expect_rc 0
comp adapters remove t
expect_words terse
comp adapters remove terse@
expect_words terse@1.0.0
run_loco adapters remove --keep-model terse
expect_rc 0
comp adapters remove t
expect_words
t "no registry: no adapters, no complaint"
mv "$LOCO_HOME/adapters/registry.yaml" "$W/registry.yaml"
comp --registry "$W/nonexistent.yaml" modelfile ""
expect_rc 0
expect_words
expect_err_empty
mv "$W/registry.yaml" "$LOCO_HOME/adapters/registry.yaml"

t "completing asks no server"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M"]}'
comp query --adapter ""
comp adapters list --host ""
expect_eq "$(wc -l <"$B/requests.jsonl")" 0 "requests to the backend"

t "__complete's own output: kind, then candidates with descriptions"
run_loco __complete -- query --ad
expect_rc 0
expect_out "words
--adapter	use this adapter; auto (default) routes, none uses the base model"
run_loco __complete -- router train --out ""
expect_out "files"
run_loco __complete -- query --adapter "\"ma"
expect_out "words
math	arithmetic, algebra, calculus and word problems, worked step by step"
run_loco __complete query
expect_rc 2
expect_err "usage: loco __complete -- word ...
       loco __complete --options"
run_loco __complete --options query
expect_rc 2
run_loco __complete --bogus
expect_rc 2
expect_err_has "loco: unknown option '--bogus'"

t "__complete --options: every table's options, tab-separated"
run_loco __complete --options
expect_rc 0
TAB=$(printf '\t')
grep "^leaderboard\($TAB\|$\)" "$W/out" >"$W/lb"
expect_eq "$(cat "$W/lb")" "leaderboard
leaderboard$TAB--domain${TAB}domain
leaderboard$TAB--format${TAB}format
leaderboard$TAB--json$TAB" "leaderboard's lines"
expect_eq "$(grep -c "^$TAB--" "$W/out")" 4 "loco's own options"
if grep -q "^$TAB--registry${TAB}file\$" "$W/out"; then pass; else fail "no --registry file line"; fi
run_loco help
if grep -q __complete "$W/out"; then fail "loco help lists __complete"; else pass; fi

t "zsh"
run_loco completion zsh
expect_rc 0
cp "$W/out" "$W/_loco"
if head -n 1 "$W/_loco" | grep -qx '#compdef loco'; then pass; else fail "no #compdef line"; fi
if command -v zsh >/dev/null 2>&1; then
	zsh -n "$W/_loco" >"$W/out" 2>"$W/err"
	RC=$?
	expect_rc 0
	expect_err_empty
	# Completion widgets need a terminal; stand-ins for the completion
	# system's functions show what the script hands it.
	zcomp() {
		zsh -f -c '
			compdef() { print -r -- "compdef $*" }
			compset() { [[ $PREFIX == *=* ]] && PREFIX=${PREFIX#*=} }
			_describe() { print -rl -- "${(@P)${@[-1]}}" }
			_files() { print -r -- "_files $*" }
			source "$1"
			shift
			words=(loco "$@")
			CURRENT=$#words
			PREFIX=${words[-1]}
			_loco
		' zsh "$W/_loco" "$@" >"$W/out" 2>"$W/err" </dev/null
		RC=$?
	}
	zcomp qu
	expect_rc 0
	expect_out "compdef _loco loco
query:route a question, build the prompt and stream the answer"
	zcomp query --adapter=wr
	expect_out "compdef _loco loco
writing:essays, emails, summaries, rewriting and proofreading"
	zcomp eval --output ""
	expect_out "compdef _loco loco
_files -/"
	zcomp --registry "$W/poems.yaml" adapters info ""
	expect_out "compdef _loco loco
sonnet:fourteen lines"
	expect_err_empty
else
	echo "completion: zsh not installed: skipped the zsh checks"
fi

t "usage errors"
run_loco completion fish
expect_rc 2
expect_err "loco: unknown shell 'fish': choose bash or zsh
usage: loco completion bash | zsh"
expect_out_empty
run_loco completion
expect_rc 2
expect_err "loco: no shell given: choose bash or zsh
usage: loco completion bash | zsh"
run_loco completion bash zsh
expect_rc 2
expect_err "loco: give one shell: bash or zsh
usage: loco completion bash | zsh"

# The terminal rule.  ESC is the escape byte; CR rewrites a line.
ESC=$(printf '\033')
CR=$(printf '\r')
MODELS='"models":["qwen3:4b-instruct-2507-q4_K_M","loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"]'
VOTE="{$MODELS,\"chat\":[{\"reply\":\"The answer is 7\"}]}"

t "stderr not a terminal: no escape sequences, no rewritten lines"
for term in xterm dumb; do
	script "$VOTE"
	TERM=$term run_loco query --votes 3 --seed 1 "What is 3 + 4?"
	expect_rc 0
	if grep -q "[$ESC$CR]" "$W/err"; then fail "TERM=$term: escape or CR on stderr"; else pass; fi
done
script '{"models":[],"pullable":[{"name":"qwen3:4b-instruct-2507-q4_K_M","architecture":"qwen3"}]}'
TERM=xterm run_loco setup
expect_rc 0
if grep -q "[$ESC$CR]" "$W/err"; then fail "setup: escape or CR on stderr"; else pass; fi

# On a terminal (script(1) gives one): the vote counter rewrites its line,
# unless TERM is dumb or unset.  NO_COLOR is about colour, not progress.
if command script -qec true /dev/null >/dev/null 2>&1; then
	t "stderr a terminal: the vote counter, unless TERM=dumb"
	# onpty TERM NO_COLOR: a voted query on a terminal, its screen in $W/out.
	onpty() {
		script "$VOTE"
		TERM=$1 NO_COLOR=$2 command script -qec \
		    "loco query --votes 3 --seed 1 'What is 3 + 4?'" /dev/null \
		    >"$W/out" 2>"$W/err" </dev/null
		RC=$?
	}
	onpty xterm ""
	expect_rc 0
	if grep -q "voting: .*$ESC\[K" "$W/out"; then pass; else fail "TERM=xterm: no vote counter"; fi
	onpty xterm 1
	if grep -q "voting: .*$ESC\[K" "$W/out"; then pass; else fail "NO_COLOR=1: no vote counter"; fi
	onpty dumb ""
	expect_rc 0
	if grep -q "$ESC" "$W/out"; then fail "TERM=dumb: escape sequence"; else pass; fi
	if grep -q "voting:" "$W/out"; then fail "TERM=dumb: vote counter"; else pass; fi
	expect_out_has "The answer is 7"
else
	echo "completion: script(1) cannot make a terminal: skipped the terminal checks"
fi

area_end
