'use strict';
// Self-test for the loco test backend: node --test tests/backend/
// Starts server.js as a child process in a temporary directory and checks the
// endpoints, the scripted replies and every fault.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { start, script, request } = require('./testlib');

const post = (srv, p, body) => request(srv.port, 'POST', p, body);
const lines = (text) => text.split('\n').filter((l) => l !== '');
const chatBody = (content, extra = {}) => Object.assign({ model: 'qwen3:4b', messages: [{ role: 'user', content }] }, extra);

function assemble(text) {
  let content = '';
  let thinking = '';
  let done = null;
  for (const l of lines(text)) {
    const o = JSON.parse(l);
    const m = o.message || {};
    content += m.content ?? o.response ?? '';
    thinking += m.thinking ?? o.thinking ?? '';
    if (o.done) done = o;
  }
  return { content, thinking, done };
}

let srv;
test.before(async () => { srv = await start(['--idle-timeout', '30']); });
test.after(async () => {
  if (srv && srv.child.exitCode === null) srv.child.kill('SIGTERM');
  await srv.exited;
  assert.ok(!fs.existsSync(path.join(srv.dir, 'port')), 'port file removed on exit');
});

test('simple endpoints', async () => {
  script(srv, { models: ['qwen3:4b', { name: 'Llama3', architecture: 'llama', digest: 'a'.repeat(64) }] });
  let r = await request(srv.port, 'GET', '/');
  assert.strictEqual(r.status, 200);
  assert.strictEqual(r.text, 'Ollama is running');
  r = await request(srv.port, 'HEAD', '/');
  assert.strictEqual(r.status, 200);
  r = await request(srv.port, 'GET', '/api/version');
  assert.deepStrictEqual(r.json, { version: '0.33.0' });
  r = await request(srv.port, 'GET', '/api/tags');
  assert.deepStrictEqual(r.json.models.map((m) => m.name), ['qwen3:4b', 'Llama3:latest']);
  assert.match(r.json.models[0].digest, /^[0-9a-f]{64}$/);
  assert.strictEqual(r.json.models[1].digest, 'a'.repeat(64));
  assert.strictEqual(r.json.models[0].details.format, 'gguf');
  r = await post(srv, '/api/show', { model: 'llama3:latest' });
  assert.strictEqual(r.status, 200);
  assert.strictEqual(r.json.model_info['general.architecture'], 'llama');
  assert.deepStrictEqual(r.json.capabilities, ['completion']);
  r = await post(srv, '/api/show', { name: 'nope' });
  assert.strictEqual(r.status, 404);
  assert.deepStrictEqual(r.json, { error: "model 'nope:latest' not found" });
  r = await request(srv.port, 'GET', '/api/nope');
  assert.strictEqual(r.status, 404);
  assert.strictEqual(r.text, '404 page not found');
  r = await request(srv.port, 'PUT', '/api/chat');
  assert.strictEqual(r.status, 405);
  assert.strictEqual(r.text, '405 method not allowed');
});

test('streamed chat, generate and stream:false', async () => {
  const text = 'The answer is <42> & café.';
  script(srv, { models: ['qwen3:4b'], chat: [{ match: { path: '/api/chat' }, reply: text, thinking: 'let me think', chunk_size: 3 }, { reply: text, text_in_final: true }] });
  let r = await post(srv, '/api/chat', chatBody('question'));
  assert.strictEqual(r.status, 200);
  assert.strictEqual(r.headers['content-type'], 'application/x-ndjson');
  let a = assemble(r.text);
  assert.strictEqual(a.content, text);
  assert.strictEqual(a.thinking, 'let me think');
  assert.strictEqual(a.done.done_reason, 'stop');
  assert.ok(a.done.eval_count > 0 && a.done.eval_duration > 0 && a.done.total_duration > 0);
  assert.ok(['\\u003c', '\\u003e', '\\u0026'].every((e) => r.text.includes(e)), 'Go-style escapes');
  r = await post(srv, '/api/chat', chatBody('question', { think: false }));
  a = assemble(r.text);
  assert.strictEqual(a.thinking, '');
  r = await post(srv, '/api/generate', { model: 'qwen3:4b', prompt: 'q' });
  a = assemble(r.text);
  assert.strictEqual(a.content, text);
  assert.notStrictEqual(a.done.response, '', 'text_in_final puts text in the done line');
  r = await post(srv, '/api/chat', chatBody('question', { stream: false }));
  assert.match(r.headers['content-type'], /^application\/json/);
  assert.strictEqual(r.json.message.content, text);
  assert.strictEqual(r.json.done, true);
  r = await post(srv, '/api/chat', { model: 'qwen3:4b', messages: [] });
  assert.strictEqual(r.json.done_reason, 'load');
  r = await post(srv, '/api/generate', { model: 'qwen3:4b', keep_alive: 0 });
  assert.strictEqual(r.json.done_reason, 'unload');
});

