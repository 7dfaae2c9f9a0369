// summarize.js RUNS DOMAINS ENSEMBLES SECONDS OUT.json: the tables of
// logs/loco_results.md (on stdout) from what measure.sh collected from
// `loco eval --format json` (with --grid, --ood, --ensemble), its per-case
// logs, and `loco router eval --json` (with --oracle).  Every comparison
// is paired (the same cases) with an exact McNemar test, and every claim
// is worded by its p-value: p >= 0.05 is "no significant difference".
'use strict';
const fs = require('fs');
const path = require('path');

const [runs, domainsArg, ensemblesArg, seconds, outJson] = process.argv.slice(2);
const domains = domainsArg.split(/\s+/).filter(Boolean);
const ensembles = ensemblesArg.split(/\s+/).filter(Boolean).map((e) => {
  const [domain, members] = e.split(':');
  return { domain, members: members.split(',') };
});
const ALPHA = 0.05;
const read = (name) => JSON.parse(fs.readFileSync(path.join(runs, name), 'utf8'));
const exists = (name) => fs.existsSync(path.join(runs, name));
const pct = (x) => (x * 100).toFixed(1) + '%';
const pts = (x) => (x >= 0 ? '+' : '') + (x * 100).toFixed(1);
const ptext = (p) => (p === 0 ? '< 1e-300' : p < 1e-3 ? p.toExponential(1) : p.toFixed(3));

// Exact two-sided McNemar: binomial(b + c, 1/2) on the discordant pairs,
// in logs so that hundreds of cases do not underflow early.
function mcnemar(b, c) {
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  let logc = 0; // log C(n, 0)
  const terms = [];
  for (let i = 0; i <= k; i++) {
    if (i > 0) logc += Math.log(n - i + 1) - Math.log(i);
    terms.push(logc - n * Math.LN2);
  }
  const m = Math.max(...terms);
  const p = 2 * Math.exp(m) * terms.reduce((s, t) => s + Math.exp(t - m), 0);
  return Math.min(1, p);
}

// pass/fail per case id of SUBJECT in a run's log.jsonl
function passes(run, subject) {
  const out = new Map();
  const file = path.join(runs, run, 'log.jsonl');
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const x = JSON.parse(line);
    if (x.subject === subject) out.set(x.id, !!x.pass);
  }
  return out;
}

function paired(a, b) { // Maps id -> pass, over the ids both have
  let aOnly = 0, bOnly = 0, n = 0, aOk = 0, bOk = 0;
  for (const [id, pa] of a) {
    if (!b.has(id)) continue;
    const pb = b.get(id);
    n++;
    aOk += pa;
    bOk += pb;
    if (pa && !pb) aOnly++;
    if (pb && !pa) bOnly++;
  }
  return { n, a: aOk / n, b: bOk / n, a_only: aOnly, b_only: bOnly, p: mcnemar(aOnly, bOnly) };
}

// "A beats B by +x points (p = ...)", or "no significant difference".
function reading(aName, bName, a, b, p) {
  if (p < ALPHA)
    return `${aName} ${a > b ? 'beats' : 'is worse than'} ${bName}: ${pct(a)} against ${pct(b)}, ` +
      `${pts(a - b)} points (p = ${ptext(p)})`;
  return `no significant difference between ${aName} and ${bName}: ${pct(a)} against ${pct(b)}, ` +
    `${pts(a - b)} points (p = ${ptext(p)})`;
}
const verdict = (p) => (p < ALPHA ? 'significant' : 'no significant difference');

const out = [];
const claims = [];
const res = { alpha: ALPHA, seconds: Number(seconds), domains, layers: {}, accuracy: {},
  out_of_domain: {}, ensembles: {}, routing: {}, routers: {}, tools: {}, claims };

const evals = {};
for (const d of domains) evals[d] = read(`${d}.json`);
const first = evals[domains[0]];
Object.assign(res, { base_model: first.base_model, hardware: first.hardware,
  loco_version: first.loco_version, timestamp: first.timestamp });

