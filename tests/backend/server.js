#!/usr/bin/env node
'use strict';
/*
 * loco test backend: a scripted stand-in for the Ollama HTTP API, in the
 * spirit of curl's test server. Tests write DIR/script.json (re-read on every
 * request) to choose replies and misbehaviour; every request received is
 * appended to DIR/requests.jsonl so tests can compare what the client sent.
 * See README.md in this directory for the script format.
 *
 *   node tests/backend/server.js --dir DIR [--port N] [--host 127.0.0.1]
 *        [--idle-timeout SECONDS] [--parallel P]
 *
 * Node 20, node: built-ins only. Follows /work/shared/OLLAMA-API.md; where it
 * deviates from real Ollama (v0.33):
 *  - replies are scripted text, not generated; eval_count counts chunks, not
 *    tokens, and the duration metrics are synthetic but deterministic
 *    (load_duration 250 ms when the model was not loaded, else 2 ms;
 *    1 ms per prompt token; 20 ms per chunk);
 *  - "thinking" is sent only when a rule scripts it (and think is not false);
 *    think:true is refused with 400 only for models whose script entry lists
 *    capabilities without "thinking";
 *  - generate's final chunk carries no "context" array;
 *  - --parallel limits concurrency across all models, not per model, and
 *    there is no maximum queue length (script a 503 instead);
 *  - created_at has millisecond, not nanosecond, precision;
 *  - a request body that is not JSON gets 400 with JavaScript's parse
 *    message, not Go's;
 *  - a blob upload is always read in full (Ollama skips reading when the blob
 *    already exists), and blob contents are not parsed: any bytes are
 *    accepted as a GGUF file;
 *  - the model list lives in memory (seeded from script.models on every
 *    request, plus what pull/create/copy/delete changed) and is mirrored in
 *    DIR/state.json for inspection only; it does not survive a restart;
 *  - the error for a missing blob in create and the 404 text of copy are
 *    inferred, not observed;
 *  - extra endpoints under /__control/ (shutdown, reset), never logged.
 */

const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const os = require('node:os');
const { encode } = require('./gojson');

// ---------------------------------------------------------------- options

function usage(msg) {
  if (msg) process.stderr.write(`test backend: ${msg}\n`);
  process.stderr.write('usage: node server.js --dir DIR [--port N] [--host 127.0.0.1] ' +
    '[--idle-timeout SECONDS] [--parallel P]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { dir: null, port: 0, host: '127.0.0.1', idle: 120, parallel: 4 };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    const val = () => {
      if (v !== undefined) return v;
      if (i + 1 >= argv.length) usage(`option '${a}' needs a value`);
      return argv[++i];
    };
    const num = (s, lo, hi) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < lo || n > hi) usage(`bad value '${s}' for '${a}'`);
      return n;
    };
    switch (a) {
      case '--dir': o.dir = val(); break;
      case '--port': o.port = num(val(), 0, 65535); break;
      case '--host': o.host = val(); break;
      case '--idle-timeout': o.idle = num(val(), 0, 1e6); break;
      case '--parallel': o.parallel = num(val(), 1, 1e4); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown option '${a}'`);
    }
  }
  if (!o.dir) usage('--dir is required');
  if (!/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(o.host)) usage(`refusing to listen on non-loopback host '${o.host}'`);
  return o;
}

const opt = parseArgs(process.argv.slice(2));
const DIR = path.resolve(opt.dir);
const FILES = {
  port: path.join(DIR, 'port'),
  portTmp: path.join(DIR, 'port.tmp'),
  script: path.join(DIR, 'script.json'),
  log: path.join(DIR, 'requests.jsonl'),
  state: path.join(DIR, 'state.json'),
  blobs: path.join(DIR, 'blobs'),
};
fs.mkdirSync(DIR, { recursive: true });

// ---------------------------------------------------------------- helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sha256hex = (data) => crypto.createHash('sha256').update(data).digest('hex');
const nowStamp = () => new Date().toISOString();
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function writeAtomic(file, text) {
  const tmp = `${file}.tmp${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

// ---------------------------------------------------------------- script

let scriptHash = null;
const counters = new Map(); // rule index -> requests matched (for "replies")

class ScriptError extends Error {}

function loadScript() {
  let text;
  try {
    text = fs.readFileSync(FILES.script, 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT') text = '{}';
    else throw new ScriptError(e.message);
  }
  const h = sha256hex(text);
  if (h !== scriptHash) { scriptHash = h; counters.clear(); }
  let s;
  try {
    s = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    throw new ScriptError(e.message);
  }
  if (!isObj(s)) throw new ScriptError('top level is not an object');
  for (const k of ['models', 'pullable', 'chat']) {
    if (s[k] !== undefined && !Array.isArray(s[k])) throw new ScriptError(`"${k}" is not an array`);
  }
  return s;
}

// ---------------------------------------------------------------- model names

const PART = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$/;
const NSPART = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,79}$/;
const HOSTPART = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,349}$/;

// Parse "[host/][namespace/]model[:tag]"; null when invalid.
function parseName(s) {
  if (typeof s !== 'string' || s === '') return null;
  let rest = s;
  const at = rest.indexOf('@');
  if (at >= 0) rest = rest.slice(0, at);
  let tag = 'latest';
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) { tag = rest.slice(colon + 1); rest = rest.slice(0, colon); }
  const parts = rest.split('/');
  if (parts.length > 3) return null;
  const model = parts.pop();
  const ns = parts.length ? parts.pop() : 'library';
  const host = parts.length ? parts.pop() : 'registry.ollama.ai';
  if (!PART.test(model) || !PART.test(tag) || !NSPART.test(ns) || !HOSTPART.test(host)) return null;
  return { host, ns, model, tag };
}

function shortName(n) {
  if (n.host.toLowerCase() === 'registry.ollama.ai') {
    if (n.ns.toLowerCase() === 'library') return `${n.model}:${n.tag}`;
    return `${n.ns}/${n.model}:${n.tag}`;
  }
  return `${n.host}/${n.ns}/${n.model}:${n.tag}`;
}

