/**
 * Unpacking int4 groups (16 bytes = 32 columns; low nibble = even column, high nibble = odd column; value `n − 8`).
 */
import { type Fn } from '../wasmEmit.ts';

/**
 * From the 16 bytes in local `v`, sets `lo` to the 16 signed even columns and `hi` to the 16 odd ones (`n − 8` as i8);
 * `m15` and `m8` hold i8x16 splats of 15 and 8.
 */
export function int4Nibbles(f: Fn, v: number, m15: number, m8: number, lo: number, hi: number): void {
  f.get(v).get(m15).v128and().get(m8).i8x16sub().set(lo);
  f.get(v).i32(4).i8x16shrU().get(m8).i8x16sub().set(hi);
}

/** Shuffle lanes interleaving `lo`/`hi` halves `h` (0 or 1) back into column order: columns 16h .. 16h+15. */
export function int4Interleave(h: number): number[] {
  const lanes: number[] = [];
  for (let i = 0; i < 8; i++) lanes.push(8 * h + i, 16 + 8 * h + i);
  return lanes;
}

/**
 * Pushes, for `part` 0–3, the f32x4 of columns `4·part .. 4·part+3` of the 16 i8 columns in local `half`
 * (sign-extended, converted).
 */
export function i8PartToF32(f: Fn, half: number, part: number): void {
  f.get(half);
  if (part < 2) f.i16x8extendLowI8s();
  else f.i16x8extendHighI8s();
  if (part % 2 === 0) f.i32x4extendLowI16s();
  else f.i32x4extendHighI16s();
  f.f32x4convertI32s();
}
