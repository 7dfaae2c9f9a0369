'use strict';
// Self-test of the test backend's llama-server flavor (server.js --flavor
// llama-server): node --test tests/backend/
// The shapes checked here are those the real llama-server was seen to send
// (tests/llama/README.md).

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { SERVER, start, script, request } = require('./testlib');

const lines = (text) => text.split('\n').filter((l) => l !== '');
const chat = (content, extra = {}) => Object.assign({ messages: [{ role: 'user', content }] }, extra);
const post = (srv, body, p = '/v1/chat/completions') => request(srv.port, 'POST', p, body);
const stream = (srv, content, extra = {}) => post(srv, chat(content, Object.assign({ stream: true }, extra)));

// Splits an SSE body into its events: {data: parsed JSON | '[DONE]' | raw
// text when not JSON, comment: true for ':' lines}. Checks that every event
// ends with a blank line unless allowPartial.
function sse(text, allowPartial) {
  const parts = text.split('\n\n');
  const last = parts.pop();
  if (!allowPartial) assert.strictEqual(last, '', `SSE body ends with a blank line: ${JSON.stringify(last)}`);
  return parts.map((p) => {
    if (p.startsWith(':')) return { comment: true };
    assert.ok(p.startsWith('data: '), `event starts with "data: ": ${p}`);
    const d = p.slice(6);
    if (d === '[DONE]') return { data: '[DONE]' };
    try { return { data: JSON.parse(d) }; } catch { return { raw: d }; }
  });
}

const content = (events) => events.map((e) => (e.data && e.data.choices && e.data.choices[0] && e.data.choices[0].delta ? e.data.choices[0].delta.content || '' : '')).join('');

let srv;
test.before(async () => { srv = await start(['--flavor', 'llama-server', '--idle-timeout', '30']); });
test.after(async () => {
  if (srv && srv.child.exitCode === null) srv.child.kill('SIGTERM');
  await srv.exited;
});

test('health, props, models, lora-adapters, 404 for Ollama paths', async () => {
  script(srv, { loras: ['math.gguf', { path: 'code.gguf', scale: 0 }], model_path: '/m/base.gguf', slots: 2 });
  let r = await request(srv.port, 'GET', '/health');
  assert.strictEqual(r.status, 200);
  assert.strictEqual(r.text, '{"status":"ok"}');
  assert.strictEqual(r.headers['content-type'], 'application/json; charset=utf-8');
  assert.strictEqual(r.headers.server, 'llama.cpp');
  r = await request(srv.port, 'GET', '/lora-adapters');
  assert.strictEqual(r.text, '[{"id":0,"path":"math.gguf","scale":1.0,"task_name":"","prompt_prefix":""},'
    + '{"id":1,"path":"code.gguf","scale":0.0,"task_name":"","prompt_prefix":""}]');
  r = await request(srv.port, 'GET', '/props');
  assert.strictEqual(r.json.model_path, '/m/base.gguf');
  assert.strictEqual(r.json.total_slots, 2);
  assert.strictEqual(r.json.build_info, 'b0000-fake');
  assert.strictEqual(r.json.default_generation_settings.n_ctx, 2048);
  assert.strictEqual(Object.keys(r.json)[0], 'default_generation_settings');
  r = await request(srv.port, 'GET', '/v1/models');
  assert.strictEqual(r.json.object, 'list');
  assert.strictEqual(r.json.data[0].id, 'base.gguf');
  assert.strictEqual(r.json.data[0].object, 'model');
  assert.strictEqual(r.json.data[0].owned_by, 'llamacpp');
  script(srv, {});
  r = await request(srv.port, 'GET', '/props');
  assert.strictEqual(r.json.model_path, 'base.gguf');
  assert.strictEqual(r.json.total_slots, 4);
  r = await request(srv.port, 'GET', '/lora-adapters');
  assert.strictEqual(r.text, '[]');
  for (const [m, p] of [['GET', '/api/tags'], ['POST', '/api/chat'], ['GET', '/api/version'], ['GET', '/nope'], ['POST', '/health'], ['GET', '/v1/chat/completions']]) {
    r = await request(srv.port, m, p, m === 'POST' ? {} : undefined);
    assert.strictEqual(r.status, 404, `${m} ${p}`);
    assert.strictEqual(r.text, '{"error":{"message":"File Not Found","type":"not_found_error","code":404}}');
  }
});

