'use strict';
// Self-test of the test backend's openai flavor (server.js --flavor
// openai): node --test tests/backend/
// vLLM (the default) and a cloud: the models list, the key, events and
// whole answers, reasoning_content, runtime LoRA loading, Retry-After.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { start, script, request } = require('./testlib');

const KEY = 'sk-test-0123456789';
const auth = { Authorization: `Bearer ${KEY}` };
const chat = (model, content, extra = {}) => Object.assign({ model, messages: [{ role: 'user', content }] }, extra);
const post = (srv, body, p = '/v1/chat/completions', h = auth) => request(srv.port, 'POST', p, body, h);
const events = (text) => text.split('\n\n').filter((e) => e !== '').map((e) => e.slice('data: '.length));
const log = (srv) => fs.readFileSync(path.join(srv.dir, 'requests.jsonl'), 'utf8').trim().split('\n').map(JSON.parse);

let srv;
test.before(async () => { srv = await start(['--flavor', 'openai', '--idle-timeout', '30']); });
test.after(async () => {
  if (srv && srv.child.exitCode === null) srv.child.kill('SIGTERM');
  await srv.exited;
});

test('vLLM: models with their parent, 401 without the key, the log says how the key compared', async () => {
  script(srv, { api_key: KEY, models: ['base', { id: 'math', parent: 'base', root: '/peft/math' }] });
  let r = await request(srv.port, 'GET', '/v1/models', undefined, auth);
  assert.strictEqual(r.status, 200);
  assert.deepStrictEqual(r.json.data.map((m) => [m.id, m.parent, m.root, m.owned_by]),
    [['base', null, 'base', 'vllm'], ['math', 'base', '/peft/math', 'vllm']]);
  r = await request(srv.port, 'GET', '/v1/models');
  assert.strictEqual(r.status, 401);
  assert.deepStrictEqual(r.json, { error: 'Unauthorized' });
  r = await request(srv.port, 'GET', '/v1/models', undefined, { Authorization: 'Bearer nope' });
  assert.strictEqual(r.status, 401);
  const l = log(srv);
  assert.deepStrictEqual(l.slice(-3).map((e) => e.auth), ['ok', 'none', 'wrong']);
  assert.ok(!JSON.stringify(l).includes(KEY), 'the key is not logged');
  r = await request(srv.port, 'GET', '/api/tags', undefined, auth);
  assert.strictEqual(r.status, 404);
  assert.deepStrictEqual(r.json, { detail: 'Not Found' });
});

test('streamed: chunks, the finish chunk, usage when asked, [DONE]', async () => {
  script(srv, { api_key: KEY, models: ['base'], chat: [{ reply: 'abcdef', chunk_size: 3 }] });
  const r = await post(srv, chat('base', 'hi', { stream: true, stream_options: { include_usage: true } }));
  assert.strictEqual(r.status, 200);
  assert.match(r.headers['content-type'], /^text\/event-stream/);
  const ev = events(r.text);
  assert.strictEqual(ev[ev.length - 1], '[DONE]');
  const objs = ev.slice(0, -1).map(JSON.parse);
  assert.strictEqual(objs.map((o) => (o.choices[0] && o.choices[0].delta.content) || '').join(''), 'abcdef');
  assert.strictEqual(objs[objs.length - 2].choices[0].finish_reason, 'stop');
  assert.deepStrictEqual(objs[objs.length - 1].choices, []);
  assert.strictEqual(objs[objs.length - 1].usage.completion_tokens, 2);
});

test('whole: max_tokens cuts with finish_reason length; pretty spans lines; no_stream ignores stream', async () => {
  script(srv, { api_key: KEY, models: ['base'], chat: [{ match: { contains: 'p' }, reply: 'xy', no_stream: true, fault: 'pretty' }, { reply: 'abcdefgh', chunk_size: 2 }] });
  let r = await post(srv, chat('base', 'hi', { max_tokens: 2 }));
  assert.strictEqual(r.json.choices[0].message.content, 'abcd');
  assert.strictEqual(r.json.choices[0].finish_reason, 'length');
  assert.strictEqual(r.json.object, 'chat.completion');
  r = await post(srv, chat('base', 'p', { stream: true }));
  assert.match(r.headers['content-type'], /^application\/json/);
  assert.ok(r.text.split('\n').length > 5, 'printed over several lines');
  assert.strictEqual(r.json.choices[0].message.content, 'xy');
});