out.push('# The tiny world, measured by loco', '');
out.push(`Made by \`make tiny-results\` (adapters/tiny/train/measure.sh): loco ${first.loco_version}, ` +
  `the real engine (node-llama-cpp), ${first.hardware.cpus} CPUs, ${seconds} s in all, ${first.timestamp}.`);
out.push(`Held-out benchmarks of ${first.n} cases each, from another distribution than training ` +
  '(adapters/tiny/README.md). Every comparison is paired on the same cases with an exact McNemar test; ' +
  `a difference with p >= ${ALPHA} is reported as no significant difference.`, '');

// ---------------------------------------------------------------- layers
out.push('## Layers, per domain (`loco eval --grid`)', '');
out.push('Greedy unless votes; votes sample at 0.7. Each row against the one above it.', '');
for (const d of domains) {
  const g = read(`${d}-grid.json`);
  const cell = (adapter, reread, votes) => g.grid.find((x) => x.adapter === adapter &&
    x.reread === reread && x.votes === votes);
  const rows = [['base', cell(false, false, 1)], ['base + RE2', cell(false, true, 1)],
    ['adapter', cell(true, false, 1)], ['adapter + RE2', cell(true, true, 1)]];
  const votes = g.grid.filter((x) => x.adapter && x.reread && x.votes > 1)[0];
  rows.push([`adapter + RE2 + ${votes.votes} votes`, votes]);
  out.push(`### ${d} (${g.n} cases; adapter ${g.adapter} ${g.version})`, '');
  out.push('| row | accuracy | 95% CI | against the row above | only this right | only that right | p | |');
  out.push('|---|---|---|---|---|---|---|---|');
  res.layers[d] = [];
  rows.forEach(([name, c], i) => {
    const t = i === 0 ? null : g.tests[i - 1];
    res.layers[d].push({ row: name, accuracy: c.accuracy, ci_low: c.ci_low, ci_high: c.ci_high,
      test: t });
    out.push(`| ${name} | ${pct(c.accuracy)} | ${pct(c.ci_low)} to ${pct(c.ci_high)} | ` +
      (t ? `${pts(t.difference_points / 100)} | ${t.row_only} | ${t.against_only} | ` +
        `${t.p_underflow ? '< 1e-300' : ptext(t.p)} | ${verdict(t.p)} |` : '- | - | - | - | |'));
  });
  out.push('');
  const t = (row) => g.tests.find((x) => x.row.startsWith(row));
  const at = (i) => rows[i][1].accuracy;
  claims.push(`${d}: RE2 on the base: ` + reading('base + RE2', 'base', at(1), at(0), t('base + RE2').p));
  claims.push(`${d}: ` + reading('the adapter', 'the base with RE2', at(2), at(1), t('adapter, 1').p));
  claims.push(`${d}: RE2 on the adapter: ` + reading('adapter + RE2', 'adapter', at(3), at(2),
    t('adapter + RE2, 1').p));
  claims.push(`${d}: ${votes.votes} votes at 0.7: ` + reading('the vote', 'adapter + RE2 greedy',
    at(4), at(3), t('adapter + RE2 +').p));
}

// ---------------------------------------------------------------- accuracy matrix
const acc = { base: {} };
for (const d of domains) {
  const e = evals[d];
  acc.base[d] = e.scores.base.accuracy;
  acc[d] = { [d]: e.scores.adapter.accuracy };
  for (const o of e.out_of_domain) acc[d][o.domain] = o.adapter;
  res.out_of_domain[d] = e.out_of_domain.map((o) => ({ domain: o.domain, adapter: o.adapter,
    base: o.base, degradation_points: o.degradation_points }));
}
res.accuracy = acc;
out.push('## Every adapter on every benchmark (`loco eval --ood`; greedy, RE2 on)', '');
out.push('| model \\ benchmark | ' + domains.join(' | ') + ' |');
out.push('|---|' + domains.map(() => '---|').join(''));
out.push(`| base (${first.base_model}) | ` + domains.map((d) => pct(acc.base[d])).join(' | ') + ' |');
for (const a of domains)
  out.push(`| ${a} adapter | ` + domains.map((d) => (d === a ? `**${pct(acc[a][d])}**` : pct(acc[a][d]))).join(' | ') + ' |');
