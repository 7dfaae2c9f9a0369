'use strict';
// Minimal GGUF header reader (node: built-ins only): key/values and tensor
// infos, enough for /api/show, create's checks and the adapter/base match.
// Arrays longer than 64 elements are skipped (their length is kept), so
// reading a header does not materialise the tokenizer vocabulary.

const fs = require('node:fs');

const T = { U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12 };
const SIZE = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

class Reader {
  constructor(fd) { this.fd = fd; this.pos = 0; this.buf = Buffer.alloc(0); this.bufPos = 0; }
  need(n) {
    if (this.pos + n <= this.bufPos + this.buf.length && this.pos >= this.bufPos) return;
    const size = Math.max(n, 1 << 16);
    const b = Buffer.alloc(size);
    const got = fs.readSync(this.fd, b, 0, size, this.pos);
    if (got < n) throw new Error('unexpected EOF') // Go's io.ErrUnexpectedEOF, as Ollama says;
    this.buf = b.subarray(0, got);
    this.bufPos = this.pos;
  }
  bytes(n) { this.need(n); const o = this.pos - this.bufPos; this.pos += n; return this.buf.subarray(o, o + n); }
  u32() { return this.bytes(4).readUInt32LE(0); }
  u64() { const v = this.bytes(8).readBigUInt64LE(0); if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('GGUF value too large'); return Number(v); }
  str() { const n = this.u64(); if (n > 1 << 26) throw new Error('GGUF string too long'); return this.bytes(n).toString('utf8'); }
  scalar(t) {
    switch (t) {
      case T.U8: return this.bytes(1).readUInt8(0);
      case T.I8: return this.bytes(1).readInt8(0);
      case T.U16: return this.bytes(2).readUInt16LE(0);
      case T.I16: return this.bytes(2).readInt16LE(0);
      case T.U32: return this.u32();
      case T.I32: return this.bytes(4).readInt32LE(0);
      case T.F32: return this.bytes(4).readFloatLE(0);
      case T.BOOL: return this.bytes(1).readUInt8(0) !== 0;
      case T.STRING: return this.str();
      case T.U64: return this.u64();
      case T.I64: return Number(this.bytes(8).readBigInt64LE(0));
      case T.F64: return this.bytes(8).readDoubleLE(0);
      default: throw new Error(`bad GGUF value type ${t}`);
    }
  }
  value(t) {
    if (t !== T.ARRAY) return this.scalar(t);
    const et = this.u32();
    const n = this.u64();
    if (n <= 64) { const a = []; for (let i = 0; i < n; i++) a.push(this.value(et)); return a; }
    if (et === T.STRING) { for (let i = 0; i < n; i++) { const l = this.u64(); this.pos += l; } } else if (SIZE[et]) this.pos += n * SIZE[et];
    else throw new Error('nested GGUF arrays are not supported');
    return { arrayLength: n };
  }
}

// Returns {version, kv: {key: value}, tensors: [{name, dims, type}], params}
// or throws Error('invalid file magic') etc.
function readGguf(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const r = new Reader(fd);
    if (r.bytes(4).toString('latin1') !== 'GGUF') throw new Error('invalid file magic');
    const version = r.u32();
    if (version < 2 || version > 3) throw new Error(`unsupported GGUF version ${version}`);
    const nt = r.u64();
    const nkv = r.u64();
    const kv = {};
    for (let i = 0; i < nkv; i++) {
      const k = r.str();
      kv[k] = r.value(r.u32());
    }
    const tensors = [];
    let params = 0;
    for (let i = 0; i < nt; i++) {
      const name = r.str();
      const nd = r.u32();
      const dims = [];
      for (let j = 0; j < nd; j++) dims.push(r.u64());
      const type = r.u32();
      r.u64(); // offset
      tensors.push({ name, dims, type });
      params += dims.reduce((a, b) => a * b, 1);
    }
    return { version, kv, tensors, params };
  } finally {
    fs.closeSync(fd);
  }
}

module.exports = { readGguf };
