/**
 * A SIMD `exp` for the f32x4 kernels (`siluMul`, `attn`): `2^n · p(r)` with `n = round(x·log2 e)`, `r = x − n·ln 2`
 * (ln 2 split in two for exactness) and a degree-6 polynomial (Cephes `expf` coefficients), inputs clamped to
 * [−87.3, 88.3] (no overflow, no denormals): within ~2 ulp of `Math.exp` in that range.
 */
import { type Fn, V128 } from '../wasmEmit.ts';

export interface ExpConsts {
  lo: number;
  hi: number;
  log2e: number;
  ln2hi: number;
  ln2lo: number;
  one: number;
  p: number[];
}

/** Pushes `exp(x)` for the f32x4 in local `x`; `n` and `r` are V128 scratch locals, `c` the splatted constants. */
export function expV(f: Fn, x: number, c: ExpConsts, n: number, r: number): void {
  f.get(x).get(c.lo).f32x4max().get(c.hi).f32x4min().set(r);
  f.get(r).get(c.log2e).f32x4mul().f32x4nearest().set(n);
  f.get(r).get(n).get(c.ln2hi).f32x4mul().f32x4sub().get(n).get(c.ln2lo).f32x4mul().f32x4sub().set(r);
  f.get(c.p[0]!);
  for (let i = 1; i < c.p.length; i++) f.get(r).f32x4mul().get(c.p[i]!).f32x4add();
  // p(r)·r² + r + 1
  f.get(r).get(r).f32x4mul().f32x4mul().get(r).f32x4add().get(c.one).f32x4add();
  // × 2^n, built in the exponent field
  f.get(n).i32x4truncSatF32x4s().i32(127).i32x4splat().i32x4add().i32(23).i32x4shl().f32x4mul();
}

/** Declares and fills the locals `expV` needs. */
export function expConsts(f: Fn): ExpConsts {
  const splat = (v: number): number => {
    const l = f.local(V128);
    f.f32(v).f32x4splat().set(l);
    return l;
  };
  return {
    lo: splat(-87.3),
    hi: splat(88.3),
    log2e: splat(1.4426950408889634),
    ln2hi: splat(0.693359375),
    ln2lo: splat(-2.12194440e-4),
    one: splat(1),
    p: [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1].map(splat),
  };
}
