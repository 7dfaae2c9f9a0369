#!/bin/sh
# t_leaderboard.sh: loco leaderboard and loco report over the archive of
# results ($LOCO_HOME/results/DOMAIN/ADAPTER@VERSION/TIME.json): ranking
# and its ties, staleness when a benchmark changes, the active marker,
# --domain, every format, a report from a run of loco eval against the
# scripted backend, the report by semester, and the errors.
. "$TOP/tests/cmd/lib.sh"
area_begin leaderboard

ARCHIVE=$LOCO_HOME/results

# archive DOMAIN ADAPTER VERSION TIME ACCURACY BASE P BENCH: write one
# archived result as loco eval would, with the SHA-256 of BENCH as it is
# now; intervals are the accuracy -0.1/+0.05 (adapter) and +-0.1 (base).
cat >"$W/archive.js" <<'EOF'
const fs = require("fs"), crypto = require("crypto"), path = require("path");
const [dom, ad, ver, ts, acc, base, p, bench, votes] = process.argv.slice(2);
const a = +acc, b = +base, n = 60;
const sha = crypto.createHash("sha256").update(fs.readFileSync(bench)).digest("hex");
const r = {
	adapter: ad, version: ver, domain: dom, base_model: "qwen3:4b-instruct-2507-q4_K_M", quantization: "Q4_K_M",
	benchmark: { path: bench, sha256: "sha256:" + sha }, n,
	scores: {
		adapter: { accuracy: a, ci_low: a - 0.1, ci_high: Math.min(1, a + 0.05), passed: Math.round(a * n), mean_score: a },
		base: { accuracy: b, ci_low: b - 0.1, ci_high: b + 0.1, passed: Math.round(b * n), mean_score: b },
	},
	improvement: { absolute: a - b, relative: (a - b) / b },
	mcnemar: { adapter_only: 10, base_only: 2, p: +p },
	out_of_domain: [], inference: { reread: true, votes: +(votes || 1), temperature: +(votes || 1) > 1 ? 0.7 : 0, seed: 42, num_predict: 512, num_ctx: 4096 },
	gate: { alpha: 0.05, passed: +p < 0.05 && a > b }, warnings: [], cases: [], timestamp: ts,
	hardware: { os: "Linux", machine: "x86_64", cpus: 4, memory_gb: 8 }, loco_version: "0.1.0", run: "/runs/x",
};
const dir = path.join(process.env.LOCO_HOME, "results", dom, ad + "@" + ver);
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, ts.replace(/[-:]/g, "") + ".json"), JSON.stringify(r, null, 2) + "\n");
EOF
archive() {
	node "$W/archive.js" "$@" || { echo "archive.js failed"; exit 1; }
}

t "an empty archive: every domain says so"
run_loco leaderboard
expect_rc 0
expect_out "math
  no results

code
  no results

analysis
  no results

writing
  no results

* active adapter; STALE: the benchmark has changed since the run"
expect_err_empty
run_loco report
expect_rc 1
expect_err "loco: no results in '$ARCHIVE': 'loco eval' archives a result there each time it runs an adapter on its standard benchmark"
run_loco report --by-semester
expect_rc 1

printf '{"question":"1+1?","answer":"2"}\n' >"$W/math.jsonl"
printf '{"question":"say hi","answer":"hi"}\n' >"$W/code.jsonl"
# math@1.0.0's latest run is the second; 0.9.0, 1.1.0 and 1.0.0 tie on
# accuracy: the lower p wins, then the newer run.
archive math math 1.0.0 2025-10-01T08:00:00Z 0.9 0.5 0.001 "$W/math.jsonl"
archive math math 1.0.0 2026-03-01T08:00:00Z 0.8 0.5 0.001 "$W/math.jsonl"
archive math math 1.1.0 2026-02-01T08:00:00Z 0.8 0.5 0.0001 "$W/math.jsonl"
archive math math 0.9.0 2026-04-01T08:00:00Z 0.8 0.55 0.0001 "$W/math.jsonl"
archive math math 2.0.0 2026-05-01T08:00:00Z 0.85 0.5 0.01 "$W/math.jsonl"
archive code code 1.0.0 2026-09-15T08:00:00Z 0.6 0.55 0.3 "$W/code.jsonl"

