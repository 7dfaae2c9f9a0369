'use strict';
// The engine is as strict as Ollama where loco depends on it (issue #14):
// node --test tests/engine/strict.test.js. Each test starts its own server
// (about 0.6 s); skipped when node-llama-cpp is not installed.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { MODELS, SKIP, sleep, sha256, start, rawPost, lines } = require('./testlib');

const MATH_Q = 'Elsa owns 4 beads. Elsa buys 6 more. How many beads in all?';
const MATH_ANSWER = '10';
const BASE_ANSWER = '12'; // the base's greedy answer to MATH_Q
const ADAPTER = fs.readFileSync(path.join(MODELS, 'math.gguf'));
const ADAPTER_DIGEST = `sha256:${sha256(ADAPTER)}`;

const ask = (model, extra = {}) => Object.assign({ model, messages: [{ role: 'user', content: MATH_Q }], stream: false, options: { temperature: 0 } }, extra);

// Pulls tiny-base and creates loco-math:1.0.0 (tiny-base + the math adapter).
async function withMath(srv) {
  assert.deepStrictEqual((await srv.request('POST', '/api/pull', { model: 'tiny-base', stream: false })).json, { status: 'success' });
  assert.strictEqual((await srv.request('POST', `/api/blobs/${ADAPTER_DIGEST}`, ADAPTER)).status, 201);
  const c = await srv.request('POST', '/api/create', { model: 'loco-math:1.0.0', from: 'tiny-base', adapters: { 'math.gguf': ADAPTER_DIGEST }, stream: false });
  assert.deepStrictEqual(c.json, { status: 'success' });
}

const names = async (srv) => (await srv.request('GET', '/api/tags')).json.models.map((m) => m.name).sort();

