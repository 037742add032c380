/**
 * `attn(q, k, v, out, sc, T, start, hd, qS, kvS, scale)`: causal attention of one query head over one KV head. Query
 * `t` (at `q + t·qS`, bytes) sees positions `0 .. start+t` of K and V (position `j` at `k + j·kvS`, `v + j·kvS`) and
 * writes `softmax(scale · q·Kᵀ) · V` at `out + t·qS`; `sc` is scratch for `start+T+3` scores; hd a multiple of 16.
 * Scores four positions at a time (four dot products sharing the q loads, then a 4×4 transpose-add), the last
 * `L mod 4` one at a time with the same lane order; max, `exp` (`expV`) and sum with f32x4; `P·V` in chunks of 32 (or
 * 16) dimensions held in registers. Every query is computed the same way whatever T is, so decoding token by token
 * gives the same bits as a prefill over the same tokens.
 *
 * `attn(true)` builds `attnp(q, k, v, out, sc, T, start, hd, qS, rows, scale)`, the same kernel over a paged KV pool
 * read in place: position `j` of K and V is at `k + rows[j]`, `v + rows[j]` (`rows`: i32 byte offsets, one per
 * position, on the heap) instead of `k + j·kvS`. Only the addresses differ: the same arithmetic in the same order, so
 * a query gives the bits `attn` gives on the same keys copied contiguously.
 */
import { F32, Fn, I32, V128 } from '../wasmEmit.ts';
import { expConsts, expV } from './expV.ts';
import { countUp, doWhileBelow, f32Lanes, hsumPairs, loopWhile, zeroF32x4 } from './loops.ts';