test('loading: 503 for every endpoint, loading_requests', async () => {
  const loading = '{"error":{"message":"Loading model","type":"unavailable_error","code":503}}';
  script(srv, { loading: true });
  for (const [m, p] of [['GET', '/health'], ['GET', '/props'], ['POST', '/v1/chat/completions']]) {
    const r = await request(srv.port, m, p, m === 'POST' ? chat('x', { stream: true }) : undefined);
    assert.strictEqual(r.status, 503);
    assert.strictEqual(r.text, loading);
  }
  script(srv, { loading_requests: 2 });
  const st = [];
  for (let i = 0; i < 3; i++) st.push((await request(srv.port, 'GET', '/health')).status);
  assert.deepStrictEqual(st, [503, 503, 200]);
  script(srv, { chat: [{ fault: 'loading' }] });
  let r = await request(srv.port, 'GET', '/health');
  assert.strictEqual(r.status, 200);
  r = await stream(srv, 'x');
  assert.strictEqual(r.status, 503);
  assert.strictEqual(r.text, loading);
});

test('streamed chat completion: chunk shapes, timings, [DONE]', async () => {
  script(srv, { chat: [{ reply: 'Hi <b> & é', chunk_size: 3 }] });
  const r = await stream(srv, 'hello there');
  assert.strictEqual(r.status, 200);
  assert.strictEqual(r.headers['content-type'], 'text/event-stream');
  assert.ok(r.text.includes('<b> & é'.slice(0, 2)), 'no Go-style escapes');
  const ev = sse(r.text);
  assert.deepStrictEqual(ev[ev.length - 1], { data: '[DONE]' });
  const chunks = ev.slice(0, -1).map((e) => e.data);
  assert.deepStrictEqual(Object.keys(chunks[0]), ['choices', 'created', 'id', 'model', 'system_fingerprint', 'object']);
  assert.deepStrictEqual(chunks[0].choices, [{ finish_reason: null, index: 0, delta: { role: 'assistant', content: null } }]);
  assert.ok(r.text.startsWith('data: {"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}],"created":'));
  assert.match(chunks[0].id, /^chatcmpl-[0-9A-Za-z]{32}$/);
  assert.ok(chunks.every((c) => c.id === chunks[0].id && c.object === 'chat.completion.chunk' && c.model === 'base.gguf'));
  assert.ok(chunks.every((c) => c.system_fingerprint === 'b0000-fake' && Number.isInteger(c.created)));
  assert.strictEqual(content(ev), 'Hi <b> & é');
  assert.deepStrictEqual(chunks[1].choices[0].delta, { content: 'Hi ' });
  const fin = chunks[chunks.length - 1];
  assert.deepStrictEqual(fin.choices, [{ finish_reason: 'stop', index: 0, delta: {} }]);
  assert.strictEqual(fin.usage, undefined, 'usage only with stream_options.include_usage');
  assert.deepStrictEqual(Object.keys(fin.timings), ['cache_n', 'prompt_n', 'prompt_ms', 'prompt_per_token_ms', 'prompt_per_second',
    'predicted_n', 'predicted_ms', 'predicted_per_token_ms', 'predicted_per_second']);
  assert.strictEqual(fin.timings.predicted_n, 5, 'the 4 pieces and the end-of-generation token');
  assert.strictEqual(fin.timings.prompt_n, 3);
  assert.ok(r.text.includes('"predicted_ms":100.0,'), 'doubles printed like llama.cpp');
  assert.strictEqual(r.headers['x-accel-buffering'], 'no');
  assert.strictEqual(r.headers['access-control-allow-origin'], '');
  assert.ok(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null && c.timings === undefined));
});

