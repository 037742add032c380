/**
 * `gemm(x, w, out, T, N, K, ldo)`: `out[t*ldo + n] = Σ_k x[t*K + k] · w[n*K + k]` (f32; pointers in bytes; N and K
 * multiples of 4) over row-major weights. `unroll` k-steps of 4 per loop iteration (K a multiple of 4·unroll; loads
 * use immediate offsets); tiles of `tb` tokens × 4 rows, then 1 token × 4 rows for the tokens left over.
 * Lane `l` of an accumulator sums `k ≡ l (mod 4)` in order, the four lanes are then added left to right — the same
 * order for every tile shape, so a token's result never depends on how many tokens run with it.
 * `gemm` is (unroll 1, 2 tokens); `gemm16` (unroll 2, 6 tokens: 24 accumulators, each weight vector loaded once for
 * 6 tokens; K a multiple of 16). Both serve only row-major weights whose rows are not a multiple of 16: everything else
 * runs `gemmp16` on packed panels.
 */
import { Fn, I32, V128 } from '../wasmEmit.ts';
import { countUp, hsumLeft, loopWhile, zeroF32x4 } from './loops.ts';

export function gemm(name: string, unroll: number, tb: number): Fn {
  const f = new Fn(name, [I32, I32, I32, I32, I32, I32, I32]);
  const [x, w, out, T, N, K, ldo] = [0, 1, 2, 3, 4, 5, 6];
  const t = f.local(I32);
  const n = f.local(I32);
  const kb = f.local(I32);
  const kEnd = f.local(I32);
  const xb = Array.from({ length: tb }, () => f.local(I32));
  const xa = Array.from({ length: tb }, () => f.local(I32));
  const wb = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const wa = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const ob = f.local(I32);
  const ldoB = f.local(I32);
  const acc = Array.from({ length: 4 * tb }, () => f.local(V128));
  const xv = Array.from({ length: tb }, () => f.local(V128));
  const wv = f.local(V128);

  /** n loop over 4-row blocks for `tokens` tokens whose rows start at xb[0..tokens) */
  const rows = (tokens: number): void => {
    f.i32(0).set(n);
    countUp(f, n, N, 4, () => {
      f.get(w).get(n).get(K).mul().i32(4).mul().add().set(wb[0]!);
      for (let j = 1; j < 4; j++) f.get(wb[j - 1]!).get(kEnd).add().set(wb[j]!);
      zeroF32x4(f, acc.slice(0, 4 * tokens));
      f.i32(0).set(kb);
      f.loop();
      for (let i = 0; i < tokens; i++) f.get(xb[i]!).get(kb).add().set(xa[i]!);
      for (let j = 0; j < 4; j++) f.get(wb[j]!).get(kb).add().set(wa[j]!);
      for (let u = 0; u < unroll; u++) {
        for (let i = 0; i < tokens; i++) f.get(xa[i]!).v128load(16 * u).set(xv[i]!);
        for (let j = 0; j < 4; j++) {
          f.get(wa[j]!).v128load(16 * u).set(wv);
          for (let i = 0; i < tokens; i++) f.get(acc[4 * i + j]!).get(xv[i]!).get(wv).f32x4mul().f32x4add().set(acc[4 * i + j]!);
        }
      }
      f.get(kb).i32(16 * unroll).add().tee(kb).get(kEnd).ltU().brIf(0);
      f.end();
      f.get(out).get(t).get(ldo).mul().get(n).add().i32(4).mul().add().set(ob);
      for (let i = 0; i < tokens; i++) {
        if (i > 0) f.get(ob).get(ldoB).add().set(ob);
        for (let j = 0; j < 4; j++) {
          f.get(ob);
          hsumLeft(f, acc[4 * i + j]!);
          f.f32store(4 * j);
        }
      }
    });
  };

  f.get(K).i32(4).mul().set(kEnd);
  f.get(ldo).i32(4).mul().set(ldoB);
  f.i32(0).set(t);
  // blocks of tb tokens
  loopWhile(
    f,
    () => f.get(T).get(t).i32(tb).add().ltU(),
    () => {
      f.get(x).get(t).get(kEnd).mul().add().set(xb[0]!);
      for (let i = 1; i < tb; i++) f.get(xb[i - 1]!).get(kEnd).add().set(xb[i]!);
      rows(tb);
      f.get(t).i32(tb).add().set(t);
    },
  );
  // the tokens left, one at a time
  if (tb > 1) {
    countUp(f, t, T, 1, () => {
      f.get(x).get(t).get(kEnd).mul().add().set(xb[0]!);
      rows(1);
    });
  }
  return f;
}