test('validation errors', async () => {
  script(srv, { models: ['qwen3:4b'] });
  let r = await post(srv, '/api/chat', { messages: [] });
  assert.strictEqual(r.status, 400);
  assert.deepStrictEqual(r.json, { error: 'model is required' });
  r = await post(srv, '/api/chat', chatBody('x', { model: 'Missing' }));
  assert.strictEqual(r.status, 404);
  assert.deepStrictEqual(r.json, { error: "model 'Missing' not found" });
  r = await post(srv, '/api/chat', chatBody('x', { options: { stop: 'x' } }));
  assert.strictEqual(r.status, 500);
  assert.deepStrictEqual(r.json, { error: 'option "stop" must be of type array' });
  r = await post(srv, '/api/generate', { model: 'qwen3', prompt: 'x', options: { num_ctx: '8' } });
  assert.strictEqual(r.status, 404, 'qwen3 means qwen3:latest');
  r = await post(srv, '/api/generate', { model: 'qwen3:4b', prompt: 'x', options: { num_ctx: '8' } });
  assert.deepStrictEqual(r.json, { error: 'option "num_ctx" must be of type integer' });
  script(srv, { models: ['qwen3:4b'], chat: [{ status: 503 }, { status: 500 }] });
  r = await post(srv, '/api/chat', chatBody('x'));
  assert.strictEqual(r.status, 503);
  assert.deepStrictEqual(r.json, { error: 'server busy, please try again.  maximum pending requests exceeded' });
  script(srv, '{"models": [');
  r = await request(srv.port, 'GET', '/api/tags');
  assert.strictEqual(r.status, 500);
  assert.match(r.json.error, /^test backend: bad script\.json: /);
  script(srv, { check_host: true });
  r = await request(srv.port, 'GET', '/api/version', undefined, { Host: 'evil.example.com' });
  assert.strictEqual(r.status, 403);
  assert.strictEqual(r.text, '');
  r = await request(srv.port, 'GET', '/api/version', undefined, { Host: 'localhost:11434' });
  assert.strictEqual(r.status, 200);
});

test('faults', async () => {
  const text = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const rules = ['error_midstream', 'truncate', 'reset', 'malformed', 'no_newline_end'].map((f) => ({ match: { contains: f }, fault: f, reply: text }));
  rules.push({ match: { contains: 'huge' }, fault: 'huge_line', reply: 'xyz', huge_bytes: 100000 });
  rules.push({ match: { contains: 'custom' }, fault: 'error_midstream', error: 'boom' });
  script(srv, { models: ['qwen3:4b'], chat: rules });

  let r = await post(srv, '/api/chat', chatBody('error_midstream'));
  let ls = lines(r.text);
  assert.strictEqual(r.status, 200);
  assert.deepStrictEqual(JSON.parse(ls[ls.length - 1]), { error: 'an error was encountered while running the model: unexpected EOF' });
  assert.ok(ls.length >= 2 && !r.text.includes('"done":true'));
  r = await post(srv, '/api/chat', chatBody('custom'));
  assert.deepStrictEqual(JSON.parse(lines(r.text).pop()), { error: 'boom' });
  r = await post(srv, '/api/chat', chatBody('error_midstream', { stream: false }));
  assert.strictEqual(r.status, 500);

  r = await post(srv, '/api/chat', chatBody('truncate'));
  assert.strictEqual(r.complete, true, 'clean end of chunked body');
  assert.ok(lines(r.text).length >= 1 && !r.text.includes('"done":true'));

  r = await post(srv, '/api/chat', chatBody('reset'));
  assert.strictEqual(r.complete, false);
  assert.ok(!r.text.includes('"done":true'));

  r = await post(srv, '/api/chat', chatBody('malformed'));
  assert.ok(r.text.includes('"done":true'));
  assert.throws(() => lines(r.text).forEach((l) => JSON.parse(l)));

  r = await post(srv, '/api/chat', chatBody('no_newline_end'));
  assert.ok(!r.text.endsWith('\n'));
  assert.strictEqual(assemble(r.text).content, text);

  r = await post(srv, '/api/chat', chatBody('huge'));
  ls = lines(r.text);
  assert.strictEqual(ls.length, 2);
  assert.strictEqual(JSON.parse(ls[0]).message.content.length, 100000);
  assert.ok(JSON.parse(ls[0]).message.content.startsWith('xyzxyz'));
  assert.strictEqual(JSON.parse(ls[1]).done, true);
});

