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
import type { Backend, WeightFormat } from '../backend.ts';
import type { LogitCandidates } from '../sampling/sample.ts';
import { type LlamaConfig, type LlamaLayerWeights, type LlamaWeights, type LoraAdapterWeights, type LoraTarget } from './types.ts';
import { checkHeads, createModelBuilder, LAYER_NAMES } from './modelBuilder.ts';

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
