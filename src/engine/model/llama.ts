/**
 * The Llama-family decoder (Llama 3.x, SmolLM2, Qwen2/2.5 with q/k/v bias, TinyLlama) on any `Backend`:
 * RMSNorm → GQA attention with RoPE and a paged KV cache → residual → RMSNorm → SwiGLU MLP → residual,
 * tied or untied LM head. Weights are quantised on load (`quant: 'q8' | 'q4'`, group size 32; norms, biases and
 * matrices whose input size is not a multiple of 32 stay f32), or stored as f16 halves (`quant: 'f16'`) on a backend
 * with f16 storage (WebGPU); elsewhere (the CPU backend) and for a matrix with an odd input size or values beyond
 * f16's ±65504, f16 falls back to f32, which `memory().byFormat` and `memory().keptF32` report.
 *
 * One `forward` call runs a batch of rows, each row a token segment of its own sequence with its own LoRA slot:
 * all linear layers (and the multi-LoRA kernel) run once over the concatenated rows, and so do the KV write and
 * attention: the KV cache is paged (one K and one V pool per layer, sequences own pages as they grow), so a batch's
 * rows read their own sequences' pages in one `pagedAttention` dispatch. A decode step of N chats = N rows of one token.
 * On a backend with `matmulSplit` (WebGPU) each layer's q/k/v are one weight `[Wq; Wk; Wv]` and one matmul whose
 * columns land in q, k and v (LoRA still applied per module after it); elsewhere three matmuls.
 *
 * @example
 * const model = createModel(createCpuBackend(), config, weights, { quant: 'q8', lora: { slots: 8, maxRank: 16 } });
 * const seq = model.createSequence();
 * let logits = await model.prefill([1, 2, 3], seq);
 * logits = await model.decodeStep(argmax(logits), seq);
 */
import { TributaryError } from '../../core/errors.ts';
import type { Backend, LoraPool, PagedRows, Tensor, WeightFormat, WeightTensor } from '../backend.ts';
import { ropeInvFreq } from '../cpu/kernels/rope.ts';
import { f16Overflow, toF16Matrix, type F16Matrix } from '../f16.ts';
import { concatRows, quantize, type F32Matrix, type Matrix } from '../quant.ts';
import type { LogitCandidates } from '../sampling/sample.ts';
import { loraTargetDims } from './loraTargetDims.ts';
import { LORA_TARGETS, type LlamaConfig, type LlamaLayerWeights, type LlamaWeights, type LoraAdapterWeights, type LoraTarget, type WeightSlot } from './types.ts';

export interface ModelOptions {
  /** weight format on the device (default f32; f16 needs a backend with `uploadWeightF16`, else it loads as f32) */
  quant?: WeightFormat;
  /** reserve LoRA slots: `slots` adapters of rank ≤ `maxRank` resident at once, on `targets` (default all seven) */
  lora?: { slots: number; maxRank: number; targets?: readonly LoraTarget[] };
  /** default context length of new sequences (default: min(config.maxPositionEmbeddings, 2048)) */
  maxSeq?: number;
  /**
   * The paged KV cache shared by all sequences: one K and one V tensor per layer, at most `bytes / pageBytes` pages of
   * `pageSize` tokens (default 16). The pool starts with room for two full contexts (`maxSeq`, or the whole budget if
   * smaller) and doubles, up to the budget, when a pass needs more pages than it has. Sequences take pages as they grow
   * and give them back when disposed or truncated; a pass that needs more than the budget has free fails with
   * `engine/kv-full`. Default budget: room for 64 full contexts, at most 256 MiB, at least one full context.
   */
  kvCache?: { bytes?: number; pageSize?: number };
}

