/** `dq8(q, s, dst, groups)`: int8 groups of 32 → f32 (`q · scale`), for the quantised prefill path. */
import { Fn, I32, V128 } from '../wasmEmit.ts';
import { doWhileBelow, unlessAtLeast } from './loops.ts';

export function dq8(): Fn {
  const f = new Fn('dq8', [I32, I32, I32, I32]);
  const [q, s, dst, groups] = [0, 1, 2, 3];
  const qEnd = f.local(I32);
  const sc = f.local(V128);
  const v = f.local(V128);
  f.get(q).get(groups).i32(32).mul().add().set(qEnd);
  unlessAtLeast(f, q, qEnd, () =>
    doWhileBelow(f, q, 32, qEnd, () => {
      f.get(s).f32load().f32x4splat().set(sc);
      for (let i = 0; i < 4; i++) {
        f.get(q).v128load8x8s(8 * i).set(v);
        f.get(dst).get(v).i32x4extendLowI16s().f32x4convertI32s().get(sc).f32x4mul().v128store(32 * i);
        f.get(dst).get(v).i32x4extendHighI16s().f32x4convertI32s().get(sc).f32x4mul().v128store(32 * i + 16);
      }
      f.get(s).i32(4).add().set(s);
      f.get(dst).i32(128).add().set(dst);
    }),
  );
  return f;
}
