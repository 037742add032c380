import { describe, expect, it } from 'vitest';
import { int8Scores, type Int8Vectors } from './int8Vectors.ts';
import { canShareMemory, simdInt8Store } from './int8Simd.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function randomVectors(count: number, dims: number, seed: number): { v: Int8Vectors; q: Int8Array } {
  const rand = rng(seed);
  const byte = (): number => (rand() < 0.1 ? [-128, 127][Math.floor(rand() * 2)]! : Math.floor(rand() * 256) - 128);
  const v = { dims, count, data: Int8Array.from({ length: count * dims }, byte), scales: Float32Array.from({ length: count }, () => Math.fround(rand() * 0.02)) };
  return { v, q: Int8Array.from({ length: dims }, byte) };
}

/** the f32 bit patterns (-0 and +0 differ) */
const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe.runIf(canShareMemory())('int8 scores on threads (shared WebAssembly memory)', () => {
  it('2, 3 and 4 threads give the bits of one thread and of the JS twin, at odd counts and counts the threads do not divide', async () => {
    for (const [count, dims, threads] of [[7, 16, [3]], [258, 32, [2]], [1001, 384, [2, 3, 4]]] as const) {
      const { v, q } = randomVectors(count, dims, count);
      const js = new Float32Array(count);
      int8Scores(q, v, js);
      const one = simdInt8Store(v)!;
      expect(one.shared).toBe(false);
      const oneBits = bits(one.scores(q));
      expect(oneBits).toEqual(bits(js));
      const store = simdInt8Store(v, { shared: true })!;
      expect(store.shared).toBe(true);
      for (const t of threads) {
        expect(await store.startThreads(t)).toBe(t);
        expect(store.threads).toBe(t);
        // twice: the second query reuses the pool's slots with another query
        expect(bits(store.scores(q))).toEqual(oneBits);
        const q2 = q.map((x) => -x);
        const js2 = new Float32Array(count);
        int8Scores(q2, v, js2);
        expect(bits(store.scores(q2))).toEqual(bits(js2));
      }
      store.close();
      expect(store.threads).toBe(1);
      expect(bits(store.scores(q))).toEqual(oneBits);
      expect(await store.startThreads(2)).toBe(1); // a closed store stays on one thread
    }
  });

  it('uses no more threads than pairs of rows', async () => {
    const { v, q } = randomVectors(3, 16, 5);
    const store = simdInt8Store(v, { shared: true })!;
    expect(await store.startThreads(4)).toBe(2);
    const js = new Float32Array(3);
    int8Scores(q, v, js);
    expect(bits(store.scores(q))).toEqual(bits(js));
    store.close();
    const single = simdInt8Store(randomVectors(1, 16, 6).v, { shared: true })!;
    expect(await single.startThreads(4)).toBe(1);
  });
});
