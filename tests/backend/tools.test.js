'use strict';
// Self-test of the test backend's tool calling (node --test tests/backend/):
// rules that reply with native tool_calls (Ollama chunks, OpenAI deltas
// and whole messages) and rules that match a request ending with tool
// results (match.tool).

const test = require('node:test');
const assert = require('node:assert');
const { start, script, request } = require('./testlib');

const CALLS = [{ name: 'python', arguments: { code: '347*28' } }, { name: 'calc', arguments: '{"x": ' }];
const RULES = [
  { match: { tool: '9716' }, reply: 'It is 9716.' },
  { reply: 'Computing.', chunk_size: 4, tool_calls: CALLS },
];
const user = { role: 'user', content: '347*28?' };

async function withServer(args, fn) {
  const srv = await start(args.concat(['--idle-timeout', '30']));
  try {
    await fn(srv);
  } finally {
    if (srv.child.exitCode === null) srv.child.kill('SIGTERM');
    await srv.exited;
  }
}

test('ollama: tool_calls in a chunk of their own; a tool result matches', async () => {
  await withServer([], async (srv) => {
    script(srv, { models: ['m'], chat: RULES });
    let r = await request(srv.port, 'POST', '/api/chat', { model: 'm', messages: [user] });
    const lines = r.text.trim().split('\n').map(JSON.parse);
    assert.strictEqual(lines.map((l) => l.message.content).join(''), 'Computing.');
    const withCalls = lines.filter((l) => l.message.tool_calls);
    assert.strictEqual(withCalls.length, 1);
    assert.strictEqual(withCalls[0].done, false);
    assert.deepStrictEqual(withCalls[0].message.tool_calls,
      [{ function: { name: 'python', arguments: { code: '347*28' } } }, { function: { name: 'calc', arguments: '{"x": ' } }]);
    assert.strictEqual(lines[lines.length - 1].done, true);
    r = await request(srv.port, 'POST', '/api/chat', { model: 'm', stream: false, messages: [user] });
    assert.strictEqual(r.json.message.tool_calls[0].function.name, 'python');
    // The turn after the call: the last messages are tool results.
    const after = [user, { role: 'assistant', content: '' }, { role: 'tool', content: '9716' }, { role: 'tool', content: 'error' }];
    r = await request(srv.port, 'POST', '/api/chat', { model: 'm', stream: false, messages: after });
    assert.strictEqual(r.json.message.content, 'It is 9716.');
    // A tool result earlier in the conversation is not the last turn's.
    r = await request(srv.port, 'POST', '/api/chat', { model: 'm', stream: false, messages: after.concat([user]) });
    assert.strictEqual(r.json.message.content, 'Computing.');
  });
});

for (const flavor of ['openai', 'llama-server']) {
  test(`${flavor}: delta.tool_calls in pieces, finish_reason tool_calls; whole with arguments as text`, async () => {
    await withServer(['--flavor', flavor], async (srv) => {
      script(srv, { models: ['m'], chat: RULES });
      let r = await request(srv.port, 'POST', '/v1/chat/completions', { model: 'm', stream: true, messages: [user] });
      const objs = r.text.split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)));
      const calls = [];
      let finish = null;
      for (const o of objs) {
        const c = o.choices[0];
        if (!c) continue;
        if (c.finish_reason) finish = c.finish_reason;
        for (const d of (c.delta && c.delta.tool_calls) || []) {
          if (!calls[d.index]) calls[d.index] = { id: d.id, name: d.function.name, args: '' };
          calls[d.index].args += d.function.arguments || '';
        }
      }
      assert.strictEqual(finish, 'tool_calls');
      assert.deepStrictEqual(calls, [{ id: 'call_0', name: 'python', args: '{"code":"347*28"}' }, { id: 'call_1', name: 'calc', args: '{"x": ' }]);
      assert.ok(objs.filter((o) => o.choices[0] && o.choices[0].delta.tool_calls).length > 2, 'arguments in pieces');
      r = await request(srv.port, 'POST', '/v1/chat/completions', { model: 'm', messages: [user] });
      assert.strictEqual(r.json.choices[0].finish_reason, 'tool_calls');
      assert.deepStrictEqual(r.json.choices[0].message.tool_calls[0],
        { id: 'call_0', type: 'function', function: { name: 'python', arguments: '{"code":"347*28"}' } });
      r = await request(srv.port, 'POST', '/v1/chat/completions', { model: 'm',
        messages: [user, { role: 'assistant', content: '' }, { role: 'tool', tool_call_id: 'call_0', content: '9716' }] });
      assert.strictEqual(r.json.choices[0].message.content, 'It is 9716.');
    });
  });
}
