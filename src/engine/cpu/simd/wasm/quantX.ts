/**
 * `qx*(x, xq, xs, corr, groups)`: quantises an f32 activation vector to int8 per group of 32 for the integer decode
 * kernels (`gemvi.ts`): `s = max|x| / 127` (f32), `q = round_ties_even(x · (127 / max|x|))` (f32 product; a group of
 * zeros gives scale 0 and zeros), `xs[g] = s`. The CPU twin is `quantizeActivation` in `../../kernels/quantDot.ts`
 * (the same bits). Layouts of `xq`, one group after another:
 * - `qxNat16`: 32 × i16 in column order (64 bytes) — for int8 weights (`gemvi8`);
 * - `qxMod16`: 32 × i16 as four i16x8 holding columns ≡ 0, 1, 2, 3 (mod 4) — for int4 weights read as i16 lanes of four
 *   nibbles (`gemvi4`); with `corr`: the i32 `−8 · Σ q` per group (4 bytes; the int4 offset, added once per group by the
 *   kernels — four groups' at once as one i32x4);
 * - `qxEo8`: 32 × i8 as even columns then odd columns (32 bytes) — for relaxed SIMD's i8 dot on int4 (`gemvi4r`);
 *   `corr` as for `qxMod16`.
 * - `qxNat16p`: `qxNat16` with each block of four groups chunk-transposed to match the packed int8 panels
 *   (`gemvi8p.ts`): the 4-byte chunk j (columns 2j, 2j+1) of group g goes to byte 16·j + 4·g of the block; the
 *   `G mod 4` last groups as `qxNat16` writes them. No `corr`.
 * - `qxIlv8` / `qxMod16p`: `qxEo8` / `qxMod16` with each block of four groups chunk-transposed to match the packed
 *   int4 panels (`gemvi4p.ts`): 4-byte lane v of a group's vector c goes to vector (v, c) of the block, at lane g; the
 *   `G mod 4` last groups as `qxEo8` / `qxMod16` write them. `corr` as for `qxMod16`.
 */
import { Fn, I32, V128 } from '../wasmEmit.ts';
import { doWhileBelow, f32Lanes, unlessAtLeast } from './loops.ts';

export type XLayout = 'nat16' | 'mod16' | 'eo8' | 'ilv8' | 'mod16p' | 'nat16p';

/** i8x16.shuffle lanes picking i16 lanes `l` (0–7: first operand, 8–15: second) */
const i16Lanes = (l: number[]): number[] => l.flatMap((i) => [2 * i, 2 * i + 1]);