test('match.every: a fault on every Nth request', async () => {
  script(srv, { models: ['qwen3:4b'], chat: [
    { match: { every: 3 }, status: 500, error: 'every third' },
    { reply: 'fine' }] });
  const got = [];
  for (let i = 0; i < 7; i++) got.push((await post(srv, '/api/chat', chatBody('q', { stream: false }))).status);
  assert.deepStrictEqual(got, [200, 200, 500, 200, 200, 500, 200]);
});

test('split_bytes', async () => {
  script(srv, { models: ['qwen3:4b'], chat: [
    { match: { contains: 'ascii' }, fault: 'split_bytes', ascii_escape: true },
    { fault: 'split_bytes', reply: 'é<>&é', chunk_size: 2 },
  ] });
  let r = await post(srv, '/api/chat', chatBody('plain'));
  assert.ok(r.events > 20, `body arrived in ${r.events} pieces`);
  assert.strictEqual(assemble(r.text).content, 'é<>&é');
  assert.ok(['\\u003c', '\\u003e', '\\u0026'].every((e) => r.text.includes(e)), 'Go-style escapes');
  assert.ok(r.buf.includes(Buffer.from('é')), 'raw UTF-8 without ascii_escape');
  r = await post(srv, '/api/chat', chatBody('ascii'));
  assert.strictEqual(assemble(r.text).content, 'Café <b>&</b> naïve 😀 ok');
  assert.ok(r.text.includes('\\ud83d\\ude00') && r.text.includes('Caf\\u00e9'));
  assert.ok(!/[^\x00-\x7f]/.test(r.text), 'pure ASCII');
});

test('replies cycle and by_seed', async () => {
  script(srv, { models: ['qwen3:4b'], chat: [
    { match: { contains: 'vote' }, replies: ['A', 'B', 'C'], by_seed: true },
    { replies: ['one', 'two'] },
  ] });
  const got = [];
  for (const seed of [0, 1, 2, 3, 5]) {
    const r = await post(srv, '/api/chat', chatBody('vote', { stream: false, options: { seed } }));
    got.push(r.json.message.content);
  }
  assert.deepStrictEqual(got, ['A', 'B', 'C', 'A', 'C']);
  const cyc = [];
  for (let i = 0; i < 3; i++) cyc.push(assemble((await post(srv, '/api/chat', chatBody('x'))).text).content);
  assert.deepStrictEqual(cyc, ['one', 'two', 'one']);
});

test('requests.jsonl records requests', async () => {
  script(srv, { models: ['qwen3:4b'] });
  const body = chatBody('logged <body>', { options: { temperature: 0 } });
  await post(srv, '/api/chat?x=1', body);
  const log = lines(fs.readFileSync(path.join(srv.dir, 'requests.jsonl'), 'utf8')).map((l) => JSON.parse(l));
  const last = log[log.length - 1];
  assert.strictEqual(last.method, 'POST');
  assert.strictEqual(last.path, '/api/chat');
  assert.strictEqual(last.query, 'x=1');
  assert.deepStrictEqual(last.body, body);
  assert.strictEqual(last.headers.host, `127.0.0.1:${srv.port}`);
  assert.ok(log.every((e, i) => e.seq === i + 1));
  await post(srv, '/api/chat', 'not json');
  const raw = JSON.parse(lines(fs.readFileSync(path.join(srv.dir, 'requests.jsonl'), 'utf8')).pop());
  assert.strictEqual(raw.body, null);
  assert.strictEqual(raw.raw, 'not json');
});

