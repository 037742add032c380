import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { matmul, matmulOptions } from './matmul.ts';
import { activationErrorBound } from './quantDot.ts';
import { dequantize, quantizeQ4, quantizeQ8, type Matrix } from '../../quant.ts';
import { createRng } from '../../sampling/rng.ts';
import { packF32, simdRuntime, type PackedF32 } from '../simd/simdRuntime.ts';

function rand(n: number, seed: number): Float32Array {
  const r = createRng(seed);
  return Float32Array.from({ length: n }, () => r.next() * 2 - 1);
}

/** Naive reference: out[t, n] = Σ_k x[t, k] · W[n, k] (+ b[n]) over a dense f32 W. */
function naive(x: Float32Array, T: number, w: Float32Array, N: number, K: number, bias?: Float32Array): Float32Array {
  const out = new Float32Array(T * N);
  for (let t = 0; t < T; t++)
    for (let n = 0; n < N; n++) {
      let s = bias ? bias[n]! : 0;
      for (let k = 0; k < K; k++) s += x[t * K + k]! * w[n * K + k]!;
      out[t * N + n] = s;
    }
  return out;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('matmul', () => {
  it('matches the naive f32 product for every blocking remainder (tokens 1..9, rows 1..19)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 19 }), fc.integer({ min: 1, max: 70 }), fc.boolean(), fc.nat(), (T, N, K, withBias, seed) => {
        const x = rand(T * K, seed);
        const w = rand(N * K, seed + 1);
        const bias = withBias ? rand(N, seed + 2) : undefined;
        const out = new Float32Array(T * N);
        matmul(x, T, { kind: 'f32', rows: N, cols: K, data: w }, out, bias);
        expect(maxDiff(out, naive(x, T, w, N, K, bias))).toBeLessThan(1e-5);
      }),
      { numRuns: 120 },
    );
  });

  for (const kind of ['q8', 'q4'] as const) {
    it(`${kind}: equals the f32 product over the dequantised weights, decode and prefill paths`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 21 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.nat(), (T, N, G, withBias, seed) => {
          const K = 32 * G;
          const x = rand(T * K, seed);
          const wf = rand(N * K, seed + 1);
          const m: Matrix = kind === 'q8' ? quantizeQ8(wf, N, K) : quantizeQ4(wf, N, K);
          const bias = withBias ? rand(N, seed + 2) : undefined;
          const out = new Float32Array(T * N);
          matmul(x, T, m, out, bias);
          expect(maxDiff(out, naive(x, T, dequantize(m), N, K, bias))).toBeLessThan(1e-5);
        }),
        { numRuns: 80 },
      );
    });
  }

  it('q8 with a group size of 64 works too', () => {
    const [T, N, K] = [5, 7, 128];
    const x = rand(T * K, 1);
    const m = quantizeQ8(rand(N * K, 2), N, K, 64);
    const out = new Float32Array(T * N);
    matmul(x, T, m, out);
    expect(maxDiff(out, naive(x, T, dequantize(m), N, K))).toBeLessThan(1e-5);
    const one = new Float32Array(N);
    matmul(x, 1, m, one);
    expect(maxDiff(one, naive(x, 1, dequantize(m), N, K))).toBeLessThan(1e-5);
  });

  it('refuses buffers of the wrong size', () => {
    expect(() => matmul(new Float32Array(3), 1, { kind: 'f32', rows: 2, cols: 4, data: new Float32Array(8) }, new Float32Array(2))).toThrow(/matmul/);
    expect(() => matmul(new Float32Array(4), 1, { kind: 'f32', rows: 2, cols: 4, data: new Float32Array(8) }, new Float32Array(2), new Float32Array(3))).toThrow(/bias/);
  });

  const rt = simdRuntime();
  it.runIf(rt !== null)('WASM SIMD path (weights on the heap), f32 activations: f32/q8/q4, every token/row blocking, within 1e-5 of the naive product', () => {
    matmulOptions.intActivations = false;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom('f32', 'q8', 'q4'), fc.boolean(), fc.nat(), (T, N4, G, kind, withBias, seed) => {
          const [N, K] = [4 * N4, 32 * G];
          const x = rand(T * K, seed);
          const wf = rand(N * K, seed + 1);
          const m: Matrix = kind === 'f32' ? { kind, rows: N, cols: K, data: wf } : kind === 'q8' ? quantizeQ8(wf, N, K) : quantizeQ4(wf, N, K);
          const hm = rt!.toHeap(m);
          expect(rt!.owns(hm)).toBe(true);
          const bias = withBias ? rand(N, seed + 2) : undefined;
          const out = new Float32Array(T * N);
          matmul(x, T, hm, out, bias);
          rt!.release(hm);
          expect(maxDiff(out, naive(x, T, dequantize(m), N, K, bias))).toBeLessThan(1e-5);
        }),
      { numRuns: 150 },
    );
    matmulOptions.intActivations = false;
  });

  it.runIf(rt !== null)('SIMD decode with int8 activations (q8/q4, T < 4): within the stated activation bound of the naive product; T ≥ 4 unchanged', () => {
    matmulOptions.intActivations = true;
    matmulOptions.intActivationsQ8 = true;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 19 }), fc.integer({ min: 1, max: 5 }), fc.constantFrom('q8', 'q4'), fc.nat(), (T, N, G, kind, seed) => {
        const K = 32 * G;
        const x = rand(T * K, seed);
        const m = kind === 'q8' ? quantizeQ8(rand(N * K, seed + 1), N, K) : quantizeQ4(rand(N * K, seed + 1), N, K);
        const hm = rt!.toHeap(m);
        const out = new Float32Array(T * N);
        matmul(x, T, hm, out);
        rt!.release(hm);
        const want = naive(x, T, dequantize(m), N, K);
        for (let t = 0; t < T; t++) {
          const bound = activationErrorBound(x.subarray(t * K, (t + 1) * K), m);
          for (let n = 0; n < N; n++) {
            const d = Math.abs(out[t * N + n]! - want[t * N + n]!);
            expect(d).toBeLessThanOrEqual(T < 4 ? bound[n]! + 1e-5 : 1e-5);
          }
        }
      }),
      { numRuns: 150 },
    );
    matmulOptions.intActivationsQ8 = false;
    matmulOptions.intActivations = false;
  });

  it('activations "int8" per call (the CPU backend\'s decode): the SIMD kernels (heap) and the JS twin (plain arrays) agree within f32 rounding, both within the activation bound of the f32 product; T ≥ 4 and f32 weights keep f32 activations', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 19 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom('q8', 'q4'), fc.nat(), (T, N, G, kind, seed) => {
        const K = 32 * G; // 1–9 groups: blocks of four groups and every tail 0–3
        const x = rand(T * K, seed);
        const m = kind === 'q8' ? quantizeQ8(rand(N * K, seed + 1), N, K) : quantizeQ4(rand(N * K, seed + 1), N, K);
        const js = new Float32Array(T * N);
        matmul(x, T, m, js, undefined, 'int8');
        const simd = new Float32Array(T * N);
        const hm = rt ? rt.toHeap(m) : m;
        matmul(x, T, hm, simd, undefined, 'int8');
        if (rt) rt.release(hm);
        const wd = dequantize(m);
        const want = naive(x, T, wd, N, K);
        for (let t = 0; t < T; t++) {
          const bound = activationErrorBound(x.subarray(t * K, (t + 1) * K), m);
          for (let n = 0; n < N; n++) {
            let mag = 0;
            for (let k = 0; k < K; k++) mag += Math.abs(x[t * K + k]! * wd[n * K + k]!);
            const i = t * N + n;
            expect(Math.abs(simd[i]! - js[i]!)).toBeLessThanOrEqual(2e-6 * (mag + 1));
            expect(Math.abs(js[i]! - want[i]!)).toBeLessThanOrEqual(T < 4 ? bound[n]! + 2e-6 * (mag + 1) : 1e-5);
          }
        }
      }),
      { numRuns: 120 },
    );
    const f = { kind: 'f32', rows: 3, cols: 32, data: rand(96, 9) } as const;
    const x = rand(32, 10);
    const [a, b] = [new Float32Array(3), new Float32Array(3)];
    matmul(x, 1, f, a, undefined, 'int8');
    matmul(x, 1, f, b);
    expect(a).toEqual(b);
  });

  it.runIf(rt !== null)('SIMD path: a token gives the same bits alone or in a batch of 2–3 (decode path), within 1e-6 in a batch ≥ 4; heap views survive memory growth', () => {
    matmulOptions.intActivations = false;
    const [N, K] = [12, 64];
    const m = rt!.toHeap(quantizeQ8(rand(N * K, 5), N, K));
    const x = rand(7 * K, 6);
    const all = new Float32Array(7 * N);
    matmul(x, 7, m, all);
    const three = new Float32Array(3 * N);
    matmul(x, 3, m, three);
    for (let t = 0; t < 7; t++) {
      const one = new Float32Array(N);
      matmul(x.subarray(t * K, (t + 1) * K), 1, m, one);
      expect(maxDiff(one, all.subarray(t * N, (t + 1) * N))).toBeLessThan(1e-6);
      if (t < 3) expect(Array.from(one)).toEqual(Array.from(three.subarray(t * N, (t + 1) * N)));
    }
    const big = rt!.toHeap({ kind: 'f32', rows: 1024, cols: 1024, data: new Float32Array(1024 * 1024) }); // grows the heap
    const again = new Float32Array(7 * N);
    matmul(x, 7, m, again);
    expect(again).toEqual(all);
    rt!.release(big);
    rt!.release(m);
    matmulOptions.intActivations = false;
  });

  it('packed f32 weights off the heap (the JS fallback when SIMD has no scratch) match the naive product', () => {
    for (const [T, N, K] of [[1, 16, 4], [5, 32, 12], [9, 16, 64]] as const) {
      const x = rand(T * K, T);
      const w = rand(N * K, N + K);
      const p: PackedF32 = { kind: 'f32p', rows: N, cols: K, data: new Float32Array(N * K) };
      packF32(w, N, K, p.data);
      const out = new Float32Array(T * N);
      matmul(x, T, p, out);
      expect(maxDiff(out, naive(x, T, w, N, K))).toBeLessThan(1e-5);
    }
  });

  it.runIf(rt !== null)('SIMD packed f32 (toHeapPacked, the backend\'s weights): within 1e-5 of the naive product; a token gives the same bits alone or in any batch', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 24 }), fc.boolean(), fc.nat(), (T, N16, K4, withBias, seed) => {
        const [N, K] = [16 * N16, 4 * K4];
        const x = rand(T * K, seed);
        const w = rand(N * K, seed + 1);
        const hm = rt!.toHeapPacked({ kind: 'f32', rows: N, cols: K, data: w });
        expect(hm.kind).toBe('f32p');
        const bias = withBias ? rand(N, seed + 2) : undefined;
        const out = new Float32Array(T * N);
        matmul(x, T, hm, out, bias);
        expect(maxDiff(out, naive(x, T, w, N, K, bias))).toBeLessThan(1e-5);
        const one = new Float32Array(N);
        matmul(x.subarray((T - 1) * K), 1, hm, one, bias);
        expect(Array.from(one)).toEqual(Array.from(out.subarray((T - 1) * N)));
        rt!.release(hm);
      }),
      { numRuns: 100 },
    );
    // rows not a multiple of 16 stay row-major
    expect(rt!.toHeapPacked({ kind: 'f32', rows: 12, cols: 4, data: new Float32Array(48) }).kind).toBe('f32');
  });
});
