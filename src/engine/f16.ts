/**
 * Half-precision (IEEE 754 binary16) weight storage: f32 → f16 with round-to-nearest-even on the CPU, and the
 * exact f16 → f32 twin. The WebGPU backend stores a matrix's halves two per u32 word (even column in the low 16
 * bits, as WGSL's `unpack2x16float` reads them) and computes in f32, so no `shader-f16` feature is needed.
 *
 * Range: f16 holds ±65504 at most. A finite f32 that rounds past it (|x| ≥ 65520) is refused by `toF16Matrix`
 * (`engine/bad-weights`, naming the tensor); the model builder checks `f16Overflow` first and keeps such a matrix
 * in f32 instead (a bf16 checkpoint can hold values up to ~3.4e38). Subnormal halves (|x| < 2^-14) are kept, not
 * flushed. NaN/Inf weights are refused like the quantisers refuse them.
 *
 * Error: a stored weight is within 2^-11 relative of the f32 value (normal range), or within 2^-25 absolute
 * (subnormal range).
 *
 * @example
 * const h = toF16Matrix(f32Matrix(data, rows, cols), 'layers.0.q_proj');
 * const back = fromF16(h.data);                      // each value rounded to the nearest half
 * f16MatrixBytes(h);                                 // rows * cols * 2
 */
import { TributaryError } from '../core/errors.ts';
import type { F32Matrix } from './quant.ts';

/** A row-major `[rows = out, cols = in]` matrix of f16 bit patterns. */
export interface F16Matrix {
  kind: 'f16';
  rows: number;
  cols: number;
  /** rows*cols binary16 bit patterns */
  data: Uint16Array;
}

/** The largest finite half. */
export const F16_MAX = 65504;
/** The smallest |x| that rounds to infinity (halfway between 65504 and 2^16, which rounds to even: 2^16). */
const F16_OVERFLOW = 65520;

const scratchF = new Float32Array(1);
const scratchU = new Uint32Array(scratchF.buffer);

/**
 * The binary16 bits nearest to `x` rounded to f32 first (weights are f32), ties to even. Beyond the range: ±Inf
 * bits (0x7c00); NaN: the quiet NaN 0x7e00 with x's sign.
 */
export function f32ToF16Bits(x: number): number {
  scratchF[0] = x;
  const b = scratchU[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | (mant !== 0 ? 0x7e00 : 0x7c00);
  const e = exp - 112; // the f16 biased exponent (127 - 15)
  if (e >= 31) return sign | 0x7c00;
  if (e >= 1) {
    // normal: keep 10 of the 23 mantissa bits; a carry out of the mantissa bumps the exponent (up to Inf), as RNE wants
    let h = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++;
    return sign | h;
  }
  // subnormal (or zero) half: the value in units of 2^-24 is m >> shift, m with its implicit leading bit
  const shift = 14 - e; // ≥ 14
  if (shift > 24) return sign; // below half of the smallest subnormal (2^-25): rounds to ±0
  const m = exp === 0 ? mant : mant | 0x800000; // f32 subnormals are far below 2^-25 and end up 0 anyway
  let q = m >>> shift;
  const rem = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rem > half || (rem === half && (q & 1) !== 0)) q++; // q = 0x400 is the smallest normal, encoded the same way
  return sign | q;
}

/** The f32 value of binary16 bits `h` (exact: every half is an f32). */
export function f16BitsToF32(h: number): number {
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  let v: number;
  if (exp === 0) v = mant * 2 ** -24;
  else if (exp === 31) v = mant !== 0 ? NaN : Infinity;
  else v = (1024 + mant) * 2 ** (exp - 25);
  return (h & 0x8000) !== 0 ? -v : v;
}

/** `data` as f32 values of binary16 bits (the CPU twin of the WGSL unpack). */
export function fromF16(data: Uint16Array): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = f16BitsToF32(data[i]!);
  return out;
}

/** Each value of `data` rounded to the nearest half (what the GPU computes with after an f16 upload). */
export function roundToF16(data: Float32Array): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = f16BitsToF32(f32ToF16Bits(data[i]!));
  return out;
}

/** Index of the first finite value that does not fit a half (|x| ≥ 65520, it would become Inf), or -1. */
export function f16Overflow(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]!);
    if (a >= F16_OVERFLOW && a !== Infinity) return i;
  }
  return -1;
}

/**
 * Converts an f32 matrix to f16 storage (round to nearest, ties to even). Throws `engine/bad-weights` naming `name`
 * when a weight is NaN/Inf or beyond f16's ±65504 (such a matrix must stay f32).
 */
export function toF16Matrix(m: F32Matrix, name = 'weights'): F16Matrix {
  const { rows, cols, data } = m;
  if (data.length !== rows * cols) {
    throw new TributaryError('engine/bad-shape', `${name}: expected ${rows * cols} values for a ${rows}×${cols} matrix, got ${data.length}.`);
  }
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    const h = f32ToF16Bits(x);
    if ((h & 0x7c00) === 0x7c00) {
      const where = `row ${Math.floor(i / cols)}, column ${i % cols}`;
      if (!Number.isFinite(x)) throw new TributaryError('engine/bad-weights', `${name}: the weight at ${where} is not a finite number.`, name);
      throw new TributaryError(
        'engine/bad-weights',
        `${name}: the weight ${x} at ${where} is beyond f16's range (±${F16_MAX}); load this model as f32 or int8 instead.`,
        name,
      );
    }
    out[i] = h;
  }
  return { kind: 'f16', rows, cols, data: out };
}

/** Bytes the matrix's halves occupy. */
export function f16MatrixBytes(m: F16Matrix): number {
  return m.data.byteLength;
}
