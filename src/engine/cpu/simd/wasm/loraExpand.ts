/**
 * `loraExpand(h, bt, out, rows, N, r)`: the LoRA expand, accumulated, `out[t*N + n] += Σ_j h[t*r + j] · B[n, j]`
 * (N a multiple of 4). `bt` holds the slot's `B` transposed, by column chunks: `[N/16][r][16]`, then the last
 * `N mod 16` columns as `[r][4]` chunks (a chunk of w columns starting at n is at `n·r`, rank j at `+ j·w`): each step
 * is an f32x4 axpy along n, and a tile reads one sequential stream. Tiles of 2 rows × 16 columns (8 accumulators, each
 * `Bᵀ` vector loaded once for both rows), then 4 columns, then 1 row.
 * Every output is `out + h_0·b_0 + h_1·b_1 + …` in rank order whatever the tile: a row's result does not depend on
 * its segment or batch.
 */
import { Fn, I32, V128 } from '../wasmEmit.ts';
import { doWhileBelow, loopWhile, mulAdd, unlessAtLeast } from './loops.ts';

export function loraExpand(fma: boolean): Fn {
  const f = new Fn('loraExpand', [I32, I32, I32, I32, I32, I32]);
  const [h, bt, out, rows, N, r] = [0, 1, 2, 3, 4, 5];
  const t = f.local(I32);
  const n = f.local(I32);
  const j = f.local(I32);
  const nB = f.local(I32);
  const rB = f.local(I32);
  const op = [f.local(I32), f.local(I32)];
  const hp = [f.local(I32), f.local(I32)];
  const bp = f.local(I32);
  const acc = Array.from({ length: 8 }, () => f.local(V128));
  const hv = [f.local(V128), f.local(V128)];
  const bv = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  /** `tr` rows from t × `nv` f32x4 columns from n */
  const tile = (tr: number, nv: number): void => {
    f.get(out).get(t).get(nB).mul().add().get(n).i32(4).mul().add().set(op[0]!);
    if (tr > 1) f.get(op[0]!).get(nB).add().set(op[1]!);
    for (let i = 0; i < tr; i++) for (let v = 0; v < nv; v++) f.get(op[i]!).v128load(16 * v).set(acc[i * nv + v]!);
    f.get(h).get(t).get(rB).mul().add().set(hp[0]!);
    if (tr > 1) f.get(hp[0]!).get(rB).add().set(hp[1]!);
    f.get(bt).get(n).get(rB).mul().add().set(bp);
    f.i32(0).set(j);
    doWhileBelow(f, j, 4, rB, () => {
      for (let v = 0; v < nv; v++) f.get(bp).v128load(16 * v).set(bv[v]!);
      for (let i = 0; i < tr; i++) {
        f.get(hp[i]!).get(j).add().v128load32splat().set(hv[i]!);
        for (let v = 0; v < nv; v++) mulAdd(f, fma, acc[i * nv + v]!, () => f.get(hv[i]!), () => f.get(bv[v]!));
      }
      f.get(bp).i32(16 * nv).add().set(bp);
    });
    for (let i = 0; i < tr; i++) for (let v = 0; v < nv; v++) f.get(op[i]!).get(acc[i * nv + v]!).v128store(16 * v);
  };
  /** the n loop for `tr` rows: 16 columns at a time, then 4 */
  const cols = (tr: number): void => {
    f.i32(0).set(n);
    for (const nv of [4, 1]) {
      loopWhile(
        f,
        () => f.get(N).get(n).i32(4 * nv).add().ltU(),
        () => {
          tile(tr, nv);
          f.get(n).i32(4 * nv).add().set(n);
        },
      );
    }
  };
  f.get(N).i32(4).mul().set(nB);
  f.get(r).i32(4).mul().set(rB);
  f.block();
  f.get(r).i32(0).leU().brIf(0); // rank 0: nothing to add (the j loop runs at least once)
  f.i32(0).set(t);
  loopWhile(
    f,
    () => f.get(rows).get(t).i32(2).add().ltU(),
    () => {
      cols(2);
      f.get(t).i32(2).add().set(t);
    },
  );
  unlessAtLeast(f, t, rows, () => cols(1));
  f.end();
  return f;
}
