import { describe, expect, it } from 'vitest';
import { attention } from './attention.ts';
import { createRng } from '../../sampling/rng.ts';

/** Naive reference: materialises the full score matrix per head with an explicit causal mask. */
function naive(q: Float32Array, k: Float32Array, v: Float32Array, T: number, start: number, nH: number, nKv: number, hd: number): Float32Array {
  const out = new Float32Array(T * nH * hd);
  const S = start + T;
  for (let h = 0; h < nH; h++) {
    const kh = Math.floor((h * nKv) / nH);
    for (let t = 0; t < T; t++) {
      const sc: number[] = [];
      for (let s = 0; s < S; s++) {
        let d = 0;
        for (let i = 0; i < hd; i++) d += q[(t * nH + h) * hd + i]! * k[(s * nKv + kh) * hd + i]!;
        sc.push(s <= start + t ? d / Math.sqrt(hd) : -Infinity);
      }
      const m = Math.max(...sc);
      const e = sc.map((x) => Math.exp(x - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let i = 0; i < hd; i++) {
        let acc = 0;
        for (let s = 0; s < S; s++) acc += (e[s]! / z) * v[(s * nKv + kh) * hd + i]!;
        out[(t * nH + h) * hd + i] = acc;
      }
    }
  }
  return out;
}

describe('attention', () => {
  for (const [nH, nKv] of [[4, 2], [4, 4], [6, 1]] as const) {
    it(`prefill and decode match a masked-softmax reference (${nH} heads over ${nKv} KV heads)`, () => {
      const r = createRng(nH * 10 + nKv);
      const hd = 8;
      const maxSeq = 12;
      const k = Float32Array.from({ length: maxSeq * nKv * hd }, () => r.normal());
      const v = Float32Array.from({ length: maxSeq * nKv * hd }, () => r.normal());
      for (const [T, start] of [[5, 0], [1, 7], [3, 4], [1, 0]] as const) {
        const q = Float32Array.from({ length: T * nH * hd }, () => r.normal());
        const out = new Float32Array(T * nH * hd);
        attention(q, k, v, T, start, nH, nKv, hd, out);
        const ref = naive(q, k, v, T, start, nH, nKv, hd);
        for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(ref[i]!, 5);
      }
    });
  }

  it('a decode step equals the matching row of a prefill (causality)', () => {
    const r = createRng(5);
    const [nH, nKv, hd, S] = [4, 2, 8, 6];
    const k = Float32Array.from({ length: S * nKv * hd }, () => r.normal());
    const v = Float32Array.from({ length: S * nKv * hd }, () => r.normal());
    const q = Float32Array.from({ length: S * nH * hd }, () => r.normal());
    const full = new Float32Array(S * nH * hd);
    attention(q, k, v, S, 0, nH, nKv, hd, full);
    const row = nH * hd;
    const one = new Float32Array(row);
    attention(q.subarray(3 * row, 4 * row), k, v, 1, 3, nH, nKv, hd, one);
    expect(Array.from(one)).toEqual(Array.from(full.subarray(3 * row, 4 * row)));
  });

  it('refuses heads that do not group and caches that are too short', () => {
    expect(() => attention(new Float32Array(24), new Float32Array(16), new Float32Array(16), 1, 0, 3, 2, 8, new Float32Array(24))).toThrow(/grouped/);
    expect(() => attention(new Float32Array(16), new Float32Array(8), new Float32Array(8), 1, 3, 2, 1, 8, new Float32Array(16))).toThrow(/too small/);
  });
});
