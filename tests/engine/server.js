#!/usr/bin/env node
'use strict';
/*
 * loco real test engine: an Ollama-compatible server that really runs GGUF
 * models on CPU through node-llama-cpp (pinned; prebuilt llama.cpp binaries,
 * nothing is built or downloaded). It is the "real" sibling of the scripted
 * tests/backend/server.js: same DIR/port file, DIR/requests.jsonl log,
 * /__control/ endpoints and shutdown rules, so tests/backend/start.sh works
 * with BACKEND_JS pointing here (or use tests/engine/start.sh).
 *
 *   node tests/engine/server.js --dir DIR --models MODELDIR [--port N]
 *        [--host 127.0.0.1] [--idle-timeout S] [--parallel N]
 *        [--max-loaded N] [--max-queue N] [--threads N] [--num-ctx N]
 *        [--version V] [--refuse-adapters] [--thinking-only NAME[,NAME...]]
 *
 * MODELDIR holds GGUF files (adapters/tiny): "pull NAME" fetches
 * MODELDIR/NAME.gguf, or MODELDIR/X.gguf for NAME "tiny-X" (models only,
 * general.type "model", any tag). Adapter GGUFs in MODELDIR are the ids
 * listed by GET /lora-adapters for the llama-server style endpoint.
 *
 * What is real: tokenization, generation (greedy at temperature 0, seeded
 * sampling otherwise), token counts, nanosecond timings, model loading.
 * Like Ollama (read from its Go sources, v0.33.0-rc2; see
 * /work/shared/OLLAMA-API.md):
 *  - runners are keyed by the base GGUF: one per base, so a model with
 *    another adapter or num_ctx waits for the running requests, unloads it
 *    and reloads base + LoRA (load_duration shows it); --max-loaded bases
 *    resident (OLLAMA_MAX_LOADED_MODELS, 1); --parallel sequences per runner
 *    (OLLAMA_NUM_PARALLEL, 1); the rest queue FIFO and get no byte, not even
 *    headers, until they run; beyond --max-queue waiting requests, 503;
 *  - keep_alive expiry/0 unloads; an empty prompt loads (done_reason load);
 *  - options are type-checked when a runner is scheduled, the model's stored
 *    parameters first (create stores them unchecked), with Ollama's texts:
 *    500 'option "temperature" must be of type float32';
 *  - create: files/adapters typed by name or magic, each GGUF parsed after
 *    a streamed "parsing GGUF", so a missing or broken blob fails after the
 *    200 status; an adapter whose general.architecture differs from the
 *    base's is accepted and fails at the first generate with HTTP 500;
 *  - a blob gone from DIR/blobs when its runner is to be loaded: 404
 *    'model "NAME" not found, try pulling it first' (a loaded runner keeps
 *    serving); tags still list the model; show needs the base GGUF (404
 *    'model 'NAME:tag' not found' without it), not the adapter;
 *  - show's model_info is every GGUF key but general.name and
 *    tokenizer.chat_template (arrays over 5 elements empty, keys sorted);
 *    details.quantization_level is Ollama's name for general.file_type, and
 *    "unknown" for 0 (F32), as KV.FileType() reads 0 as unset;
 *  - thinking: models whose base weights are those of a --thinking-only
 *    name list the "thinking" capability; think omitted means on; on, the
 *    reasoning streams in message.thinking (generate: thinking) before the
 *    answer; think:false spills reasoning + "</think>\n\n" + answer into
 *    content with no opening tag; think:true elsewhere: 400 '"NAME" does not
 *    support thinking'; num_predict counts reasoning and answer together;
 *  - --version V is what /api/version says; --refuse-adapters (implied by a
 *    version from 0.34.1) refuses a create with adapters (below).
 *
 * Differences from Ollama:
 *  - prompts use one fixed format, whatever the model's TEMPLATE says:
 *      [S: {system}\n]Q: {user}\nA: {assistant}</s>\n[T: {tool result}\n] ... A:
 *    (BOS first; system = the request's system message, else the model's
 *    SYSTEM); generate with raw:true sends the prompt as is (after BOS);
 *  - repeat_penalty is applied only when a request or model sets it (1.0,
 *    Ollama's current default, is none); top_k 40 / top_p 0.9 defaults
 *    apply when sampling; temperature defaults to 0.8 as in Ollama;
 *  - thinking is emulated, the tiny models cannot think: the reasoning is a
 *    separate generation by the same weights (the prompt with the last user
 *    message prefixed by "Think step by step: ", end token banned,
 *    sampled as the request says, 32 tokens or what num_predict leaves),
 *    then the answer is generated from the request's own prompt, so it is
 *    the same answer as without thinking; the counts and durations add up
 *    both generations, prompt_eval_count both prompts; stop strings apply to
 *    the answer only; raw:true gets no reasoning;
 *  - which models think is a command-line choice, not their template;
 *  - no context shift: generation stops with done_reason "length" when the
 *    context (num_ctx) is full, where Ollama shifts it and goes on up to
 *    10 x num_ctx tokens; a prompt longer than num_ctx keeps its first
 *    token and its last num_ctx - 2 (Ollama drops whole old messages
 *    first), or with "truncate": false is refused 400 'the input length
 *    exceeds the context length', as Ollama's runner does;
 *  - a vanished blob is 404 at load time whatever else; from the source, a
 *    server that has not resolved the model since it started would answer
 *    400 '"NAME" does not support chat' (generate: generate) for a vanished
 *    base (capabilities come from the GGUF), and a vanished adapter would
 *    only fail when llama-server opens it (500); both inferred, not observed;
 *  - the refusal of adapters is reported of v0.34.1, not read in source: its
 *    HTTP shape here (400, "LoRA adapters are deprecated; the adapter layer
 *    is carried over but new adapters cannot be created", the server log
 *    line reported) is the scripted fake's refuse_adapters, so loco handles
 *    both alike;
 *  - --max-queue counts waiting requests only (Ollama's channel also holds
 *    the one being scheduled); create takes one GGUF for files (no split
 *    GGUFs) and converts no safetensors; quantize is ignored;
 *  - format (JSON mode), images, tools and generate's "context" are not
 *    implemented; suffix is ignored;
 *  - pull copies a local file (three progress steps), no registry;
 *  - /v1/chat/completions + GET /lora-adapters run on a separate resident
 *    "hot-swap" model (not counted against --max-loaded): every adapter in
 *    MODELDIR is loaded once, a request picks adapters with "lora":[{id,scale}]
 *    and gets a context for that combination (created once, cached): no
 *    model reload, like llama-server --lora ... --lora-init-without-apply.
 */

const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { encode } = require('../backend/gojson');
const { readGguf } = require('./gguf');

// ---------------------------------------------------------------- options

function usage(msg) {
  if (msg) process.stderr.write(`test engine: ${msg}\n`);
  process.stderr.write('usage: node server.js --dir DIR --models MODELDIR [--port N] [--host 127.0.0.1] ' +
    '[--idle-timeout S] [--parallel N] [--max-loaded N] [--threads N] [--num-ctx N] [--version V] ' +
    '[--max-queue N] [--refuse-adapters] [--thinking-only NAME[,NAME...]]\n');
  process.exit(2);
}

const DEFAULT_VERSION = '0.33.0';
const REFUSE_ADAPTERS_FROM = '0.34.1';
const REFUSED_ADAPTERS = 'LoRA adapters are deprecated; the adapter layer is carried over but new adapters cannot be created';

