#!/bin/sh
# t_report_browser.sh: loco report --format html as a reader sees it, in
# headless Chromium (Debian's chromium; .ci/deps installs it for check).
# A run of loco eval against the scripted backend gives the report its
# cases; a script added to a copy of the page measures it after layout and
# writes what it found into the page, which --dump-dom prints.  Asserted:
# the per-case view lists every case with both answers, failures first;
# percentages have one decimal; p-values and dates stay on one line in a
# narrow window; no header cell is empty; and in the semester chart a
# series whose values coincide with another's still shows.
. "$TOP/tests/cmd/lib.sh"
area_begin report_browser

CHROMIUM=
for c in chromium chromium-browser; do
	command -v "$c" >/dev/null 2>&1 && { CHROMIUM=$c; break; }
done
if [ -z "$CHROMIUM" ]; then
	echo "report_browser: chromium not installed (sh .ci/deps check): skipped"
	area_end
	exit
fi

# measure PAGE SCRIPT: render PAGE with SCRIPT (which fills <pre
# id="measured"> with JSON) in a 600-pixel-wide window; the JSON in $W/m.
measure() {
	node -e '
		const fs = require("fs");
		const page = fs.readFileSync(process.argv[1], "utf8");
		const js = fs.readFileSync(process.argv[2], "utf8");
		fs.writeFileSync(process.argv[3], page.replace("</body>",
		    "<pre id=\"measured\"></pre>\n<script>\n" + js + "</script>\n</body>"));
	' "$1" "$2" "$W/page.html"
	timeout 120 "$CHROMIUM" --headless --disable-gpu --no-sandbox \
	    --user-data-dir="$W/chromium" --window-size=600,900 \
	    --run-all-compositor-stages-before-draw --virtual-time-budget=5000 \
	    --dump-dom "file://$W/page.html" >"$W/dom" 2>"$W/chromium.err"
	node -e '
		const dom = require("fs").readFileSync(process.argv[1], "utf8");
		const m = /<pre id="measured">([^<]*)<\/pre>/.exec(dom);
		const t = m ? m[1].replace(/&quot;/g, "\"").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&nbsp;/g, "\u00a0").replace(/&amp;/g, "&") : "";
		process.stdout.write(t);
	' "$W/dom" >"$W/m"
	[ -s "$W/m" ] || { echo "the page measured nothing"; tail -5 "$W/chromium.err"; }
}

# m EXPR: evaluate EXPR over the measurements (as "m").
m() {
	node -e '
		const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8") || "{}");
		const v = eval(process.argv[2]);
		process.stdout.write(typeof v === "string" ? v : (JSON.stringify(v) ?? ""));
	' "$W/m" "$1"
}

t "report from a run: the page as rendered"
# Eight cases; the third has a long question with markup in it.  The
# adapter gets all but m001 right (87.5%), the base m001, m003 and m005
# (37.5%).
node -e '
	const fs = require("fs");
	const bench = [], chat = [];
	for (let i = 1; i <= 8; i++) {
		let q = `What is ${i}+${i}?`;
		if (i === 3)
			q += " Think of <b>two</b> groups & count them " + "one by one, ".repeat(14) + "then say the sum.";
		const id = "m00" + i;
		bench.push(JSON.stringify({ id, instruction: q, expected_output: String(2 * i), evaluation_type: "exact_match", evaluation_config: { answer_type: "number" } }));
		chat.push({ match: { model: "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M", contains: q + "\n" }, reply: `The answer is ${i === 1 ? 3 : 2 * i}` });
		chat.push({ match: { model: "qwen3:4b-instruct-2507-q4_K_M", contains: q + "\n" }, reply: `The answer is ${[1, 3, 5].includes(i) ? 2 * i : 100 + i}` });
	}
	fs.writeFileSync("m8.jsonl", bench.join("\n") + "\n");
	fs.writeFileSync("script.json", JSON.stringify({ models: ["qwen3:4b-instruct-2507-q4_K_M", "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"], chat }));
'
script "$(cat "$W/script.json")"
run_loco eval --benchmark "$W/m8.jsonl" --output "$W/run1" math
expect_rc 0
run_loco report --format html "$W/run1"
expect_rc 0
cp "$W/out" "$W/report.html"
cat >"$W/report.js" <<'EOF'
const out = {};
const main = document.querySelector("table");
const lines = (el) => {
	const r = document.createRange();
	r.selectNodeContents(el);
	return new Set(Array.from(r.getClientRects()).filter((x) => x.width > 0).map((x) => Math.round(x.top))).size;
};
const head = Array.from(main.rows[0].cells).map((c) => c.textContent.trim());
out.headers = head;
out.emptyHeaders = Array.from(document.querySelectorAll("th")).filter((c) => c.textContent.trim() === "").length;
const row = main.rows[1].cells;
out.p = row[head.indexOf("p")].textContent;
out.pLines = lines(row[head.indexOf("p")]);
out.date = row[head.indexOf("date")].textContent;
out.dateLines = lines(row[head.indexOf("date")]);
out.intervalLines = lines(row[head.indexOf("95% interval")]);
const pct = [];
for (const el of [...main.querySelectorAll("td"), ...document.querySelectorAll("svg text:not(.tick)")])
	for (const x of el.textContent.matchAll(/[0-9.]+%(?! interval)/g))
		pct.push(x[0]);
