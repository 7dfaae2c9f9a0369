// static.js --dir DIR --portfile FILE [--cut BYTES]: a static file server
// on 127.0.0.1 for download tests, with Range support.  With --cut, the
// first response for each .gz file stops after BYTES bytes and the connection
// is dropped, so a client must resume.  Every request is appended to
// DIR/../static-requests.log as "METHOD PATH RANGE".  Paths under /endless/
// answer 200 with a body that never ends, as fast as the client reads;
// under /drip/, the same at 1 KiB every 50 ms.  Exits when its parent does,
// or after 120 s.
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
const opt = (k) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
const dir = path.resolve(opt('--dir'));
const cut = opt('--cut') ? Number(opt('--cut')) : 0;
const log = path.join(dir, '..', 'static-requests.log');
const served = new Set();

const server = http.createServer((req, res) => {
  const rel = decodeURIComponent(req.url.split('?')[0]);
  fs.appendFileSync(log, `${req.method} ${rel} ${req.headers.range || '-'}\n`);
  const endless = /^\/(endless|drip)\//.exec(rel);
  if (endless) {
    const chunk = Buffer.alloc(endless[1] === 'drip' ? 1024 : 65536, 'x');
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    const more = () => {
      if (res.destroyed) return;
      if (endless[1] === 'drip') { res.write(chunk); setTimeout(more, 50); return; }
      while (res.write(chunk)) { /* until the socket is full */ }
      res.once('drain', more);
    };
    req.socket.on('close', () => res.destroy());
    more();
    return;
  }
  const file = path.join(dir, rel);
  if (!file.startsWith(dir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404); res.end('not found'); return;
  }
  const size = fs.statSync(file).size;
  let start = 0;
  const m = /^bytes=(\d+)-$/.exec(req.headers.range || '');
  if (m) {
    start = Number(m[1]);
    if (start >= size) { res.writeHead(416, { 'Content-Range': `bytes */${size}` }); res.end(); return; }
    res.writeHead(206, { 'Content-Length': size - start, 'Content-Range': `bytes ${start}-${size - 1}/${size}` });
  } else {
    res.writeHead(200, { 'Content-Length': size });
  }
  const data = fs.readFileSync(file).subarray(start);
  if (cut > 0 && rel.endsWith('.gz') && !served.has(file) && data.length > cut) {
    served.add(file);
    res.write(data.subarray(0, cut), () => req.socket.destroy());
    return;
  }
  served.add(file);
  res.end(data);
});
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(opt('--portfile'), String(server.address().port));
});
const ppid = process.ppid;
setInterval(() => { if (process.ppid !== ppid) process.exit(0); }, 500).unref();
setTimeout(() => process.exit(0), 120000).unref();