out.push('');

// ---------------------------------------------------------------- ensembles
if (ensembles.length) {
  out.push('## Cross-adapter ensembles (`loco eval --ensemble`; greedy, RE2 on)', '');
  out.push('| domain | members (weight) | ensemble | best single | only ensemble right | only best right | p | |');
  out.push('|---|---|---|---|---|---|---|---|');
  for (const { domain } of ensembles) {
    const e = read(`${domain}-ensemble.json`);
    const ens = e.ensemble;
    const best = ens.members.find((m) => m.adapter === ens.best.adapter);
    const m = ens.mcnemar;
    res.ensembles[domain] = { members: ens.members.map((x) => ({ adapter: x.adapter, weight: x.weight,
      accuracy: x.score.accuracy })), accuracy: ens.score.accuracy, best: ens.best.adapter,
    best_accuracy: best.score.accuracy, ensemble_only: m.ensemble_only, best_only: m.best_only, p: m.p };
    out.push(`| ${domain} | ${ens.members.map((x) => `${x.adapter} ${pct(x.score.accuracy)} (${x.weight.toFixed(2)})`).join(', ')} | ` +
      `${pct(ens.score.accuracy)} | ${ens.best.adapter} ${pct(best.score.accuracy)} | ${m.ensemble_only} | ` +
      `${m.best_only} | ${m.p_underflow ? '< 1e-300' : ptext(m.p)} | ${verdict(m.p)} |`);
    claims.push(`${domain}: the ensemble of ${ens.members.map((x) => x.adapter).join(' and ')}: ` +
      reading('the ensemble', `its best member (${ens.best.adapter})`, ens.score.accuracy,
        best.score.accuracy, m.p));
  }
  out.push('');
}

// ---------------------------------------------------------------- routing
out.push('## Routing against the oracle (`loco router eval --oracle`, the four benchmarks)', '');
out.push('The oracle takes, per case, a model that answers it right when any does (the active ' +
  'adapters and the base); "right domain" always takes the adapter of the case\'s own domain. ' +
  'Each row against the one below it.', '');
out.push('| choice | right | against | only this right | only that right | p | |');
out.push('|---|---|---|---|---|---|---|');
for (const kind of ['keyword', 'classifier']) {
  const o = read(`oracle-${kind}.json`);
  const routed = new Map(), own = new Map(), oracle = new Map();
  o.per_case.forEach((c, i) => {
    const key = `${c.benchmark}#${c.id}#${i}`;
    const sc = (s) => (c.scores[s] ?? 0) >= 1;
    routed.set(key, sc(c.routed === 'none' ? 'base' : c.routed));
    own.set(key, sc(c.expected));
    oracle.set(key, Object.values(c.scores).some((v) => v >= 1));
  });
  const a = paired(routed, own), b = paired(own, oracle);
  res.routing[kind] = { cases: a.n, routed: a.a, right_domain: a.b, oracle: b.b,
    routed_vs_right_domain: { routed_only: a.a_only, right_domain_only: a.b_only, p: a.p },
    right_domain_vs_oracle: { right_domain_only: b.a_only, oracle_only: b.b_only, p: b.p } };
  out.push(`| ${kind} router | ${pct(a.a)} | right domain | ${a.a_only} | ${a.b_only} | ${ptext(a.p)} | ${verdict(a.p)} |`);
  if (kind === 'classifier')
    out.push(`| right domain | ${pct(a.b)} | oracle | ${b.a_only} | ${b.b_only} | ${ptext(b.p)} | ${verdict(b.p)} |`,
      `| oracle | ${pct(b.b)} | | | | | |`);
  claims.push(`routing (${kind}): ` + reading(`the ${kind} router's choice`, "the case's own domain's adapter",
    a.a, a.b, a.p));
  if (kind === 'classifier')
    claims.push('routing: ' + reading("the case's own domain's adapter", 'the oracle', b.a, b.b, b.p));
}
out.push('');

