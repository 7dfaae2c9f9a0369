// peft.js: PEFT folders, safetensors and GGUF files for t_convert.sh and
// the bench, written and checked independently of loco's C code.
//
//   node peft.js base OUT.gguf [--arch A] [--layers N] [--hidden H]
//       [--heads N] [--kv N] [--head-dim D] [--ff F] [--sparse]
//       [--vocab V [--tied]]
//     a model GGUF with the blk.N.{attn_q,k,v,output,ffn_gate,up,down}
//     tensors (F16, zero data; --sparse leaves the data a hole); --vocab
//     adds token_embd.weight and, unless --tied, output.weight
//   node peft.js adapter DIR [same shape options] [--rank R]
//       [--targets q,k,v,o,gate,up,down,lm_head] [--dtype F32|F16|BF16]
//       [--alpha A] [--seed S] [--config JSON] [--nan N] [--prefix P]
//       [--infix .default]
//     a PEFT folder with random values; --config merges keys into
//     adapter_config.json; --nan puts N NaNs into the first lora_B
//   node peft.js raw OUT HEADER [DATABYTES]
//     a safetensors file with the given header text and data length
//   node peft.js check DIR OUT.gguf [--arch A] [--heads N] [--kv N] [--f16]
//     OUT.gguf is DIR converted: names, dims, type, alpha and every value
//     (permuted for llama, F16-rounded with --f16); exits 1 naming the
//     first difference
//   node peft.js cmp A.gguf B.gguf [--f16]
//     the same LoRA tensors with the same values (B within F16 rounding)
//   node peft.js merge BASE.gguf DIR OUT.gguf
//     BASE with DIR's lm_head LoRA merged into its F32 output.weight
//     (W + alpha / r * B A), what llama.cpp must compute with the LoRA
'use strict';
const fs = require('fs');
const path = require('path');

function opts(argv) {
  const o = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const k = a.slice(2);
      if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) o[k] = argv[++i];
      else o[k] = true;
    } else o._.push(a);
  }
  return o;
}

function mulberry(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// float32 -> IEEE half, round to nearest even (what loco must produce).
const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
function toHalf(v) {
  f32[0] = v;
  const x = u32[0], sign = (x >>> 16) & 0x8000;
  let exp = (x >>> 23) & 0xff, mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  exp -= 112;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp, half = 1 << (shift - 1), rest = mant & ((half << 1) - 1);
    let r = mant >>> shift;
    if (rest > half || (rest === half && (r & 1))) r++;
    return sign | r;
  }
  let h = sign | (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  return h;
}
function fromHalf(h) {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
function toBF16(v) { f32[0] = v; return u32[0] >>> 16; }  // truncation: exact for the values written
function fromBF16(h) { u32[0] = h << 16; return f32[0]; }

function shapeOf(o) {
  const arch = o.arch || 'qwen3', L = +(o.layers || 2), H = +(o.hidden || 64);
  const nh = +(o.heads || 4), kv = +(o.kv || nh), hd = +(o['head-dim'] || H / nh);
  const ff = +(o.ff || 2 * H), V = +(o.vocab || 0);
  return {
    arch, L, H, nh, kv, hd, ff, V,
    // [in, out] of each projection
    dims: {
      q: [H, nh * hd], k: [H, kv * hd], v: [H, kv * hd], o: [nh * hd, H],
      gate: [H, ff], up: [H, ff], down: [ff, H], lm_head: [H, V],
    },
  };
}
const HF = {
  q: 'self_attn.q_proj', k: 'self_attn.k_proj', v: 'self_attn.v_proj', o: 'self_attn.o_proj',
  gate: 'mlp.gate_proj', up: 'mlp.up_proj', down: 'mlp.down_proj', lm_head: 'lm_head',
};
const GG = { q: 'attn_q', k: 'attn_k', v: 'attn_v', o: 'attn_output', gate: 'ffn_gate', up: 'ffn_up', down: 'ffn_down' };

// GGUF writing
function ggufWriter() {
  const parts = [];
  const w = {
    u32(v) { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); parts.push(b); },
    u64(v) { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); parts.push(b); },
    str(s) { const b = Buffer.from(s); w.u64(b.length); parts.push(b); },
    kvs(k, s) { w.str(k); w.u32(8); w.str(s); },
    kvu(k, v) { w.str(k); w.u32(4); w.u32(v); },
    kvf(k, v) { w.str(k); w.u32(6); const b = Buffer.alloc(4); b.writeFloatLE(v); parts.push(b); },
    len() { return parts.reduce((s, b) => s + b.length, 0); },
    pad() { parts.push(Buffer.alloc((32 - (w.len() % 32)) % 32)); },
    parts,
  };
  return w;
}

