import { TributaryError } from '../../core/errors.ts';
import type { F32Matrix } from '../quant.ts';
import type { LlamaConfig, LlamaLayerWeights, LlamaWeights } from '../model/types.ts';
import { SafetensorsReader, type RangeReader, type Tensor, type TensorToWrite } from './safetensors.ts';

/** A Llama-family model's weights as f32 (PyTorch layout `[out, in]`); the forward pass's `LlamaWeights`. */
export type ModelWeights = LlamaWeights;

/** Named tensors from one or more safetensors files. */
export interface TensorSource {
  names(): string[];
  shape(name: string): number[] | undefined;
  /** the shard file that holds `name` */
  fileOf(name: string): string | undefined;
  tensor(name: string, opts?: { rejectNonFinite?: boolean }): Promise<Tensor>;
}

/** Opens a file of the checkpoint by its name (`model.safetensors`, `model-00001-of-00002.safetensors`). */
export type OpenFile = (fileName: string) => Promise<Uint8Array | RangeReader>;

/** The standard HF names of a single-file and a sharded checkpoint. */
export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

/** Parses `model.safetensors.index.json` -> tensor name -> shard file. */
export function parseWeightMap(index: string | object): Map<string, string> {
  let j: unknown = index;
  if (typeof index === 'string') {
    try {
      j = JSON.parse(index);
    } catch (e) {
      throw new TributaryError('model/safetensors', `the index is not valid JSON (${(e as Error).message}).`, INDEX_FILE);
    }
  }
  const wm = (j as { weight_map?: unknown } | null)?.weight_map;
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) {
    throw new TributaryError('model/safetensors', 'the index has no "weight_map" object (tensor name -> file).', INDEX_FILE);
  }
  const out = new Map<string, string>();
  for (const [name, file] of Object.entries(wm as Record<string, unknown>)) {
    if (typeof file !== 'string' || !file.endsWith('.safetensors') || file.includes('/') || file.includes('\\') || file.startsWith('.')) {
      throw new TributaryError('model/safetensors', `weight_map["${name}"] is not a .safetensors file name in the same folder (${JSON.stringify(file)}).`, INDEX_FILE);
    }
    out.set(name, file);
  }
  return out;
}

/** A TensorSource over already opened safetensors files (file name -> reader). */
export function tensorSourceFromReaders(readers: ReadonlyMap<string, SafetensorsReader>, weightMap?: ReadonlyMap<string, string>): TensorSource {
  const where = new Map<string, string>();
  for (const [file, r] of readers) {
    for (const n of r.names) {
      if (where.has(n) && !weightMap) {
        throw new TributaryError('model/safetensors', `the tensor "${n}" is in both ${where.get(n)} and ${file}.`, file);
      }
      if (!where.has(n)) where.set(n, file);
    }
  }
  if (weightMap) {
    for (const [name, file] of weightMap) {
      const r = readers.get(file);
      if (!r?.info(name)) {
        throw new TributaryError('model/missing-tensor', `the index says "${name}" is in ${file}, but that file does not hold it. The download may be incomplete or from another revision.`, file);
      }
      where.set(name, file);
    }
  }
  return {
    names: () => Array.from(where.keys()),
    shape: (n) => {
      const f = where.get(n);
      return f ? readers.get(f)!.info(n)!.shape.slice() : undefined;
    },
    fileOf: (n) => where.get(n),
    tensor: (n, opts = {}) => {
      const f = where.get(n);
      if (!f) return Promise.reject(new TributaryError('model/missing-tensor', `the checkpoint has no tensor named "${n}".`));
      return readers.get(f)!.tensor(n, opts);
    },
  };
}

/**
 * Opens a checkpoint: with an index (`model.safetensors.index.json`'s text or object) every shard it
 * names, otherwise `model.safetensors`. Only the headers are read here.
 */
