import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { applyRepetitionPenalty, argmax, candidateDistribution, createSampler, MAX_CANDIDATES, type SamplingParams } from './sample.ts';
import { topK as topKRows } from '../cpu/kernels/topK.ts';
import { createRng } from './rng.ts';

const logits = Float32Array.of(1, 3, 2, -1, 3, 0.5);

describe('sampling', () => {
  it('greedy takes the argmax (lowest id on ties), also with temperature 0', () => {
    expect(argmax(logits)).toBe(1);
    expect(createSampler({ temperature: 0 }).sample(logits)).toBe(1);
    expect(createSampler({ greedy: true, temperature: 5 }).sample(logits)).toBe(1);
  });

  it('repetition penalty divides positive and multiplies negative logits of seen tokens, once each', () => {
    const l = logits.slice();
    applyRepetitionPenalty(l, [1, 1, 3, 999], 2);
    expect(Array.from(l)).toEqual([1, 1.5, 2, -2, 3, 0.5]);
    expect(createSampler({ temperature: 0, repetitionPenalty: 2 }).sample(logits, [1])).toBe(4);
  });

  it('top-k keeps the k most likely; top-p the smallest set reaching p', () => {
    const k2 = candidateDistribution(logits, { topK: 2 });
    expect(Array.from(k2.ids)).toEqual([1, 4]);
    expect(Array.from(k2.probs)).toEqual([0.5, 0.5]);
    const all = candidateDistribution(logits, {});
    const order = Array.from(all.ids).sort((a, b) => all.probs[b]! - all.probs[a]! || a - b);
    const p = all.probs[order[0]!]! + all.probs[order[1]!]! - 1e-9; // the two top tokens just reach p
    expect(Array.from(candidateDistribution(logits, { topP: p }).ids)).toEqual([1, 4]);
    expect(Array.from(candidateDistribution(logits, { topP: p + 0.01 }).ids)).toEqual([1, 4, 2]);
    // temperature sharpens
    const cold = candidateDistribution(logits, { temperature: 0.1, topK: 3 });
    expect(cold.probs[2]).toBeLessThan(1e-4);
  });

  it('topK selection agrees with a full sort on random logits', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 49 }), (seed, k) => {
        const r = createRng(seed);
        const l = Float32Array.from({ length: 50 }, () => Math.round(r.normal() * 4) / 2); // many ties
        const got = Array.from(candidateDistribution(l, { topK: k }).ids);
        const want = Array.from(l.keys()).sort((a, b) => l[b]! - l[a]! || a - b).slice(0, k);
        expect(got).toEqual(want);
      }),
    );
  });

  it('gives the ids and probabilities of weighing and sorting the whole vocabulary (the version before top-k/top-p were made cheap)', () => {
    /** the old candidateDistribution: every token weighed in f64, top-k over the weights, top-p by a full sort */
    const reference = (logits: Float32Array, p: SamplingParams): { ids: number[]; probs: number[] } => {
      const temp = p.temperature ?? 1;
      const V = logits.length;
      let max = -Infinity;
      for (let i = 0; i < V; i++) if (logits[i]! > max) max = logits[i]!;
      const w = Array.from(logits, (l) => Math.exp((l - max) / temp));
      const byWeight = (a: number, b: number): number => w[b]! - w[a]! || a - b;
      const topK = p.topK ?? 0;
      const topP = p.topP ?? 1;
      let ids = Array.from(w.keys());
      if (topK > 0 && topK < V) ids = ids.sort(byWeight).slice(0, topK);
      else if (topP < 1) ids = ids.filter((i) => w[i]! >= 1e-12).sort(byWeight);
      let sum = ids.reduce((a, i) => a + w[i]!, 0);
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
        sum = ids.reduce((a, i) => a + w[i]!, 0);
      }
      return { ids, probs: ids.map((i) => w[i]! / sum) };
    };
    fc.assert(
      fc.property(
        fc.nat(),
        fc.integer({ min: 1, max: 3000 }),
        fc.constantFrom(0.05, 0.7, 1, 1.5),
        fc.constantFrom(0, 1, 5, 40),
        fc.constantFrom(1, 0.5, 0.9, 0.99),
        fc.boolean(),
        (seed, V, temperature, topK, topP, ties) => {
          const r = createRng(seed);
          const l = Float32Array.from({ length: V }, () => (ties ? Math.round(r.normal() * 6) / 2 : r.normal() * 4));
          const got = candidateDistribution(l, { temperature, topK, topP });
          const want = reference(l, { temperature, topK, topP });
          expect(Array.from(got.ids)).toEqual(want.ids);
          got.probs.forEach((x, i) => expect(Math.abs(x - want.probs[i]!)).toBeLessThanOrEqual(1e-12 * want.probs[i]! + 1e-300));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('seeded sampling is deterministic and follows the distribution', () => {
    const draw = (seed: number): number[] => {
      const s = createSampler({ seed, temperature: 1 });
      return Array.from({ length: 200 }, () => s.sample(logits));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    const s = createSampler({ seed: 1, topK: 3 });
    const counts = new Map<number, number>();
    for (let i = 0; i < 4000; i++) {
      const t = s.sample(logits);
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([1, 2, 4]);
    const e = Math.exp(-1);
    expect(counts.get(2)! / 4000).toBeCloseTo(e / (2 + e), 1);
  });

  it('gives the same tokens as copy-then-penalise sampling, never changes the logits, and copies only to penalise', () => {
    /** the sampler as it was: always on a fresh copy of the logits */
    const reference = (p: SamplingParams) => {
      const rng = createRng(p.seed ?? 0);
      return (logits: Float32Array, history: number[]): number => {
        const l = logits.slice();
        applyRepetitionPenalty(l, history, p.repetitionPenalty ?? 1);
        if (p.greedy === true || p.temperature === 0) return argmax(l);
        const { ids, probs } = candidateDistribution(l, p);
        const u = rng.next();
        let acc = 0;
        for (let i = 0; i < ids.length; i++) {
          acc += probs[i]!;
          if (u < acc) return ids[i]!;
        }
        return ids[ids.length - 1]!;
      };
    };
    const typedProto = Object.getPrototypeOf(Float32Array.prototype) as { slice: () => unknown };
    const r = createRng(3);
    for (const p of [
      { greedy: true },
      { temperature: 0, repetitionPenalty: 1.3 },
      { seed: 4 },
      { seed: 5, temperature: 0.7, topK: 5, repetitionPenalty: 1.2 },
      { seed: 6, topP: 0.8 },
      { seed: 7, temperature: 1, repetitionPenalty: 0.8, topK: 40, topP: 0.9 },
    ] satisfies SamplingParams[]) {
      const s = createSampler(p);
      const ref = reference(p);
      const history: number[] = [];
      for (let step = 0; step < 30; step++) {
        const logits = Float32Array.from({ length: 300 }, () => Math.round(r.normal() * 6) / 2); // ties, ±
        const before = logits.slice();
        const slice = vi.spyOn(typedProto, 'slice');
        const got = s.sample(logits, history);
        // no Float32Array copy (the penalised path writes into a reused buffer; top-k/top-p slice their id lists)
        expect(slice.mock.contexts.filter((c) => c instanceof Float32Array)).toEqual([]);
        slice.mockRestore();
        expect(got).toBe(ref(before, history));
        expect(Array.from(logits)).toEqual(Array.from(before));
        history.push(got, step % 7);
      }
    }
  });

  it('refuses bad parameters', () => {
    expect(() => createSampler({ temperature: -1 })).toThrow(/Temperature/);
    expect(() => createSampler({ topK: 1.5 })).toThrow(/top-k/);
    expect(() => createSampler({ topP: 0 })).toThrow(/top-p/);
    expect(() => createSampler({ repetitionPenalty: 0 })).toThrow(/penalty/);
  });
});

describe('sampling from a row\'s top candidates (what a GPU reads back instead of the whole row)', () => {
  it('gives the token of sampling the whole row, draw for draw, or says it cannot (and then does not draw)', () => {
    let decided = 0;
    let total = 0;
    fc.assert(
      fc.property(
        fc.nat(),
        fc.constantFrom<SamplingParams>(
          { greedy: true },
          { temperature: 0, repetitionPenalty: 1.5 },
          { temperature: 0.7, topK: 40, topP: 0.9 },
          { temperature: 1, topK: 5 },
          { temperature: 0.7, topK: 64, repetitionPenalty: 1.3 },
          { temperature: 1.2, topK: 10, topP: 0.5, repetitionPenalty: 2 },
          { temperature: 0.7, topK: 40, repetitionPenalty: 0.8 }, // raises seen tokens: never decided from candidates
          { temperature: 0.7, topP: 0.9 }, // no top-k: never decided from candidates
        ),
        fc.constantFrom(200, 1000),
        fc.boolean(),
        (seed, params, V, ties) => {
          const viaCandidates = createSampler({ ...params, seed });
          const whole = createSampler({ ...params, seed });
          const r = createRng(seed);
          const history: number[] = [];
          const ids = new Int32Array(MAX_CANDIDATES);
          const vals = new Float32Array(MAX_CANDIDATES);
          for (let step = 0; step < 12; step++) {
            const row = Float32Array.from({ length: V }, () => (ties ? Math.round(r.normal() * 4) / 2 : r.normal() * 3));
            if (step % 5 === 4) row[r.int(V)] = Number.NaN;
            topKRows(row, 1, V, MAX_CANDIDATES, ids, vals);
            const got = viaCandidates.sampleCandidates({ ids, vals, vocab: V }, history);
            total++;
            if (got !== undefined) decided++;
            if (viaCandidates.candidatesWanted === 0) expect(got).toBeUndefined();
            const token = got ?? viaCandidates.sample(row, history);
            expect(token).toBe(whole.sample(row, history));
            history.push(token, r.int(V));
          }
        },
      ),
      { numRuns: 200 },
    );
    // most rows are decided by their candidates (else the GPU path would read whole rows back anyway)
    expect(decided / total).toBeGreaterThan(0.5);
  });
});
