/**
 * `gemvp2(x, wp, out, N, K)`: one token against packed panels (`gemmp16`'s layout, same arithmetic, so the same bits),
 * N a multiple of 32: the panels are split in two halves walked side by side — two sequential streams through the
 * weights keep more memory reads in flight than one (~26 vs ~22 GB/s here, where decode is bound by memory bandwidth).
 */
import { Fn, I32, V128 } from '../wasmEmit.ts';
import { countUp, doWhileBelow, mulAdd, zeroF32x4 } from './loops.ts';

export function gemvp2(fma: boolean): Fn {
  const f = new Fn('gemvp2', [I32, I32, I32, I32, I32]);
  const [x, w, out, N, K] = [0, 1, 2, 3, 4];
  const wk = [f.local(I32), f.local(I32)];
  const ob = [f.local(I32), f.local(I32)];
  const xk = f.local(I32);
  const xEnd = f.local(I32);
  const p = f.local(I32);
  const half = f.local(I32);
  const acc = Array.from({ length: 8 }, () => f.local(V128));
  const s = f.local(V128);
  f.get(N).i32(32).div().set(half); // panels per half
  f.get(x).get(K).i32(4).mul().add().set(xEnd);
  f.get(w).set(wk[0]!);
  f.get(w).get(half).get(K).mul().i32(64).mul().add().set(wk[1]!);
  f.get(out).set(ob[0]!);
  f.get(out).get(half).i32(64).mul().add().set(ob[1]!);
  f.i32(0).set(p);
  countUp(f, p, half, 1, () => {
    zeroF32x4(f, acc);
    f.get(x).set(xk);
    doWhileBelow(f, xk, 4, xEnd, () => {
      f.get(xk).v128load32splat().set(s);
      for (let r = 0; r < 2; r++) for (let j = 0; j < 4; j++) mulAdd(f, fma, acc[4 * r + j]!, () => f.get(s), () => f.get(wk[r]!).v128load(16 * j));
      for (const r of wk) f.get(r).i32(64).add().set(r);
    });
    for (let r = 0; r < 2; r++) {
      for (let j = 0; j < 4; j++) f.get(ob[r]!).get(acc[4 * r + j]!).v128store(16 * j);
      f.get(ob[r]!).i32(64).add().set(ob[r]!);
    }
  });
  return f;
}