// Compares N.N.N versions; a pre-release (0.34.1-rc0) counts as its release.
function versionAtLeast(v, min) {
  const a = v.split('-')[0].split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

function parseArgs(argv) {
  const o = { dir: null, models: null, port: 0, host: '127.0.0.1', idle: 120, parallel: 1, maxLoaded: 1, threads: 1, numCtx: 2048,
    maxQueue: 512, version: DEFAULT_VERSION, refuseAdapters: null, thinkingOnly: [] };
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
      case '--models': o.models = val(); break;
      case '--port': o.port = num(val(), 0, 65535); break;
      case '--host': o.host = val(); break;
      case '--idle-timeout': o.idle = num(val(), 0, 1e6); break;
      case '--parallel': o.parallel = num(val(), 1, 64); break;
      case '--max-loaded': o.maxLoaded = num(val(), 1, 64); break;
      case '--max-queue': o.maxQueue = num(val(), 1, 1e6); break;
      case '--threads': o.threads = num(val(), 1, 256); break;
      case '--num-ctx': o.numCtx = num(val(), 16, 1 << 20); break;
      case '--version':
        o.version = val();
        if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(o.version)) usage(`bad value '${o.version}' for '--version' (want N.N.N)`);
        break;
      case '--refuse-adapters':
        if (v !== undefined) usage("option '--refuse-adapters' takes no value");
        o.refuseAdapters = true;
        break;
      case '--thinking-only':
        o.thinkingOnly.push(...val().split(',')); // checked once names can be parsed
        break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown option '${a}'`);
    }
  }
  if (!o.dir) usage('--dir is required');
  if (!o.models) usage('--models is required');
  if (!/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(o.host)) usage(`refusing to listen on non-loopback host '${o.host}'`);
  // Reported of v0.34.1 (OLLAMA-API.md): adapter creation is refused.
  if (o.refuseAdapters === null) o.refuseAdapters = versionAtLeast(o.version, REFUSE_ADAPTERS_FROM);
  return o;
}

const opt = parseArgs(process.argv.slice(2));
const DIR = path.resolve(opt.dir);
const MODELDIR = path.resolve(opt.models);
const FILES = {
  port: path.join(DIR, 'port'),
  portTmp: path.join(DIR, 'port.tmp'),
  log: path.join(DIR, 'requests.jsonl'),
  blobs: path.join(DIR, 'blobs'),
  manifests: path.join(DIR, 'manifests'),
};
fs.mkdirSync(FILES.blobs, { recursive: true });
fs.mkdirSync(FILES.manifests, { recursive: true });

// ---------------------------------------------------------------- helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sha256hex = (data) => crypto.createHash('sha256').update(data).digest('hex');
const nowStamp = () => new Date().toISOString();
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const hrNow = () => process.hrtime.bigint();
const nsSince = (t) => Number(hrNow() - t);

function writeAtomic(file, data) {
  const tmp = `${file}.tmp${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function fileSha256(file) {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(1 << 20);
    let n;
    while ((n = fs.readSync(fd, b, 0, b.length, null)) > 0) h.update(b.subarray(0, n));
  } finally { fs.closeSync(fd); }
  return h.digest('hex');
}

const ggufCache = new Map();
function gguf(file) {
  const st = fs.statSync(file);
  const k = `${file}:${st.size}:${st.mtimeMs}`;
  if (!ggufCache.has(k)) ggufCache.set(k, readGguf(file));
  return ggufCache.get(k);
}

// ---------------------------------------------------------------- model names (as tests/backend/server.js)

const PART = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$/;
const NSPART = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,79}$/;
const HOSTPART = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,349}$/;

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

function displayName(s) {
  const n = parseName(s);
  return n ? shortName(n) : s;
}

function nameKey(s) {
  const n = parseName(s);
  return n ? `${n.host}/${n.ns}/${n.model}:${n.tag}`.toLowerCase() : null;
}

for (const n of opt.thinkingOnly) if (!parseName(n)) usage(`bad model name '${n}' for '--thinking-only'`);

// ---------------------------------------------------------------- store (DIR/manifests, DIR/blobs)

const blobPath = (hex) => path.join(FILES.blobs, `sha256-${hex}`);
const manifestPath = (key) => path.join(FILES.manifests, encodeURIComponent(key) + '.json');

function loadModel(name) {
  const k = nameKey(name);
  if (!k) return null;
  try {
    return JSON.parse(fs.readFileSync(manifestPath(k), 'utf8'));
  } catch { return null; }
}

function saveModel(m) {
  try { m.details = ggufDetails(m); } catch { /* base blob missing: keep what was recorded */ }
  if (m.size === undefined || [m.base, m.adapter].every((d) => !d || fs.existsSync(blobPath(d)))) m.size = modelSize(m);
  m.digest = sha256hex(JSON.stringify([m.base, m.adapter, m.system, m.template, m.parameters, m.license]));
  writeAtomic(manifestPath(nameKey(m.name)), JSON.stringify(m, null, 1) + '\n');
}

function listModels() {
  const out = [];
  for (const f of fs.readdirSync(FILES.manifests).sort()) {
    if (!f.endsWith('.json')) continue;
    try { out.push(JSON.parse(fs.readFileSync(path.join(FILES.manifests, f), 'utf8'))); } catch { /* skip */ }
  }
  return out;
}

// Ollama's format.HumanNumber: 4B, 4.5B, 1.50M, 747K.
function humanNumber(n) {
  const f = (x, digits, u) => `${x === Math.floor(x) ? x.toFixed(0) : x.toFixed(digits)}${u}`;
  if (n >= 1e9) return f(n / 1e9, 1, 'B');
  if (n >= 1e6) return f(n / 1e6, 2, 'M');
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)}K`;
  return String(n);
}

// Ollama's ggml.FileType names (fs/ggml/type.go), by general.file_type.
const FILE_TYPES = ['F32', 'F16', 'Q4_0', 'Q4_1', null, null, null, 'Q8_0', 'Q5_0', 'Q5_1', 'Q2_K', 'Q3_K_S',
  'Q3_K_M', 'Q3_K_L', 'Q4_K_S', 'Q4_K_M', 'Q5_K_S', 'Q5_K_M', 'Q6_K', 'IQ2_XXS', 'IQ2_XS', 'Q2_K_S', 'IQ3_XS',
  'IQ3_XXS', 'IQ1_S', 'IQ4_NL', 'IQ3_S', 'IQ3_M', 'IQ2_S', 'IQ2_M', 'IQ4_XS', 'IQ1_M', 'BF16', null, null, null,
  'TQ1_0', 'TQ2_0', 'MXFP4_MOE', 'NVFP4', 'Q1_0'];

// KV.FileType() takes 0 for "not set" (it checks t > 0), so an F32 file
// (general.file_type 0) and a file without the key both say "unknown".
function quantizationLevel(kv) {
  const t = kv['general.file_type'];
  return Number.isInteger(t) && t > 0 && FILE_TYPES[t] ? FILE_TYPES[t] : 'unknown';
}

function modelInfo(m) {
  const g = gguf(blobPath(m.base));
  const arch = g.kv['general.architecture'] || 'unknown';
  return { g, arch };
}

// Read from the GGUF when the model is saved (Ollama's config blob), so
// tags and ps still describe a model whose blob has vanished.
function details(m) {
  if (m.details) return m.details;
  try { return ggufDetails(m); } catch { return { parent_model: '', format: 'gguf', family: '', families: null, parameter_size: '', quantization_level: '' }; }
}

function ggufDetails(m) {
  const { g, arch } = modelInfo(m);
  return {
    parent_model: '',
    format: 'gguf',
    family: arch,
    families: [arch],
    parameter_size: humanNumber(g.params),
    quantization_level: quantizationLevel(g.kv),
  };
}

function modelSize(m) {
  let s = 0;
  for (const d of [m.base, m.adapter]) if (d) { try { s += fs.statSync(blobPath(d)).size; } catch { /* gone */ } }
  return s;
}

// The model list (v0.32.15 on) adds the GGUF's context and embedding
// lengths to details, and the capabilities (no "completion" when the GGUF
// cannot be read).
function tagsEntry(m) {
  const d = Object.assign({}, details(m));
  let kv = null;
  try { kv = gguf(blobPath(m.base)).kv; } catch { /* vanished */ }
  for (const k of ['context_length', 'embedding_length']) {
    const v = kv ? kv[`${d.family}.${k}`] : undefined;
    if (Number.isInteger(v) && v > 0) d[k] = v;
  }
  const e = { name: m.name, model: m.name, modified_at: m.modified_at, size: m.size ?? modelSize(m), digest: m.digest, details: d };
  const caps = capabilities(m).filter((c) => kv || c !== 'completion');
  if (caps.length) e.capabilities = caps;
  return e;
}

const DEFAULT_TEMPLATE = '{{ if .System }}S: {{ .System }}\n{{ end }}Q: {{ .Prompt }}\nA: ';

function parametersText(m) {
  const lines = [];
  for (const [k, v] of Object.entries(m.parameters || {})) {
    for (const x of Array.isArray(v) ? v : [v]) lines.push(`${k.padEnd(30)} ${typeof x === 'string' ? JSON.stringify(x) : x}`);
  }
  return lines.join('\n');
}

function modelfileText(m) {
  let t = `# Modelfile generated by "ollama show"\n# To build a new Modelfile based on this, replace FROM with:\n# FROM ${m.name}\n\n`;
  t += `FROM ${blobPath(m.base)}\n`;
  t += `TEMPLATE """${m.template || DEFAULT_TEMPLATE}"""\n`;
  if (m.system) t += `SYSTEM """${m.system}"""\n`;
  if (m.adapter) t += `ADAPTER ${blobPath(m.adapter)}\n`;
  for (const [k, v] of Object.entries(m.parameters || {})) for (const x of Array.isArray(v) ? v : [v]) t += `PARAMETER ${k} ${x}\n`;
  t += `LICENSE """${m.license || ''}"""\n`;
  return t;
}

