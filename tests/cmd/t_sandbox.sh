#!/bin/sh
# t_sandbox.sh: model code run by loco eval sees only what the interpreter
# needs: no host Unix socket (in /tmp or /run, mode 0777) and no abstract
# one is reachable, a 0600 file in the user's home cannot be read and never
# reaches log.jsonl, /tmp and /run are not there.  doctor and log.jsonl say
# which protections were active, and without the essential ones eval
# refuses (exit 9) unless sandbox.require says otherwise.  As root, the
# same again as a throwaway ordinary user (useradd, runuser), whose
# ~/.ssh/id_rsa is the secret.
. "$TOP/tests/cmd/lib.sh"
area_begin sandbox

if [ ! -x /usr/bin/python3 ]; then
	echo "sandbox: no /usr/bin/python3: skipped"
	area_end
	exit $?
fi

TAG=loco-sbx-$$
MARK="secret-$$-$(date +%s)-do-not-leak"
REALHOME=$(getent passwd "$(id -u)" | cut -d: -f6)
SECRETS="$HOME/.ssh/id_rsa"
mkdir -p "$HOME/.ssh"
printf '%s\n' "$MARK" >"$HOME/.ssh/id_rsa"
chmod 600 "$HOME/.ssh/id_rsa"
# The invoking user's real home too (/root as root), removed at the end.
if [ -n "$REALHOME" ] && [ -d "$REALHOME" ] && [ -w "$REALHOME" ]; then
	REALSECRET="$REALHOME/.$TAG-secret"
	printf '%s\n' "$MARK" >"$REALSECRET"
	chmod 600 "$REALSECRET"
	SECRETS="$SECRETS $REALSECRET"
fi
SOCKS="/tmp/$TAG.sock"
[ -w /run ] && SOCKS="$SOCKS /run/$TAG.sock"
cleanup() {
	rm -f "${REALSECRET:-/nonexistent}" /tmp/$TAG.sock /run/$TAG.sock
	[ -n "${LISTENER:-}" ] && kill "$LISTENER" 2>/dev/null
	[ -n "${SBXUSER:-}" ] && userdel -r "$SBXUSER" 2>/dev/null
}
trap cleanup EXIT

# A listener on each socket (0777) and on an abstract one; each accepted
# connection is a line in accepted.log.
python3 - "$W/accepted.log" "\0$TAG" $SOCKS <<'PY' &
import os, select, socket, sys
log = open(sys.argv[1], "a", buffering=1)
socks = []
for path in sys.argv[2:]:
    s = socket.socket(socket.AF_UNIX)
    s.bind(path.replace("\\0", "\0"))
    if not path.startswith("\\0"):
        os.chmod(path, 0o777)
    s.listen(8)
    socks.append(s)
open(sys.argv[1] + ".ready", "w").close()
while True:
    for s in select.select(socks, [], [])[0]:
        c, _ = s.accept()
        log.write("accepted %r\n" % (s.getsockname(),))
        c.close()
