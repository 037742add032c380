/**
 * `gemvi8p(xq, xs, corr, p, out, panels, K)`: the int8 × int8 decode matvec of `gemvi8` on weights re-packed at load
 * time (`PackedQ8`, `../../kernels/packQ8.ts`): `out[0 .. 4·panels)` for `panels` panels of four rows starting at byte
 * `p` (`corr` unused: int8 weights have no offset; kept so the call matches the int4 kernels').
 *
 * Layout. A panel (four rows, `144·G` bytes for G = K/32 groups) is one sequential stream: per block of four groups
 * the four rows' 128 weight bytes, then their 4 × 4 f32 scales (576 bytes); per last group (`G mod 4`) the four rows'
 * 32 bytes as `quantizeQ8` stores them, then their 4 scales (144 bytes). Inside a row's 128 block bytes, 2-byte chunk
 * `4j + g` holds columns 2j, 2j+1 of group g: the 16-byte vector m, sign-extended, gives two i16x8 whose lanes 2g, 2g+1
 * come from group g (columns 4m, 4m+1, then 4m+2, 4m+3). `xq` comes from `qxNat16p` in the same order (per block, vector
 * j holds x's columns 2j, 2j+1 of the four groups as i16; each last group as `qxNat16` writes it).
 *
 * Per block and row: sixteen `i32x4.dot_i16x8_s` (two per weight vector) summed as i32x4 leave `[d_g0, d_g1, d_g2,
 * d_g3]`, the four groups' exact integer dots (|d| ≤ 32·127² < 2^24), with no lane shuffles (`gemvi8` spends three
 * rounds of pair sums on the same). From there exactly `gemvi8`'s float work: convert, `· (sw · sx)` (f32x4), added
 * into the row's f32x4 accumulator (relaxed madd in the FMA build, as `gemvi8`); a last group on its own, its i32x4
 * partial dot `(d0 + d1) + (d2 + d3)` lane for lane as `gemvi8` forms it, times the splat of `sw · sx`; lanes summed
 * `((l0+l1)+l2)+l3`. Integer sums are exact, so every output is the same bits as `gemvi8` on the rows as stored
 * (`gemvi8p.test.ts`), whatever the number of panels or the thread that runs them.
 *
 * One stream per panel instead of four rows and four scale arrays (no touch-ahead loads needed), as `gemvi4p`; the
 * store of a freshly computed value into `out` after each row's step (overwritten at the end of the panel) keeps
 * TurboFan from hoisting a block's loads to the top of the loop and spilling them.
 */
import { F32, Fn, I32, V128 } from '../wasmEmit.ts';
import { doWhileBelow, hsumLeft, loopWhile, unlessAtLeast, zeroF32x4 } from './loops.ts';

/** rows per panel */
export const Q8P_ROWS = 4;
/** bytes per group of a panel: four rows × (32 weight bytes + one f32 scale) */
export const Q8P_GROUP_BYTES = 144;

