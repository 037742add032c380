import { describe, expect, it } from 'vitest';
import { rmsNorm } from './rmsNorm.ts';
import { createRng } from '../../sampling/rng.ts';

describe('rmsNorm', () => {
  it('matches x / sqrt(mean(x²) + eps) · w per row, also in place', () => {
    const r = createRng(3);
    const [T, d, eps] = [3, 10, 1e-6];
    const x = Float32Array.from({ length: T * d }, () => r.normal() * 3);
    const w = Float32Array.from({ length: d }, () => r.next() + 0.5);
    const out = new Float32Array(T * d);
    rmsNorm(x, T, d, w, eps, out);
    for (let t = 0; t < T; t++) {
      const row = Array.from(x.subarray(t * d, t * d + d));
      const rms = Math.sqrt(row.reduce((s, v) => s + v * v, 0) / d + eps);
      for (let i = 0; i < d; i++) expect(out[t * d + i]).toBeCloseTo((row[i]! / rms) * w[i]!, 5);
    }
    const inPlace = x.slice();
    rmsNorm(inPlace, T, d, w, eps, inPlace);
    expect(inPlace).toEqual(out);
  });

  it('an all-zero row stays zero (eps keeps it finite)', () => {
    const out = new Float32Array(4);
    rmsNorm(new Float32Array(4), 1, 4, new Float32Array([1, 1, 1, 1]), 1e-5, out);
    expect(Array.from(out)).toEqual([0, 0, 0, 0]);
  });

  it('refuses a weight of the wrong size', () => {
    expect(() => rmsNorm(new Float32Array(4), 1, 4, new Float32Array(3), 1e-5, new Float32Array(4))).toThrow(/rmsNorm/);
  });
});
