/**
 * A small GGUF (v3) writer for the CPU peer bench: a Llama model from the project's `LlamaWeights` as llama.cpp reads
 * it (architecture `llama`, tensors `token_embd`, `blk.N.attn_q` …), weights in f32, q8_0 or q4_0 — the latter two
 * written from the project's own int8/int4 quantisation (same groups of 32, same symmetric values; the scale stored as
 * f16, as the formats require), q/k rows permuted for llama.cpp's interleaved RoPE (what convert_hf_to_gguf.py does),
 * and a byte-fallback SentencePiece vocabulary (`<unk>`, `<s>`, `</s>`, `<0x00>`…`<0xFF>`, then `w<i>`): an ASCII
 * prompt tokenises to `3 + charCode` per character, without BOS or a space prefix.
 */
import { f32ToF16Bits } from '../src/engine/f16.ts';
import type { LlamaConfig, LlamaWeights } from '../src/engine/model/types.ts';
import { quantizeQ4, quantizeQ8 } from '../src/engine/quant.ts';

export type GgufFormat = 'f32' | 'q8_0' | 'q4_0';

const T_U32 = 4, T_I32 = 5, T_F32 = 6, T_BOOL = 7, T_STR = 8, T_ARR = 9;
const GGML = { f32: 0, q4_0: 2, q8_0: 8 } as const;

class Bytes {
  private chunks: Uint8Array[] = [];
  size = 0;
  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  u32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    this.push(b);
  }
  i32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    this.push(b);
  }
  u64(v: number): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    this.push(b);
  }
  f32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
  }
  str(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.push(b);
  }
  pad(align: number): void {
    const n = (align - (this.size % align)) % align;
    if (n) this.push(new Uint8Array(n));
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/** Rows of `w` ([rows, cols]) reordered for llama.cpp's RoPE: per head, row h·hd + 2i + j ← h·hd + j·hd/2 + i. */
function permuteRope(w: Float32Array, heads: number, hd: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < hd / 2; i++)
      for (let j = 0; j < 2; j++) out.set(w.subarray((h * hd + j * (hd / 2) + i) * cols, (h * hd + j * (hd / 2) + i + 1) * cols), (h * hd + 2 * i + j) * cols);
  return out;
}

function tensorBytes(data: Float32Array, rows: number, cols: number, format: GgufFormat): Uint8Array {
  if (format === 'f32' || rows === 1) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const blocks = (rows * cols) / 32;
  if (format === 'q8_0') {
    const q = quantizeQ8(data, rows, cols);
    const out = new Uint8Array(blocks * 34);
    const dv = new DataView(out.buffer);
    for (let b = 0; b < blocks; b++) {
      dv.setUint16(b * 34, f32ToF16Bits(q.scales[b]!), true);
      out.set(new Uint8Array(q.q.buffer, q.q.byteOffset + b * 32, 32), b * 34 + 2);
    }
    return out;
  }
  const q = quantizeQ4(data, rows, cols);
  const out = new Uint8Array(blocks * 18);
  const dv = new DataView(out.buffer);
  const nib = (i: number): number => (i & 1 ? q.q[i >> 1]! >> 4 : q.q[i >> 1]! & 15);
  for (let b = 0; b < blocks; b++) {
    dv.setUint16(b * 18, f32ToF16Bits(q.scales[b]!), true);
    // q4_0: byte j holds element j (low nibble) and element j + 16 (high nibble); the project's: 2j and 2j + 1
    for (let j = 0; j < 16; j++) out[b * 18 + 2 + j] = nib(b * 32 + j) | (nib(b * 32 + j + 16) << 4);
  }
  return out;
}

