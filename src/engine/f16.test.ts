import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../core/errors.ts';
import { F16_MAX, f16BitsToF32, f16MatrixBytes, f16Overflow, f32ToF16Bits, fromF16, roundToF16, toF16Matrix } from './f16.ts';
import { f32Matrix } from './quant.ts';

/** The positive finite halves in increasing order (bits 0x0000..0x7bff are increasing as values). */
const POSITIVE = Array.from({ length: 0x7c00 }, (_, h) => f16BitsToF32(h));

/** Reference: the nearest half by search over every positive half (ties to the even bit pattern), in f64. */
function nearest(x: number): number {
  const a = Math.abs(x);
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  // past the largest half, RNE against the next would-be value 2^16 decides between 65504 and Inf
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0;
  let hi = POSITIVE.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (POSITIVE[mid]! <= a) lo = mid;
    else hi = mid;
  }
  const dl = a - POSITIVE[lo]!;
  const dh = POSITIVE[hi]! - a;
  const h = dl < dh ? lo : dh < dl ? hi : lo % 2 === 0 ? lo : hi;
  return sign | h;
}

const f32 = (x: number): number => Math.fround(x);

describe('f16 conversion', () => {
  it('decodes known bit patterns', () => {
    expect(f16BitsToF32(0x3c00)).toBe(1);
    expect(f16BitsToF32(0xc000)).toBe(-2);
    expect(f16BitsToF32(0x7bff)).toBe(F16_MAX);
    expect(f16BitsToF32(0x0400)).toBe(2 ** -14);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(f16BitsToF32(0x3555)).toBe(f32(0.333251953125));
    expect(Object.is(f16BitsToF32(0x0000), 0)).toBe(true);
    expect(Object.is(f16BitsToF32(0x8000), -0)).toBe(true);
    expect(f16BitsToF32(0x7c00)).toBe(Infinity);
    expect(f16BitsToF32(0xfc00)).toBe(-Infinity);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
    expect(f16BitsToF32(0xfc01)).toBeNaN();
  });

  it('every half survives f16 → f32 → f16 exactly (NaNs become the quiet NaN with their sign)', () => {
    for (let h = 0; h < 0x10000; h++) {
      const back = f32ToF16Bits(f16BitsToF32(h));
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (isNaN) expect(back).toBe((h & 0x8000) | 0x7e00);
      else if (back !== h) expect.fail(`0x${h.toString(16)} came back as 0x${back.toString(16)}`);
    }
  });

  it('rounds halfway cases to the even half, and anything off the midpoint to the nearer one', () => {
    const up = new Float32Array(1);
    const bits = new Uint32Array(up.buffer);
    for (let h = 0; h < 0x7bff; h++) {
      const mid = (POSITIVE[h]! + POSITIVE[h + 1]!) / 2; // 12 significant bits: exact in f32
      expect(f32(mid)).toBe(mid);
      const even = h % 2 === 0 ? h : h + 1;
      for (const s of [0, 0x8000]) {
        const x = s ? -mid : mid;
        if (f32ToF16Bits(x) !== (s | even)) expect.fail(`midpoint ${x} rounded to 0x${f32ToF16Bits(x).toString(16)}, expected 0x${(s | even).toString(16)}`);
      }
      // one f32 step either side of the midpoint
      up[0] = mid;
      bits[0] = bits[0]! + 1;
      if (f32ToF16Bits(up[0]) !== h + 1) expect.fail(`just above ${mid}: 0x${f32ToF16Bits(up[0]).toString(16)}`);
      bits[0] = bits[0]! - 2;
      if (f32ToF16Bits(up[0]) !== h) expect.fail(`just below ${mid}: 0x${f32ToF16Bits(up[0]).toString(16)}`);
    }
  });

  it('matches a brute-force nearest-half search on random f32 values over the whole range', () => {
    let seed = 12345;
    const rand = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let i = 0; i < 20000; i++) {
      // log-uniform magnitudes from 2^-30 (below every subnormal) to 2^17 (past the range)
      const x = f32((rand() < 0.5 ? -1 : 1) * 2 ** (rand() * 47 - 30));
      const got = f32ToF16Bits(x);
      const want = nearest(x);
      if (got !== want) expect.fail(`${x}: 0x${got.toString(16)}, expected 0x${want.toString(16)}`);
    }
  });

  it('keeps zeros signed, subnormals unflushed, and sends overflow to Inf and NaN to NaN', () => {
    expect(f32ToF16Bits(0)).toBe(0);
    expect(f32ToF16Bits(-0)).toBe(0x8000);
    expect(f32ToF16Bits(2 ** -24)).toBe(1);
    expect(f32ToF16Bits(2 ** -25)).toBe(0); // tie between 0 and 2^-24: to even (0)
    expect(f32ToF16Bits(f32(1.5 * 2 ** -25))).toBe(1);
    expect(f32ToF16Bits(-3 * 2 ** -25)).toBe(0x8002); // tie between 1 and 2 units: to even (2)
    expect(f32ToF16Bits(2 ** -26)).toBe(0);
    expect(f32ToF16Bits(1e-45)).toBe(0); // an f32 subnormal
    expect(f32ToF16Bits(f32(2 ** -14 - 2 ** -25))).toBe(0x0400); // the largest subnormal rounds up to the smallest normal
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(65519)).toBe(0x7bff);
    expect(f32ToF16Bits(65520)).toBe(0x7c00);
    expect(f32ToF16Bits(-1e6)).toBe(0xfc00);
    expect(f32ToF16Bits(Infinity)).toBe(0x7c00);
    expect(f32ToF16Bits(-Infinity)).toBe(0xfc00);
    expect(f32ToF16Bits(NaN)).toBe(0x7e00);
  });

  it('stays within 2^-11 relative in the normal range', () => {
    // magnitudes 2^-24 .. 2^15: subnormal and normal halves
    const x = new Float32Array(4096).map((_, i) => f32(Math.sin(i * 0.77) * 2 ** ((i % 40) - 24)));
    const r = roundToF16(x);
    for (let i = 0; i < x.length; i++) {
      if (Math.abs(x[i]!) >= 2 ** -14) expect(Math.abs(r[i]! - x[i]!)).toBeLessThanOrEqual(Math.abs(x[i]!) * 2 ** -11);
      else expect(Math.abs(r[i]! - x[i]!)).toBeLessThanOrEqual(2 ** -25);
    }
  });
});

