// samegreedy.js URL BENCHDIR DOMAIN... : for every case of each domain's
// benchmark (BENCHDIR/DOMAIN.jsonl), ask a llama-server-style endpoint
// (llama-server itself, or tests/engine/server.js) at temperature 0 once
// with the adapter file DOMAIN.gguf and once with conv-DOMAIN.gguf (ids
// from GET /lora-adapters), and compare the answers.  Prints one line per
// domain and exits 1 if any answer differs (the first few are shown).
// JOBS (default 2) cases are asked at once, each of them twice; LIMIT
// asks only the first LIMIT cases of each domain.  ALLOW (default 0) is
// how many answers of a domain may differ before it counts as a
// failure: an F16 conversion rounds every LoRA weight, which may decide
// a near tie the other way (the differing answers are printed always).
'use strict';
const fs = require('fs');
const path = require('path');

const [url, benchdir, ...domains] = process.argv.slice(2);

async function post(body) {
  for (let attempt = 0; ; attempt++) {
    const r = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    if (r.ok) return (await r.json()).choices[0].message.content;
    if (r.status !== 503 || attempt > 50) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function main() {
  const loras = await (await fetch(`${url}/lora-adapters`)).json();
  const id = (file) => {
    const l = loras.find((x) => path.basename(x.path) === file);
    if (!l) throw new Error(`${url} has no adapter ${file}`);
    return l.id;
  };
  let bad = 0;
  for (const d of domains) {
    const ref = id(`${d}.gguf`), conv = id(`conv-${d}.gguf`);
    const cases = fs.readFileSync(path.join(benchdir, `${d}.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    let same = 0, differ = 0;
    const t0 = Date.now();
    const jobs = +(process.env.JOBS || 2), n = +(process.env.LIMIT || cases.length);
    cases.splice(n);
    const body = (c, lid) => ({
      messages: [{ role: 'user', content: c.input ? `${c.instruction}\n${c.input}` : c.instruction }],
      temperature: 0, max_tokens: 48, lora: [{ id: lid, scale: 1 }],
    });
    for (let i = 0; i < cases.length; i += jobs) {
      const batch = cases.slice(i, i + jobs), out = [];
      if (jobs > 1) out.push(...await Promise.all(batch.flatMap((c) => [post(body(c, ref)), post(body(c, conv))])));
      else out.push(await post(body(batch[0], ref)), await post(body(batch[0], conv)));
      for (let j = 0; j < batch.length; j++) {
        if (out[2 * j] === out[2 * j + 1]) same++;
        else {
          differ++;
          if (bad + differ <= 5)
            console.error(`${d} ${batch[j].id}: reference ${JSON.stringify(out[2 * j])}, converted ${JSON.stringify(out[2 * j + 1])}`);
        }
      }
    }
    if (differ > +(process.env.ALLOW || 0)) bad += differ;
    console.log(`${d}: ${same} of ${cases.length} answers the same (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  process.exit(bad ? 1 : 0);
}

main().catch((e) => { console.error(`samegreedy.js: ${e.message}`); process.exit(2); });
