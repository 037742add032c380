/**
 * Logits processing and sampling, in HF `generate` order: repetition penalty → temperature → top-k → top-p → draw.
 * `temperature: 0` (or `greedy: true`) takes the argmax (ties: lowest id). Draws come from a seeded PRNG, so the same
 * seed, logits and history give the same token on every run and platform.
 *
 * @example
 * const sampler = createSampler({ temperature: 0.7, topK: 40, topP: 0.9, repetitionPenalty: 1.1, seed: 42 });
 * const id = sampler.sample(logits, historyIds);
 */
import { TributaryError } from '../../core/errors.ts';
import { createRng } from './rng.ts';

export interface SamplingParams {
  /** 0 = greedy; default 1 */
  temperature?: number;
  /** keep the k most likely tokens; 0 or absent = off */
  topK?: number;
  /** keep the smallest set of tokens whose probability reaches p; 1 or absent = off */
  topP?: number;
  /** HF/CTRL penalty on tokens already in the history (logit > 0: ÷ p, else × p); 1 or absent = off */
  repetitionPenalty?: number;
  /** PRNG seed (default 0) */
  seed?: number;
  greedy?: boolean;
}

export interface Sampler {
  readonly params: Readonly<SamplingParams>;
  sample(logits: Float32Array, history?: ArrayLike<number>): number;
}

export function checkSamplingParams(p: SamplingParams): void {
  const bad = (m: string): never => {
    throw new TributaryError('engine/bad-sampling', m);
  };
  if (p.temperature !== undefined && !(p.temperature >= 0 && Number.isFinite(p.temperature))) bad(`Temperature must be a number ≥ 0 (got ${p.temperature}).`);
  if (p.topK !== undefined && !(Number.isInteger(p.topK) && p.topK >= 0)) bad(`top-k must be a whole number ≥ 0 (got ${p.topK}).`);
  if (p.topP !== undefined && !(p.topP > 0 && p.topP <= 1)) bad(`top-p must be in (0, 1] (got ${p.topP}).`);
  if (p.repetitionPenalty !== undefined && !(p.repetitionPenalty > 0 && Number.isFinite(p.repetitionPenalty))) {
    bad(`The repetition penalty must be a number > 0 (got ${p.repetitionPenalty}).`);
  }
}

/** In place: every token id in `history` (once) gets its logit divided (if > 0) or multiplied (if ≤ 0) by `penalty`. */
export function applyRepetitionPenalty(logits: Float32Array, history: ArrayLike<number>, penalty: number): void {
  if (penalty === 1) return;
  const seen = new Set<number>();
  for (let i = 0; i < history.length; i++) {
    const id = history[i]!;
    if (seen.has(id) || id < 0 || id >= logits.length) continue;
    seen.add(id);
    const l = logits[id]!;
    logits[id] = l > 0 ? l / penalty : l * penalty;
  }
}

/** Index of the largest value (lowest index on ties; NaN never wins). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  let bv = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v > bv) {
      bv = v;
      best = i;
    }
  }
  return best;
}

/**
 * Candidate ids and their normalised probabilities after temperature, top-k and top-p (sorted by probability,
 * descending, when top-k or top-p is on; else in id order). Exposed for tests and for UIs that show alternatives.
 */
export function candidateDistribution(logits: Float32Array, p: SamplingParams): { ids: Int32Array; probs: Float64Array } {
  const temp = p.temperature ?? 1;
  const V = logits.length;
  let max = -Infinity;
  for (let i = 0; i < V; i++) if (logits[i]! > max) max = logits[i]!;
  // unnormalised probabilities in f64
  const w = new Float64Array(V);
  for (let i = 0; i < V; i++) w[i] = Math.exp((logits[i]! - max) / temp);
  const topK = p.topK ?? 0;
  const topP = p.topP ?? 1;
  let ids: Int32Array;
  if (topK > 0 && topK < V) {
    ids = topKIds(w, topK);
  } else if (topP < 1) {
    // tokens below 1e-12 of the top one cannot move the top-p cut measurably (their total mass is < V·1e-12)
    const keep: number[] = [];
    for (let i = 0; i < V; i++) if (w[i]! >= 1e-12) keep.push(i);
    ids = Int32Array.from(keep).sort((a, b) => w[b]! - w[a]! || a - b);
  } else {
    ids = Int32Array.from({ length: V }, (_, i) => i);
  }
  let sum = 0;
  for (const id of ids) sum += w[id]!;
  if (topP < 1) {
    let acc = 0;
    let keep = ids.length;
    for (let i = 0; i < ids.length; i++) {
      acc += w[ids[i]!]! / sum;
      if (acc >= topP) {
        keep = i + 1;
        break;
      }
    }
    ids = ids.slice(0, keep);
    sum = 0;
    for (const id of ids) sum += w[id]!;
  }
  const probs = Float64Array.from(ids, (id) => w[id]! / sum);
  return { ids, probs };
}

/** The `k` ids with the largest weights, sorted descending (ties: lower id first); O(V) for small k. */
function topKIds(w: Float64Array, k: number): Int32Array {
  const ids = new Int32Array(k);
  const vals = new Float64Array(k).fill(-Infinity);
  let n = 0;
  for (let i = 0; i < w.length; i++) {
    const v = w[i]!;
    if (n === k && v <= vals[k - 1]!) continue;
    let j = n < k ? n++ : k - 1;
    while (j > 0 && vals[j - 1]! < v) {
      vals[j] = vals[j - 1]!;
      ids[j] = ids[j - 1]!;
      j--;
    }
    vals[j] = v;
    ids[j] = i;
  }
  return ids.slice(0, n);
}

export function createSampler(params: SamplingParams = {}): Sampler {
  checkSamplingParams(params);
  const rng = createRng(params.seed ?? 0);
  const greedy = params.greedy === true || params.temperature === 0;
  const penalty = params.repetitionPenalty ?? 1;
  /** reused for the penalised copy (the caller's logits are never modified) */
  let scratch = new Float32Array(0);
  return {
    params: { ...params },
    sample(logits, history = []) {
      // only the repetition penalty writes to the logits: without it (or without history) read the caller's array
      // in place, no copy — at 32 rows × a 150k vocabulary that copy is most of a sampling step
      let l = logits;
      if (penalty !== 1 && history.length > 0) {
        if (scratch.length !== logits.length) scratch = new Float32Array(logits.length);
        scratch.set(logits);
        l = scratch;
        applyRepetitionPenalty(l, history, penalty);
      }
      if (greedy) return argmax(l);
      const { ids, probs } = candidateDistribution(l, params);
      const u = rng.next();
      let acc = 0;
      for (let i = 0; i < ids.length; i++) {
        acc += probs[i]!;
        if (u < acc) return ids[i]!;
      }
      return ids[ids.length - 1]!;
    },
  };
}
