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
 *        [--flavor ollama|llama-server|openai]
 *
 * --flavor llama-server (the default is ollama) speaks llama.cpp's
 * llama-server instead: GET /health, /props, /v1/models, /lora-adapters,
 * POST /lora-adapters and /v1/chat/completions (OpenAI chunks over
 * Server-Sent Events), with replies chosen by the same chat rules, which may
 * also match the adapters a request runs with ("lora"). Its shapes were
 * compared byte for byte (volatile values aside) with the real binary
 * (tests/llama/README.md); where it deviates from it:
 *  - replies are scripted; a chunk (chunk_size characters) counts as one
 *    token, plus one for the end-of-generation token when finish_reason is
 *    "stop", as the real server counts it; prompt tokens are characters / 4;
 *    times are synthetic (1 ms per prompt token, 20 ms per generated one) and
 *    cache_n is 0 unless scripted, so no prompt cache is modelled (nor the
 *    real server's reuse of a slot's cache across adapter sets when a
 *    request has no "lora" list);
 *  - every endpoint other than those above answers 404 (the real server also
 *    has /completion, /tokenize, /slots, /metrics, ...);
 *  - a body that is not JSON gets JavaScript's parse message inside
 *    nlohmann's prefix; model, system_fingerprint and the /props and
 *    /v1/models details are the tiny world's or the script's, not read from
 *    a GGUF; n_ctx defaults to 2048 (the real one reports the per-slot size:
 *    -c / -np);
 *  - the mid-stream error event and the loading 503 are taken from the
 *    source (tools/server), not observed;
 *  - --parallel is the number of slots (total_slots unless scripted).
 *
 * --flavor openai speaks the OpenAI chat API as vLLM or a cloud does (see
 * "openai flavor" below and README.md).
 *
 * Ollama flavor:
 * Node 20, node: built-ins only. Follows /work/shared/OLLAMA-API.md; where it
 * deviates from real Ollama (v0.33):
 *  - replies are scripted text, not generated; eval_count counts chunks, not
 *    tokens, and the duration metrics are synthetic but deterministic
 *    (load_duration 250 ms when the model was not loaded, else 2 ms;
 *    1 ms per prompt token; 20 ms per chunk);
 *  - "thinking" is sent only when a rule scripts it (and think is not false);
 *    think:true is refused with 400 only for models whose script entry lists
 *    capabilities without "thinking"; a model with "thinking_only": true
 *    asked with think:false spills as Ollama does (reasoning, a lone
 *    </think>, then the answer, all in content);
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
 *  - a model whose blob vanished (blob_missing, or its adapter's file
 *    deleted from DIR/blobs): chat and generate give the 404 "try pulling
 *    it first", and /api/show a 404 "not found" when the weights are gone
 *    (it reads them for model_info), both read from Ollama's source, not
 *    observed;
 *  - the weights of scripted and pulled models are never written to
 *    DIR/blobs: HEAD /api/blobs answers 200 for them unless they vanished;
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
    '[--idle-timeout SECONDS] [--parallel P] [--flavor ollama|llama-server|openai]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { dir: null, port: 0, host: '127.0.0.1', idle: 120, parallel: 4, flavor: 'ollama' };
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
      case '--flavor': o.flavor = val(); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown option '${a}'`);
    }
  }
  if (!o.dir) usage('--dir is required');
  if (!['ollama', 'llama-server', 'openai'].includes(o.flavor)) usage(`unknown flavor '${o.flavor}' (ollama, llama-server or openai)`);
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
  const arrays = { 'llama-server': ['chat', 'loras'], openai: ['chat', 'models'] }[opt.flavor] || ['models', 'pullable', 'chat'];
  for (const k of arrays) {
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
    thinking_only: !!e.thinking_only,
    context_length: Number.isInteger(e.context_length) ? e.context_length : 40960,
    from: e.from || null,
    adapter: e.adapter || null,
    base_digest: e.base_digest || null, // the weights layer, when it differs from digest
    info: identityInfo(e),
    blob_missing: !!e.blob_missing,
    created: !!e.created,
  };
}

// The model_info keys that say which weights a model is: the convenience
// fields, then a "model_info" object merged over them. general.name is
// never shown: Ollama's GetModelInfo deletes it.
function identityInfo(e) {
  const info = {};
  for (const [f, k] of [['basename', 'general.basename'],
    ['finetune', 'general.finetune'], ['size_label', 'general.size_label'],
    ['general_version', 'general.version']]) {
    if (typeof e[f] === 'string') info[k] = e[f];
  }
  if (isObj(e.model_info)) Object.assign(info, e.model_info);
  delete info['general.name'];
  return info;
}

// The digest of a model's weights layer (what FROM names in show's modelfile).
function weightsDigest(m) {
  return m.base_digest || m.digest;
}

// Weights blobs that vanished: those of models scripted with blob_missing,
// unless another model that is not created brings the same blob.
function vanishedBlobs(script) {
  const list = modelList(script);
  const gone = new Set(list.filter((m) => m.blob_missing).map(weightsDigest));
  for (const m of list) if (!m.blob_missing && !m.created) gone.delete(weightsDigest(m));
  return gone;
}

// Is blob sha256:HEX on the server? Uploaded files are; so are the weights
// of the models it holds (pulled or scripted, never written to DIR/blobs),
// unless they vanished.
function blobPresent(script, hex) {
  if (fs.existsSync(blobPath(hex))) return true;
  if (vanishedBlobs(script).has(hex)) return false;
  return modelList(script).some((m) => weightsDigest(m) === hex && (!m.created || m.from));
}

// A model one of whose blobs is gone: Ollama cannot schedule it.
function missingBlob(script, m) {
  if (m.blob_missing || !blobPresent(script, weightsDigest(m))) return true;
  return !!m.adapter && !fs.existsSync(blobPath(m.adapter.replace(/^sha256:/, '')));
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
    if (FLOAT_OPTS.includes(k) && typeof v !== 'number') return `option "${k}" must be of type float32`;
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

// match.tool: the request ends with tool results (role "tool"), one of
// which includes the string.
function toolMatches(want, body) {
  const msgs = Array.isArray(body.messages) ? body.messages.filter(isObj) : [];
  let found = false;
  for (let i = msgs.length - 1; i >= 0 && msgs[i].role === 'tool'; i--) {
    if (String(msgs[i].content ?? '').includes(String(want))) found = true;
  }
  return found;
}

// A rule's native tool calls: [{name, arguments}] (arguments an object,
// or a string sent as it is, for malformed calls).
function ruleToolCalls(rule) {
  return Array.isArray(rule.tool_calls) ? rule.tool_calls.filter(isObj) : [];
}

function argsText(c) {
  return typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {});
}

// OpenAI's tool_calls deltas: the name first, then the arguments in pieces.
function oaiToolDeltas(rule, size) {
  const out = [];
  ruleToolCalls(rule).forEach((c, i) => {
    out.push({ tool_calls: [{ index: i, id: `call_${i}`, type: 'function', function: { name: String(c.name), arguments: '' } }] });
    for (const p of splitText(argsText(c), size)) out.push({ tool_calls: [{ index: i, function: { arguments: p } }] });
  });
  return out;
}

function oaiToolMessage(rule) {
  return ruleToolCalls(rule).map((c, i) => ({ id: `call_${i}`, type: 'function', function: { name: String(c.name), arguments: argsText(c) } }));
}

function pickRule(script, kind, body, lastText) {
  const rules = script.chat || [];
  const opts = isObj(body.options) ? body.options : {};
  for (let i = 0; i < rules.length; i++) {
    const r = isObj(rules[i]) ? rules[i] : {};
    const m = isObj(r.match) ? r.match : {};
    if (m.model !== undefined && nameKey(m.model) !== nameKey(body.model)) continue;
    if (m.contains !== undefined && !lastText.includes(String(m.contains))) continue;
    if (m.tool !== undefined && !toolMatches(m.tool, body)) continue;
    if (m.path !== undefined && m.path !== `/api/${kind}`) continue;
    if (m.seed !== undefined && opts.seed !== m.seed) continue;
    if (Number.isInteger(m.every) && m.every > 0) {
      // Every Nth request the rest of the match fits (the Nth, 2Nth, ...).
      const k = `every:${i}`, c = (counters.get(k) || 0) + 1;
      counters.set(k, c);
      if (c % m.every !== 0) continue;
    }
    return { rule: r, index: i };
  }
  return { rule: {}, index: -1 };
}

function pickText(rule, index, body) {
  return pickTextSeed(rule, index, isObj(body.options) ? body.options.seed : undefined);
}

function pickTextSeed(rule, index, seed) {
  if (Array.isArray(rule.replies) && rule.replies.length > 0) {
    const n = rule.replies.length;
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
  if (missingBlob(script, m)) return sendError(ctx, 404, `model ${JSON.stringify(sent)} not found, try pulling it first`);
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
  let text = pickText(rule, index, body);

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
    // A thinking-only model asked not to think reasons anyway, and Ollama
    // puts the reasoning, a lone </think> and the answer in content.
    if (m.thinking_only && body.think === false && typeof rule.thinking === 'string' && rule.thinking !== '') {
      text = rule.thinking + '</think>\n\n' + text;
    }
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
    const whole = finalObj(kind, model, text, wantThinking ? rule.thinking : '', doneReason, metrics);
    if (kind === 'chat' && ruleToolCalls(rule).length) {
      whole.message.tool_calls = ruleToolCalls(rule).map((c) => ({ function: { name: String(c.name), arguments: c.arguments ?? {} } }));
    }
    let bodyText = encode(whole, ascii);
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
  if (kind === 'chat' && ruleToolCalls(rule).length) {
    // Ollama sends the calls whole, in a chunk of their own.
    const o = chunkObj(kind, model, '', '');
    o.message.tool_calls = ruleToolCalls(rule).map((c) => ({ function: { name: String(c.name), arguments: c.arguments ?? {} } }));
    lines.push(encode(o, ascii) + '\n');
  }
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
  if (Array.isArray(entry.pull_stream)) {
    // Scripted lines in place of the layers: no total, totals that change,
    // layers complete at first sight, an {"error"} that ends the stream.
    for (const o of entry.pull_stream) {
      if (isObj(o) && o.error !== undefined) return { error: String(o.error) };
      p.emit(o);
      await sleep(stepMs);
    }
    addModel(m);
    p.emit({ status: 'success' });
    return { model: m };
  }
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
        if (!DIGEST_RE.test(String(d))) return p.fail('invalid digest format', 400);
      }
      // As Ollama: the GGUF is opened after the first status, so a
      // missing blob is an error line after HTTP 200.
      p.emit({ status: 'parsing GGUF' });
      for (const d of Object.values(files)) {
        const err = checkBlob(d);
        if (err) return p.fail(err.msg, err.status);
      }
      for (const d of Object.values(files)) layers.push(String(d).slice(7));
    }
    let adapter = null;
    for (const d of Object.values(adapters)) {
      if (!DIGEST_RE.test(String(d))) return p.fail('invalid digest format', 400);
      p.emit({ status: 'parsing GGUF' });
      const err = checkBlob(d);
      if (err) return p.fail(err.msg, err.status);
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
      model_info: base ? base.info : {},
      created: true,
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

function handleBlob(ctx, script, digest) {
  const method = ctx.req.method;
  if (method !== 'HEAD' && method !== 'POST') return sendText(ctx, 405, '405 method not allowed');
  if (!DIGEST_RE.test(digest)) return sendError(ctx, 400, 'invalid digest format');
  const bp = blobPath(digest.slice(7));
  const exists = fs.existsSync(bp);
  if (method === 'HEAD') return sendEmpty(ctx, exists || blobPresent(script, digest.slice(7)) ? 200 : 404);
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
  // Ollama reads the weights for model_info: gone, it says not found.
  if (m.blob_missing || !blobPresent(script, weightsDigest(m))) return sendError(ctx, 404, `model '${displayName(name)}' not found`);
  const info = Object.assign({
    'general.architecture': m.architecture,
    'general.parameter_count': Math.round(parseFloat(m.parameter_size) * 1e9) || 4000000000,
    [`${m.architecture}.context_length`]: m.context_length,
  }, m.info);
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

// ---------------------------------------------------------------- llama-server flavor
//
// With --flavor llama-server the same machinery (script, requests.jsonl,
// chat rules, faults, --parallel slots) answers the way llama.cpp's
// llama-server does: /health, /props, /v1/models, /lora-adapters and
// OpenAI-style /v1/chat/completions with Server-Sent Events. Shapes follow
// tools/server/server-{context,task,common,http}.cpp of the llama.cpp release
// bundled with node-llama-cpp and what that binary was seen to send
// (tests/llama/README.md).

const LLAMA = opt.flavor === 'llama-server';
const LLAMA_BUILD_INFO = 'b0000-fake';
const LLAMA_ERR_TYPES = {
  400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error',
  404: 'not_found_error', 500: 'server_error', 501: 'not_supported_error', 503: 'unavailable_error',
};
const LLAMA_DEFAULT_ERRORS = {
  400: 'Invalid request', 404: 'File Not Found', 500: 'Compute error.', 501: 'Not supported', 503: 'Loading model',
};
const LLAMA_MIDSTREAM_ERROR = 'Context size has been exceeded.';
// The two errors llama-server's HTTP layer writes itself (key order differs
// from format_error_response's code/message/type).
const LLAMA_LOADING = { error: { message: 'Loading model', type: 'unavailable_error', code: 503 } };
const LLAMA_NOT_FOUND = { error: { message: 'File Not Found', type: 'not_found_error', code: 404 } };

// JSON as llama.cpp writes it (nlohmann ordered_json, dump without
// ensure_ascii): insertion order, '<' '>' '&' and non-ASCII left alone, and
// a double always printed with a decimal point ("1.0", not "1"). Wrap a
// number in dbl() where llama.cpp has a double.
const DBL_TAG = '\u0000dbl:';
function dbl(x) {
  const n = Number(x);
  return Number.isFinite(n) ? DBL_TAG + String(n) : null;
}

function lenc(value, asciiEscape) {
  let s = JSON.stringify(value);
  s = s.replace(/"\\u0000dbl:([^"]*)"/g, (_, n) => (/^-?\d+$/.test(n) ? `${n}.0` : n));
  if (asciiEscape) s = s.replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  return s;
}

function llamaErr(code, message, type) {
  return { code, message, type: type || LLAMA_ERR_TYPES[code] || 'server_error' };
}

function sendLlamaBody(ctx, status, text, contentType = 'application/json; charset=utf-8') {
  if (ctx.aborted) return;
  const h = { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) };
  if (status >= 400) h.Connection = 'close'; // cpp-httplib closes after an error status
  ctx.res.writeHead(status, llamaHeaders(ctx, h));
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : text);
}

const sendLlamaJson = (ctx, status, obj, ascii) => sendLlamaBody(ctx, status, lenc(obj, ascii));
const sendLlamaError = (ctx, status, message, type) => sendLlamaJson(ctx, status, { error: llamaErr(status, message, type) });

function sendLlamaParseError(ctx) {
  return sendLlamaError(ctx, 500, ctx.rawText === ''
    ? '[json.exception.parse_error.101] parse error at line 1, column 1: attempting to parse an empty input; check that your input string or stream contains the expected JSON'
    : `[json.exception.parse_error.101] parse error: ${ctx.parseError}`);
}

// The real server (cors origins "localhost") echoes a localhost Origin and
// otherwise sends the header empty.
function llamaHeaders(ctx, h) {
  const origin = String(ctx.req.headers.origin || '');
  const local = /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i.test(origin);
  return Object.assign({ Server: 'llama.cpp', 'Access-Control-Allow-Origin': local ? origin : '' }, h);
}

// ------------------------------------------------ adapters

let globalLora = null; // Map id -> scale set by POST /lora-adapters; null: the script's scales

// The script's "loras": a path string or {path, id, scale, task_name,
// prompt_prefix}; ids are positions unless given; scale defaults to 1.0 as
// with --lora FILE (--lora-init-without-apply does not change the listed or
// the applied scale: see tests/llama/README.md).
function llamaLoras(script) {
  const arr = Array.isArray(script.loras) ? script.loras : [];
  return arr.map((e, i) => {
    const o = typeof e === 'string' ? { path: e } : isObj(e) ? e : {};
    const id = Number.isInteger(o.id) ? o.id : i;
    let scale = typeof o.scale === 'number' ? o.scale : 1;
    if (globalLora) scale = globalLora.has(id) ? globalLora.get(id) : 0;
    return { id, path: String(o.path ?? ''), scale, task_name: String(o.task_name ?? ''), prompt_prefix: String(o.prompt_prefix ?? '') };
  });
}

// parse_lora_request: "id" defaults to -1 and "scale" to 0.0 when missing or
// not numbers; the last entry for an id wins.
function parseLoraRequest(arr) {
  const m = new Map();
  for (const e of arr) {
    const id = isObj(e) && typeof e.id === 'number' ? Math.trunc(e.id) : -1;
    const scale = isObj(e) && typeof e.scale === 'number' ? e.scale : 0;
    m.set(id, scale);
  }
  return m;
}

// The adapters a request runs with, as llama-server decides: a non-empty
// "lora" list sets every loaded adapter (listed ones to their scale, the rest
// to 0; unknown ids are ignored); a missing or empty one means the global
// scales (GET /lora-adapters). Returns [{id, scale}] with scale != 0.
function effectiveLora(script, body) {
  const req = Array.isArray(body.lora) ? parseLoraRequest(body.lora) : null;
  const out = [];
  for (const l of llamaLoras(script)) {
    const s = req && req.size > 0 ? (req.has(l.id) ? req.get(l.id) : 0) : l.scale;
    if (s !== 0) out.push({ id: l.id, scale: s });
  }
  return out;
}

// A rule's lora condition: a list of {id, scale (default 1)}; entries with
// scale 0 are dropped; it matches when the effective set is the same.
function loraMatches(cond, eff) {
  if (!Array.isArray(cond)) return false;
  const want = cond.filter(isObj).map((c) => ({ id: c.id, scale: typeof c.scale === 'number' ? c.scale : 1 })).filter((c) => c.scale !== 0);
  if (want.length !== eff.length) return false;
  return want.every((w) => eff.some((e) => e.id === w.id && Math.abs(e.scale - w.scale) < 1e-6));
}

// ------------------------------------------------ routing

function llamaModelPath(script) {
  return typeof script.model_path === 'string' && script.model_path !== '' ? script.model_path : 'base.gguf';
}

// meta.model_name: the alias when given, else the model file's name.
function llamaModelName(script) {
  if (typeof script.model_alias === 'string' && script.model_alias !== '') return script.model_alias;
  return path.basename(llamaModelPath(script));
}

function llamaNCtx(script) {
  return Number.isInteger(script.n_ctx) ? script.n_ctx : 2048;
}

const TINY_TEMPLATE = "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}S: {{ m['content'] }}\n"
  + "{% elif m['role'] == 'user' %}Q: {{ m['content'] }}\n{% else %}A: {{ m['content'] }}{{ eos_token }}\n{% endif %}"
  + '{% endfor %}{% if add_generation_prompt %}A: {% endif %}';

// The sampling defaults GET /props shows (as the real binary printed them).
function llamaDefaultParams() {
  return {
    seed: 4294967295, temperature: dbl(0.800000011920929), dynatemp_range: dbl(0.0), dynatemp_exponent: dbl(1.0), top_k: 40,
    top_p: dbl(0.949999988079071), min_p: dbl(0.05000000074505806), top_n_sigma: dbl(-1.0), xtc_probability: dbl(0.0),
    xtc_threshold: dbl(0.10000000149011612), typical_p: dbl(1.0), repeat_last_n: 64, repeat_penalty: dbl(1.0),
    presence_penalty: dbl(0.0), frequency_penalty: dbl(0.0), dry_multiplier: dbl(0.0), dry_base: dbl(1.75),
    dry_allowed_length: 2, dry_penalty_last_n: 64, mirostat: 0, mirostat_tau: dbl(5.0), mirostat_eta: dbl(0.10000000149011612),
    adaptive_target: dbl(-1.0), adaptive_decay: dbl(0.8999999761581421), max_tokens: -1, n_predict: -1, n_keep: 0,
    n_discard: 0, ignore_eos: false, stream: false, n_probs: 0, min_keep: 0, chat_format: 'Content-only',
    reasoning_format: 'none', reasoning_in_content: false, generation_prompt: '',
    samplers: ['penalties', 'dry', 'top_n_sigma', 'top_k', 'typ_p', 'top_p', 'min_p', 'xtc', 'temperature'],
    'speculative.types': 'none', timings_per_token: false, post_sampling_probs: false, backend_sampling: false, lora: [],
  };
}

function llamaBuildInfo(script) {
  return typeof script.build_info === 'string' ? script.build_info : LLAMA_BUILD_INFO;
}

function llamaProps(script) {
  return {
    default_generation_settings: { params: llamaDefaultParams(), n_ctx: llamaNCtx(script) },
    total_slots: Number.isInteger(script.slots) ? script.slots : opt.parallel,
    model_alias: llamaModelName(script),
    model_ftype: 'all F32',
    model_path: llamaModelPath(script),
    modalities: { vision: false, video: false, audio: false },
    media_marker: '<__media_0000000000000000000000000000fake__>',
    endpoint_slots: true,
    endpoint_props: false,
    endpoint_metrics: false,
    ui: true,
    ui_settings: {},
    chat_template: typeof script.chat_template === 'string' ? script.chat_template : TINY_TEMPLATE,
    chat_template_caps: {
      supports_object_arguments: false, supports_parallel_tool_calls: false, supports_preserve_reasoning: false,
      supports_reasoning_effort: false, supports_string_content: true, supports_system_role: true,
      supports_tool_calls: false, supports_tools: false, supports_typed_content: false,
    },
    bos_token: '<s>',
    eos_token: '</s>',
    build_info: llamaBuildInfo(script),
    is_sleeping: false,
    cors_proxy_enabled: false,
  };
}

// The numbers in "meta" are the tiny world's base model's.
function llamaModels(script) {
  const name = llamaModelName(script);
  const nCtx = llamaNCtx(script);
  return {
    models: [{
      name, model: name, modified_at: '', size: '', digest: '', type: 'model', description: '', tags: [''],
      capabilities: ['completion'], parameters: '',
      details: { parent_model: '', format: 'gguf', family: '', families: [''], parameter_size: '', quantization_level: '' },
    }],
    object: 'list',
    data: [{
      id: name, aliases: [name], tags: [], object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'llamacpp',
      meta: { vocab_type: true, n_vocab: 354, n_ctx: nCtx, n_ctx_train: 512, n_embd: 128, n_params: 747136, size: 2988544, ftype: 'all F32' },
    }],
  };
}

const LLAMA_ROUTES = {
  '/health': { GET: 'health' },
  '/v1/health': { GET: 'health' },
  '/props': { GET: 'props' },
  '/models': { GET: 'models' },
  '/v1/models': { GET: 'models' },
  '/lora-adapters': { GET: 'lora_get', POST: 'lora_post' },
  '/chat/completions': { POST: 'chat' },
  '/v1/chat/completions': { POST: 'chat' },
};

function llamaLoading(script) {
  if (script.loading === true) return true;
  const n = Number.isInteger(script.loading_requests) ? script.loading_requests : 0;
  if (n <= 0) return false;
  const c = counters.get('loading') || 0;
  counters.set('loading', c + 1);
  return c < n;
}

async function routeLlama(ctx, script) {
  const { req } = ctx;
  if (llamaLoading(script)) return sendLlamaJson(ctx, 503, LLAMA_LOADING);
  const r = LLAMA_ROUTES[ctx.path];
  // cpp-httplib answers 404 for an unknown path and for a known path with
  // another method; HEAD is served by the GET handler.
  const what = r && (r[req.method] || (req.method === 'HEAD' ? r.GET : undefined));
  if (!what) return sendLlamaJson(ctx, 404, LLAMA_NOT_FOUND);
  switch (what) {
    case 'health': return sendLlamaJson(ctx, 200, { status: 'ok' });
    case 'props': return sendLlamaJson(ctx, 200, llamaProps(script));
    case 'models': return sendLlamaJson(ctx, 200, llamaModels(script));
    case 'lora_get':
      return sendLlamaJson(ctx, 200, llamaLoras(script).map((l) => ({
        id: l.id, path: l.path, scale: dbl(l.scale), task_name: l.task_name, prompt_prefix: l.prompt_prefix,
      })));
    case 'lora_post': {
      if (ctx.body === undefined) return sendLlamaParseError(ctx);
      if (!Array.isArray(ctx.body)) return sendLlamaError(ctx, 400, 'Request body must be an array');
      const m = parseLoraRequest(ctx.body);
      globalLora = new Map();
      for (const l of llamaLoras(script)) if (m.has(l.id)) globalLora.set(l.id, m.get(l.id));
      return sendLlamaJson(ctx, 200, { success: true });
    }
    case 'chat': return handleLlamaChat(ctx, script);
    default: return sendLlamaJson(ctx, 404, LLAMA_NOT_FOUND);
  }
}

// ------------------------------------------------ chat completions

// The chat rule for a /v1 request (llama-server and openai flavors); eff:
// the adapters it runs with (llama-server), or null.
function pickRuleV1(script, ctx, body, lastText, eff) {
  const rules = script.chat || [];
  for (let i = 0; i < rules.length; i++) {
    const r = isObj(rules[i]) ? rules[i] : {};
    const m = isObj(r.match) ? r.match : {};
    if (m.model !== undefined && String(m.model) !== String(body.model ?? '')) continue;
    if (m.contains !== undefined && !lastText.includes(String(m.contains))) continue;
    if (m.tool !== undefined && !toolMatches(m.tool, body)) continue;
    if (m.path !== undefined && m.path !== ctx.path) continue;
    if (m.seed !== undefined && body.seed !== m.seed) continue;
    const lc = m.lora !== undefined ? m.lora : r.lora;
    if (lc !== undefined && !(eff && loraMatches(lc, eff))) continue;
    if (Number.isInteger(m.first)) {
      // Only the first N requests the rest of the match fits.
      const k = `first:${i}`, c = (counters.get(k) || 0) + 1;
      counters.set(k, c);
      if (c > m.first) continue;
    }
    return { rule: r, index: i };
  }
  return { rule: {}, index: -1 };
}

const ID_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function llamaCmplId() {
  const b = crypto.randomBytes(32);
  let s = 'chatcmpl-';
  for (const x of b) s += ID_CHARS[x % ID_CHARS.length];
  return s;
}

// server_slot_stats::to_json, with synthetic but deterministic times:
// 1 ms per prompt token processed, 20 ms per generated token. prompt_n is
// the prompt's tokens minus those reused from the cache (cache_n, 0 unless
// the rule's "timings" says otherwise).
function llamaTimings(rule, promptTotal, predictedN) {
  const over = isObj(rule.timings) ? rule.timings : {};
  const cacheN = Number.isInteger(over.cache_n) ? over.cache_n : 0;
  const promptN = Math.max(0, promptTotal - cacheN);
  const promptMs = promptN * 1;
  const predMs = predictedN * 20;
  const t = {
    cache_n: cacheN,
    prompt_n: promptN,
    prompt_ms: promptMs,
    prompt_per_token_ms: promptN > 0 ? promptMs / promptN : 0,
    prompt_per_second: promptMs > 0 ? 1e3 / promptMs * promptN : 0,
    predicted_n: predictedN,
    predicted_ms: predMs,
    predicted_per_token_ms: predictedN > 0 ? predMs / predictedN : 0,
    predicted_per_second: predMs > 0 ? 1e3 / predMs * predictedN : 0,
  };
  Object.assign(t, over);
  for (const k of Object.keys(t)) if (k.endsWith('_ms') || k.endsWith('_per_second')) t[k] = dbl(t[k]);
  return t;
}

function llamaUsage(promptN, predictedN, cacheN) {
  return {
    completion_tokens: predictedN,
    prompt_tokens: promptN,
    total_tokens: predictedN + promptN,
    prompt_tokens_details: { cached_tokens: cacheN },
  };
}

async function handleLlamaChat(ctx, script) {
  const body = ctx.body;
  if (body === undefined) {
    // json::parse throws a parse_error: a 500 (ex_wrapper) with nlohmann's
    // text; for a body that is not JSON the position and detail are
    // JavaScript's, not nlohmann's.
    return sendLlamaParseError(ctx);
  }
  if (!isObj(body)) return sendLlamaError(ctx, 500, 'test backend: request body is not a JSON object');
  if (!('messages' in body)) return sendLlamaError(ctx, 400, "'messages' is required");
  if (!Array.isArray(body.messages)) return sendLlamaError(ctx, 400, "Expected 'messages' to be an array");
  if (body.lora !== undefined && body.lora !== null && !Array.isArray(body.lora)) {
    return sendLlamaError(ctx, 400, "Field 'lora': Error: 'lora' must be an array of objects with 'id' and 'scale' fields");
  }
  const msgs = body.messages.filter(isObj);
  let promptLen = 0;
  for (const x of msgs) promptLen += typeof x.content === 'string' ? x.content.length : 0;
  const users = msgs.filter((x) => x.role === 'user');
  const last = users.length ? users[users.length - 1] : msgs[msgs.length - 1];
  const lastText = last && typeof last.content === 'string' ? last.content : '';

  const eff = effectiveLora(script, body);
  const { rule, index } = pickRuleV1(script, ctx, body, lastText, eff);
  const text = pickTextSeed(rule, index, body.seed);
  const promptTotal = promptLen > 0 ? Math.max(1, Math.round(promptLen / 4)) : 1;

  await acquireSlot();
  try {
    if (ctx.aborted) return;
    if (Number(rule.delay_ms) > 0) await sleep(Number(rule.delay_ms));
    if (Number(rule.first_byte_delay_ms) > 0) await sleep(Number(rule.first_byte_delay_ms));
    if (ctx.aborted) return;
    if (rule.fault === 'loading') return sendLlamaJson(ctx, 503, LLAMA_LOADING);
    if (rule.status !== undefined && rule.status !== 200) {
      const st = Number(rule.status);
      const msg = rule.error !== undefined ? String(rule.error) : (LLAMA_DEFAULT_ERRORS[st] || LLAMA_DEFAULT_ERRORS[500]);
      return sendLlamaError(ctx, st, msg, rule.error_type);
    }
    const nCtx = llamaNCtx(script);
    if (rule.fault === 'exceed_context' || promptTotal > nCtx) {
      const n = Math.max(promptTotal, rule.fault === 'exceed_context' ? nCtx + 1 : 0);
      return sendLlamaJson(ctx, 400, { error: {
        code: 400, message: `request (${n} tokens) exceeds the available context size (${nCtx} tokens), try increasing it`,
        type: 'exceed_context_size_error', n_prompt_tokens: n, n_ctx: nCtx } });
    }
    await llamaReply(ctx, script, rule, body, text, promptTotal);
  } finally {
    releaseSlot();
  }
}

const LLAMA_FAULTS = [null, 'exceed_context', 'truncate', 'gone', 'reset', 'no_done', 'error_event', 'malformed', 'huge_line', 'split_bytes'];

async function llamaReply(ctx, script, rule, body, text, promptTotal) {
  const fault = rule.fault || null;
  if (!LLAMA_FAULTS.includes(fault)) return sendLlamaError(ctx, 500, `test backend: unknown fault '${fault}'`);
  const size = Number.isInteger(rule.chunk_size) && rule.chunk_size > 0 ? rule.chunk_size : 4;
  const ascii = !!rule.ascii_escape;
  const res = ctx.res;
  let pieces;
  if (fault === 'huge_line') {
    const n = Number.isInteger(rule.huge_bytes) ? rule.huge_bytes : 2 * 1024 * 1024;
    const unit = text === '' ? 'x' : text;
    pieces = [unit.repeat(Math.ceil(n / unit.length)).slice(0, n)];
  } else {
    pieces = splitText(text, size);
  }
  let thinkPieces = typeof rule.thinking === 'string' && rule.thinking !== '' ? splitText(rule.thinking, size) : [];
  let finish = rule.finish_reason !== undefined ? String(rule.finish_reason) : 'stop';
  // n_predict (aliases max_tokens, max_completion_tokens) caps the pieces.
  const np = [body.n_predict, body.max_completion_tokens, body.max_tokens].find((v) => Number.isInteger(v));
  if (np !== undefined && np >= 0 && thinkPieces.length + pieces.length > np) {
    thinkPieces = thinkPieces.slice(0, np);
    pieces = pieces.slice(0, Math.max(0, np - thinkPieces.length));
    finish = 'length';
  }
  // The end-of-generation token that stops a reply counts as generated
  // (predicted_n and completion_tokens are one more than the deltas).
  const predictedN = thinkPieces.length + pieces.length + (finish === 'stop' ? 1 : 0);
  const timings = llamaTimings(rule, promptTotal, predictedN);
  const usage = llamaUsage(timings.prompt_n + timings.cache_n, timings.predicted_n, timings.cache_n);
  const model = llamaModelName(script);
  const fp = llamaBuildInfo(script);
  const id = llamaCmplId();
  const created = Math.floor(Date.now() / 1000);
  const delay = Number(rule.chunk_delay_ms) > 0 ? Number(rule.chunk_delay_ms) : 0;
  const errObj = { error: llamaErr(Number.isInteger(rule.error_code) ? rule.error_code : 500,
    rule.error !== undefined ? String(rule.error) : LLAMA_MIDSTREAM_ERROR, rule.error_type) };

  if (body.stream !== true) {
    const n = thinkPieces.length + pieces.length;
    if (delay && n > 1) await sleep(delay * (n - 1));
    if (ctx.aborted) return;
    if (fault === 'error_event') return sendLlamaJson(ctx, errObj.error.code, errObj);
    const message = { role: 'assistant', content: pieces.join('') };
    if (thinkPieces.length) message.reasoning_content = thinkPieces.join('');
    if (ruleToolCalls(rule).length) { message.tool_calls = oaiToolMessage(rule); finish = 'tool_calls'; }
    const obj = {
      choices: [{ finish_reason: finish, index: 0, message }],
      created, model, system_fingerprint: fp, object: 'chat.completion', usage, id, timings,
    };
    let bodyText = lenc(obj, ascii);
    if (fault === 'malformed') bodyText = bodyText.slice(0, Math.max(1, bodyText.length - 3));
    const full = Buffer.from(bodyText);
    res.writeHead(200, llamaHeaders(ctx, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': full.length }));
    if (fault === 'gone' || fault === 'reset') { res.flushHeaders(); await sleep(50); return hardClose(ctx, rule); }
    if (fault === 'truncate') {
      res.write(full.subarray(0, full.length >> 1));
      await sleep(50);
      return hardClose(ctx, { reset_mode: 'fin' });
    }
    if (fault === 'split_bytes') { await writeSplit(ctx, full, rule); if (!ctx.aborted) res.end(); return; }
    res.end(full);
    return;
  }

  // Streamed: one SSE event per piece, the first preceded by the role delta
  // in the same write, then the finish_reason chunk (with timings), the usage
  // chunk when stream_options.include_usage, and "data: [DONE]".
  const perToken = body.timings_per_token === true;
  const includeUsage = isObj(body.stream_options) && body.stream_options.include_usage === true;
  const ev = (o) => `data: ${lenc(o, ascii)}\n\n`;
  const chunk = (delta, finishReason) => ({
    choices: [{ finish_reason: finishReason, index: 0, delta }],
    created, id, model, system_fingerprint: fp, object: 'chat.completion.chunk',
  });
  let nDone = 0;
  const partial = (delta) => {
    const o = chunk(delta, null);
    nDone++;
    if (perToken) o.timings = llamaTimings(rule, promptTotal, nDone);
    return o;
  };
  const events = []; // strings; events[0] holds the role delta and the first piece
  const deltas = thinkPieces.map((p) => ({ reasoning_content: p })).concat(pieces.map((p) => ({ content: p })), oaiToolDeltas(rule, size));
  if (ruleToolCalls(rule).length && finish === 'stop') finish = 'tool_calls';
  for (let i = 0; i < deltas.length; i++) {
    let e = ev(partial(deltas[i]));
    if (i === 0) e = ev(chunk({ role: 'assistant', content: null }, null)) + e;
    events.push(e);
  }
  if (deltas.length === 0) events.push(ev(chunk({ role: 'assistant', content: null }, null)));
  const fin = chunk({}, finish);
  let tail;
  if (includeUsage) {
    const u = { choices: [], created, id, model, system_fingerprint: fp, object: 'chat.completion.chunk', usage, timings };
    tail = ev(fin) + ev(u);
  } else {
    fin.timings = timings;
    tail = ev(fin);
  }
  const done = 'data: [DONE]\n\n';
  const some = Math.max(1, events.length >> 1);
  let out;
  let after = null;
  switch (fault) {
    case 'truncate': out = events.slice(0, some); break;
    case 'gone': case 'reset': out = events.slice(0, some); after = 'close'; break;
    case 'no_done': out = events.concat([tail]); break;
    case 'error_event': out = events.slice(0, some).concat([ev(errObj)]); break;
    case 'malformed':
      out = events.slice(0, some).concat(['data: {"choices":[{"finish_reason":null,"index":0,"delta":{"content":"oops"\n\n'],
        events.slice(some), [tail, done]);
      break;
    default: out = events.concat([tail, done]); break;
  }
  if (rule.sse_ping) out = out.flatMap((e, i) => (i > 0 ? [':\n\n', e] : [e]));

  res.writeHead(200, llamaHeaders(ctx, { 'X-Accel-Buffering': 'no', 'Content-Type': 'text/event-stream' }));
  res.flushHeaders();
  for (let i = 0; i < out.length; i++) {
    if (ctx.aborted) return;
    if (i > 0 && delay) await sleep(delay);
    if (ctx.aborted) return;
    if (fault === 'split_bytes') await writeSplit(ctx, Buffer.from(out[i]), rule);
    else res.write(out[i]);
  }
  if (ctx.aborted) return;
  if (after === 'close') { await sleep(50); return hardClose(ctx, rule); }
  res.end();
}

// ---------------------------------------------------------------- openai flavor
//
// With --flavor openai the same machinery (script, requests.jsonl, chat
// rules, --parallel) answers as a server of the OpenAI chat API: GET
// /v1/models, POST /v1/chat/completions (Server-Sent Events ending with
// "data: [DONE]", or one JSON document) and, for vLLM, POST
// /v1/load_lora_adapter. The script's "openai" says which server: "vllm"
// (the default: FastAPI's errors, LoRA modules listed with their parent)
// or "cloud" (OpenAI's error objects, reasoning_content). Shapes follow
// vLLM's and OpenAI's documentation, not a recording: ids, times and
// token counts are synthetic (a chunk is a token; prompt tokens are
// characters / 4).

const OPENAI = opt.flavor === 'openai';

function oaiCloud(script) { return script.openai === 'cloud'; }

// An error body as each kind of server writes it.
function oaiError(ctx, script, status, message, type, extraHeaders) {
  const body = oaiCloud(script)
    ? { error: { message, type: type || 'invalid_request_error', param: null, code: null } }
    : { object: 'error', message, type: type || 'BadRequestError', param: null, code: status };
  const text = JSON.stringify(body);
  if (ctx.aborted) return;
  ctx.res.writeHead(status, Object.assign({ 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }, extraHeaders || {}));
  ctx.res.end(text);
}

function oaiSend(ctx, status, obj, contentType = 'application/json') {
  if (ctx.aborted) return;
  const text = typeof obj === 'string' ? obj : JSON.stringify(obj);
  ctx.res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  ctx.res.end(text);
}

// The served models: script "models" (a name, or {id, parent, root}) plus
// the LoRAs loaded at run time; a vLLM base is its own root.
const oaiLoaded = [];
function oaiModels(script) {
  const list = (Array.isArray(script.models) ? script.models : []).map((e) => (typeof e === 'string' ? { id: e } : isObj(e) ? e : {}));
  return list.concat(oaiLoaded).filter((m) => typeof m.id === 'string').map((m) => (oaiCloud(script)
    ? { id: m.id, object: 'model', created: 1700000000, owned_by: 'system' }
    : { id: m.id, object: 'model', created: 1700000000, owned_by: 'vllm', root: m.root || m.id, parent: m.parent || null, max_model_len: 4096 }));
}

// "ok", "wrong" or "none": the Authorization header against script.api_key.
function oaiAuth(ctx, script) {
  const h = String(ctx.req.headers.authorization || '');
  if (h === '') return 'none';
  return typeof script.api_key === 'string' && h === `Bearer ${script.api_key}` ? 'ok' : 'wrong';
}

function oaiRefuse(ctx, script, auth) {
  const sent = String(ctx.req.headers.authorization || '').replace(/^Bearer /, '');
  // A cloud echoes a masked key; script.echo_key echoes it whole.
  const shown = script.echo_key ? sent : sent.length > 8 ? `${sent.slice(0, 3)}***${sent.slice(-4)}` : '***';
  if (oaiCloud(script)) {
    return oaiError(ctx, script, 401, auth === 'none' ? "You didn't provide an API key."
      : `Incorrect API key provided: ${shown}.`, 'invalid_request_error');
  }
  return oaiSend(ctx, 401, { error: script.echo_key ? `Unauthorized: ${shown}` : 'Unauthorized' });
}

async function routeOpenai(ctx, script) {
  const { req } = ctx;
  const auth = oaiAuth(ctx, script);
  if (typeof script.api_key === 'string' && auth !== 'ok') return oaiRefuse(ctx, script, auth);
  const key = `${req.method} ${ctx.path}`;
  if (key === 'GET /v1/models') return oaiSend(ctx, 200, { object: 'list', data: oaiModels(script) });
  if (key === 'GET /version' && !oaiCloud(script)) return oaiSend(ctx, 200, { version: '0.0.0-fake' });
  if (key === 'POST /v1/chat/completions') return handleOpenaiChat(ctx, script);
  if (key === 'POST /v1/load_lora_adapter' && script.runtime_lora === true && !oaiCloud(script)) {
    const b = isObj(ctx.body) ? ctx.body : {};
    if (typeof b.lora_name !== 'string' || typeof b.lora_path !== 'string') return oaiError(ctx, script, 400, 'lora_name and lora_path are required');
    if (oaiModels(script).some((m) => m.id === b.lora_name)) {
      return oaiError(ctx, script, 400, `The lora adapter '${b.lora_name}' has already been loaded.`);
    }
    const base = oaiModels(script).find((m) => !m.parent);
    oaiLoaded.push({ id: b.lora_name, root: b.lora_path, parent: base ? base.id : null });
    return oaiSend(ctx, 200, `Success: LoRA adapter '${b.lora_name}' added successfully.`, 'text/plain; charset=utf-8');
  }
  if (oaiCloud(script)) return oaiError(ctx, script, 404, `Invalid URL (${req.method} ${ctx.path})`);
  return oaiSend(ctx, 404, { detail: 'Not Found' });
}

async function handleOpenaiChat(ctx, script) {
  const body = ctx.body;
  if (!isObj(body)) return oaiError(ctx, script, 400, 'request body is not a JSON object');
  if (!Array.isArray(body.messages)) return oaiError(ctx, script, 400, "'messages' is a required property");
  const model = String(body.model ?? '');
  if (!oaiModels(script).some((m) => m.id === model)) {
    return oaiCloud(script)
      ? oaiError(ctx, script, 404, `The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error')
      : oaiError(ctx, script, 404, `The model \`${model}\` does not exist.`, 'NotFoundError');
  }
  const msgs = body.messages.filter(isObj);
  const users = msgs.filter((x) => x.role === 'user');
  const last = users.length ? users[users.length - 1] : msgs[msgs.length - 1];
  const lastText = last && typeof last.content === 'string' ? last.content : '';
  const promptChars = msgs.reduce((n, x) => n + (typeof x.content === 'string' ? x.content.length : 0), 0);
  const { rule, index } = pickRuleV1(script, ctx, body, lastText, null);
  const text = pickTextSeed(rule, index, body.seed);

  await acquireSlot();
  try {
    if (Number(rule.delay_ms) > 0) await sleep(Number(rule.delay_ms));
    if (ctx.aborted) return;
    if (rule.status !== undefined && rule.status !== 200) {
      const st = Number(rule.status);
      const h = rule.retry_after !== undefined ? { 'Retry-After': String(rule.retry_after) } : {};
      return oaiError(ctx, script, st, rule.error !== undefined ? String(rule.error) : `HTTP ${st}`, rule.error_type, h);
    }
    await openaiReply(ctx, script, rule, body, text, Math.max(1, Math.round(promptChars / 4)));
  } finally {
    releaseSlot();
  }
}