export function writeGguf(config: LlamaConfig, weights: LlamaWeights, format: GgufFormat): Uint8Array {
  const c = config;
  const d = c.hiddenSize;
  const vocab: string[] = ['<unk>', '<s>', '</s>'];
  const types: number[] = [2, 3, 3];
  for (let b = 0; b < 256; b++) {
    vocab.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  while (vocab.length < c.vocabSize) {
    vocab.push(`w${vocab.length}`);
    types.push(1);
  }
  const meta: [string, number, (b: Bytes) => void][] = [
    ['general.architecture', T_STR, (b) => b.str('llama')],
    ['general.alignment', T_U32, (b) => b.u32(32)],
    ['llama.context_length', T_U32, (b) => b.u32(c.maxPositionEmbeddings)],
    ['llama.embedding_length', T_U32, (b) => b.u32(d)],
    ['llama.block_count', T_U32, (b) => b.u32(c.numLayers)],
    ['llama.feed_forward_length', T_U32, (b) => b.u32(c.intermediateSize)],
    ['llama.attention.head_count', T_U32, (b) => b.u32(c.numHeads)],
    ['llama.attention.head_count_kv', T_U32, (b) => b.u32(c.numKvHeads)],
    ['llama.attention.key_length', T_U32, (b) => b.u32(c.headDim)],
    ['llama.attention.value_length', T_U32, (b) => b.u32(c.headDim)],
    ['llama.rope.dimension_count', T_U32, (b) => b.u32(c.headDim)],
    ['llama.attention.layer_norm_rms_epsilon', T_F32, (b) => b.f32(c.rmsNormEps)],
    ['llama.rope.freq_base', T_F32, (b) => b.f32(c.ropeTheta)],
    ['llama.vocab_size', T_U32, (b) => b.u32(c.vocabSize)],
    ['tokenizer.ggml.model', T_STR, (b) => b.str('llama')],
    ['tokenizer.ggml.tokens', T_ARR, (b) => (b.u32(T_STR), b.u64(vocab.length), vocab.forEach((t) => b.str(t)))],
    ['tokenizer.ggml.scores', T_ARR, (b) => (b.u32(T_F32), b.u64(vocab.length), vocab.forEach((_, i) => b.f32(i < 259 ? 0 : -i)))],
    ['tokenizer.ggml.token_type', T_ARR, (b) => (b.u32(T_I32), b.u64(types.length), types.forEach((t) => b.i32(t)))],
    ['tokenizer.ggml.unknown_token_id', T_U32, (b) => b.u32(0)],
    ['tokenizer.ggml.bos_token_id', T_U32, (b) => b.u32(1)],
    ['tokenizer.ggml.eos_token_id', T_U32, (b) => b.u32(2)],
    ['tokenizer.ggml.add_bos_token', T_BOOL, (b) => b.push(Uint8Array.of(0))],
    ['tokenizer.ggml.add_space_prefix', T_BOOL, (b) => b.push(Uint8Array.of(0))],
  ];
  const tensors: { name: string; rows: number; cols: number; data: Float32Array; quant: boolean }[] = [];
  const add = (name: string, data: Float32Array, rows: number, cols: number, quant = true): void => {
    tensors.push({ name, rows, cols, data, quant });
  };
  add('token_embd.weight', weights.embed.data, c.vocabSize, d);
  add('output_norm.weight', weights.finalNorm, 1, d, false);
  if (!c.tieWordEmbeddings && weights.lmHead) add('output.weight', weights.lmHead.data, c.vocabSize, d);
  weights.layers.forEach((l, i) => {
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    add(`blk.${i}.attn_norm.weight`, l.inputNorm, 1, d, false);
    add(`blk.${i}.attn_q.weight`, permuteRope(l.q.data, c.numHeads, c.headDim, d), qDim, d);
    add(`blk.${i}.attn_k.weight`, permuteRope(l.k.data, c.numKvHeads, c.headDim, d), kvDim, d);
    add(`blk.${i}.attn_v.weight`, l.v.data, kvDim, d);
    add(`blk.${i}.attn_output.weight`, l.o.data, d, qDim);
    add(`blk.${i}.ffn_norm.weight`, l.postAttentionNorm, 1, d, false);
    add(`blk.${i}.ffn_gate.weight`, l.gate.data, c.intermediateSize, d);
    add(`blk.${i}.ffn_up.weight`, l.up.data, c.intermediateSize, d);
    add(`blk.${i}.ffn_down.weight`, l.down.data, d, c.intermediateSize);
  });
  const head = new Bytes();
  head.push(new TextEncoder().encode('GGUF'));
  head.u32(3);
  head.u64(tensors.length);
  head.u64(meta.length);
  for (const [k, t, w] of meta) {
    head.str(k);
    head.u32(t);
    w(head);
  }
  const datas = tensors.map((t) => tensorBytes(t.data, t.rows, t.cols, t.quant ? format : 'f32'));
  let off = 0;
  tensors.forEach((t, i) => {
    head.str(t.name);
    if (t.rows === 1) {
      head.u32(1);
      head.u64(t.cols);
    } else {
      head.u32(2);
      head.u64(t.cols);
      head.u64(t.rows);
    }
    head.u32(t.quant && t.rows > 1 ? GGML[format] : GGML.f32);
    head.u64(off);
    off += Math.ceil(datas[i]!.length / 32) * 32;
  });
  head.pad(32);
  for (const dt of datas) {
    head.push(dt);
    head.pad(32);
  }
  return head.concat();
}
