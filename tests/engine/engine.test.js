'use strict';
// Tests of the real engine (tests/engine/server.js) on the tiny models in
// adapters/tiny: node --test tests/engine/
// Needs `npm ci --omit=optional` in tests/engine (skipped otherwise).
// One server for the whole file (getLlama costs ~0.6 s per process).

const test = require('node:test');
const assert = require('node:assert');
const { spawn } = require('node:child_process');
const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');

const ROOT = path.join(__dirname, '..', '..');
const SERVER = path.join(__dirname, 'server.js');
const MODELS = path.join(ROOT, 'adapters', 'tiny');
const HAVE_DEPS = fs.existsSync(path.join(__dirname, 'node_modules', 'node-llama-cpp'));
const SKIP = HAVE_DEPS ? false : 'node-llama-cpp not installed: run npm ci --omit=optional in tests/engine';

// A held-out math question (adapters/tiny/data/math.jsonl) where the base is
// wrong and the math adapter is right, with the greedy answers of each.
const MATH_Q = 'Elsa owns 4 beads. Elsa buys 6 more. How many beads in all?';
const BASE_ANSWER = '12';
const MATH_ANSWER = '10';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

let srv = null;

async function start(extra = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-engine-'));
  const child = spawn(process.execPath, [SERVER, '--dir', dir, '--models', MODELS, '--idle-timeout', '120', ...extra],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  const t0 = Date.now();
  while (!fs.existsSync(path.join(dir, 'port'))) {
    if (Date.now() - t0 > 15000) throw new Error(`no port file; stderr: ${stderr}`);
    await sleep(20);
  }
  return { dir, port: Number(fs.readFileSync(path.join(dir, 'port'), 'utf8')), child, exited, stderr: () => stderr };
}

function request(method, p, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    if (data) headers = Object.assign({ 'Content-Length': data.length }, headers);
    const req = http.request({ host: '127.0.0.1', port: srv.port, method, path: p, headers }, (res) => {
      const bufs = [];
      res.on('data', (b) => bufs.push(b));
      res.on('end', () => {
        const text = Buffer.concat(bufs).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

const lines = (r) => r.text.split('\n').filter((l) => l).map((l) => JSON.parse(l));

async function chat(model, content, options = { temperature: 0 }, extra = {}) {
  const r = await request('POST', '/api/chat', Object.assign({ model, messages: [{ role: 'user', content }], stream: false, options }, extra));
  assert.strictEqual(r.status, 200, r.text);
  return r.json;
}

test('real engine', { skip: SKIP }, async (t) => {
  srv = await start();
  t.after(async () => {
    srv.child.kill('SIGTERM');
    await srv.exited;
    fs.rmSync(srv.dir, { recursive: true, force: true });
  });

  await t.test('version, empty tags', async () => {
    assert.strictEqual((await request('GET', '/api/version')).json.version, '0.33.0');
    assert.deepStrictEqual((await request('GET', '/api/tags')).json, { models: [] });
  });

  await t.test('pull the base from MODELDIR', async () => {
    const r = await request('POST', '/api/pull', { model: 'tiny-base' });
    assert.strictEqual(r.status, 200);
    const ls = lines(r);
    const digest = `sha256:${sha256(fs.readFileSync(path.join(MODELS, 'base.gguf')))}`;
    assert.deepStrictEqual(ls[0], { status: 'pulling manifest' });
    assert.ok(ls.some((l) => l.digest === digest && l.completed === l.total));
    assert.deepStrictEqual(ls[ls.length - 1], { status: 'success' });
    const bad = lines(await request('POST', '/api/pull', { model: 'no-such-model' }));
    assert.deepStrictEqual(bad[bad.length - 1], { error: 'pull model manifest: file does not exist' });
  });

  const adapter = fs.readFileSync(path.join(MODELS, 'math.gguf'));
  const digest = `sha256:${sha256(adapter)}`;

  await t.test('blob upload with digest check', async () => {
    assert.strictEqual((await request('HEAD', `/api/blobs/${digest}`)).status, 404);
    const wrong = await request('POST', `/api/blobs/sha256:${'0'.repeat(64)}`, adapter);
    assert.strictEqual(wrong.status, 400);
    assert.match(wrong.json.error, /^digest mismatch/);
    assert.strictEqual((await request('POST', `/api/blobs/${digest}`, adapter)).status, 201);
    assert.strictEqual((await request('POST', `/api/blobs/${digest}`, adapter)).status, 200);
    assert.strictEqual((await request('HEAD', `/api/blobs/${digest}`)).status, 200);
  });

  await t.test('create a model with the math adapter', async () => {
    const two = await request('POST', '/api/create', { model: 'x', from: 'tiny-base', adapters: { 'a.gguf': digest, 'b.gguf': digest } });
    assert.strictEqual(two.status, 400);
    assert.strictEqual(two.json.error, 'only one adapter is currently supported');
    const r = await request('POST', '/api/create', { model: 'loco-math:1.0.0', from: 'tiny-base', adapters: { 'math.gguf': digest } });
    assert.strictEqual(r.status, 200, r.text);
    const ls = lines(r);
    assert.ok(ls.some((l) => l.status === `using existing layer ${digest}`));
    assert.deepStrictEqual(ls[ls.length - 1], { status: 'success' });
  });

  let baseFirst;
  await t.test('base and adapter answer differently; the adapter is right', async () => {
    baseFirst = await chat('tiny-base', MATH_Q);
    const math = await chat('loco-math:1.0.0', MATH_Q);
    assert.strictEqual(baseFirst.message.content, BASE_ANSWER);
    assert.strictEqual(math.message.content, MATH_ANSWER);
    assert.notStrictEqual(baseFirst.message.content, math.message.content);
    for (const r of [baseFirst, math]) {
      assert.strictEqual(r.done, true);
      assert.strictEqual(r.done_reason, 'stop');
      assert.strictEqual(r.prompt_eval_count, 1 + 'Q: \nA: '.length + MATH_Q.length); // BOS + one token per character
      assert.strictEqual(r.eval_count, [...r.message.content].length + 1); // + the end token
      for (const k of ['total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration']) assert.ok(Number.isInteger(r[k]) && r[k] > 0, k);
    }
  });

  await t.test('switching adapters reloads (load_duration), same model does not', async () => {
    const again = await chat('loco-math:1.0.0', MATH_Q); // loaded: no reload
    const sw = await chat('tiny-base', MATH_Q); // different adapter: unload + load
    assert.strictEqual(sw.message.content, BASE_ANSWER);
    assert.ok(sw.load_duration > 2e6, `reload took ${sw.load_duration} ns`);
    assert.ok(sw.load_duration > 5 * again.load_duration, `${sw.load_duration} vs ${again.load_duration}`);
    const ps = (await request('GET', '/api/ps')).json.models;
    assert.deepStrictEqual(ps.map((m) => m.name), ['tiny-base:latest']);
  });

  await t.test('RE2 prompt, streaming, determinism and seeds', async () => {
    const re2 = await chat('loco-math:1.0.0', `${MATH_Q}\nRead the question again: ${MATH_Q}`);
    assert.strictEqual(re2.message.content, MATH_ANSWER);
    const r = await request('POST', '/api/chat', { model: 'loco-math:1.0.0', messages: [{ role: 'user', content: MATH_Q }], options: { temperature: 0 } });
    assert.strictEqual(r.headers['content-type'], 'application/x-ndjson');
    const ls = lines(r);
    assert.strictEqual(ls.map((l) => l.message.content).join(''), MATH_ANSWER);
    assert.strictEqual(ls[ls.length - 1].done, true);
    const gen = await request('POST', '/api/generate', { model: 'loco-math:1.0.0', prompt: MATH_Q, stream: false, options: { temperature: 0 } });
    assert.strictEqual(gen.json.response, MATH_ANSWER);
    const s1 = await chat('loco-math:1.0.0', MATH_Q, { temperature: 1.5, seed: 42, num_predict: 8 });
    const s2 = await chat('loco-math:1.0.0', MATH_Q, { temperature: 1.5, seed: 42, num_predict: 8 });
    assert.strictEqual(s1.message.content, s2.message.content);
    const len = await chat('tiny-base', MATH_Q, { temperature: 0, num_predict: 1 });
    assert.strictEqual(len.done_reason, 'length');
    assert.strictEqual(len.eval_count, 1);
  });

  await t.test('an adapter for another architecture fails at the first generate with 500', async () => {
    // The math adapter with general.architecture "llama" patched to "qwen3" (same length).
    const buf = Buffer.from(adapter);
    const key = Buffer.from('general.architecture');
    const at = buf.indexOf(key) + key.length + 4 + 8; // u32 type, u64 length
    assert.strictEqual(buf.subarray(at, at + 5).toString(), 'llama');
    buf.write('qwen3', at);
    const d = `sha256:${sha256(buf)}`;
    assert.strictEqual((await request('POST', `/api/blobs/${d}`, buf)).status, 201);
    const c = await request('POST', '/api/create', { model: 'mismatch', from: 'tiny-base', adapters: { 'q.gguf': d }, stream: false });
    assert.strictEqual(c.status, 200, c.text);
    assert.deepStrictEqual(c.json, { status: 'success' });
    const r = await request('POST', '/api/chat', { model: 'mismatch', messages: [{ role: 'user', content: MATH_Q }], stream: false });
    assert.strictEqual(r.status, 500);
    assert.strictEqual(r.json.error, 'llama-server process has terminated: error loading LoRA adapter: model arch and LoRA arch mismatch');
    // The engine still serves the others.
    assert.strictEqual((await chat('loco-math:1.0.0', MATH_Q)).message.content, MATH_ANSWER);
  });

  await t.test('llama-server style hot swap: /lora-adapters and per-request lora', async () => {
    const list = (await request('GET', '/lora-adapters')).json;
    assert.deepStrictEqual(list.map((a) => path.basename(a.path)), ['analysis.gguf', 'code-b.gguf', 'code.gguf', 'math-b.gguf', 'math-tool.gguf', 'math.gguf', 'writing.gguf']);
    const id = list.findIndex((a) => a.path.endsWith('math.gguf'));
    const ask = (lora) => request('POST', '/v1/chat/completions', { model: 'tiny-base', messages: [{ role: 'user', content: MATH_Q }], temperature: 0, lora });
    const withMath = await ask([{ id, scale: 1 }]);
    assert.strictEqual(withMath.status, 200, withMath.text);
    assert.strictEqual(withMath.json.choices[0].message.content, MATH_ANSWER);
    const without = await ask([]);
    assert.strictEqual(without.json.choices[0].message.content, BASE_ANSWER);
    assert.strictEqual((await ask([{ id: 99, scale: 1 }])).status, 400);
  });

  await t.test('show, copy, delete', async () => {
    const s = await request('POST', '/api/show', { model: 'loco-math:1.0.0' });
    assert.strictEqual(s.status, 200);
    assert.strictEqual(s.json.model_info['general.architecture'], 'llama');
    assert.strictEqual(s.json.details.family, 'llama');
    assert.match(s.json.modelfile, /\nADAPTER /);
    assert.strictEqual((await request('POST', '/api/copy', { source: 'loco-math:1.0.0', destination: 'm2' })).status, 200);
    const names = (await request('GET', '/api/tags')).json.models.map((m) => m.name).sort();
    assert.deepStrictEqual(names, ['loco-math:1.0.0', 'm2:latest', 'mismatch:latest', 'tiny-base:latest']);
    assert.strictEqual((await request('DELETE', '/api/delete', { model: 'm2' })).status, 200);
    assert.strictEqual((await request('DELETE', '/api/delete', { model: 'm2' })).status, 404);
    assert.strictEqual((await request('POST', '/api/show', { model: 'm2' })).status, 404);
    assert.strictEqual((await request('POST', '/api/chat', { model: 'm2', messages: [] })).status, 404);
  });

  await t.test('requests are logged', async () => {
    const log = fs.readFileSync(path.join(srv.dir, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.strictEqual(log[0].seq, 1);
    assert.ok(log.some((l) => l.path === `/api/blobs/${digest}` && l.raw_sha256 === digest.slice(7)));
  });
});

test('parallel sequences', { skip: SKIP }, async (t) => {
  srv = await start(['--parallel', '2']);
  t.after(async () => {
    srv.child.kill('SIGTERM');
    await srv.exited;
    fs.rmSync(srv.dir, { recursive: true, force: true });
  });
  await request('POST', '/api/pull', { model: 'tiny-base', stream: false });
  const qs = fs.readFileSync(path.join(MODELS, 'data', 'math.jsonl'), 'utf8').trim().split('\n').slice(0, 6).map((l) => JSON.parse(l).question);
  const serial = [];
  for (const q of qs) serial.push((await chat('tiny-base', q)).message.content);
  const par = await Promise.all(qs.map((q) => chat('tiny-base', q)));
  assert.deepStrictEqual(par.map((r) => r.message.content), serial);
});