/** Device bytes the model holds. */
export interface ModelMemory {
  /** all weights as uploaded (quantised matrices + f32 norms/biases) */
  weights: number;
  /** what the same weights take in f32 */
  weightsF32: number;
  /**
   * Device bytes of the weight matrices by the format they are stored in (norms and biases, always f32, are not
   * counted): shows what was really stored, e.g. `{ f32: … }` for `quant: 'f16'` on the CPU backend.
   */
  byFormat: Partial<Record<WeightFormat, number>>;
  /**
   * Matrices kept in f32 although f16 was asked for, each with why (an odd input size, or a value beyond ±65504).
   * Empty otherwise, and on a backend without f16 storage, where every matrix is f32 (`byFormat` says so).
   */
  keptF32: { name: string; reason: string }[];
  /** KV cache pages held by live sequences (pages in use × page bytes, all layers, K and V) */
  kvCache: number;
  /** the paged KV pool allocated on the device now (all its pages, used or free); grows on demand up to the budget */
  kvCacheReserved: number;
  /** the most bytes the KV pool may grow to (`ModelOptions.kvCache.bytes`, rounded down to whole pages) */
  kvCacheBudget: number;
  /** pages of the KV pool: in use, allocated now (`total`), allowed by the budget (`budget`), tokens per page */
  kvPages: { used: number; total: number; budget: number; pageSize: number };
  /** LoRA slot pools */
  lora: number;
}

/** A conversation's KV cache. `length` tokens have been consumed. */
export interface Sequence {
  readonly id: number;
  readonly maxSeq: number;
  readonly length: number;
  /** forget everything after the first `n` tokens (e.g. regenerate) */
  truncate(n: number): void;
  dispose(): void;
}

export interface BatchRow {
  seq: Sequence;
  tokens: ArrayLike<number>;
  /** LoRA slot for this row (−1 or absent: base model only) */
  adapterSlot?: number;
}

export interface ForwardOptions {
  /** return logits for every token of every row (`[T_i, vocab]`), not just the last */
  allLogits?: boolean;
  /**
   * return each row's final hidden states (after the final norm, as HF's `last_hidden_state`), `[T_i, hiddenSize]`,
   * instead of logits: for embeddings made by the model itself (attribution); the LM head is not run
   */
  hidden?: boolean;
}

/**
 * A row's logits from a pass that asked for candidates: on a backend that selects on the device, the row's top
 * `candidates` logits (`LogitCandidates`: sorted, ties lower id first) plus `full()`, which reads the whole row back
 * (valid until the model's next pass; after that it throws `engine/stale-logits`); elsewhere the whole row.
 * A GPU then reads back `k·8` bytes per row instead of `vocab·4` (6.3 MB → 16 KB per step at 32 rows × 49k).
 */
export type RowLogits = Float32Array | (LogitCandidates & { full(): Promise<Float32Array> });

export interface Model {
  readonly config: LlamaConfig;
  readonly backend: Backend;
  /** the format asked for (see `memory().byFormat` for what was stored) */
  readonly quant: WeightFormat;
  readonly loraSlots: number;
  /** the slots' maximum adapter rank (0 without slots) */
  readonly loraMaxRank: number;
  memory(): ModelMemory;
  createSequence(maxSeq?: number): Sequence;
  /** one pass over a batch of rows; returns each row's logits (`[vocab]`, or `[T_i, vocab]` with `allLogits`) */
  forward(rows: readonly BatchRow[], opts?: ForwardOptions): Promise<Float32Array[]>;
  /**
   * The same pass (last logits per row), each row's logits as its top `candidates` where the backend can select them
   * on the device (`RowLogits`), else whole.
   */
  forwardCandidates(rows: readonly BatchRow[], candidates: number): Promise<RowLogits[]>;
  prefill(tokens: ArrayLike<number>, seq: Sequence, opts?: { adapterSlot?: number } & ForwardOptions): Promise<Float32Array>;
  decodeStep(token: number, seq: Sequence, opts?: { adapterSlot?: number }): Promise<Float32Array>;
  /** load an adapter into a slot (modules it does not target get rank 0 there); `null` empties the slot */
  setLoraSlot(slot: number, adapter: LoraAdapterWeights | null): void;
  dispose(): void;
}

