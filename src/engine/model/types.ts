/**
 * What the Llama-family forward pass needs to know about a model, normalised (camelCase, defaults filled in), and
 * its weights as f32 matrices in PyTorch layout. `src/engine/formats` turns HF `config.json` + safetensors into these.
 */
import type { RopeScaling } from '../cpu/kernels/rope.ts';
import type { F32Matrix } from '../quant.ts';

export interface LlamaConfig {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  /** usually hiddenSize / numHeads */
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling?: RopeScaling | null;
  maxPositionEmbeddings: number;
  /** lm_head shares the embedding table */
  tieWordEmbeddings: boolean;
  /** q/k/v projections carry a bias (Qwen2) */
  attentionBias: boolean;
}

export interface LlamaLayerWeights {
  inputNorm: Float32Array;
  postAttentionNorm: Float32Array;
  q: F32Matrix;
  k: F32Matrix;
  v: F32Matrix;
  o: F32Matrix;
  gate: F32Matrix;
  up: F32Matrix;
  down: F32Matrix;
  qBias?: Float32Array;
  kBias?: Float32Array;
  vBias?: Float32Array;
}

export interface LlamaWeights {
  /** `[vocab, hidden]` */
  embed: F32Matrix;
  layers: LlamaLayerWeights[];
  finalNorm: Float32Array;
  /** `[vocab, hidden]`; absent when the embeddings are tied */
  lmHead?: F32Matrix;
}

/**
 * Names one weight of `LlamaWeights`, for building a model a weight at a time (`createModelBuilder`): a top-level
 * weight, or one part of a layer.
 */
export type WeightSlot = { layer: null; part: 'embed' | 'lmHead' | 'finalNorm' } | { layer: number; part: keyof LlamaLayerWeights };

/** Linear modules a LoRA adapter may target (PEFT names: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj). */
export type LoraTarget = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down';
export const LORA_TARGETS: readonly LoraTarget[] = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];

/**
 * A LoRA adapter's weights for the model: per layer, per targeted module, `A [rank, in]` and `B [out, rank]`
 * (PEFT layout). `scale` defaults to `alpha / rank`.
 */
export interface LoraAdapterWeights {
  rank: number;
  alpha: number;
  scale?: number;
  layers: Partial<Record<LoraTarget, { A: Float32Array; B: Float32Array }>>[];
}