test('blobs, create, pull, copy, delete', async () => {
  script(srv, { models: ['qwen3:4b'], pullable: ['llama3.2:1b'], pull_step_ms: 1 });
  const data = Buffer.from('GGUF fake adapter');
  const hex = crypto.createHash('sha256').update(data).digest('hex');
  let r = await request(srv.port, 'HEAD', `/api/blobs/sha256:${hex}`);
  assert.strictEqual(r.status, 404);
  r = await request(srv.port, 'POST', '/api/blobs/sha256:XYZ', data);
  assert.deepStrictEqual([r.status, r.json], [400, { error: 'invalid digest format' }]);
  r = await request(srv.port, 'POST', `/api/blobs/sha256:${'0'.repeat(64)}`, data);
  assert.deepStrictEqual(r.json, { error: `digest mismatch, expected "sha256:${'0'.repeat(64)}", got "sha256:${hex}"` });
  r = await request(srv.port, 'POST', `/api/blobs/sha256:${hex}`, data);
  assert.strictEqual(r.status, 201);
  r = await request(srv.port, 'POST', `/api/blobs/sha256:${hex}`, data);
  assert.strictEqual(r.status, 200);
  r = await request(srv.port, 'HEAD', `/api/blobs/sha256:${hex}`);
  assert.strictEqual(r.status, 200);

  r = await post(srv, '/api/create', { model: 'x' });
  assert.deepStrictEqual([r.status, r.json], [400, { error: "neither 'from' or 'files' was specified" }]);
  r = await post(srv, '/api/create', { model: 'x', from: 'qwen3:4b', adapters: { 'a.gguf': `sha256:${hex}`, 'b.gguf': `sha256:${hex}` } });
  assert.deepStrictEqual([r.status, r.json], [400, { error: 'only one adapter is currently supported' }]);
  // A blob never uploaded: HTTP 200, a status, then the error line.
  r = await post(srv, '/api/create', { model: 'x', from: 'qwen3:4b', adapters: { 'a.gguf': `sha256:${'1'.repeat(64)}` } });
  assert.strictEqual(r.status, 200);
  assert.deepStrictEqual(lines(r.text).map((l) => JSON.parse(l)), [{ status: 'parsing GGUF' },
    { error: `open ${path.join(srv.dir, 'blobs', `sha256-${'1'.repeat(64)}`)}: no such file or directory` }]);
  r = await post(srv, '/api/create', { model: 'x', from: 'qwen3:4b', adapters: { 'a.gguf': 'sha256:XYZ' } });
  assert.deepStrictEqual([r.status, r.json], [400, { error: 'invalid digest format' }]);
  r = await post(srv, '/api/create', { model: 'mine:v1', from: 'qwen3:4b', adapters: { 'a.gguf': `sha256:${hex}` }, system: 'be brief' });
  const st = lines(r.text).map((l) => JSON.parse(l).status);
  assert.deepStrictEqual(st, ['parsing GGUF', `using existing layer sha256:${crypto.createHash('sha256').update('qwen3:4b').digest('hex')}`,
    `using existing layer sha256:${hex}`, st[3], 'writing manifest', 'success']);
  assert.match(st[3], /^creating new layer sha256:[0-9a-f]{64}$/);
  r = await post(srv, '/api/show', { model: 'mine:v1' });
  assert.strictEqual(r.json.system, 'be brief');
  assert.match(r.json.modelfile, new RegExp(`ADAPTER .*sha256-${hex}`));

  script(srv, { models: ['qwen3:4b'], refuse_adapters: 'adapters are not supported' });
  r = await post(srv, '/api/create', { model: 'y', from: 'qwen3:4b', adapters: { 'a.gguf': `sha256:${hex}` } });
  assert.deepStrictEqual([r.status, r.json], [400, { error: 'adapters are not supported' }]);
  script(srv, { models: ['qwen3:4b'], legacy_create: true });
  r = await post(srv, '/api/create', { model: 'y', from: 'qwen3:4b' });
  assert.deepStrictEqual([r.status, r.json], [400, { error: 'path or Modelfile are required' }]);
  r = await post(srv, '/api/create', { model: 'old', modelfile: `FROM qwen3:4b\nADAPTER @sha256:${hex}\n`, stream: false });
  assert.deepStrictEqual([r.status, r.json], [200, { status: 'success' }]);

  script(srv, { models: ['qwen3:4b'], pullable: ['llama3.2:1b'], pull_step_ms: 1 });
  r = await post(srv, '/api/pull', { model: 'llama3.2:1b' });
  let ls = lines(r.text).map((l) => JSON.parse(l));
  assert.strictEqual(ls[0].status, 'pulling manifest');
  assert.ok(ls.some((o) => o.digest && o.total && o.completed === o.total));
  assert.deepStrictEqual(ls.slice(-3).map((o) => o.status), ['verifying sha256 digest', 'writing manifest', 'success']);
  r = await post(srv, '/api/pull', { model: 'nothere' });
  ls = lines(r.text).map((l) => JSON.parse(l));
  assert.strictEqual(r.status, 200);
  assert.deepStrictEqual(ls.pop(), { error: 'pull model manifest: file does not exist' });

  r = await post(srv, '/api/copy', { source: 'llama3.2:1b', destination: 'copy1' });
  assert.deepStrictEqual([r.status, r.text], [200, '']);
  r = await request(srv.port, 'DELETE', '/api/delete', { model: 'qwen3:4b' });
  assert.deepStrictEqual([r.status, r.text], [200, '']);
  r = await request(srv.port, 'DELETE', '/api/delete', { model: 'qwen3:4b' });
  assert.deepStrictEqual([r.status, r.json], [404, { error: "model 'qwen3:4b' not found" }]);
  r = await request(srv.port, 'GET', '/api/tags');
  assert.deepStrictEqual(r.json.models.map((m) => m.name).sort(), ['copy1:latest', 'llama3.2:1b', 'mine:v1', 'old:latest']);
  const state = JSON.parse(fs.readFileSync(path.join(srv.dir, 'state.json'), 'utf8'));
  assert.ok(state.deleted.length === 1);
});