// ---------------------------------------------------------------- MODELDIR

function modelDirFile(name) {
  const n = parseName(name);
  if (!n) return null;
  const cands = [n.model, n.model.replace(/^tiny-/, '')];
  for (const c of cands) {
    const f = path.join(MODELDIR, `${c}.gguf`);
    try {
      if (fs.statSync(f).isFile() && (gguf(f).kv['general.type'] || 'model') === 'model') return f;
    } catch { /* next */ }
  }
  return null;
}

function modelDirAdapters() {
  let files = [];
  try { files = fs.readdirSync(MODELDIR).filter((f) => f.endsWith('.gguf')).sort(); } catch { return []; }
  const out = [];
  for (const f of files) {
    const p = path.join(MODELDIR, f);
    try {
      const g = gguf(p);
      if (g.kv['general.type'] === 'adapter') out.push({ path: p, arch: g.kv['general.architecture'] });
    } catch { /* not a GGUF */ }
  }
  return out;
}

// ---------------------------------------------------------------- responses

function sendText(ctx, status, text) {
  if (ctx.aborted) return;
  ctx.res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : text);
}

function sendJson(ctx, status, obj) {
  if (ctx.aborted) return;
  const body = encode(obj);
  ctx.res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body);
}

function sendEmpty(ctx, status) {
  if (ctx.aborted) return;
  ctx.res.writeHead(status, { 'Content-Length': 0 });
  ctx.res.end();
}

const sendError = (ctx, status, msg) => sendJson(ctx, status, { error: msg });

class Aborted extends Error {}

class Progress {
  constructor(ctx, stream) { this.ctx = ctx; this.stream = stream; this.started = false; this.last = null; }
  emit(obj) {
    if (this.ctx.aborted) throw new Aborted();
    if (!this.stream) { this.last = obj; return; }
    if (!this.started) { this.ctx.res.writeHead(200, { 'Content-Type': 'application/x-ndjson' }); this.started = true; }
    this.ctx.res.write(encode(obj) + '\n');
  }
  fail(msg, status = 500) {
    if (this.ctx.aborted) return;
    if (this.started) this.ctx.res.end(encode({ error: msg }) + '\n');
    else sendError(this.ctx, status, msg);
  }
  finish() {
    if (this.ctx.aborted) return;
    if (this.stream) {
      if (!this.started) this.ctx.res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      this.ctx.res.end();
    } else sendJson(this.ctx, 200, this.last || { status: 'success' });
  }
}

// ---------------------------------------------------------------- llama

let llamaPromise = null;
let tokenBiasFor = null;
function getLlamaOnce() {
  if (!llamaPromise) {
    llamaPromise = import('node-llama-cpp').then(({ getLlama, LlamaLogLevel, TokenBias }) =>
      (tokenBiasFor = (model) => new TokenBias(model.tokenizer)) && getLlama({ gpu: false, build: 'never', skipDownload: true, maxThreads: opt.threads, logLevel: LlamaLogLevel.error }));
  }
  return llamaPromise;
}

class LoadError extends Error {}
// A blob of the model is gone from DIR/blobs when its runner is to be loaded.
class MissingBlob extends Error {}

// A runner: one loaded base (+ at most one LoRA), opt.parallel sequences.
class Runner {
  constructor(key, spec) {
    this.key = key;
    this.spec = spec; // {name, model (record), basePath, adapterPath, numCtx}
    this.ready = false;
    this.active = 0;
    this.free = [];
    this.expires = Infinity;
    this.timer = null;
    this.embedCtx = null;
  }

  async load() {
    const { basePath, adapterPath } = this.spec;
    for (const p of [basePath, adapterPath]) if (p && !fs.existsSync(p)) throw new MissingBlob(`open ${p}: no such file or directory`);
    // One line per load, as Ollama logs one: tests count reloads with it.
    process.stderr.write(`test engine: loading ${path.basename(basePath)}${adapterPath ? ` + ${path.basename(adapterPath)}` : ''} (num_ctx ${this.spec.numCtx})\n`);
    const baseArch = gguf(basePath).kv['general.architecture'];
    if (adapterPath) {
      const ag = gguf(adapterPath);
      const aArch = ag.kv['general.architecture'];
      if (ag.kv['general.type'] !== 'adapter' || ag.kv['adapter.type'] !== 'lora') {
        throw new LoadError('llama-server process has terminated: error loading LoRA adapter: expect general.type to be \'adapter\', adapter.type to be \'lora\'');
      }
      if (aArch !== baseArch) {
        throw new LoadError('llama-server process has terminated: error loading LoRA adapter: model arch and LoRA arch mismatch');
      }
    }
    const llama = await getLlamaOnce();
    try {
      this.model = await llama.loadModel({ modelPath: basePath, gpuLayers: 0 });
      const co = { contextSize: this.spec.numCtx, sequences: opt.parallel, threads: opt.threads };
      if (adapterPath) co.lora = { adapters: [{ filePath: adapterPath, scale: 1 }] };
      this.ctx = await this.model.createContext(co);
    } catch (e) {
      if (this.model) this.model.dispose().catch(() => {});
      throw new LoadError(`llama-server process has terminated: ${e.message}`);
    }
    for (let i = 0; i < opt.parallel; i++) this.free.push(this.ctx.getSequence());
    this.ready = true;
  }

  async unload() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    try {
      if (this.embedCtx) await this.embedCtx.dispose();
      if (this.ctx) await this.ctx.dispose();
      if (this.model) await this.model.dispose();
    } catch (e) { process.stderr.write(`test engine: unload: ${e.message}\n`); }
  }
}

const runners = new Map(); // key -> Runner (loading or ready)
const queue = []; // waiters: {key, spec, resolve, reject}

function evict(r) {
  runners.delete(r.key);
  r.unload();
}

function pump() {
  while (queue.length) {
    const w = queue[0];
    const r = runners.get(w.key);
    if (r) {
      if (!r.ready || r.free.length === 0) return; // loading, or all sequences busy: wait (FIFO)
      queue.shift();
      r.active++;
      if (r.timer) { clearTimeout(r.timer); r.timer = null; }
      w.resolve({ runner: r, seq: r.free.pop(), loaded: !!w.loaded });
      continue;
    }
    // Ollama keys loaded runners by the base GGUF: one with another adapter
    // or num_ctx is unloaded first (needsReload), whatever --max-loaded says.
    const same = [...runners.values()].find((x) => x.spec.basePath === w.spec.basePath);
    if (same) {
      if (!same.ready || same.active > 0) return; // wait until it is idle
      evict(same);
      continue;
    }
    if (runners.size >= opt.maxLoaded) {
      const idle = [...runners.values()].filter((x) => x.ready && x.active === 0).sort((a, b) => a.lastUsed - b.lastUsed);
      if (idle.length === 0) return; // wait until a runner is idle
      evict(idle[0]);
      continue;
    }
    const nr = new Runner(w.key, w.spec);
    runners.set(w.key, nr);
    // Those waiting for this runner waited for a load: it is their
    // load_duration.  Waiting for a busy runner's free slot is not, as in
    // Ollama, where that wait comes after checkpointLoaded.
    for (const x of queue) if (x.key === w.key) x.loaded = true;
    nr.load().then(() => pump(), (e) => {
      runners.delete(w.key);
      for (let i = queue.length - 1; i >= 0; i--) {
        if (queue[i].key === w.key) { queue[i].reject(e); queue.splice(i, 1); }
      }
      pump();
    });
    return;
  }
}

function runnerKey(spec) {
  return JSON.stringify([spec.basePath, spec.adapterPath, spec.numCtx]);
}

class QueueFull extends Error {}
const QUEUE_FULL = 'server busy, please try again.  maximum pending requests exceeded';

