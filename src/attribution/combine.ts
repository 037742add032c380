/**
 * The combination rule (docs/ATTRIBUTION.md): per-method evidence → one weight vector over contributions plus an
 * explicit unattributed share, in integer ppm summing to exactly 1_000_000. Pure and deterministic.
 *
 * 1. Each method's scores become a share over contributions, keeping only contributions close to that method's
 *    best: `π_m(c) ∝ max(0, s(c) − ρ·s_max)` (spans: `π ∝ s`, their mass is already rarity-weighted; embeddings
 *    and influence are first shifted by their baseline, so only what stands out counts).
 * 2. The shares are mixed with method weights `ω_m` (renormalised over the methods that found anything). The base
 *    weights are fixed; spans weigh most because they are what the answer literally says, but only for the part of
 *    the answer they cover: `ω_span = w_span · spanCoverage` (a span's evidence is about the words it covers and
 *    says nothing about the rest, which the other methods, reading the whole answer, do speak to).
 * 3. How much is attributed at all, `A`, is the evidence's COVERAGE of the answer: the IDF-weighted fraction of
 *    the answer's own content words (not stop words, not echoed from the prompt) that lie in kept spans, or, for
 *    paraphrases, that the best single contribution contains (ramped: below `lexicalFloor` counts as nothing).
 *    An answer that matches nothing, or only repeats the prompt, has A = 0 and credits nobody.
 * 4. `weight(c) = A·π(c)`; credits below `minCredit` and beyond the top `maxCredits` go to the unattributed share.
 *
 * Two outputs, on purpose: the CREDITS (steps 1–4) are sparse because they are paid; the RANKING score is dense:
 * `r(c) = Σ_m ω_m·π̃_m(c) / Σ ω_m` with `π̃_m(c) ∝ max(0, s(c))`, the same mix of the same methods without the
 * relative cut. The cut zeroes every contribution but a method's few best, which is right for paying and wrong for
 * ranking: every contribution below the cut ties at 0, so a ranking (the evaluation's MRR, the LDS benchmark's
 * sums over training subsets) loses what each method knows about the rest, and can score below its best member.
 */
import { sharesToPpm } from '../core/attribution/ppm.ts';
import { ATTRIBUTION_METHODS, PPM, type AttributionMethod } from '../core/attribution/types.ts';
import type { Hex } from '../core/types.ts';

export interface CombineParams {
  methodWeights: Record<AttributionMethod, number>;
  /** relative cut ρ for bm25 / embedding / influence shares */
  relativeCut: number;
  /** lexical coverage at or below this counts as no evidence; at `lexicalFull` as full */
  lexicalFloor: number;
  lexicalFull: number;
  minCredit: number;
  maxCredits: number;
}

export const DEFAULT_COMBINE: CombineParams = {
  methodWeights: { span: 0.45, bm25: 0.25, embedding: 0.1, influence: 0.2 },
  relativeCut: 0.5,
  lexicalFloor: 0.4,
  lexicalFull: 0.9,
  minCredit: 0.02,
  maxCredits: 10,
};

/** A method's scores over contributions (the absent are 0), already baseline-shifted where needed. */
export type MethodScores = ReadonlyMap<Hex, number>;

export interface CombineInput {
  scores: Partial<Record<AttributionMethod, MethodScores>>;
  spanCoverage: number;
  lexicalCoverage: number;
}

export interface Combined {
  /** contribution → weight in ppm (≥ 1), largest first then id */
  credits: { contributionId: Hex; weightPpm: number }[];
  unattributedPpm: number;
  /** A: the share the evidence covers before thresholds */
  attributedShare: number;
  /** the mixed share π after each method's cut: what the credits are made of */
  mixed: Map<Hex, number>;
  /** the dense combined ranking score r (no cut): every contribution any method scored above 0, for rankings */
  ranking: Map<Hex, number>;
  /** ω: each method's weight in the mix after renormalisation (0 for a method that found nothing) */
  methodWeights: Record<AttributionMethod, number>;
}

function methodShare(method: AttributionMethod, s: MethodScores, rho: number): Map<Hex, number> {
  const out = new Map<Hex, number>();
  let max = 0;
  for (const v of s.values()) max = Math.max(max, v);
  if (!(max > 0)) return out;
  const cut = method === 'span' ? 0 : rho * max;
  let total = 0;
  for (const [c, v] of s) {
    const x = Math.max(0, v - cut);
    if (x > 0) {
      out.set(c, x);
      total += x;
    }
  }
  for (const [c, v] of out) out.set(c, v / total);
  return out;
}

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

/** a method's base weight times the strength of its evidence (see step 2) */
function methodWeight(m: AttributionMethod, input: CombineInput, p: CombineParams): number {
  return m === 'span' ? p.methodWeights.span * clamp01(input.spanCoverage) : p.methodWeights[m];
}

export function combineEvidence(input: CombineInput, p: CombineParams = DEFAULT_COMBINE): Combined {
  const mixed = new Map<Hex, number>();
  const ranking = new Map<Hex, number>();
  let weightSum = 0;
  const shares: [AttributionMethod, number, Map<Hex, number>, Map<Hex, number>][] = [];
  for (const m of ATTRIBUTION_METHODS) {
    const s = input.scores[m];
    if (!s) continue;
    const w = methodWeight(m, input, p);
    const share = methodShare(m, s, p.relativeCut);
    if (share.size === 0 || !(w > 0)) continue;
    shares.push([m, w, share, methodShare(m, s, 0)]);
    weightSum += w;
  }
  const omega = Object.fromEntries(ATTRIBUTION_METHODS.map((m) => [m, 0])) as Record<AttributionMethod, number>;
  for (const [m, w, share, dense] of shares) {
    omega[m] = w / weightSum;
    for (const [c, v] of share) mixed.set(c, (mixed.get(c) ?? 0) + v * omega[m]);
    for (const [c, v] of dense) ranking.set(c, (ranking.get(c) ?? 0) + v * omega[m]);
  }
  const lexical = clamp01((input.lexicalCoverage - p.lexicalFloor) / (p.lexicalFull - p.lexicalFloor));
  const A = mixed.size === 0 ? 0 : clamp01(Math.max(input.spanCoverage, lexical));
  const ranked = [...mixed.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const kept = ranked.filter(([, v]) => A * v >= p.minCredit).slice(0, p.maxCredits);
  const attributed = kept.reduce((s, [, v]) => s + A * v, 0);
  const ppm = sharesToPpm([...kept.map(([, v]) => A * v), Math.max(0, 1 - attributed)]);
  const credits = kept.map(([c], i) => ({ contributionId: c, weightPpm: ppm[i]! })).filter((c) => c.weightPpm > 0);
  const unattributedPpm = PPM - credits.reduce((s, c) => s + c.weightPpm, 0);
  return { credits, unattributedPpm, attributedShare: A, mixed, ranking, methodWeights: omega };
}