// Display form with the tag filled in ("x" -> "x:latest"); input when invalid.
function displayName(s) {
  const n = parseName(s);
  return n ? shortName(n) : s;
}

function nameKey(s) {
  const n = parseName(s);
  return n ? `${n.host}/${n.ns}/${n.model}:${n.tag}`.toLowerCase() : null;
}

// ---------------------------------------------------------------- models

const DEFAULT_MODIFIED = '2025-06-01T12:00:00Z';
const dyn = { added: [], deleted: [] }; // created/pulled/copied models, deleted keys
const loaded = new Map(); // key -> { name, expires (ms), ctx }

function normModel(entry) {
  const e = typeof entry === 'string' ? { name: entry } : isObj(entry) ? entry : {};
  const name = displayName(String(e.name ?? e.model ?? ''));
  const arch = e.architecture || 'qwen3';
  return {
    name,
    architecture: arch,
    family: e.family || arch,
    parameter_size: e.parameter_size || '4.0B',
    quantization: e.quantization || e.quantization_level || 'Q4_K_M',
    digest: e.digest ? String(e.digest).replace(/^sha256[:-]/, '') : sha256hex(name),
    size: Number.isInteger(e.size) ? e.size : 2500000000,
    modified_at: e.modified_at || DEFAULT_MODIFIED,
    system: e.system || '',
    template: e.template || '{{ .Prompt }}',
    parameters: isObj(e.parameters) ? e.parameters : {},
    license: e.license || '',
    capabilities: Array.isArray(e.capabilities) ? e.capabilities : null,
    context_length: Number.isInteger(e.context_length) ? e.context_length : 40960,
    from: e.from || null,
    adapter: e.adapter || null,
    base_digest: e.base_digest || null, // the weights layer, when it differs from digest
  };
}

function modelList(script) {
  const out = [];
  const seen = new Set();
  for (const m of dyn.added) { seen.add(nameKey(m.name)); }
  for (const entry of script.models || []) {
    const m = normModel(entry);
    const k = nameKey(m.name);
    if (!k || seen.has(k) || dyn.deleted.includes(k)) continue;
    seen.add(k);
    out.push(m);
  }
  return out.concat(dyn.added);
}

function findModel(script, name) {
  const k = nameKey(name);
  if (!k) return null;
  return modelList(script).find((m) => nameKey(m.name) === k) || null;
}

function addModel(m) {
  const k = nameKey(m.name);
  dyn.added = dyn.added.filter((x) => nameKey(x.name) !== k);
  dyn.deleted = dyn.deleted.filter((x) => x !== k);
  dyn.added.push(m);
}

function deleteModel(name) {
  const k = nameKey(name);
  dyn.added = dyn.added.filter((x) => nameKey(x.name) !== k);
  if (!dyn.deleted.includes(k)) dyn.deleted.push(k);
  loaded.delete(k);
}

function saveState(script) {
  try {
    const st = {
      models: script ? modelList(script).map((m) => m.name) : undefined,
      added: dyn.added,
      deleted: dyn.deleted,
      loaded: [...loaded.values()].map((l) => l.name),
    };
    writeAtomic(FILES.state, JSON.stringify(st, null, 2) + '\n');
  } catch (e) {
    process.stderr.write(`test backend: cannot write state.json: ${e.message}\n`);
  }
}

function details(m) {
  return {
    parent_model: '',
    format: 'gguf',
    family: m.family,
    families: [m.family],
    parameter_size: m.parameter_size,
    quantization_level: m.quantization,
  };
}

function tagsEntry(m) {
  return { name: m.name, model: m.name, modified_at: m.modified_at, size: m.size, digest: m.digest, details: details(m) };
}

function paramValues(v) {
  return Array.isArray(v) ? v : [v];
}

function parametersText(m) {
  const lines = [];
  for (const [k, v] of Object.entries(m.parameters)) {
    for (const x of paramValues(v)) lines.push(`${k.padEnd(30)} ${typeof x === 'string' ? JSON.stringify(x) : x}`);
  }
  return lines.join('\n');
}

function blobPath(hex) {
  return path.join(FILES.blobs, `sha256-${hex}`);
}

function modelfileText(m) {
  let t = `# Modelfile generated by "ollama show"\n# To build a new Modelfile based on this, replace FROM with:\n# FROM ${m.name}\n\n`;
  t += `FROM ${blobPath(m.base_digest || m.digest)}\n`;
  t += `TEMPLATE """${m.template}"""\n`;
  if (m.system) t += `SYSTEM """${m.system}"""\n`;
  if (m.adapter) t += `ADAPTER ${blobPath(m.adapter.replace(/^sha256:/, ''))}\n`;
  for (const [k, v] of Object.entries(m.parameters)) {
    for (const x of paramValues(v)) t += `PARAMETER ${k} ${x}\n`;
  }
  t += `LICENSE """${m.license}"""\n`;
  return t;
}

// ---------------------------------------------------------------- responses

function sendText(ctx, status, text) {
  if (ctx.aborted) return;
  ctx.res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : text);
}

function sendJson(ctx, status, obj, asciiEscape) {
  if (ctx.aborted) return;
  const body = encode(obj, asciiEscape);
  ctx.res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body);
}

function sendEmpty(ctx, status) {
  if (ctx.aborted) return;
  ctx.res.writeHead(status, { 'Content-Length': 0 });
  ctx.res.end();
}

const sendError = (ctx, status, msg) => sendJson(ctx, status, { error: msg });

// Streams progress objects the way Ollama's streamResponse does: an error
// before anything was written gets a real HTTP status; after that it becomes
// an {"error"} line and the stream ends. stream:false sends only the last one.
class Progress {
  constructor(ctx, stream) { this.ctx = ctx; this.stream = stream; this.started = false; this.last = null; }

