/**
 * `gemvq8` / `gemvq4(x, q, s, out, N, K)`: one token (f32) against int8 (`bits` 8) or int4 (`bits` 4) rows, groups of
 * 32, dequantisation fused: per group, four f32x4 partial sums of `x · w` (added `(a0 + a1) + (a2 + a3)`), times the
 * group's scale, accumulated over the row; then the lane sum. Reads the weights as one sequential stream.
 */
import { Fn, I32, V128 } from '../wasmEmit.ts';
import { countUp, doWhileBelow, hsumLeft, zeroF32x4 } from './loops.ts';
import { i8PartToF32, int4Interleave, int4Nibbles } from './int4.ts';

export function gemvq(bits: 8 | 4): Fn {
  const f = new Fn(bits === 8 ? 'gemvq8' : 'gemvq4', [I32, I32, I32, I32, I32, I32]);
  const [x, q, s, out, N, K] = [0, 1, 2, 3, 4, 5];
  const groups = f.local(I32);
  const g = f.local(I32);
  const xa = f.local(I32);
  const n = f.local(I32);
  const acc = f.local(V128);
  const ga = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const v = f.local(V128);
  const lo = f.local(V128);
  const hi = f.local(V128);
  const half = f.local(V128);
  const m15 = f.local(V128);
  const m8 = f.local(V128);
  f.i32(15).i8x16splat().set(m15);
  f.i32(8).i8x16splat().set(m8);
  f.get(K).i32(32).div().set(groups);
  f.i32(0).set(n);
  countUp(f, n, N, 1, () => {
    zeroF32x4(f, [acc]);
    f.get(x).set(xa);
    f.i32(0).set(g);
    // the 8 f32x4 products of this group go round-robin into ga[0..3]
    const fma = (j: number): void => {
      // stack: f32x4 weights → multiply with x[j*4 .. j*4+4) of the group and add into ga[j % 4]
      f.get(xa).v128load(16 * j).f32x4mul().get(ga[j % 4]!).f32x4add().set(ga[j % 4]!);
    };
    doWhileBelow(f, g, 1, groups, () => {
      zeroF32x4(f, ga);
      if (bits === 8) {
        for (let i = 0; i < 4; i++) {
          f.get(q).v128load8x8s(8 * i).set(v);
          f.get(v).i32x4extendLowI16s().f32x4convertI32s();
          fma(2 * i);
          f.get(v).i32x4extendHighI16s().f32x4convertI32s();
          fma(2 * i + 1);
        }
        f.get(q).i32(32).add().set(q);
      } else {
        f.get(q).v128load().set(v);
        int4Nibbles(f, v, m15, m8, lo, hi);
        for (let h = 0; h < 2; h++) {
          f.get(lo).get(hi).shuffle(int4Interleave(h)).set(half);
          for (let part = 0; part < 4; part++) {
            i8PartToF32(f, half, part);
            fma(4 * h + part);
          }
        }
        f.get(q).i32(16).add().set(q);
      }
      f.get(ga[0]!).get(ga[1]!).f32x4add().get(ga[2]!).get(ga[3]!).f32x4add().f32x4add();
      f.get(s).f32load().f32x4splat().f32x4mul().get(acc).f32x4add().set(acc);
      f.get(s).i32(4).add().set(s);
      f.get(xa).i32(128).add().set(xa);
    });
    f.get(out);
    hsumLeft(f, acc);
    f.f32store();
    f.get(out).i32(4).add().set(out);
  });
  return f;
}