out.push('## Router labels on benchmarks/router.tsv', '');
out.push('| router | accuracy | wrong adapter | fell back to base | ECE |');
out.push('|---|---|---|---|---|');
for (const kind of ['keyword', 'classifier']) {
  const r = read(`router-${kind}.json`);
  res.routers[kind] = { queries: r.queries, correct: r.correct, accuracy: r.accuracy,
    wrong_adapter_rate: r.wrong_adapter_rate, base_fallback_rate: r.base_fallback_rate, ece: r.ece };
  out.push(`| ${kind} | ${pct(r.accuracy)} (${r.correct}/${r.queries}) | ${pct(r.wrong_adapter_rate)} | ` +
    `${pct(r.base_fallback_rate)} | ${r.ece === null ? '-' : r.ece.toFixed(3)} |`);
}
out.push('');

// ---------------------------------------------------------------- tools
if (exists('tool-math-hard.json')) {
  const tool = passes('tool-math-hard', 'adapter');
  const base = passes('tool-math-hard', 'base');
  const direct = passes('direct-math-hard', 'adapter');
  const n = tool.size;
  out.push('## Tool use (issue #19): math-tool writes the computation, loco\'s sandbox runs it', '');
  out.push(`benchmarks/math-hard.jsonl: ${n} word problems of the math benchmark's distribution with ` +
    'three-digit sums and differences and three-digit by two-digit products. Greedy, RE2 on.', '');
  out.push('| model | right | against | only this right | only that right | p | |');
  out.push('|---|---|---|---|---|---|---|');
  const pairs = [['math-tool', tool, 'math (direct)', direct], ['math-tool', tool, 'base', base],
    ['math (direct)', direct, 'base', base]];
  res.tools.math_hard = { n, accuracy: {}, tests: [] };
  for (const [an, a, bn, b] of pairs) {
    const t = paired(a, b);
    res.tools.math_hard.accuracy[an] = t.a;
    res.tools.math_hard.accuracy[bn] = t.b;
    res.tools.math_hard.tests.push({ row: an, against: bn, row_only: t.a_only, against_only: t.b_only, p: t.p });
    out.push(`| ${an} | ${pct(t.a)} | ${bn} ${pct(t.b)} | ${t.a_only} | ${t.b_only} | ${ptext(t.p)} | ${verdict(t.p)} |`);
    claims.push('math-hard: ' + reading(an, bn, t.a, t.b, t.p));
  }
  const tr = read('tool-math-hard.json');
  if (tr.tools) res.tools.calls = tr.tools;
  if (exists('tool-math.json')) {
    const t = paired(passes('tool-math', 'adapter'), passes('math', 'adapter'));
    res.tools.math = { n: t.n, math_tool: t.a, math: t.b, tool_only: t.a_only, math_only: t.b_only, p: t.p };
    out.push(`| math-tool on the math benchmark | ${pct(t.a)} | math (direct) ${pct(t.b)} | ${t.a_only} | ` +
      `${t.b_only} | ${ptext(t.p)} | ${verdict(t.p)} |`);
    claims.push('math (the one-digit benchmark): ' + reading('math-tool', 'math (direct)', t.a, t.b, t.p));
  }
  out.push('');
}

out.push('## Claims, worded by their p-values', '');
for (const c of claims) out.push(`- ${c}`);
out.push('');
fs.writeFileSync(outJson, JSON.stringify(res, null, 1) + '\n');
process.stdout.write(out.join('\n'));