test('--version, and adapter creation refused as v0.34.1 is reported to', { skip: SKIP }, async () => {
  let srv = await start();
  const dir = srv.dir;
  try {
    assert.deepStrictEqual((await srv.request('GET', '/api/version')).json, { version: '0.33.0' });
    await withMath(srv);
  } finally { await srv.stop(true); }

  srv = await start(['--version', '0.34.1'], dir);
  try {
    assert.deepStrictEqual((await srv.request('GET', '/api/version')).json, { version: '0.34.1' });
    const r = await srv.request('POST', '/api/create', { model: 'loco-code', from: 'tiny-base', adapters: { 'math.gguf': ADAPTER_DIGEST } });
    assert.strictEqual(r.status, 400);
    assert.strictEqual(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepStrictEqual(r.json, { error: 'LoRA adapters are deprecated; the adapter layer is carried over but new adapters cannot be created' });
    assert.deepStrictEqual(await names(srv), ['loco-math:1.0.0', 'tiny-base:latest']);
    // Made earlier with an adapter: still serves, and a model made from it
    // (no adapters in the request) carries the adapter layer over.
    assert.strictEqual((await srv.request('POST', '/api/chat', ask('loco-math:1.0.0'))).json.message.content, MATH_ANSWER);
    const c = await srv.request('POST', '/api/create', { model: 'loco-math2', from: 'loco-math:1.0.0', license: 'MIT', stream: false });
    assert.deepStrictEqual(c.json, { status: 'success' });
    assert.strictEqual((await srv.request('POST', '/api/chat', ask('loco-math2'))).json.message.content, MATH_ANSWER);
    // A model without an adapter is still created.
    assert.strictEqual((await srv.request('POST', '/api/create', { model: 'plain', from: 'tiny-base', stream: false })).status, 200);
  } finally { await srv.stop(true); }

  srv = await start(['--refuse-adapters'], dir);
  try {
    assert.deepStrictEqual((await srv.request('GET', '/api/version')).json, { version: '0.33.0' });
    const r = await srv.request('POST', '/api/create', { model: 'loco-code', from: 'tiny-base', adapters: { 'math.gguf': ADAPTER_DIGEST } });
    assert.strictEqual(r.status, 400);
    assert.match(r.json.error, /^LoRA adapters are deprecated/);
  } finally { await srv.stop(); }
});

test('a stored quoted-number parameter fails every request to the model with 500', { skip: SKIP }, async () => {
  const srv = await start();
  try {
    await srv.request('POST', '/api/pull', { model: 'tiny-base', stream: false });
    const c = await srv.request('POST', '/api/create', { model: 'quoted', from: 'tiny-base', parameters: { temperature: '0.2' }, stream: false });
    assert.strictEqual(c.status, 200, c.text); // stored without a type check
    assert.deepStrictEqual(c.json, { status: 'success' });
    const show = await srv.request('POST', '/api/show', { model: 'quoted' });
    assert.strictEqual(show.json.parameters, `${'temperature'.padEnd(30)} "0.2"`);
    const want = { error: 'option "temperature" must be of type float32' };
    for (const [p, body] of [['/api/chat', ask('quoted')], ['/api/generate', { model: 'quoted', prompt: MATH_Q, stream: false }],
      ['/api/chat', ask('quoted', { stream: true })], ['/api/generate', { model: 'quoted', prompt: '' }]]) {
      const r = await srv.request('POST', p, body);
      assert.strictEqual(r.status, 500, `${p}: ${r.text}`);
      assert.strictEqual(r.headers['content-type'], 'application/json; charset=utf-8');
      assert.deepStrictEqual(r.json, want);
    }
    // Unloading (empty prompt, keep_alive 0) schedules nothing: no check.
    const un = await srv.request('POST', '/api/generate', { model: 'quoted', prompt: '', keep_alive: 0 });
    assert.strictEqual(un.status, 200);
    assert.strictEqual(un.json.done_reason, 'unload');

    const stop = await srv.request('POST', '/api/create', { model: 'stopstr', from: 'tiny-base', parameters: { stop: '\n' }, stream: false });
    assert.strictEqual(stop.status, 200);
    assert.deepStrictEqual((await srv.request('POST', '/api/chat', ask('stopstr'))).json, { error: 'option "stop" must be of type array' });

    // A request's own options fail the same way.
    for (const [options, error] of [
      [{ num_predict: '5' }, 'option "num_predict" must be of type integer'],
      [{ temperature: '0' }, 'option "temperature" must be of type float32'],
      [{ stop: 'x' }, 'option "stop" must be of type array'],
      [{ stop: [1] }, 'option "stop" must be of an array of strings'],
      [{ use_mmap: 'yes' }, 'option "use_mmap" must be of type boolean'],
    ]) {
      const r = await srv.request('POST', '/api/chat', ask('tiny-base', { options }));
      assert.strictEqual(r.status, 500, JSON.stringify(options));
      assert.deepStrictEqual(r.json, { error }, JSON.stringify(options));
    }
    const e = await srv.request('POST', '/api/embed', { model: 'quoted', input: 'x' });
    assert.deepStrictEqual([e.status, e.json], [500, want]);
    // Unknown keys are ignored; a good request still answers.
    const ok = await srv.request('POST', '/api/chat', ask('tiny-base', { options: { temperature: 0, no_such_option: 'x' } }));
    assert.strictEqual(ok.status, 200, ok.text);
  } finally { await srv.stop(); }
});

test('create: a missing or invalid adapter blob fails after the 200 status', { skip: SKIP }, async () => {
  const srv = await start();
  try {
    await withMath(srv);
    const before = await names(srv);
    const missing = sha256(Buffer.from('never uploaded\n'));
    const missingPath = path.join(srv.dir, 'blobs', `sha256-${missing}`);
    const create = (adapters, extra = {}) => srv.request('POST', '/api/create', Object.assign({ model: 'broken', from: 'tiny-base', adapters }, extra));

    let r = await create({ 'x.gguf': `sha256:${missing}` });
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.headers['content-type'], 'application/x-ndjson');
    assert.deepStrictEqual(lines(r), [{ status: 'parsing GGUF' }, { error: `open ${missingPath}: no such file or directory` }]);
    r = await create({ 'x.gguf': `sha256:${missing}` }, { stream: false });
    assert.strictEqual(r.status, 400);
    assert.deepStrictEqual(r.json, { error: `open ${missingPath}: no such file or directory` });

    const junk = Buffer.from('not a GGUF file\n');
    const junkDigest = `sha256:${sha256(junk)}`;
    assert.strictEqual((await srv.request('POST', `/api/blobs/${junkDigest}`, junk)).status, 201);
    r = await create({ 'x.gguf': junkDigest });
    assert.strictEqual(r.status, 200);
    assert.deepStrictEqual(lines(r), [{ status: 'parsing GGUF' }, { error: 'supplied file was not in GGUF format' }]);

    const cut = ADAPTER.subarray(0, 100);
    const cutDigest = `sha256:${sha256(cut)}`;
    assert.strictEqual((await srv.request('POST', `/api/blobs/${cutDigest}`, cut)).status, 201);
    r = await create({ 'x.gguf': cutDigest });
    assert.strictEqual(r.status, 200);
    assert.deepStrictEqual(lines(r), [{ status: 'parsing GGUF' }, { error: 'unexpected EOF' }]);

    r = await create({ 'x.gguf': 'sha256:xyz' });
    assert.deepStrictEqual([r.status, lines(r)], [200, [{ status: 'parsing GGUF' }, { error: 'invalid digest format' }]]);

    // A name without .gguf: the type is read from the blob first, so a
    // missing blob is an unknown type, before anything is streamed.
    r = await create({ adapter: `sha256:${missing}` });
    assert.strictEqual(r.status, 400);
    assert.deepStrictEqual(r.json, { error: 'unknown type' });

    // The base's files: the same after the 200; without streaming, 500.
    r = await srv.request('POST', '/api/create', { model: 'broken', files: { 'm.gguf': `sha256:${missing}` } });
    assert.deepStrictEqual([r.status, lines(r)], [200, [{ status: 'parsing GGUF' }, { error: `open ${missingPath}: no such file or directory` }]]);
    r = await srv.request('POST', '/api/create', { model: 'broken', files: { 'm.gguf': `sha256:${missing}` }, stream: false });
    assert.deepStrictEqual([r.status, r.json], [500, { error: `open ${missingPath}: no such file or directory` }]);
    r = await srv.request('POST', '/api/create', { model: 'broken', files: { '../m.gguf': `sha256:${missing}` } });
    assert.deepStrictEqual([r.status, r.json], [400, { error: 'file path must be relative' }]);

    assert.deepStrictEqual(await names(srv), before);
  } finally { await srv.stop(); }
});

