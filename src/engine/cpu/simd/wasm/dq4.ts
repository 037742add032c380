/** `dq4(q, s, dst, groups)`: int4 groups of 32 (16 bytes, low nibble = even column) → f32 (`(n − 8) · scale`). */
import { Fn, I32, V128 } from '../wasmEmit.ts';
import { i8PartToF32, int4Interleave, int4Nibbles } from './int4.ts';
import { doWhileBelow, unlessAtLeast } from './loops.ts';

export function dq4(): Fn {
  const f = new Fn('dq4', [I32, I32, I32, I32]);
  const [q, s, dst, groups] = [0, 1, 2, 3];
  const qEnd = f.local(I32);
  const sc = f.local(V128);
  const v = f.local(V128);
  const lo = f.local(V128);
  const hi = f.local(V128);
  const half = f.local(V128);
  const m15 = f.local(V128);
  const m8 = f.local(V128);
  f.i32(15).i8x16splat().set(m15);
  f.i32(8).i8x16splat().set(m8);
  f.get(q).get(groups).i32(16).mul().add().set(qEnd);
  unlessAtLeast(f, q, qEnd, () =>
    doWhileBelow(f, q, 16, qEnd, () => {
      f.get(s).f32load().f32x4splat().set(sc);
      f.get(q).v128load().set(v);
      int4Nibbles(f, v, m15, m8, lo, hi);
      for (let h = 0; h < 2; h++) {
        f.get(lo).get(hi).shuffle(int4Interleave(h)).set(half); // 16 int8 columns 16h .. 16h+15
        for (let part = 0; part < 4; part++) {
          f.get(dst);
          i8PartToF32(f, half, part);
          f.get(sc).f32x4mul().v128store(64 * h + 16 * part);
        }
      }
      f.get(s).i32(4).add().set(s);
      f.get(dst).i32(128).add().set(dst);
    }),
  );
  return f;
}