export async function openCheckpoint(open: OpenFile, opts: { index?: string | object | null } = {}): Promise<TensorSource> {
  const readers = new Map<string, SafetensorsReader>();
  if (opts.index) {
    const wm = parseWeightMap(opts.index);
    for (const file of new Set(wm.values())) readers.set(file, await SafetensorsReader.open(await open(file), { name: file }));
    return tensorSourceFromReaders(readers, wm);
  }
  readers.set(SINGLE_FILE, await SafetensorsReader.open(await open(SINGLE_FILE), { name: SINGLE_FILE }));
  return tensorSourceFromReaders(readers);
}

interface Expected {
  name: string;
  shape: number[];
  put: (t: Tensor) => void;
}

/** The HF tensor names and shapes a config implies, with where each goes in `ModelWeights`. */
function expectedTensors(c: LlamaConfig, w: { embed?: F32Matrix; finalNorm?: Float32Array; lmHead?: F32Matrix; layers: Partial<LlamaLayerWeights>[] }): Expected[] {
  const d = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const ff = c.intermediateSize;
  const mat = (t: Tensor): F32Matrix => ({ kind: 'f32', rows: t.shape[0]!, cols: t.shape[1]!, data: t.data });
  const list: Expected[] = [
    { name: 'model.embed_tokens.weight', shape: [c.vocabSize, d], put: (t) => (w.embed = mat(t)) },
    { name: 'model.norm.weight', shape: [d], put: (t) => (w.finalNorm = t.data) },
  ];
  // a tied model may still ship lm_head.weight (a copy of the embeddings): it is ignored
  if (!c.tieWordEmbeddings) list.push({ name: 'lm_head.weight', shape: [c.vocabSize, d], put: (t) => (w.lmHead = mat(t)) });
  for (let i = 0; i < c.numLayers; i++) {
    const L: Partial<LlamaLayerWeights> = {};
    w.layers.push(L);
    const p = `model.layers.${i}.`;
    list.push(
      { name: `${p}input_layernorm.weight`, shape: [d], put: (t) => (L.inputNorm = t.data) },
      { name: `${p}post_attention_layernorm.weight`, shape: [d], put: (t) => (L.postAttentionNorm = t.data) },
      { name: `${p}self_attn.q_proj.weight`, shape: [qDim, d], put: (t) => (L.q = mat(t)) },
      { name: `${p}self_attn.k_proj.weight`, shape: [kvDim, d], put: (t) => (L.k = mat(t)) },
      { name: `${p}self_attn.v_proj.weight`, shape: [kvDim, d], put: (t) => (L.v = mat(t)) },
      { name: `${p}self_attn.o_proj.weight`, shape: [d, qDim], put: (t) => (L.o = mat(t)) },
      { name: `${p}mlp.gate_proj.weight`, shape: [ff, d], put: (t) => (L.gate = mat(t)) },
      { name: `${p}mlp.up_proj.weight`, shape: [ff, d], put: (t) => (L.up = mat(t)) },
      { name: `${p}mlp.down_proj.weight`, shape: [d, ff], put: (t) => (L.down = mat(t)) },
    );
    if (c.attentionBias) {
      list.push(
        { name: `${p}self_attn.q_proj.bias`, shape: [qDim], put: (t) => (L.qBias = t.data) },
        { name: `${p}self_attn.k_proj.bias`, shape: [kvDim], put: (t) => (L.kBias = t.data) },
        { name: `${p}self_attn.v_proj.bias`, shape: [kvDim], put: (t) => (L.vBias = t.data) },
      );
    }
  }
  return list;
}

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** Checks that every tensor the config implies is present with the right shape (reads no tensor data). */
export function checkCheckpoint(config: LlamaConfig, source: TensorSource): void {
  const expected = expectedTensors(config, { layers: [] });
  const missing = expected.filter((e) => source.shape(e.name) === undefined);
  if (missing.length > 0) {
    const first = missing[0]!;
    throw new TributaryError(
      'model/missing-tensor',
      `the checkpoint has no tensor "${first.name}" (expected shape ${shapeText(first.shape)})${missing.length > 1 ? ` and ${missing.length - 1} more are missing` : ''}. Check that the weights belong to this config.json and that every shard was downloaded.`,
    );
  }
  for (const e of expected) {
    const s = source.shape(e.name)!;
    if (s.length !== e.shape.length || s.some((v, i) => v !== e.shape[i])) {
      throw new TributaryError(
        'model/tensor-shape',
        `tensor "${e.name}" has shape ${shapeText(s)}, but config.json implies ${shapeText(e.shape)}. The weights and config.json do not belong together.`,
        source.fileOf(e.name),
      );
    }
  }
}