out.percentages = pct;
out.cases = Array.from(document.querySelectorAll("details.cases tr")).filter((tr) => tr.classList.contains("case") || tr.querySelector("th.group")).map((tr) => tr.classList.contains("case") ?
	Array.from(tr.cells).map((c) => (c.className.includes("pass") ? "+" : c.className.includes("fail") ? "-" : "") + c.textContent.replace(/\u00a0/g, " ")) :
	tr.cells[0].textContent);
const long = Array.from(document.querySelectorAll("details.cases tr.case td span[title]"));
out.long = long.map((s) => [s.textContent.length, s.title]);
out.bold = document.querySelectorAll("details.cases b").length;
out.summary = document.querySelector("details.cases summary")?.textContent;
document.getElementById("measured").textContent = JSON.stringify(out);
EOF
measure "$W/report.html" "$W/report.js"
expect_eq "$(m 'm.emptyHeaders')" 0 "empty header cells"
expect_eq "$(m 'm.headers.at(-1)')" "note" "the last header"
expect_eq "$(m 'm.p + " " + m.pLines')" "0.2188 1" "the p-value on one line"
expect_eq "$(m 'm.date.length + " " + m.dateLines')" "10 1" "the date on one line"
expect_eq "$(m 'm.intervalLines')" 1 "the interval on one line"
expect_eq "$(m 'm.percentages.filter((p) => !/^[0-9]+\.[0-9]%$/.test(p)).join()')" "" "percentages without one decimal"
expect_eq "$(m 'm.percentages.filter((p) => p === "87.5%").length')" 2 "87.5% in the table and on its bar"
expect_eq "$(m 'm.percentages.filter((p) => p === "37.5%").length')" 2 "37.5% in the table and on its bar"
expect_eq "$(m 'm.summary')" "math: math@1.0.0 — 8 cases; the adapter got 1 wrong, the base 5" "the run's summary"
# McNemar: 5 cases only the adapter got right, 1 only the base.
# Failures first: m001 (the adapter wrong), then those only the base got
# wrong, then the rest; each case with its question, expected answer and
# both answers, marked.
expect_eq "$(m 'm.cases.map((c) => typeof c === "string" ? c : c[0]).join(" ")')" \
    "1 the adapter got wrong m001 5 only the base got wrong m002 m004 m006 m007 m008 2 both got right m003 m005" "the order of the cases"
expect_eq "$(m 'm.cases.find((c) => c[0] === "m001").join("|")')" "m001|What is 1+1?|2|-✗ 3|+✓ 2" "m001"
expect_eq "$(m 'm.cases.find((c) => c[0] === "m006").join("|")')" "m006|What is 6+6?|12|+✓ 12|-✗ 106" "m006"
expect_eq "$(m 'm.cases.filter((c) => typeof c !== "string" && c[3].length > 2 && c[4].length > 2).length')" 8 "cases with both answers"
# The long question: shortened, whole in its title, its markup as text.
expect_eq "$(m 'm.long.length')" 1 "shortened questions"
expect_eq "$(m 'm.long[0][0] <= 161 && m.long[0][1].length > 200 && m.long[0][1].startsWith("What is 3+3? Think of <b>two</b> groups & count")')" true "the long question"
expect_eq "$(m 'm.bold')" 0 "markup from the question rendered"

t "report from the archive: the run's cases through the result"
# loco eval archives only a run of the standard benchmark: archive this
# one by hand, as it would; the result names its run directory.
d=$LOCO_HOME/results/math/math@1.0.0
mkdir -p "$d"
cp "$W/run1/results.json" "$d/20260101T000000Z.json"
run_loco report --format html
expect_rc 0
cp "$W/out" "$W/archive.html"
measure "$W/archive.html" "$W/report.js"
expect_eq "$(m 'm.cases.filter((c) => typeof c !== "string").length')" 8 "cases"
expect_eq "$(m 'm.emptyHeaders')" 0 "empty header cells"
# A result whose run directory is gone says so.
mv "$W/run1" "$W/run1.moved"
run_loco report --format html
expect_rc 0
expect_out_has "<p class=\"none\">The run directory $W/run1 is gone: no case to show.</p>"
mv "$W/run1.moved" "$W/run1"