test('include_usage, timings_per_token, max_tokens, reasoning', async () => {
  script(srv, { chat: [{ reply: 'abcdefgh', chunk_size: 2, thinking: 'hmm' }] });
  let r = await stream(srv, 'q', { stream_options: { include_usage: true } });
  let chunks = sse(r.text).slice(0, -1).map((e) => e.data);
  const u = chunks[chunks.length - 1];
  const fin = chunks[chunks.length - 2];
  assert.deepStrictEqual(fin.choices[0], { finish_reason: 'stop', index: 0, delta: {} });
  assert.strictEqual(fin.timings, undefined, 'timings move to the usage chunk');
  assert.deepStrictEqual(u.choices, []);
  assert.deepStrictEqual(u.usage, { completion_tokens: 7, prompt_tokens: 1, total_tokens: 8, prompt_tokens_details: { cached_tokens: 0 } });
  assert.strictEqual(u.timings.predicted_n, 7);
  assert.deepStrictEqual(chunks.slice(1, 3).map((c) => c.choices[0].delta), [{ reasoning_content: 'hm' }, { reasoning_content: 'm' }]);
  r = await stream(srv, 'q', { timings_per_token: true });
  chunks = sse(r.text).slice(0, -1).map((e) => e.data);
  assert.deepStrictEqual(chunks.slice(1, -1).map((c) => c.timings.predicted_n), [1, 2, 3, 4, 5, 6]);
  assert.strictEqual(chunks[0].timings, undefined, 'no timings on the role chunk');
  assert.strictEqual(chunks[chunks.length - 1].timings.predicted_n, 7);
  r = await stream(srv, 'q', { max_tokens: 3 });
  chunks = sse(r.text).slice(0, -1).map((e) => e.data);
  assert.strictEqual(chunks[chunks.length - 1].choices[0].finish_reason, 'length');
  assert.strictEqual(chunks[chunks.length - 1].timings.predicted_n, 3);
  r = await post(srv, chat('q', { n_predict: 4 }));
  assert.strictEqual(r.json.choices[0].finish_reason, 'length');
  assert.deepStrictEqual(r.json.choices[0].message, { role: 'assistant', content: 'abcd', reasoning_content: 'hmm' });
  script(srv, { chat: [{ reply: 'x', finish_reason: 'length' }] });
  r = await post(srv, chat('q'));
  assert.strictEqual(r.json.choices[0].finish_reason, 'length');
  assert.strictEqual(r.json.usage.completion_tokens, 1, 'no end-of-generation token');
  script(srv, { chat: [{ reply: '30', chunk_size: 1, timings: { cache_n: 8 } }] });
  r = await post(srv, chat('Anna buys 6 bags of 5 toys. How many toys?'));
  assert.deepStrictEqual(r.json.usage, { completion_tokens: 3, prompt_tokens: 11, total_tokens: 14, prompt_tokens_details: { cached_tokens: 8 } });
  assert.deepStrictEqual([r.json.timings.cache_n, r.json.timings.prompt_n], [8, 3]);
});

test('stream:false: one chat.completion object', async () => {
  script(srv, { chat: [{ reply: 'The answer is 30.' }], model_alias: 'tiny' });
  const r = await post(srv, chat('q', { stream: false }));
  assert.strictEqual(r.status, 200);
  assert.strictEqual(r.headers['content-type'], 'application/json; charset=utf-8');
  assert.deepStrictEqual(Object.keys(r.json), ['choices', 'created', 'model', 'system_fingerprint', 'object', 'usage', 'id', 'timings']);
  assert.deepStrictEqual(r.json.choices, [{ finish_reason: 'stop', index: 0, message: { role: 'assistant', content: 'The answer is 30.' } }]);
  assert.strictEqual(r.json.object, 'chat.completion');
  assert.strictEqual(r.json.model, 'tiny');
  assert.deepStrictEqual(r.json.usage, { completion_tokens: 6, prompt_tokens: 1, total_tokens: 7, prompt_tokens_details: { cached_tokens: 0 } });
  assert.strictEqual(r.json.timings.predicted_n, 6);
  const absent = await post(srv, chat('q'));
  assert.strictEqual(absent.json.object, 'chat.completion', 'stream defaults to false');
});

