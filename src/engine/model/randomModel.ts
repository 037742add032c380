/**
 * Seeded random-weight Llama models and LoRA adapters, for tests, the ONNX reference and the bundled demo model.
 * Weights are scaled so that activations stay O(1) (matrices ~ N(0, 1/in), embeddings ~ N(0, 1), norm weights
 * ~ 1 ± 0.1), which keeps the logits far from uniform: parity tests then compare something meaningful.
 *
 * @example
 * const { config, weights } = randomModel({ seed: 1 });   // 2 layers, hidden 64, 4 heads, 2 KV heads, vocab 300
 * const adapter = randomAdapter(config, { seed: 2, rank: 4 });
 */
import { createRng, type Rng } from '../sampling/rng.ts';
import type { F32Matrix } from '../quant.ts';
import { loraTargetDims } from './loraTargetDims.ts';
import { LORA_TARGETS, type LlamaConfig, type LlamaLayerWeights, type LlamaWeights, type LoraAdapterWeights, type LoraTarget } from './types.ts';

export interface RandomModelOptions extends Partial<LlamaConfig> {
  seed?: number;
}

export function randomConfig(o: Partial<LlamaConfig> = {}): LlamaConfig {
  const hiddenSize = o.hiddenSize ?? 64;
  const numHeads = o.numHeads ?? 4;
  return {
    vocabSize: o.vocabSize ?? 300,
    hiddenSize,
    intermediateSize: o.intermediateSize ?? 128,
    numLayers: o.numLayers ?? 2,
    numHeads,
    numKvHeads: o.numKvHeads ?? 2,
    headDim: o.headDim ?? hiddenSize / numHeads,
    rmsNormEps: o.rmsNormEps ?? 1e-5,
    ropeTheta: o.ropeTheta ?? 10000,
    ropeScaling: o.ropeScaling ?? null,
    maxPositionEmbeddings: o.maxPositionEmbeddings ?? 256,
    tieWordEmbeddings: o.tieWordEmbeddings ?? true,
    attentionBias: o.attentionBias ?? false,
  };
}

function mat(rng: Rng, rows: number, cols: number, std: number): F32Matrix {
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
  return { kind: 'f32', rows, cols, data };
}

function vec(rng: Rng, n: number, mean: number, std: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = mean + rng.normal() * std;
  return v;
}

export function randomModel(opts: RandomModelOptions = {}): { config: LlamaConfig; weights: LlamaWeights } {
  const { seed = 1, ...rest } = opts;
  const c = randomConfig(rest);
  const rng = createRng(seed);
  const d = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const embed = mat(rng, c.vocabSize, d, 1);
  const layers: LlamaLayerWeights[] = [];
  for (let l = 0; l < c.numLayers; l++) {
    const layer: LlamaLayerWeights = {
      inputNorm: vec(rng, d, 1, 0.1),
      postAttentionNorm: vec(rng, d, 1, 0.1),
      q: mat(rng, qDim, d, 1 / Math.sqrt(d)),
      k: mat(rng, kvDim, d, 1 / Math.sqrt(d)),
      v: mat(rng, kvDim, d, 1 / Math.sqrt(d)),
      o: mat(rng, d, qDim, 1 / Math.sqrt(qDim)),
      gate: mat(rng, c.intermediateSize, d, 1 / Math.sqrt(d)),
      up: mat(rng, c.intermediateSize, d, 1 / Math.sqrt(d)),
      down: mat(rng, d, c.intermediateSize, 1 / Math.sqrt(c.intermediateSize)),
    };
    if (c.attentionBias) {
      layer.qBias = vec(rng, qDim, 0, 0.1);
      layer.kBias = vec(rng, kvDim, 0, 0.1);
      layer.vBias = vec(rng, kvDim, 0, 0.1);
    }
    layers.push(layer);
  }
  const finalNorm = vec(rng, d, 1, 0.1);
  const weights: LlamaWeights = { embed, layers, finalNorm };
  if (!c.tieWordEmbeddings) weights.lmHead = mat(rng, c.vocabSize, d, 1 / Math.sqrt(d));
  return { config: c, weights };
}

export interface RandomAdapterOptions {
  seed?: number;
  rank?: number;
  alpha?: number;
  targets?: readonly LoraTarget[];
  /** std of A and B entries relative to 1/sqrt(dim); larger = stronger adapter */
  strength?: number;
}

/** A seeded random LoRA adapter with both A and B non-zero (a fresh PEFT adapter has B = 0; this one changes outputs). */
export function randomAdapter(c: LlamaConfig, o: RandomAdapterOptions = {}): LoraAdapterWeights {
  const rank = o.rank ?? 4;
  const alpha = o.alpha ?? rank * 2;
  const targets = o.targets ?? LORA_TARGETS;
  const strength = o.strength ?? 0.5;
  const rng = createRng(o.seed ?? 7);
  const layers: LoraAdapterWeights['layers'] = [];
  for (let l = 0; l < c.numLayers; l++) {
    const layer: LoraAdapterWeights['layers'][number] = {};
    for (const t of targets) {
      const { inDim, outDim } = loraTargetDims(c, t);
      layer[t] = {
        A: vec(rng, rank * inDim, 0, strength / Math.sqrt(inDim)),
        B: vec(rng, outDim * rank, 0, strength / Math.sqrt(Math.max(rank, 1))),
      };
    }
    layers.push(layer);
  }
  return { rank, alpha, layers };
}
