/**
 * Integer decode matvecs: one token, already quantised per group of 32 (`quantX.ts`), against int8 or int4 rows
 * (groups of 32, the `Q8Matrix` / `Q4Matrix` layouts as stored: nothing re-packed):
 * `out[n] = Σ_g sw[n,g] · sx[g] · Σ_{k in g} xq[k] · wq[n,k]`.
 * - `gemvi8(xq, xs, 0, q, s, out, N, K)`: `xq` from `qxNat16`; 16 weight bytes at a time, sign-extended to two i16x8,
 *   meet x in `i32x4.dot_i16x8_s` (4 per group).
 * - `gemvi4(xq, xs, corr, q, s, out, N, K)`: `xq`/`corr` from `qxMod16`; 16 bytes of a group read as 8 i16 lanes of
 *   four nibbles (columns 4k .. 4k+3), split by shifts and a mask into four i16x8 of unsigned nibbles 0..15 and dotted
 *   with the columns ≡ c (mod 4) of x; `corr` (−8·Σ xq per group) turns `Σ xq · n` into `Σ xq · (n − 8)`.
 * - `gemvi4r` (relaxed SIMD): `xq`/`corr` from `qxEo8`; the low and high nibbles of the 16 bytes (even and odd columns,
 *   0..15: valid i7 operands) go through `i16x8.relaxed_dot_i8x16_i7x16_s` with x as i8 (pair sums ≤ 3810, the two
 *   added ≤ 7620: no saturation), then one `i32x4.extadd_pairwise_i16x8_s` — exact on every engine.
 *
 * Float work once per four groups, not per group: the four groups' i32x4 partial dots are reduced to one i32x4
 * `[d_g, d_g+1, d_g+2, d_g+3]` by two rounds of even/odd lane shuffles and adds (exact), converted once, multiplied by
 * `sw[n, g..g+3] · sx[g..g+3]` (one f32 product per group, as one f32x4 product) and added into the row's f32x4
 * accumulator (lane j: the groups ≡ j mod 4 of the blocks). The `G mod 4` last groups one at a time (their i32x4 partial
 * dot converted and scaled by the splat of `sw·sx`). Lanes summed `((l0+l1)+l2)+l3` at the end. Every integer sum is
 * exact (|Σ| < 2^24, so its f32 conversion is too).
 * Four rows per pass (four sequential weight streams) share each group's x loads; the `N mod 4` last rows one by one,
 * computed the same way —
 * a row's result does not depend on N or on which rows run with it.
 * Touch-ahead: while a pass of four rows computes, one dropped load per cache line of the rows `AHEAD` passes on (the
 * rows are contiguous) pulls them towards the core; only loads, so the results are unchanged.
 */
import { F32, Fn, I32, V128 } from '../wasmEmit.ts';
import { countUp, doWhileBelow, f32Lanes, hsumLeft, loopWhile, unlessAtLeast, zeroF32x4 } from './loops.ts';

/** passes of four rows between the rows computed and the rows touched ahead (1 measured best: q8 2.1–2.2× f32 vs 1.7–2.0× with 2, 1.3–1.4× with 4 or 8; 0, no touch, 1.1×) */
const AHEAD = 1;
/** groups whose float work is done together */
const GB = 4;

export type IntKernel = 'q8' | 'q4' | 'q4r';

