import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { int8Scores, quantizeVector, quantizeVectors } from './int8Vectors.ts';
import { Int8VectorSearch } from './vectorTopK.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('int8 vectors and exact top-k', () => {
  it('SIMD and JS scores are bit-identical', () => {
    const rand = rng(1);
    const v = quantizeVectors(Float32Array.from({ length: 300 * 64 }, () => rand() - 0.5), 64);
    const q = new Int8Array(64);
    quantizeVector(Float32Array.from({ length: 64 }, () => rand() - 0.5), q);
    const simd = new Int8VectorSearch(v);
    expect(simd.usesSimd).toBe(true);
    const js = new Float32Array(v.count);
    int8Scores(q, v, js);
    expect(Array.from(simd.scores(q))).toEqual(Array.from(js));
  });

  it('top-k equals a full sort of the scores (value desc, id asc) for any vectors and k (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 1e9 }), fc.boolean(), (count, k, seed, levels) => {
        const rand = rng(seed);
        const dims = 32;
        // `levels` draws from few values so that ties are common
        const f = Float32Array.from({ length: count * dims }, () => (levels ? Math.round(rand() * 2) - 1 : rand() - 0.5));
        const v = quantizeVectors(f, dims);
        const q = new Int8Array(dims);
        quantizeVector(Float32Array.from({ length: dims }, () => rand() - 0.5), q);
        for (const simd of [true, false]) {
          const s = new Int8VectorSearch(v, { simd });
          const all = s.scores(q);
          const order = Array.from(all, (x, i) => ({ x, i })).sort((a, b) => b.x - a.x || a.i - b.i);
          const got = s.topK(q, k);
          const want = order.slice(0, Math.min(k, count));
          expect(Array.from(got.ids)).toEqual(want.map((o) => o.i));
          expect(Array.from(got.scores)).toEqual(want.map((o) => o.x));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('ranks by cosine: a vector against itself scores highest', () => {
    const rand = rng(9);
    const f = Float32Array.from({ length: 50 * 48 }, () => rand() - 0.5);
    const v = quantizeVectors(f, 48);
    const s = new Int8VectorSearch(v);
    for (const i of [0, 17, 49]) {
      const q = new Int8Array(48);
      quantizeVector(f.subarray(i * 48, (i + 1) * 48), q);
      expect(s.topK(q, 1).ids[0]).toBe(i);
    }
  });
});