MATH_TABLE="math
     #  adapter     accuracy  95% interval        base    diff          p      n  date
     1  math@2.0.0     85.0%  [ 75.0%,  90.0%]   50.0%   +35.0       0.01     60  2026-05-01
     2  math@0.9.0     80.0%  [ 70.0%,  85.0%]   55.0%   +25.0     0.0001     60  2026-04-01
     3  math@1.1.0     80.0%  [ 70.0%,  85.0%]   50.0%   +30.0     0.0001     60  2026-02-01
  *  4  math@1.0.0     80.0%  [ 70.0%,  85.0%]   50.0%   +30.0      0.001     60  2026-03-01"
CODE_TABLE="code
     #  adapter     accuracy  95% interval        base    diff          p      n  date
  *  1  code@1.0.0     60.0%  [ 50.0%,  65.0%]   55.0%    +5.0        0.3     60  2026-09-15"
LEGEND="* active adapter; STALE: the benchmark has changed since the run"

t "ranking: latest result per version, ties by p then newer; the active marker"
run_loco leaderboard
expect_rc 0
expect_out "$MATH_TABLE

$CODE_TABLE

analysis
  no results

writing
  no results

$LEGEND"
expect_err_empty

t "--domain"
run_loco leaderboard --domain code
expect_rc 0
expect_out "$CODE_TABLE

$LEGEND"
run_loco leaderboard --domain writing
expect_rc 0
expect_out "writing
  no results

$LEGEND"

t "a domain only the archive knows is shown after the registry's"
archive legacy old 0.1.0 2024-01-10T08:00:00Z 0.4 0.3 0.2 "$W/code.jsonl"
run_loco leaderboard --domain legacy
expect_rc 0
expect_out_has "     1  old@0.1.0     40.0%  [ 30.0%,  45.0%]   30.0%   +10.0        0.2     60  2024-01-10"
run_loco leaderboard --format json
expect_eq "$(json 'out.map(d => d.domain).join(",")')" "math,code,analysis,writing,legacy" "domain order"
rm -rf "$ARCHIVE/legacy"

t "results measured another way or on another benchmark are set apart, unranked"
archive math math 3.0.0 2026-06-01T08:00:00Z 0.95 0.5 0.001 "$W/math.jsonl" 5
archive math math 2.1.0 2026-06-02T08:00:00Z 0.99 0.5 0.001 "$W/code.jsonl"
run_loco leaderboard --domain math
expect_rc 0
expect_out "$MATH_TABLE
     -  math@2.1.0     99.0%  [ 89.0%, 100.0%]   50.0%   +49.0      0.001     60  2026-06-02  APART: RE2 on, greedy, sha256:$(sha256sum "$W/code.jsonl" | cut -c1-12)
     -  math@3.0.0     95.0%  [ 85.0%, 100.0%]   50.0%   +45.0      0.001     60  2026-06-01  APART: RE2 on, 5 votes at 0.7, sha256:$(sha256sum "$W/math.jsonl" | cut -c1-12)

$LEGEND
APART: measured on another benchmark or asked for another way than the ranked results, so not ranked against them"
run_loco leaderboard --domain math --json
expect_eq "$(json 'out[0].results.map(r => r.rank + "/" + r.comparable + "/" + r.settings).join(" ")')" "1/true/RE2 on, greedy 2/true/RE2 on, greedy 3/true/RE2 on, greedy 4/true/RE2 on, greedy null/false/RE2 on, greedy null/false/RE2 on, 5 votes at 0.7" "ranks and comparability"
rm -rf "$ARCHIVE/math/math@3.0.0" "$ARCHIVE/math/math@2.1.0"

t "staleness: a changed benchmark marks its results STALE"
printf '{"question":"1+2?","answer":"3"}\n' >>"$W/math.jsonl"
run_loco leaderboard --domain math
expect_rc 0
expect_out "$(printf '%s\n' "$MATH_TABLE" | sed '1,2!s/$/  STALE/')

$LEGEND"
run_loco leaderboard --domain code
expect_out "$CODE_TABLE

$LEGEND"
t "staleness: the same content again is current; a removed benchmark is stale"
printf '{"question":"1+1?","answer":"2"}\n' >"$W/math.jsonl"
mv "$W/code.jsonl" "$W/code.jsonl.away"
run_loco leaderboard
expect_rc 0
expect_out "$MATH_TABLE

$(printf '%s\n' "$CODE_TABLE" | sed '3s/$/  STALE/')

