/**
 * Unigram and bigram baselines for the demo model card: estimated on the base model's training token streams and
 * scored on exactly the held-out (context → target) pairs the model is scored on. Unigram: add-0.1 smoothing.
 * Bigram: interpolated with that unigram, `λ·P_ML(b|a) + (1−λ)·P_uni(b)`, λ the best of a small grid on the held-out
 * text itself (which flatters the baseline, not the model).
 */
import type { TrainExample } from '../../src/engine/train/types.ts';

export interface NgramPerplexity {
  unigram: number;
  bigram: number;
  bigramLambda: number;
  tokens: number;
}

export function ngramBaselines(train: readonly TrainExample[], heldOut: readonly TrainExample[], vocab: number): NgramPerplexity {
  const uni = new Float64Array(vocab);
  const pair = new Map<number, number>();
  const from = new Float64Array(vocab);
  let total = 0;
  for (const e of train) {
    for (let i = 0; i < e.tokens.length; i++) {
      uni[e.tokens[i]!]!++;
      total++;
      if (i + 1 < e.tokens.length) {
        const k = e.tokens[i]! * vocab + e.tokens[i + 1]!;
        pair.set(k, (pair.get(k) ?? 0) + 1);
        from[e.tokens[i]!]!++;
      }
    }
  }
  const pUni = (b: number): number => (uni[b]! + 0.1) / (total + 0.1 * vocab);
  const lambdas = [0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
  const nll = new Float64Array(lambdas.length);
  let uniNll = 0;
  let n = 0;
  for (const e of heldOut) {
    for (let i = 0; i + 1 < e.tokens.length; i++) {
      if (!e.lossMask[i + 1]) continue;
      const a = e.tokens[i]!;
      const b = e.tokens[i + 1]!;
      const pu = pUni(b);
      const pb = from[a]! > 0 ? (pair.get(a * vocab + b) ?? 0) / from[a]! : pu;
      uniNll -= Math.log(pu);
      lambdas.forEach((l, j) => (nll[j] = nll[j]! - Math.log(l * pb + (1 - l) * pu)));
      n++;
    }
  }
  let best = 0;
  for (let j = 1; j < lambdas.length; j++) if (nll[j]! < nll[best]!) best = j;
  return { unigram: Math.exp(uniNll / n), bigram: Math.exp(nll[best]! / n), bigramLambda: lambdas[best]!, tokens: n };
}