export function gemvi8p(fma: boolean): Fn {
  const R = Q8P_ROWS;
  const f = new Fn('gemvi8p', [I32, I32, I32, I32, I32, I32, I32]);
  const xG = 64; // x bytes per group (i16)
  const [xq, xs, , p, out, panels, K] = [0, 1, 2, 3, 4, 5, 6];
  const groups = f.local(I32);
  const xp = f.local(I32);
  const xEnd = f.local(I32);
  const xBlockEnd = f.local(I32);
  const sxp = f.local(I32);
  const pEnd = f.local(I32);
  const op = f.local(I32);
  const acc = Array.from({ length: R }, () => f.local(V128));
  const h = Array.from({ length: R }, () => f.local(V128));
  const xv = Array.from({ length: 4 }, () => f.local(V128));
  const w = f.local(V128);
  const isum = f.local(V128);
  const sxv = f.local(V128);
  const sx = f.local(F32);
  f.get(K).i32(32).div().set(groups);
  f.get(xq).get(groups).i32(xG).mul().add().set(xEnd);
  f.get(xq).get(groups).i32(-4).and().i32(xG).mul().add().set(xBlockEnd);
  f.get(p).get(panels).get(groups).i32(Q8P_GROUP_BYTES).mul().mul().add().set(pEnd);
  f.get(out).set(op);

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
        unlessAtLeast(f, xp, xBlockEnd, () =>
          doWhileBelow(f, xp, 4 * xG, xBlockEnd, () => {
            for (let m = 0; m < 8; m++) {
              f.get(xp).v128load(32 * m).set(xv[0]!);
              f.get(xp).v128load(32 * m + 16).set(xv[1]!);
              for (let r = 0; r < R; r++) {
                f.get(p).v128load(128 * r + 16 * m).set(w);
                f.get(w).i16x8extendLowI8s().get(xv[0]!).i32x4dotI16x8s();
                f.get(w).i16x8extendHighI8s().get(xv[1]!).i32x4dotI16x8s();
                f.i32x4add();
                if (m > 0) f.get(h[r]!).i32x4add();
                f.set(h[r]!);
                pin(h[r]!);
              }
            }
            f.get(sxp).v128load().set(sxv);
            for (let r = 0; r < R; r++) {
              f.get(h[r]!);
              accumulate(r, () => f.get(p).v128load(128 * R + 16 * r).get(sxv).f32x4mul());
              pin(acc[r]!);
            }
            f.get(p).i32(4 * Q8P_GROUP_BYTES).add().set(p);
            f.get(sxp).i32(16).add().set(sxp);
          }),
        );
        unlessAtLeast(f, xp, xEnd, () =>
          doWhileBelow(f, xp, xG, xEnd, () => {
            for (let i = 0; i < 4; i++) f.get(xp).v128load(16 * i).set(xv[i]!);
            f.get(sxp).f32load().set(sx);
            for (let r = 0; r < R; r++) {
              // gemvi8's group dot, lane for lane: (d0 + d1) + (d2 + d3)
              for (let half = 0; half < 2; half++) {
                f.get(p).v128load(32 * r + 16 * half).set(w);
                f.get(w).i16x8extendLowI8s().get(xv[2 * half]!).i32x4dotI16x8s();
                f.get(w).i16x8extendHighI8s().get(xv[2 * half + 1]!).i32x4dotI16x8s();
              }
              f.i32x4add().set(isum);
              f.i32x4add().get(isum).i32x4add();
              accumulate(r, () => f.get(p).f32load(32 * R + 4 * r).get(sx).f32mul().f32x4splat());
              pin(acc[r]!);
            }
            f.get(p).i32(Q8P_GROUP_BYTES).add().set(p);
            f.get(sxp).i32(4).add().set(sxp);
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

/**
 * `unq8p(src, q, s, panels, K)`: undoes the `PackedQ8` layout for `panels` panels of four rows at `src`: the rows'
 * int8 bytes as `quantizeQ8` stores them (row-major, K bytes a row) to `q` and their f32 scales (K/32 a row) to `s`, so
 * the f32-activation and prefill kernels (`gemvq8`, `dq8`) run on packed weights unchanged, 16 rows at a time through
 * cache-resident scratch. Per block a row's 128 bytes are a 16 × 4 transpose of 2-byte chunks (four i16 shuffles per
 * output vector pair). Only copies: the bits are unchanged.
 */
export function unq8p(): Fn {
  const R = Q8P_ROWS;
  const f = new Fn('unq8p', [I32, I32, I32, I32, I32]);
  const [src, q, s, panels, K] = [0, 1, 2, 3, 4];
  const groups = f.local(I32);
  const blocks = f.local(I32);
  const pi = f.local(I32);
  const i = f.local(I32);
  const dq = f.local(I32);
  const ds = f.local(I32);
  const v = Array.from({ length: 8 }, () => f.local(V128));
  const t = Array.from({ length: 4 }, () => f.local(V128));
  f.get(K).i32(32).div().set(groups);
  f.get(groups).i32(4).div().set(blocks);
  /** pushes the address of row r of the panel at the pointer local `base`: rows of K bytes (`q`) or 4·G (`s`) */
  const rowAt = (base: number, scales: boolean, r: number): void => {
    f.get(base);
    if (r > 0) {
      if (scales) f.get(groups).i32(4 * r).mul().add();
      else f.get(K).i32(r).mul().add();
    }
  };
  /** i8x16.shuffle lanes picking i16 lanes `l` (0–7: first operand, 8–15: second) */
  const i16 = (l: number[]): number[] => l.flatMap((x) => [2 * x, 2 * x + 1]);
  f.i32(0).set(pi);
  loopWhile(
    f,
    () => f.get(pi).get(panels).geU(),
    () => {
      f.get(q).get(pi).get(K).i32(R).mul().mul().add().set(dq);
      f.get(s).get(pi).get(groups).i32(4 * R).mul().mul().add().set(ds);
      f.i32(0).set(i);
      loopWhile(
        f,
        () => f.get(i).get(blocks).geU(),
        () => {
          for (let r = 0; r < R; r++) {
            // the row's eight vectors: i16 lane 4j' + g of vector pair (m) = chunk 4j + g, j = 2m + (lane ≥ 4)
            for (let m = 0; m < 8; m++) f.get(src).v128load(128 * r + 16 * m).set(v[m]!);
            // group g's 16 chunks (j = 0..15) are i16 lane g and g+4 of the eight vectors: gather by pairs of vectors
            for (let g = 0; g < 4; g++) {
              for (let pair = 0; pair < 4; pair++) {
                // chunks j = 4·pair .. 4·pair+3 of group g: lanes g, g+4 of vectors 2·pair and 2·pair+1
                f.get(v[2 * pair]!).get(v[2 * pair + 1]!).shuffle(i16([g, g + 4, 8 + g, 12 + g, g, g + 4, 8 + g, 12 + g])).set(t[pair]!);
              }
              rowAt(dq, false, r);
              f.get(t[0]!).get(t[1]!).shuffle(i16([0, 1, 2, 3, 8, 9, 10, 11])).v128store(32 * g);
              rowAt(dq, false, r);
              f.get(t[2]!).get(t[3]!).shuffle(i16([0, 1, 2, 3, 8, 9, 10, 11])).v128store(32 * g + 16);
            }
            rowAt(ds, true, r);
            f.get(src).v128load(128 * R + 16 * r).v128store();
          }
          f.get(src).i32(4 * Q8P_GROUP_BYTES).add().set(src);
          f.get(dq).i32(128).add().set(dq);
          f.get(ds).i32(16).add().set(ds);
          f.get(i).i32(1).add().set(i);
        },
      );
      f.get(blocks).i32(4).mul().set(i);
      loopWhile(
        f,
        () => f.get(i).get(groups).geU(),
        () => {
          for (let r = 0; r < R; r++) {
            rowAt(dq, false, r);
            f.get(src).v128load(32 * r).v128store();
            rowAt(dq, false, r);
            f.get(src).v128load(32 * r + 16).v128store(16);
            rowAt(ds, true, r);
            f.get(src).f32load(32 * R + 4 * r).f32store();
          }
          f.get(src).i32(Q8P_GROUP_BYTES).add().set(src);
          f.get(dq).i32(32).add().set(dq);
          f.get(ds).i32(4).add().set(ds);
          f.get(i).i32(1).add().set(i);
        },
      );
      f.get(pi).i32(1).add().set(pi);
    },
  );
  return f;
}