analysis
  no results

writing
  no results

$LEGEND"
mv "$W/code.jsonl.away" "$W/code.jsonl"

t "the active marker follows the registry"
awk '/^  - name: math$/ { m = 1 } m && /^    version:/ { print; print "    active: false"; m = 0; next } { print }' \
    "$LOCO_HOME/adapters/registry.yaml" >"$W/reg.yaml"
run_loco --registry "$W/reg.yaml" leaderboard --domain math --format json
expect_rc 0
expect_eq "$(json 'out[0].results.map(r => r.active).join(",")')" "false,false,false,false" "no active math"
run_loco leaderboard --domain math --format json
expect_eq "$(json 'out[0].results.map(r => r.version + ":" + r.active).join(",")')" \
    "2.0.0:false,0.9.0:false,1.1.0:false,1.0.0:true" "math@1.0.0 active"

t "json: an array of domains, each with its ranked results"
run_loco leaderboard --format json
expect_rc 0
node -e '
	const out = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	const m = out[0].results, c = out[1].results, r = m[3];
	const ok = Array.isArray(out) && out.length === 4 && out[0].domain === "math" &&
	    out[2].domain === "analysis" && out[2].results.length === 0 &&
	    m.map((x) => x.rank).join() === "1,2,3,4" && c.length === 1 &&
	    r.adapter === "math" && r.version === "1.0.0" && r.active === true && r.stale === false &&
	    r.accuracy === 0.8 && Math.abs(r.ci_low - 0.7) < 1e-9 && r.base_accuracy === 0.5 &&
	    Math.abs(r.difference - 0.3) < 1e-9 && r.p === 0.001 && r.n === 60 && r.gate_passed === true &&
	    r.timestamp === "2026-03-01T08:00:00Z" && r.base_model === "qwen3:4b-instruct-2507-q4_K_M" &&
	    /^sha256:[0-9a-f]{64}$/.test(r.benchmark.sha256) && r.benchmark.path === process.argv[2] &&
	    r.file.endsWith("/results/math/math@1.0.0/20260301T080000Z.json") &&
	    Object.keys(r).join() === "rank,adapter,version,active,stale,accuracy,ci_low,ci_high,base_model," +
	    "base_accuracy,base_ci_low,base_ci_high,difference,p,n,gate_passed,timestamp,settings,benchmark,file,comparable";
	process.exit(ok ? 0 : 1);' "$W/out" "$W/math.jsonl" && pass || fail "leaderboard json"

t "markdown: a table per domain"
run_loco leaderboard --format markdown
expect_rc 0
expect_out_has "# loco leaderboard"
expect_out_has "## math"
expect_out_has "| rank | adapter | version | active | accuracy | 95% interval | base | difference | p | n | date | stale |"
expect_out_has "| 4 | math | 1.0.0 | * | 80.0% | [70.0%, 85.0%] | 50.0% | +30.0 | 0.001 | 60 | 2026-03-01 |  |"
expect_out_has "## writing"
expect_eq "$(grep -c '^No results\.$' "$W/out")" 2 "domains without results"

t "html: one self-contained page"
run_loco leaderboard --format html
expect_rc 0
expect_eq "$(head -n 1 "$W/out")" "<!DOCTYPE html>" "doctype"
expect_out_has "<style>"
expect_out_has "<svg"
expect_out_has "<h2>code</h2>"
if grep -qiE 'https?://|<script|<link|src=' "$W/out"; then fail "html loads something"; else pass; fi
expect_eq "$(tail -n 1 "$W/out")" "</html>" "page end"

t "text from the archive is escaped in html and markdown"
archive writing 'w<b>"x"&|y' 1.0.0 2026-01-05T08:00:00Z 0.7 0.6 0.5 "$W/code.jsonl"
run_loco leaderboard --format html --domain writing
expect_rc 0
expect_out_has "w&lt;b&gt;&quot;x&quot;&amp;|y@1.0.0"
if grep -q '<b>' "$W/out"; then fail "unescaped text in html"; else pass; fi
run_loco report --format html
expect_out_has "w&lt;b&gt;&quot;x&quot;&amp;|y"
if grep -q '<b>' "$W/out"; then fail "unescaped text in the report"; else pass; fi
run_loco leaderboard --format markdown --domain writing
expect_out_has '| 1 | w<b>"x"&\|y | 1.0.0 |'
rm -rf "$ARCHIVE/writing"