// OLLAMA_MAX_QUEUE: at most opt.maxQueue requests wait; more get 503.
function acquire(spec) {
  const key = runnerKey(spec);
  if (queue.length >= opt.maxQueue) return Promise.reject(new QueueFull(QUEUE_FULL));
  return new Promise((resolve, reject) => { queue.push({ key, spec, resolve, reject }); pump(); });
}

function release(lease, keepAliveMs) {
  const r = lease.runner;
  r.free.push(lease.seq);
  r.active--;
  r.lastUsed = Date.now();
  r.expires = keepAliveMs === Infinity ? Infinity : Date.now() + keepAliveMs;
  if (r.active === 0 && runners.get(r.key) === r) {
    if (keepAliveMs === 0) evict(r);
    else if (keepAliveMs !== Infinity) {
      r.timer = setTimeout(() => { if (r.active === 0 && runners.get(r.key) === r) { evict(r); pump(); } }, keepAliveMs);
      r.timer.unref();
    }
  }
  pump();
}

function keepAliveMs(v) {
  if (v === undefined || v === null) return 5 * 60e3;
  if (typeof v === 'number') return v < 0 ? Infinity : v * 1e3;
  if (typeof v === 'string') {
    if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v) < 0 ? Infinity : Number(v) * 1e3;
    let total = 0;
    let any = false;
    const re = /(-?\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
    let m;
    while ((m = re.exec(v)) !== null) {
      any = true;
      total += Number(m[1]) * { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 }[m[2]];
    }
    if (any) return total < 0 ? Infinity : total;
  }
  return 5 * 60e3;
}

// ---------------------------------------------------------------- generation

const INT_OPTS = ['num_keep', 'seed', 'num_predict', 'top_k', 'repeat_last_n', 'mirostat', 'num_ctx',
  'num_batch', 'num_gpu', 'main_gpu', 'num_thread'];
const FLOAT_OPTS = ['temperature', 'top_p', 'min_p', 'typical_p', 'repeat_penalty', 'presence_penalty',
  'frequency_penalty', 'tfs_z', 'mirostat_tau', 'mirostat_eta'];
const BOOL_OPTS = ['penalize_newline', 'numa', 'use_mmap', 'use_mlock', 'low_vram', 'f16_kv', 'vocab_only', 'logits_all'];

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

// The one prompt format the tiny models were trained on.
function chatPrompt(messages, system) {
  let s = '';
  const hasSystem = messages.some((m) => m.role === 'system');
  if (!hasSystem && system) s += `S: ${system}\n`;
  for (const m of messages) {
    const c = String(m.content ?? '');
    if (m.role === 'system') s += `S: ${c}\n`;
    else if (m.role === 'assistant') s += `A: ${c}</s>\n`;
    else if (m.role === 'tool') s += `T: ${c}\n`; // a tool's result (issue #19)
    else s += `Q: ${c}\n`;
  }
  return s + 'A: ';
}

// Tokens: BOS, then the text; "</s>" after an assistant turn is the EOS token.
function promptTokens(model, text, raw) {
  const toks = [model.tokens.bos];
  if (raw) return toks.concat(model.tokenize(text));
  const parts = text.split('</s>');
  parts.forEach((p, i) => {
    if (i > 0) toks.push(model.tokens.eos);
    if (p) toks.push(...model.tokenize(p));
  });
  return toks;
}

// TokenBias.set() ignores end tokens on purpose, so the bias goes into its
// map directly (node-llama-cpp is pinned: 3.21.1 reads _biases as is).
const eogBiases = new WeakMap();
function eogBias(model) {
  if (!eogBiases.has(model)) {
    const b = tokenBiasFor(model);
    for (const t of [model.tokens.eos, model.tokens.eot]) if (t !== null && t !== undefined) b._biases.set(t, -Infinity);
    eogBiases.set(model, b);
  }
  return eogBiases.get(model);
}

// Length of text that can be sent without possibly splitting a stop string.
function safeLength(text, stops) {
  let keep = text.length;
  for (const s of stops) {
    for (let k = Math.min(s.length - 1, text.length); k > 0; k--) {
      if (text.endsWith(s.slice(0, k))) { keep = Math.min(keep, text.length - k); break; }
    }
  }
  if (keep > 0 && text[keep - 1] === '\uFFFD') keep--; // partial UTF-8
  return keep;
}

// Runs one generation on a leased sequence. onText(piece) streams text.
// Returns {text, doneReason, promptN, evalN, promptNs, evalNs}.
// extra.banEog: the end-of-generation tokens are never sampled; extra.numCtx:
// the runner's num_ctx.
async function runGeneration(model, seq, tokens, o, onText, isAborted, extra = {}) {
  const stops = (o.stop || []).filter((s) => s !== '');
  // llama.cpp pads a context to a multiple of 256: the limit is what was asked.
  const numCtx = Math.min(seq.contextSize, extra.numCtx || Infinity);
  if (tokens.length >= numCtx) tokens = [tokens[0]].concat(tokens.slice(tokens.length - (numCtx - 2)));
  let limit = numCtx - tokens.length;
  if (Number.isInteger(o.num_predict) && o.num_predict >= 0) limit = Math.min(limit, o.num_predict);
  await seq.clearHistory();
  const ev = {};
  const temp = typeof o.temperature === 'number' ? o.temperature : 0.8;
  if (temp > 0) {
    ev.temperature = temp;
    ev.topK = typeof o.top_k === 'number' ? o.top_k : 40;
    ev.topP = typeof o.top_p === 'number' ? o.top_p : 0.9;
    if (typeof o.min_p === 'number') ev.minP = o.min_p;
    ev.seed = typeof o.seed === 'number' && o.seed >= 0 ? o.seed : (crypto.randomInt(2 ** 31));
  }
  if (extra.banEog) ev.tokenBias = () => eogBias(model);
  if (typeof o.repeat_penalty === 'number' && o.repeat_penalty !== 1) {
    ev.repeatPenalty = { penalty: o.repeat_penalty, lastTokens: Number.isInteger(o.repeat_last_n) ? o.repeat_last_n : 64 };
  }
  const gen = [];
  let text = '';
  let sent = 0;
  let doneReason = 'stop';
  const t0 = hrNow();
  let tFirst = null;
  if (limit <= 0) return { text: '', doneReason: 'length', promptN: tokens.length, evalN: 0, promptNs: 0, evalNs: 0 };
  const it = seq.evaluate(tokens, ev);
  let eog = true; // the generator ended by itself: the model sampled its end token
  try {
    for await (const tok of it) {
      eog = false;
      if (tFirst === null) tFirst = hrNow();
      gen.push(tok);
      text = model.detokenize(gen);
      let stopAt = -1;
      for (const s of stops) {
        const i = text.indexOf(s, Math.max(0, sent - s.length));
        if (i >= 0 && (stopAt < 0 || i < stopAt)) stopAt = i;
      }
      if (stopAt >= 0) {
        text = text.slice(0, stopAt);
        if (text.length > sent) onText(text.slice(sent));
        sent = text.length;
        break;
      }
      const keep = safeLength(text, stops);
      if (keep > sent) { onText(text.slice(sent, keep)); sent = keep; }
      if (isAborted()) break;
      if (gen.length >= limit) { doneReason = 'length'; break; }
      eog = true;
    }
  } finally {
    await it.return?.();
  }
  if (text.length > sent) { onText(text.slice(sent)); sent = text.length; }
  const tEnd = hrNow();
  if (tFirst === null) tFirst = tEnd;
  return {
    text, doneReason, promptN: tokens.length, evalN: gen.length + (eog ? 1 : 0), // the end token counts, as in llama.cpp
    promptNs: Number(tFirst - t0), evalNs: Number(tEnd - tFirst),
  };
}

// Field order as Ollama's structs: thinking after content/response, omitted when empty.
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
  for (const [k, v] of Object.entries(metrics || {})) if (v) o[k] = v;
  return o;
}

function specFor(m, body, optsMerged) {
  return {
    name: m.name,
    model: m,
    basePath: blobPath(m.base),
    adapterPath: m.adapter ? blobPath(m.adapter) : null,
    numCtx: Number.isInteger(optsMerged.num_ctx) && optsMerged.num_ctx > 0 ? optsMerged.num_ctx : opt.numCtx,
  };
}

