/**
 * `pack16(src, dst, rows, K)`: row-major `[rows, K]` (rows a multiple of 16, K of 4) → panels of 16 rows, each `[K][16]`
 * (the layout `gemmp16` reads), by 4×4 transposes.
 */
import { Fn, I32, V128 } from '../wasmEmit.ts';
import { countUp, doWhileBelow, f32Lanes } from './loops.ts';

export function pack16(): Fn {
  const f = new Fn('pack16', [I32, I32, I32, I32]);
  const [src, dst, rows, K] = [0, 1, 2, 3];
  const p = f.local(I32);
  const kb = f.local(I32);
  const kB = f.local(I32);
  const a = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const v = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const tt = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  f.get(K).i32(4).mul().set(kB);
  f.i32(0).set(p);
  countUp(f, p, rows, 16, () => {
    f.i32(0).set(kb);
    doWhileBelow(f, kb, 16, kB, () => {
      for (let rb = 0; rb < 4; rb++) {
        // rows p + 4rb .. p + 4rb + 3, columns kb/4 .. kb/4 + 3
        f.get(src).get(p).i32(4 * rb).add().get(kB).mul().add().get(kb).add().set(a[0]!);
        for (let i = 1; i < 4; i++) f.get(a[i - 1]!).get(kB).add().set(a[i]!);
        for (let i = 0; i < 4; i++) f.get(a[i]!).v128load().set(v[i]!);
        f.get(v[0]!).get(v[1]!).shuffle(f32Lanes([0, 4, 1, 5])).set(tt[0]!);
        f.get(v[2]!).get(v[3]!).shuffle(f32Lanes([0, 4, 1, 5])).set(tt[1]!);
        f.get(v[0]!).get(v[1]!).shuffle(f32Lanes([2, 6, 3, 7])).set(tt[2]!);
        f.get(v[2]!).get(v[3]!).shuffle(f32Lanes([2, 6, 3, 7])).set(tt[3]!);
        // column c of the 4×4 block goes to dst + ((p*K + kb/4 + c) * 16 + 4rb) * 4
        const store = (c: number, lo: number, hi: number, lanes: number[]): void => {
          f.get(dst).get(p).get(kB).mul().add().get(kb).i32(16).mul().add().get(tt[lo]!).get(tt[hi]!).shuffle(f32Lanes(lanes)).v128store(64 * c + 16 * rb);
        };
        store(0, 0, 1, [0, 1, 4, 5]);
        store(1, 0, 1, [2, 3, 6, 7]);
        store(2, 2, 3, [0, 1, 4, 5]);
        store(3, 2, 3, [2, 3, 6, 7]);
      }
    });
  });
  return f;
}