t "an unreadable result is skipped with a warning"
printf 'not json' >"$ARCHIVE/math/math@1.0.0/20260401T000000Z.json"
mkdir -p "$ARCHIVE/math/math@3.0.0"
printf '{"adapter":"math","domain":"math"}' >"$ARCHIVE/math/math@3.0.0/20260401T000000Z.json"
run_loco leaderboard --domain math
expect_rc 0
expect_out "$MATH_TABLE

$LEGEND"
expect_err "loco: skipping a result: '$ARCHIVE/math/math@1.0.0/20260401T000000Z.json' is not a results.json: not a JSON object
loco: skipping a result: '$ARCHIVE/math/math@3.0.0/20260401T000000Z.json' is not a results.json: missing or bad \"version\""
rm -f "$ARCHIVE/math/math@1.0.0/20260401T000000Z.json"
rm -rf "$ARCHIVE/math/math@3.0.0"

t "report: the latest result of each adapter"
run_loco report
expect_rc 0
expect_out "# loco evaluation report

From the latest archived result of each adapter in $ARCHIVE.  Accuracy of each adapter and of the base model on the same benchmark in the same run with the same settings, with 95% Wilson intervals; p is McNemar's exact test (for a run over several seeds, a paired bootstrap's).  STALE: the benchmark has changed since the run.  Base model qwen3:4b-instruct-2507-q4_K_M.

| domain | adapter | version | accuracy | 95% interval | base | base 95% interval | difference | p | n | settings | date | note |
|---|---|---|---:|---|---:|---|---:|---:|---:|---|---|---|
| code | code | 1.0.0 | 60.0% | [50.0%, 65.0%] | 55.0% | [45.0%, 65.0%] | +5.0 | 0.3 | 60 | RE2 on, greedy | 2026-09-15 |  |
| math | math | 2.0.0 | 85.0% | [75.0%, 90.0%] | 50.0% | [40.0%, 60.0%] | +35.0 | 0.01 | 60 | RE2 on, greedy | 2026-05-01 |  |"
run_loco report --format html
expect_rc 0
expect_out_has "<svg"
expect_out_has "<text x=\"106.0\" y=\"270\" text-anchor=\"middle\">code@1.0.0</text>"
expect_eq "$(grep -c '<rect x=[^>]*fill="#4a7bd0"><title>' "$W/out")" 2 "adapter bars"
expect_eq "$(grep -c '<rect x=[^>]*fill="#b8b8b8"><title>' "$W/out")" 2 "base bars"
expect_out_has "<td class=\"l\">math</td><td class=\"l\">math@2.0.0</td><td>85.0%</td><td>[75.0%, 90.0%]</td><td>50.0%</td>"
if grep -qiE 'https?://|<script|<link|src=' "$W/out"; then fail "html loads something"; else pass; fi

t "report by semester"
run_loco report --by-semester
expect_rc 0
expect_out "# loco results by semester

Each adapter's accuracy in its latest archived run of each term (S1: January to June, S2: July to December), with the version run; change is the last term's against the first term's run on the same benchmark with the same settings, in points.

| domain | adapter | 2025 S2 | 2026 S1 | 2026 S2 | change |
|---|---|---:|---:|---:|---:|
| code | code | - | - | 60.0% (1.0.0) | - |
| math | math | 90.0% (1.0.0) | 85.0% (2.0.0) | - | -5.0 |"
run_loco report --by-semester --format html
expect_rc 0
expect_out_has "<svg"
expect_out_has "<path class=\"series\" fill=\"none\" stroke=\"#d07a2a\" stroke-width=\"2.0\" stroke-dasharray=\"8 4\" d=\"M88 38.0 L198 49.0\"/>"
expect_out_has "<th>2025 S2</th><th>2026 S1</th><th>2026 S2</th>"
if grep -qiE 'https?://|<script|<link|src=' "$W/out"; then fail "html loads something"; else pass; fi

