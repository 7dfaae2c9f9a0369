'use strict';
// Helpers shared by the test backend's self-tests (selftest.js, llama.test.js):
// start server.js as a child process in a temporary directory, write its
// script, and make raw HTTP requests that report whatever happened.

const { spawn } = require('node:child_process');
const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const SERVER = path.join(__dirname, 'server.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Every server's directory goes when the self-test ends.
const dirs = [];
process.on('exit', () => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function start(extra = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-backend-'));
  dirs.push(dir);
  const child = spawn(process.execPath, [SERVER, '--dir', dir, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  const t0 = Date.now();
  while (!fs.existsSync(path.join(dir, 'port'))) {
    if (Date.now() - t0 > 5000) throw new Error(`no port file; stderr: ${stderr}`);
    await sleep(20);
  }
  const port = Number(fs.readFileSync(path.join(dir, 'port'), 'utf8'));
  return { dir, port, child, exited, stderr: () => stderr };
}

function script(srv, obj) {
  const f = path.join(srv.dir, 'script.json');
  fs.writeFileSync(f + '.tmp', typeof obj === 'string' ? obj : JSON.stringify(obj));
  fs.renameSync(f + '.tmp', f);
}

// Resolves with whatever happened: status, headers, raw bytes, the number of
// 'data' events, whether the body completed, and any error.
function request(port, method, p, body, headers = {}) {
  return new Promise((resolve) => {
    const out = { status: 0, headers: {}, buf: Buffer.alloc(0), text: '', events: 0, complete: false, error: null };
    const bufs = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      out.buf = Buffer.concat(bufs);
      out.text = out.buf.toString('utf8');
      try { out.json = JSON.parse(out.text); } catch { /* not JSON */ }
      resolve(out);
    };
    const data = body === undefined ? null : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    if (data) headers = Object.assign({ 'Content-Length': data.length }, headers);
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers, agent: false }, (res) => {
      out.status = res.statusCode;
      out.headers = res.headers;
      res.on('data', (b) => { bufs.push(b); out.events++; });
      res.on('error', (e) => { out.error = e; });
      res.on('close', () => { out.complete = res.complete; finish(); });
    });
    req.on('error', (e) => { out.error = e; setTimeout(finish, 10); });
    if (data) req.end(data); else req.end();
  });
}

module.exports = { SERVER, sleep, start, script, request };