  emit(obj) {
    if (this.ctx.aborted) throw new Aborted();
    if (!this.stream) { this.last = obj; return; }
    if (!this.started) {
      this.ctx.res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      this.started = true;
    }
    this.ctx.res.write(encode(obj) + '\n');
  }

  fail(msg, status = 500) {
    if (this.ctx.aborted) return;
    if (this.started) {
      this.ctx.res.end(encode({ error: msg }) + '\n');
    } else {
      sendError(this.ctx, status, msg);
    }
  }

  finish() {
    if (this.ctx.aborted) return;
    if (this.stream) {
      if (!this.started) this.ctx.res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      this.ctx.res.end();
    } else {
      sendJson(this.ctx, 200, this.last || { status: 'success' });
    }
  }
}

class Aborted extends Error {}

// ---------------------------------------------------------------- concurrency

let running = 0;
const waiting = [];

function acquireSlot() {
  if (running < opt.parallel) { running++; return Promise.resolve(); }
  return new Promise((resolve) => waiting.push(resolve));
}

function releaseSlot() {
  const next = waiting.shift();
  if (next) next(); else running--;
}

// ---------------------------------------------------------------- chat/generate

const INT_OPTS = ['num_keep', 'seed', 'num_predict', 'top_k', 'repeat_last_n', 'mirostat', 'num_ctx',
  'num_batch', 'num_gpu', 'main_gpu', 'num_thread'];
const FLOAT_OPTS = ['temperature', 'top_p', 'min_p', 'typical_p', 'repeat_penalty', 'presence_penalty',
  'frequency_penalty', 'tfs_z', 'mirostat_tau', 'mirostat_eta'];
const BOOL_OPTS = ['penalize_newline', 'numa', 'use_mmap', 'use_mlock', 'low_vram', 'f16_kv', 'vocab_only', 'logits_all'];

// Mirrors api.Options.FromMap: unknown keys are ignored, wrong types fail.
function checkOptions(o) {
  for (const [k, v] of Object.entries(o)) {
    if (v === null) continue;
    if (INT_OPTS.includes(k) && typeof v !== 'number') return `option "${k}" must be of type integer`;
    if (FLOAT_OPTS.includes(k) && typeof v !== 'number') return `option "${k}" must be of type float`;
    if (BOOL_OPTS.includes(k) && typeof v !== 'boolean') return `option "${k}" must be of type boolean`;
    if (k === 'stop') {
      if (!Array.isArray(v)) return 'option "stop" must be of type array';
      if (v.some((x) => typeof x !== 'string')) return 'option "stop" must be of an array of strings';
    }
  }
  return null;
}

const SPLIT_DEFAULT = 'Café <b>&</b> naïve 😀 ok';
const DEFAULT_ERRORS = {
  500: 'llama runner process has terminated: exit status 2',
  503: 'server busy, please try again.  maximum pending requests exceeded',
};

function keepAliveMs(v) {
  if (v === undefined || v === null) return 5 * 60e3;
  if (typeof v === 'number') return v < 0 ? Infinity : v * 1e3;
  if (typeof v === 'string') {
    if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v) < 0 ? Infinity : Number(v) * 1e3;
    let total = 0;
    const re = /(-?\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
    let m;
    let any = false;
    while ((m = re.exec(v)) !== null) {
      any = true;
      total += Number(m[1]) * { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 }[m[2]];
    }
    if (any) return total < 0 ? Infinity : total;
  }
  return 5 * 60e3;
}

function isLoaded(key) {
  const l = loaded.get(key);
  return !!l && l.expires > Date.now();
}

function markLoaded(m, body) {
  const key = nameKey(m.name);
  const ka = keepAliveMs(body.keep_alive);
  if (ka === 0) { loaded.delete(key); return; }
  const ctxLen = isObj(body.options) && Number.isInteger(body.options.num_ctx) ? body.options.num_ctx : 4096;
  loaded.set(key, { name: m.name, model: m, expires: Date.now() + ka, ctx: ctxLen });
}

function splitText(text, size) {
  const cps = Array.from(text);
  const out = [];
  for (let i = 0; i < cps.length; i += size) out.push(cps.slice(i, i + size).join(''));
  return out;
}

function pickRule(script, kind, body, lastText) {
  const rules = script.chat || [];
  const opts = isObj(body.options) ? body.options : {};
  for (let i = 0; i < rules.length; i++) {
    const r = isObj(rules[i]) ? rules[i] : {};
    const m = isObj(r.match) ? r.match : {};
    if (m.model !== undefined && nameKey(m.model) !== nameKey(body.model)) continue;
    if (m.contains !== undefined && !lastText.includes(String(m.contains))) continue;
    if (m.path !== undefined && m.path !== `/api/${kind}`) continue;
    if (m.seed !== undefined && opts.seed !== m.seed) continue;
    return { rule: r, index: i };
  }
  return { rule: {}, index: -1 };
}

function pickText(rule, index, body) {
  if (Array.isArray(rule.replies) && rule.replies.length > 0) {
    const n = rule.replies.length;
    const seed = isObj(body.options) ? body.options.seed : undefined;
    let i;
    if (rule.by_seed && typeof seed === 'number') {
      i = ((Math.trunc(seed) % n) + n) % n;
    } else {
      const c = counters.get(index) || 0;
      counters.set(index, c + 1);
      i = c % n;
    }
    return String(rule.replies[i]);
  }
  if (rule.reply !== undefined) return String(rule.reply);
  return rule.fault === 'split_bytes' ? SPLIT_DEFAULT : 'OK';
}

function metricsFor(rule, promptLen, chunks, wasLoaded) {
  const pec = promptLen > 0 ? Math.max(1, Math.round(promptLen / 4)) : 0;
  const m = {
    total_duration: 0,
    load_duration: wasLoaded ? 2e6 : 250e6,
    prompt_eval_count: pec,
    prompt_eval_duration: pec * 1e6,
    eval_count: chunks,
    eval_duration: chunks * 20e6,
  };
  m.total_duration = m.load_duration + m.prompt_eval_duration + m.eval_duration + 1e6;
  if (isObj(rule.metrics)) Object.assign(m, rule.metrics);
  for (const k of Object.keys(m)) if (m[k] === 0 || m[k] === null) delete m[k];
  return m;
}