// Thinking-only models (--thinking-only): the named models' base weights
// "think". A model thinks when its base GGUF is one of theirs, so a model
// created from one (with or without an adapter) thinks too, as it inherits
// the template that gives a real model the capability.
const modelDirHex = new Map();
function thinkingBases() {
  const out = new Set();
  for (const n of opt.thinkingOnly) {
    const m = loadModel(n);
    if (m) { out.add(m.base); continue; }
    const f = modelDirFile(n);
    if (!f) continue;
    const st = fs.statSync(f);
    const k = `${f}:${st.size}:${st.mtimeMs}`;
    if (!modelDirHex.has(k)) modelDirHex.set(k, fileSha256(f));
    out.add(modelDirHex.get(k));
  }
  return out;
}

const thinks = (m) => opt.thinkingOnly.length > 0 && thinkingBases().has(m.base);

function capabilities(m) {
  return thinks(m) ? ['completion', 'thinking'] : ['completion'];
}

// api.ThinkValue: a boolean or one of these levels (any level means on).
const THINK_LEVELS = ['high', 'medium', 'low', 'max'];
function thinkValueError(v) {
  if (v === undefined || v === null || typeof v === 'boolean') return null;
  if (typeof v !== 'string') return 'think must be a boolean or string ("high", "medium", "low", "max", true, or false)';
  if (!THINK_LEVELS.includes(v)) return `invalid think value: ${JSON.stringify(v)} (must be "high", "medium", "low", "max", true, or false)`;
  return null;
}

// The reasoning of a thinking-only model is real output of the same
// weights: the continuation of this prompt, end token banned, REASONING_TOKENS
// long (less if num_predict or the context runs out first).
const REASONING_TOKENS = 32;
const REASONING_CUE = 'Think step by step: ';

function reasoningMessages(msgs) {
  const i = msgs.map((x) => x.role).lastIndexOf('user');
  if (i < 0) return msgs.concat([{ role: 'user', content: REASONING_CUE.trim() }]);
  return msgs.map((x, j) => (j === i ? { role: 'user', content: REASONING_CUE + String(x.content ?? '') } : x));
}

async function handleGenerate(ctx, kind) {
  const t0 = hrNow();
  const body = ctx.body;
  if (!isObj(body)) return sendError(ctx, 400, ctx.rawText === '' ? 'missing request body' : `invalid request body: ${ctx.parseError}`);
  const thinkErr = thinkValueError(body.think);
  if (thinkErr) return sendError(ctx, 400, thinkErr);
  if (body.model === undefined || body.model === null || body.model === '') return sendError(ctx, 400, 'model is required');
  const sent = String(body.model);
  const m = loadModel(sent);
  if (!m) return sendError(ctx, 404, `model '${sent}' not found`);
  if (body.options !== undefined && body.options !== null && !isObj(body.options)) {
    return sendError(ctx, 400, 'json: cannot unmarshal options into a map');
  }
  const o = Object.assign({}, m.parameters || {}, isObj(body.options) ? body.options : {});

  let text;
  let reasonText = null;
  let raw = false;
  let empty;
  if (kind === 'chat') {
    const msgs = Array.isArray(body.messages) ? body.messages.filter(isObj) : [];
    empty = msgs.length === 0;
    text = chatPrompt(msgs, m.system);
    reasonText = chatPrompt(reasoningMessages(msgs), m.system);
  } else {
    const p = typeof body.prompt === 'string' ? body.prompt : '';
    empty = p === '';
    raw = body.raw === true;
    const system = typeof body.system === 'string' ? body.system : m.system;
    text = raw ? p : chatPrompt([{ role: 'user', content: p }], system);
    if (!raw) reasonText = chatPrompt(reasoningMessages([{ role: 'user', content: p }]), system); // raw: no template, no reasoning
  }
  const ka = keepAliveMs(body.keep_alive);
  const spec = specFor(m, body, o);

  if (empty && ka === 0) {
    const r = runners.get(runnerKey(spec));
    if (r && r.ready && r.active === 0) evict(r);
    return sendJson(ctx, 200, finalObj(kind, sent, '', '', 'unload', {}));
  }

  // For a thinking model an omitted think is true; reasoning is split from
  // the answer only when think is on, and think:false does not stop it:
  // reasoning, a lone </think> and the answer all go to content.
  const thinkOn = body.think === true || typeof body.think === 'string';
  const thinking = thinks(m);
  if (!thinking && thinkOn) return sendError(ctx, 400, `"${sent}" does not support thinking`);
  const split = thinking && (thinkOn || body.think === undefined || body.think === null);

  // As Ollama's scheduleRunner: the model's stored parameters, then the
  // request's options; create stored them unchecked, so a bad one fails here.
  const optErr = checkOptions(m.parameters || {}) || checkOptions(isObj(body.options) ? body.options : {});
  if (optErr) return sendError(ctx, 500, optErr);

  let lease, tq;
  try {
    tq = hrNow();
    lease = await acquire(spec);
  } catch (e) {
    if (e instanceof MissingBlob) return sendError(ctx, 404, `model ${JSON.stringify(sent)} not found, try pulling it first`);
    if (e instanceof QueueFull) return sendError(ctx, 503, e.message);
    return sendError(ctx, 500, e instanceof LoadError ? e.message : `llama-server process has terminated: ${e.message}`);
  }
  const loadNs = lease.loaded ? nsSince(t0) : Number(tq - t0);
  try {
    if (empty) return sendJson(ctx, 200, finalObj(kind, sent, '', '', 'load', {}));
    if (ctx.aborted) return;
    const stream = body.stream !== false;
    const model = lease.runner.model;
    // "truncate": false: a prompt longer than the context is refused, as
    // Ollama's runner does, instead of keeping its end.
    if (body.truncate === false && promptTokens(model, text, raw).length >= spec.numCtx)
      return sendError(ctx, 400, 'the input length exceeds the context length');
    if (stream) {
      ctx.res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      ctx.res.flushHeaders();
    }
    const send = (content, thought) => {
      if (stream && !ctx.aborted) ctx.res.write(encode(chunkObj(kind, sent, content, thought)) + '\n');
    };
    let reasoning = null;
    const budget = Number.isInteger(o.num_predict) && o.num_predict >= 0 ? o.num_predict : -1;
    if (thinking && reasonText !== null) {
      const ro = Object.assign({}, o, { stop: [], num_predict: budget < 0 ? REASONING_TOKENS : Math.min(budget, REASONING_TOKENS) });
      reasoning = await runGeneration(model, lease.seq, promptTokens(model, reasonText, false), ro,
        (piece) => (split ? send('', piece) : send(piece, '')), () => ctx.aborted, { banEog: true, numCtx: spec.numCtx });
      if (ctx.aborted) return;
    }
    let r;
    const cutThinking = reasoning && budget >= 0 && reasoning.evalN >= budget;
    if (cutThinking) {
      // num_predict counts thinking too: cut while reasoning, so no </think>
      // and no answer.
      r = { text: '', doneReason: 'length', promptN: 0, evalN: 0, promptNs: 0, evalNs: 0 };
    } else {
      if (reasoning && !split) send('</think>\n\n', '');
      const ao = reasoning && budget >= 0 ? Object.assign({}, o, { num_predict: budget - reasoning.evalN }) : o;
      r = await runGeneration(model, lease.seq, promptTokens(model, text, raw), ao, (piece) => send(piece, ''), () => ctx.aborted, { numCtx: spec.numCtx });
    }
    if (ctx.aborted) return;
    const both = (k) => r[k] + (reasoning ? reasoning[k] : 0);
    const metrics = {
      total_duration: nsSince(t0),
      load_duration: loadNs,
      prompt_eval_count: both('promptN'),
      prompt_eval_duration: both('promptNs'),
      eval_count: both('evalN'),
      eval_duration: both('evalNs'),
    };
    let content = r.text;
    let thought = '';
    if (reasoning && split) thought = reasoning.text;
    else if (reasoning) content = cutThinking ? reasoning.text : `${reasoning.text}</think>\n\n${r.text}`;
    if (stream) ctx.res.end(encode(finalObj(kind, sent, '', '', r.doneReason, metrics)) + '\n');
    else sendJson(ctx, 200, finalObj(kind, sent, content, thought, r.doneReason, metrics));
  } catch (e) {
    process.stderr.write(`test engine: generation failed: ${e.stack || e}\n`);
    if (!ctx.res.headersSent) sendError(ctx, 500, `an error was encountered while running the model: ${e.message}`);
    else if (!ctx.aborted) ctx.res.end(encode({ error: `an error was encountered while running the model: ${e.message}` }) + '\n');
  } finally {
    release(lease, ka);
  }
}