const OPENAI_FAULTS = [null, 'truncate', 'reset', 'error_event', 'html', 'other_json', 'pretty'];

async function openaiReply(ctx, script, rule, body, text, promptTokens) {
  const fault = rule.fault || null;
  if (!OPENAI_FAULTS.includes(fault)) return oaiError(ctx, script, 500, `test backend: unknown fault '${fault}'`);
  if (fault === 'html') return oaiSend(ctx, 200, '<!DOCTYPE html>\n<html><body>Welcome to nginx!</body></html>\n', 'text/html');
  if (fault === 'other_json') return oaiSend(ctx, 200, { status: 'ok', result: text });
  const size = Number.isInteger(rule.chunk_size) && rule.chunk_size > 0 ? rule.chunk_size : 4;
  let pieces = splitText(text, size);
  let thinkPieces = typeof rule.thinking === 'string' && rule.thinking !== '' ? splitText(rule.thinking, size) : [];
  let finish = 'stop';
  const cap = [body.max_completion_tokens, body.max_tokens].find((v) => Number.isInteger(v));
  if (cap !== undefined && thinkPieces.length + pieces.length > cap) {
    thinkPieces = thinkPieces.slice(0, cap);
    pieces = pieces.slice(0, Math.max(0, cap - thinkPieces.length));
    finish = 'length';
  }
  const usage = { prompt_tokens: promptTokens, completion_tokens: thinkPieces.length + pieces.length,
    total_tokens: promptTokens + thinkPieces.length + pieces.length };
  const head = { id: 'chatcmpl-fake', created: Math.floor(Date.now() / 1000), model: String(body.model) };
  // no_stream: a server that answers whole whatever it was asked.
  if (body.stream !== true || rule.no_stream) {
    const message = { role: 'assistant', content: pieces.join('') };
    if (thinkPieces.length) message.reasoning_content = thinkPieces.join('');
    if (ruleToolCalls(rule).length) { message.tool_calls = oaiToolMessage(rule); finish = 'tool_calls'; }
    const obj = Object.assign({ object: 'chat.completion' }, head, { choices: [{ index: 0, message, finish_reason: finish }], usage });
    return oaiSend(ctx, 200, fault === 'pretty' ? JSON.stringify(obj, null, 2) + '\n' : obj);
  }
  const ev = (choices, extra) => `data: ${JSON.stringify(Object.assign({ object: 'chat.completion.chunk' }, head, { choices }, extra || {}))}\n\n`;
  const events = [ev([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }])];
  for (const p of thinkPieces) events.push(ev([{ index: 0, delta: { reasoning_content: p }, finish_reason: null }]));
  for (const p of pieces) events.push(ev([{ index: 0, delta: { content: p }, finish_reason: null }]));
  for (const d of oaiToolDeltas(rule, size)) events.push(ev([{ index: 0, delta: d, finish_reason: null }]));
  if (ruleToolCalls(rule).length && finish === 'stop') finish = 'tool_calls';
  const some = Math.max(1, events.length >> 1);
  let out = events.concat([ev([{ index: 0, delta: {}, finish_reason: finish }])]);
  if (isObj(body.stream_options) && body.stream_options.include_usage === true) out.push(ev([], { usage }));
  out.push('data: [DONE]\n\n');
  if (fault === 'truncate' || fault === 'reset') out = events.slice(0, some);
  if (fault === 'error_event') {
    out = events.slice(0, some).concat([`data: ${JSON.stringify({ error: { message: rule.error || 'upstream error', type: 'server_error', code: 500 } })}\n\n`]);
  }
  ctx.res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' });
  ctx.res.flushHeaders();
  const delay = Number(rule.chunk_delay_ms) > 0 ? Number(rule.chunk_delay_ms) : 0;
  for (let i = 0; i < out.length; i++) {
    if (ctx.aborted) return;
    if (i > 0 && delay) await sleep(delay);
    ctx.res.write(out[i]);
  }
  if (fault === 'reset') { await sleep(50); return hardClose(ctx, rule); }
  if (!ctx.aborted) ctx.res.end();
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
  // The openai flavor says how the key compared, never what it was.
  if (OPENAI && script) entry.auth = oaiAuth(ctx, script);
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
    if (LLAMA) return sendLlamaError(ctx, 500, `test backend: bad script.json: ${scriptErr.message}`);
    return sendError(ctx, 500, `test backend: bad script.json: ${scriptErr.message}`);
  }
  if (LLAMA) return routeLlama(ctx, script);
  if (OPENAI) return routeOpenai(ctx, script);
  if (script.check_host && !hostAllowed(req.headers.host)) return sendEmpty(ctx, 403);

  if (ctx.path.startsWith('/api/blobs/')) return handleBlob(ctx, script, decodeURIComponent(ctx.path.slice('/api/blobs/'.length)));
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
      globalLora = null;
      oaiLoaded.length = 0;
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
