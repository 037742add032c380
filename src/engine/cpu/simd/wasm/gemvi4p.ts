/**
 * `gemvi4p(xq, xs, corr, p, out, panels, K)` (relaxed SIMD): the int4 × int8 decode matvec of `gemvi4r` on weights
 * re-packed at load time (`PackedQ4`, `../../kernels/packQ4.ts`): `out[0 .. 4·panels)` for `panels` panels of four
 * rows starting at byte `p`.
 *
 * Layout. A panel (four rows, `80·G` bytes for G = K/32 groups) is one sequential stream: per block of four groups
 * the four rows' 64 weight bytes, then their 4 × 4 f32 scales (320 bytes); per last group (`G mod 4`) the four rows'
 * 16 bytes as `quantizeQ4` stores them, then their 4 scales (80 bytes). Inside a row's 64 block bytes the 4-byte
 * chunks are transposed: the v-th 16 bytes hold chunk v (columns 8v .. 8v+7) of the four groups, lanes 4g..4g+3 from
 * group g. `xq` comes from `qxIlv8` in the same order (per block, for v = 0..3, the even then the odd columns of chunk
 * v of the four groups; each last group as `qxEo8`'s even/odd halves); `corr` is −8·Σq per group.
 *
 * Per block and row: for each v, the low and high nibbles (0..15, valid i7 operands) meet x in
 * `i16x8.relaxed_dot_i8x16_i7x16_s`; the eight dots are added as i16 (a lane sums 16 products of |x| ≤ 127 and a
 * nibble ≤ 15: ≤ 30480 < 2^15, exact) and one `i32x4.extadd_pairwise_i16x8_s` leaves `[d_g0, d_g1, d_g2, d_g3]`, the
 * four groups' exact integer dots, with no lane shuffles (`gemvi4r` spends four extadds, six shuffles and three adds
 * on the same). From there exactly `gemvi4r`'s float work: `+ corr`, convert, `· (sw · sx)` (f32x4), added into the
 * row's f32x4 accumulator; a last group on its own (its partial dot's lanes, corr in lane 0, times the splat of
 * `sw · sx`); lanes summed `((l0+l1)+l2)+l3`. So every output is the same bits as `gemvi4r` on the rows as stored
 * (`gemvi4p.test.ts`), whatever the number of panels or the thread that runs them.
 *
 * `gemvi4pm` (plain SIMD, x from `qxMod16p`) runs the same loop with `gemvi4`'s arithmetic: 16 bytes read as eight
 * i16 lanes of four nibbles, nibble c (shift 4c, mask) dotted with x's vector c by `i32x4.dot_i16x8_s`; in a block i32
 * lane k sums i16 lanes 2k, 2k+1, both group k's, so the dots land as `[g0, g1, g2, g3]` (no shuffles) and the result is
 * the same bits as `gemvi4`.
 *
 * One stream per panel instead of four rows and four scale arrays: the hardware prefetcher keeps up without the
 * touch-ahead loads of `gemvi.ts` (measured: touching one or two panels ahead was 10–25 % slower). The store of a
 * freshly computed value into `out` after each row's step (overwritten at the end of the panel) keeps TurboFan from
 * hoisting all the loads of a block to the top of the loop and spilling them (`gemvi.ts`; 10–15 % here).
 */
import { F32, Fn, I32, V128 } from '../wasmEmit.ts';
import { doWhileBelow, hsumLeft, loopWhile, unlessAtLeast, zeroF32x4 } from './loops.ts';

/** rows per panel */
export const Q4P_ROWS = 4;
/** bytes per group of a panel: four rows × (16 weight bytes + one f32 scale) */
export const Q4P_GROUP_BYTES = 80;