// A copy of a GGUF with one byte of general.name changed: other weights'
// blob, same behaviour.
function variant(file, from, to) {
  const buf = Buffer.from(fs.readFileSync(path.join(MODELS, file)));
  const at = buf.indexOf(Buffer.from(from));
  assert.ok(at > 0 && from.length === to.length);
  buf.write(to, at);
  return buf;
}

test('a blob vanished from DIR/blobs: 404 "try pulling it first" when the model is loaded', { skip: SKIP }, async () => {
  const srv = await start();
  try {
    await srv.request('POST', '/api/pull', { model: 'tiny-base', stream: false });
    const base = variant('base.gguf', 'tiny-base', 'tiny-basf');
    const baseHex = sha256(base);
    assert.strictEqual((await srv.request('POST', `/api/blobs/sha256:${baseHex}`, base)).status, 201);
    assert.strictEqual((await srv.request('POST', '/api/create', { model: 'vanish', files: { 'v.gguf': `sha256:${baseHex}` }, stream: false })).status, 200);
    const adapter = variant('math.gguf', 'math', 'matH'); // general.name, as loco adapters convert writes it
    const adapterHex = sha256(adapter);
    assert.strictEqual((await srv.request('POST', `/api/blobs/sha256:${adapterHex}`, adapter)).status, 201);
    assert.strictEqual((await srv.request('POST', '/api/create', { model: 'vanish-adapter', from: 'tiny-base', adapters: { 'v.gguf': `sha256:${adapterHex}` }, stream: false })).status, 200);
    const tagsBefore = (await srv.request('GET', '/api/tags')).json.models;

    assert.strictEqual((await srv.request('POST', '/api/chat', ask('vanish'))).status, 200);
    fs.unlinkSync(path.join(srv.dir, 'blobs', `sha256-${baseHex}`));
    // Loaded: the runner has the weights and keeps serving (as Ollama's).
    assert.strictEqual((await srv.request('POST', '/api/chat', ask('vanish'))).status, 200);
    assert.strictEqual((await srv.request('POST', '/api/chat', ask('tiny-base'))).status, 200); // unloads vanish
    for (const [p, body] of [['/api/chat', ask('vanish')], ['/api/generate', { model: 'vanish', prompt: MATH_Q }],
      ['/api/generate', { model: 'vanish', prompt: '' }]]) {
      const r = await srv.request('POST', p, body);
      assert.strictEqual(r.status, 404, `${p}: ${r.text}`);
      assert.deepStrictEqual(r.json, { error: 'model "vanish" not found, try pulling it first' });
    }
    // Still listed, from the manifest; show needs the GGUF for model_info.
    const tagsAfter = (await srv.request('GET', '/api/tags')).json.models;
    assert.deepStrictEqual(tagsAfter.map((m) => m.name), tagsBefore.map((m) => m.name));
    const v = tagsAfter.find((m) => m.name === 'vanish:latest');
    assert.deepStrictEqual([v.size, v.digest, v.details.family, v.capabilities], [base.length, tagsBefore.find((m) => m.name === 'vanish:latest').digest, 'llama', undefined]);
    const show = await srv.request('POST', '/api/show', { model: 'vanish' });
    assert.deepStrictEqual([show.status, show.json], [404, { error: "model 'vanish:latest' not found" }]);
    assert.strictEqual((await srv.request('HEAD', `/api/blobs/sha256:${baseHex}`)).status, 404);

    fs.unlinkSync(path.join(srv.dir, 'blobs', `sha256-${adapterHex}`));
    const r = await srv.request('POST', '/api/chat', ask('vanish-adapter', { stream: true }));
    assert.deepStrictEqual([r.status, r.json], [404, { error: 'model "vanish-adapter" not found, try pulling it first' }]);
    // show does not read the adapter.
    const sa = await srv.request('POST', '/api/show', { model: 'vanish-adapter' });
    assert.strictEqual(sa.status, 200);
    assert.match(sa.json.modelfile, /\nADAPTER .*sha256-[0-9a-f]{64}\n/);
    assert.strictEqual((await srv.request('HEAD', `/api/blobs/sha256:${adapterHex}`)).status, 404);
    assert.strictEqual((await srv.request('POST', '/api/chat', ask('tiny-base'))).status, 200);
  } finally { await srv.stop(); }
});

