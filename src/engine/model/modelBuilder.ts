/**
 * Builds a Llama-family model one weight at a time (quantised or f16 on upload, q/k/v fused where the backend can), so a
 * loader can let go of each weight once it is on the device; `finish` hands the device weights to `assembleModel`.
 */
import { TributaryError } from '../../core/errors.ts';
import type { Backend, LoraPool, Tensor, WeightFormat, WeightTensor } from '../backend.ts';
import { f16Overflow, toF16Matrix, type F16Matrix } from '../f16.ts';
import { concatRows, quantize, type F32Matrix, type Matrix } from '../quant.ts';
import { type LlamaConfig, type LlamaLayerWeights, type LoraTarget, type WeightSlot } from './types.ts';
import type { Model, ModelOptions } from './llama.ts';
import { assembleModel } from './forward.ts';

/** The weights of one layer on the device, with its LoRA pools. */
export interface DeviceLayer {
  inputNorm: Tensor;
  postAttentionNorm: Tensor;
  /** q/k/v as three weights (a backend without `matmulSplit`, or parts stored in different formats) ... */
  q?: WeightTensor;
  k?: WeightTensor;
  v?: WeightTensor;
  /** ... or as one, rows `[Wq; Wk; Wv]`, run by `matmulSplit` into q, k, v (biases concatenated likewise) */
  qkv?: WeightTensor;
  qkvBias?: Tensor;
  o: WeightTensor;
  gate: WeightTensor;
  up: WeightTensor;
  down: WeightTensor;
  qBias?: Tensor;
  kBias?: Tensor;
  vBias?: Tensor;
  lora: Partial<Record<LoraTarget, LoraPool>>;
}

export function checkHeads(c: LlamaConfig): void {
  const bad = (m: string): never => {
    throw new TributaryError('engine/bad-config', m);
  };
  if (c.numHeads % c.numKvHeads !== 0) bad(`${c.numHeads} attention heads cannot be grouped over ${c.numKvHeads} KV heads.`);
  if (c.headDim % 2 !== 0) bad(`The head size ${c.headDim} must be even for RoPE.`);
}

/** Builds a model one weight at a time, so a loader can let go of each weight (f32) once it is on the device. */
export interface ModelBuilder {
  /**
   * Quantises (`opts.quant`) and uploads one weight; the caller may drop `value` afterwards. A tied model's lm_head
   * and q/k/v biases of a model without `attentionBias` are ignored, as `createModel` ignores them. On a backend with
   * `matmulSplit` a layer's q/k/v (quantised) and biases are held until the last of them arrives, then uploaded as
   * one weight `[Wq; Wk; Wv]` (and one bias): same bytes, one matmul instead of three per layer.
   */
  put(slot: WeightSlot, value: F32Matrix | Float32Array): void;
  /** The model, once every weight the config needs was put (`engine/bad-weights` names the first one missing). */
  finish(): Model;
  /** Frees what was uploaded so far (after a failed load). Idempotent. */
  abort(): void;
}

/** The weights on the device, before the model's LoRA pools and sequences exist. */
export interface DeviceWeights {
  embed: WeightTensor;
  lmHead: WeightTensor;
  finalNorm: Tensor;
  layers: Omit<DeviceLayer, 'lora'>[];
  bytes: number;
  bytesF32: number;
  byFormat: Partial<Record<WeightFormat, number>>;
  keptF32: { name: string; reason: string }[];
  owned: (Tensor | WeightTensor)[];
}

export const LAYER_NAMES: Record<keyof LlamaLayerWeights, string> = {
  inputNorm: 'input_layernorm',
  postAttentionNorm: 'post_attention_layernorm',
  q: 'q_proj',
  k: 'k_proj',
  v: 'v_proj',
  o: 'o_proj',
  gate: 'gate_proj',
  up: 'up_proj',
  down: 'down_proj',
  qBias: 'q_proj.bias',
  kBias: 'k_proj.bias',
  vBias: 'v_proj.bias',
};
const LAYER_MATRICES: ReadonlySet<keyof LlamaLayerWeights> = new Set(['q', 'k', 'v', 'o', 'gate', 'up', 'down']);
type QkvPart = 'q' | 'k' | 'v' | 'qBias' | 'kBias' | 'vBias';
const QKV_PARTS: ReadonlySet<keyof LlamaLayerWeights> = new Set<QkvPart>(['q', 'k', 'v', 'qBias', 'kBias', 'vBias']);