function chunkObj(kind, model, content, thinking) {
  const o = { model, created_at: nowStamp() };
  if (kind === 'chat') {
    o.message = { role: 'assistant', content };
    if (thinking) o.message.thinking = thinking;
  } else {
    o.response = content;
    if (thinking) o.thinking = thinking;
  }
  o.done = false;
  return o;
}

function finalObj(kind, model, content, thinking, doneReason, metrics) {
  const o = { model, created_at: nowStamp() };
  if (kind === 'chat') {
    o.message = { role: 'assistant', content };
    if (thinking) o.message.thinking = thinking;
    if (doneReason) o.done_reason = doneReason;
    o.done = true;
  } else {
    o.response = content;
    if (thinking) o.thinking = thinking;
    o.done = true;
    if (doneReason) o.done_reason = doneReason;
  }
  return Object.assign(o, metrics);
}

async function handleGenerate(ctx, script, kind) {
  const body = ctx.body;
  if (!isObj(body)) {
    return sendError(ctx, 400, ctx.rawText === '' ? 'missing request body' : `invalid request body: ${ctx.parseError}`);
  }
  if (body.model === undefined || body.model === null || body.model === '') return sendError(ctx, 400, 'model is required');
  const sent = String(body.model);
  const m = findModel(script, sent);
  if (!m) return sendError(ctx, 404, `model '${sent}' not found`);
  if (body.options !== undefined && body.options !== null) {
    if (!isObj(body.options)) return sendError(ctx, 400, 'json: cannot unmarshal options into a map');
    const err = checkOptions(body.options);
    if (err) return sendError(ctx, 500, err);
  }
  if (body.think === true && m.capabilities && !m.capabilities.includes('thinking')) {
    return sendError(ctx, 400, `"${sent}" does not support thinking`);
  }

  let lastText = '';
  let promptLen = 0;
  let empty;
  if (kind === 'chat') {
    const msgs = Array.isArray(body.messages) ? body.messages.filter(isObj) : [];
    empty = msgs.length === 0;
    for (const x of msgs) promptLen += String(x.content ?? '').length;
    const users = msgs.filter((x) => x.role === 'user');
    const last = users.length ? users[users.length - 1] : msgs[msgs.length - 1];
    lastText = last ? String(last.content ?? '') : '';
  } else {
    lastText = typeof body.prompt === 'string' ? body.prompt : '';
    empty = lastText === '';
    promptLen = lastText.length + (typeof body.system === 'string' ? body.system.length : 0);
  }

  const key = nameKey(m.name);
  if (empty) {
    const unload = keepAliveMs(body.keep_alive) === 0;
    markLoaded(m, body);
    return sendJson(ctx, 200, finalObj(kind, sent, '', '', unload ? 'unload' : 'load', {}));
  }

  const { rule, index } = pickRule(script, kind, body, lastText);
  const text = pickText(rule, index, body);

  await acquireSlot();
  try {
    if (ctx.aborted) return;
    if (Number(rule.delay_ms) > 0) await sleep(Number(rule.delay_ms));
    if (Number(rule.first_byte_delay_ms) > 0) await sleep(Number(rule.first_byte_delay_ms));
    if (ctx.aborted) return;
    if (rule.status !== undefined && rule.status !== 200) {
      const st = Number(rule.status);
      const msg = rule.error !== undefined ? String(rule.error) : (st === 404 ? `model '${sent}' not found` : DEFAULT_ERRORS[st] || DEFAULT_ERRORS[500]);
      return sendError(ctx, st, msg);
    }
    const wasLoaded = isLoaded(key);
    markLoaded(m, body);
    await reply(ctx, kind, rule, sent, text, promptLen, wasLoaded, body);
    if (keepAliveMs(body.keep_alive) === 0) loaded.delete(key);
  } finally {
    releaseSlot();
  }
}

