/** `siluMul(g, u, out, n)`: `out[i] = g[i] · u[i] / (1 + exp(−g[i]))` for n a multiple of 4 (out may alias g or u). */
import { Fn, I32, V128 } from '../wasmEmit.ts';
import { expConsts, expV } from './expV.ts';
import { doWhileBelow, unlessAtLeast } from './loops.ts';

export function siluMul(): Fn {
  const f = new Fn('siluMul', [I32, I32, I32, I32]);
  const [g, u, out, n] = [0, 1, 2, 3];
  const end = f.local(I32);
  const gv = f.local(V128);
  const x = f.local(V128);
  const nn = f.local(V128);
  const r = f.local(V128);
  const zero = f.local(V128);
  const c = expConsts(f);
  f.f32(0).f32x4splat().set(zero);
  f.get(g).get(n).i32(4).mul().add().set(end);
  unlessAtLeast(f, g, end, () =>
    doWhileBelow(f, g, 16, end, () => {
      f.get(g).v128load().set(gv);
      f.get(zero).get(gv).f32x4sub().set(x);
      f.get(out).get(gv).get(u).v128load().f32x4mul();
      expV(f, x, c, nn, r);
      f.get(c.one).f32x4add().f32x4div().v128store();
      f.get(u).i32(16).add().set(u);
      f.get(out).i32(16).add().set(out);
    }),
  );
  return f;
}
