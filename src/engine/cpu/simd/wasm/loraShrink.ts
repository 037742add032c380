/**
 * `loraShrink(x, a, h, rows, K, r, scale)`: the LoRA shrink of a segment of rows sharing one adapter,
 * `h[t*r + j] = scale · Σ_k x[t*K + k] · A[j, k]` (K a multiple of 4). `a` holds the slot's `A [r, K]` in blocks of 4
 * ranks, each `[K/4][4 ranks][4]` (see `loraSimd.ts`: a tile's loads are one sequential stream, which the hardware
 * prefetcher follows — a decode row streams its adapter once), then the last `r mod 4` ranks row-major. Tiles of
 * 2 rows × 4 ranks (8 f32x4 accumulators, each `A` vector loaded once for both rows), then 1 row, then single ranks.
 * Lane `l` sums `k ≡ l (mod 4)` in order and the lanes are added `((l0 + l1) + l2) + l3` in every tile shape, so a
 * row's `h` is the same bits whatever segment or batch it runs in.
 */
import { F32, Fn, I32, V128 } from '../wasmEmit.ts';
import { countUp, doWhileBelow, hsumLeft, loopWhile, mulAdd, unlessAtLeast, zeroF32x4 } from './loops.ts';

export function loraShrink(fma: boolean): Fn {
  const f = new Fn('loraShrink', [I32, I32, I32, I32, I32, I32, F32]);
  const [x, a, h, rows, K, r, scale] = [0, 1, 2, 3, 4, 5, 6];
  const t = f.local(I32);
  const j = f.local(I32);
  const kb = f.local(I32);
  const kB = f.local(I32);
  const xp = [f.local(I32), f.local(I32)];
  const ap = f.local(I32);
  const hp = f.local(I32);
  const acc = Array.from({ length: 8 }, () => f.local(V128));
  const xv = [f.local(V128), f.local(V128)];
  const av = f.local(V128);
  /** `tr` rows from t × `tj` ranks from j */
  const tile = (tr: number, tj: number): void => {
    zeroF32x4(f, acc.slice(0, tr * tj));
    f.get(x).get(t).get(kB).mul().add().set(xp[0]!);
    if (tr > 1) f.get(xp[0]!).get(kB).add().set(xp[1]!);
    // ranks j.. start j·K values in (a block of 4 ranks takes the room of 4 rows)
    f.get(a).get(j).get(kB).mul().add().set(ap);
    f.i32(0).set(kb);
    doWhileBelow(f, kb, 16, kB, () => {
      for (let i = 0; i < tr; i++) f.get(xp[i]!).get(kb).add().v128load().set(xv[i]!);
      for (let q = 0; q < tj; q++) {
        f.get(ap).v128load(16 * q).set(av);
        for (let i = 0; i < tr; i++) mulAdd(f, fma, acc[i * tj + q]!, () => f.get(xv[i]!), () => f.get(av));
      }
      f.get(ap).i32(16 * tj).add().set(ap);
    });
    for (let i = 0; i < tr; i++) {
      // h + ((t + i)·r + j)·4
      f.get(h).get(t).i32(i).add().get(r).mul().get(j).add().i32(4).mul().add().set(hp);
      for (let q = 0; q < tj; q++) {
        f.get(hp);
        hsumLeft(f, acc[i * tj + q]!);
        f.get(scale).f32mul().f32store(4 * q);
      }
    }
  };
  /** the j loop for `tr` rows: blocks of 4 ranks, then one at a time */
  const ranks = (tr: number): void => {
    f.i32(0).set(j);
    loopWhile(
      f,
      () => f.get(r).get(j).i32(4).add().ltU(),
      () => {
        tile(tr, 4);
        f.get(j).i32(4).add().set(j);
      },
    );
    countUp(f, j, r, 1, () => tile(tr, 1));
  };
  f.get(K).i32(4).mul().set(kB);
  f.i32(0).set(t);
  loopWhile(
    f,
    () => f.get(rows).get(t).i32(2).add().ltU(),
    () => {
      ranks(2);
      f.get(t).i32(2).add().set(t);
    },
  );
  unlessAtLeast(f, t, rows, () => ranks(1));
  return f;
}
