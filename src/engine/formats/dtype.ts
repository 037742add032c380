/** Conversions between f32 and the 16/8-bit float formats found in model files. */
import { f16BitsToF32, f32ToF16Bits } from '../f16.ts';

// a table: safetensors f16 -> f32 conversion runs over whole checkpoints
const f16Table = ((): Float32Array => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) t[h] = f16BitsToF32(h);
  return t;
})();

/** f16 bits -> f32 value. */
export function f16ToF32(bits: number): number {
  return f16Table[bits & 0xffff]!;
}

/** Converts packed f16 values (little-endian u16) to f32. */
export function f16ArrayToF32(src: Uint16Array, out = new Float32Array(src.length)): Float32Array {
  for (let i = 0; i < src.length; i++) out[i] = f16Table[src[i]!]!;
  return out;
}

/** Converts packed bf16 values to f32 (exact: bf16 is the top half of an f32). */
export function bf16ArrayToF32(src: Uint16Array, out = new Float32Array(src.length)): Float32Array {
  const u = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) u[i] = src[i]! << 16;
  return out;
}

/** f32 -> f16 bits, round to nearest even, overflow to infinity, NaN kept (one implementation: src/engine/f16.ts). */
export const f32ToF16: (v: number) => number = f32ToF16Bits;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** f32 -> bf16 bits, round to nearest even, NaN kept. */
export function f32ToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  const lsb = (x >>> 16) & 1;
  return ((x + 0x7fff + lsb) >>> 16) & 0xffff;
}

/** FP8 E4M3 (the "fn" variant: no infinities, S.1111.111 is NaN) -> f32. */
export function f8e4m3ToF32(b: number): number {
  const s = b & 0x80 ? -1 : 1;
  const e = (b >> 3) & 0xf;
  const m = b & 7;
  if (e === 15 && m === 7) return NaN;
  if (e === 0) return s * m * 2 ** -9;
  return s * (1 + m / 8) * 2 ** (e - 7);
}

/** FP8 E5M2 -> f32 (the top byte of an f16). */
export function f8e5m2ToF32(b: number): number {
  return f16Table[(b & 0xff) << 8]!;
}