t "report by semester: a series never hides behind another"
# Two adapters with the same accuracy in the same terms: their lines and
# markers coincide.
cat >"$W/archive.js" <<'EOF'
const fs = require("fs"), crypto = require("crypto"), path = require("path");
const [dom, ad, ver, ts, acc] = process.argv.slice(2);
const bench = path.join(process.cwd(), "m8.jsonl");
const sha = crypto.createHash("sha256").update(fs.readFileSync(bench)).digest("hex");
const a = +acc, n = 40;
const r = {
	adapter: ad, version: ver, domain: dom, base_model: "qwen3:4b-instruct-2507-q4_K_M",
	benchmark: { path: bench, sha256: "sha256:" + sha }, n,
	scores: { adapter: { accuracy: a, ci_low: a - 0.1, ci_high: a + 0.05, passed: a * n }, base: { accuracy: 0.3, ci_low: 0.2, ci_high: 0.4, passed: 12 } },
	mcnemar: { p: 0.01 }, inference: { reread: true, votes: 1, temperature: 0, seed: 42 }, timestamp: ts,
};
const dir = path.join(process.env.LOCO_HOME, "results", dom, ad + "@" + ver);
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, ts.replace(/[-:]/g, "") + ".json"), JSON.stringify(r));
EOF
rm -rf "$LOCO_HOME/results"
for ad in math code analysis; do
	node "$W/archive.js" "$ad" "$ad" 1.0.0 2025-10-01T08:00:00Z 0.425
	node "$W/archive.js" "$ad" "$ad" 1.1.0 2026-03-01T08:00:00Z 0.6
	node "$W/archive.js" "$ad" "$ad" 1.2.0 2026-09-01T08:00:00Z 0.7
done
run_loco report --by-semester --format html
expect_rc 0
cp "$W/out" "$W/semester.html"
cat >"$W/semester.js" <<'EOF'
const out = {};
const svg = document.querySelector("svg");
const paths = Array.from(svg.querySelectorAll("path[fill=none]"));
out.styles = paths.map((p) => [p.getAttribute("stroke"), p.getAttribute("stroke-dasharray") || "", p.getAttribute("stroke-width")].join(" "));
out.pct = Array.from(document.querySelectorAll("td")).map((c) => c.textContent).filter((t) => t.includes("%"));
out.emptyHeaders = Array.from(document.querySelectorAll("th")).filter((c) => c.textContent.trim() === "").length;
// Paint the chart's plot area (above the legend) and count the pixels of
// each series' own colour.
const plot = svg.cloneNode(true);
plot.setAttribute("xmlns", "http://www.w3.org/2000/svg");
const w = +svg.getAttribute("width"), h = 240;
const img = new Image();
img.onload = () => {
	const c = document.createElement("canvas");
	c.width = w;
	c.height = h;
	const g = c.getContext("2d");
	g.drawImage(img, 0, 0);
	const d = g.getImageData(0, 0, w, h).data;
	const hex = (i) => "#" + [d[i], d[i + 1], d[i + 2]].map((x) => x.toString(16).padStart(2, "0")).join("");
	const count = {};
	for (const p of paths)
		count[p.getAttribute("stroke")] = 0;
	for (let i = 0; i < d.length; i += 4)
		if (hex(i) in count)
			count[hex(i)]++;
	out.pixels = paths.map((p) => count[p.getAttribute("stroke")]);
	document.getElementById("measured").textContent = JSON.stringify(out);
};
img.src = "data:image/svg+xml," + encodeURIComponent(new XMLSerializer().serializeToString(plot));
EOF
measure "$W/semester.html" "$W/semester.js"
expect_eq "$(m 'm.styles.length')" 3 "series"
expect_eq "$(m 'new Set(m.styles).size')" 3 "distinct stroke styles"
expect_eq "$(m 'new Set(m.styles.map((s) => s.split(" ")[1])).size')" 3 "distinct dash patterns"
expect_eq "$(m 'm.pixels.filter((n) => n < 30).length')" 0 "series painted over ($(m 'm.pixels.join()') pixels each)"
expect_eq "$(m 'm.pct.filter((p) => !/^[0-9]+\.[0-9]% \(/.test(p)).join()')" "" "percentages without one decimal"
expect_eq "$(m 'm.pct.filter((p) => p.startsWith("42.5%")).length')" 3 "42.5% for each adapter"
expect_eq "$(m 'm.emptyHeaders')" 0 "empty header cells"

area_end
