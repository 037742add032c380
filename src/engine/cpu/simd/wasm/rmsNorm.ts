/**
 * `rmsNorm(x, w, out, T, d, eps)`: per row, `out = x · w / sqrt(mean(x²) + eps)` (d a multiple of 4; out may be x).
 * Sum of squares in four f32 lanes, added `(l0 + l2) + (l1 + l3)`; the same for every row whatever T is.
 */
import { F32, Fn, I32, V128 } from '../wasmEmit.ts';
import { countUp, doWhileBelow, hsumPairs, zeroF32x4 } from './loops.ts';

export function rmsNorm(): Fn {
  const f = new Fn('rmsNorm', [I32, I32, I32, I32, I32, F32]);
  const [x, w, out, T, d, eps] = [0, 1, 2, 3, 4, 5];
  const t = f.local(I32);
  const i = f.local(I32);
  const dB = f.local(I32);
  const acc = f.local(V128);
  const v = f.local(V128);
  const inv = f.local(V128);
  f.get(d).i32(4).mul().set(dB);
  f.i32(0).set(t);
  countUp(f, t, T, 1, () => {
    zeroF32x4(f, [acc]);
    f.i32(0).set(i);
    doWhileBelow(f, i, 16, dB, () => {
      f.get(x).get(i).add().v128load().tee(v).get(v).f32x4mul().get(acc).f32x4add().set(acc);
    });
    f.f32(1);
    hsumPairs(f, acc);
    f.get(d).f32ConvertI32U().f32div().get(eps).f32add().f32sqrt().f32div().f32x4splat().set(inv);
    f.i32(0).set(i);
    doWhileBelow(f, i, 16, dB, () => {
      f.get(out).get(i).add();
      f.get(x).get(i).add().v128load().get(inv).f32x4mul().get(w).get(i).add().v128load().f32x4mul();
      f.v128store();
    });
    f.get(x).get(dB).add().set(x);
    f.get(out).get(dB).add().set(out);
  });
  return f;
}
