import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ATTRIBUTION_METHODS, PPM, type AttributionMethod } from '../core/attribution/types.ts';
import type { Hex } from '../core/types.ts';
import { createRng } from '../engine/sampling/rng.ts';
import { combineEvidence, DEFAULT_COMBINE, type CombineInput } from './combine.ts';

const id = (i: number): Hex => `0x${i.toString(16).padStart(64, '0')}`;

/** Spearman correlation (average ranks for ties); 0 when a side is constant (it predicts no difference) */
function spearman(a: readonly number[], b: readonly number[]): number {
  const rank = (xs: readonly number[]): number[] => {
    const order = xs.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(xs.length);
    for (let i = 0; i < order.length; ) {
      let j = i;
      while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
      for (let k = i; k <= j; k++) r[order[k]![1]] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const mean = (a.length - 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (ra[i]! - mean) * (rb[i]! - mean);
    da += (ra[i]! - mean) ** 2;
    db += (rb[i]! - mean) ** 2;
  }
  return da === 0 || db === 0 ? 0 : num / Math.sqrt(da * db);
}

/**
 * A linear-datamodeling world: each contribution has a true effect on the answer; the outcome of training on a half
 * is the sum of its members' effects (plus noise); a score's LDS is the Spearman correlation, over halves, of the sum
 * of its scores over each half with that outcome (as in bench/lds.ts).
 */
function ldsWorld(seed: number, n = 40, halves = 40) {
  const rng = createRng(seed);
  const truth = Array.from({ length: n }, () => rng.next() ** 3);
  const subsets: number[][] = [];
  const outcome: number[] = [];
  for (let m = 0; m < halves; m++) {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const half = order.slice(0, n / 2);
    subsets.push(half);
    outcome.push(half.reduce((s, i) => s + truth[i]!, 0) + 0.05 * (rng.next() - 0.5));
  }
  const lds = (score: ReadonlyMap<Hex, number>): number =>
    spearman(
      subsets.map((s) => s.reduce((t, i) => t + (score.get(id(i)) ?? 0), 0)),
      outcome,
    );
  /** a method that sees each effect through multiplicative noise of this size (all dense: every contribution scored) */
  const noisy = (size: number): Map<Hex, number> => new Map(truth.map((t, i) => [id(i), t * Math.exp(size * (rng.next() - 0.5))]));
  return { truth, lds, noisy, rng };
}

describe('combineEvidence: the dense ranking score vs the sparse credits', () => {
  it('ranks no worse than its best member when every member is dense and informative (the relative cut would lose it)', () => {
    let rankingTotal = 0;
    let bestMemberTotal = 0;
    let mixedTotal = 0;
    const worlds = 20;
    for (let w = 0; w < worlds; w++) {
      const world = ldsWorld(100 + w);
      const scores = { bm25: world.noisy(1.5), embedding: world.noisy(2.5), influence: world.noisy(2) };
      const c = combineEvidence({ scores, spanCoverage: 0, lexicalCoverage: 0.9 });
      rankingTotal += world.lds(c.ranking);
      mixedTotal += world.lds(c.mixed);
      bestMemberTotal += Math.max(...Object.values(scores).map((s) => world.lds(s)));
    }
    const [ranking, mixed, best] = [rankingTotal / worlds, mixedTotal / worlds, bestMemberTotal / worlds];
    expect(ranking).toBeGreaterThanOrEqual(best - 0.01);
    // the reason: after the cut most contributions tie at 0 and the sums over halves lose their information
    expect(mixed).toBeLessThan(ranking - 0.1);
  });

  it('a short span yields its weight to the methods that read the whole answer, in proportion to its coverage', () => {
    const world = ldsWorld(7);
    const dense = { bm25: world.noisy(1), embedding: world.noisy(1.5), influence: world.noisy(1.5) };
    // one exact match on a contribution of little effect
    const weakest = world.truth.indexOf(Math.min(...world.truth));
    const span = new Map<Hex, number>([[id(weakest), 3]]);
    const at = (spanCoverage: number) => combineEvidence({ scores: { span, ...dense }, spanCoverage, lexicalCoverage: 0.9 });
    const w = DEFAULT_COMBINE.methodWeights;
    // coverage 1: the base weights, renormalised (what the rule always did when spans cover the answer)
    expect(at(1).methodWeights.span).toBeCloseTo(w.span / (w.span + w.bm25 + w.embedding + w.influence), 12);
    expect(at(0.2).methodWeights.span).toBeCloseTo((0.2 * w.span) / (0.2 * w.span + w.bm25 + w.embedding + w.influence), 12);
    // coverage 0: spans say nothing about the answer's own words; the result is as if they were absent
    const none = at(0);
    const without = combineEvidence({ scores: dense, spanCoverage: 0, lexicalCoverage: 0.9 });
    expect(none.methodWeights.span).toBe(0);
    expect(none.credits).toEqual(without.credits);
    expect([...none.ranking]).toEqual([...without.ranking]);
    // and the ranking follows the methods that know, more as the span covers less
    expect(world.lds(at(0.1).ranking)).toBeGreaterThan(world.lds(at(1).ranking));
  });
});

const methodScores = fc.dictionary(
  fc.integer({ min: 1, max: 40 }).map((i) => id(i)),
  fc.oneof(fc.double({ min: -5, max: 50, noNaN: true }), fc.constant(0)),
  { maxKeys: 40 },
);
const inputs = fc.record({
  scores: fc.record(Object.fromEntries(ATTRIBUTION_METHODS.map((m) => [m, methodScores.map((d) => new Map(Object.entries(d) as [Hex, number][]))])) as Record<AttributionMethod, fc.Arbitrary<Map<Hex, number>>>, { requiredKeys: [] }),
  spanCoverage: fc.double({ min: 0, max: 1, noNaN: true }),
  lexicalCoverage: fc.double({ min: 0, max: 1, noNaN: true }),
}) as fc.Arbitrary<CombineInput>;

describe('combineEvidence properties', () => {
  it('credits + unattributed are exactly 1_000_000 ppm, each credit ≥ 1 ppm, at most maxCredits, deterministic', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const a = combineEvidence(input);
        const b = combineEvidence(input);
        expect(b).toEqual(a);
        expect(a.credits.reduce((s, c) => s + c.weightPpm, 0) + a.unattributedPpm).toBe(PPM);
        expect(a.unattributedPpm).toBeGreaterThanOrEqual(0);
        expect(a.credits.length).toBeLessThanOrEqual(DEFAULT_COMBINE.maxCredits);
        for (const c of a.credits) {
          expect(Number.isInteger(c.weightPpm) && c.weightPpm >= 1).toBe(true);
          // what is paid is ranked: a credited contribution has a positive ranking score
          expect(a.ranking.get(c.contributionId)! > 0).toBe(true);
        }
        // ω sums to 1 over the methods in the mix (or nothing was found), and the ranking is a share
        const omega = Object.values(a.methodWeights).reduce((s, x) => s + x, 0);
        const rankingSum = [...a.ranking.values()].reduce((s, x) => s + x, 0);
        if (a.ranking.size > 0) {
          expect(omega).toBeCloseTo(1, 9);
          expect(rankingSum).toBeCloseTo(1, 9);
        } else {
          expect(a.unattributedPpm).toBe(PPM);
        }
      }),
      { numRuns: 2000, seed: 12 },
    );
  });

  it('no evidence of coverage credits nobody, whatever the methods scored', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const r = combineEvidence({ ...input, spanCoverage: 0, lexicalCoverage: DEFAULT_COMBINE.lexicalFloor });
        expect(r.credits).toEqual([]);
        expect(r.unattributedPpm).toBe(PPM);
      }),
      { numRuns: 500, seed: 13 },
    );
  });
});