t "report by semester: change only between comparable runs"
# writing: 2025 S2 with 5 votes, 2026 S1 and S2 greedy; analysis: 2025 S2
# on another benchmark than its 2026 S2 run.
printf '{"question":"a","answer":"b"}\n' >"$W/writing.jsonl"
printf '{"question":"c","answer":"d"}\n' >"$W/analysis.jsonl"
printf '{"question":"e","answer":"f"}\n' >"$W/analysis-old.jsonl"
archive writing writing 1.0.0 2025-09-01T08:00:00Z 0.9 0.5 0.001 "$W/writing.jsonl" 5
archive writing writing 1.0.0 2026-02-01T08:00:00Z 0.6 0.5 0.001 "$W/writing.jsonl"
archive writing writing 1.1.0 2026-10-01T08:00:00Z 0.7 0.5 0.001 "$W/writing.jsonl"
archive analysis analysis 1.0.0 2025-09-01T08:00:00Z 0.9 0.5 0.001 "$W/analysis-old.jsonl"
archive analysis analysis 1.0.0 2026-10-01T08:00:00Z 0.5 0.4 0.001 "$W/analysis.jsonl"
run_loco report --by-semester
expect_rc 0
expect_out_has "| writing | writing | 90.0% (1.0.0)† | 60.0% (1.0.0) | 70.0% (1.1.0) | +10.0 since 2026 S1 |"
expect_out_has "| analysis | analysis | 90.0% (1.0.0)† | - | 50.0% (1.0.0) | - |"
expect_out_has "† run on another benchmark or with other settings than the adapter's last run, so not in its change (see loco report --json)."
run_loco report --by-semester --json
expect_rc 0
expect_eq "$(json 'out.adapters.filter((a) => a.domain !== "math" && a.domain !== "code").map((a) => a.adapter + ":" + a.change_from + ":" + (a.change === null ? "null" : a.change.toFixed(2)) + ":" + a.terms.map((t) => t.comparable).join("/")).join()')" \
	"analysis:null:null:false/true,writing:2026 S1:0.10:false/true/true" "change_from and comparable"
archive code code 1.0.1 2026-11-01T08:00:00Z 0.6 0.5 0.001 "$W/code.jsonl" 5
run_loco report
expect_rc 0
expect_out_has "| code | code | 1.0.1 | 60.0% | [50.0%, 65.0%] | 50.0% | [40.0%, 60.0%] | +10.0 | 0.001 | 60 | RE2 on, 5 votes at 0.7 | 2026-11-01 |  |"
expect_out_has "The rows were run with different settings: compare each adapter with its base, not the rows with each other."
expect_out_has "| writing | writing | 1.1.0 | 70.0% |"
# A p-value that underflowed to 0 in results.json is never printed as 0.
archive writing writing 2.0.0 2026-11-02T08:00:00Z 0.99 0.1 0 "$W/writing.jsonl"
run_loco leaderboard --domain writing
expect_rc 0
expect_out_has "  writing@2.0.0     99.0%  [ 89.0%, 100.0%]   10.0%   +89.0   < 1e-300     60  2026-11-02"
run_loco report
expect_out_has "| writing | writing | 2.0.0 | 99.0% | [89.0%, 100.0%] | 10.0% | [0.0%, 20.0%] | +89.0 | < 1e-300 | 60 |"
rm -rf "$ARCHIVE/writing" "$ARCHIVE/analysis" "$ARCHIVE/code/code@1.0.1"

t "report from a run of loco eval"
rm -rf "$ARCHIVE"
: >"$W/m10.jsonl"
i=1
while [ $i -le 10 ]; do
	printf '{"id":"m%03d","instruction":"What is %d+%d?","expected_output":"%d","evaluation_type":"exact_match","evaluation_config":{"answer_type":"number"}}\n' $i $i $i $((2 * i)) >>"$W/m10.jsonl"
	i=$((i + 1))
done
# The adapter answers every case right; the base only those with an odd i.
script "$(node -e '
	const chat = [];
	for (let i = 1; i <= 10; i++) {
		const q = `What is ${i}+${i}?`;
		chat.push({ match: { model: "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M", contains: q + "\n" }, reply: `The answer is ${2 * i}` });
		chat.push({ match: { model: "qwen3:4b-instruct-2507-q4_K_M", contains: q + "\n" }, reply: `The answer is ${i % 2 ? 2 * i : 0}` });
	}
	console.log(JSON.stringify({ models: ["qwen3:4b-instruct-2507-q4_K_M", "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"], chat }));')"