function writeBase(out, o) {
  const s = shapeOf(o), w = ggufWriter(), tensors = [];
  for (let l = 0; l < s.L; l++)
    for (const m of Object.keys(GG)) tensors.push([`blk.${l}.${GG[m]}.weight`, s.dims[m]]);
  if (s.V) {
    tensors.unshift(['token_embd.weight', [s.H, s.V]]);
    if (!o.tied) tensors.push(['output.weight', [s.H, s.V]]);
  }
  w.parts.push(Buffer.from('GGUF')); w.u32(3); w.u64(tensors.length); w.u64(9);
  w.kvs('general.architecture', s.arch); w.kvs('general.type', 'model');
  w.kvs('general.name', 'synthetic ' + s.arch);
  w.kvu(`${s.arch}.block_count`, s.L); w.kvu(`${s.arch}.embedding_length`, s.H);
  w.kvu(`${s.arch}.attention.head_count`, s.nh); w.kvu(`${s.arch}.attention.head_count_kv`, s.kv);
  w.kvu(`${s.arch}.attention.key_length`, s.hd); w.kvu(`${s.arch}.feed_forward_length`, s.ff);
  let off = 0;
  for (const [n, [i, ou]] of tensors) {
    w.str(n); w.u32(2); w.u64(i); w.u64(ou); w.u32(1); w.u64(off);
    off += Math.ceil(i * ou * 2 / 32) * 32;
  }
  w.pad();
  const head = Buffer.concat(w.parts);
  const fd = fs.openSync(out, 'w');
  fs.writeSync(fd, head);
  if (o.sparse) fs.ftruncateSync(fd, head.length + off);
  else {
    const z = Buffer.alloc(1 << 20);
    for (let left = off; left > 0; left -= z.length) fs.writeSync(fd, z, 0, Math.min(left, z.length));
  }
  fs.closeSync(fd);
}