export function attn(paged = false): Fn {
  const f = new Fn(paged ? 'attnp' : 'attn', [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, F32]);
  // kvS (a stride in bytes) in `attn`, rows (a pointer to per-position byte offsets) in `attnp`
  const [q, k, v, out, sc, T, start, hd, qS, kvS, scale] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const rows = kvS;
  const rp = f.local(I32);
  const vc = f.local(I32);
  const t = f.local(I32);
  const L = f.local(I32);
  const j = f.local(I32);
  const d = f.local(I32);
  const hdB = f.local(I32);
  const kp = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const sp = f.local(I32);
  const sEnd = f.local(I32);
  const vp = f.local(I32);
  const c0 = f.local(I32);
  const kv4 = f.local(I32);
  const a = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const qv = f.local(V128);
  const scv = f.local(V128);
  const mv = f.local(V128);
  const sum = f.local(V128);
  const x = f.local(V128);
  const nn = f.local(V128);
  const r = f.local(V128);
  const inv = f.local(V128);
  const pv = f.local(V128);
  const acc = Array.from({ length: 8 }, () => f.local(V128));
  const m = f.local(F32);
  const cst = expConsts(f);
  const pairs = (x0: number, x1: number): void => {
    // [x0_0+x0_2, x1_0+x1_2, x0_1+x0_3, x1_1+x1_3]
    f.get(x0).get(x1).shuffle(f32Lanes([0, 4, 1, 5])).get(x0).get(x1).shuffle(f32Lanes([2, 6, 3, 7])).f32x4add();
  };
  f.get(scale).f32x4splat().set(scv);
  f.get(hd).i32(4).mul().set(hdB);
  f.get(kvS).i32(4).mul().set(kv4);
  f.i32(0).set(t);
  countUp(f, t, T, 1, () => {
    f.get(start).get(t).add().i32(1).add().set(L);
    // ---- scores, four positions at a time
    if (paged) f.get(rows).set(rp);
    else f.get(k).set(kp[0]!);
    f.get(sc).set(sp);
    f.i32(0).set(j);
    loopWhile(
      f,
      () => f.get(L).get(j).i32(4).add().ltU(), // stop when j + 4 > L
      () => {
        if (paged) for (let i = 0; i < 4; i++) f.get(k).get(rp).i32load(4 * i).add().set(kp[i]!);
        else for (let i = 1; i < 4; i++) f.get(kp[i - 1]!).get(kvS).add().set(kp[i]!);
        zeroF32x4(f, a);
        f.i32(0).set(d);
        doWhileBelow(f, d, 16, hdB, () => {
          f.get(q).get(d).add().v128load().set(qv);
          for (let i = 0; i < 4; i++) f.get(a[i]!).get(qv).get(kp[i]!).get(d).add().v128load().f32x4mul().f32x4add().set(a[i]!);
        });
        f.get(sp);
        pairs(a[0]!, a[1]!);
        f.set(x);
        pairs(a[2]!, a[3]!);
        f.set(qv);
        f.get(x).get(qv).shuffle(f32Lanes([0, 1, 4, 5])).get(x).get(qv).shuffle(f32Lanes([2, 3, 6, 7])).f32x4add();
        f.get(scv).f32x4mul().v128store();
        if (paged) f.get(rp).i32(16).add().set(rp);
        else f.get(kp[0]!).get(kv4).add().set(kp[0]!);
        f.get(sp).i32(16).add().set(sp);
        f.get(j).i32(4).add().set(j);
      },
    );
    // the last L mod 4 positions, one at a time (same lane order: (l0 + l2) + (l1 + l3))
    countUp(f, j, L, 1, () => {
      if (paged) f.get(k).get(rp).i32load().add().set(kp[0]!);
      zeroF32x4(f, [a[0]!]);
      f.i32(0).set(d);
      doWhileBelow(f, d, 16, hdB, () => {
        f.get(a[0]!).get(q).get(d).add().v128load().get(kp[0]!).get(d).add().v128load().f32x4mul().f32x4add().set(a[0]!);
      });
      f.get(sp);
      hsumPairs(f, a[0]!);
      f.get(scale).f32mul().f32store();
      if (paged) f.get(rp).i32(4).add().set(rp);
      else f.get(kp[0]!).get(kvS).add().set(kp[0]!);
      f.get(sp).i32(4).add().set(sp);
    });
    // pad the scores to a multiple of 4 with −∞ (they come out of exp as ~1e−38: nothing next to a sum ≥ 1)
    f.get(sc).get(L).i32(3).add().i32(-4).and().i32(4).mul().add().set(sEnd);
    countUp(f, sp, sEnd, 4, () => {
      f.get(sp).f32(-Infinity).f32store();
    });
    // ---- max
    f.f32(-Infinity).f32x4splat().set(mv);
    f.get(sc).set(sp);
    doWhileBelow(f, sp, 16, sEnd, () => {
      f.get(mv).get(sp).v128load().f32x4max().set(mv);
    });
    f.get(mv).f32x4extract(0).get(mv).f32x4extract(1).f32max().get(mv).f32x4extract(2).get(mv).f32x4extract(3).f32max().f32max().set(m);
    f.get(m).f32x4splat().set(mv);
    // ---- exponentials (stored back) and their sum
    zeroF32x4(f, [sum]);
    f.get(sc).set(sp);
    doWhileBelow(f, sp, 16, sEnd, () => {
      f.get(sp).v128load().get(mv).f32x4sub().set(x);
      f.get(sp);
      expV(f, x, cst, nn, r);
      f.tee(x).v128store();
      f.get(sum).get(x).f32x4add().set(sum);
    });
    f.f32(1);
    hsumPairs(f, sum);
    f.f32div().f32x4splat().set(inv);
    // ---- out = (Σ_j e_j · v_j) / sum, by chunks of 32 dimensions (8 accumulators), then 16
    f.get(L).i32(4).mul().get(sc).add().set(sEnd);
    f.i32(0).set(c0);
    for (const width of [8, 4]) {
      loopWhile(
        f,
        () => f.get(hdB).get(c0).i32(16 * width).add().ltU(), // stop when c0 + chunk > hd
        () => {
          zeroF32x4(f, acc.slice(0, width));
          if (paged) f.get(v).get(c0).add().set(vc).get(rows).set(rp);
          else f.get(v).get(c0).add().set(vp);
          f.get(sc).set(sp);
          doWhileBelow(f, sp, 4, sEnd, () => {
            if (paged) f.get(vc).get(rp).i32load().add().set(vp);
            f.get(sp).v128load32splat().set(pv);
            for (let i = 0; i < width; i++) f.get(acc[i]!).get(pv).get(vp).v128load(16 * i).f32x4mul().f32x4add().set(acc[i]!);
            if (paged) f.get(rp).i32(4).add().set(rp);
            else f.get(vp).get(kvS).add().set(vp);
          });
          for (let i = 0; i < width; i++) f.get(out).get(c0).add().get(acc[i]!).get(inv).f32x4mul().v128store(16 * i);
          f.get(c0).i32(16 * width).add().set(c0);
        },
      );
    }
    f.get(q).get(qS).add().set(q);
    f.get(out).get(qS).add().set(out);
  });
  return f;
}