export interface LoadWeightsOptions {
  /** refuse NaN / Infinity in any tensor (default true) */
  rejectNonFinite?: boolean;
  /** called after each tensor with (tensors done, tensors total) */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Reads the HF-named tensors (`model.embed_tokens.weight`, `model.layers.{i}.self_attn.{q,k,v,o}_proj.weight`
 * (+ q/k/v bias for Qwen2), `model.layers.{i}.mlp.{gate,up,down}_proj.weight`, the two layer norms,
 * `model.norm.weight`, `lm_head.weight` when untied) into `ModelWeights`, after checking that all
 * exist with the shapes the config implies. Other tensors (e.g. `rotary_emb.inv_freq`) are ignored.
 */
export async function loadModelWeights(config: LlamaConfig, source: TensorSource, opts: LoadWeightsOptions = {}): Promise<ModelWeights> {
  checkCheckpoint(config, source);
  const w: { embed?: F32Matrix; finalNorm?: Float32Array; lmHead?: F32Matrix; layers: Partial<LlamaLayerWeights>[] } = { layers: [] };
  const expected = expectedTensors(config, w);
  let done = 0;
  for (const e of expected) {
    e.put(await source.tensor(e.name, { rejectNonFinite: opts.rejectNonFinite ?? true }));
    opts.onProgress?.(++done, expected.length);
  }
  const out: ModelWeights = { embed: w.embed!, layers: w.layers as LlamaLayerWeights[], finalNorm: w.finalNorm! };
  if (w.lmHead) out.lmHead = w.lmHead;
  return out;
}

/** The HF-named tensors of f32 weights, ready for `writeSafetensors` (e.g. the generated demo model). */
export function hfTensorsFromWeights(config: LlamaConfig, weights: ModelWeights, dtype: 'F32' | 'F16' | 'BF16' = 'F32'): TensorToWrite[] {
  const out: TensorToWrite[] = [];
  const m = (name: string, x: F32Matrix | { kind: string }): void => {
    if (x.kind !== 'f32') throw new TributaryError('engine/bad-weights', `"${name}" is quantised (${x.kind}); only f32 weights can be written as a HF checkpoint.`);
    const f = x as F32Matrix;
    out.push({ name, shape: [f.rows, f.cols], data: f.data, dtype });
  };
  const v = (name: string, data: Float32Array): void => void out.push({ name, shape: [data.length], data, dtype });
  m('model.embed_tokens.weight', weights.embed);
  weights.layers.forEach((L, i) => {
    const p = `model.layers.${i}.`;
    v(`${p}input_layernorm.weight`, L.inputNorm);
    v(`${p}post_attention_layernorm.weight`, L.postAttentionNorm);
    m(`${p}self_attn.q_proj.weight`, L.q);
    m(`${p}self_attn.k_proj.weight`, L.k);
    m(`${p}self_attn.v_proj.weight`, L.v);
    m(`${p}self_attn.o_proj.weight`, L.o);
    if (config.attentionBias) {
      if (!L.qBias || !L.kBias || !L.vBias) throw new TributaryError('engine/bad-weights', `layer ${i} lacks the q/k/v biases that attentionBias requires.`);
      v(`${p}self_attn.q_proj.bias`, L.qBias);
      v(`${p}self_attn.k_proj.bias`, L.kBias);
      v(`${p}self_attn.v_proj.bias`, L.vBias);
    }
    m(`${p}mlp.gate_proj.weight`, L.gate);
    m(`${p}mlp.up_proj.weight`, L.up);
    m(`${p}mlp.down_proj.weight`, L.down);
  });
  v('model.norm.weight', weights.finalNorm);
  if (!config.tieWordEmbeddings) {
    if (!weights.lmHead) throw new TributaryError('engine/bad-weights', 'the config is untied but the weights have no lm_head.');
    m('lm_head.weight', weights.lmHead);
  }
  return out;
}