export function createModelBuilder(backend: Backend, config: LlamaConfig, opts: ModelOptions = {}): ModelBuilder {
  checkHeads(config);
  const c = config;
  const b = backend;
  const quant = opts.quant ?? 'f32';
  const d = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const ff = c.intermediateSize;
  const dims: Record<keyof LlamaLayerWeights, [number, number] | number> = {
    inputNorm: d,
    postAttentionNorm: d,
    q: [qDim, d],
    k: [kvDim, d],
    v: [kvDim, d],
    o: [d, qDim],
    gate: [ff, d],
    up: [ff, d],
    down: [d, ff],
    qBias: qDim,
    kBias: kvDim,
    vBias: kvDim,
  };
  const dw = { bytes: 0, bytesF32: 0, byFormat: {} as Partial<Record<WeightFormat, number>>, keptF32: [] as { name: string; reason: string }[], owned: [] as (Tensor | WeightTensor)[] };
  /** f16 halves when the backend stores them and the matrix fits (even input size, |values| ≤ 65504), else f32 */
  const toF16 = (name: string, m: F32Matrix): F32Matrix | F16Matrix => {
    if (!b.uploadWeightF16) return m;
    if (m.cols % 2 !== 0) {
      dw.keptF32.push({ name, reason: `its input size ${m.cols} is odd (f16 is stored two values per word)` });
      return m;
    }
    const over = f16Overflow(m.data);
    if (over >= 0) {
      dw.keptF32.push({ name, reason: `it holds ${m.data[over]}, beyond f16's ±65504` });
      return m;
    }
    return toF16Matrix(m, name);
  };
  const top: { embed?: WeightTensor; lmHead?: WeightTensor; finalNorm?: Tensor } = {};
  const layers: Partial<Omit<DeviceLayer, 'lora'>>[] = Array.from({ length: c.numLayers }, () => ({}));
  /** the parts each layer was given */
  const given: Set<keyof LlamaLayerWeights>[] = layers.map(() => new Set());
  /**
   * On a backend with `matmulSplit`, q/k/v are stored as one weight: a layer's q/k/v matrices (in their device
   * format) and biases are held here until the last of them arrives, then stacked and uploaded (`flushQkv`).
   */
  const fuseQkv = b.matmulSplit !== undefined;
  let held: Partial<Record<'q' | 'k' | 'v', Matrix | F16Matrix> & Record<'qBias' | 'kBias' | 'vBias', Float32Array>>[] = layers.map(() => ({}));
  let state: 'open' | 'finished' | 'aborted' = 'open';

  const checkMatrix = (name: string, m: F32Matrix | Float32Array, rows: number, cols: number): F32Matrix => {
    if (m instanceof Float32Array) throw new TributaryError('engine/bad-weights', `${name} must be a matrix (${rows}×${cols}), not a vector.`, name);
    if (m.rows !== rows || m.cols !== cols) {
      throw new TributaryError('engine/bad-weights', `${name} is ${m.rows}×${m.cols}, expected ${rows}×${cols} for this config.`, name);
    }
    return m;
  };
  /** the matrix in the format it is stored in (`opts.quant`, or f32 where that is not possible) */
  const prepare = (name: string, m: F32Matrix): Matrix | F16Matrix => {
    dw.bytesF32 += m.data.byteLength;
    return quant === 'f16' ? toF16(name, m) : quantize(m, quant);
  };
  const store = (m: Matrix | F16Matrix): WeightTensor => {
    const w = m.kind === 'f16' ? b.uploadWeightF16!(m) : b.uploadWeight(m);
    dw.byFormat[w.kind] = (dw.byFormat[w.kind] ?? 0) + w.bytes;
    dw.bytes += w.bytes;
    dw.owned.push(w);
    return w;
  };
  const up = (name: string, m: F32Matrix | Float32Array, rows: number, cols: number): WeightTensor => store(prepare(name, checkMatrix(name, m, rows, cols)));
  const checkVec = (name: string, v: F32Matrix | Float32Array, n: number): Float32Array => {
    if (!(v instanceof Float32Array) || v.length !== n) {
      throw new TributaryError('engine/bad-weights', `${name} has ${v instanceof Float32Array ? v.length : v.data.length} values, expected ${n}.`, name);
    }
    return v;
  };
  const storeVec = (v: Float32Array): Tensor => {
    const t = b.upload(v);
    dw.bytes += v.byteLength;
    dw.bytesF32 += v.byteLength;
    dw.owned.push(t);
    return t;
  };
  const vec = (name: string, v: F32Matrix | Float32Array, n: number): Tensor => storeVec(checkVec(name, v, n));
  /** Uploads layer `li`'s q/k/v once all of them (and their biases) are held: as one weight when their formats agree. */
  const flushQkv = (li: number): void => {
    const h = held[li]!;
    const L = layers[li]!;
    const { q, k, v } = h;
    if (!q || !k || !v) return;
    const biases = c.attentionBias ? [h.qBias, h.kBias, h.vBias] : [];
    if (biases.some((x) => !x)) return;
    held[li] = {};
    const gs = (m: Matrix | F16Matrix): number => ('groupSize' in m ? m.groupSize : 0);
    // f16 falls back to f32 per matrix (a value past ±65504): then the three stay apart, each in its own format
    if (k.kind === q.kind && v.kind === q.kind && gs(k) === gs(q) && gs(v) === gs(q)) {
      L.qkv = store(concatRows([q, k, v]));
      if (c.attentionBias) {
        const all = new Float32Array(qDim + 2 * kvDim);
        biases.forEach((x, i) => all.set(x!, i === 0 ? 0 : qDim + (i - 1) * kvDim));
        L.qkvBias = storeVec(all);
      }
      return;
    }
    L.q = store(q);
    L.k = store(k);
    L.v = store(v);
    if (c.attentionBias) [L.qBias, L.kBias, L.vBias] = biases.map((x) => storeVec(x!));
  };
  const twice = (name: string): never => {
    throw new TributaryError('engine/bad-weights', `${name} was given twice.`, name);
  };

  return {
    put(slot, value) {
      if (state !== 'open') throw new TributaryError('engine/bad-config', 'This model builder has finished or was aborted; start a new one.');
      if (slot.layer === null) {
        if (slot.part === 'embed') top.embed = top.embed ? twice('embed_tokens') : up('embed_tokens', value, c.vocabSize, d);
        else if (slot.part === 'lmHead') {
          if (!c.tieWordEmbeddings) top.lmHead = top.lmHead ? twice('lm_head') : up('lm_head', value, c.vocabSize, d);
        } else top.finalNorm = top.finalNorm ? twice('norm') : vec('norm', value, d);
        return;
      }
      const L = layers[slot.layer];
      if (!Number.isInteger(slot.layer) || !L) throw new TributaryError('engine/bad-weights', `The config has ${c.numLayers} layers; there is no layer ${slot.layer}.`);
      const part = slot.part;
      if (!c.attentionBias && (part === 'qBias' || part === 'kBias' || part === 'vBias')) return;
      const name = `layers.${slot.layer}.${LAYER_NAMES[part]}`;
      const has = given[slot.layer]!;
      if (has.has(part)) twice(name);
      const dim = dims[part];
      if (fuseQkv && QKV_PARTS.has(part)) {
        const h = held[slot.layer]!;
        if (LAYER_MATRICES.has(part)) h[part as 'q' | 'k' | 'v'] = prepare(name, checkMatrix(name, value, (dim as [number, number])[0], (dim as [number, number])[1]));
        else h[part as 'qBias' | 'kBias' | 'vBias'] = checkVec(name, value, dim as number);
        has.add(part);
        flushQkv(slot.layer);
        return;
      }
      if (LAYER_MATRICES.has(part)) (L as Record<string, WeightTensor>)[part] = up(name, value, (dim as [number, number])[0], (dim as [number, number])[1]);
      else (L as Record<string, Tensor>)[part] = vec(name, value, dim as number);
      has.add(part);
    },
    finish() {
      if (state !== 'open') throw new TributaryError('engine/bad-config', 'This model builder has finished or was aborted; start a new one.');
      const missing = (name: string): never => {
        throw new TributaryError('engine/bad-weights', `${name} is missing.`, name);
      };
      const embed = top.embed ?? missing('embed_tokens');
      let lmHead = embed;
      if (!c.tieWordEmbeddings) {
        if (!top.lmHead) throw new TributaryError('engine/bad-weights', 'The config says the embeddings are not tied, but there is no lm_head weight.', 'lm_head');
        lmHead = top.lmHead;
      }
      const finalNorm = top.finalNorm ?? missing('norm');
      layers.forEach((_, i) => {
        for (const part of Object.keys(LAYER_NAMES) as (keyof LlamaLayerWeights)[]) {
          const bias = part === 'qBias' || part === 'kBias' || part === 'vBias';
          if (!given[i]!.has(part) && (!bias || c.attentionBias)) missing(`layers.${i}.${LAYER_NAMES[part]}`);
        }
      });
      const model = assembleModel(b, c, { embed, lmHead, finalNorm, layers: layers as Omit<DeviceLayer, 'lora'>[], ...dw }, opts);
      state = 'finished';
      return model;
    },
    abort() {
      // after finish the weights belong to the model (its dispose frees them)
      if (state === 'finished') return;
      state = 'aborted';
      held = [];
      for (const t of dw.owned.splice(0)) b.dispose(t);
    },
  };
}