test('replies chosen by the request lora', async () => {
  const loras = ['math.gguf', 'code.gguf', 'analysis.gguf', 'writing.gguf'];
  script(srv, { loras: loras.map((p) => ({ path: p, scale: 0 })), chat: [
    { lora: [], reply: 'base' },
    { lora: [{ id: 0, scale: 1 }], reply: 'math' },
    { match: { lora: [{ id: 1 }] }, reply: 'code' },
    { lora: [{ id: 0, scale: 0.5 }, { id: 1, scale: 0.5 }], reply: 'mix' },
    { reply: 'other' },
  ] });
  const ask = async (lora) => (await post(srv, chat('q', lora === undefined ? {} : { lora }))).json.choices[0].message.content;
  assert.strictEqual(await ask(undefined), 'base');
  assert.strictEqual(await ask([]), 'base');
  assert.strictEqual(await ask([{ id: 0, scale: 1 }]), 'math');
  assert.strictEqual(await ask([{ id: 0, scale: 1.0 }, { id: 2, scale: 0 }]), 'math');
  assert.strictEqual(await ask([{ id: 1, scale: 1 }]), 'code');
  assert.strictEqual(await ask([{ id: 1, scale: 0.5 }, { id: 0, scale: 0.5 }]), 'mix');
  assert.strictEqual(await ask([{ id: 3, scale: 1 }]), 'other');
  assert.strictEqual(await ask([{ id: 9, scale: 1 }]), 'base', 'an unknown id is ignored, as llama-server does');
  assert.strictEqual(await ask([{ id: 0 }]), 'base', 'scale defaults to 0 in a request');
  // POST /lora-adapters sets the scales used when a request has no (or an empty) lora list.
  let r = await post(srv, [{ id: 1, scale: 1 }], '/lora-adapters');
  assert.deepStrictEqual([r.status, r.text], [200, '{"success":true}']);
  r = await request(srv.port, 'GET', '/lora-adapters');
  assert.deepStrictEqual(r.json.map((l) => l.scale), [0, 1, 0, 0]);
  assert.strictEqual(await ask(undefined), 'code');
  assert.strictEqual(await ask([]), 'code');
  assert.strictEqual(await ask([{ id: 0, scale: 1 }]), 'math');
  r = await post(srv, { id: 1 }, '/lora-adapters');
  assert.deepStrictEqual([r.status, r.json], [400, { error: { code: 400, message: 'Request body must be an array', type: 'invalid_request_error' } }]);
  await request(srv.port, 'POST', '/__control/reset');
  assert.strictEqual(await ask(undefined), 'base');
  // Loaded with --lora and no scale: every adapter applies unless the request says otherwise.
  script(srv, { loras, chat: [{ lora: [], reply: 'base' }, { lora: [0, 1, 2, 3].map((id) => ({ id })), reply: 'all four' }] });
  assert.strictEqual(await ask([]), 'all four');
  assert.strictEqual(await ask([{ id: 0, scale: 0 }]), 'base');
});