async function reply(ctx, kind, rule, model, text, promptLen, wasLoaded, body) {
  const size = Number.isInteger(rule.chunk_size) && rule.chunk_size > 0 ? rule.chunk_size : 4;
  const wantThinking = typeof rule.thinking === 'string' && rule.thinking !== '' && body.think !== false;
  const thinkPieces = wantThinking ? splitText(rule.thinking, size) : [];
  const fault = rule.fault || null;
  const ascii = !!rule.ascii_escape;
  let pieces;
  if (fault === 'huge_line') {
    const n = Number.isInteger(rule.huge_bytes) ? rule.huge_bytes : 2 * 1024 * 1024;
    const unit = text === '' ? 'x' : text;
    let big = unit.repeat(Math.ceil(n / unit.length));
    big = big.slice(0, n);
    pieces = [big];
    text = big;
  } else {
    pieces = splitText(text, size);
  }
  const metrics = metricsFor(rule, promptLen, thinkPieces.length + pieces.length, wasLoaded);
  const doneReason = rule.done_reason !== undefined ? String(rule.done_reason) : 'stop';
  const stream = body.stream !== false;
  const res = ctx.res;

  const delay = Number(rule.chunk_delay_ms) > 0 ? Number(rule.chunk_delay_ms) : 0;
  if (!stream) {
    // Generation takes as long as it would have streamed.
    const n = thinkPieces.length + pieces.length;
    if (delay && n > 1) await sleep(delay * (n - 1));
    if (ctx.aborted) return;
    if (fault === 'error_midstream') {
      return sendError(ctx, 500, rule.error !== undefined ? String(rule.error) : 'an error was encountered while running the model: unexpected EOF');
    }
    let bodyText = encode(finalObj(kind, model, text, wantThinking ? rule.thinking : '', doneReason, metrics), ascii);
    if (fault === 'malformed') bodyText = bodyText.slice(0, Math.max(1, bodyText.length - 3));
    const full = Buffer.from(bodyText);
    // truncate and reset promise the full length and then send less.
    const headers = { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': full.length };
    res.writeHead(200, headers);
    if (fault === 'reset') { res.flushHeaders(); await sleep(50); return hardClose(ctx, rule); }
    if (fault === 'truncate') {
      res.write(full.subarray(0, full.length >> 1));
      await sleep(50);
      return hardClose(ctx, { reset_mode: 'fin' });
    }
    if (fault === 'split_bytes') { await writeSplit(ctx, full, rule); if (!ctx.aborted) res.end(); return; }
    res.end(full);
    return;
  }

  // Build the list of NDJSON lines, then apply the fault.
  const lines = [];
  for (const p of thinkPieces) lines.push(encode(chunkObj(kind, model, '', p), ascii) + '\n');
  const contentPieces = pieces.slice();
  let finalText = '';
  if (rule.text_in_final && contentPieces.length > 0) finalText = contentPieces.pop();
  for (const p of contentPieces) lines.push(encode(chunkObj(kind, model, p, ''), ascii) + '\n');
  let finalLine = encode(finalObj(kind, model, finalText, '', doneReason, metrics), ascii) + '\n';
  const some = lines.length === 0 ? 0 : Math.max(1, lines.length >> 1);
  let tail = null; // what happens after the lines
  let out;
  switch (fault) {
    case 'error_midstream':
      out = lines.slice(0, some);
      out.push(encode({ error: rule.error !== undefined ? String(rule.error) : 'an error was encountered while running the model: unexpected EOF' }) + '\n');
      break;
    case 'truncate':
      out = lines.slice(0, some);
      break;
    case 'reset':
      out = lines.slice(0, some);
      tail = 'reset';
      break;
    case 'malformed':
      out = lines.slice(0, some);
      out.push(`{"model":${encode(model)},"message":{"content":"oops"\n`);
      out = out.concat(lines.slice(some), [finalLine]);
      break;
    case 'no_newline_end':
      finalLine = finalLine.slice(0, -1);
      out = lines.concat([finalLine]);
      break;
    case null: case 'huge_line': case 'split_bytes':
      out = lines.concat([finalLine]);
      break;
    default:
      return sendError(ctx, 500, `test backend: unknown fault '${fault}'`);
  }

  res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
  res.flushHeaders();
  for (let i = 0; i < out.length; i++) {
    if (ctx.aborted) return;
    if (i > 0 && delay) await sleep(delay);
    if (ctx.aborted) return;
    if (fault === 'split_bytes') await writeSplit(ctx, Buffer.from(out[i]), rule);
    else res.write(out[i]);
  }
  if (ctx.aborted) return;
  if (tail === 'reset') { await sleep(50); return hardClose(ctx, rule); }
  res.end();
}

// Close the connection without finishing the HTTP response. By default with
// a TCP RST; rule.reset_mode "fin" closes normally (EOF mid-body).
function hardClose(ctx, rule) {
  const sock = ctx.res.socket || ctx.req.socket;
  ctx.aborted = true;
  if (!sock) return;
  if (rule.reset_mode !== 'fin' && typeof sock.resetAndDestroy === 'function') sock.resetAndDestroy();
  else sock.destroy();
}

// Write buf a few bytes at a time so that lines, UTF-8 sequences and \uXXXX
// escapes straddle writes.
const SPLIT_SIZES = [1, 2, 3, 1, 5, 2, 7];
async function writeSplit(ctx, buf, rule) {
  const pause = Number.isInteger(rule.split_delay_ms) ? rule.split_delay_ms : 1;
  let off = 0;
  let k = ctx.splitIndex || 0;
  while (off < buf.length) {
    if (ctx.aborted) return;
    const n = SPLIT_SIZES[k++ % SPLIT_SIZES.length];
    ctx.res.write(buf.subarray(off, off + n));
    off += n;
    if (pause > 0) await sleep(pause);
  }
  ctx.splitIndex = k;
}

// ---------------------------------------------------------------- lifecycle endpoints

function digestLayer(s) { return sha256hex(s); }

async function pullSteps(p, script, name, stepMs) {
  p.emit({ status: 'pulling manifest' });
  await sleep(stepMs);
  const k = nameKey(name);
  const entry = (script.pullable || []).find((e) => nameKey(typeof e === 'string' ? e : isObj(e) ? e.name : '') === k);
  if (!entry) return { error: 'pull model manifest: file does not exist' };
  const m = normModel(entry);
  m.name = displayName(name);
  m.modified_at = nowStamp();
  const layers = [
    { digest: m.digest, total: m.size },
    { digest: digestLayer(`${m.name} template`), total: 1024 },
    { digest: digestLayer(`${m.name} params`), total: 120 },
  ];
  for (const l of layers) {
    const st = `pulling ${l.digest.slice(0, 12)}`;
    for (const frac of [0, 1 / 3, 2 / 3, 1]) {
      const o = { status: st, digest: `sha256:${l.digest}`, total: l.total };
      const c = Math.floor(l.total * frac);
      if (c) o.completed = c;
      p.emit(o);
      await sleep(stepMs);
    }
  }
  p.emit({ status: 'verifying sha256 digest' });
  p.emit({ status: 'writing manifest' });
  addModel(m);
  p.emit({ status: 'success' });
  return { model: m };
}

async function handlePull(ctx, script) {
  const body = isObj(ctx.body) ? ctx.body : {};
  const name = body.model || body.name || '';
  if (!parseName(name)) return sendError(ctx, 400, 'invalid model name');
  const p = new Progress(ctx, body.stream !== false);
  const step = Number.isInteger(script.pull_step_ms) ? script.pull_step_ms : 10;
  try {
    const r = await pullSteps(p, script, name, step);
    if (r.error) return p.fail(r.error);
    saveState(script);
    p.finish();
  } catch (e) {
    if (!(e instanceof Aborted)) throw e;
  }
}

// Minimal Modelfile reader for legacy creates: FROM, ADAPTER, SYSTEM,
// TEMPLATE, PARAMETER, LICENSE; """...""" and "..." values.
function parseModelfile(text) {
  const out = { from: null, adapters: [], system: null, template: null, license: null, parameters: {} };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+)\s*(.*)$/.exec(line);
    const cmd = m[1].toUpperCase();
    let rest = m[2];
    let pname = null;
    if (cmd === 'PARAMETER') {
      const pm = /^(\S+)\s*(.*)$/.exec(rest);
      if (!pm) continue;
      pname = pm[1];
      rest = pm[2];
    }
    let value;
    if (rest.startsWith('"""')) {
      let acc = rest.slice(3);
      while (!acc.includes('"""') && i + 1 < lines.length) acc += '\n' + lines[++i];
      value = acc.slice(0, acc.indexOf('"""') >= 0 ? acc.indexOf('"""') : acc.length);
    } else if (rest.startsWith('"') && rest.endsWith('"') && rest.length >= 2) {
      value = rest.slice(1, -1);
    } else {
      value = rest;
    }
    switch (cmd) {
      case 'FROM': out.from = value; break;
      case 'ADAPTER': out.adapters.push(value); break;
      case 'SYSTEM': out.system = value; break;
      case 'TEMPLATE': out.template = value; break;
      case 'LICENSE': out.license = value; break;
      case 'PARAMETER': {
        const v = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
        if (pname === 'stop') (out.parameters.stop = out.parameters.stop || []).push(value);
        else out.parameters[pname] = v;
        break;
      }
      default: break;
    }
  }
  return out;
}

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

