/**
 * `unq4p(src, q, s, panels, K)`: undoes the `PackedQ4` layout of `gemvi4p.ts` for `panels` panels of four rows at
 * `src`: the rows' int4 bytes as `quantizeQ4` stores them (row-major, K/2 bytes a row) to `q` and their f32 scales
 * (K/32 a row) to `s` — so the f32-activation and prefill kernels (`gemvq4`, `dq4`) run on packed weights unchanged,
 * a panel's worth of rows at a time through cache-resident scratch. Per block a row's four 16-byte vectors are a 4 × 4
 * transpose of 4-byte chunks (its own inverse): two rounds of i32 lane shuffles. Only copies: the bits are unchanged.
 */
import { Fn, I32, V128 } from '../wasmEmit.ts';
import { countUp, f32Lanes } from './loops.ts';
import { Q4P_GROUP_BYTES, Q4P_ROWS } from './gemvi4p.ts';

export function unq4p(): Fn {
  const R = Q4P_ROWS;
  const f = new Fn('unq4p', [I32, I32, I32, I32, I32]);
  const [src, q, s, panels, K] = [0, 1, 2, 3, 4];
  const groups = f.local(I32);
  const blocks = f.local(I32);
  const rowB = f.local(I32);
  const rowS = f.local(I32);
  const pi = f.local(I32);
  const i = f.local(I32);
  const dq = f.local(I32);
  const ds = f.local(I32);
  const v = Array.from({ length: 4 }, () => f.local(V128));
  const t = Array.from({ length: 4 }, () => f.local(V128));
  f.get(K).i32(32).div().set(groups);
  f.get(groups).i32(4).div().set(blocks);
  f.get(groups).i32(16).mul().set(rowB);
  f.get(groups).i32(4).mul().set(rowS);
  /** pushes the address of row r of the panel at the pointer local `base` (row stride `stride`) */
  const row = (base: number, stride: number, r: number): void => {
    f.get(base);
    if (r > 0) f.get(stride).i32(r).mul().add();
  };
  f.i32(0).set(pi);
  countUp(f, pi, panels, 1, () => {
    f.get(q).get(pi).get(rowB).i32(R).mul().mul().add().set(dq);
    f.get(s).get(pi).get(rowS).i32(R).mul().mul().add().set(ds);
    f.i32(0).set(i);
    countUp(f, i, blocks, 1, () => {
      for (let r = 0; r < R; r++) {
        for (let c = 0; c < 4; c++) f.get(src).v128load(64 * r + 16 * c).set(v[c]!);
        f.get(v[0]!).get(v[1]!).shuffle(f32Lanes([0, 4, 1, 5])).set(t[0]!);
        f.get(v[2]!).get(v[3]!).shuffle(f32Lanes([0, 4, 1, 5])).set(t[1]!);
        f.get(v[0]!).get(v[1]!).shuffle(f32Lanes([2, 6, 3, 7])).set(t[2]!);
        f.get(v[2]!).get(v[3]!).shuffle(f32Lanes([2, 6, 3, 7])).set(t[3]!);
        row(dq, rowB, r);
        f.get(t[0]!).get(t[1]!).shuffle(f32Lanes([0, 1, 4, 5])).v128store(0);
        row(dq, rowB, r);
        f.get(t[0]!).get(t[1]!).shuffle(f32Lanes([2, 3, 6, 7])).v128store(16);
        row(dq, rowB, r);
        f.get(t[2]!).get(t[3]!).shuffle(f32Lanes([0, 1, 4, 5])).v128store(32);
        row(dq, rowB, r);
        f.get(t[2]!).get(t[3]!).shuffle(f32Lanes([2, 3, 6, 7])).v128store(48);
        row(ds, rowS, r);
        f.get(src).v128load(64 * R + 16 * r).v128store();
      }
      f.get(src).i32(4 * Q4P_GROUP_BYTES).add().set(src);
      f.get(dq).i32(64).add().set(dq);
      f.get(ds).i32(16).add().set(ds);
    });
    f.get(blocks).i32(4).mul().set(i);
    countUp(f, i, groups, 1, () => {
      for (let r = 0; r < R; r++) {
        row(dq, rowB, r);
        f.get(src).v128load(16 * r).v128store();
        row(ds, rowS, r);
        f.get(src).f32load(16 * R + 4 * r).f32store();
      }
      f.get(src).i32(Q4P_GROUP_BYTES).add().set(src);
      f.get(dq).i32(16).add().set(dq);
      f.get(ds).i32(4).add().set(ds);
    });
  });
  return f;
}