test('show: model_info as Ollama sends it, quantization_level from general.file_type', { skip: SKIP }, async () => {
  const srv = await start();
  try {
    await srv.request('POST', '/api/pull', { model: 'tiny-base', stream: false });
    const file = path.join(srv.dir, 'info.gguf');
    const mk = require('node:child_process').spawnSync(process.execPath, [path.join(__dirname, '..', 'cmd', 'mkgguf.js'), file,
      'general.type=s:model', 'adapter.type=', 'adapter.lora.alpha=', 'general.basename=s:Qwen3',
      'general.finetune=s:Thinking-2507', 'general.size_label=s:4B', 'general.name=s:Qwen3 4B Thinking 2507',
      'general.file_type=u:15', 'tokenizer.chat_template=s:{{ x }}']);
    assert.strictEqual(mk.status, 0, String(mk.stderr));
    const buf = fs.readFileSync(file);
    const d = `sha256:${sha256(buf)}`;
    assert.strictEqual((await srv.request('POST', `/api/blobs/${d}`, buf)).status, 201);
    assert.strictEqual((await srv.request('POST', '/api/create', { model: 'qwen3-info', files: { 'info.gguf': d }, stream: false })).status, 200);
    const s = (await srv.request('POST', '/api/show', { model: 'qwen3-info' })).json;
    assert.strictEqual(s.model_info['general.basename'], 'Qwen3');
    assert.strictEqual(s.model_info['general.finetune'], 'Thinking-2507');
    assert.strictEqual(s.model_info['general.size_label'], '4B');
    assert.strictEqual(s.model_info['general.architecture'], 'llama');
    // GetModelInfo deletes these two.
    assert.ok(!('general.name' in s.model_info));
    assert.ok(!('tokenizer.chat_template' in s.model_info));
    assert.deepStrictEqual(Object.keys(s.model_info), Object.keys(s.model_info).sort()); // a Go map: sorted keys
    assert.strictEqual(s.details.quantization_level, 'Q4_K_M');
    const tags = (await srv.request('GET', '/api/tags')).json.models;
    assert.strictEqual(tags.find((m) => m.name === 'qwen3-info:latest').details.quantization_level, 'Q4_K_M');
    // The list adds the lengths (when the GGUF has them) and capabilities.
    const tb = tags.find((m) => m.name === 'tiny-base:latest');
    assert.deepStrictEqual([tb.details.context_length, tb.details.embedding_length, tb.capabilities], [512, 128, ['completion']]);
    // F32 is general.file_type 0, which Ollama's KV.FileType() takes for unset.
    const b = (await srv.request('POST', '/api/show', { model: 'tiny-base' })).json;
    assert.ok(!('context_length' in b.details)); // show's details come from the config: no lengths
    assert.strictEqual(b.details.quantization_level, 'unknown');
    assert.strictEqual(b.details.parameter_size, '747K');
    assert.deepStrictEqual(b.model_info['tokenizer.ggml.tokens'], []); // long arrays are sent empty
    assert.strictEqual(b.model_info['llama.context_length'], 512);
    assert.deepStrictEqual(b.capabilities, ['completion']);
  } finally { await srv.stop(); }
});

