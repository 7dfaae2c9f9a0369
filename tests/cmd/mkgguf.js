// mkgguf.js OUT [key=value ...]: write a small GGUF v3 file for tests.
// Values: "s:text" a string, "f:1.5" an f32, "u:7" a u32.  With no
// general.type given the file is a LoRA adapter for "llama"; one F32
// tensor follows, so the layout is what llama.cpp's loader accepts.
'use strict';
const fs = require('fs');

const out = process.argv[2];
const kv = new Map([
  ['general.architecture', 's:llama'],
  ['general.type', 's:adapter'],
  ['adapter.type', 's:lora'],
  ['adapter.lora.alpha', 'f:16'],
]);
for (const a of process.argv.slice(3)) {
  const i = a.indexOf('=');
  if (a.slice(i + 1) === '') kv.delete(a.slice(0, i));
  else kv.set(a.slice(0, i), a.slice(i + 1));
}

const parts = [];
const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); parts.push(b); };
const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); parts.push(b); };
const str = (s) => { const b = Buffer.from(s, 'utf8'); u64(b.length); parts.push(b); };

parts.push(Buffer.from('GGUF'));
u32(3);
u64(1);
u64(kv.size);
for (const [k, v] of kv) {
  str(k);
  const t = v.slice(0, 2), val = v.slice(2);
  if (t === 's:') { u32(8); str(val); }
  else if (t === 'f:') { u32(6); const b = Buffer.alloc(4); b.writeFloatLE(Number(val)); parts.push(b); }
  else if (t === 'u:') { u32(4); u32(Number(val)); }
  else throw new Error(`bad value ${v}`);
}
str('blk.0.attn_q.weight.lora_a');
u32(2); u64(4); u64(2); u32(0); u64(0);
let len = parts.reduce((s, b) => s + b.length, 0);
parts.push(Buffer.alloc((32 - (len % 32)) % 32));
const data = Buffer.alloc(32);
for (let i = 0; i < 8; i++) data.writeFloatLE(i / 8, i * 4);
parts.push(data);
fs.writeFileSync(out, Buffer.concat(parts));