test('validation errors and scripted statuses', async () => {
  script(srv, { chat: [{ match: { contains: 'busy' }, status: 503 }, { match: { contains: 'bad' }, status: 400, error: 'nope' }] });
  let r = await post(srv, { stream: true });
  assert.deepStrictEqual([r.status, r.json], [400, { error: { code: 400, message: "'messages' is required", type: 'invalid_request_error' } }]);
  r = await post(srv, { messages: 'x' });
  assert.deepStrictEqual([r.status, r.json.error.message], [400, "Expected 'messages' to be an array"]);
  assert.strictEqual(r.headers.connection, 'close');
  r = await post(srv, chat('x', { lora: { id: 0 } }));
  assert.deepStrictEqual([r.status, r.json.error.message], [400, "Field 'lora': Error: 'lora' must be an array of objects with 'id' and 'scale' fields"]);
  r = await post(srv, chat('x', { lora: null }));
  assert.strictEqual(r.status, 200, 'lora: null is no lora');
  r = await post(srv, 'not json');
  assert.strictEqual(r.status, 500);
  assert.strictEqual(r.json.error.type, 'server_error');
  r = await post(srv, chat('busy', { stream: true }));
  assert.deepStrictEqual([r.status, r.text], [503, '{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}']);
  r = await post(srv, chat('bad', { stream: true }));
  assert.deepStrictEqual([r.status, r.json], [400, { error: { code: 400, message: 'nope', type: 'invalid_request_error' } }]);
  script(srv, { n_ctx: 8, chat: [{ match: { contains: 'exceed' }, fault: 'exceed_context' }] });
  r = await post(srv, chat('exceed', { stream: true }));
  assert.strictEqual(r.status, 400);
  assert.strictEqual(r.text, '{"error":{"code":400,"message":"request (9 tokens) exceeds the available context size (8 tokens), try increasing it",'
    + '"type":"exceed_context_size_error","n_prompt_tokens":9,"n_ctx":8}}');
  r = await post(srv, chat('x'.repeat(40)));
  assert.deepStrictEqual([r.status, r.json.error.n_prompt_tokens], [400, 10]);
  r = await request(srv.port, 'GET', '/health', undefined, { Origin: 'http://localhost:3000' });
  assert.strictEqual(r.headers['access-control-allow-origin'], 'http://localhost:3000');
  script(srv, '{"chat": 1}');
  r = await request(srv.port, 'GET', '/health');
  assert.strictEqual(r.status, 500);
  assert.match(r.json.error.message, /^test backend: bad script\.json: /);
});

test('faults', async () => {
  const text = 'abcdefghijklmnopqrstuvwxyz';
  const rules = ['truncate', 'gone', 'no_done', 'error_event', 'malformed'].map((f) => ({ match: { contains: f }, fault: f, reply: text }));
  rules.push({ match: { contains: 'custom' }, fault: 'error_event', error: 'boom', error_code: 400, error_type: 'invalid_request_error' });
  rules.push({ match: { contains: 'fin' }, fault: 'gone', reset_mode: 'fin', reply: text });
  rules.push({ match: { contains: 'ping' }, sse_ping: true, reply: text });
  rules.push({ match: { contains: 'huge' }, fault: 'huge_line', reply: 'xyz', huge_bytes: 100000 });
  script(srv, { chat: rules });

  let r = await stream(srv, 'truncate');
  assert.strictEqual(r.status, 200);
  assert.strictEqual(r.complete, true, 'clean end of the chunked body');
  let ev = sse(r.text);
  assert.ok(ev.length >= 2 && !r.text.includes('[DONE]') && !r.text.includes('"finish_reason":"stop"'));
  r = await post(srv, chat('truncate'));
  assert.strictEqual(r.complete, false, 'stream:false: Content-Length promises more');

  for (const what of ['gone', 'fin']) {
    r = await stream(srv, what);
    assert.strictEqual(r.complete, false, what);
    assert.ok(r.text.startsWith('data: ') && !r.text.includes('[DONE]') && !r.text.includes('"finish_reason":"stop"'));
  }

  r = await stream(srv, 'no_done');
  ev = sse(r.text);
  assert.strictEqual(r.complete, true);
  assert.strictEqual(ev[ev.length - 1].data.choices[0].finish_reason, 'stop');
  assert.strictEqual(content(ev), text);
  assert.ok(!r.text.includes('[DONE]'));

  r = await stream(srv, 'error_event');
  ev = sse(r.text);
  assert.strictEqual(r.status, 200);
  assert.ok(r.text.endsWith('data: {"error":{"code":500,"message":"Context size has been exceeded.","type":"server_error"}}\n\n'));
  assert.ok(!r.text.includes('[DONE]') && !r.text.includes('"finish_reason":"stop"') && content(ev).length > 0);
  r = await post(srv, chat('error_event'));
  assert.deepStrictEqual([r.status, r.json], [500, { error: { code: 500, message: 'Context size has been exceeded.', type: 'server_error' } }]);
  r = await stream(srv, 'custom');
  assert.deepStrictEqual(sse(r.text).pop().data, { error: { code: 400, message: 'boom', type: 'invalid_request_error' } });

  r = await stream(srv, 'malformed');
  ev = sse(r.text);
  assert.ok(ev.some((e) => e.raw !== undefined));
  assert.deepStrictEqual(ev[ev.length - 1], { data: '[DONE]' });

  r = await stream(srv, 'ping');
  ev = sse(r.text);
  assert.ok(ev.filter((e) => e.comment).length >= 5);
  assert.strictEqual(content(ev), text);

  r = await stream(srv, 'huge');
  ev = sse(r.text);
  assert.strictEqual(ev[1].data.choices[0].delta.content.length, 100000);
  assert.deepStrictEqual(ev.pop(), { data: '[DONE]' });
});