// safetensors writing: [name, dtype, shape, Float32Array]
function writeSafetensors(file, tensors, meta) {
  const header = {}, bufs = [];
  let off = 0;
  if (meta) header.__metadata__ = meta;
  for (const [name, dtype, shape, data] of tensors) {
    const size = dtype === 'F32' ? 4 : 2, b = Buffer.alloc(data.length * size);
    for (let i = 0; i < data.length; i++) {
      if (dtype === 'F32') b.writeFloatLE(data[i], i * 4);
      else b.writeUInt16LE(dtype === 'F16' ? toHalf(data[i]) : toBF16(data[i]), i * 2);
    }
    header[name] = { dtype, shape, data_offsets: [off, off + b.length] };
    off += b.length;
    bufs.push(b);
  }
  let h = Buffer.from(JSON.stringify(header));
  h = Buffer.concat([h, Buffer.alloc((8 - (h.length % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8); len.writeBigUInt64LE(BigInt(h.length));
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, len); fs.writeSync(fd, h);
  for (const b of bufs) fs.writeSync(fd, b);
  fs.closeSync(fd);
}

function readSafetensors(file) {
  const buf = fs.readFileSync(file), n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString()), out = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [b, e] = t.data_offsets, d = buf.subarray(8 + n + b, 8 + n + e);
    const size = t.dtype === 'F32' ? 4 : 2, v = new Float32Array(d.length / size);
    for (let i = 0; i < v.length; i++)
      v[i] = t.dtype === 'F32' ? d.readFloatLE(i * 4) :
        t.dtype === 'F16' ? fromHalf(d.readUInt16LE(i * 2)) : fromBF16(d.readUInt16LE(i * 2));
    out[name] = { shape: t.shape, data: v, dtype: t.dtype };
  }
  return out;
}

function defaultConfig(o, s, targets, rank, alpha) {
  return {
    alpha_pattern: {}, auto_mapping: null,
    base_model_name_or_path: o.basename || 'Qwen/Qwen3-4B-Instruct-2507', bias: 'none',
    fan_in_fan_out: false, inference_mode: true, init_lora_weights: true,
    layer_replication: null, layers_pattern: null, layers_to_transform: null,
    loftq_config: {}, lora_alpha: alpha, lora_dropout: 0.05, megatron_config: null,
    megatron_core: 'megatron.core', modules_to_save: null, peft_type: 'LORA',
    r: rank, rank_pattern: {}, revision: null,
    target_modules: targets.map((t) => HF[t].split('.').pop()), task_type: 'CAUSAL_LM',
    use_dora: false, use_rslora: false,
  };
}

function writeAdapter(dir, o) {
  const s = shapeOf(o), rnd = mulberry(+(o.seed || 1)), rank = +(o.rank || 4);
  const targets = (o.targets || 'q,k,v,o').split(','), dtype = o.dtype || 'F32';
  const alpha = +(o.alpha || 2 * rank), prefix = o.prefix || 'base_model.model.model.';
  const tensors = [];
  let nan = +(o.nan || 0);
  // lm_head once, after the layers, as PEFT saves it:
  // base_model.model.lm_head.lora_A.weight [r, hidden], lora_B [vocab, r].
  const blocks = [];
  for (let l = 0; l < s.L; l++)
    for (const t of targets) if (t !== 'lm_head') blocks.push([t, `${prefix}layers.${l}.${HF[t]}`]);
  if (targets.includes('lm_head')) {
    if (!s.V) throw new Error('an lm_head LoRA needs --vocab');
    blocks.push(['lm_head', `${o['head-prefix'] || 'base_model.model.'}lm_head`]);
  }
  for (const [t, base] of blocks) {
    const [i, ou] = s.dims[t];
    const a = new Float32Array(rank * i).map(() => (rnd() - 0.5) / 4);
    const b = new Float32Array(ou * rank).map(() => (rnd() - 0.5) / 4);
    for (; nan > 0; nan--) b[nan - 1] = NaN;
    const infix = o.infix || '';
    tensors.push([`${base}.lora_A${infix}.weight`, dtype, [rank, i], a]);
    tensors.push([`${base}.lora_B${infix}.weight`, dtype, [ou, rank], b]);
  }
  fs.mkdirSync(dir, { recursive: true });
  const cfg = Object.assign(defaultConfig(o, s, targets, rank, alpha), o.config ? JSON.parse(o.config) : {});
  fs.writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify(cfg, null, 2) + '\n');
  writeSafetensors(path.join(dir, 'adapter_model.safetensors'), tensors, { format: 'pt' });
}