test('a scripted pull stream: its lines, then success, or its error', async () => {
  await post(srv, '/__control/reset', {});
  const stream = [{ status: 'pulling aaa', total: 100, completed: 100 }, { status: 'verifying sha256 digest' }];
  script(srv, { models: [], pull_step_ms: 1, pullable: [{ name: 'm:1', pull_stream: stream },
    { name: 'bad:1', pull_stream: [{ status: 'pulling bbb', total: 10 }, { error: 'max retries exceeded' }, { status: 'never' }] }] });
  let r = await post(srv, '/api/pull', { model: 'm:1' });
  assert.deepStrictEqual(lines(r.text).map((l) => JSON.parse(l)), [{ status: 'pulling manifest' }, ...stream, { status: 'success' }]);
  r = await post(srv, '/api/pull', { model: 'bad:1' });
  assert.strictEqual(r.status, 200);
  assert.deepStrictEqual(lines(r.text).map((l) => JSON.parse(l)), [{ status: 'pulling manifest' },
    { status: 'pulling bbb', total: 10 }, { error: 'max retries exceeded' }]);
  r = await request(srv.port, 'GET', '/api/tags');
  assert.deepStrictEqual(r.json.models.map((m) => m.name), ['m:1']);
});

test('identity in model_info, inherited by a created model', async () => {
  await post(srv, '/__control/reset', {});
  script(srv, { models: [{ name: 'qwen3:4b-instruct-2507-q4_K_M', basename: 'Qwen3-4B-Instruct-2507', finetune: 'Instruct',
    size_label: '4B', general_version: '2507', model_info: { 'general.license': 'apache-2.0', 'general.name': 'Qwen3 4B Instruct 2507' } },
  'plain'] });
  let r = await post(srv, '/api/show', { model: 'qwen3:4b-instruct-2507-q4_K_M' });
  const info = r.json.model_info;
  assert.deepStrictEqual([info['general.basename'], info['general.finetune'], info['general.size_label'], info['general.version'],
    'general.name' in info, info['general.license'], info['general.architecture']],
  ['Qwen3-4B-Instruct-2507', 'Instruct', '4B', '2507', false, 'apache-2.0', 'qwen3']);
  r = await post(srv, '/api/show', { model: 'plain' });
  assert.ok(!('general.basename' in r.json.model_info) && !('general.name' in r.json.model_info));
  r = await post(srv, '/api/create', { model: 'kid', from: 'qwen3:4b-instruct-2507-q4_K_M', system: 'x', stream: false });
  assert.strictEqual(r.status, 200);
  r = await post(srv, '/api/show', { model: 'kid' });
  assert.strictEqual(r.json.model_info['general.finetune'], 'Instruct');
  const base = await post(srv, '/api/show', { model: 'qwen3:4b-instruct-2507-q4_K_M' });
  const from = (t) => /^FROM (.*)$/m.exec(t)[1];
  assert.strictEqual(from(r.json.modelfile), from(base.json.modelfile));
});