async function handleCreate(ctx, script) {
  const body = isObj(ctx.body) ? ctx.body : {};
  const name = body.model || body.name || '';
  let req = body;
  if (script.legacy_create) {
    if (typeof body.modelfile !== 'string') return sendError(ctx, 400, 'path or Modelfile are required');
    const mf = parseModelfile(body.modelfile);
    const adapters = {};
    mf.adapters.forEach((a, i) => {
      const d = a.replace(/^@/, '');
      adapters[`adapter${i}.gguf`] = d;
    });
    req = { from: mf.from, adapters, system: mf.system, template: mf.template, license: mf.license, parameters: mf.parameters, stream: body.stream };
  }
  if (!parseName(name)) return sendError(ctx, 400, 'invalid model name');
  const adapters = isObj(req.adapters) ? req.adapters : {};
  const nAdapters = Object.keys(adapters).length;
  if (nAdapters > 0 && typeof script.refuse_adapters === 'string') return sendError(ctx, 400, script.refuse_adapters);
  const from = typeof req.from === 'string' && req.from !== '' ? req.from : null;
  const files = isObj(req.files) ? req.files : null;
  if (!from && !files) return sendError(ctx, 400, "neither 'from' or 'files' was specified");
  if (nAdapters > 1) return sendError(ctx, 400, 'only one adapter is currently supported');

  const p = new Progress(ctx, req.stream !== false);
  const step = Number.isInteger(script.pull_step_ms) ? script.pull_step_ms : 10;
  const checkBlob = (d) => {
    if (!DIGEST_RE.test(String(d))) return { status: 400, msg: 'invalid digest format' };
    const bp = blobPath(String(d).slice(7));
    if (!fs.existsSync(bp)) return { status: 400, msg: `open ${bp}: no such file or directory` };
    return null;
  };
  try {
    let base = null;
    const layers = []; // [digest, existing?]
    if (from) {
      base = findModel(script, from);
      if (!base) {
        const r = await pullSteps(p, script, from, step);
        if (r.error) return p.fail(r.error);
        base = r.model;
      }
      layers.push(base.digest);
    } else {
      for (const d of Object.values(files)) {
        const err = checkBlob(d);
        if (err) return p.fail(err.msg, err.status);
      }
      p.emit({ status: 'parsing GGUF' });
      for (const d of Object.values(files)) layers.push(String(d).slice(7));
    }
    let adapter = null;
    for (const d of Object.values(adapters)) {
      const err = checkBlob(d);
      if (err) return p.fail(err.msg, err.status);
      p.emit({ status: 'parsing GGUF' });
      adapter = String(d);
      layers.push(adapter.slice(7));
    }
    for (const d of layers) p.emit({ status: `using existing layer sha256:${d}` });
    const m = normModel({
      name,
      architecture: base ? base.architecture : 'qwen3',
      family: base ? base.family : undefined,
      parameter_size: base ? base.parameter_size : undefined,
      quantization: base ? base.quantization : undefined,
      capabilities: base ? base.capabilities : undefined,
      context_length: base ? base.context_length : undefined,
      size: (base ? base.size : 0) + layers.slice(base ? 1 : 0).reduce((s, d) => {
        try { return s + fs.statSync(blobPath(d)).size; } catch { return s; }
      }, 0),
      template: req.template || (base ? base.template : undefined),
      system: typeof req.system === 'string' ? req.system : (base ? base.system : ''),
      parameters: Object.assign({}, base ? base.parameters : {}, isObj(req.parameters) ? req.parameters : {}),
      license: typeof req.license === 'string' ? req.license : (base ? base.license : ''),
      from: base ? base.name : null,
      base_digest: base ? (base.base_digest || base.digest) : layers[0],
      adapter,
    });
    for (const [what, v] of [['template', req.template], ['system', req.system], ['params', isObj(req.parameters) && Object.keys(req.parameters).length ? JSON.stringify(req.parameters) : null]]) {
      if (typeof v === 'string' && v !== '') p.emit({ status: `creating new layer sha256:${digestLayer(`${what}\n${v}`)}` });
    }
    p.emit({ status: 'writing manifest' });
    m.digest = sha256hex(JSON.stringify([m.name, layers, req.system || '', req.template || '', req.parameters || {}]));
    m.modified_at = nowStamp();
    addModel(m);
    saveState(script);
    p.emit({ status: 'success' });
    p.finish();
  } catch (e) {
    if (!(e instanceof Aborted)) throw e;
  }
}

