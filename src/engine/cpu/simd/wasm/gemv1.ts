/**
 * `gemv1(x, w, out, N, K)`: one token against row-major f32 weights, one row at a time (a single sequential stream
 * through `w`, which hardware prefetchers follow best), four accumulators over the 4× unrolled k loop (K a multiple of
 * 16), added as `(a0 + a1) + (a2 + a3)` before the lane sum.
 */
import { Fn, I32, V128 } from '../wasmEmit.ts';
import { doWhileBelow, hsumLeft, unlessAtLeast, zeroF32x4 } from './loops.ts';

export function gemv1(): Fn {
  const f = new Fn('gemv1', [I32, I32, I32, I32, I32]);
  const [x, w, out, N, K] = [0, 1, 2, 3, 4];
  const kb = f.local(I32);
  const kEnd = f.local(I32);
  const wEnd = f.local(I32);
  const xa = f.local(I32);
  const a = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  f.get(K).i32(4).mul().set(kEnd);
  f.get(w).get(N).get(kEnd).mul().add().set(wEnd);
  unlessAtLeast(f, w, wEnd, () => {
    f.loop();
    zeroF32x4(f, a);
    f.get(x).set(xa);
    f.get(x).get(kEnd).add().set(kb);
    doWhileBelow(f, xa, 64, kb, () => {
      for (let u = 0; u < 4; u++) f.get(a[u]!).get(xa).v128load(16 * u).get(w).v128load(16 * u).f32x4mul().f32x4add().set(a[u]!);
      f.get(w).i32(64).add().set(w);
    });
    f.get(out);
    f.get(a[0]!).get(a[1]!).f32x4add().get(a[2]!).get(a[3]!).f32x4add().f32x4add().set(a[0]!);
    hsumLeft(f, a[0]!);
    f.f32store();
    f.get(out).i32(4).add().set(out);
    f.get(w).get(wEnd).ltU().brIf(0);
    f.end();
  });
  return f;
}