/** `plain`: the plain-SIMD twin `gemvi4pm` (x from `qxMod16p`; see the header) */
export function gemvi4p(fma: boolean, plain = false): Fn {
  const R = Q4P_ROWS;
  const f = new Fn(plain ? 'gemvi4pm' : 'gemvi4p', [I32, I32, I32, I32, I32, I32, I32]);
  /** x bytes per group: i8 even/odd (relaxed), i16 by column mod 4 (plain) */
  const xG = plain ? 64 : 32;
  const [xq, xs, corr, p, out, panels, K] = [0, 1, 2, 3, 4, 5, 6];
  const groups = f.local(I32);
  const xp = f.local(I32);
  const xEnd = f.local(I32);
  const xBlockEnd = f.local(I32);
  const sxp = f.local(I32);
  const cp = f.local(I32);
  const pEnd = f.local(I32);
  const op = f.local(I32);
  const acc = Array.from({ length: R }, () => f.local(V128));
  const h = Array.from({ length: R }, () => f.local(V128));
  const xl = f.local(V128);
  const xh = f.local(V128);
  const x2 = f.local(V128);
  const x3 = f.local(V128);
  const w = f.local(V128);
  const mask = f.local(V128);
  const sxv = f.local(V128);
  const cv = f.local(V128);
  const sx = f.local(F32);
  f.get(K).i32(32).div().set(groups);
  f.get(xq).get(groups).i32(xG).mul().add().set(xEnd);
  f.get(xq).get(groups).i32(-4).and().i32(xG).mul().add().set(xBlockEnd);
  f.get(p).get(panels).get(groups).i32(Q4P_GROUP_BYTES).mul().mul().add().set(pEnd);
  if (plain) f.i32(15).i16x8splat().set(mask);
  else f.i32(15).i8x16splat().set(mask);
  f.get(out).set(op);

  /** pushes the i16x8 `dot(xl, low nibbles of w) + dot(xh, high nibbles of w)` */
  const nibbleDots = (): void => {
    if (plain) {
      // w as eight i16 lanes of four nibbles; nibble c of every lane meets x's vector c; i32 lane k sums i16 lanes
      // 2k, 2k+1 — in a block both from group k, so the four dots land as [g0, g1, g2, g3] (tail groups: one group's)
      const xv = [xl, xh, x2, x3];
      for (let c = 0; c < 4; c++) {
        f.get(w);
        if (c > 0) f.i32(4 * c).i16x8shrU();
        if (c < 3) f.get(mask).v128and();
        f.get(xv[c]!).i32x4dotI16x8s();
        if (c > 0) f.i32x4add();
      }
      return;
    }
    f.get(xl).get(w).get(mask).v128and().i16x8relaxedDotI8x16I7x16S();
    f.get(xh).get(w).i32(4).i16x8shrU().get(mask).v128and().i16x8relaxedDotI8x16I7x16S();
    f.i16x8add();
  };
  /** x's vectors for one v of a block (or one last group) at byte `o` of xp */
  const loadX = (o: number): void => {
    const xv = [xl, xh, x2, x3];
    for (let i = 0; i < (plain ? 4 : 2); i++) f.get(xp).v128load(o + 16 * i).set(xv[i]!);
  };
  /** acc[r] += (converted i32x4 on the stack) · (what `scale` pushes) */
  const accumulate = (r: number, scale: () => void): void => {
    f.f32x4convertI32s();
    scale();
    if (fma) f.get(acc[r]!).f32x4relaxedMadd().set(acc[r]!);
    else f.f32x4mul().get(acc[r]!).f32x4add().set(acc[r]!);
  };
  /** the scheduling barrier: lane 0 of `v` into out (overwritten at the end of the panel) */
  const pin = (v: number): void => {
    f.get(op).get(v).i32x4extract(0).i32store();
  };

  unlessAtLeast(f, xq, xEnd, () =>
    loopWhile(
      f,
      () => f.get(p).get(pEnd).geU(),
      () => {
        zeroF32x4(f, acc);
        f.get(xq).set(xp);
        f.get(xs).set(sxp);
        f.get(corr).set(cp);
        unlessAtLeast(f, xp, xBlockEnd, () =>
          doWhileBelow(f, xp, 4 * xG, xBlockEnd, () => {
            for (let v = 0; v < 4; v++) {
              loadX(xG * v);
              for (let r = 0; r < R; r++) {
                f.get(p).v128load(64 * r + 16 * v).set(w);
                nibbleDots();
                if (v > 0) {
                  f.get(h[r]!);
                  if (plain) f.i32x4add();
                  else f.i16x8add();
                }
                f.set(h[r]!);
                pin(h[r]!);
              }
            }
            f.get(sxp).v128load().set(sxv);
            f.get(cp).v128load().set(cv);
            for (let r = 0; r < R; r++) {
              f.get(h[r]!);
              if (!plain) f.i32x4extaddPairwiseI16s();
              f.get(cv).i32x4add();
              accumulate(r, () => f.get(p).v128load(64 * R + 16 * r).get(sxv).f32x4mul());
              pin(acc[r]!);
            }
            f.get(p).i32(4 * Q4P_GROUP_BYTES).add().set(p);
            f.get(sxp).i32(16).add().set(sxp);
            f.get(cp).i32(16).add().set(cp);
          }),
        );
        unlessAtLeast(f, xp, xEnd, () =>
          doWhileBelow(f, xp, xG, xEnd, () => {
            loadX(0);
            f.get(sxp).f32load().set(sx);
            for (let r = 0; r < R; r++) {
              f.get(p).v128load(16 * r).set(w);
              nibbleDots();
              if (!plain) f.i32x4extaddPairwiseI16s();
              f.get(cp).v128load32zero().i32x4add();
              accumulate(r, () => f.get(p).f32load(16 * R + 4 * r).get(sx).f32mul().f32x4splat());
              pin(acc[r]!);
            }
            f.get(p).i32(Q4P_GROUP_BYTES).add().set(p);
            f.get(sxp).i32(4).add().set(sxp);
            f.get(cp).i32(4).add().set(cp);
          }),
        );
        for (let r = 0; r < R; r++) {
          f.get(op);
          hsumLeft(f, acc[r]!);
          f.f32store(4 * r);
        }
        f.get(op).i32(4 * R).add().set(op);
      },
    ),
  );
  return f;
}