function handleBlob(ctx, digest) {
  const method = ctx.req.method;
  if (method !== 'HEAD' && method !== 'POST') return sendText(ctx, 405, '405 method not allowed');
  if (!DIGEST_RE.test(digest)) return sendError(ctx, 400, 'invalid digest format');
  const bp = blobPath(digest.slice(7));
  const exists = fs.existsSync(bp);
  if (method === 'HEAD') return sendEmpty(ctx, exists ? 200 : 404);
  if (exists) return sendEmpty(ctx, 200);
  const got = sha256hex(ctx.rawBuf);
  if (`sha256:${got}` !== digest) {
    return sendError(ctx, 400, `digest mismatch, expected "${digest}", got "sha256:${got}"`);
  }
  fs.mkdirSync(FILES.blobs, { recursive: true });
  writeAtomic(bp, ctx.rawBuf);
  return sendEmpty(ctx, 201);
}

function handleDelete(ctx, script) {
  const body = isObj(ctx.body) ? ctx.body : {};
  const name = body.model || body.name || '';
  if (!parseName(name)) return sendError(ctx, 400, `name ${JSON.stringify(String(name))} is invalid`);
  if (!findModel(script, name)) return sendError(ctx, 404, `model '${name}' not found`);
  deleteModel(name);
  saveState(script);
  return sendEmpty(ctx, 200);
}

function handleCopy(ctx, script) {
  const body = isObj(ctx.body) ? ctx.body : {};
  const src = String(body.source ?? '');
  const dst = String(body.destination ?? '');
  if (!parseName(src)) return sendError(ctx, 400, `source ${JSON.stringify(src)} is invalid`);
  if (!parseName(dst)) return sendError(ctx, 400, `destination ${JSON.stringify(dst)} is invalid`);
  const m = findModel(script, src);
  if (!m) return sendError(ctx, 404, `model ${JSON.stringify(src)} not found`);
  addModel(Object.assign({}, m, { name: displayName(dst), modified_at: nowStamp() }));
  saveState(script);
  return sendEmpty(ctx, 200);
}

function handleShow(ctx, script) {
  const body = isObj(ctx.body) ? ctx.body : {};
  const name = body.model || body.name || '';
  if (name === '') return sendError(ctx, 400, 'model is required');
  const m = findModel(script, name);
  if (!m) return sendError(ctx, 404, `model '${displayName(name)}' not found`);
  const info = {
    'general.architecture': m.architecture,
    'general.parameter_count': Math.round(parseFloat(m.parameter_size) * 1e9) || 4000000000,
    [`${m.architecture}.context_length`]: m.context_length,
  };
  return sendJson(ctx, 200, {
    license: m.license,
    modelfile: modelfileText(m),
    parameters: parametersText(m),
    template: m.template,
    system: m.system,
    details: details(m),
    model_info: info,
    capabilities: m.capabilities || ['completion'],
    modified_at: m.modified_at,
  });
}

function handlePs(ctx, script) {
  const now = Date.now();
  const models = [];
  for (const [k, l] of loaded) {
    if (l.expires <= now) { loaded.delete(k); continue; }
    const m = findModel(script, l.name) || l.model;
    models.push({
      name: m.name, model: m.name, size: m.size, digest: m.digest, details: details(m),
      expires_at: l.expires === Infinity ? '2318-07-17T00:00:00Z' : new Date(l.expires).toISOString(),
      size_vram: 0, context_length: l.ctx,
    });
  }
  return sendJson(ctx, 200, { models });
}

// ---------------------------------------------------------------- host check

// Ollama's allowedHostsMiddleware, for a loopback listener.
function hostAllowed(hostHeader) {
  let host = String(hostHeader || '');
  const m = /^\[([^\]]*)\](?::\d+)?$/.exec(host);
  if (m) host = m[1];
  else if ((host.match(/:/g) || []).length === 1) host = host.slice(0, host.indexOf(':'));
  host = host.toLowerCase();
  if (host === '' || host === 'localhost' || host === os.hostname().toLowerCase()) return true;
  if (/\.(localhost|local|internal)$/.test(host)) return true;
  if (/^127\.\d+\.\d+\.\d+$/.test(host) || /^10\.\d+\.\d+\.\d+$/.test(host) || /^192\.168\.\d+\.\d+$/.test(host)) return true;
  if (/^172\.(1[6-9]|2\d|3[01])\.\d+\.\d+$/.test(host) || host === '0.0.0.0') return true;
  if (host === '::1' || host === '::' || /^f[cd][0-9a-f]{2}:/.test(host)) return true;
  return false;
}

// ---------------------------------------------------------------- routing

const ROUTES = {
  '/': { GET: 'root', HEAD: 'root' },
  '/api/version': { GET: 'version', HEAD: 'version' },
  '/api/tags': { GET: 'tags', HEAD: 'tags' },
  '/api/show': { POST: 'show' },
  '/api/ps': { GET: 'ps' },
  '/api/chat': { POST: 'chat' },
  '/api/generate': { POST: 'generate' },
  '/api/pull': { POST: 'pull' },
  '/api/create': { POST: 'create' },
  '/api/delete': { DELETE: 'delete' },
  '/api/copy': { POST: 'copy' },
};

let seq = 0;
try {
  const t = fs.readFileSync(FILES.log, 'utf8');
  seq = t.split('\n').filter((l) => l !== '').length;
} catch { /* no log yet */ }

const LOGGED_HEADERS = ['host', 'content-type', 'user-agent', 'accept'];