async function handleEmbed(ctx) {
  const t0 = hrNow();
  const body = isObj(ctx.body) ? ctx.body : {};
  const sent = String(body.model ?? '');
  if (sent === '') return sendError(ctx, 400, 'model is required');
  const m = loadModel(sent);
  if (!m) return sendError(ctx, 404, `model '${sent}' not found`);
  const inputs = Array.isArray(body.input) ? body.input : body.input === undefined ? [] : [body.input];
  if (inputs.some((x) => typeof x !== 'string')) return sendError(ctx, 400, 'invalid input type');
  const o = Object.assign({}, m.parameters || {}, isObj(body.options) ? body.options : {});
  const optErr = checkOptions(m.parameters || {}) || checkOptions(isObj(body.options) ? body.options : {});
  if (optErr) return sendError(ctx, 500, optErr);
  let lease, tq;
  try {
    tq = hrNow();
    lease = await acquire(specFor(m, body, o));
  } catch (e) {
    if (e instanceof MissingBlob) return sendError(ctx, 404, `model ${JSON.stringify(sent)} not found, try pulling it first`);
    if (e instanceof QueueFull) return sendError(ctx, 503, e.message);
    return sendError(ctx, 500, e.message);
  }
  const loadNs = lease.loaded ? nsSince(t0) : Number(tq - t0);
  try {
    const r = lease.runner;
    if (!r.embedCtx) r.embedCtx = await r.model.createEmbeddingContext({ contextSize: Math.min(r.spec.numCtx, 2048), threads: opt.threads });
    const embeddings = [];
    let count = 0;
    for (const s of inputs) {
      const toks = [r.model.tokens.bos].concat(r.model.tokenize(s));
      count += toks.length;
      const e = await r.embedCtx.getEmbeddingFor(toks);
      const v = Array.from(e.vector);
      const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
      embeddings.push(v.map((x) => x / norm));
    }
    sendJson(ctx, 200, { model: sent, embeddings, total_duration: nsSince(t0), load_duration: loadNs, prompt_eval_count: count });
  } catch (e) {
    sendError(ctx, 500, e.message);
  } finally {
    release(lease, keepAliveMs(body.keep_alive));
  }
}

// ---------------------------------------------------------------- llama-server style hot swap

const hot = { basePath: null, model: null, adapters: [], contexts: new Map(), loading: null };

async function hotModel(basePath) {
  if (hot.basePath === basePath && hot.model) return 0;
  while (hot.loading) await hot.loading;
  if (hot.basePath === basePath && hot.model) return 0;
  const t0 = hrNow();
  hot.loading = (async () => {
    for (const c of hot.contexts.values()) await c.ctx.dispose();
    hot.contexts.clear();
    if (hot.model) await hot.model.dispose();
    hot.model = null;
    const llama = await getLlamaOnce();
    hot.model = await llama.loadModel({ modelPath: basePath, gpuLayers: 0 });
    hot.basePath = basePath;
    const arch = gguf(basePath).kv['general.architecture'];
    hot.adapters = modelDirAdapters().filter((a) => a.arch === arch);
  })();
  try { await hot.loading; } finally { hot.loading = null; }
  return nsSince(t0);
}

function defaultHotBase() {
  let files = [];
  try { files = fs.readdirSync(MODELDIR).filter((f) => f.endsWith('.gguf')).sort(); } catch { return null; }
  for (const f of files) {
    try { if ((gguf(path.join(MODELDIR, f)).kv['general.type'] || 'model') === 'model') return path.join(MODELDIR, f); } catch { /* skip */ }
  }
  return null;
}

async function hotContext(lora) {
  const key = JSON.stringify(lora);
  let c = hot.contexts.get(key);
  if (c) return { c, ns: 0 };
  const t0 = hrNow();
  const co = { contextSize: opt.numCtx, sequences: opt.parallel, threads: opt.threads };
  if (lora.length) co.lora = { adapters: lora.map(([id, scale]) => ({ filePath: hot.adapters[id].path, scale })) };
  const cx = await hot.model.createContext(co);
  c = { ctx: cx, free: [], waiters: [] };
  for (let i = 0; i < opt.parallel; i++) c.free.push(cx.getSequence());
  hot.contexts.set(key, c);
  return { c, ns: nsSince(t0) };
}

async function hotSeq(c) {
  if (c.free.length) return c.free.pop();
  return new Promise((resolve) => c.waiters.push(resolve));
}

function hotRelease(c, seq) {
  const w = c.waiters.shift();
  if (w) w(seq); else c.free.push(seq);
}

function oaiError(ctx, status, msg, type = 'invalid_request_error') {
  return sendJson(ctx, status, { error: { code: status, message: msg, type } });
}

async function handleLoraList(ctx) {
  const base = defaultHotBase();
  if (!base) return sendJson(ctx, 200, []);
  try { await hotModel(hot.basePath || base); } catch (e) { return oaiError(ctx, 500, e.message, 'server_error'); }
  return sendJson(ctx, 200, hot.adapters.map((a, id) => ({ id, path: a.path, scale: 0 })));
}