describe('f16 matrices', () => {
  it('converts a matrix and back', () => {
    const data = Float32Array.of(1, -2, 0.1, 65504, -0, 2 ** -24);
    const h = toF16Matrix(f32Matrix(data, 2, 3), 'w');
    expect(h).toMatchObject({ kind: 'f16', rows: 2, cols: 3 });
    expect(f16MatrixBytes(h)).toBe(12);
    expect([...fromF16(h.data)]).toEqual([1, -2, f16BitsToF32(0x2e66), 65504, -0, 2 ** -24]);
    expect(fromF16(h.data)).toEqual(roundToF16(data));
  });

  it('refuses values beyond ±65504 and non-finite ones, naming the tensor and the position', () => {
    const data = new Float32Array(8);
    data[6] = -70000;
    expect(f16Overflow(data)).toBe(6);
    let err: unknown;
    try {
      toF16Matrix(f32Matrix(data, 2, 4), 'layers.3.down_proj');
    } catch (e) {
      err = e;
    }
    expect(isTributaryError(err) && err.code === 'engine/bad-weights').toBe(true);
    expect((err as Error).message).toMatch(/layers\.3\.down_proj: the weight -70000 at row 1, column 2 is beyond f16's range/);
    data[6] = 65519; // rounds to 65504: fits
    expect(f16Overflow(data)).toBe(-1);
    data[1] = NaN;
    expect(f16Overflow(data)).toBe(-1); // not an overflow: refused by toF16Matrix as not finite
    expect(() => toF16Matrix(f32Matrix(data, 2, 4), 'emb')).toThrow(/emb: the weight at row 0, column 1 is not a finite number/);
  });
});