// GGUF reading (the LoRA's tensors, F32 or F16)
function readGGUF(file) {
  const buf = fs.readFileSync(file);
  let p = 0;
  const u32 = () => { const v = buf.readUInt32LE(p); p += 4; return v; };
  const u64 = () => { const v = Number(buf.readBigUInt64LE(p)); p += 8; return v; };
  const str = () => { const n = u64(); const s = buf.toString('utf8', p, p + n); p += n; return s; };
  if (buf.toString('latin1', 0, 4) !== 'GGUF') throw new Error(`${file}: not GGUF`);
  p = 4; u32();
  const nt = u64(), nkv = u64(), kv = {};
  const sizes = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  const val = (t) => {
    if (t === 8) return str();
    if (t === 6) { const v = buf.readFloatLE(p); p += 4; return v; }
    if (t === 4) return u32();
    if (t === 9) { const et = u32(), n = u64(), a = []; for (let i = 0; i < n; i++) a.push(val(et)); return a; }
    const v = sizes[t]; p += v; return null;
  };
  for (let i = 0; i < nkv; i++) { const k = str(); kv[k] = val(u32()); }
  const infos = [];
  for (let i = 0; i < nt; i++) {
    const name = str(), nd = u32(), ne = [];
    for (let j = 0; j < nd; j++) ne.push(u64());
    infos.push({ name, ne, type: u32(), off: u64() });
  }
  const align = kv['general.alignment'] || 32, start = Math.ceil(p / align) * align, t = {};
  for (const x of infos) {
    const n = x.ne.reduce((a, b) => a * b, 1), v = new Float32Array(n), at = start + x.off;
    for (let i = 0; i < n; i++) v[i] = x.type === 0 ? buf.readFloatLE(at + 4 * i) : fromHalf(buf.readUInt16LE(at + 2 * i));
    t[x.name] = { ne: x.ne, type: x.type, data: v, at };
  }
  return { kv, tensors: t, order: infos.map((x) => x.name) };
}

function permuteRows(b, out, r, nh, inverse) {
  const hd = out / nh, half = hd / 2, res = new Float32Array(b.length);
  for (let h = 0; h < nh; h++)
    for (let i = 0; i < half; i++)
      for (let j = 0; j < 2; j++) {
        const to = h * hd + 2 * i + j, from = h * hd + j * half + i;
        const [d, s] = inverse ? [from, to] : [to, from];
        res.set(b.subarray(s * r, s * r + r), d * r);
      }
  return res;
}

function same(name, got, want, f16) {
  for (let i = 0; i < want.length; i++) {
    const w = f16 ? fromHalf(toHalf(want[i])) : Math.fround(want[i]);
    if (!(got[i] === w || (Number.isNaN(got[i]) && Number.isNaN(w))))
      throw new Error(`${name}[${i}]: ${got[i]}, expected ${w}`);
  }
}

function check(dir, gguf, o) {
  const st = readSafetensors(path.join(dir, 'adapter_model.safetensors'));
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'adapter_config.json')));
  const g = readGGUF(gguf), f16 = !!o.f16, arch = o.arch || 'qwen3';
  const want = cfg.use_rslora ? cfg.lora_alpha * Math.sqrt(cfg.r) : cfg.lora_alpha;
  const expect = (c, what) => { if (!c) throw new Error(`${gguf}: ${what}`); };
  expect(g.kv['general.type'] === 'adapter' && g.kv['adapter.type'] === 'lora', 'not a LoRA');
  expect(g.kv['general.architecture'] === arch, `architecture ${g.kv['general.architecture']}`);
  expect(Math.abs(g.kv['adapter.lora.alpha'] - want) < 1e-4, `alpha ${g.kv['adapter.lora.alpha']}, expected ${want}`);
  let n = 0;
  for (const [name, t] of Object.entries(st)) {
    let m = name.match(/layers\.(\d+)\.(self_attn|mlp)\.(\w+)_proj\.lora_([AB])/), mod, gname;
    if (m) {
      mod = Object.keys(HF).find((k) => HF[k] === `${m[2]}.${m[3]}_proj`);
      gname = `blk.${m[1]}.${GG[mod]}.weight.lora_${m[4].toLowerCase()}`;
    } else {
      m = name.match(/(^|\.)lm_head\.lora_([AB])/);
      expect(m, `${name}: not a LoRA name`);
      m = [m[0], null, null, null, m[2]];
      mod = 'lm_head';
      gname = `output.weight.lora_${m[4].toLowerCase()}`;
    }
    const gt = g.tensors[gname];
    expect(gt, `no ${gname}`);
    expect(gt.ne[0] === t.shape[1] && gt.ne[1] === t.shape[0], `${gname} ne ${gt.ne}, shape ${t.shape}`);
    expect(gt.type === (f16 ? 1 : 0), `${gname} type ${gt.type}`);
    let data = t.data;
    // alpha_pattern (literal module names): the ratio is in lora_B.
    const modpath = name.replace(/\.lora_[AB].*$/, '');
    for (const [k, v] of Object.entries(cfg.alpha_pattern || {}))
      if (m[4] === 'B' && (modpath === k || modpath.endsWith('.' + k))) {
        data = data.map((x) => x * (v / cfg.lora_alpha));
        break;
      }
    if (arch === 'llama' && m[4] === 'B' && (mod === 'q' || mod === 'k'))
      data = permuteRows(data, t.shape[0], t.shape[1], +(mod === 'q' ? o.heads : o.kv || o.heads));
    same(gname, gt.data, data, f16);
    n++;
  }
  expect(n === Object.keys(g.tensors).length, `${Object.keys(g.tensors).length} tensors, expected ${n}`);
  console.log(`${gguf}: ${n} tensors match ${dir}`);
}