async function handleOaiChat(ctx) {
  const t0 = hrNow();
  const body = ctx.body;
  if (!isObj(body)) return oaiError(ctx, 400, 'invalid request body');
  const msgs = Array.isArray(body.messages) ? body.messages.filter(isObj) : [];
  if (msgs.length === 0) return oaiError(ctx, 400, "'messages' must be a non-empty array");
  let basePath = null;
  let sys = '';
  if (typeof body.model === 'string' && body.model !== '') {
    const m = loadModel(body.model);
    if (m) { basePath = blobPath(m.base); sys = m.system || ''; } else basePath = modelDirFile(body.model);
  }
  basePath = basePath || hot.basePath || defaultHotBase();
  if (!basePath) return oaiError(ctx, 404, 'no model available', 'not_found_error');
  let loadNs;
  try { loadNs = await hotModel(basePath); } catch (e) { return oaiError(ctx, 500, e.message, 'server_error'); }
  const lora = [];
  if (body.lora !== undefined) {
    if (!Array.isArray(body.lora)) return oaiError(ctx, 400, "'lora' must be an array");
    for (const l of body.lora) {
      if (!isObj(l) || !Number.isInteger(l.id) || l.id < 0 || l.id >= hot.adapters.length) return oaiError(ctx, 400, 'invalid adapter id');
      const scale = typeof l.scale === 'number' ? l.scale : 1;
      if (scale !== 0) lora.push([l.id, scale]);
    }
    lora.sort((a, b) => a[0] - b[0]);
  }
  let c;
  let swapNs;
  try { ({ c, ns: swapNs } = await hotContext(lora)); } catch (e) { return oaiError(ctx, 500, e.message, 'server_error'); }
  const seq = await hotSeq(c);
  const o = {
    temperature: typeof body.temperature === 'number' ? body.temperature : 0.8,
    seed: typeof body.seed === 'number' ? body.seed : undefined,
    top_k: typeof body.top_k === 'number' ? body.top_k : undefined,
    top_p: typeof body.top_p === 'number' ? body.top_p : undefined,
    num_predict: Number.isInteger(body.max_completion_tokens) ? body.max_completion_tokens : Number.isInteger(body.max_tokens) ? body.max_tokens : -1,
    stop: typeof body.stop === 'string' ? [body.stop] : Array.isArray(body.stop) ? body.stop.filter((s) => typeof s === 'string') : [],
  };
  const id = `chatcmpl-${crypto.randomBytes(12).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const model = typeof body.model === 'string' ? body.model : path.basename(basePath);
  const stream = body.stream === true;
  try {
    const tokens = promptTokens(hot.model, chatPrompt(msgs, sys), false);
    if (stream) {
      ctx.res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      const first = { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] };
      ctx.res.write(`data: ${encode(first)}\n\n`);
    }
    const r = await runGeneration(hot.model, seq, tokens, o, (piece) => {
      if (stream && !ctx.aborted) {
        ctx.res.write(`data: ${encode({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })}\n\n`);
      }
    }, () => ctx.aborted);
    if (ctx.aborted) return;
    const finish = r.doneReason === 'length' ? 'length' : 'stop';
    const usage = { prompt_tokens: r.promptN, completion_tokens: r.evalN, total_tokens: r.promptN + r.evalN };
    const timings = {
      prompt_n: r.promptN, prompt_ms: r.promptNs / 1e6, predicted_n: r.evalN, predicted_ms: r.evalNs / 1e6,
      load_ms: loadNs / 1e6, lora_context_ms: swapNs / 1e6, total_ms: nsSince(t0) / 1e6,
    };
    if (stream) {
      ctx.res.write(`data: ${encode({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: {}, finish_reason: finish }], usage, timings })}\n\n`);
      ctx.res.end('data: [DONE]\n\n');
    } else {
      sendJson(ctx, 200, { id, object: 'chat.completion', created, model,
        choices: [{ index: 0, message: { role: 'assistant', content: r.text }, finish_reason: finish }], usage, timings });
    }
  } catch (e) {
    process.stderr.write(`test engine: generation failed: ${e.stack || e}\n`);
    if (!ctx.res.headersSent) oaiError(ctx, 500, e.message, 'server_error');
    else if (!ctx.aborted) ctx.res.end();
  } finally {
    hotRelease(c, seq);
  }
}

// ---------------------------------------------------------------- lifecycle endpoints

async function pullSteps(p, name) {
  p.emit({ status: 'pulling manifest' });
  const file = modelDirFile(name);
  if (!file) return { error: 'pull model manifest: file does not exist' };
  const hex = fileSha256(file);
  const total = fs.statSync(file).size;
  const st = `pulling ${hex.slice(0, 12)}`;
  const have = fs.existsSync(blobPath(hex));
  p.emit({ status: st, digest: `sha256:${hex}`, total });
  if (!have) {
    await sleep(5);
    p.emit({ status: st, digest: `sha256:${hex}`, total, completed: Math.floor(total / 2) });
    fs.copyFileSync(file, `${blobPath(hex)}.partial`);
    fs.renameSync(`${blobPath(hex)}.partial`, blobPath(hex));
  }
  p.emit({ status: st, digest: `sha256:${hex}`, total, completed: total });
  p.emit({ status: 'verifying sha256 digest' });
  if (fileSha256(blobPath(hex)) !== hex) return { error: `digest mismatch, file must be downloaded again: sha256:${hex}` };
  p.emit({ status: 'writing manifest' });
  const m = { name: displayName(name), base: hex, adapter: null, system: '', template: '', parameters: {}, license: '', modified_at: nowStamp() };
  saveModel(m);
  p.emit({ status: 'success' });
  return { model: m };
}

async function handlePull(ctx) {
  const body = isObj(ctx.body) ? ctx.body : {};
  const name = body.model || body.name || '';
  if (!parseName(name)) return sendError(ctx, 400, 'invalid model name');
  const p = new Progress(ctx, body.stream !== false);
  try {
    const r = await pullSteps(p, name);
    if (r.error) return p.fail(r.error);
    p.finish();
  } catch (e) {
    if (!(e instanceof Aborted)) throw e;
  }
}

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
// manifest.BlobsPath: either separator, either case; the file name keeps the case.
const LAYER_DIGEST_RE = /^sha256[:-][0-9a-fA-F]{64}$/;

// Go's fs.ValidPath: relative, slash-separated, no empty, "." or ".." element.
function validPath(p) {
  if (p === '.') return true;
  return p !== '' && p.split('/').every((e) => e !== '' && e !== '.' && e !== '..');
}

// detectModelTypeFromFiles: by the first file name, else by the blob's magic.
function detectModelType(files) {
  for (const [fn, d] of Object.entries(files)) {
    if (fn.endsWith('.safetensors')) return 'safetensors';
    if (fn.endsWith('.gguf')) return 'gguf';
    if (!LAYER_DIGEST_RE.test(String(d))) return '';
    try {
      const fd = fs.openSync(path.join(FILES.blobs, String(d).replace(':', '-')), 'r');
      const b = Buffer.alloc(4);
      const n = fs.readSync(fd, b, 0, 4, 0);
      fs.closeSync(fd);
      if (n === 4 && b.toString('latin1') === 'GGUF') return 'gguf';
    } catch { return ''; }
  }
  return '';
}

// convertModelFromFiles + ggufLayers for the files or adapters of a create:
// "parsing GGUF" is streamed before each file is opened, so a missing or
// broken blob is reported after the 200 status (Ollama does the same).
// Returns {layers: [hex]} or {error, status}; status is what a create with
// stream:false answers (adapters: always 400; files: 400 or 500).
function convertFiles(p, files, isAdapter) {
  const bad = (error, badReq) => ({ error, status: isAdapter || badReq ? 400 : 500 });
  const type = detectModelType(files);
  if (type === 'safetensors') return bad('the test engine cannot convert safetensors files', true);
  if (type !== 'gguf') return bad('unknown type', true);
  const names = Object.keys(files).sort();
  if (names.length > 1 && isAdapter) return bad('only one adapter is currently supported', true);
  const layers = [];
  for (const fn of names) {
    const d = String(files[fn]);
    p.emit({ status: 'parsing GGUF' });
    if (!LAYER_DIGEST_RE.test(d)) return bad('invalid digest format');
    const bp = path.join(FILES.blobs, d.replace(':', '-'));
    let magic;
    try {
      const fd = fs.openSync(bp, 'r');
      magic = Buffer.alloc(4);
      magic = magic.subarray(0, fs.readSync(fd, magic, 0, 4, 0));
      fs.closeSync(fd);
    } catch (e) {
      return bad(e.code === 'ENOENT' ? `open ${bp}: no such file or directory` : e.message);
    }
    if (magic.toString('latin1') !== 'GGUF') return bad('supplied file was not in GGUF format', true);
    let g;
    try { g = gguf(bp); } catch (e) { return bad(e.message); }
    if (!isAdapter && (g.kv['general.type'] || 'model') !== 'model') {
      return bad('file is not a model (general.type is not "model")', true);
    }
    layers.push(d.slice(7));
  }
  if (!isAdapter && layers.length !== 1) return bad('only one GGUF model file is supported', true);
  return { layers };
}

async function handleCreate(ctx) {
  const body = isObj(ctx.body) ? ctx.body : {};
  const name = body.model || body.name || '';
  const files = isObj(body.files) ? body.files : null;
  const adapters = isObj(body.adapters) ? body.adapters : null;
  // Checked before anything is streamed, as in Ollama's CreateHandler.
  for (const [fn, d] of Object.entries(files || {})) {
    if (!validPath(fn)) return sendError(ctx, 400, 'file path must be relative');
    if (d === '') return sendError(ctx, 400, 'invalid digest format');
  }
  for (const d of Object.values(adapters || {})) if (d === '') return sendError(ctx, 400, 'invalid digest format');
  if (!parseName(name)) return sendError(ctx, 400, 'invalid model name');
  // The refusal reported of v0.34.1; its exact wording over HTTP is not known.
  if (adapters && Object.keys(adapters).length > 0 && opt.refuseAdapters) return sendError(ctx, 400, REFUSED_ADAPTERS);
  const from = typeof body.from === 'string' && body.from !== '' ? body.from : null;
  const p = new Progress(ctx, body.stream !== false);
  try {
    let base = null;
    let baseLayer;
    if (from) {
      if (!parseName(from)) return p.fail('invalid model name', 400);
      base = loadModel(from);
      if (!base) {
        const r = await pullSteps(p, from);
        if (r.error) return p.fail(r.error);
        base = r.model;
      }
      baseLayer = base.base;
    } else if (files) {
      const r = convertFiles(p, files, false);
      if (r.error) return p.fail(r.error, r.status);
      baseLayer = r.layers[0];
      base = { base: baseLayer, adapter: null, system: '', template: '', parameters: {}, license: '' };
    } else {
      return p.fail("neither 'from' or 'files' was specified", 400);
    }
    let adapter = base.adapter; // carried over from a model made with one
    if (adapters) {
      const r = convertFiles(p, adapters, true);
      if (r.error) return p.fail(r.error, r.status);
      adapter = r.layers[0];
    }
    for (const d of [baseLayer, adapter]) if (d) p.emit({ status: `using existing layer sha256:${d}` });
    const params = Object.assign({}, base.parameters || {}, isObj(body.parameters) ? body.parameters : {});
    for (const [what, v] of [['template', body.template], ['system', body.system],
      ['params', isObj(body.parameters) && Object.keys(body.parameters).length ? JSON.stringify(body.parameters) : null]]) {
      if (typeof v === 'string' && v !== '') p.emit({ status: `creating new layer sha256:${sha256hex(`${what}\n${v}`)}` });
    }
    p.emit({ status: 'writing manifest' });
    const m = {
      name: displayName(name),
      base: baseLayer,
      adapter,
      system: typeof body.system === 'string' ? body.system : (base.system || ''),
      template: typeof body.template === 'string' ? body.template : (base.template || ''),
      parameters: params,
      license: typeof body.license === 'string' ? body.license : (base.license || ''),
      modified_at: nowStamp(),
    };
    saveModel(m);
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
  if (`sha256:${got}` !== digest) return sendError(ctx, 400, `digest mismatch, expected "${digest}", got "sha256:${got}"`);
  writeAtomic(bp, ctx.rawBuf);
  return sendEmpty(ctx, 201);
}

function handleDelete(ctx) {
  const body = isObj(ctx.body) ? ctx.body : {};
  const name = body.model || body.name || '';
  if (!parseName(name)) return sendError(ctx, 400, `name ${JSON.stringify(String(name))} is invalid`);
  if (!loadModel(name)) return sendError(ctx, 404, `model '${name}' not found`);
  fs.unlinkSync(manifestPath(nameKey(name)));
  return sendEmpty(ctx, 200);
}

function handleCopy(ctx) {
  const body = isObj(ctx.body) ? ctx.body : {};
  const src = String(body.source ?? '');
  const dst = String(body.destination ?? '');
  if (!parseName(src)) return sendError(ctx, 400, `source ${JSON.stringify(src)} is invalid`);
  if (!parseName(dst)) return sendError(ctx, 400, `destination ${JSON.stringify(dst)} is invalid`);
  const m = loadModel(src);
  if (!m) return sendError(ctx, 404, `model ${JSON.stringify(src)} not found`);
  saveModel(Object.assign({}, m, { name: displayName(dst), modified_at: nowStamp() }));
  return sendEmpty(ctx, 200);
}

function handleShow(ctx) {
  const body = isObj(ctx.body) ? ctx.body : {};
  const name = body.model || body.name || '';
  if (name === '') return sendError(ctx, 400, 'model is required');
  const m = loadModel(name);
  if (!m) return sendError(ctx, 404, `model '${displayName(name)}' not found`);
  // GetModelInfo reads the manifest and config, then the base GGUF for
  // model_info (not the adapter): a vanished base is os.ErrNotExist, which
  // ShowHandler answers with 404 and the normalised name.
  let g;
  let arch;
  try {
    ({ g, arch } = modelInfo(m));
  } catch (e) {
    if (e.code === 'ENOENT') return sendError(ctx, 404, `model '${displayName(name)}' not found`);
    throw e;
  }
  // All keys but general.name and tokenizer.chat_template (GetModelInfo
  // deletes those); arrays longer than 5 are sent empty (not verbose).
  // A Go map: encoding/json writes its keys sorted.
  const all = { 'general.architecture': arch, 'general.parameter_count': g.params };
  for (const [k, v] of Object.entries(g.kv)) {
    if (k === 'general.architecture' || k === 'general.name' || k === 'tokenizer.chat_template') continue;
    all[k] = isObj(v) || (Array.isArray(v) && v.length > 5) ? [] : v;
  }
  const info = {};
  for (const k of Object.keys(all).sort()) info[k] = all[k];
  return sendJson(ctx, 200, {
    license: m.license || '',
    modelfile: modelfileText(m),
    parameters: parametersText(m),
    template: m.template || DEFAULT_TEMPLATE,
    system: m.system || '',
    details: details(m),
    model_info: info,
    capabilities: capabilities(m),
    modified_at: m.modified_at,
  });
}

function handlePs(ctx) {
  const models = [];
  for (const r of runners.values()) {
    if (!r.ready) continue;
    const m = r.spec.model;
    models.push({
      name: m.name, model: m.name, size: modelSize(m), digest: m.digest, details: details(m),
      expires_at: r.expires === Infinity ? '2318-07-17T00:00:00Z' : new Date(r.expires).toISOString(),
      size_vram: 0, context_length: r.spec.numCtx,
    });
  }
  return sendJson(ctx, 200, { models });
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
  '/api/embed': { POST: 'embed' },
  '/api/pull': { POST: 'pull' },
  '/api/create': { POST: 'create' },
  '/api/delete': { DELETE: 'delete' },
  '/api/copy': { POST: 'copy' },
  '/v1/chat/completions': { POST: 'oaichat' },
  '/lora-adapters': { GET: 'loras' },
};

let seq = 0;
try {
  seq = fs.readFileSync(FILES.log, 'utf8').split('\n').filter((l) => l !== '').length;
} catch { /* no log yet */ }

const LOGGED_HEADERS = ['host', 'content-type', 'user-agent', 'accept'];

function logRequest(ctx) {
  const hdrs = {};
  for (const h of LOGGED_HEADERS) if (ctx.req.headers[h] !== undefined) hdrs[h] = ctx.req.headers[h];
  const entry = { seq: ++seq, method: ctx.req.method, path: ctx.path, query: ctx.query, headers: hdrs, body: ctx.body === undefined ? null : ctx.body };
  if (ctx.isBlob) {
    entry.raw_bytes = ctx.rawBuf.length;
    entry.raw_sha256 = sha256hex(ctx.rawBuf);
  } else if (ctx.body === undefined && ctx.rawText !== '') entry.raw = ctx.rawText;
  entry.time = Date.now();
  fs.appendFileSync(FILES.log, JSON.stringify(entry) + '\n');
}

async function route(ctx) {
  const { req } = ctx;
  if (ctx.path.startsWith('/__control/')) return control(ctx);
  logRequest(ctx);
  if (ctx.path.startsWith('/api/blobs/')) return handleBlob(ctx, decodeURIComponent(ctx.path.slice('/api/blobs/'.length)));
  const r = ROUTES[ctx.path];
  if (!r) return sendText(ctx, 404, '404 page not found');
  const what = r[req.method];
  if (!what) return sendText(ctx, 405, '405 method not allowed');
  switch (what) {
    case 'root': return sendText(ctx, 200, 'Ollama is running');
    case 'version': return sendJson(ctx, 200, { version: opt.version });
    case 'tags': return sendJson(ctx, 200, { models: listModels().map(tagsEntry) });
    case 'show': return handleShow(ctx);
    case 'ps': return handlePs(ctx);
    case 'chat': return handleGenerate(ctx, 'chat');
    case 'generate': return handleGenerate(ctx, 'generate');
    case 'embed': return handleEmbed(ctx);
    case 'pull': return handlePull(ctx);
    case 'create': return handleCreate(ctx);
    case 'delete': return handleDelete(ctx);
    case 'copy': return handleCopy(ctx);
    case 'oaichat': return handleOaiChat(ctx);
    case 'loras': return handleLoraList(ctx);
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
      for (const r of [...runners.values()]) if (r.ready && r.active === 0) evict(r);
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
  const ctx = { req, res, path: u.pathname, query: u.search.replace(/^\?/, ''), aborted: false, isBlob: u.pathname.startsWith('/api/blobs/') };
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
      process.stderr.write(`test engine: internal error: ${e.stack || e}\n`);
      if (!res.headersSent && !ctx.aborted) sendError(ctx, 500, `test engine: internal error: ${e.message}`);
      else if (!ctx.aborted) res.destroy();
    });
  });
});

let shuttingDown = false;
function shutdown(why) {
  if (shuttingDown) return;
  shuttingDown = true;
  process.stderr.write(`test engine: exiting: ${why}\n`);
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
  process.stderr.write(`test engine: cannot listen on ${opt.host}:${opt.port}: ${e.message}\n`);
  process.exit(1);
});

// Load llama.cpp before announcing the port, so the first request is not slow.
getLlamaOnce().then(() => {
  server.listen(opt.port, opt.host, () => {
    const port = server.address().port;
    fs.writeFileSync(FILES.portTmp, `${port}\n`);
    fs.renameSync(FILES.portTmp, FILES.port);
    process.stderr.write(`test engine: listening on ${opt.host}:${port} (dir ${DIR}, models ${MODELDIR})\n`);
    armIdle();
  });
}, (e) => {
  process.stderr.write(`test engine: cannot load llama.cpp: ${e.stack || e}\n`);
  process.exit(1);
});
