/**
 * Architectures of real checkpoints the engine targets, as `LlamaConfig`s (from their HF `config.json`), so tests and
 * benchmarks can build random-weight models of exactly these shapes (`randomModel({ ...SMOLLM2_135M, seed })`) where the
 * weights themselves cannot be downloaded.
 *
 * @example
 * const { config, weights } = randomModel({ ...SMOLLM2_135M, numLayers: 2, seed: 1 });   // a 2-layer slice
 */
import type { LlamaConfig } from './types.ts';

/** HuggingFaceTB/SmolLM2-135M: 30 layers, hidden 576, 9 heads / 3 KV heads of 64, vocabulary 49,152, tied head. */
export const SMOLLM2_135M: LlamaConfig = {
  vocabSize: 49152,
  hiddenSize: 576,
  intermediateSize: 1536,
  numLayers: 30,
  numHeads: 9,
  numKvHeads: 3,
  headDim: 64,
  rmsNormEps: 1e-5,
  ropeTheta: 100000,
  ropeScaling: null,
  maxPositionEmbeddings: 8192,
  tieWordEmbeddings: true,
  attentionBias: false,
};
