import { describe, expect, it } from 'vitest';
import { tryAddSimd, tryRmsNormSimd } from './normAddSimd.ts';
import { simdRuntime } from './simdRuntime.ts';
import { add } from '../kernels/add.ts';
import { rmsNorm } from '../kernels/rmsNorm.ts';
import { createRng } from '../../sampling/rng.ts';

const rt = simdRuntime();

describe.runIf(rt !== null)('rmsNorm / add SIMD', () => {
  it('rmsNorm matches the JS kernel within 1e-6 relative (plus 1e-7), in place too; a row gives the same bits alone', () => {
    const r = createRng(12);
    const [T, d] = [5, 576];
    const x = Float32Array.from({ length: T * d }, () => r.normal() * 3);
    const w = Float32Array.from({ length: d }, () => r.next() + 0.5);
    const want = new Float32Array(T * d);
    rmsNorm(x, T, d, w, 1e-5, want);
    const got = new Float32Array(T * d);
    expect(tryRmsNormSimd(rt!, x, T, d, w, 1e-5, got)).toBe(true);
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(want[i]!) + 1e-7);
    const one = new Float32Array(d);
    expect(tryRmsNormSimd(rt!, x.subarray(3 * d, 4 * d), 1, d, w, 1e-5, one)).toBe(true);
    expect(one).toEqual(got.subarray(3 * d, 4 * d));
    const inPlace = x.slice();
    expect(tryRmsNormSimd(rt!, inPlace, T, d, w, 1e-5, inPlace)).toBe(true);
    expect(inPlace).toEqual(got);
    const zero = new Float32Array(4);
    expect(tryRmsNormSimd(rt!, zero, 1, 4, Float32Array.of(1, 1, 1, 1), 1e-5, zero)).toBe(true);
    expect(Array.from(zero)).toEqual([0, 0, 0, 0]);
    expect(tryRmsNormSimd(rt!, new Float32Array(6), 1, 6, new Float32Array(6), 1e-5, new Float32Array(6))).toBe(false);
  });

  it('add gives exactly the JS kernel\'s bits, in place too; refuses odd lengths', () => {
    const r = createRng(13);
    const a = Float32Array.from({ length: 1000 }, () => r.normal() * 1e3);
    const b = Float32Array.from({ length: 1000 }, () => r.normal());
    const want = new Float32Array(1000);
    add(a, b, want);
    const got = a.slice();
    expect(tryAddSimd(rt!, got, b, got)).toBe(true);
    expect(got).toEqual(want);
    expect(tryAddSimd(rt!, new Float32Array(3), new Float32Array(3), new Float32Array(3))).toBe(false);
  });
});