test('--thinking-only: reasoning split when think is on or omitted, spilled into content when off', { skip: SKIP }, async () => {
  const srv = await start(['--thinking-only', 'tiny-base']);
  try {
    await withMath(srv); // loco-math has tiny-base's weights: it thinks too
    const base = variant('base.gguf', 'tiny-base', 'tiny-basf'); // other weights: does not think
    const d = `sha256:${sha256(base)}`;
    await srv.request('POST', `/api/blobs/${d}`, base);
    assert.strictEqual((await srv.request('POST', '/api/create', { model: 'plain', files: { 'p.gguf': d }, stream: false })).status, 200);
    const tags = (await srv.request('GET', '/api/tags')).json.models;
    for (const [m, caps] of [['tiny-base', ['completion', 'thinking']], ['loco-math:1.0.0', ['completion', 'thinking']], ['plain', ['completion']]]) {
      assert.deepStrictEqual((await srv.request('POST', '/api/show', { model: m })).json.capabilities, caps, m);
      assert.deepStrictEqual(tags.find((x) => x.name === (m.includes(':') ? m : `${m}:latest`)).capabilities, caps, m);
    }

    const chat = async (extra) => {
      const r = await srv.request('POST', '/api/chat', ask('loco-math:1.0.0', extra));
      assert.strictEqual(r.status, 200, r.text);
      return r.json;
    };
    const omitted = await chat({});
    const thought = omitted.message.thinking;
    assert.strictEqual(omitted.message.content, MATH_ANSWER); // the answer is the same generation as without thinking
    assert.strictEqual(typeof thought, 'string');
    assert.ok(thought.length > 0 && !thought.includes('</think>'), thought);
    assert.deepStrictEqual(Object.keys(omitted.message), ['role', 'content', 'thinking']);
    // Real tokens: 32 of reasoning (its end token banned), then the answer and its end token.
    assert.strictEqual(omitted.eval_count, 32 + [...MATH_ANSWER].length + 1);
    for (const think of [true, 'high']) assert.deepStrictEqual((await chat({ think })).message, omitted.message, String(think));
    assert.deepStrictEqual((await chat({})).message, omitted.message); // temperature 0: deterministic

    const off = await chat({ think: false });
    assert.deepStrictEqual(off.message, { role: 'assistant', content: `${thought}</think>\n\n${MATH_ANSWER}` });
    assert.ok(!off.message.content.includes('<think>'));
    assert.strictEqual(off.eval_count, omitted.eval_count);

    // Streaming: every thinking chunk before the first content chunk.
    const st = lines(await srv.request('POST', '/api/chat', ask('loco-math:1.0.0', { stream: true })));
    const last = st.pop();
    assert.deepStrictEqual([last.done, last.message], [true, { role: 'assistant', content: '' }]);
    const firstContent = st.findIndex((l) => l.message.content !== '');
    assert.ok(firstContent > 0);
    assert.ok(st.slice(0, firstContent).every((l) => l.message.content === '' && l.message.thinking));
    assert.ok(st.slice(firstContent).every((l) => !('thinking' in l.message)));
    assert.strictEqual(st.map((l) => l.message.thinking || '').join(''), thought);
    assert.strictEqual(st.map((l) => l.message.content).join(''), MATH_ANSWER);
    const so = lines(await srv.request('POST', '/api/chat', ask('loco-math:1.0.0', { stream: true, think: false })));
    assert.ok(so.every((l) => !('thinking' in l.message)));
    assert.strictEqual(so.map((l) => l.message.content).join(''), off.message.content);

    // generate: "thinking" beside "response".
    const g = (await srv.request('POST', '/api/generate', { model: 'loco-math:1.0.0', prompt: MATH_Q, stream: false, options: { temperature: 0 } })).json;
    assert.strictEqual(g.response, MATH_ANSWER);
    assert.ok(g.thinking.length > 0);
    assert.deepStrictEqual(Object.keys(g).slice(0, 5), ['model', 'created_at', 'response', 'thinking', 'done']);
    const gs = lines(await srv.request('POST', '/api/generate', { model: 'loco-math:1.0.0', prompt: MATH_Q, think: false, options: { temperature: 0 } }));
    assert.strictEqual(gs.map((l) => l.response).join(''), `${g.thinking}</think>\n\n${MATH_ANSWER}`);

    // num_predict counts the reasoning too: spent in thinking, no answer.
    const cut = await chat({ options: { temperature: 0, num_predict: 10 } });
    assert.deepStrictEqual([cut.done_reason, cut.eval_count, cut.message.content], ['length', 10, '']);
    assert.ok(thought.startsWith(cut.message.thinking));
    const cutOff = await chat({ think: false, options: { temperature: 0, num_predict: 10 } });
    assert.deepStrictEqual([cutOff.done_reason, cutOff.message], ['length', { role: 'assistant', content: cut.message.thinking }]);

    // A model without the capability.
    const r = await srv.request('POST', '/api/chat', ask('plain', { think: true }));
    assert.deepStrictEqual([r.status, r.json], [400, { error: '"plain" does not support thinking' }]);
    for (const think of [false, undefined]) {
      const p = await srv.request('POST', '/api/chat', ask('plain', { think }));
      assert.strictEqual(p.status, 200);
      assert.deepStrictEqual(Object.keys(p.json.message), ['role', 'content']);
    }
    const bad = await srv.request('POST', '/api/chat', ask('plain', { think: 'deep' }));
    assert.deepStrictEqual([bad.status, bad.json], [400, { error: 'invalid think value: "deep" (must be "high", "medium", "low", "max", true, or false)' }]);
  } finally { await srv.stop(); }
});