interface DeviceLayer {
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

interface SeqState extends Sequence {
  length: number;
  /** physical pages of the KV pool, in order: token j sits in page pages[floor(j / pageSize)] */
  pages: number[];
  disposed: boolean;
}

function checkHeads(c: LlamaConfig): void {
  const bad = (m: string): never => {
    throw new TributaryError('engine/bad-config', m);
  };
  if (c.numHeads % c.numKvHeads !== 0) bad(`${c.numHeads} attention heads cannot be grouped over ${c.numKvHeads} KV heads.`);
  if (c.headDim % 2 !== 0) bad(`The head size ${c.headDim} must be even for RoPE.`);
}

function checkConfig(c: LlamaConfig, w: LlamaWeights): void {
  const bad = (m: string): never => {
    throw new TributaryError('engine/bad-config', m);
  };
  checkHeads(c);
  if (w.layers.length !== c.numLayers) bad(`The config has ${c.numLayers} layers but the weights have ${w.layers.length}.`);
  const d = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const shape = (name: string, m: { rows: number; cols: number }, rows: number, cols: number): void => {
    if (m.rows !== rows || m.cols !== cols) {
      throw new TributaryError('engine/bad-weights', `${name} is ${m.rows}×${m.cols}, expected ${rows}×${cols} for this config.`, name);
    }
  };
  const vlen = (name: string, v: Float32Array | undefined, n: number): void => {
    if (!v || v.length !== n) throw new TributaryError('engine/bad-weights', `${name} has ${v?.length ?? 0} values, expected ${n}.`, name);
  };
  shape('embed_tokens', w.embed, c.vocabSize, d);
  if (!c.tieWordEmbeddings) {
    if (!w.lmHead) throw new TributaryError('engine/bad-weights', 'The config says the embeddings are not tied, but there is no lm_head weight.', 'lm_head');
    shape('lm_head', w.lmHead, c.vocabSize, d);
  }
  vlen('norm', w.finalNorm, d);
  w.layers.forEach((l, i) => {
    const p = `layers.${i}.`;
    vlen(p + 'input_layernorm', l.inputNorm, d);
    vlen(p + 'post_attention_layernorm', l.postAttentionNorm, d);
    shape(p + 'q_proj', l.q, qDim, d);
    shape(p + 'k_proj', l.k, kvDim, d);
    shape(p + 'v_proj', l.v, kvDim, d);
    shape(p + 'o_proj', l.o, d, qDim);
    shape(p + 'gate_proj', l.gate, c.intermediateSize, d);
    shape(p + 'up_proj', l.up, c.intermediateSize, d);
    shape(p + 'down_proj', l.down, d, c.intermediateSize);
    if (c.attentionBias) {
      vlen(p + 'q_proj.bias', l.qBias, qDim);
      vlen(p + 'k_proj.bias', l.kBias, kvDim);
      vlen(p + 'v_proj.bias', l.vBias, kvDim);
    }
  });
}

export function createModel(backend: Backend, config: LlamaConfig, weights: LlamaWeights, opts: ModelOptions = {}): Model {
  checkConfig(config, weights);
  const builder = createModelBuilder(backend, config, opts);
  try {
    builder.put({ layer: null, part: 'embed' }, weights.embed);
    if (weights.lmHead) builder.put({ layer: null, part: 'lmHead' }, weights.lmHead);
    builder.put({ layer: null, part: 'finalNorm' }, weights.finalNorm);
    weights.layers.forEach((l, layer) => {
      for (const part of Object.keys(LAYER_NAMES) as (keyof LlamaLayerWeights)[]) {
        const v = l[part];
        if (v) builder.put({ layer, part }, v);
      }
    });
    return builder.finish();
  } catch (e) {
    builder.abort();
    throw e;
  }
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
interface DeviceWeights {
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

const LAYER_NAMES: Record<keyof LlamaLayerWeights, string> = {
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

function assembleModel(backend: Backend, config: LlamaConfig, dw: DeviceWeights, opts: ModelOptions): Model {
  const c = config;
  const quant = opts.quant ?? 'f32';
  const b = backend;
  const d = c.hiddenSize;
  const hd = c.headDim;
  const nH = c.numHeads;
  const nKv = c.numKvHeads;
  const qDim = nH * hd;
  const kvDim = nKv * hd;
  const defaultMaxSeq = opts.maxSeq ?? Math.min(c.maxPositionEmbeddings, 2048);

  const weightBytes = dw.bytes;
  const weightsF32 = dw.bytesF32;
  const owned: (Tensor | WeightTensor | LoraPool)[] = [...dw.owned];
  const { embed, lmHead, finalNorm } = dw;
  const invFreq = b.upload(ropeInvFreq(hd, c.ropeTheta, c.ropeScaling));
  owned.push(invFreq);

  const loraSlots = opts.lora?.slots ?? 0;
  const loraTargets = opts.lora ? (opts.lora.targets ?? LORA_TARGETS) : [];
  let loraBytes = 0;
  const layers: DeviceLayer[] = dw.layers.map((l) => {
    const dl: DeviceLayer = { ...l, lora: {} };
    for (const t of loraTargets) {
      const { inDim, outDim } = loraTargetDims(c, t);
      const pool = b.createLoraPool(loraSlots, opts.lora!.maxRank, inDim, outDim);
      loraBytes += pool.bytes;
      owned.push(pool);
      dl.lora[t] = pool;
    }
    return dl;
  });

  // ---- the paged KV cache: per layer one K and one V pool of nPages × pageSize rows of kvDim, grown on demand up to
  // budgetPages (a bigger pool per layer, the old rows copied over: pages keep their numbers)
  const pageSize = opts.kvCache?.pageSize ?? 16;
  if (!Number.isInteger(pageSize) || pageSize <= 0) throw new TributaryError('engine/bad-config', `The KV page size must be a positive whole number of tokens (got ${pageSize}).`);
  const bytesPerToken = 2 * c.numLayers * kvDim * 4;
  const pageBytes = pageSize * bytesPerToken;
  const kvBudget = opts.kvCache?.bytes ?? Math.max(defaultMaxSeq * bytesPerToken, Math.min(64 * defaultMaxSeq * bytesPerToken, 256 * 2 ** 20));
  const budgetPages = Math.floor(kvBudget / pageBytes);
  if (!(budgetPages >= 1)) {
    throw new TributaryError('engine/bad-config', `A KV cache budget of ${kvBudget} bytes holds no page of ${pageSize} tokens (${pageBytes} bytes); give it at least that.`);
  }
  let nPages = Math.min(budgetPages, Math.ceil((2 * defaultMaxSeq) / pageSize));
  let kPool = layers.map(() => b.alloc([nPages * pageSize, nKv, hd]));
  let vPool = layers.map(() => b.alloc([nPages * pageSize, nKv, hd]));
  /** free pages, the lowest on top */
  let freePages: number[] = Array.from({ length: nPages }, (_, i) => nPages - 1 - i);
  /** grows the pool to hold at least `want` pages (doubling, capped at the budget); the caller checked the budget */
  const growPool = (want: number): void => {
    const n = Math.min(budgetPages, Math.max(want, 2 * nPages));
    const rows = n * pageSize;
    const k: Tensor[] = [];
    const v: Tensor[] = [];
    try {
      for (let li = 0; li < layers.length; li++) {
        k.push(b.alloc([rows, nKv, hd]));
        v.push(b.alloc([rows, nKv, hd]));
      }
    } catch (e) {
      for (const t of [...k, ...v]) b.dispose(t);
      throw e;
    }
    // enqueued in order: every write and attention before this sees the old pool, every one after the new
    for (let li = 0; li < layers.length; li++) {
      b.copyRows(kPool[li]!, 0, k[li]!, 0, nPages * pageSize, kvDim);
      b.copyRows(vPool[li]!, 0, v[li]!, 0, nPages * pageSize, kvDim);
      b.dispose(kPool[li]!);
      b.dispose(vPool[li]!);
    }
    kPool = k;
    vPool = v;
    // the new pages under the free ones left (those are used first), the lowest new one on top of them
    freePages = [...Array.from({ length: n - nPages }, (_, i) => n - 1 - i), ...freePages];
    nPages = n;
  };
  const releasePages = (s: SeqState, keep: number): void => {
    while (s.pages.length > keep) freePages.push(s.pages.pop()!);
  };

  let nextSeqId = 1;
  const live = new Set<SeqState>();
  let disposed = false;
  const slotFilled = new Array<boolean>(loraSlots).fill(false);

  const alive = (): void => {
    if (disposed) throw new TributaryError('engine/disposed', 'This model was disposed; load it again.');
  };

  function createSequence(maxSeq = defaultMaxSeq): Sequence {
    alive();
    if (!Number.isInteger(maxSeq) || maxSeq <= 0) throw new TributaryError('engine/bad-config', `A sequence needs a positive context length (got ${maxSeq}).`);
    const s: SeqState = {
      id: nextSeqId++,
      maxSeq,
      length: 0,
      disposed: false,
      pages: [],
      truncate(n: number) {
        if (!Number.isInteger(n) || n < 0 || n > s.length) throw new TributaryError('engine/bad-config', `Cannot truncate a sequence of ${s.length} tokens to ${n}.`);
        s.length = n;
        releasePages(s, Math.ceil(n / pageSize));
      },
      dispose() {
        if (s.disposed) return;
        s.disposed = true;
        releasePages(s, 0);
        live.delete(s);
      },
    };
    live.add(s);
    return s;
  }

  function setLoraSlot(slot: number, adapter: LoraAdapterWeights | null): void {
    alive();
    if (!Number.isInteger(slot) || slot < 0 || slot >= loraSlots) {
      throw new TributaryError('engine/lora-slot', `LoRA slot ${slot} does not exist: the model was loaded with ${loraSlots} slots.`);
    }
    if (adapter) {
      if (adapter.layers.length !== c.numLayers) {
        throw new TributaryError('engine/bad-weights', `The adapter has ${adapter.layers.length} layers, the model ${c.numLayers}.`);
      }
      if (adapter.rank > (opts.lora?.maxRank ?? 0)) {
        throw new TributaryError('engine/lora-slot', `The adapter's rank ${adapter.rank} is above the slots' maximum ${opts.lora?.maxRank ?? 0}.`);
      }
      for (const [i, l] of adapter.layers.entries()) {
        for (const t of Object.keys(l) as LoraTarget[]) {
          if (l[t] && !layers[i]!.lora[t]) {
            throw new TributaryError('engine/lora-slot', `The adapter targets ${t}_proj, but the model reserved LoRA slots only for ${loraTargets.join(', ') || 'no module'}.`);
          }
        }
      }
    }
    const scale = adapter ? (adapter.scale ?? (adapter.rank === 0 ? 0 : adapter.alpha / adapter.rank)) : 0;
    layers.forEach((dl, i) => {
      for (const t of loraTargets) {
        const pool = dl.lora[t]!;
        if (!adapter) {
          b.writeLoraSlot(pool, slot, null);
          continue;
        }
        const m = adapter.layers[i]![t];
        const rank = m ? adapter.rank : 0;
        b.writeLoraSlot(pool, slot, m ? { rank, scale, A: m.A, B: m.B } : { rank: 0, scale: 0, A: new Float32Array(0), B: new Float32Array(0) });
      }
    });
    slotFilled[slot] = adapter !== null;
  }

  /** the logits tensor of the last pass that returned candidates, kept for their `full()` until the next pass */
  let lastLogits: Tensor | undefined;

  /** `candidates`: 1..256 per row, honoured on a backend with `topK` (WebGPU on a real GPU), else rows come back whole */
  async function forward(rows: readonly BatchRow[], fo: ForwardOptions & { candidates?: number } = {}): Promise<RowLogits[]> {
    try {
      return await forwardPass(rows, fo);
    } catch (e) {
      // a failed pass leaves lengths unchanged: give back the pages it took
      for (const r of rows) {
        const s = r.seq as SeqState;
        if (live.has(s)) releasePages(s, Math.ceil(s.length / pageSize));
      }
      throw e;
    }
  }

  async function forwardPass(rows: readonly BatchRow[], fo: ForwardOptions & { candidates?: number }): Promise<RowLogits[]> {
    alive();
    if (lastLogits) {
      b.dispose(lastLogits);
      lastLogits = undefined;
    }
    if (rows.length === 0) return [];
    const K = fo.candidates;
    if (K !== undefined && !(Number.isInteger(K) && K >= 1 && K <= Math.min(256, c.vocabSize))) {
      throw new TributaryError('engine/bad-config', `A pass can return 1..${Math.min(256, c.vocabSize)} candidates per row (asked for ${K}).`);
    }
    // ---- validate and lay out the batch
    const segStart: number[] = [];
    let total = 0;
    const seen = new Set<Sequence>();
    let anyLora = false;
    for (const r of rows) {
      const s = r.seq as SeqState;
      if (!live.has(s)) throw new TributaryError('engine/disposed', 'This sequence was disposed or belongs to another model.');
      if (seen.has(s)) throw new TributaryError('engine/bad-config', 'A batch may hold each sequence only once.');
      seen.add(s);
      const n = r.tokens.length;
      if (n === 0) throw new TributaryError('engine/bad-config', 'Every row of a batch needs at least one token.');
      if (s.length + n > s.maxSeq) {
        throw new TributaryError('engine/context-full', `The conversation is ${s.length} tokens long and ${n} more do not fit its context of ${s.maxSeq}; start a new one or shorten it.`);
      }
      const slot = r.adapterSlot ?? -1;
      if (slot >= 0) {
        if (slot >= loraSlots || !slotFilled[slot]) throw new TributaryError('engine/lora-slot', `LoRA slot ${slot} holds no adapter; load one first.`);
        anyLora = true;
      }
      segStart.push(total);
      total += n;
    }
    // ---- pages: all or nothing, before any work
    let needPages = 0;
    for (const r of rows) {
      const s = r.seq as SeqState;
      needPages += Math.max(0, Math.ceil((s.length + r.tokens.length) / pageSize) - s.pages.length);
    }
    if (needPages > freePages.length + (budgetPages - nPages)) {
      const mib = (x: number): string => (x / 2 ** 20).toFixed(1);
      const free = freePages.length + (budgetPages - nPages);
      throw new TributaryError(
        'engine/kv-full',
        `The KV cache is full: this step needs ${needPages} more pages of ${pageSize} tokens, but only ${free} of the budget's ${budgetPages} (${mib(budgetPages * pageBytes)} MiB) are free; ` +
          'wait for a running conversation to finish, close idle ones, or load the model with a larger KV cache budget.',
      );
    }
    if (needPages > freePages.length) growPool(nPages - freePages.length + needPages);
    for (const r of rows) {
      const s = r.seq as SeqState;
      const want = Math.ceil((s.length + r.tokens.length) / pageSize);
      while (s.pages.length < want) s.pages.push(freePages.pop()!);
    }
    const tokens = new Int32Array(total);
    const positions = new Int32Array(total);
    const rowAdapter = new Int32Array(total);
    const rowSeq = new Int32Array(total);
    const dstRows = new Int32Array(total);
    let pagesPerSeq = 1;
    for (const r of rows) pagesPerSeq = Math.max(pagesPerSeq, (r.seq as SeqState).pages.length);
    const pageTable = new Int32Array(rows.length * pagesPerSeq);
    rows.forEach((r, i) => {
      const s = r.seq as SeqState;
      const o = segStart[i]!;
      for (let j = 0; j < r.tokens.length; j++) {
        const id = r.tokens[j]!;
        if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) {
          throw new TributaryError('engine/bad-config', `Token id ${id} is outside the vocabulary (0..${c.vocabSize - 1}).`);
        }
        const p = s.length + j;
        tokens[o + j] = id;
        positions[o + j] = p;
        rowAdapter[o + j] = r.adapterSlot ?? -1;
        rowSeq[o + j] = i;
        dstRows[o + j] = s.pages[Math.floor(p / pageSize)]! * pageSize + (p % pageSize);
      }
      pageTable.set(s.pages, i * pagesPerSeq);
    });
    const paged: PagedRows = { pageSize, positions, rowSeq, pageTable, pagesPerSeq };

    // ---- the pass
    const temps: Tensor[] = [];
    const tmp = (shape: number[]): Tensor => {
      const t = b.alloc(shape);
      temps.push(t);
      return t;
    };
    const T = total;
    const x = tmp([T, d]);
    const h = tmp([T, d]);
    const q = tmp([T, qDim]);
    const k = tmp([T, kvDim]);
    const v = tmp([T, kvDim]);
    const att = tmp([T, qDim]);
    const o = tmp([T, d]);
    const g = tmp([T, c.intermediateSize]);
    const u = tmp([T, c.intermediateSize]);
    const lin = (inp: Tensor, w: WeightTensor, out: Tensor, bias: Tensor | undefined, pool: LoraPool | undefined): void => {
      b.matmul(inp, T, w, out, bias);
      if (anyLora && pool) b.loraApply(inp, T, pool, rowAdapter, out);
    };
    try {
      b.embeddingGather(tokens, embed, x);
      for (let li = 0; li < layers.length; li++) {
        const L = layers[li]!;
        b.rmsNorm(x, T, d, L.inputNorm, c.rmsNormEps, h);
        if (L.qkv) {
          // one matmul over [Wq; Wk; Wv], its columns split into q, k, v; LoRA still per module
          b.matmulSplit!(h, T, L.qkv, [q, k, v], L.qkvBias);
          if (anyLora) {
            if (L.lora.q) b.loraApply(h, T, L.lora.q, rowAdapter, q);
            if (L.lora.k) b.loraApply(h, T, L.lora.k, rowAdapter, k);
            if (L.lora.v) b.loraApply(h, T, L.lora.v, rowAdapter, v);
          }
        } else {
          lin(h, L.q!, q, L.qBias, L.lora.q);
          lin(h, L.k!, k, L.kBias, L.lora.k);
          lin(h, L.v!, v, L.vBias, L.lora.v);
        }
        b.rope(q, T, nH, hd, positions, invFreq);
        b.rope(k, T, nKv, hd, positions, invFreq);
        // the whole batch at once, whatever sequences its rows belong to: one write, one attention per layer
        b.kvWritePaged(k, v, T, kvDim, kPool[li]!, vPool[li]!, dstRows);
        b.pagedAttention(q, kPool[li]!, vPool[li]!, T, nH, nKv, hd, att, paged);
        lin(att, L.o, o, undefined, L.lora.o);
        b.add(x, o, x);
        b.rmsNorm(x, T, d, L.postAttentionNorm, c.rmsNormEps, h);
        lin(h, L.gate, g, undefined, L.lora.gate);
        lin(h, L.up, u, undefined, L.lora.up);
        b.siluMul(g, u, g);
        lin(g, L.down, o, undefined, L.lora.down);
        b.add(x, o, x);
      }
      if (fo.hidden) {
        b.rmsNorm(x, T, d, finalNorm, c.rmsNormEps, h);
        const states = await b.read(h);
        for (const r of rows) (r.seq as SeqState).length += r.tokens.length;
        return rows.map((r, i) => states.slice(segStart[i]! * d, (segStart[i]! + r.tokens.length) * d));
      }
      let logits: Tensor;
      let nOut: number;
      if (fo.allLogits) {
        nOut = T;
        logits = tmp([T, c.vocabSize]); // allocated first: the norm then folds into the LM head's matmul (decode)
        b.rmsNorm(x, T, d, finalNorm, c.rmsNormEps, h);
        b.matmul(h, T, lmHead, logits);
      } else if (T === rows.length) {
        // one token per row (a decode step): every row is its own last row, no gather
        nOut = T;
        logits = tmp([T, c.vocabSize]); // allocated first: the norm then folds into the LM head's matmul (decode)
        b.rmsNorm(x, T, d, finalNorm, c.rmsNormEps, h);
        b.matmul(h, T, lmHead, logits);
      } else {
        nOut = rows.length;
        const last = tmp([nOut, d]);
        rows.forEach((r, i) => b.copyRows(x, segStart[i]! + r.tokens.length - 1, last, i, 1, d));
        b.rmsNorm(last, nOut, d, finalNorm, c.rmsNormEps, last);
        logits = tmp([nOut, c.vocabSize]);
        b.matmul(last, nOut, lmHead, logits);
      }
      const V = c.vocabSize;
      if (K !== undefined && b.topK && !fo.allLogits) {
        const top = await b.topK(logits, nOut, V, K);
        for (const r of rows) (r.seq as SeqState).length += r.tokens.length;
        temps.splice(temps.indexOf(logits), 1); // kept for full() until the next pass
        const kept = logits;
        lastLogits = kept;
        return rows.map((_, i) => ({
          ids: top.ids.subarray(i * K, (i + 1) * K),
          vals: top.vals.subarray(i * K, (i + 1) * K),
          vocab: V,
          full: async () => {
            if (lastLogits !== kept) throw new TributaryError('engine/stale-logits', 'These logits belong to an earlier step of the model; a later pass has replaced them.');
            return b.read(kept, i * V, V);
          },
        }));
      }
      const all = await b.read(logits);
      for (const r of rows) (r.seq as SeqState).length += r.tokens.length;
      return rows.map((r, i) =>
        fo.allLogits ? all.slice(segStart[i]! * V, (segStart[i]! + r.tokens.length) * V) : all.slice(i * V, (i + 1) * V),
      );
    } finally {
      for (const t of temps) b.dispose(t);
    }
  }

  return {
    config: c,
    backend: b,
    quant,
    loraSlots,
    loraMaxRank: opts.lora?.maxRank ?? 0,
    memory: () => {
      const used = nPages - freePages.length;
      return {
        weights: weightBytes,
        weightsF32,
        byFormat: { ...dw.byFormat },
        keptF32: dw.keptF32.map((k) => ({ ...k })),
        kvCache: used * pageBytes,
        kvCacheReserved: nPages * pageBytes,
        kvCacheBudget: budgetPages * pageBytes,
        kvPages: { used, total: nPages, budget: budgetPages, pageSize },
        lora: loraBytes,
      };
    },
    createSequence,
    // without candidates every row comes back whole (a Float32Array)
    forward: (rows, fo) => forward(rows, fo) as Promise<Float32Array[]>,
    forwardCandidates: (rows, candidates) => forward(rows, { candidates }),
    async prefill(tokens, seq, po = {}) {
      const [out] = await forward([{ seq, tokens, adapterSlot: po.adapterSlot ?? -1 }], { allLogits: po.allLogits ?? false });
      return out as Float32Array;
    },
    async decodeStep(token, seq, po = {}) {
      const [out] = await forward([{ seq, tokens: [token], adapterSlot: po.adapterSlot ?? -1 }]);
      return out as Float32Array;
    },
    setLoraSlot,
    dispose() {
      if (disposed) return;
      if (lastLogits) b.dispose(lastLogits);
      lastLogits = undefined;
      for (const s of [...live]) s.dispose();
      for (const t of [...owned, ...kPool, ...vPool]) b.dispose(t);
      disposed = true;
    },
  };
}
