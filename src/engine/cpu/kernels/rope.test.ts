import { describe, expect, it } from 'vitest';
import { ropeInPlace, ropeInvFreq } from './rope.ts';
import { createRng } from '../../sampling/rng.ts';

describe('ropeInvFreq', () => {
  it('default: theta^(-2i/d)', () => {
    const f = ropeInvFreq(8, 10000);
    expect(Array.from(f)).toEqual(Array.from(Float32Array.from([1, 10000 ** -0.25, 10000 ** -0.5, 10000 ** -0.75])));
  });

  it('llama3 scaling matches the HF formula on Llama-3.2 settings', () => {
    const scaling = { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
    const hd = 64;
    const theta = 500000;
    const got = ropeInvFreq(hd, theta, scaling);
    // HF transformers _compute_llama3_parameters, written out independently
    for (let i = 0; i < hd / 2; i++) {
      const base = 1 / theta ** ((2 * i) / hd);
      const wl = (2 * Math.PI) / base;
      let expected: number;
      if (wl < 8192 / 4) expected = base;
      else if (wl > 8192 / 1) expected = base / 32;
      else {
        const smooth = (8192 / wl - 1) / (4 - 1);
        expected = (1 - smooth) * (base / 32) + smooth * base;
      }
      expect(got[i]).toBe(Math.fround(expected));
    }
    // the low band really is divided and the high band untouched
    expect(got[0]).toBe(1);
    expect(got[hd / 2 - 1]! * 32).toBeCloseTo(1 / theta ** ((hd - 2) / hd), 10);
  });

  it('linear scaling divides by the factor; unknown types are refused', () => {
    const a = ropeInvFreq(4, 100);
    const b = ropeInvFreq(4, 100, { type: 'linear', factor: 2 });
    expect(b[1]).toBeCloseTo(a[1]! / 2, 7);
    expect(() => ropeInvFreq(4, 100, { rope_type: 'yarn', factor: 2 })).toThrow(/yarn/);
    expect(() => ropeInvFreq(5, 100)).toThrow(/even/);
  });
});

describe('ropeInPlace', () => {
  it('rotates each (i, i+h) pair of every head by pos·invFreq[i] (rotate_half layout)', () => {
    const r = createRng(9);
    const [T, nH, hd] = [3, 2, 8];
    const x = Float32Array.from({ length: T * nH * hd }, () => r.normal());
    const orig = x.slice();
    const pos = Int32Array.of(0, 5, 17);
    const inv = ropeInvFreq(hd, 10000);
    ropeInPlace(x, T, nH, hd, pos, inv);
    for (let t = 0; t < T; t++)
      for (let h = 0; h < nH; h++) {
        const b = (t * nH + h) * hd;
        // HF: q*cos + rotate_half(q)*sin with cos/sin = cat(freqs, freqs)
        for (let j = 0; j < hd; j++) {
          const i = j % (hd / 2);
          const ang = pos[t]! * inv[i]!;
          const rot = j < hd / 2 ? -orig[b + j + hd / 2]! : orig[b + j - hd / 2]!;
          expect(x[b + j]).toBeCloseTo(orig[b + j]! * Math.cos(ang) + rot * Math.sin(ang), 5);
        }
      }
    // position 0 is the identity
    expect(Array.from(x.subarray(0, nH * hd))).toEqual(Array.from(orig.subarray(0, nH * hd)));
  });

  it('preserves the norm and makes q·k depend only on the distance', () => {
    const hd = 16;
    const inv = ropeInvFreq(hd, 10000);
    const r = createRng(1);
    const q = Float32Array.from({ length: hd }, () => r.normal());
    const k = Float32Array.from({ length: hd }, () => r.normal());
    const dotAt = (pq: number, pk: number): number => {
      const a = q.slice();
      const b = k.slice();
      ropeInPlace(a, 1, 1, hd, Int32Array.of(pq), inv);
      ropeInPlace(b, 1, 1, hd, Int32Array.of(pk), inv);
      return a.reduce((s, v, i) => s + v * b[i]!, 0);
    };
    expect(dotAt(10, 7)).toBeCloseTo(dotAt(33, 30), 4);
  });

  it('the per-position cos/sin table gives the same bits as computing directly (positions past the table too), and follows a rewritten invFreq', () => {
    const hd = 8;
    const r = createRng(5);
    const x = Float32Array.from({ length: 3 * hd }, () => r.normal());
    const direct = (inv: Float32Array, pos: Int32Array): Float32Array => {
      const y = x.slice();
      for (let t = 0; t < 3; t++)
        for (let i = 0; i < hd / 2; i++) {
          const a = pos[t]! * inv[i]!;
          const [c, s] = [Math.cos(a), Math.sin(a)];
          const [x1, x2] = [y[t * hd + i]!, y[t * hd + i + hd / 2]!];
          y[t * hd + i] = x1 * c - x2 * s;
          y[t * hd + i + hd / 2] = x2 * c + x1 * s;
        }
      return y;
    };
    const inv = ropeInvFreq(hd, 10000);
    for (const pos of [Int32Array.of(3, 300, 1000), Int32Array.of(1, 2, 40000)]) {
      const y = x.slice();
      ropeInPlace(y, 3, 1, hd, pos, inv);
      expect(y).toEqual(direct(inv, pos));
    }
    inv[1] = 0.5; // same array, new content: the cached table must not be reused
    const pos = Int32Array.of(4, 5, 6);
    const y = x.slice();
    ropeInPlace(y, 3, 1, hd, pos, inv);
    expect(y).toEqual(direct(inv, pos));
  });
});
