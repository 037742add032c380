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

/**
 * A row's `k` largest logits, as a GPU backend reads them back instead of the whole vocabulary (`topK`): sorted by
 * value descending, ties lower id first; id −1 past the row's non-NaN values.
 */
export interface LogitCandidates {
  ids: Int32Array;
  vals: Float32Array;
  /** the row's full length (the vocabulary) */
  vocab: number;
}

export interface Sampler {
  readonly params: Readonly<SamplingParams>;
  sample(logits: Float32Array, history?: ArrayLike<number>): number;
  /**
   * The token `sample` would give for the whole row, from its top candidates alone, when they decide it for sure
   * (greedy, or top-k within the candidates, with no penalty or a penalty ≥ 1 that leaves the winners above every
   * token outside the candidates); else `undefined` without drawing, and the caller samples the whole row.
   */
  sampleCandidates(c: LogitCandidates, history?: ArrayLike<number>): number | undefined;
  /** how many candidates per row `sampleCandidates` can work with (0: it always needs the whole row) */
  readonly candidatesWanted: number;
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

/** f64 weights for the paths that need one per vocabulary entry, reused across calls (a 150k vocabulary is 1.2 MB) */
let weightScratch = new Float64Array(0);

/**
 * Candidate ids and their normalised probabilities after temperature, top-k and top-p (sorted by probability,
 * descending, when top-k or top-p is on; else in id order). Exposed for tests and for UIs that show alternatives.
 *
 * Cost: top-k picks its k ids from the raw logits (temperature and exp do not change the order) and weighs only
 * those; top-p alone sorts only the tokens above a weight threshold that already holds p of the mass, not the whole
 * vocabulary. Same ids and probabilities as weighing and sorting everything (sample.test.ts keeps that version as
 * the reference); at 32 rows × a 49k vocabulary a sampling step went from ~26–31 to ~5–6 ms (top-k 40, top-p 0.9)
 * and from ~450 to ~45 ms (top-p 0.9 alone) on the build machine (`npx tsx bench/_sampling.ts`, both in one run).
 */
export function candidateDistribution(logits: Float32Array, p: SamplingParams): { ids: Int32Array; probs: Float64Array } {
  const temp = p.temperature ?? 1;
  const V = logits.length;
  const topK = p.topK ?? 0;
  const topP = p.topP ?? 1;
  // top-k: the k ids are chosen from the raw logits; only they are weighed
  if (topK > 0 && topK < V) return rankedDistribution(topKIds(logits, topK), (id) => logits[id]!, temp, topP);
  let max = -Infinity;
  for (let i = 0; i < V; i++) if (logits[i]! > max) max = logits[i]!;
  const weight = (id: number): number => Math.exp((logits[id]! - max) / temp);
  let ids: Int32Array;
  let w: (id: number) => number = weight;
  if (topP < 1) {
    if (weightScratch.length < V) weightScratch = new Float64Array(V);
    const ws = weightScratch;
    // tokens below 1e-12 of the top one cannot move the top-p cut measurably (their total mass is < V·1e-12)
    let total = 0;
    for (let i = 0; i < V; i++) {
      const x = weight(i);
      ws[i] = x;
      if (x >= 1e-12) total += x;
    }
    // the nucleus lies among the tokens of weight ≥ θ once those hold p of the mass: lower θ until they do
    let theta = 0.5;
    for (;;) {
      let mass = 0;
      for (let i = 0; i < V; i++) if (ws[i]! >= theta) mass += ws[i]!;
      if (mass >= topP * total || theta <= 1e-12) break;
      theta = Math.max(1e-12, theta / 64);
    }
    const keep: number[] = [];
    for (let i = 0; i < V; i++) if (ws[i]! >= theta) keep.push(i);
    ids = Int32Array.from(keep).sort((a, b) => ws[b]! - ws[a]! || a - b);
    let acc = 0;
    let cut = ids.length;
    for (let i = 0; i < ids.length; i++) {
      acc += ws[ids[i]!]! / total;
      if (acc >= topP) {
        cut = i + 1;
        break;
      }
    }
    ids = ids.slice(0, cut);
    w = (id) => ws[id]!;
  } else {
    ids = Int32Array.from({ length: V }, (_, i) => i);
  }
  const weights = Float64Array.from(ids, w);
  let sum = 0;
  for (const x of weights) sum += x;
  const probs = new Float64Array(ids.length);
  for (let i = 0; i < ids.length; i++) probs[i] = weights[i]! / sum;
  return { ids, probs };
}

/**
 * The distribution over `ids` (the top-k, sorted by value descending, ties lower id first) after temperature and
 * then top-p inside them; `valueOf` gives each id's (penalised) logit.
 */
function rankedDistribution(ids: Int32Array, valueOf: (id: number) => number, temp: number, topP: number): { ids: Int32Array; probs: Float64Array } {
  const max = ids.length > 0 ? valueOf(ids[0]!) : -Infinity;
  const weights = Float64Array.from(ids, (id) => Math.exp((valueOf(id) - max) / temp));
  let keep = ids.length;
  let sum = 0;
  for (const x of weights) sum += x;
  if (topP < 1) {
    let acc = 0;
    for (let i = 0; i < ids.length; i++) {
      acc += weights[i]! / sum;
      if (acc >= topP) {
        keep = i + 1;
        break;
      }
    }
    sum = 0;
    for (let i = 0; i < keep; i++) sum += weights[i]!;
  }
  const probs = new Float64Array(keep);
  for (let i = 0; i < keep; i++) probs[i] = weights[i]! / sum;
  return { ids: ids.slice(0, keep), probs };
}

/** The id `u` (uniform in [0, 1)) lands on, walking the candidates in order. */
function draw(ids: Int32Array, probs: Float64Array, u: number): number {
  let acc = 0;
  for (let i = 0; i < ids.length; i++) {
    acc += probs[i]!;
    if (u < acc) return ids[i]!;
  }
  return ids[ids.length - 1]!;
}

/** The `k` ids with the largest logits, sorted descending (ties: lower id first; NaN never chosen); O(V) for small k. */
function topKIds(logits: Float32Array, k: number): Int32Array {
  const ids = new Int32Array(k);
  const vals = new Float32Array(k).fill(-Infinity);
  let n = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (n === k ? !(v > vals[k - 1]!) : !(v >= -Infinity)) continue;
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

/** The largest top-k a candidate read-back serves (a GPU reads back this many logits per row). */
export const MAX_CANDIDATES = 64;

export function createSampler(params: SamplingParams = {}): Sampler {
  checkSamplingParams(params);
  const rng = createRng(params.seed ?? 0);
  const greedy = params.greedy === true || params.temperature === 0;
  const penalty = params.repetitionPenalty ?? 1;
  const topK = params.topK ?? 0;
  const temp = params.temperature ?? 1;
  const topP = params.topP ?? 1;
  /** reused for the penalised copy (the caller's logits are never modified) */
  let scratch = new Float32Array(0);
  // a penalty below 1 raises seen tokens, which may lift one from outside the candidates: whole rows then
  const candidatesWanted = penalty >= 1 && (greedy ? true : topK > 0 && topK <= MAX_CANDIDATES) ? MAX_CANDIDATES : 0;
  return {
    params: { ...params },
    candidatesWanted,
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
      return draw(ids, probs, rng.next());
    },
    sampleCandidates(c, history = []) {
      // top-k over the whole vocabulary is no top-k: the full row's draw walks ids in id order, not by rank
      if (candidatesWanted === 0 || (!greedy && topK >= c.vocab)) return undefined;
      let n = 0;
      while (n < c.ids.length && c.ids[n]! >= 0) n++;
      if (n === 0) return undefined;
      // fewer than asked: the row has no other (non-NaN) values, so the candidates are the whole row
      const complete = n < c.ids.length;
      const floor = c.vals[n - 1]!; // every token outside the candidates has a logit ≤ this (and ≤ after a penalty ≥ 1)
      const value = new Map<number, number>();
      for (let i = 0; i < n; i++) value.set(c.ids[i]!, c.vals[i]!);
      if (penalty !== 1) {
        const seen = new Set<number>();
        for (let i = 0; i < history.length; i++) {
          const id = history[i]!;
          const v = value.get(id);
          if (v === undefined || seen.has(id)) continue;
          seen.add(id);
          value.set(id, Math.fround(v > 0 ? v / penalty : v * penalty)); // as the penalised f32 row holds it
        }
      }
      const ranked = Int32Array.from(c.ids.subarray(0, n)).sort((a, b) => value.get(b)! - value.get(a)! || a - b);
      const need = greedy ? 1 : topK;
      if (need > n && !complete) return undefined;
      const kth = value.get(ranked[Math.min(need, n) - 1]!)!;
      // a token outside could tie or beat the last one kept: only the whole row decides
      if (!complete && !(kth > floor)) return undefined;
      if (greedy) return ranked[0]!;
      const { ids, probs } = rankedDistribution(ranked.subarray(0, Math.min(need, n)), (id) => value.get(id)!, temp, topP);
      return draw(ids, probs, rng.next());
    },
  };
}
