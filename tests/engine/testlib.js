'use strict';
// Helpers for the engine's node tests (not a test file itself): start a
// server on a fresh or given DIR, plain HTTP requests, NDJSON lines, and a
// raw request that records when each byte of the reply arrived.

const { spawn } = require('node:child_process');
const http = require('node:http');
const net = require('node:net');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');

const ROOT = path.join(__dirname, '..', '..');
const SERVER = path.join(__dirname, 'server.js');
const MODELS = path.join(ROOT, 'adapters', 'tiny');
const HAVE_DEPS = fs.existsSync(path.join(__dirname, 'node_modules', 'node-llama-cpp'));
const SKIP = HAVE_DEPS ? false : 'node-llama-cpp not installed: run npm ci --omit=optional in tests/engine';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

// Starts server.js; dir defaults to a new temporary directory.
async function start(extra = [], dir = null) {
  dir = dir || fs.mkdtempSync(path.join(os.tmpdir(), 'loco-engine-'));
  try { fs.unlinkSync(path.join(dir, 'port')); } catch { /* none */ }
  const child = spawn(process.execPath, [SERVER, '--dir', dir, '--models', MODELS, '--idle-timeout', '120', ...extra],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  const t0 = Date.now();
  while (!fs.existsSync(path.join(dir, 'port'))) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}; stderr: ${stderr}`);
    if (Date.now() - t0 > 15000) throw new Error(`no port file; stderr: ${stderr}`);
    await sleep(20);
  }
  const srv = { dir, port: Number(fs.readFileSync(path.join(dir, 'port'), 'utf8')), child, exited, stderr: () => stderr };
  srv.stop = async (keepDir = false) => {
    child.kill('SIGTERM');
    await exited;
    if (!keepDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  srv.request = (method, p, body, headers) => request(srv.port, method, p, body, headers);
  return srv;
}

function request(port, method, p, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    if (data) headers = Object.assign({ 'Content-Length': data.length }, headers);
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers }, (res) => {
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

// An HTTP/1.1 chunked body (a Buffer), decoded to text.
function dechunk(b) {
  const out = [];
  for (;;) {
    const eol = b.indexOf('\r\n');
    const n = parseInt(b.subarray(0, eol).toString('latin1'), 16);
    if (!(n > 0)) return Buffer.concat(out).toString('utf8');
    out.push(b.subarray(eol + 2, eol + 2 + n));
    b = b.subarray(eol + 2 + n + 2);
  }
}

// POST over a plain socket. Resolves once the request is written with
// {sent: hrtime of the write, reply: Promise of {chunks: [{t, buf, text}], text, body},
// chunksSoFar()},
// t being process.hrtime.bigint() when each piece of the reply (headers
// included) arrived: what a client sees, byte by byte. text is the raw
// reply as latin1 (to search for markers), body the decoded chunked body.
function rawPost(port, p, body) {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    const reply = new Promise((res2) => {
      sock.on('data', (b) => chunks.push({ t: process.hrtime.bigint(), buf: b, text: b.toString('latin1') }));
      sock.on('end', () => {
        const all = Buffer.concat(chunks.map((c) => c.buf));
        const text = all.toString('latin1');
        res2({ chunks, text, body: dechunk(all.subarray(all.indexOf('\r\n\r\n') + 4)) });
      });
    });
    sock.on('error', reject);
    sock.on('connect', () => {
      sock.write(`POST ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${data.length}\r\nConnection: close\r\n\r\n`);
      sock.write(data, () => resolve({ sent: process.hrtime.bigint(), reply, chunksSoFar: () => chunks }));
    });
  });
}

const lines = (r) => r.text.split('\n').filter((l) => l).map((l) => JSON.parse(l));

module.exports = { ROOT, SERVER, MODELS, SKIP, sleep, sha256, start, request, rawPost, lines };
