/**
 * Peak memory of loading a bf16 checkpoint through the engine's real path (URL source with a byte cache, safetensors
 * reader, CPU backend, int8): weights must stream tensor by tensor, so what stays alive between tensors is about one
 * tensor plus the quantised model, never the whole model as f32.
 *
 * Bigger model for a measurement (prints the figures):
 *   TRIBUTARY_MEM_LAYERS=24 TRIBUTARY_MEM_HIDDEN=1024 npx vitest run src/services/engine/loadMemory.test.ts
 */
import 'fake-indexeddb/auto';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { QuantChoice } from '../../workerApi/engineApi.ts';
import { memoryByteCache } from '../../engine/formats/byteCache.ts';
import { modelConfigToHfJson } from '../../engine/formats/config.ts';
import { randomConfig } from '../../engine/model/randomModel.ts';
import type { LlamaConfig } from '../../engine/model/types.ts';
import { BYTE_TO_CHAR } from '../../engine/tokenizer/byteLevel.ts';
import { TributaryDB } from '../../store/db.ts';
import { EngineService } from './EngineService.ts';

// a full collection before each sample, so the figures are what is alive, not garbage the GC has not reached yet
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const BASE = 'https://models.test/m/';

/** A bf16 safetensors checkpoint with HF names, filled with cheap finite pseudo-random values (no f32 copy made). */
function bf16Checkpoint(c: LlamaConfig): Uint8Array {
  const d = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const list: [string, number[]][] = [['model.embed_tokens.weight', [c.vocabSize, d]], ['model.norm.weight', [d]]];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    list.push(
      [`${p}input_layernorm.weight`, [d]],
      [`${p}post_attention_layernorm.weight`, [d]],
      [`${p}self_attn.q_proj.weight`, [q, d]],
      [`${p}self_attn.k_proj.weight`, [kv, d]],
      [`${p}self_attn.v_proj.weight`, [kv, d]],
      [`${p}self_attn.o_proj.weight`, [d, q]],
      [`${p}mlp.gate_proj.weight`, [c.intermediateSize, d]],
      [`${p}mlp.up_proj.weight`, [c.intermediateSize, d]],
      [`${p}mlp.down_proj.weight`, [d, c.intermediateSize]],
    );
  }
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [name, shape] of list) {
    const n = shape.reduce((a, b) => a * b, 1) * 2;
    header[name] = { dtype: 'BF16', shape, data_offsets: [off, off + n] };
    off += n;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + off);
  new DataView(out.buffer).setUint32(0, hb.length, true);
  out.set(hb, 8);
  const vals = new Uint16Array(out.buffer, 8 + hb.length, off / 2);
  let s = 0x9e3779b9;
  for (let i = 0; i < vals.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    // sign, exponent 2^-7..2^0, any mantissa: finite, O(0.1)
    vals[i] = (s >>> 16) & 0x8000 ? 0xbc00 | (s & 0x3ff) : 0x3c00 | (s & 0x3ff);
  }
  return out;
}

function folder(c: LlamaConfig): Map<string, Uint8Array> {
  const enc = (x: string): Uint8Array => new TextEncoder().encode(x);
  const vocab: Record<string, number> = {};
  for (let b = 0; b < 256; b++) vocab[BYTE_TO_CHAR[b]!] = b;
  const tokenizer = { version: '1.0', added_tokens: [], normalizer: null, pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true }, post_processor: null, decoder: { type: 'ByteLevel' }, model: { type: 'BPE', vocab, merges: [] } };
  return new Map([
    ['config.json', enc(JSON.stringify(modelConfigToHfJson({ ...c, eosTokenIds: [0] })))],
    ['tokenizer.json', enc(JSON.stringify(tokenizer))],
    ['model.safetensors', bf16Checkpoint(c)],
  ]);
}

interface Measured {
  f32Bytes: number;
  fileBytes: number;
  /** largest (live arrayBuffers at a tensor boundary) − (live arrayBuffers once the files were in the cache) */
  peakExtra: number;
  peakRssExtra: number;
  /** the process's peak resident set over its whole life (the test runner included) */
  maxRss: number;
}

async function measureLoad(c: LlamaConfig, quant: QuantChoice): Promise<Measured> {
  const files = folder(c);
  const fileBytes = files.get('model.safetensors')!.length;
  const db = new TributaryDB(`load-memory-${crypto.randomUUID()}`);
  const fakeFetch = (url: string): Promise<Response> => {
    const bytes = url.startsWith(BASE) ? files.get(url.slice(BASE.length)) : undefined;
    if (!bytes) return Promise.resolve(new Response('not found', { status: 404 }));
    // hand the body over once, so the test's own copy does not count against the loader
    files.delete(url.slice(BASE.length));
    return Promise.resolve(new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers: { 'content-length': String(bytes.length) } }));
  };
  const engine = new EngineService({ db, now: () => Date.now(), fetch: fakeFetch, cache: memoryByteCache() });
  await engine.init({ appBaseUrl: 'https://app.test/' });
  let base: { ab: number; rss: number } | null = null;
  let peak = 0;
  let peakRss = 0;
  const sample = (): { ab: number; rss: number } => {
    gc();
    const m = process.memoryUsage();
    return { ab: m.arrayBuffers, rss: m.rss };
  };
  await engine.loadModel({ kind: 'url', url: BASE }, { quant }, (p) => {
    if (p.phase !== 'weights') return;
    if (!base) base = sample();
    const s = sample();
    peak = Math.max(peak, s.ab - base.ab);
    peakRss = Math.max(peakRss, s.rss - base.rss);
  });
  const params = c.vocabSize * c.hiddenSize + c.numLayers * (2 * c.hiddenSize + c.hiddenSize * (c.numHeads + 2 * c.numKvHeads) * c.headDim + c.numHeads * c.headDim * c.hiddenSize + 3 * c.hiddenSize * c.intermediateSize) + c.hiddenSize;
  await db.delete();
  return { f32Bytes: params * 4, fileBytes, peakExtra: peak, peakRssExtra: peakRss, maxRss: process.resourceUsage().maxRSS * 1024 };
}

const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);

describe('model loading memory', () => {
  it('streams the weights: live memory while loading int8 stays well under the model as f32', { timeout: 300_000 }, async () => {
    const hidden = env('TRIBUTARY_MEM_HIDDEN', 256);
    const c = randomConfig({
      vocabSize: env('TRIBUTARY_MEM_VOCAB', 2048),
      hiddenSize: hidden,
      intermediateSize: hidden * 3,
      numLayers: env('TRIBUTARY_MEM_LAYERS', 8),
      numHeads: 8,
      numKvHeads: 4,
      headDim: hidden / 8,
      maxPositionEmbeddings: 512,
      tieWordEmbeddings: true,
    });
    const m = await measureLoad(c, 'q8');
    const mb = (n: number): string => (n / 2 ** 20).toFixed(1) + ' MB';
    console.log(`f32 model ${mb(m.f32Bytes)}, bf16 file ${mb(m.fileBytes)}; peak extra arrayBuffers ${mb(m.peakExtra)} (${(m.peakExtra / m.f32Bytes).toFixed(2)}× f32), rss ${mb(m.peakRssExtra)}; process max RSS ${mb(m.maxRss)}`);
    expect(m.peakExtra).toBeLessThanOrEqual(m.f32Bytes * 0.6);
  });
});