export function quantX(layout: XLayout): Fn {
  const names: Record<XLayout, string> = { nat16: 'qxNat16', mod16: 'qxMod16', eo8: 'qxEo8', ilv8: 'qxIlv8', mod16p: 'qxMod16p', nat16p: 'qxNat16p' };
  const name = names[layout];
  const f = new Fn(name, [I32, I32, I32, I32, I32]);
  const [x, xq, xs, corr, groups] = [0, 1, 2, 3, 4];
  const xEnd = f.local(I32);
  const v = Array.from({ length: 8 }, () => f.local(V128));
  const a = Array.from({ length: 4 }, () => f.local(V128));
  const t = Array.from({ length: 4 }, () => f.local(V128));
  const m4 = f.local(V128);
  const inv = f.local(V128);
  const m = f.local(0x7d);
  const xq0 = f.local(I32);
  const blockBytes = f.local(I32);
  const off = f.local(I32);
  const base = f.local(I32);
  const step = f.local(I32);
  f.get(x).get(groups).i32(128).mul().add().set(xEnd);
  f.get(xq).set(xq0);
  const xG = layout === 'eo8' || layout === 'ilv8' ? 32 : 64;
  f.get(groups).i32(-4).and().i32(xG).mul().set(blockBytes);
  unlessAtLeast(f, x, xEnd, () =>
    doWhileBelow(f, x, 128, xEnd, () => {
      for (let j = 0; j < 8; j++) f.get(x).v128load(16 * j).set(v[j]!);
      f.get(v[0]!).f32x4abs().set(m4);
      for (let j = 1; j < 8; j++) f.get(m4).get(v[j]!).f32x4abs().f32x4max().set(m4);
      f.get(m4).f32x4extract(0).get(m4).f32x4extract(1).f32max().get(m4).f32x4extract(2).get(m4).f32x4extract(3).f32max().f32max().set(m);
      f.get(xs).get(m).f32(127).f32div().f32store();
      // 127 / 0 = ∞ and 0 · ∞ = NaN, which trunc_sat turns into 0: a zero group needs no branch
      f.f32(127).get(m).f32div().f32x4splat().set(inv);
      for (let j = 0; j < 8; j++) f.get(v[j]!).get(inv).f32x4mul().f32x4nearest().i32x4truncSatF32x4s().set(v[j]!);
      for (let i = 0; i < 4; i++) f.get(v[2 * i]!).get(v[2 * i + 1]!).i16x8narrowI32x4s().set(a[i]!);
      if (layout !== 'nat16' && layout !== 'nat16p') {
        f.get(a[0]!).i32x4extaddPairwiseI16s();
        for (let i = 1; i < 4; i++) f.get(a[i]!).i32x4extaddPairwiseI16s().i32x4add();
        f.set(t[0]!);
        f.get(t[0]!).get(t[0]!).get(t[0]!).shuffle(f32Lanes([2, 3, 0, 1])).i32x4add().set(t[0]!);
        f.get(corr);
        f.get(t[0]!).i32x4extract(0).get(t[0]!).i32x4extract(1).add().i32(-8).mul().i32store();
        f.get(corr).i32(4).add().set(corr);
      }
      if (layout === 'nat16') {
        for (let i = 0; i < 4; i++) f.get(xq).get(a[i]!).v128store(16 * i);
      } else if (layout === 'nat16p') {
        // 4-byte chunk j (columns 2j, 2j+1) of group gi = off / 64: in a block of four it goes to
        // xq0 + 256·(gi >> 2) + 16·j + 4·(gi & 3) (`gemvi8p`); a last group stays as qxNat16 writes it
        f.get(xq).get(xq0).sub().set(off);
        f.get(xq0).get(off).i32(-256).and().add().get(off).i32(255).and().i32(16).div().add();
        f.get(xq).get(off).get(blockBytes).ltU().select().set(base);
        f.i32(16).i32(4).get(off).get(blockBytes).ltU().select().set(step);
        for (let i = 0; i < 4; i++) {
          for (let l = 0; l < 4; l++) {
            f.get(base).get(a[i]!).i32x4extract(l).i32store();
            if (i < 3 || l < 3) f.get(base).get(step).add().set(base);
          }
        }
      } else if (layout === 'mod16' || layout === 'mod16p') {
        // columns c, c+4, c+8, c+12 of each 16, then two halves → four vectors of columns ≡ c (mod 4)
        f.get(a[0]!).get(a[1]!).shuffle(i16Lanes([0, 4, 8, 12, 1, 5, 9, 13])).set(t[0]!);
        f.get(a[0]!).get(a[1]!).shuffle(i16Lanes([2, 6, 10, 14, 3, 7, 11, 15])).set(t[1]!);
        f.get(a[2]!).get(a[3]!).shuffle(i16Lanes([0, 4, 8, 12, 1, 5, 9, 13])).set(t[2]!);
        f.get(a[2]!).get(a[3]!).shuffle(i16Lanes([2, 6, 10, 14, 3, 7, 11, 15])).set(t[3]!);
        const lo = i16Lanes([0, 1, 2, 3, 8, 9, 10, 11]);
        const hi = i16Lanes([4, 5, 6, 7, 12, 13, 14, 15]);
        if (layout === 'mod16') {
          f.get(xq).get(t[0]!).get(t[2]!).shuffle(lo).v128store(0);
          f.get(xq).get(t[0]!).get(t[2]!).shuffle(hi).v128store(16);
          f.get(xq).get(t[1]!).get(t[3]!).shuffle(lo).v128store(32);
          f.get(xq).get(t[1]!).get(t[3]!).shuffle(hi).v128store(48);
        } else {
          // vector c (columns ≡ c mod 4) of group gi = off / 64: in a block of four, its i32 lane v (columns 8v .. 8v+7)
          // goes to xq0 + 256·(gi >> 2) + 64·v + 16·c + 4·(gi & 3) (`gemvi4pm`); a last group stays as qxMod16 writes it
          f.get(t[0]!).get(t[2]!).shuffle(lo).set(a[0]!);
          f.get(t[0]!).get(t[2]!).shuffle(hi).set(a[1]!);
          f.get(t[1]!).get(t[3]!).shuffle(lo).set(a[2]!);
          f.get(t[1]!).get(t[3]!).shuffle(hi).set(a[3]!);
          f.get(xq).get(xq0).sub().set(off);
          f.get(xq0).get(off).i32(-256).and().add().get(off).i32(255).and().i32(16).div().add();
          f.get(xq).get(off).get(blockBytes).ltU().select().set(base);
          f.i32(64).i32(4).get(off).get(blockBytes).ltU().select().set(step);
          for (let v = 0; v < 4; v++) {
            for (let c = 0; c < 4; c++) f.get(base).get(a[c]!).i32x4extract(v).i32store(16 * c);
            if (v < 3) f.get(base).get(step).add().set(base);
          }
        }
      } else if (layout === 'ilv8') {
        f.get(a[0]!).get(a[1]!).i8x16narrowI16x8s().set(t[0]!);
        f.get(a[2]!).get(a[3]!).i8x16narrowI16x8s().set(t[1]!);
        const even = Array.from({ length: 16 }, (_, i) => 2 * i);
        f.get(t[0]!).get(t[1]!).shuffle(even).set(t[2]!);
        f.get(t[0]!).get(t[1]!).shuffle(even.map((i) => i + 1)).set(t[3]!);
        // group gi = off / 32: in a block of four, chunk v (4 bytes) of its even/odd halves goes to
        // xq0 + 128·(gi >> 2) + 32·v (+16 odd) + 4·(gi & 3); a last group (G mod 4) stays as qxEo8 writes it
        f.get(xq).get(xq0).sub().set(off);
        f.get(xq0).get(off).i32(-128).and().add().get(off).i32(127).and().i32(8).div().add();
        f.get(xq).get(off).get(blockBytes).ltU().select().set(base);
        f.i32(32).i32(4).get(off).get(blockBytes).ltU().select().set(step);
        for (let v = 0; v < 4; v++) {
          f.get(base).get(t[2]!).i32x4extract(v).i32store();
          f.get(base).get(t[3]!).i32x4extract(v).i32store(16);
          if (v < 3) f.get(base).get(step).add().set(base);
        }
      } else {
        f.get(a[0]!).get(a[1]!).i8x16narrowI16x8s().set(t[0]!);
        f.get(a[2]!).get(a[3]!).i8x16narrowI16x8s().set(t[1]!);
        const even = Array.from({ length: 16 }, (_, i) => 2 * i);
        f.get(xq).get(t[0]!).get(t[1]!).shuffle(even).v128store(0);
        f.get(xq).get(t[0]!).get(t[1]!).shuffle(even.map((i) => i + 1)).v128store(16);
      }
      f.get(xq).i32(layout === 'eo8' || layout === 'ilv8' ? 32 : 64).add().set(xq);
      f.get(xs).i32(4).add().set(xs);
    }),
  );
  return f;
}