// A long generation whatever the machine: sampling over the whole
// vocabulary, a seed whose end token comes late, cut at num_predict.
const LONG = { model: 'tiny-base', raw: true, prompt: 'Q: ', options: { temperature: 100, top_k: 0, top_p: 1, seed: 6, num_predict: 300 } };

test('one request at a time: a queued request gets no byte until the running one is done', { skip: SKIP }, async () => {
  const srv = await start();
  try {
    await srv.request('POST', '/api/pull', { model: 'tiny-base', stream: false });
    await srv.request('POST', '/api/generate', { model: 'tiny-base', prompt: '' }); // loaded
    const first = await rawPost(srv.port, '/api/generate', LONG);
    const firstReply = first.reply;
    // The first is running once its headers are here; then queue the second.
    while (first.chunksSoFar().length === 0) await sleep(1);
    const second = await rawPost(srv.port, '/api/chat', ask('tiny-base', { stream: true }));
    const a = await firstReply;
    const b = await second.reply;
    // When the bytes holding the first reply's done line had all arrived.
    let seen = '';
    const doneAt = a.chunks.find((c) => (seen += c.text).includes('"done":true')).t;
    assert.ok(second.sent < doneAt, 'the second request was sent while the first ran');
    assert.ok(b.chunks[0].t > doneAt, 'the second reply began after the first was done');
    assert.match(b.text, /^HTTP\/1\.1 200 OK\r\n/);
    const last = JSON.parse(a.body.trim().split('\n').pop());
    assert.deepStrictEqual([last.done_reason, last.eval_count], ['length', 300]);
    assert.strictEqual(b.body.split('\n').filter((l) => l).map((l) => JSON.parse(l).message.content).join(''), BASE_ANSWER);
  } finally { await srv.stop(); }
});

