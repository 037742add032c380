import { describe, expect, it } from 'vitest';
import { trySiluMulSimd } from './siluMulSimd.ts';
import { simdRuntime } from './simdRuntime.ts';
import { siluMul } from '../kernels/siluMul.ts';

const rt = simdRuntime();

describe.runIf(rt !== null)('siluMulSimd', () => {
  it('matches the JS kernel within 4e-7 relative (plus 1e-30) from −120 to 120, in place too; refuses odd lengths', () => {
    const n = 4000;
    const g = Float32Array.from({ length: n }, (_, i) => -120 + (240 * i) / (n - 1));
    const u = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
    const want = new Float32Array(n);
    siluMul(g, u, want);
    const got = new Float32Array(n);
    expect(trySiluMulSimd(rt!, g, u, got)).toBe(true);
    for (let i = 0; i < n; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(4e-7 * Math.abs(want[i]!) + 1e-30);
    const inPlace = g.slice();
    expect(trySiluMulSimd(rt!, inPlace, u, inPlace)).toBe(true);
    expect(inPlace).toEqual(got);
    expect(trySiluMulSimd(rt!, new Float32Array(6), new Float32Array(6), new Float32Array(6))).toBe(false);
  });
});