test('split_bytes, by_seed, requests.jsonl', async () => {
  script(srv, { chat: [
    { match: { contains: 'split' }, fault: 'split_bytes', chunk_size: 2 },
    { match: { contains: 'vote' }, replies: ['A', 'B', 'C'], by_seed: true },
  ] });
  let r = await stream(srv, 'split');
  assert.ok(r.events > 20, `body arrived in ${r.events} pieces`);
  assert.strictEqual(content(sse(r.text)), 'Café <b>&</b> naïve 😀 ok');
  const got = [];
  for (const seed of [0, 1, 2, 4]) got.push((await post(srv, chat('vote', { seed }))).json.choices[0].message.content);
  assert.deepStrictEqual(got, ['A', 'B', 'C', 'B']);
  const body = chat('logged', { stream: true, lora: [{ id: 0, scale: 1 }], temperature: 0 });
  await post(srv, body);
  const log = lines(fs.readFileSync(path.join(srv.dir, 'requests.jsonl'), 'utf8')).map((l) => JSON.parse(l));
  const last = log[log.length - 1];
  assert.strictEqual(last.path, '/v1/chat/completions');
  assert.deepStrictEqual(last.body, body);
  assert.ok(log.every((e, i) => e.seq === i + 1));
});

test('start.sh exports LOCO_BACKEND_HOST for the llama-server flavor only', () => {
  const startSh = path.join(__dirname, 'start.sh');
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'loco-backend-sh-'));
  try {
    const run = (flavorArgs) => execFileSync('sh', ['-c', `unset LOCO_BACKEND_HOST; BACKEND_JS='${SERVER}'; . '${startSh}'; `
      + `backend_start '${dir}' ${flavorArgs} || exit 1; echo "$LOCO_TEST_PORT|\${LOCO_BACKEND_HOST:-unset}|$OLLAMA_HOST"; `
      + `backend_stop '${dir}'`], { encoding: 'utf8' }).trim().split('|');
    let [port, host, ollama] = run('--flavor llama-server');
    assert.strictEqual(host, `http://127.0.0.1:${port}`);
    assert.strictEqual(ollama, host);
    [port, host] = run('--flavor=llama-server');
    assert.strictEqual(host, `http://127.0.0.1:${port}`);
    [port, host, ollama] = run('');
    assert.strictEqual(host, 'unset');
    assert.strictEqual(ollama, `http://127.0.0.1:${port}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const bad = spawnSync(process.execPath, [SERVER, '--dir', dir, '--flavor', 'vllm'], { encoding: 'utf8' });
  assert.strictEqual(bad.status, 2);
  assert.match(bad.stderr, /unknown flavor 'vllm'/);
});
