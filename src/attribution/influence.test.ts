import { describe, expect, it } from 'vitest';
import { dampedInverseScores, tracInScores } from './influence.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
}

/** Gauss–Jordan inverse: a direct computation independent of the Cholesky path. */
function inverse(M: number[][]): number[][] {
  const n = M.length;
  const A = M.map((r, i) => [...r, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[p]![c]!)) p = r;
    [A[c], A[p]] = [A[p]!, A[c]!];
    const d = A[c]![c]!;
    for (let j = 0; j < 2 * n; j++) A[c]![j]! /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = A[r]![c]!;
      for (let j = 0; j < 2 * n; j++) A[r]![j]! -= f * A[c]![j]!;
    }
  }
  return A.map((r) => r.slice(n));
}

describe('influence', () => {
  const rand = rng(4);
  const D = 6;
  const n = 9;
  const ckpts = [0.01, 0.005].map((lr) => ({ lr, gradients: Float32Array.from({ length: n * D }, rand) }));
  const g = Float32Array.from({ length: D }, rand);
  const input = { dim: D, examples: n, checkpoints: ckpts };

  it('TracIn equals the learning-rate-weighted sum of dot products', () => {
    const got = tracInScores(input, g);
    for (let i = 0; i < n; i++) {
      let want = 0;
      for (const c of ckpts) for (let j = 0; j < D; j++) want += c.lr * g[j]! * c.gradients[i * D + j]!;
      expect(got[i]).toBeCloseTo(want, 12);
    }
  });

  it('the damped inverse equals gᵀ(F + λI)⁻¹Gᵢ computed directly', () => {
    const got = dampedInverseScores(input, g, 0.1);
    const want = new Float64Array(n);
    for (const c of ckpts) {
      const row = (i: number) => Array.from(c.gradients.subarray(i * D, (i + 1) * D));
      const F = Array.from({ length: D }, (_, a) => Array.from({ length: D }, (_, b) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += row(i)[a]! * row(i)[b]!;
        return s / n;
      }));
      const lambda = (0.1 * F.reduce((s, r, a) => s + r[a]!, 0)) / D;
      const inv = inverse(F.map((r, a) => r.map((v, b) => v + (a === b ? lambda : 0))));
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) s += g[a]! * inv[a]![b]! * row(i)[b]!;
        want[i]! += c.lr * s;
      }
    }
    for (let i = 0; i < n; i++) expect(got[i]).toBeCloseTo(want[i]!, 9);
  });

  it('refuses a gradient of the wrong size', () => {
    expect(() => tracInScores(input, new Float32Array(D + 1))).toThrow(/projected gradient/);
  });
});