PY
LISTENER=$!
i=0
while [ ! -e "$W/accepted.log.ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

# The candidates: each reports what it saw as the exception that fails
# its case, which loco keeps as the case's reason in log.jsonl.
cat >"$W/secret.py" <<PY
seen = []
for p in "$SECRETS".split():
    try:
        with open(p) as f:
            seen.append("read:" + f.read().strip())
    except OSError as e:
        seen.append(type(e).__name__)
raise Exception("REPORT " + " ".join(seen))
PY
cat >"$W/sockets.py" <<PY
import errno, socket
seen = []
for p in "$SOCKS".split() + ["\\0$TAG"]:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(p)
        seen.append("connected")
    except OSError as e:
        seen.append(errno.errorcode.get(e.errno, str(e.errno)))
raise Exception("REPORT " + " ".join(seen))
PY
cat >"$W/root.py" <<'PY'
import os
raise Exception("REPORT " + " ".join(sorted(os.listdir("/"))) + " | " +
    " ".join(sorted(os.listdir("/dev"))) + " | " + " ".join(sorted(os.listdir("/etc"))))
PY

# Controls: outside the sandbox the same code reads the secrets and
# reaches every socket, so the checks below can fail.
t "controls: unsandboxed, the probes succeed"
(cd "$W" && python3 secret.py 2>&1 | tail -n 1) >"$W/out"
expect_out_has "read:$MARK"
(cd "$W" && python3 sockets.py 2>&1 | tail -n 1) >"$W/out"
expect_eq "$(sed 's/.*REPORT //' "$W/out")" "$(for s in $SOCKS x; do printf 'connected '; done | sed 's/ $//')" "host connects"
: >"$W/accepted.log"

# mkcode DIR: DIR/code.jsonl (a case per probe) and the backend's script
# answering each with its probe's code.
mkcode() {
	node -e '
		const fs = require("fs"), w = process.argv[1], out = process.argv[2];
		const probes = ["secret", "sockets", "root"];
		const lines = probes.map((p) => JSON.stringify({ id: p, instruction: `Probe ${p}.`,
		    expected_output: "", evaluation_type: "code_execution",
		    evaluation_config: { language: "python", entry_point: "f", tests: "assert True" } }));
		fs.writeFileSync(out + "/code.jsonl", lines.join("\n") + "\n");
		const chat = probes.map((p) => ({ match: { contains: `Probe ${p}.` },
		    reply: "```python\n" + fs.readFileSync(w + "/" + p + ".py", "utf8") + "```" }));
		fs.writeFileSync(out + "/script.json", JSON.stringify({ models: ["qwen3:4b-instruct-2507-q4_K_M"], chat }));
	' "$W" "$1"
}
mkcode "$W"
script "$(cat "$W/script.json")"

# reason RUN ID: the reason log.jsonl gives for case ID.
reason() {
	node -e '
		const l = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map(JSON.parse);
		const c = l.find((o) => o.id === process.argv[2]);
		process.stdout.write(c ? String(c[process.argv[3] || "reason"]) : "no case");
	' "$1/log.jsonl" "$2" "$3"
}

# The root the program sees: the host's program directories and links.
ROOTLS=$( (for d in bin lib lib32 lib64 libx32 sbin usr; do [ -e "/$d" ] && echo $d; done; echo dev; echo etc; echo proc; echo scratch) | sort | tr '\n' ' ' | sed 's/ $//')
ETCLS=$( (for f in ld.so.cache localtime; do [ -f "/etc/$f" ] && echo $f; done) | sort | tr '\n' ' ' | sed 's/ $//')

# check_run RUN WHO: the probes of a run failed as they must.
check_run() {
	nf=$(echo $SECRETS | wc -w)
	expect_eq "$(reason "$1" secret)" "exit status 1: Exception: REPORT $(for s in $SECRETS; do printf 'FileNotFoundError '; done | sed 's/ $//')" "$2: secrets"
	expect_eq "$(reason "$1" sockets)" "exit status 1: Exception: REPORT $(for s in $SOCKS; do printf 'ENOENT '; done)ECONNREFUSED" "$2: sockets"
	expect_eq "$(reason "$1" root)" "exit status 1: Exception: REPORT $ROOTLS | fd null random stderr stdin stdout urandom zero | $ETCLS" "$2: the root"
	expect_eq "$(reason "$1" root sandbox)" "$3" "$2: protections in log.jsonl"
	expect_eq "$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).sandbox)' "$1/results.json")" "$3" "$2: protections in results.json"
	if grep -rqF "$MARK" "$1"; then fail "$2: the secret reached $1"; else pass; fi
	expect_eq "$(cat "$W/accepted.log")" "" "$2: connections accepted"
}

t "doctor reports the protections"
run_loco doctor
grep -q '^OK      sandbox              pid-namespace net-namespace .*minimal-root$' "$W/out" && pass || fail "doctor: $(grep sandbox "$W/out")"
PROTS=$(sed -n 's/^OK      sandbox              //p' "$W/out")

t "eval: the probes find nothing, and log.jsonl says what contained them"
run_loco eval --base --benchmark "$W/code.jsonl" --output "$W/run1" --no-cache math
expect_rc 0
check_run "$W/run1" root "$PROTS"

t "without an essential protection eval refuses, before any question"
: >"$B/requests.jsonl"
LOCO_SANDBOX_TEST_DISABLE=net-namespace run_loco eval --base --benchmark "$W/code.jsonl" --output "$W/run2" --no-cache math
expect_rc 9
expect_err "loco: refusing to run model code: the sandbox lacks net-namespace, which sandbox.require asks for; to run it with only what is available, set sandbox.require to none (LOCO_SANDBOX_REQUIRE=none)"
expect_eq "$(req 'chats.length')" 0 "questions asked"
LOCO_SANDBOX_TEST_DISABLE="user-namespace uid-nobody minimal-root" run_loco eval --base --benchmark "$W/code.jsonl" --output "$W/run2" --no-cache math
expect_rc 9
expect_err_match "^loco: refusing to run model code: the sandbox lacks minimal-root, user-namespace or uid-nobody, which sandbox.require asks for;"
LOCO_SANDBOX_TEST_DISABLE=net-namespace run_loco doctor
expect_out_has "PROBLEM sandbox              lacks net-namespace; has pid-namespace "
expect_out_has "-> set sandbox.require to none to run model code with only what is available"

t "sandbox.require: none runs with what there is, and says so"
LOCO_SANDBOX_REQUIRE=none LOCO_SANDBOX_TEST_DISABLE=ipc-namespace run_loco eval --base --benchmark "$W/code.jsonl" --output "$W/run3" --no-cache math
expect_rc 0
case $(reason "$W/run3" root sandbox) in
*ipc-namespace*) fail "ipc-namespace recorded though disabled" ;;
*minimal-root*) pass ;;
*) fail "protections: $(reason "$W/run3" root sandbox)" ;;
esac
LOCO_SANDBOX_REQUIRE=none LOCO_SANDBOX_TEST_DISABLE=net-namespace run_loco doctor
expect_out_has "(without net-namespace, as sandbox.require allows)"
echo 'sandbox: {require: "net-namespace ipc-namespace"}' >"$LOCO_HOME/config.yaml"
LOCO_SANDBOX_TEST_DISABLE=ipc-namespace run_loco eval --base --benchmark "$W/code.jsonl" --output "$W/run4" --no-cache math
expect_rc 9
expect_err_match "^loco: refusing to run model code: the sandbox lacks ipc-namespace, "
echo 'sandbox.require: net-namespace, bogus' >"$LOCO_HOME/config.yaml"
run_loco doctor
expect_rc 7
expect_err "loco: $LOCO_HOME/config.yaml:1:18: 'sandbox.require': 'bogus' is not a protection: use essential, none or names from pid-namespace, net-namespace, mount-namespace, read-only-fs, tmpfs-dir, private-proc, user-namespace, uid-nobody, nproc, ipc-namespace, minimal-root"
rm "$LOCO_HOME/config.yaml"

