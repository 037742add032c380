/**
 * A hand-set induction circuit as the starting point of the demo base's pretraining.
 *
 * Why: a model reads its prompt (copies a name it was asked about, continues a passage it has seen) through an
 * induction circuit — a head that looks at the previous position and writes "the token before me" into the
 * residual stream, and a later head that finds the earlier position whose predecessor equals the current token and
 * copies what followed. Gradient descent finds that pair only after a long plateau (both halves are useless alone);
 * on this 2-core machine the demo shape went from ln V = 7.62 to just 6.7 in 2,200 steps of variable-length repeats
 * (docs/TRAINING.md). Setting the two attention patterns by hand removes the plateau; training then adjusts every
 * weight, these included.
 *
 * Layout of the residual stream (hidden size d, head size h): token embeddings live in dims [0, d−h−1), a
 * "previous token" subspace P = [d−h−1, d−1) starts empty, and dim d−1 is a constant channel (the same value for
 * every token; with tied embeddings it shifts every logit alike, so it changes no probability).
 * - Layer 0, query head 0 / KV head 0: query and key read only the constant channel, on the fastest RoPE pairs,
 *   with the key turned one position back, so its scores peak at the previous position; its values are a random
 *   projection R of the token embedding, and its output writes them into P. The rest of layer 0 starts silent
 *   (output and down projections zero) so nothing else lands in P at first.
 * - Layer 1, query head 0 / KV head 0: the query is R·(current token), the key reads P, on the slowest RoPE pairs
 *   (nearly position-free at rope θ = 1e6): the score peaks where the previous token equals the current one. Its
 *   values project the embedding and its output writes them back, so what followed the earlier occurrence becomes
 *   the likely next token.
 * Scales were chosen by measuring the attention patterns and the first-step loss on random repeats (docs/TRAINING.md).
 */
import { ropeInvFreq } from '../../src/engine/cpu/kernels/rope.ts';
import type { Rng } from '../../src/engine/sampling/rng.ts';
import type { LlamaConfig, LlamaWeights } from '../../src/engine/model/types.ts';

export interface InductionInitOptions {
  /** std of the token embeddings (their first d−h−1 dims) */
  embedStd: number;
  /** value of the constant channel */
  constant: number;
  /** previous-token head: score amplitude per RoPE pair, and how many of the fastest pairs it uses */
  previousAmplitude: number;
  previousPairs: number;
  /** gain of the previous-token head's write into P */
  previousGain: number;
  /** induction head: query/key scale, and the gain of its copy back into the embedding dims */
  matchScale: number;
  copyGain: number;
}

export const DEFAULT_INDUCTION_INIT: InductionInitOptions = {
  embedStd: 0.05,
  constant: 0.2,
  previousAmplitude: 14,
  previousPairs: 4,
  previousGain: 0.05,
  matchScale: 3.5,
  copyGain: 3,
};

/** Overwrites `weights` (embeddings, layers 0 and 1) in place. Needs ≥ 2 layers, tied embeddings and d > 2h. */
export function initInductionCircuit(config: LlamaConfig, weights: LlamaWeights, rng: Rng, o: InductionInitOptions = DEFAULT_INDUCTION_INIT): void {
  const d = config.hiddenSize;
  const h = config.headDim;
  const half = h / 2;
  const qDim = config.numHeads * h;
  if (config.numLayers < 2 || d <= 2 * h + 1 || half < 8 + 4) throw new Error(`induction init: needs ≥ 2 layers, hidden > 2·head + 1 and head ≥ 24 (got ${config.numLayers}, ${d}, ${h})`);
  const embDims = d - h - 1;
  const P = embDims;
  const C = d - 1;
  const emb = weights.embed.data;
  emb.fill(0);
  for (let t = 0; t < config.vocabSize; t++) {
    for (let j = 0; j < embDims; j++) emb[t * d + j] = rng.normal() * o.embedStd;
    emb[t * d + C] = o.constant;
  }
  // the constant channel's value after RMSNorm (norm weights start at 1)
  const cNorm = o.constant / Math.sqrt((embDims * o.embedStd * o.embedStd + o.constant * o.constant) / d);
  const inv = ropeInvFreq(h, config.ropeTheta, config.ropeScaling);
  const project = (): number[][] => Array.from({ length: h }, () => Array.from({ length: embDims }, () => rng.normal() / Math.sqrt(embDims)));
  const clearRows = (m: Float32Array, rows: number, cols: number): void => {
    m.fill(0, 0, rows * cols);
  };
  const [L0, L1] = [weights.layers[0]!, weights.layers[1]!];

  // layer 0: previous-token head (query head 0 reads KV head 0 = rows [0, h) of k and v)
  clearRows(L0.q.data, h, d);
  clearRows(L0.k.data, h, d);
  clearRows(L0.v.data, h, d);
  for (let i = 0; i < o.previousPairs; i++) {
    const th = inv[i]!;
    L0.q.data[i * d + C] = o.previousAmplitude / cNorm;
    L0.k.data[i * d + C] = (o.previousAmplitude * Math.cos(th)) / cNorm;
    L0.k.data[(i + half) * d + C] = (o.previousAmplitude * Math.sin(th)) / cNorm;
  }
  const R = project();
  for (let r = 0; r < h; r++) for (let j = 0; j < embDims; j++) L0.v.data[r * d + j] = R[r]![j]!;
  L0.o.data.fill(0);
  L0.down.data.fill(0);
  for (let r = 0; r < h; r++) L0.o.data[(P + r) * qDim + r] = o.previousGain;

  // layer 1: induction head, matching on the slowest RoPE pairs (8 of them: dims [half−8, half) and [h−8, h))
  clearRows(L1.q.data, h, d);
  clearRows(L1.k.data, h, d);
  const slow = (c: number): number => (c < 8 ? half - 8 + c : h - 8 + (c - 8));
  for (let c = 0; c < 16; c++) {
    for (let j = 0; j < embDims; j++) L1.q.data[slow(c) * d + j] = o.matchScale * R[c]![j]!;
    L1.k.data[slow(c) * d + P + c] = o.matchScale;
  }
  const R2 = project();
  clearRows(L1.v.data, h, d);
  for (let r = 0; r < h; r++) for (let j = 0; j < embDims; j++) L1.v.data[r * d + j] = R2[r]![j]!;
  for (let row = 0; row < d; row++) for (let r = 0; r < h; r++) L1.o.data[row * qDim + r] = row < embDims ? o.copyGain * R2[r]![row]! : 0;
}