test('--max-queue: a request beyond the waiting ones gets 503 at once', { skip: SKIP }, async () => {
  const srv = await start(['--max-queue', '1']);
  try {
    await srv.request('POST', '/api/pull', { model: 'tiny-base', stream: false });
    await srv.request('POST', '/api/generate', { model: 'tiny-base', prompt: '' });
    const first = await rawPost(srv.port, '/api/generate', LONG);
    while (first.chunksSoFar().length === 0) await sleep(1);
    const second = await rawPost(srv.port, '/api/chat', ask('tiny-base', { stream: true }));
    // Logged, hence queued (the same tick): now the queue is full.
    const logged = () => fs.readFileSync(path.join(srv.dir, 'requests.jsonl'), 'utf8').trim().split('\n').length;
    while (logged() < 4) await sleep(1);
    const third = await srv.request('POST', '/api/chat', ask('tiny-base'));
    assert.deepStrictEqual([third.status, third.json], [503, { error: 'server busy, please try again.  maximum pending requests exceeded' }]);
    const b = await second.reply;
    assert.match(b.text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok((await first.reply).chunks.at(-1).t < b.chunks[0].t);
  } finally { await srv.stop(); }
});

test('done_reason length at num_ctx; a reload on every adapter change shows in load_duration', { skip: SKIP }, async () => {
  const srv = await start();
  try {
    await withMath(srv);
    const r = (await srv.request('POST', '/api/generate', Object.assign({}, LONG, { stream: false, options: Object.assign({}, LONG.options, { num_predict: -1, num_ctx: 64 }) }))).json;
    assert.strictEqual(r.done_reason, 'length');
    assert.strictEqual(r.prompt_eval_count + r.eval_count, 64);

    // base, base, math, base, math: loads at 1, 3, 4, 5 (one runner per base).
    const loading = () => srv.stderr().split('\n').filter((l) => l.startsWith('test engine: loading ')).length;
    const seq = ['tiny-base', 'tiny-base', 'loco-math:1.0.0', 'tiny-base', 'loco-math:1.0.0'];
    const loads = [];
    const reloaded = [];
    for (const m of seq) {
      const before = loading();
      loads.push((await srv.request('POST', '/api/chat', ask(m))).json.load_duration);
      reloaded.push(loading() - before);
    }
    assert.deepStrictEqual(reloaded, [1, 0, 1, 1, 1]);
    const ps = (await srv.request('GET', '/api/ps')).json.models;
    assert.deepStrictEqual(ps.map((x) => x.name), ['loco-math:1.0.0']);
    // load_duration shows it: a reload opens the GGUF and builds a context.
    for (const i of [0, 2, 3, 4]) assert.ok(loads[i] > loads[1], `request ${i + 1}: ${loads[i]} ns vs ${loads[1]} ns`);
  } finally { await srv.stop(); }
});

test('"truncate": false refuses a prompt longer than num_ctx; omitted, the prompt is cut', { skip: SKIP }, async () => {
  const srv = await start();
  try {
    await srv.request('POST', '/api/pull', { model: 'tiny-base', stream: false });
    const body = { model: 'tiny-base', messages: [{ role: 'user', content: 'Anna has 3 apples. '.repeat(40) }],
      stream: false, options: { num_ctx: 64, num_predict: 4, temperature: 0 } };
    const refused = await srv.request('POST', '/api/chat', Object.assign({ truncate: false }, body));
    assert.strictEqual(refused.status, 400);
    assert.deepStrictEqual(refused.json, { error: 'the input length exceeds the context length' });
    const cut = await srv.request('POST', '/api/chat', body);
    assert.strictEqual(cut.status, 200);
    assert.ok(cut.json.done);
    const fits = await srv.request('POST', '/api/chat', Object.assign({}, body, { truncate: false,
      messages: [{ role: 'user', content: 'Anna has 3 apples.' }] }));
    assert.strictEqual(fits.status, 200);
  } finally { await srv.stop(); }
});

test('one runner per base GGUF: another adapter unloads it even when --max-loaded allows two', { skip: SKIP }, async () => {
  const srv = await start(['--max-loaded', '2']);
  try {
    await withMath(srv);
    const other = variant('base.gguf', 'tiny-base', 'tiny-basf');
    const d = `sha256:${sha256(other)}`;
    await srv.request('POST', `/api/blobs/${d}`, other);
    assert.strictEqual((await srv.request('POST', '/api/create', { model: 'other', files: { 'o.gguf': d }, stream: false })).status, 200);
    const loaded = async () => (await srv.request('GET', '/api/ps')).json.models.map((m) => m.name).sort();
    for (const [m, want] of [
      ['other', ['other:latest']],
      ['tiny-base', ['other:latest', 'tiny-base:latest']], // two bases: both resident
      ['loco-math:1.0.0', ['loco-math:1.0.0', 'other:latest']], // same base, another adapter: replaces tiny-base
      ['tiny-base', ['other:latest', 'tiny-base:latest']],
    ]) {
      assert.strictEqual((await srv.request('POST', '/api/chat', ask(m))).status, 200);
      assert.deepStrictEqual(await loaded(), want, m);
    }
    // num_ctx is a runner option: another value reloads as well.
    assert.strictEqual((await srv.request('POST', '/api/chat', ask('tiny-base', { options: { temperature: 0, num_ctx: 1024 } }))).status, 200);
    const ps = (await srv.request('GET', '/api/ps')).json.models;
    assert.deepStrictEqual(ps.map((m) => [m.name, m.context_length]).sort(), [['other:latest', 2048], ['tiny-base:latest', 1024]]);
  } finally { await srv.stop(); }
});