# As root: a throwaway ordinary user, whose sandbox is a user namespace.
if [ "$(id -u)" -eq 0 ] && command -v useradd >/dev/null && command -v runuser >/dev/null; then
	t "an ordinary user: ~/.ssh/id_rsa stays unread"
	SBXUSER=locosbx$$
	useradd -m -d "/home/$SBXUSER" -s /bin/sh "$SBXUSER" || fail "useradd"
	U=/home/$SBXUSER
	mkdir -p "$U/.ssh" "$U/w"
	printf '%s\n' "$MARK" >"$U/.ssh/id_rsa"
	cp -R "$LOCO_HOME" "$U/.locollm"
	SECRETS="$U/.ssh/id_rsa"
	sed -i "s|^for p in .*|for p in \"$SECRETS\".split():|" "$W/secret.py"
	mkcode "$U/w"
	chown -R "$SBXUSER:" "$U"
	chmod 700 "$U" "$U/.ssh"
	chmod 600 "$U/.ssh/id_rsa"
	script "$(cat "$U/w/script.json")"
	userrun() {
		runuser -u "$SBXUSER" -- env -i PATH=/usr/bin:/bin HOME="$U" \
		    LOCO_HOME="$U/.locollm" OLLAMA_HOST="$OLLAMA_HOST" "$@" \
		    "$LOCO" eval --base --benchmark "$U/w/code.jsonl" \
		    --output "$U/w/run" --no-cache math >"$W/out" 2>"$W/err" </dev/null
		RC=$?
	}
	userrun
	expect_rc 0
	cp -R "$U/w/run" "$W/userrun"
	check_run "$W/userrun" "ordinary user" "$(echo "$PROTS" | sed 's/uid-nobody/user-namespace/')"
	t "an ordinary user whose kernel refuses user namespaces: a refusal that says so"
	rm -rf "$U/w/run"
	userrun LOCO_SANDBOX_TEST_DISABLE=user-namespace
	expect_rc 9
	expect_err "loco: refusing to run model code: the sandbox lacks pid-namespace, net-namespace, minimal-root, user-namespace or uid-nobody, which sandbox.require asks for; the kernel refused a user namespace (see sysctl user.max_user_namespaces and kernel.unprivileged_userns_clone); to run it with only what is available, set sandbox.require to none (LOCO_SANDBOX_REQUIRE=none)"
	echo "sandbox: user.max_user_namespaces=$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo ?)," \
	    "kernel.unprivileged_userns_clone=$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo absent)"
	userdel -r "$SBXUSER" 2>/dev/null
	SBXUSER=
else
	echo "sandbox: not root: the ordinary-user checks ran as $(id -un) above"
fi

area_end
