// summarize.js RUNS DOMAINS SEEDS SECONDS OUT.json: the tables of
// logs/loco_results.md (on stdout) from the JSON that measure.sh collected
// from `loco eval --format json` and `loco router eval --json`.
'use strict';
const fs = require('fs');
const path = require('path');

const [runs, domainsArg, seedsArg, seconds, outJson] = process.argv.slice(2);
const domains = domainsArg.split(/\s+/).filter(Boolean);
const seeds = seedsArg.split(/\s+/).filter(Boolean);
const read = (name) => JSON.parse(fs.readFileSync(path.join(runs, name), 'utf8'));
const pct = (x) => (x * 100).toFixed(1) + '%';
const pexp = (p) => (p < 1e-3 ? p.toExponential(1) : p.toFixed(3));

const evals = {};
for (const d of domains) evals[d] = read(`${d}.json`);
const first = evals[domains[0]];
const out = [];
const res = { domains, seeds, seconds: Number(seconds), base_model: first.base_model,
  hardware: first.hardware, loco_version: first.loco_version, timestamp: first.timestamp,
  accuracy: {}, mcnemar: {}, out_of_domain: {}, voting: {}, routers: {} };

// base on every domain: its own-domain runs are all greedy and identical.
const acc = { base: {} };
for (const d of domains) {
  const e = evals[d];
  acc.base[d] = e.scores.base.accuracy;
  acc[d] = { [d]: e.scores.adapter.accuracy };
  for (const o of e.out_of_domain) acc[d][o.domain] = o.adapter;
  res.mcnemar[d] = { n: e.n, adapter: e.scores.adapter.accuracy, base: e.scores.base.accuracy,
    adapter_only: e.mcnemar.adapter_only, base_only: e.mcnemar.base_only, p: e.mcnemar.p };
  res.out_of_domain[d] = e.out_of_domain.map((o) => ({ domain: o.domain, adapter: o.adapter,
    base: o.base, degradation_points: o.degradation_points }));
}
res.accuracy = acc;

out.push(`# The tiny world, measured by loco`, '');
out.push(`Made by \`make tiny-results\` (adapters/tiny/train/measure.sh): loco ${first.loco_version}, ` +
  `the real engine (node-llama-cpp), ${first.hardware.cpus} CPUs, ${seconds} s in all, ${first.timestamp}.`);
out.push(`Held-out benchmarks of ${first.n} cases each; greedy, RE2 on, seed 42 unless stated.`, '');
out.push('## Accuracy (`loco eval`, `--ood` for the other domains)', '');
out.push('| model \\ benchmark | ' + domains.join(' | ') + ' |');
out.push('|---|' + domains.map(() => '---|').join(''));
out.push(`| base (${first.base_model}) | ` + domains.map((d) => pct(acc.base[d])).join(' | ') + ' |');
for (const a of domains)
  out.push(`| ${a} adapter | ` + domains.map((d) => (d === a ? `**${pct(acc[a][d])}**` : pct(acc[a][d]))).join(' | ') + ' |');
out.push('', '## Adapter against base on its own domain', '');
out.push('| domain | adapter | base | adapter only right | base only right | McNemar exact p |');
out.push('|---|---|---|---|---|---|');
for (const d of domains) {
  const m = res.mcnemar[d];
  out.push(`| ${d} | ${pct(m.adapter)} | ${pct(m.base)} | ${m.adapter_only} | ${m.base_only} | ${pexp(m.p)} |`);
}
out.push('', '## Out of domain: each adapter on the other domains, against the base', '');
out.push('| adapter | ' + domains.map((d) => `on ${d}`).join(' | ') + ' |');
out.push('|---|' + domains.map(() => '---|').join(''));
for (const a of domains) {
  const cells = domains.map((d) => {
    if (d === a) return '-';
    const o = res.out_of_domain[a].find((x) => x.domain === d);
    return `${pct(o.adapter)} (base ${pct(o.base)}, ${o.degradation_points > 0 ? '-' : o.degradation_points < 0 ? '+' : ''}${Math.abs(o.degradation_points).toFixed(1)} pts)`;
  });
  out.push(`| ${a} | ` + cells.join(' | ') + ' |');
}

out.push('', '## Voting: one sample against a vote of 5, both at temperature 0.7', '');
out.push(`| adapter, own domain | one sample (mean of seeds ${seeds.join(', ')}) | range | 5 votes (seed 1) | gain |`);
out.push('|---|---|---|---|---|');
for (const d of domains) {
  const singles = seeds.map((s) => read(`${d}-t${s}.json`).scores.adapter.accuracy);
  const mean = singles.reduce((x, y) => x + y, 0) / singles.length;
  const v = read(`${d}-v5.json`).scores.adapter.accuracy;
  res.voting[d] = { single: singles, single_mean: mean, votes5: v, gain_points: (v - mean) * 100 };
  out.push(`| ${d} | ${pct(mean)} | ${pct(Math.min(...singles))} to ${pct(Math.max(...singles))} | ${pct(v)} | ` +
    `${v - mean >= 0 ? '+' : ''}${((v - mean) * 100).toFixed(1)} pts |`);
}

out.push('', '## Routers on benchmarks/router.tsv', '');
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
fs.writeFileSync(outJson, JSON.stringify(res, null, 1) + '\n');
process.stdout.write(out.join('\n'));
