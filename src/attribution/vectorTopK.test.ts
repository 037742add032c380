import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { int8Scores, quantizeVector, quantizeVectors } from './int8Vectors.ts';
import { canShareMemory } from './int8Simd.ts';
import { Int8VectorSearch, MIN_THREADED_BYTES } from './vectorTopK.ts';

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

  it('SIMD scores equal the JS twin bit for bit at any count (odd ones padded), for dims 16..1024 and extreme bytes (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 1e9 }), (count, dims16, seed) => {
        const rand = rng(seed);
        const dims = dims16 * 16;
        // bytes across the whole int8 range, -128 included: |dot| reaches dims·128² (2^24 at 1024 dims)
        const pick = (): number => [-128, 127, 0][Math.floor(rand() * 3)] ?? Math.floor(rand() * 256) - 128;
        const data = Int8Array.from({ length: count * dims }, () => (rand() < 0.5 ? pick() : Math.floor(rand() * 256) - 128));
        const scales = Float32Array.from({ length: count }, () => Math.fround(rand() * 0.02));
        const v = { dims, count, data, scales };
        const q = Int8Array.from({ length: dims }, () => (rand() < 0.5 ? pick() : Math.floor(rand() * 256) - 128));
        const simd = new Int8VectorSearch(v);
        expect(simd.usesSimd).toBe(true);
        const js = new Float32Array(count);
        int8Scores(q, v, js);
        expect(Array.from(simd.scores(q))).toEqual(Array.from(js));
      }),
      { numRuns: 150 },
    );
  });

  it('ties go to the lower id, and k above the count gives every vector once', () => {
    // 7 vectors: ids 1, 3, 4 score the same (the best), 0 and 6 the same (next), then 2, then 5
    const dims = 16;
    const first = [50, 100, 0, 100, 100, -100, 50];
    const data = new Int8Array(first.length * dims);
    first.forEach((x, i) => (data[i * dims] = x));
    const v = { dims, count: first.length, data, scales: new Float32Array(first.length).fill(0.01) };
    const q = new Int8Array(dims);
    q[0] = 100;
    for (const simd of [true, false]) {
      const s = new Int8VectorSearch(v, { simd });
      const top3 = s.topK(q, 3);
      expect(Array.from(top3.ids)).toEqual([1, 3, 4]);
      expect(top3.scores[0]).toBe(top3.scores[2]);
      const all = s.topK(q, 50);
      expect(all.ids).toHaveLength(7);
      expect(Array.from(all.ids).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(Array.from(all.ids)).toEqual([1, 3, 4, 0, 6, 2, 5]);
      for (let r = 1; r < 7; r++) expect(all.scores[r]!).toBeLessThanOrEqual(all.scores[r - 1]!);
      expect(s.topK(q, 0).ids).toHaveLength(0);
    }
    const empty = new Int8VectorSearch({ dims, count: 0, data: new Int8Array(0), scales: new Float32Array(0) });
    expect(empty.topK(q, 5).ids).toHaveLength(0);
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

describe.runIf(canShareMemory())('exact top-k on threads', () => {
  it('3 threads: the scores of one thread and of JS bit for bit, top-k ids equal to a full sort, for odd counts', async () => {
    for (const [count, dims] of [[333, 64], [1001, 32]] as const) {
      const rand = rng(count);
      // few levels: many ties, so the order of equal scores (lower id first) is checked too
      const v = quantizeVectors(Float32Array.from({ length: count * dims }, () => Math.round(rand() * 4) - 2), dims);
      const threaded = new Int8VectorSearch(v, { threads: 3 });
      const one = new Int8VectorSearch(v, { threads: 1 });
      const js = new Int8VectorSearch(v, { simd: false });
      expect(await threaded.ready).toBe(3);
      expect(threaded.threads).toBe(3);
      expect(threaded.threadsOff).toBeNull();
      expect(await one.ready).toBe(1);
      expect(one.threadsOff).toMatch(/one thread was asked/);
      for (let t = 0; t < 3; t++) {
        const q = new Int8Array(dims);
        quantizeVector(Float32Array.from({ length: dims }, () => rand() - 0.5), q);
        const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
        const all = threaded.scores(q);
        expect(bitsOf(all)).toEqual(bitsOf(one.scores(q)));
        expect(bitsOf(all)).toEqual(bitsOf(js.scores(q)));
        const order = Array.from(all, (x, i) => ({ x, i })).sort((a, b) => b.x - a.x || a.i - b.i);
        for (const k of [1, 10, count]) {
          const got = threaded.topK(q, k);
          expect(Array.from(got.ids)).toEqual(order.slice(0, k).map((o) => o.i));
          expect(bitsOf(got.scores)).toEqual(bitsOf(Float32Array.from(order.slice(0, k), (o) => o.x)));
          expect(Array.from(got.ids)).toEqual(Array.from(js.topK(q, k).ids));
        }
      }
      threaded.close();
      expect(threaded.threads).toBe(1);
      const q = Int8Array.from({ length: dims }, (_, i) => (i % 7) - 3);
      expect(Array.from(threaded.topK(q, 5).ids)).toEqual(Array.from(js.topK(q, 5).ids));
    }
  });

  it("'auto' keeps a small store on one thread, and says why", async () => {
    const dims = 64;
    const count = 100;
    expect(count * dims).toBeLessThan(MIN_THREADED_BYTES);
    const s = new Int8VectorSearch(quantizeVectors(new Float32Array(count * dims).fill(0.5), dims));
    expect(await s.ready).toBe(1);
    expect(s.threadsOff).toMatch(/small/);
  });
});