run_loco eval --benchmark "$W/m10.jsonl" --output "$W/run1" math
expect_rc 0
# What eval archives is the lead's business: take it away, so this part
# reads the run directory only.
rm -rf "$ARCHIVE"
day=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).timestamp.slice(0, 10))' "$W/run1/results.json")
ROW="| math | math | 1.0.0 | 100.0% | [72.2%, 100.0%] | 50.0% | [23.7%, 76.3%] | +50.0 | 0.0625 | 10 | RE2 on, greedy | $day |  |"
run_loco report "$W/run1"
expect_rc 0
expect_out_has "From $W/run1/results.json.  Accuracy"
expect_out_has "$ROW"
run_loco report "$W/run1/results.json"
expect_rc 0
expect_out_has "$ROW"
run_loco report --format html "$W/run1"
expect_rc 0
expect_out_has "<svg"
expect_out_has "<title>math@1.0.0: 100.0% [72.2%, 100.0%]</title>"
if grep -qiE 'https?://' "$W/out"; then fail "html has a URL"; else pass; fi
printf '\n' >>"$W/m10.jsonl"
run_loco report "$W/run1"
expect_out_has "| 10 | RE2 on, greedy | $day | STALE |"
# The same file, archived, is what leaderboard ranks.
d=$ARCHIVE/math/math@1.0.0
mkdir -p "$d"
cp "$W/run1/results.json" "$d/$(echo "$day" | tr -d -)T000000Z.json"
run_loco leaderboard --domain math
expect_rc 0
expect_out_has "  *  1  math@1.0.0    100.0%  [ 72.2%, 100.0%]   50.0%   +50.0     0.0625     10  $day  STALE"
run_loco eval --benchmark "$W/m10.jsonl" --output "$W/run2" --base math
expect_rc 0
run_loco report "$W/run2"
expect_rc 1
expect_err "loco: '$W/run2/results.json' is a base-only run: it has no adapter to compare"

t "errors"
run_loco leaderboard --domain nope
expect_rc 2
expect_err "loco: unknown domain 'nope': the registry's domains are math, code, analysis and writing, and the archive has no results for it"
run_loco leaderboard --format csv
expect_rc 2
expect_err "loco: --format: 'csv' is not one of table, markdown, json or html
usage: loco leaderboard [--domain domain] [--format format] [--json]"
run_loco leaderboard --format htm
expect_rc 2
expect_err_has "loco: --format: 'htm' is not one of table, markdown, json or html; did you mean 'html'?"
run_loco leaderboard --domian math
expect_rc 2
expect_err "loco: unknown option '--domian'; did you mean '--domain'?
usage: loco leaderboard [--domain domain] [--format format] [--json]"
run_loco leaderboard --domain
expect_rc 2
expect_err_has "loco: option '--domain' needs a value"
run_loco leaderboard extra
expect_rc 2
expect_err "loco: unexpected argument 'extra'
usage: loco leaderboard [--domain domain] [--format format] [--json]"
run_loco report --format table
expect_rc 2
expect_err "loco: --format: 'table' is not one of markdown, html or json
usage: loco report [--by-semester] [--format format] [--json] [run]"
run_loco report --by-semster
expect_rc 2
expect_err_has "loco: unknown option '--by-semster'; did you mean '--by-semester'?"
run_loco report --by-semester "$W/run1"
expect_rc 2
expect_err_has "loco: --by-semester reads the archive: give no run"
run_loco report "$W/run1" "$W/run2"
expect_rc 2
expect_err_has "loco: unexpected argument '$W/run2'"
run_loco report "$W/nope"
expect_rc 1
expect_err "loco: cannot open '$W/nope': No such file or directory"
mkdir "$W/empty"
run_loco report "$W/empty"
expect_rc 1
expect_err "loco: '$W/empty' is not a run directory: it has no results.json"
run_loco report "$W/m10.jsonl"
expect_rc 1
expect_err "loco: '$W/m10.jsonl' is not a results.json: not a JSON object"
printf '{"adapter":"math","version":"1.0.0","domain":"math","n":3}' >"$W/partial.json"
run_loco report "$W/partial.json"
expect_rc 1
expect_err "loco: '$W/partial.json' is not a results.json: missing or bad \"scores.adapter.accuracy\""
rm -rf "$ARCHIVE"
run_loco report
expect_rc 1
expect_err "loco: no results in '$ARCHIVE': 'loco eval' archives a result there each time it runs an adapter on its standard benchmark"

area_end
