#!/usr/bin/env node
'use strict';
// Step 2 of the GGUF check: run check_gguf.py's cases through llama.cpp
// (node-llama-cpp from tests/engine/node_modules) and compare with torch:
// the prompt tokens must be identical and the greedy answers equal, or
// differ first where torch's two best logits were within TIE of each other
// (a near tie: F32 sums in another order decide it, not a wrong layout).
//
//   node check_gguf.js CASES.json [REPORT.json]

const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');

const TIE = 0.05;

const engineDir = path.join(__dirname, '..', '..', '..', 'tests', 'engine');

async function main() {
  const [casesFile, reportFile] = process.argv.slice(2);
  const { cases } = JSON.parse(fs.readFileSync(casesFile, 'utf8'));
  const req = createRequire(path.join(engineDir, 'package.json'));
  const { getLlama, LlamaLogLevel } = await import(pathToFileURL(req.resolve('node-llama-cpp')).href);
  const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, maxThreads: 2, logLevel: LlamaLogLevel.error });
  const groups = new Map();
  for (const c of cases) {
    const k = `${c.gguf}|${c.lora || ''}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(c);
  }
  const report = { groups: [], total: 0, agree: 0, near_tie: 0, token_mismatch: 0, tie: TIE };
  for (const [k, cs] of groups) {
    const [gguf, lora] = k.split('|');
    const model = await llama.loadModel({ modelPath: gguf, gpuLayers: 0 });
    const co = { contextSize: 512, threads: 2 };
    if (lora) co.lora = { adapters: [{ filePath: lora, scale: 1 }] };
    const ctx = await model.createContext(co);
    const seq = ctx.getSequence();
    let agree = 0;
    let tokMis = 0;
    let ties = 0;
    const diffs = [];
    const t0 = Date.now();
    for (const c of cs) {
      const toks = [model.tokens.bos, ...model.tokenize(c.prompt)];
      if (JSON.stringify(toks) !== JSON.stringify(c.prompt_ids)) tokMis++;
      await seq.clearHistory();
      const out = [];
      for await (const t of seq.evaluate(c.prompt_ids, { temperature: 0 })) {
        out.push(t);
        if (out.length >= 40) break; // = max_new in common.answers
      }
      const text = model.detokenize(out);
      if (text === c.answer) {
        agree++;
        continue;
      }
      let i = 0;
      while (i < text.length && text[i] === c.answer[i]) i++;
      const gap = c.margins ? c.margins[i] : undefined;
      const d = { prompt: c.prompt, torch: c.answer, llama: text, at: i, torch_gap: gap };
      if (gap !== undefined && gap < TIE) {
        ties++;
        d.near_tie = true;
      }
      if (diffs.length < 5) diffs.push(d);
    }
    await ctx.dispose();
    await model.dispose();
    const g = { gguf: path.basename(gguf), lora: lora ? path.basename(lora) : null, n: cs.length, agree, near_tie: ties, token_mismatch: tokMis, seconds: (Date.now() - t0) / 1000, diffs };
    report.groups.push(g);
    report.total += cs.length;
    report.agree += agree;
    report.near_tie += ties;
    report.token_mismatch += tokMis;
    console.log(`${g.lora || g.gguf}: ${agree}/${cs.length} greedy answers agree` +
      (ties ? `, ${ties} differ at a near tie` : '') + `, ${tokMis} tokenizer mismatches`);
    for (const d of diffs) console.log('  differs:', JSON.stringify(d));
  }
  console.log(`total: ${report.agree}/${report.total} agree` +
    (report.near_tie ? `, ${report.near_tie} differ at a near tie (torch's top two logits within ${TIE})` : ''));
  if (reportFile) fs.writeFileSync(reportFile, JSON.stringify(report, null, 1) + '\n');
  process.exit(report.agree + report.near_tie === report.total && report.token_mismatch === 0 ? 0 : 1);
}

main().catch((e) => { console.error(e); process.exit(2); });
