import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concatRows, dequantize, matrixBytes, quantize, quantizeQ4, quantizeQ8, f32Matrix } from './quant.ts';
import { toF16Matrix } from './f16.ts';
import { createRng } from './sampling/rng.ts';

function randn(n: number, seed: number, s = 1): Float32Array {
  const r = createRng(seed);
  return Float32Array.from({ length: n }, () => r.normal() * s);
}

describe('quantizeQ8 / quantizeQ4', () => {
  it('error per element is at most half a step (scale/2) of its group', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.nat(), fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (rows, G, seed, mag) => {
        const cols = 32 * G;
        const w = randn(rows * cols, seed, mag);
        for (const m of [quantizeQ8(w, rows, cols), quantizeQ4(w, rows, cols)]) {
          const back = dequantize(m);
          for (let i = 0; i < w.length; i++) {
            const scale = m.scales[Math.floor(i / 32)]!;
            expect(Math.abs(back[i]! - w[i]!)).toBeLessThanOrEqual(scale / 2 + Math.abs(w[i]!) * 1e-6);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('stores the documented formats: int8 in -127..127 with scale max/127, int4 nibbles n-8 with scale max/7, low nibble first', () => {
    const w = new Float32Array(32);
    w[0] = -7;
    w[1] = 3.5;
    w[2] = 1;
    const q8 = quantizeQ8(w, 1, 32);
    expect(q8.scales[0]).toBeCloseTo(7 / 127, 7);
    expect(q8.q[0]).toBe(-127);
    const q4 = quantizeQ4(w, 1, 32);
    expect(q4.scales[0]).toBeCloseTo(1, 7);
    expect(q4.q[0]! & 15).toBe(-7 + 8);
    expect(q4.q[0]! >> 4).toBe(Math.round(3.5) + 8);
    expect(q4.q[1]! & 15).toBe(1 + 8);
    expect(q4.q.length).toBe(16);
  });

  it('keeps exact zeros and an all-zero group', () => {
    const w = new Float32Array(64);
    w[40] = 2;
    for (const m of [quantizeQ8(w, 1, 64), quantizeQ4(w, 1, 64)]) {
      const back = dequantize(m);
      expect(back[40]).toBeCloseTo(2, 6);
      expect(back.filter((v, i) => i !== 40 && v !== 0).length).toBe(0);
    }
  });

  it('relative RMS error on Gaussian weights: int8 < 1%, int4 < 12%', () => {
    const [rows, cols] = [64, 256];
    const w = randn(rows * cols, 11, 0.02);
    const rel = (back: Float32Array): number => {
      let e = 0;
      let s = 0;
      for (let i = 0; i < w.length; i++) {
        e += (back[i]! - w[i]!) ** 2;
        s += w[i]! ** 2;
      }
      return Math.sqrt(e / s);
    };
    expect(rel(dequantize(quantizeQ8(w, rows, cols)))).toBeLessThan(0.01);
    expect(rel(dequantize(quantizeQ4(w, rows, cols)))).toBeLessThan(0.12);
  });

  it('refuses shapes that do not fit the groups and non-finite weights', () => {
    expect(() => quantizeQ8(new Float32Array(40), 1, 40)).toThrow(/group size/);
    expect(() => quantizeQ4(new Float32Array(31), 1, 32)).toThrow(/expected 32/);
    const bad = new Float32Array(32);
    bad[3] = NaN;
    expect(() => quantizeQ8(bad, 1, 32)).toThrow(/finite/);
    bad[3] = Infinity;
    expect(() => quantizeQ4(bad, 1, 32)).toThrow(/finite/);
  });

  it('quantize() keeps a matrix whose input size is not a multiple of 32 in f32', () => {
    const m = f32Matrix(new Float32Array(3 * 40), 3, 40);
    expect(quantize(m, 'q8')).toBe(m);
    expect(quantize(f32Matrix(new Float32Array(64), 2, 32), 'q4').kind).toBe('q4');
  });
});

describe('matrixBytes', () => {
  it('counts values plus scales', () => {
    const w = new Float32Array(4 * 64);
    expect(matrixBytes(f32Matrix(w, 4, 64))).toBe(4 * 64 * 4);
    expect(matrixBytes(quantizeQ8(w, 4, 64))).toBe(4 * 64 + 8 * 4);
    expect(matrixBytes(quantizeQ4(w, 4, 64))).toBe(4 * 32 + 8 * 4);
  });
});

describe('concatRows', () => {
  it('stacks rows: equal to converting the stacked f32 rows, in every format; mixed formats refused', () => {
    const cols = 64;
    const rows = [40, 24, 24];
    const parts = rows.map((r, i) => f32Matrix(randn(r * cols, 11 + i), r, cols));
    const all = f32Matrix(new Float32Array(parts.flatMap((p) => [...p.data])), 88, cols);
    expect(concatRows(parts)).toEqual(all);
    expect(concatRows(parts.map((p) => quantize(p, 'q8')))).toEqual(quantize(all, 'q8'));
    expect(concatRows(parts.map((p) => quantize(p, 'q4')))).toEqual(quantize(all, 'q4'));
    expect(concatRows(parts.map((p) => toF16Matrix(p)))).toEqual(toF16Matrix(all));
    expect(() => concatRows([quantize(parts[0]!, 'q8'), parts[1]!])).toThrow(/cannot be stacked/);
    expect(() => concatRows([])).toThrow(/no matrices/);
  });
});
