// export_peft.js: write each tiny-world LoRA GGUF out as the folder
// Hugging Face PEFT saves (adapter_config.json and
// adapter_model.safetensors), so that `loco adapters convert` has real
// adapters to convert and be checked against (tests/cmd/t_convert.sh).
//
//   node adapters/tiny/train/export_peft.js [--out DIR] [DOMAIN ...]
//
// writes adapters/tiny/peft/DOMAIN/ (or DIR/DOMAIN/).
//
// The inverse of the conversion: blk.N.attn_q.weight.lora_a (GGUF ne
// [in, r]) becomes base_model.model.model.layers.N.self_attn.q_proj.
// lora_A.weight (torch shape [r, in], the same bytes), and the rows of
// q's and k's lora_B go back from llama.cpp's adjacent RoPE pairs to
// Hugging Face's split halves (the inverse of convert_hf_to_gguf.py's
// LlamaModel.permute), since the tiny model is llama.  Values stay F32,
// so a conversion with --outtype f32 gives back the reference exactly.
// The safetensors file is written here, byte by byte: no Python, no
// safetensors package.
'use strict';
const fs = require('fs');
const path = require('path');

const tiny = path.join(__dirname, '..');
const HF = {
  attn_q: 'self_attn.q_proj', attn_k: 'self_attn.k_proj', attn_v: 'self_attn.v_proj',
  attn_output: 'self_attn.o_proj', ffn_gate: 'mlp.gate_proj', ffn_up: 'mlp.up_proj',
  ffn_down: 'mlp.down_proj',
};

function readGGUF(file) {
  const buf = fs.readFileSync(file);
  let p = 4;
  const u32 = () => { const v = buf.readUInt32LE(p); p += 4; return v; };
  const u64 = () => { const v = Number(buf.readBigUInt64LE(p)); p += 8; return v; };
  const str = () => { const n = u64(); const s = buf.toString('utf8', p, p + n); p += n; return s; };
  const size = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  const val = (t) => {
    if (t === 8) return str();
    if (t === 9) { const et = u32(), n = u64(), a = []; for (let i = 0; i < n; i++) a.push(val(et)); return a; }
    if (t === 4) return u32();
    if (t === 6) { const v = buf.readFloatLE(p); p += 4; return v; }
    p += size[t];
    return null;
  };
  if (buf.toString('latin1', 0, 4) !== 'GGUF') throw new Error(`${file}: not a GGUF file`);
  u32();
  const nt = u64(), nkv = u64(), kv = {}, infos = [];
  for (let i = 0; i < nkv; i++) { const k = str(); kv[k] = val(u32()); }
  for (let i = 0; i < nt; i++) {
    const name = str(), nd = u32(), ne = [];
    for (let j = 0; j < nd; j++) ne.push(u64());
    infos.push({ name, ne, type: u32(), off: u64() });
  }
  const align = kv['general.alignment'] || 32, start = Math.ceil(p / align) * align;
  for (const t of infos) {
    if (t.type !== 0) throw new Error(`${file}: ${t.name} is not F32`);
    const n = t.ne.reduce((a, b) => a * b, 1);
    t.data = new Float32Array(n);
    for (let i = 0; i < n; i++) t.data[i] = buf.readFloatLE(start + t.off + 4 * i);
  }
  return { kv, tensors: infos };
}

// GGUF rows (adjacent pairs) back to Hugging Face's (halves apart).
function unpermute(b, out, r, nh) {
  const hd = out / nh, half = hd / 2, res = new Float32Array(b.length);
  for (let h = 0; h < nh; h++)
    for (let i = 0; i < half; i++)
      for (let j = 0; j < 2; j++) {
        const gguf = h * hd + 2 * i + j, hf = h * hd + j * half + i;
        res.set(b.subarray(gguf * r, gguf * r + r), hf * r);
      }
  return res;
}

function writeSafetensors(file, tensors) {
  const header = { __metadata__: { format: 'pt' } }, bufs = [];
  let off = 0;
  for (const [name, shape, data] of tensors) {
    const b = Buffer.alloc(data.length * 4);
    for (let i = 0; i < data.length; i++) b.writeFloatLE(data[i], 4 * i);
    header[name] = { dtype: 'F32', shape, data_offsets: [off, off + b.length] };
    off += b.length;
    bufs.push(b);
  }
  let h = Buffer.from(JSON.stringify(header));
  h = Buffer.concat([h, Buffer.alloc((8 - (h.length % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  fs.writeFileSync(file, Buffer.concat([len, h, ...bufs]));
}

function exportOne(domain, base, outdir) {
  const arch = base.kv['general.architecture'];
  const nh = base.kv[`${arch}.attention.head_count`];
  const nkv = base.kv[`${arch}.attention.head_count_kv`] || nh;
  const g = readGGUF(path.join(tiny, `${domain}.gguf`));
  const tensors = [], targets = new Set();
  let rank = 0;
  for (const t of g.tensors) {
    const m = t.name.match(/^blk\.(\d+)\.(\w+)\.weight\.lora_([ab])$/);
    if (!m || !HF[m[2]]) throw new Error(`${domain}.gguf: unexpected tensor ${t.name}`);
    const [cols, rows] = t.ne;
    let data = t.data;
    if (m[3] === 'b' && arch === 'llama' && (m[2] === 'attn_q' || m[2] === 'attn_k'))
      data = unpermute(data, rows, cols, m[2] === 'attn_q' ? nh : nkv);
    if (m[3] === 'a') rank = rows;
    targets.add(HF[m[2]].split('.')[1]);
    tensors.push([`base_model.model.model.layers.${m[1]}.${HF[m[2]]}.lora_${m[3].toUpperCase()}.weight`,
      [rows, cols], data]);
  }
  // The keys PEFT 0.13 writes for LoraConfig(r=8, lora_alpha=16, ...).
  const config = {
    alpha_pattern: {}, auto_mapping: null, base_model_name_or_path: 'tiny-base',
    bias: 'none', fan_in_fan_out: false, inference_mode: true, init_lora_weights: true,
    layer_replication: null, layers_pattern: null, layers_to_transform: null,
    loftq_config: {}, lora_alpha: g.kv['adapter.lora.alpha'], lora_dropout: 0.0,
    megatron_config: null, megatron_core: 'megatron.core', modules_to_save: null,
    peft_type: 'LORA', r: rank, rank_pattern: {}, revision: null,
    target_modules: [...targets].sort(), task_type: 'CAUSAL_LM', use_dora: false,
    use_rslora: false,
  };
  const dir = path.join(outdir, domain);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify(config, null, 2) + '\n');
  writeSafetensors(path.join(dir, 'adapter_model.safetensors'), tensors);
  console.log(`${dir}: ${tensors.length} tensors, rank ${rank}, alpha ${config.lora_alpha}`);
}

const args = process.argv.slice(2);
let outdir = path.join(tiny, 'peft');
if (args[0] === '--out') { outdir = args[1]; args.splice(0, 2); }
const base = readGGUF(path.join(tiny, 'base.gguf'));
for (const d of args.length ? args : ['math', 'code', 'analysis', 'writing']) exportOne(d, base, outdir);