export function gemvi(kind: IntKernel, fma: boolean): Fn {
  const name = kind === 'q8' ? 'gemvi8' : kind === 'q4' ? 'gemvi4' : 'gemvi4r';
  const f = new Fn(name, [I32, I32, I32, I32, I32, I32, I32, I32]);
  const [xq, xs, corr, q, s, out, N, K] = [0, 1, 2, 3, 4, 5, 6, 7];
  const R = 4;
  const n = f.local(I32);
  const groups = f.local(I32);
  const rowB = f.local(I32);
  const rowS = f.local(I32);
  const xp = f.local(I32);
  const xEnd = f.local(I32);
  const xBlockEnd = f.local(I32);
  const sxp = f.local(I32);
  const cp = f.local(I32);
  const wp = Array.from({ length: R }, () => f.local(I32));
  const sp = Array.from({ length: R }, () => f.local(I32));
  const acc = Array.from({ length: R }, () => f.local(V128));
  const part = Array.from({ length: R }, () => f.local(V128));
  const part2 = Array.from({ length: R }, () => f.local(V128));
  const xv = Array.from({ length: 4 }, () => f.local(V128));
  const w = f.local(V128);
  const d = f.local(V128);
  const isum = f.local(V128);
  const mask = f.local(V128);
  const sxv = f.local(V128);
  const cv = f.local(V128);
  const sx = f.local(F32);
  const pf = f.local(I32);
  const qEnd = f.local(I32);
  const xStride = kind === 'q4r' ? 32 : 64;
  const wStride = kind === 'q8' ? 32 : 16;
  const xn = kind === 'q4r' ? 2 : 4;

  f.get(K).i32(32).div().set(groups);
  f.get(groups).i32(wStride).mul().set(rowB);
  f.get(groups).i32(4).mul().set(rowS);
  f.get(xq).get(groups).i32(xStride).mul().add().set(xEnd);
  f.get(xq).get(groups).i32(-GB).and().i32(xStride).mul().add().set(xBlockEnd);
  f.get(q).get(N).get(rowB).mul().add().set(qEnd);
  if (kind === 'q4') f.i32(15).i16x8splat().set(mask);
  if (kind === 'q4r') f.i32(15).i8x16splat().set(mask);

  const loadX = (g: number): void => {
    for (let i = 0; i < xn; i++) f.get(xp).v128load(g * xStride + 16 * i).set(xv[i]!);
  };
  /** pushes row r's i32x4 partial dot of group g of the block (x in xv; without the int4 offset) */
  const groupDot = (r: number, g: number): void => {
    const o = g * wStride;
    if (kind === 'q8') {
      for (let h = 0; h < 2; h++) {
        f.get(wp[r]!).v128load(o + 16 * h).set(w);
        f.get(w).i16x8extendLowI8s().get(xv[2 * h]!).i32x4dotI16x8s();
        f.get(w).i16x8extendHighI8s().get(xv[2 * h + 1]!).i32x4dotI16x8s();
      }
      f.i32x4add().set(isum); // d2 + d3
      f.i32x4add().get(isum).i32x4add(); // (d0 + d1) + (d2 + d3)
    } else if (kind === 'q4') {
      f.get(wp[r]!).v128load(o).set(w);
      for (let i = 0; i < 4; i++) {
        f.get(w);
        if (i > 0) f.i32(4 * i).i16x8shrU();
        if (i < 3) f.get(mask).v128and();
        f.get(xv[i]!).i32x4dotI16x8s();
        if (i > 0) f.i32x4add();
      }
    } else {
      f.get(wp[r]!).v128load(o).set(w);
      f.get(xv[0]!).get(w).get(mask).v128and().i16x8relaxedDotI8x16I7x16S();
      f.get(xv[1]!).get(w).i32(4).i16x8shrU().get(mask).v128and().i16x8relaxedDotI8x16I7x16S();
      f.i16x8add().i32x4extaddPairwiseI16s();
    }
  };
  /** pushes [a0+a1, a2+a3, b0+b1, b2+b3] of the i32x4 locals a, b (exact) */
  const pairSums = (a: number, b: number): void => {
    f.get(a).get(b).shuffle(f32Lanes([0, 2, 4, 6]));
    f.get(a).get(b).shuffle(f32Lanes([1, 3, 5, 7]));
    f.i32x4add();
  };
  /** acc[r] += (converted i32x4 on the stack) · (scale on the stack after `scale()`) */
  const accumulate = (r: number, scale: () => void): void => {
    f.f32x4convertI32s();
    scale();
    if (fma) f.get(acc[r]!).f32x4relaxedMadd().set(acc[r]!);
    else f.f32x4mul().get(acc[r]!).f32x4add().set(acc[r]!);
  };

  /**
   * Stores lane 0 of what a row just computed into out[n] (overwritten at the end of the pass). TurboFan schedules a
   * loop body's loads as early as it can: without this, all the weight and x loads of a block ran first and most of
   * their values were spilled to the stack (the store pins the next loads behind this row's arithmetic; 15–30 % faster
   * with the weights in cache).
   */
  const barrier = (v: number): void => {
    f.get(out).get(n).i32(4).mul().add().get(v).i32x4extract(0).i32store();
  };
  /** `rows` rows from n: pointers, the blocks of four groups, the last groups, the stores */
  const pass = (rows: number): void => {
    f.get(q).get(n).get(rowB).mul().add().set(wp[0]!);
    f.get(s).get(n).get(rowS).mul().add().set(sp[0]!);
    for (let r = 1; r < rows; r++) {
      f.get(wp[r - 1]!).get(rowB).add().set(wp[r]!);
      f.get(sp[r - 1]!).get(rowS).add().set(sp[r]!);
    }
    zeroF32x4(f, acc.slice(0, rows));
    // rows AHEAD passes on (or, near the end of the matrix, these rows again): touched below while this pass computes
    f.get(wp[0]!).get(rowB).i32(R * AHEAD).mul().add().get(wp[0]!);
    f.get(wp[0]!).get(rowB).i32(R * (AHEAD + 1)).mul().add().get(qEnd).leU().select().set(pf);
    /** one load per 64 bytes of `bytes` at pf (the rows ahead are contiguous: pf moves at four times a row's pace) */
    const touch = (bytes: number): void => {
      if (rows !== R) return;
      for (let j = 0; j < bytes / 64; j++) f.get(pf).f32load(64 * j).drop();
      f.get(pf).i32(bytes).add().set(pf);
    };
    f.get(xq).set(xp);
    f.get(xs).set(sxp);
    f.get(corr).set(cp);
    unlessAtLeast(f, xp, xBlockEnd, () =>
      doWhileBelow(f, xp, GB * xStride, xBlockEnd, () => {
        f.get(sxp).v128load().set(sxv);
        if (kind !== 'q8') f.get(cp).v128load().set(cv);
        for (let g = 0; g < GB; g++) {
          loadX(g);
          for (let r = 0; r < rows; r++) {
              groupDot(r, g);
              if (g === 0) f.set(part[r]!);
              else if (g === 2) f.set(part2[r]!);
              else {
                f.set(d);
                if (g === 1) {
                  pairSums(part[r]!, d);
                  f.set(part[r]!);
                } else {
                  pairSums(part2[r]!, d);
                  f.set(part2[r]!);
                  pairSums(part[r]!, part2[r]!); // [d_g0, d_g1, d_g2, d_g3]
                  if (kind !== 'q8') f.get(cv).i32x4add();
                  accumulate(r, () => f.get(sp[r]!).v128load().get(sxv).f32x4mul());
                }
              }
            barrier(g === 0 || g === 1 ? part[r]! : g === 2 ? part2[r]! : acc[r]!);
          }
        }
        for (let r = 0; r < rows; r++) {
          f.get(wp[r]!).i32(GB * wStride).add().set(wp[r]!);
          f.get(sp[r]!).i32(4 * GB).add().set(sp[r]!);
        }
        touch(R * wStride * GB);
        f.get(sxp).i32(4 * GB).add().set(sxp);
        if (kind !== 'q8') f.get(cp).i32(4 * GB).add().set(cp);
      }),
    );
    // the last G mod 4 groups, one at a time
    unlessAtLeast(f, xp, xEnd, () =>
      doWhileBelow(f, xp, xStride, xEnd, () => {
        loadX(0);
        f.get(sxp).f32load().set(sx);
        for (let r = 0; r < rows; r++) {
          groupDot(r, 0);
          if (kind !== 'q8') f.get(cp).v128load32zero().i32x4add();
          accumulate(r, () => f.get(sp[r]!).f32load().get(sx).f32mul().f32x4splat());
          f.get(wp[r]!).i32(wStride).add().set(wp[r]!);
          f.get(sp[r]!).i32(4).add().set(sp[r]!);
          barrier(acc[r]!);
        }
        touch(R * wStride);
        f.get(sxp).i32(4).add().set(sxp);
        if (kind !== 'q8') f.get(cp).i32(4).add().set(cp);
      }),
    );
    for (let r = 0; r < rows; r++) {
      f.get(out).get(n).i32(r).add().i32(4).mul().add();
      hsumLeft(f, acc[r]!);
      f.f32store();
    }
  };

  f.i32(0).set(n);
  unlessAtLeast(f, xq, xEnd, () => {
    loopWhile(
      f,
      () => f.get(N).get(n).i32(R).add().ltU(),
      () => {
        pass(R);
        f.get(n).i32(R).add().set(n);
      },
    );
    countUp(f, n, N, 1, () => pass(1));
  });
  return f;
}
