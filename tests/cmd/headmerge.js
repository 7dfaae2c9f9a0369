// headmerge.js URL_LORA ADAPTER URL_MERGED BENCHDIR DOMAIN... : a LoRA on
// lm_head as llama-server applies it against the same LoRA merged into the
// base's output.weight (peft.js merge).  For each case of each domain's
// benchmark (BENCHDIR/DOMAIN.jsonl), the greedy answer and every token's
// log-probability from URL_LORA with the adapter file ADAPTER at scale 1
// must equal URL_MERGED's with none; and the adapter must change some
// answers from the base's (scale 0), or the comparison proves nothing.
// Prints one line; exits 1 naming the first difference.
'use strict';
const fs = require('fs');
const path = require('path');

const [urlLora, adapter, urlMerged, benchdir, ...domains] = process.argv.slice(2);
const TOL = 1e-3;

async function post(url, ep, body) {
  const r = await fetch(`${url}${ep}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const j = await r.json();
  if (!r.ok) throw new Error(`${url}${ep}: HTTP ${r.status}: ${JSON.stringify(j).slice(0, 200)}`);
  return j;
}

async function answer(url, prompt, lora) {
  const t = await post(url, '/apply-template', { messages: [{ role: 'user', content: prompt }] });
  const j = await post(url, '/completion', {
    prompt: t.prompt, temperature: 0, n_predict: 24, n_probs: 1, cache_prompt: false,
    ...(lora ? { lora } : {}),
  });
  return { text: j.content, lp: (j.completion_probabilities || []).map((x) => x.logprob) };
}

async function main() {
  const loras = await (await fetch(`${urlLora}/lora-adapters`)).json();
  const me = loras.find((x) => path.basename(x.path) === adapter);
  if (!me) throw new Error(`${urlLora} has no adapter ${adapter}`);
  const scale = (s) => loras.map((x) => ({ id: x.id, scale: x.id === me.id ? s : 0 }));
  let n = 0, changed = 0, maxd = 0;
  for (const d of domains) {
    const cases = fs.readFileSync(path.join(benchdir, `${d}.jsonl`), 'utf8').split('\n').filter(Boolean)
      .map((l) => JSON.parse(l)).slice(0, +(process.env.LIMIT || 10));
    for (const c of cases) {
      const prompt = c.input ? `${c.instruction}\n${c.input}` : c.instruction;
      const lo = await answer(urlLora, prompt, scale(1));
      const mg = await answer(urlMerged, prompt);
      const base = await answer(urlLora, prompt, scale(0));
      if (lo.text !== mg.text || lo.lp.length !== mg.lp.length)
        throw new Error(`${d} ${c.id}: with the LoRA ${JSON.stringify(lo.text)}, merged ${JSON.stringify(mg.text)}`);
      for (let i = 0; i < lo.lp.length; i++) {
        const dl = Math.abs(lo.lp[i] - mg.lp[i]);
        if (!(dl <= TOL)) throw new Error(`${d} ${c.id}: token ${i}: log-probability ${lo.lp[i]} with the LoRA, ${mg.lp[i]} merged`);
        maxd = Math.max(maxd, dl);
      }
      if (base.text !== lo.text) changed++;
      n++;
    }
  }
  console.log(`lm_head: ${n} of ${n} answers the same as the merged base (largest log-probability difference ${maxd.toExponential(1)}); ${changed} differ from the base's`);
  if (changed === 0) throw new Error('the LoRA changed no answer: the comparison proves nothing');
}

main().catch((e) => { console.error(`headmerge.js: ${e.message}`); process.exit(1); });