test('cloud: reasoning_content, its error objects, an unknown model', async () => {
  script(srv, { openai: 'cloud', api_key: KEY, models: ['gpt-x'], chat: [{ reply: '4', thinking: 'two and two' }] });
  let r = await post(srv, chat('gpt-x', 'q'));
  assert.strictEqual(r.json.choices[0].message.reasoning_content, 'two and two');
  r = await post(srv, chat('gpt-x', 'q', { stream: true }));
  const deltas = events(r.text).slice(0, -1).map(JSON.parse).map((o) => o.choices[0] && o.choices[0].delta);
  assert.strictEqual(deltas.map((d) => (d && d.reasoning_content) || '').join(''), 'two and two');
  r = await post(srv, chat('nope', 'q'));
  assert.strictEqual(r.status, 404);
  assert.strictEqual(r.json.error.message, 'The model `nope` does not exist or you do not have access to it.');
  r = await request(srv.port, 'GET', '/v1/models');
  assert.strictEqual(r.json.error.message, "You didn't provide an API key.");
  r = await request(srv.port, 'GET', '/v1/models', undefined, { Authorization: 'Bearer sk-wrong-but-long' });
  assert.strictEqual(r.json.error.message, 'Incorrect API key provided: sk-***long.');
  r = await request(srv.port, 'POST', '/v1/load_lora_adapter', { lora_name: 'a', lora_path: '/p' }, auth);
  assert.strictEqual(r.status, 404);
});

test('vLLM: a LoRA loaded at run time is listed with the base as parent', async () => {
  await request(srv.port, 'POST', '/__control/reset');
  script(srv, { models: ['base'] });
  let r = await post(srv, { lora_name: 'code', lora_path: '/peft/code' }, '/v1/load_lora_adapter', {});
  assert.strictEqual(r.status, 404, 'not without runtime_lora');
  script(srv, { models: ['base'], runtime_lora: true });
  r = await post(srv, { lora_name: 'code', lora_path: '/peft/code' }, '/v1/load_lora_adapter', {});
  assert.strictEqual(r.status, 200);
  assert.strictEqual(r.text, "Success: LoRA adapter 'code' added successfully.");
  r = await post(srv, { lora_name: 'code', lora_path: '/peft/code' }, '/v1/load_lora_adapter', {});
  assert.strictEqual(r.status, 400);
  r = await request(srv.port, 'GET', '/v1/models');
  assert.deepStrictEqual(r.json.data.map((m) => [m.id, m.parent, m.root]), [['base', null, 'base'], ['code', 'base', '/peft/code']]);
});

test('429 with Retry-After for the first requests only; faults', async () => {
  script(srv, { models: ['base'], chat: [
    { match: { first: 2, contains: 'r' }, status: 429, retry_after: 7, error: 'slow down' },
    { match: { contains: 'h' }, fault: 'html' },
    { match: { contains: 't' }, reply: 'abcdefgh', chunk_size: 2, fault: 'truncate' },
    { reply: 'ok' }] });
  let r = await post(srv, chat('base', 'r'), undefined, {});
  assert.strictEqual(r.status, 429);
  assert.strictEqual(r.headers['retry-after'], '7');
  assert.deepStrictEqual(r.json, { object: 'error', message: 'slow down', type: 'BadRequestError', param: null, code: 429 });
  r = await post(srv, chat('base', 'r'), undefined, {});
  assert.strictEqual(r.status, 429);
  r = await post(srv, chat('base', 'r'), undefined, {});
  assert.strictEqual(r.json.choices[0].message.content, 'ok');
  r = await post(srv, chat('base', 'h'), undefined, {});
  assert.match(r.text, /^<!DOCTYPE html>/);
  r = await post(srv, chat('base', 't', { stream: true }), undefined, {});
  assert.ok(!r.text.includes('[DONE]') && !r.text.includes('finish_reason":"stop'), 'cut short');
});
