import { describe, expect, it } from 'vitest';
import { haveRelaxed, kernelInstance } from './kernels.testkit.ts';
import { gemvInt, quantizeActivation } from '../../kernels/quantDot.ts';
import { quantizeQ4, quantizeQ8, type Q4Matrix, type Q8Matrix } from '../../../quant.ts';
import { createRng } from '../../../sampling/rng.ts';

const instance = kernelInstance;

/** x with a zero group, a group of one spike, ties (·.5 after scaling) and a wide range of magnitudes */
function activation(r: ReturnType<typeof createRng>, K: number): Float32Array {
  const x = Float32Array.from({ length: K }, () => r.normal() * Math.exp(r.normal()));
  if (K >= 64) x.fill(0, 32, 64);
  if (K >= 96) {
    x.fill(0, 64, 96);
    x[70] = -3;
    x[71] = 1.5 * (3 / 127); // exactly x.5 steps: ties go to even
  }
  return x;
}

/** the column-order int8 values and the scales a layout holds (undoing `qxMod16` / `qxEo8`'s order) */
function readBack(mem: WebAssembly.Memory, layout: 'nat16' | 'mod16' | 'eo8', xq: number, xs: number, K: number): { q: number[]; s: number[] } {
  const G = K / 32;
  const q: number[] = [];
  for (let g = 0; g < G; g++) {
    if (layout === 'eo8') {
      const b = new Int8Array(mem.buffer, xq + 32 * g, 32);
      for (let c = 0; c < 32; c++) q.push(b[(c & 1) * 16 + (c >> 1)]!);
    } else {
      const h = new Int16Array(mem.buffer, xq + 64 * g, 32);
      for (let c = 0; c < 32; c++) q.push(layout === 'nat16' ? h[c]! : h[(c & 3) * 8 + (c >> 2)]!);
    }
  }
  return { q, s: Array.from(new Float32Array(mem.buffer, xs, G)) };
}

describe('integer decode: activation quantiser', () => {
  for (const layout of ['nat16', 'mod16', 'eo8'] as const) {
    it(`${layout}: the same int8 values and scales as quantizeActivation; corr = −8·Σq per group`, () => {
      const r = createRng(3);
      const { mem, k } = instance(false);
      for (const K of [32, 96, 576, 1536]) {
        const x = activation(r, K);
        new Float32Array(mem.buffer, 1024, K).set(x);
        const [xq, xs, xc] = [1024 + K * 4, 1024 + K * 6, 1024 + K * 7];
        k[layout === 'nat16' ? 'qxNat16' : layout === 'mod16' ? 'qxMod16' : 'qxEo8']!(1024, xq, xs, xc, K / 32);
        const want = quantizeActivation(x, K);
        const got = readBack(mem, layout, xq, xs, K);
        expect(got.q).toEqual(Array.from(want.q));
        expect(got.s).toEqual(Array.from(want.s));
        if (layout !== 'nat16') {
          const c = new Int32Array(mem.buffer, xc, K / 32);
          for (let g = 0; g < K / 32; g++) {
            const sum = want.q.subarray(32 * g, 32 * g + 32).reduce((a, b) => a + b, 0);
            expect(c[g]!).toBe(-8 * sum + 0);
          }
        }
      }
    });
  }
});