test('a vanished blob: 404 try pulling it first, HEAD 404, a pull restores it', async () => {
  await post(srv, '/__control/reset', {});
  script(srv, { models: [{ name: 'qwen3:4b', blob_missing: true }, 'other'], pullable: ['qwen3:4b'], pull_step_ms: 1 });
  const w = crypto.createHash('sha256').update('qwen3:4b').digest('hex');
  let r = await post(srv, '/api/chat', chatBody('hi', { model: 'QWEN3:4b' }));
  assert.deepStrictEqual([r.status, r.json], [404, { error: 'model "QWEN3:4b" not found, try pulling it first' }]);
  r = await post(srv, '/api/generate', { model: 'qwen3:4b', prompt: 'hi' });
  assert.strictEqual(r.status, 404);
  r = await request(srv.port, 'HEAD', `/api/blobs/sha256:${w}`);
  assert.strictEqual(r.status, 404);
  r = await request(srv.port, 'HEAD', `/api/blobs/sha256:${crypto.createHash('sha256').update('other:latest').digest('hex')}`);
  assert.strictEqual(r.status, 200);
  r = await post(srv, '/api/show', { model: 'qwen3:4b' });
  assert.deepStrictEqual([r.status, r.json], [404, { error: "model 'qwen3:4b' not found" }]);
  r = await request(srv.port, 'GET', '/api/tags');
  assert.ok(r.json.models.some((m) => m.name === 'qwen3:4b'));
  // A model created from it shares the weights, so it cannot run either.
  r = await post(srv, '/api/create', { model: 'kid', from: 'qwen3:4b', system: 'x', stream: false });
  r = await post(srv, '/api/chat', chatBody('hi', { model: 'kid' }));
  assert.deepStrictEqual([r.status, r.json], [404, { error: 'model "kid" not found, try pulling it first' }]);
  r = await post(srv, '/api/pull', { model: 'qwen3:4b' });
  assert.strictEqual(r.status, 200);
  r = await request(srv.port, 'HEAD', `/api/blobs/sha256:${w}`);
  assert.strictEqual(r.status, 200);
  r = await post(srv, '/api/chat', chatBody('hi', { model: 'kid', stream: false }));
  assert.strictEqual(r.status, 200);
  r = await post(srv, '/api/show', { model: 'qwen3:4b' });
  assert.match(r.json.modelfile, new RegExp(`^FROM .*sha256-${w}$`, 'm'));

  // An adapter blob deleted from DIR/blobs.
  const data = Buffer.from('GGUF vanishing adapter');
  const hex = crypto.createHash('sha256').update(data).digest('hex');
  r = await request(srv.port, 'POST', `/api/blobs/sha256:${hex}`, data);
  r = await post(srv, '/api/create', { model: 'ad', from: 'other', adapters: { 'a.gguf': `sha256:${hex}` }, stream: false });
  assert.strictEqual(r.status, 200);
  r = await post(srv, '/api/chat', chatBody('hi', { model: 'ad', stream: false }));
  assert.strictEqual(r.status, 200);
  fs.unlinkSync(path.join(srv.dir, 'blobs', `sha256-${hex}`));
  r = await post(srv, '/api/chat', chatBody('hi', { model: 'ad' }));
  assert.deepStrictEqual([r.status, r.json], [404, { error: 'model "ad" not found, try pulling it first' }]);
  r = await request(srv.port, 'HEAD', `/api/blobs/sha256:${hex}`);
  assert.strictEqual(r.status, 404);
  r = await post(srv, '/api/show', { model: 'ad' });
  assert.match(r.json.modelfile, new RegExp(`^ADAPTER .*sha256-${hex}$`, 'm'));
});

test('parallel queueing and idle timeout', async () => {
  const p = await start(['--parallel', '2', '--idle-timeout', '1']);
  script(p, { models: ['qwen3:4b'], chat: [{ delay_ms: 300 }] });
  const t0 = Date.now();
  const rs = await Promise.all([1, 2, 3, 4].map(() => post(p, '/api/chat', chatBody('x'))));
  const dt = Date.now() - t0;
  assert.ok(rs.every((r) => assemble(r.text).content === 'OK'));
  assert.ok(dt >= 550, `4 requests with 2 slots took ${dt} ms`);
  const t1 = Date.now();
  const code = await p.exited;
  assert.strictEqual(code, 0);
  assert.ok(Date.now() - t1 < 3000, 'idle timeout');
  assert.ok(!fs.existsSync(path.join(p.dir, 'port')));
});

test('control shutdown', async () => {
  const p = await start();
  const r = await request(p.port, 'POST', '/__control/shutdown');
  assert.strictEqual(r.status, 200);
  assert.strictEqual(await p.exited, 0);
  assert.ok(!fs.existsSync(path.join(p.dir, 'port')));
  assert.ok(!fs.existsSync(path.join(p.dir, 'requests.jsonl')), 'control requests are not logged');
});
