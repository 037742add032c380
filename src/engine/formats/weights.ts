import { describeValue } from '../../core/describeValue.ts';
import { impliedParameterCount } from './config.ts';
import { TributaryError } from '../../core/errors.ts';
import type { F32Matrix } from '../quant.ts';
import type { LlamaConfig, LlamaLayerWeights, LlamaWeights, WeightSlot } from '../model/types.ts';
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
      throw new TributaryError('model/safetensors', `weight_map["${name}"] is not a .safetensors file name in the same folder (${describeValue(file)}).`, INDEX_FILE);
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
  slot: WeightSlot;
}

/** The HF tensor names and shapes a config implies, with where each goes in `ModelWeights`. */
function expectedTensors(c: LlamaConfig): Expected[] {
  const d = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const ff = c.intermediateSize;
  const list: Expected[] = [
    { name: 'model.embed_tokens.weight', shape: [c.vocabSize, d], slot: { layer: null, part: 'embed' } },
    { name: 'model.norm.weight', shape: [d], slot: { layer: null, part: 'finalNorm' } },
  ];
  // a tied model may still ship lm_head.weight (a copy of the embeddings): it is ignored
  if (!c.tieWordEmbeddings) list.push({ name: 'lm_head.weight', shape: [c.vocabSize, d], slot: { layer: null, part: 'lmHead' } });
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    const at = (name: string, shape: number[], part: keyof LlamaLayerWeights): Expected => ({ name: p + name, shape, slot: { layer: i, part } });
    list.push(
      at('input_layernorm.weight', [d], 'inputNorm'),
      at('post_attention_layernorm.weight', [d], 'postAttentionNorm'),
      at('self_attn.q_proj.weight', [qDim, d], 'q'),
      at('self_attn.k_proj.weight', [kvDim, d], 'k'),
      at('self_attn.v_proj.weight', [kvDim, d], 'v'),
      at('self_attn.o_proj.weight', [d, qDim], 'o'),
      at('mlp.gate_proj.weight', [ff, d], 'gate'),
      at('mlp.up_proj.weight', [ff, d], 'up'),
      at('mlp.down_proj.weight', [d, ff], 'down'),
    );
    if (c.attentionBias) {
      list.push(at('self_attn.q_proj.bias', [qDim], 'qBias'), at('self_attn.k_proj.bias', [kvDim], 'kBias'), at('self_attn.v_proj.bias', [kvDim], 'vBias'));
    }
  }
  return list;
}

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** Checks that every tensor the config implies is present with the right shape (reads no tensor data). */
export function checkCheckpoint(config: LlamaConfig, source: TensorSource): void {
  const expected = expectedTensors(config);
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
 * Every check of a checkpoint against its config that needs no weight bytes: the implied size fits
 * the values the files hold (a config claiming 2^31 layers fails before anything is built), and every
 * expected tensor exists with its shape. The engine runs it before it lets go of the current model.
 */
export function checkWeightsFit(config: LlamaConfig, source: TensorSource): void {
  // Before the list of expected tensors (or anything else) is built: the config's dimensions must fit
  // the elements the checkpoint actually holds, so a config claiming 2^31 layers fails here, typed.
  let elements = 0;
  for (const name of source.names()) elements += (source.shape(name) ?? []).reduce((a, b) => a * b, 1);
  const implied = impliedParameterCount(config);
  if (implied > 2 * elements + 1_000_000) { // slack: a missing tensor is named by checkCheckpoint below
    throw new TributaryError(
      'model/config',
      `it implies ${implied.toExponential(2)} parameters but the weight files hold ${elements.toExponential(2)} values: the config does not belong to these weights.`,
      'config.json',
    );
  }
  checkCheckpoint(config, source);
}

/**
 * Reads the HF-named tensors one at a time, after checking that all exist with the shapes the config implies, and
 * hands each to `take` as f32 (a matrix `[out, in]` or a vector) with the slot of `ModelWeights` it belongs to. Only
 * one tensor is in memory at a time as long as `take` does not keep it (e.g. it quantises and uploads it): loading
 * needs about one tensor of memory beyond the model itself, not the whole model as f32.
 */
export async function streamModelWeights(
  config: LlamaConfig,
  source: TensorSource,
  take: (slot: WeightSlot, value: F32Matrix | Float32Array, name: string) => void | Promise<void>,
  opts: LoadWeightsOptions = {},
): Promise<void> {
  checkWeightsFit(config, source);
  const expected = expectedTensors(config);
  let done = 0;
  for (const e of expected) {
    const t = await source.tensor(e.name, { rejectNonFinite: opts.rejectNonFinite ?? true });
    await take(e.slot, e.shape.length === 2 ? { kind: 'f32', rows: t.shape[0]!, cols: t.shape[1]!, data: t.data } : t.data, e.name);
    opts.onProgress?.(++done, expected.length);
  }
}

/**
 * Reads the HF-named tensors (`model.embed_tokens.weight`, `model.layers.{i}.self_attn.{q,k,v,o}_proj.weight`
 * (+ q/k/v bias for Qwen2), `model.layers.{i}.mlp.{gate,up,down}_proj.weight`, the two layer norms,
 * `model.norm.weight`, `lm_head.weight` when untied) into `ModelWeights`, after checking that all
 * exist with the shapes the config implies. Other tensors (e.g. `rotary_emb.inv_freq`) are ignored.
 * This holds the whole model as f32; to build a model on a backend, stream it instead (`streamModelWeights`).
 */
export async function loadModelWeights(config: LlamaConfig, source: TensorSource, opts: LoadWeightsOptions = {}): Promise<ModelWeights> {
  const w: { embed?: F32Matrix; finalNorm?: Float32Array; lmHead?: F32Matrix; layers: Partial<LlamaLayerWeights>[] } = {
    layers: Array.from({ length: config.numLayers }, () => ({})),
  };
  await streamModelWeights(
    config,
    source,
    (slot, v) => {
      if (slot.layer !== null) (w.layers[slot.layer] as Record<string, F32Matrix | Float32Array>)[slot.part] = v;
      else if (slot.part === 'finalNorm') w.finalNorm = v as Float32Array;
      else w[slot.part] = v as F32Matrix;
    },
    opts,
  );
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