describe('integer decode: gemvi8 / gemvi4 / gemvi4r vs the scalar twin', () => {
  const variants = [
    { name: 'gemvi8', bits: 8, layout: 'qxNat16', fma: false },
    { name: 'gemvi4', bits: 4, layout: 'qxMod16', fma: false },
    { name: 'gemvi8', bits: 8, layout: 'qxNat16', fma: true },
    { name: 'gemvi4', bits: 4, layout: 'qxMod16', fma: true },
    { name: 'gemvi4r', bits: 4, layout: 'qxEo8', fma: true },
  ] as const;
  for (const v of variants) {
    it.runIf(!v.fma || haveRelaxed)(`${v.name}${v.fma ? ' (relaxed build)' : ''}: within f32 rounding of the exact sum, rows independent of N`, () => {
      const r = createRng(v.bits * 10 + (v.fma ? 1 : 0));
      const { mem, k } = instance(v.fma);
      // odd row counts (row tails of the 4-row passes); group counts 1, 2, 3 (no block of four), 4, 5, 7 (a block and
      // a tail of 1 or 3), 18 (tail 2), 48
      for (const [N, K] of [[1, 32], [3, 96], [5, 64], [7, 576], [13, 96], [64, 1536], [4, 32], [6, 128], [9, 160], [11, 224], [2, 224]] as const) {
        const wf = Float32Array.from({ length: N * K }, () => r.normal() * 0.05);
        const w: Q8Matrix | Q4Matrix = v.bits === 8 ? quantizeQ8(wf, N, K) : quantizeQ4(wf, N, K);
        const x = activation(r, K);
        let p = 1024;
        const at = (bytes: number): number => {
          const o = p;
          p += Math.ceil(bytes / 16) * 16 + 16;
          return o;
        };
        const [xO, xq, xs, xc, qO, sO, oO, o1] = [at(K * 4), at(K * 2), at(K / 8), at(K / 2), at(w.q.byteLength), at(w.scales.byteLength), at(N * 4), at(N * 4)];
        new Float32Array(mem.buffer, xO, K).set(x);
        new Uint8Array(mem.buffer, qO, w.q.byteLength).set(new Uint8Array(w.q.buffer, w.q.byteOffset, w.q.byteLength));
        new Float32Array(mem.buffer, sO, w.scales.length).set(w.scales);
        k[v.layout]!(xO, xq, xs, xc, K / 32);
        k[v.name]!(xq, xs, xc, qO, sO, oO, N, K);
        const got = new Float32Array(mem.buffer, oO, N);
        const want = new Float32Array(N);
        gemvInt(quantizeActivation(x, K), w, want);
        // bound: a few f32 roundings of the sum of |group terms|
        const xa = quantizeActivation(x, K);
        for (let n = 0; n < N; n++) {
          let mag = 0;
          for (let g = 0; g < K / 32; g++) {
            let d = 0;
            for (let c = 32 * g; c < 32 * g + 32; c++) {
              const i = n * K + c;
              const wv = w.kind === 'q8' ? w.q[i]! : ((i & 1) === 0 ? w.q[i >> 1]! & 15 : w.q[i >> 1]! >> 4) - 8;
              d += Math.abs(xa.q[c]! * wv);
            }
            mag += d * w.scales[n * (K / 32) + g]! * xa.s[g]!;
          }
          expect(Math.abs(got[n]! - want[n]!)).toBeLessThanOrEqual(4e-7 * (K / 32 + 4) * mag + 1e-30);
        }
        // rows from 1 on alone (another pass split): the same bits
        k[v.name]!(xq, xs, xc, qO + (v.bits === 8 ? K : K / 2), sO + (K / 32) * 4, o1, N - 1, K);
        expect(Array.from(new Float32Array(mem.buffer, o1, N - 1))).toEqual(Array.from(got.subarray(1)));
      }
    });
  }
});

describe('integer decode: touch-ahead stays inside the matrix', () => {
  for (const v of [
    { name: 'gemvi8', bits: 8, layout: 'qxNat16', fma: false },
    { name: 'gemvi4', bits: 4, layout: 'qxMod16', fma: false },
    { name: 'gemvi4r', bits: 4, layout: 'qxEo8', fma: true },
  ] as const) {
    it.runIf(!v.fma || haveRelaxed)(`${v.name}: weights ending at the last byte of memory (no trap), the same bits as elsewhere`, () => {
      const r = createRng(77 + v.bits);
      const { mem, k } = instance(v.fma);
      for (const [N, K] of [[13, 96], [64, 576], [12, 32], [9, 64], [8, 160]] as const) {
        const wf = Float32Array.from({ length: N * K }, () => r.normal() * 0.05);
        const w: Q8Matrix | Q4Matrix = v.bits === 8 ? quantizeQ8(wf, N, K) : quantizeQ4(wf, N, K);
        const [xO, xq, xs, xc, sO, o1, o2, mid] = [1024, 8192, 16384, 20480, 32768, 65536, 81920, 131072];
        new Float32Array(mem.buffer, xO, K).set(activation(r, K));
        new Float32Array(mem.buffer, sO, w.scales.length).set(w.scales);
        const bytes = new Uint8Array(w.q.buffer, w.q.byteOffset, w.q.byteLength);
        const end = mem.buffer.byteLength - w.q.byteLength;
        new Uint8Array(mem.buffer, end, bytes.length).set(bytes);
        new Uint8Array(mem.buffer, mid, bytes.length).set(bytes);
        k[v.layout]!(xO, xq, xs, xc, K / 32);
        k[v.name]!(xq, xs, xc, end, sO, o1, N, K);
        k[v.name]!(xq, xs, xc, mid, sO, o2, N, K);
        expect(Array.from(new Float32Array(mem.buffer, o1, N))).toEqual(Array.from(new Float32Array(mem.buffer, o2, N)));
      }
    });
  }
});
