import { describe, expect, it } from 'vitest';
import { attentionSimd, canAttentionSimd } from './attentionSimd.ts';
import { simdRuntime } from './simdRuntime.ts';
import { attention } from '../kernels/attention.ts';
import { createRng } from '../../sampling/rng.ts';

const rt = simdRuntime();

describe.runIf(rt !== null)('attentionSimd', () => {
  it('matches the attention kernel within 1e-5 (prefill from 0 and a later block; GQA and MHA)', () => {
    const r = createRng(4);
    for (const [nH, nKv, hd, T, start] of [[4, 2, 16, 9, 0], [6, 3, 32, 12, 5], [2, 2, 64, 8, 31], [8, 1, 16, 20, 0], [9, 3, 64, 1, 70], [3, 1, 48, 3, 2], [2, 1, 16, 1, 0]] as const) {
      const maxSeq = start + T + 3;
      const k = Float32Array.from({ length: maxSeq * nKv * hd }, () => r.normal());
      const v = Float32Array.from({ length: maxSeq * nKv * hd }, () => r.normal());
      const q = Float32Array.from({ length: T * nH * hd }, () => r.normal());
      const want = new Float32Array(T * nH * hd);
      attention(q, k, v, T, start, nH, nKv, hd, want);
      const got = new Float32Array(T * nH * hd);
      expect(canAttentionSimd(rt, hd)).toBe(true);
      attentionSimd(rt!, q, k, v, T, start, nH, nKv, hd, got);
      let d = 0;
      for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs(got[i]! - want[i]!));
      expect(d).toBeLessThan(1e-5);
    }
    expect(canAttentionSimd(rt, 24)).toBe(false);
  });
});