function logRequest(ctx, script) {
  const hdrs = {};
  if (script && script.log_all_headers) Object.assign(hdrs, ctx.req.headers);
  else for (const h of LOGGED_HEADERS) if (ctx.req.headers[h] !== undefined) hdrs[h] = ctx.req.headers[h];
  const entry = {
    seq: ++seq,
    method: ctx.req.method,
    path: ctx.path,
    query: ctx.query,
    headers: hdrs,
    body: ctx.body === undefined ? null : ctx.body,
  };
  if (ctx.isBlob) {
    entry.raw_bytes = ctx.rawBuf.length;
    entry.raw_sha256 = sha256hex(ctx.rawBuf);
  } else if (ctx.body === undefined && ctx.rawText !== '') {
    entry.raw = ctx.rawText;
  }
  entry.time = Date.now();
  fs.appendFileSync(FILES.log, JSON.stringify(entry) + '\n');
}

async function route(ctx) {
  const { req } = ctx;
  if (ctx.path.startsWith('/__control/')) return control(ctx);

  let script = null;
  let scriptErr = null;
  try { script = loadScript(); } catch (e) { scriptErr = e; }
  logRequest(ctx, script);
  if (scriptErr) {
    process.stderr.write(`test backend: bad script.json: ${scriptErr.message}\n`);
    return sendError(ctx, 500, `test backend: bad script.json: ${scriptErr.message}`);
  }
  if (script.check_host && !hostAllowed(req.headers.host)) return sendEmpty(ctx, 403);

  if (ctx.path.startsWith('/api/blobs/')) return handleBlob(ctx, decodeURIComponent(ctx.path.slice('/api/blobs/'.length)));
  const r = ROUTES[ctx.path];
  if (!r) return sendText(ctx, 404, '404 page not found');
  const what = r[req.method];
  if (!what) return sendText(ctx, 405, '405 method not allowed');
  switch (what) {
    case 'root': return sendText(ctx, 200, 'Ollama is running');
    case 'version': return sendJson(ctx, 200, { version: script.version || '0.33.0' });
    case 'tags': return sendJson(ctx, 200, { models: modelList(script).map(tagsEntry) });
    case 'show': return handleShow(ctx, script);
    case 'ps': return handlePs(ctx, script);
    case 'chat': return handleGenerate(ctx, script, 'chat');
    case 'generate': return handleGenerate(ctx, script, 'generate');
    case 'pull': return handlePull(ctx, script);
    case 'create': return handleCreate(ctx, script);
    case 'delete': return handleDelete(ctx, script);
    case 'copy': return handleCopy(ctx, script);
    default: return sendText(ctx, 404, '404 page not found');
  }
}

function control(ctx) {
  switch (ctx.path) {
    case '/__control/shutdown':
      sendText(ctx, 200, 'bye\n');
      ctx.res.on('finish', () => shutdown('shutdown requested'));
      return;
    case '/__control/reset':
      dyn.added = []; dyn.deleted = []; loaded.clear(); counters.clear();
      saveState(null);
      return sendText(ctx, 200, 'reset\n');
    case '/__control/ping':
      return sendText(ctx, 200, 'pong\n');
    default:
      return sendText(ctx, 404, '404 page not found');
  }
}

// ---------------------------------------------------------------- server

let active = 0;
let idleTimer = null;

function armIdle() {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  if (opt.idle > 0 && active === 0) idleTimer = setTimeout(() => shutdown('idle timeout'), opt.idle * 1000);
}

const server = http.createServer({ noDelay: true }, (req, res) => {
  active++;
  if (idleTimer) { clearTimeout(idleTimer); idleTimer = null; }
  const u = new URL(req.url, 'http://localhost');
  const ctx = {
    req, res, path: u.pathname, query: u.search.replace(/^\?/, ''),
    aborted: false, isBlob: u.pathname.startsWith('/api/blobs/'),
  };
  let counted = true;
  res.on('close', () => {
    if (!res.writableFinished) ctx.aborted = true;
    if (counted) { counted = false; active--; armIdle(); }
  });
  const bufs = [];
  req.on('data', (b) => bufs.push(b));
  req.on('error', () => { ctx.aborted = true; });
  req.on('end', () => {
    ctx.rawBuf = Buffer.concat(bufs);
    ctx.rawText = ctx.isBlob ? '' : ctx.rawBuf.toString('utf8');
    if (!ctx.isBlob && ctx.rawText !== '') {
      try { ctx.body = JSON.parse(ctx.rawText); } catch (e) { ctx.parseError = e.message; }
    }
    Promise.resolve().then(() => route(ctx)).catch((e) => {
      process.stderr.write(`test backend: internal error: ${e.stack || e}\n`);
      if (!res.headersSent && !ctx.aborted) sendError(ctx, 500, `test backend: internal error: ${e.message}`);
      else if (!ctx.aborted) res.destroy();
    });
  });
});

let shuttingDown = false;
function shutdown(why) {
  if (shuttingDown) return;
  shuttingDown = true;
  process.stderr.write(`test backend: exiting: ${why}\n`);
  try {
    const p = fs.readFileSync(FILES.port, 'utf8').trim();
    if (server.address() && p === String(server.address().port)) fs.unlinkSync(FILES.port);
  } catch { /* already gone */ }
  server.close();
  if (server.closeAllConnections) server.closeAllConnections();
  setTimeout(() => process.exit(0), 20).unref();
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGHUP', () => shutdown('SIGHUP'));

const parentPid = process.ppid;
setInterval(() => { if (process.ppid !== parentPid) shutdown('parent exited'); }, 1000).unref();

server.on('error', (e) => {
  process.stderr.write(`test backend: cannot listen on ${opt.host}:${opt.port}: ${e.message}\n`);
  process.exit(1);
});

server.listen(opt.port, opt.host, () => {
  const port = server.address().port;
  fs.writeFileSync(FILES.portTmp, `${port}\n`);
  fs.renameSync(FILES.portTmp, FILES.port);
  saveState(null);
  process.stderr.write(`test backend: listening on ${opt.host}:${port} (dir ${DIR})\n`);
  armIdle();
});