function cmp(a, b, o) {
  const x = readGGUF(a), y = readGGUF(b);
  const names = Object.keys(x.tensors).sort(), other = Object.keys(y.tensors).sort();
  if (names.join() !== other.join()) throw new Error(`${a} and ${b} hold different tensors`);
  for (const k of ['general.architecture', 'general.type', 'adapter.type', 'adapter.lora.alpha'])
    if (x.kv[k] !== y.kv[k]) throw new Error(`${k}: ${x.kv[k]} vs ${y.kv[k]}`);
  for (const n of names) {
    if (x.tensors[n].ne.join() !== y.tensors[n].ne.join()) throw new Error(`${n}: dims ${x.tensors[n].ne} vs ${y.tensors[n].ne}`);
    same(n, y.tensors[n].data, x.tensors[n].data, !!o.f16);
  }
  console.log(`${b}: ${names.length} tensors equal to ${a}${o.f16 ? ' (F16-rounded)' : ''}`);
}

function merge(base, dir, out) {
  const buf = fs.readFileSync(base), g = readGGUF(base), W = g.tensors['output.weight'];
  const st = readSafetensors(path.join(dir, 'adapter_model.safetensors'));
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'adapter_config.json')));
  const A = Object.entries(st).find(([n]) => /lm_head\.lora_A/.test(n))[1];
  const B = Object.entries(st).find(([n]) => /lm_head\.lora_B/.test(n))[1];
  const r = A.shape[0], H = A.shape[1], V = B.shape[0], s = cfg.lora_alpha / r;
  if (!W || W.type !== 0 || W.ne[0] !== H || W.ne[1] !== V) throw new Error(`${base}: no F32 output.weight [${H}, ${V}]`);
  for (let o = 0; o < V; o++)
    for (let i = 0; i < H; i++) {
      let d = 0;
      for (let k = 0; k < r; k++) d += B.data[o * r + k] * A.data[k * H + i];
      buf.writeFloatLE(W.data[o * H + i] + s * d, W.at + 4 * (o * H + i));
    }
  fs.writeFileSync(out, buf);
}

module.exports = { readGGUF, writeSafetensors, readSafetensors, permuteRows, toHalf, fromHalf };

if (require.main === module) {
  const o = opts(process.argv.slice(2)), [cmd, a, b, c] = o._;
  try {
    if (cmd === 'base') writeBase(a, o);
    else if (cmd === 'adapter') writeAdapter(a, o);
    else if (cmd === 'raw') {
      const h = Buffer.from(b), len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(o.len !== undefined ? o.len : h.length));
      fs.writeFileSync(a, Buffer.concat([len, h, Buffer.alloc(+(c || 0))]));
    } else if (cmd === 'check') check(a, b, o);
    else if (cmd === 'cmp') cmp(a, b, o);
    else if (cmd === 'merge') merge(a, b, c);
    else throw new Error(`unknown command ${cmd}`);
  } catch (e) {
    console.error(`peft.js: ${e.message}`);
    process.exit(1);
  }
}
