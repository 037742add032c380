/**
 * The WASM SIMD kernels of the CPU backend, assembled at run time with `wasmEmit.ts`:
 * - `gemm(x, w, out, T, N, K, ldo)`: `out[t*ldo + n] = Σ_k x[t*K + k] · w[n*K + k]` (f32; pointers in bytes; N and K
 *   multiples of 4). Micro-tiles of 2 tokens × 4 rows (8 f32x4 accumulators), then 1 token × 4 rows for an odd token.
 *   Lane `l` of an accumulator sums `k ≡ l (mod 4)` in order, the four lanes are then added left to right — the same
 *   order for every tile shape, so a token's result never depends on how many tokens run with it.
 *   `gemm16` is the same with the k loop unrolled twice (K a multiple of 16 — kept from the 4× unroll it had) and
 *   micro-tiles of 6 tokens × 4 rows (24 accumulators: each weight vector loaded once for 6 tokens; ~30 vs ~25 GFLOP/s
 *   on the prefill shapes); same sums, same bits. Both now serve only row-major weights whose rows are not a multiple of
 *   16: everything else runs `gemmp16` on weights packed in panels of 16 rows (`pack16`).
 * - `dq8(q, s, dst, groups)`: int8 groups of 32 → f32 (`q · scale`).
 * - `dq4(q, s, dst, groups)`: int4 groups of 32 (16 bytes, low nibble = even column) → f32 (`(n − 8) · scale`).
 * Quantised prefill matmuls dequantise 16 rows with `dq8`/`dq4` into cache-resident scratch, pack them and run `gemmp16`.
 * - `siluMul` and `attn`: SwiGLU gate and causal attention, with a SIMD polynomial `exp` (`expV`); `rmsNorm`, `add`.
 * - `loraShrink` / `loraExpand`: multi-LoRA (x·Aᵀ, then ·Bᵀ accumulated) over a segment of rows sharing one adapter.
 */
import { F32, Fn, I32, V128, emitModule } from './wasmEmit.ts';

/**
 * `unroll` k-steps of 4 per loop iteration (K must be a multiple of 4·unroll; loads use immediate offsets); tiles of
 * `tb` tokens × 4 rows, then 1 token × 4 rows for the tokens left over.
 */
function gemm(name: string, unroll: number, tb: number): Fn {
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

  const hsum = (a: number): void => {
    f.get(a).f32x4extract(0).get(a).f32x4extract(1).f32add().get(a).f32x4extract(2).f32add().get(a).f32x4extract(3).f32add();
  };
  /** n loop over 4-row blocks for `tokens` tokens whose rows start at xb[0..tokens) */
  const rows = (tokens: number): void => {
    f.i32(0).set(n);
    f.block().loop();
    f.get(n).get(N).geU().brIf(1);
    f.get(w).get(n).get(K).mul().i32(4).mul().add().set(wb[0]!);
    for (let j = 1; j < 4; j++) f.get(wb[j - 1]!).get(kEnd).add().set(wb[j]!);
    for (let a = 0; a < 4 * tokens; a++) f.f32(0).f32x4splat().set(acc[a]!);
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
        hsum(acc[4 * i + j]!);
        f.f32store(4 * j);
      }
    }
    f.get(n).i32(4).add().set(n);
    f.br(0);
    f.end().end();
  };

  f.get(K).i32(4).mul().set(kEnd);
  f.get(ldo).i32(4).mul().set(ldoB);
  f.i32(0).set(t);
  // blocks of tb tokens
  f.block().loop();
  f.get(T).get(t).i32(tb).add().ltU().brIf(1);
  f.get(x).get(t).get(kEnd).mul().add().set(xb[0]!);
  for (let i = 1; i < tb; i++) f.get(xb[i - 1]!).get(kEnd).add().set(xb[i]!);
  rows(tb);
  f.get(t).i32(tb).add().set(t);
  f.br(0);
  f.end().end();
  // the tokens left, one at a time
  if (tb > 1) {
    f.block().loop();
    f.get(t).get(T).geU().brIf(1);
    f.get(x).get(t).get(kEnd).mul().add().set(xb[0]!);
    rows(1);
    f.get(t).i32(1).add().set(t);
    f.br(0);
    f.end().end();
  }
  return f;
}

/**
 * `gemmp16(x, wp, out, T, N, K, ldo)`: `out[t*ldo + n] = Σ_k x[t*K + k] · W[n, k]` with W packed in panels of 16 rows
 * (panel p holds rows 16p .. 16p+15 as `[K][16]`, k-major: see `pack16`); N a multiple of 16, K ≥ 1. Panel by panel
 * (the panel stays in L1/L2 while every token streams past it), micro-tiles of 2 tokens × 16 rows (8 f32x4
 * accumulators: fits x64's 16 vector registers, which V8 uses without spilling) with x broadcast one k at a time, then
 * 1 token × 16 rows for an odd token. Each output is a plain sequential f32 sum over k, so a token's result is the same
 * bits whatever tile or batch it runs in. ~42 vs ~31 GFLOP/s for `gemm16` on the prefill shapes (T = 64), and faster
 * for single tokens too (no horizontal sums).
 */
/** `acc += a · b`: `f32x4.relaxed_madd` with `fma`, else `f32x4.mul` then `f32x4.add` */
function mulAdd(f: Fn, fma: boolean, acc: number, a: () => void, b: () => void): void {
  if (fma) {
    a();
    b();
    f.get(acc).f32x4relaxedMadd().set(acc);
  } else {
    f.get(acc);
    a();
    b();
    f.f32x4mul().f32x4add().set(acc);
  }
}

function gemmp16(fma: boolean): Fn {
  const R = 16;
  const TB = 2;
  const V = R / 4;
  const f = new Fn('gemmp16', [I32, I32, I32, I32, I32, I32, I32]);
  const [x, w, out, T, N, K, ldo] = [0, 1, 2, 3, 4, 5, 6];
  const t = f.local(I32);
  const n = f.local(I32);
  const wk = f.local(I32);
  const wEnd = f.local(I32);
  const ob = f.local(I32);
  const kB = f.local(I32);
  const ldoB = f.local(I32);
  const panelB = f.local(I32);
  const xt = Array.from({ length: TB }, () => f.local(I32));
  const acc = Array.from({ length: TB * V }, () => f.local(V128));
  const wv = Array.from({ length: V }, () => f.local(V128));
  const s = f.local(V128);
  /** `tokens` tokens from t against the panel at w (which ends at wEnd) */
  const tile = (tokens: number): void => {
    for (let a = 0; a < tokens * V; a++) f.f32(0).f32x4splat().set(acc[a]!);
    f.get(w).set(wk);
    f.get(x).get(t).get(kB).mul().add().set(xt[0]!);
    for (let i = 1; i < tokens; i++) f.get(xt[i - 1]!).get(kB).add().set(xt[i]!);
    f.loop();
    for (let j = 0; j < V; j++) f.get(wk).v128load(16 * j).set(wv[j]!);
    for (let i = 0; i < tokens; i++) {
      f.get(xt[i]!).v128load32splat().set(s);
      for (let j = 0; j < V; j++) mulAdd(f, fma, acc[i * V + j]!, () => f.get(s), () => f.get(wv[j]!));
    }
    for (let i = 0; i < tokens; i++) f.get(xt[i]!).i32(4).add().set(xt[i]!);
    f.get(wk).i32(16 * V).add().tee(wk).get(wEnd).ltU().brIf(0);
    f.end();
    f.get(out).get(t).get(ldo).mul().get(n).add().i32(4).mul().add().set(ob);
    for (let i = 0; i < tokens; i++) {
      if (i > 0) f.get(ob).get(ldoB).add().set(ob);
      for (let j = 0; j < V; j++) f.get(ob).get(acc[i * V + j]!).v128store(16 * j);
    }
  };
  f.get(K).i32(4).mul().set(kB);
  f.get(kB).i32(R).mul().set(panelB);
  f.get(ldo).i32(4).mul().set(ldoB);
  f.i32(0).set(n);
  f.block().loop();
  f.get(n).get(N).geU().brIf(1);
  f.get(w).get(panelB).add().set(wEnd);
  f.i32(0).set(t);
  f.block().loop();
  f.get(T).get(t).i32(TB).add().ltU().brIf(1);
  tile(TB);
  f.get(t).i32(TB).add().set(t);
  f.br(0);
  f.end().end();
  for (let r = TB - 1; r >= 1; r--) {
    f.block();
    f.get(T).get(t).sub().i32(r).ltU().brIf(0);
    tile(r);
    f.get(t).i32(r).add().set(t);
    f.end();
  }
  f.get(wEnd).set(w);
  f.get(n).i32(R).add().set(n);
  f.br(0);
  f.end().end();
  return f;
}

/**
 * `gemvp2(x, wp, out, N, K)`: one token against packed panels (`gemmp16`'s layout, same arithmetic, so the same bits),
 * N a multiple of 32: the panels are split in two halves walked side by side — two sequential streams through the
 * weights keep more memory reads in flight than one (~26 vs ~22 GB/s here, where decode is bound by memory bandwidth).
 */
function gemvp2(fma: boolean): Fn {
  const f = new Fn('gemvp2', [I32, I32, I32, I32, I32]);
  const [x, w, out, N, K] = [0, 1, 2, 3, 4];
  const wk = [f.local(I32), f.local(I32)];
  const ob = [f.local(I32), f.local(I32)];
  const xk = f.local(I32);
  const xEnd = f.local(I32);
  const p = f.local(I32);
  const half = f.local(I32);
  const acc = Array.from({ length: 8 }, () => f.local(V128));
  const s = f.local(V128);
  f.get(N).i32(32).div().set(half); // panels per half
  f.get(x).get(K).i32(4).mul().add().set(xEnd);
  f.get(w).set(wk[0]!);
  f.get(w).get(half).get(K).mul().i32(64).mul().add().set(wk[1]!);
  f.get(out).set(ob[0]!);
  f.get(out).get(half).i32(64).mul().add().set(ob[1]!);
  f.i32(0).set(p);
  f.block().loop();
  f.get(p).get(half).geU().brIf(1);
  for (const a of acc) f.f32(0).f32x4splat().set(a);
  f.get(x).set(xk);
  f.loop();
  f.get(xk).v128load32splat().set(s);
  for (let r = 0; r < 2; r++) for (let j = 0; j < 4; j++) mulAdd(f, fma, acc[4 * r + j]!, () => f.get(s), () => f.get(wk[r]!).v128load(16 * j));
  for (const r of wk) f.get(r).i32(64).add().set(r);
  f.get(xk).i32(4).add().tee(xk).get(xEnd).ltU().brIf(0);
  f.end();
  for (let r = 0; r < 2; r++) {
    for (let j = 0; j < 4; j++) f.get(ob[r]!).get(acc[4 * r + j]!).v128store(16 * j);
    f.get(ob[r]!).i32(64).add().set(ob[r]!);
  }
  f.get(p).i32(1).add().set(p);
  f.br(0);
  f.end().end();
  return f;
}

/**
 * `loraShrink(x, a, h, rows, K, r, scale)`: the LoRA shrink of a segment of rows sharing one adapter,
 * `h[t*r + j] = scale · Σ_k x[t*K + k] · A[j, k]` (K a multiple of 4). `a` holds the slot's `A [r, K]` in blocks of 4
 * ranks, each `[K/4][4 ranks][4]` (see `loraSimd.ts`: a tile's loads are one sequential stream, which the hardware
 * prefetcher follows — a decode row streams its adapter once), then the last `r mod 4` ranks row-major. Tiles of
 * 2 rows × 4 ranks (8 f32x4 accumulators, each `A` vector loaded once for both rows), then 1 row, then single ranks.
 * Lane `l` sums `k ≡ l (mod 4)` in order and the lanes are added `((l0 + l1) + l2) + l3` in every tile shape, so a
 * row's `h` is the same bits whatever segment or batch it runs in.
 */
function loraShrink(fma: boolean): Fn {
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
    for (let i = 0; i < tr * tj; i++) f.f32(0).f32x4splat().set(acc[i]!);
    f.get(x).get(t).get(kB).mul().add().set(xp[0]!);
    if (tr > 1) f.get(xp[0]!).get(kB).add().set(xp[1]!);
    // ranks j.. start j·K values in (a block of 4 ranks takes the room of 4 rows)
    f.get(a).get(j).get(kB).mul().add().set(ap);
    f.i32(0).set(kb);
    f.loop();
    for (let i = 0; i < tr; i++) f.get(xp[i]!).get(kb).add().v128load().set(xv[i]!);
    for (let q = 0; q < tj; q++) {
      f.get(ap).v128load(16 * q).set(av);
      for (let i = 0; i < tr; i++) mulAdd(f, fma, acc[i * tj + q]!, () => f.get(xv[i]!), () => f.get(av));
    }
    f.get(ap).i32(16 * tj).add().set(ap);
    f.get(kb).i32(16).add().tee(kb).get(kB).ltU().brIf(0);
    f.end();
    for (let i = 0; i < tr; i++) {
      // h + ((t + i)·r + j)·4
      f.get(h).get(t).i32(i).add().get(r).mul().get(j).add().i32(4).mul().add().set(hp);
      for (let q = 0; q < tj; q++) {
        const v = acc[i * tj + q]!;
        f.get(hp);
        f.get(v).f32x4extract(0).get(v).f32x4extract(1).f32add().get(v).f32x4extract(2).f32add().get(v).f32x4extract(3).f32add();
        f.get(scale).f32mul().f32store(4 * q);
      }
    }
  };
  /** the j loop for `tr` rows: blocks of 4 ranks, then one at a time */
  const ranks = (tr: number): void => {
    f.i32(0).set(j);
    f.block().loop();
    f.get(r).get(j).i32(4).add().ltU().brIf(1);
    tile(tr, 4);
    f.get(j).i32(4).add().set(j);
    f.br(0);
    f.end().end();
    f.block().loop();
    f.get(j).get(r).geU().brIf(1);
    tile(tr, 1);
    f.get(j).i32(1).add().set(j);
    f.br(0);
    f.end().end();
  };
  f.get(K).i32(4).mul().set(kB);
  f.i32(0).set(t);
  f.block().loop();
  f.get(rows).get(t).i32(2).add().ltU().brIf(1);
  ranks(2);
  f.get(t).i32(2).add().set(t);
  f.br(0);
  f.end().end();
  f.block();
  f.get(t).get(rows).geU().brIf(0);
  ranks(1);
  f.end();
  return f;
}

/**
 * `loraExpand(h, bt, out, rows, N, r)`: the LoRA expand, accumulated, `out[t*N + n] += Σ_j h[t*r + j] · B[n, j]`
 * (N a multiple of 4). `bt` holds the slot's `B` transposed, by column chunks: `[N/16][r][16]`, then the last
 * `N mod 16` columns as `[r][4]` chunks (a chunk of w columns starting at n is at `n·r`, rank j at `+ j·w`): each step
 * is an f32x4 axpy along n, and a tile reads one sequential stream. Tiles of 2 rows × 16 columns (8 accumulators, each
 * `Bᵀ` vector loaded once for both rows), then 4 columns, then 1 row.
 * Every output is `out + h_0·b_0 + h_1·b_1 + …` in rank order whatever the tile: a row's result does not depend on
 * its segment or batch.
 */
function loraExpand(fma: boolean): Fn {
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
    f.loop();
    for (let v = 0; v < nv; v++) f.get(bp).v128load(16 * v).set(bv[v]!);
    for (let i = 0; i < tr; i++) {
      f.get(hp[i]!).get(j).add().v128load32splat().set(hv[i]!);
      for (let v = 0; v < nv; v++) mulAdd(f, fma, acc[i * nv + v]!, () => f.get(hv[i]!), () => f.get(bv[v]!));
    }
    f.get(bp).i32(16 * nv).add().set(bp);
    f.get(j).i32(4).add().tee(j).get(rB).ltU().brIf(0);
    f.end();
    for (let i = 0; i < tr; i++) for (let v = 0; v < nv; v++) f.get(op[i]!).get(acc[i * nv + v]!).v128store(16 * v);
  };
  /** the n loop for `tr` rows: 16 columns at a time, then 4 */
  const cols = (tr: number): void => {
    f.i32(0).set(n);
    for (const nv of [4, 1]) {
      f.block().loop();
      f.get(N).get(n).i32(4 * nv).add().ltU().brIf(1);
      tile(tr, nv);
      f.get(n).i32(4 * nv).add().set(n);
      f.br(0);
      f.end().end();
    }
  };
  f.get(N).i32(4).mul().set(nB);
  f.get(r).i32(4).mul().set(rB);
  f.block();
  f.get(r).i32(0).leU().brIf(0); // rank 0: nothing to add (the j loop runs at least once)
  f.i32(0).set(t);
  f.block().loop();
  f.get(rows).get(t).i32(2).add().ltU().brIf(1);
  cols(2);
  f.get(t).i32(2).add().set(t);
  f.br(0);
  f.end().end();
  f.block();
  f.get(t).get(rows).geU().brIf(0);
  cols(1);
  f.end();
  f.end();
  return f;
}

/** i8x16.shuffle lanes picking f32 lanes `l` (0–3: first operand, 4–7: second) */
const f32Lanes = (l: number[]): number[] => l.flatMap((i) => [4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3]);

/**
 * `pack16(src, dst, rows, K)`: row-major `[rows, K]` (rows a multiple of 16, K of 4) → panels of 16 rows, each `[K][16]`
 * (the layout `gemmp16` reads), by 4×4 transposes.
 */
function pack16(): Fn {
  const f = new Fn('pack16', [I32, I32, I32, I32]);
  const [src, dst, rows, K] = [0, 1, 2, 3];
  const p = f.local(I32);
  const kb = f.local(I32);
  const kB = f.local(I32);
  const a = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const v = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const tt = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  f.get(K).i32(4).mul().set(kB);
  f.i32(0).set(p);
  f.block().loop();
  f.get(p).get(rows).geU().brIf(1);
  f.i32(0).set(kb);
  f.loop();
  for (let rb = 0; rb < 4; rb++) {
    // rows p + 4rb .. p + 4rb + 3, columns kb/4 .. kb/4 + 3
    f.get(src).get(p).i32(4 * rb).add().get(kB).mul().add().get(kb).add().set(a[0]!);
    for (let i = 1; i < 4; i++) f.get(a[i - 1]!).get(kB).add().set(a[i]!);
    for (let i = 0; i < 4; i++) f.get(a[i]!).v128load().set(v[i]!);
    f.get(v[0]!).get(v[1]!).shuffle(f32Lanes([0, 4, 1, 5])).set(tt[0]!);
    f.get(v[2]!).get(v[3]!).shuffle(f32Lanes([0, 4, 1, 5])).set(tt[1]!);
    f.get(v[0]!).get(v[1]!).shuffle(f32Lanes([2, 6, 3, 7])).set(tt[2]!);
    f.get(v[2]!).get(v[3]!).shuffle(f32Lanes([2, 6, 3, 7])).set(tt[3]!);
    // column c of the 4×4 block goes to dst + ((p*K + kb/4 + c) * 16 + 4rb) * 4
    const store = (c: number, lo: number, hi: number, lanes: number[]): void => {
      f.get(dst).get(p).get(kB).mul().add().get(kb).i32(16).mul().add().get(tt[lo]!).get(tt[hi]!).shuffle(f32Lanes(lanes)).v128store(64 * c + 16 * rb);
    };
    store(0, 0, 1, [0, 1, 4, 5]);
    store(1, 0, 1, [2, 3, 6, 7]);
    store(2, 2, 3, [0, 1, 4, 5]);
    store(3, 2, 3, [2, 3, 6, 7]);
  }
  f.get(kb).i32(16).add().tee(kb).get(kB).ltU().brIf(0);
  f.end();
  f.get(p).i32(16).add().set(p);
  f.br(0);
  f.end().end();
  return f;
}

/**
 * `gemv1(x, w, out, N, K)`: one token, one row at a time (a single sequential stream through `w`, which hardware
 * prefetchers follow best), four accumulators over the 4× unrolled k loop (K a multiple of 16), added as
 * `(a0 + a1) + (a2 + a3)` before the lane sum.
 */
function gemv1(): Fn {
  const f = new Fn('gemv1', [I32, I32, I32, I32, I32]);
  const [x, w, out, N, K] = [0, 1, 2, 3, 4];
  const kb = f.local(I32);
  const kEnd = f.local(I32);
  const wEnd = f.local(I32);
  const xa = f.local(I32);
  const a = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  f.get(K).i32(4).mul().set(kEnd);
  f.get(w).get(N).get(kEnd).mul().add().set(wEnd);
  f.block();
  f.get(w).get(wEnd).geU().brIf(0);
  f.loop();
  for (const r of a) f.f32(0).f32x4splat().set(r);
  f.get(x).set(xa);
  f.get(x).get(kEnd).add().set(kb);
  f.loop();
  for (let u = 0; u < 4; u++) f.get(a[u]!).get(xa).v128load(16 * u).get(w).v128load(16 * u).f32x4mul().f32x4add().set(a[u]!);
  f.get(w).i32(64).add().set(w);
  f.get(xa).i32(64).add().tee(xa).get(kb).ltU().brIf(0);
  f.end();
  f.get(out);
  f.get(a[0]!).get(a[1]!).f32x4add().get(a[2]!).get(a[3]!).f32x4add().f32x4add().set(a[0]!);
  f.get(a[0]!).f32x4extract(0).get(a[0]!).f32x4extract(1).f32add().get(a[0]!).f32x4extract(2).f32add().get(a[0]!).f32x4extract(3).f32add();
  f.f32store();
  f.get(out).i32(4).add().set(out);
  f.get(w).get(wEnd).ltU().brIf(0);
  f.end();
  f.end();
  return f;
}

/**
 * `gemvq(x, q, s, out, N, K)` for one token against int8 (`bits` 8) or int4 (`bits` 4) rows, dequantisation fused:
 * per group of 32, four f32x4 partial sums of `x · w` (added `(a0 + a1) + (a2 + a3)`), times the group's scale,
 * accumulated over the row; then the lane sum. Reads the weights as one sequential stream.
 */
function gemvq(bits: 8 | 4): Fn {
  const f = new Fn(bits === 8 ? 'gemvq8' : 'gemvq4', [I32, I32, I32, I32, I32, I32]);
  const [x, q, s, out, N, K] = [0, 1, 2, 3, 4, 5];
  const groups = f.local(I32);
  const g = f.local(I32);
  const xa = f.local(I32);
  const n = f.local(I32);
  const acc = f.local(V128);
  const ga = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const v = f.local(V128);
  const lo = f.local(V128);
  const hi = f.local(V128);
  const half = f.local(V128);
  const m15 = f.local(V128);
  const m8 = f.local(V128);
  f.i32(15).i8x16splat().set(m15);
  f.i32(8).i8x16splat().set(m8);
  f.get(K).i32(32).div().set(groups);
  f.i32(0).set(n);
  f.block().loop();
  f.get(n).get(N).geU().brIf(1);
  f.f32(0).f32x4splat().set(acc);
  f.get(x).set(xa);
  f.i32(0).set(g);
  f.loop();
  // the 8 f32x4 products of this group go round-robin into ga[0..3]
  const fma = (j: number): void => {
    // stack: f32x4 weights → multiply with x[j*4 .. j*4+4) of the group and add into ga[j % 4]
    f.get(xa).v128load(16 * j).f32x4mul().get(ga[j % 4]!).f32x4add().set(ga[j % 4]!);
  };
  for (const r of ga) f.f32(0).f32x4splat().set(r);
  if (bits === 8) {
    for (let i = 0; i < 4; i++) {
      f.get(q).v128load8x8s(8 * i).set(v);
      f.get(v).i32x4extendLowI16s().f32x4convertI32s();
      fma(2 * i);
      f.get(v).i32x4extendHighI16s().f32x4convertI32s();
      fma(2 * i + 1);
    }
    f.get(q).i32(32).add().set(q);
  } else {
    f.get(q).v128load().set(v);
    f.get(v).get(m15).v128and().get(m8).i8x16sub().set(lo);
    f.get(v).i32(4).i8x16shrU().get(m8).i8x16sub().set(hi);
    for (let h = 0; h < 2; h++) {
      const lanes: number[] = [];
      for (let i = 0; i < 8; i++) lanes.push(8 * h + i, 16 + 8 * h + i);
      f.get(lo).get(hi).shuffle(lanes).set(half);
      for (let part = 0; part < 4; part++) {
        f.get(half);
        if (part < 2) f.i16x8extendLowI8s();
        else f.i16x8extendHighI8s();
        if (part % 2 === 0) f.i32x4extendLowI16s();
        else f.i32x4extendHighI16s();
        f.f32x4convertI32s();
        fma(4 * h + part);
      }
    }
    f.get(q).i32(16).add().set(q);
  }
  f.get(ga[0]!).get(ga[1]!).f32x4add().get(ga[2]!).get(ga[3]!).f32x4add().f32x4add();
  f.get(s).f32load().f32x4splat().f32x4mul().get(acc).f32x4add().set(acc);
  f.get(s).i32(4).add().set(s);
  f.get(xa).i32(128).add().set(xa);
  f.get(g).i32(1).add().tee(g).get(groups).ltU().brIf(0);
  f.end();
  f.get(out);
  f.get(acc).f32x4extract(0).get(acc).f32x4extract(1).f32add().get(acc).f32x4extract(2).f32add().get(acc).f32x4extract(3).f32add();
  f.f32store();
  f.get(out).i32(4).add().set(out);
  f.get(n).i32(1).add().set(n);
  f.br(0);
  f.end().end();
  return f;
}

/**
 * Pushes `exp(x)` for the f32x4 in local `x` (clamped to [−87.3, 88.3], so no overflow and no denormals): `2^n · p(r)`
 * with `n = round(x·log2 e)`, `r = x − n·ln 2` (ln 2 split in two for exactness) and a degree-6 polynomial (Cephes
 * `expf` coefficients): within ~2 ulp of `Math.exp` in that range. `c` holds the splatted constants (see `expConsts`).
 */
function expV(f: Fn, x: number, c: ExpConsts, n: number, r: number): void {
  f.get(x).get(c.lo).f32x4max().get(c.hi).f32x4min().set(r);
  f.get(r).get(c.log2e).f32x4mul().f32x4nearest().set(n);
  f.get(r).get(n).get(c.ln2hi).f32x4mul().f32x4sub().get(n).get(c.ln2lo).f32x4mul().f32x4sub().set(r);
  f.get(c.p[0]!);
  for (let i = 1; i < c.p.length; i++) f.get(r).f32x4mul().get(c.p[i]!).f32x4add();
  // p(r)·r² + r + 1
  f.get(r).get(r).f32x4mul().f32x4mul().get(r).f32x4add().get(c.one).f32x4add();
  // × 2^n, built in the exponent field
  f.get(n).i32x4truncSatF32x4s().i32(127).i32x4splat().i32x4add().i32(23).i32x4shl().f32x4mul();
}

interface ExpConsts {
  lo: number;
  hi: number;
  log2e: number;
  ln2hi: number;
  ln2lo: number;
  one: number;
  p: number[];
}

/** Declares and fills the locals `expV` needs. */
function expConsts(f: Fn): ExpConsts {
  const splat = (v: number): number => {
    const l = f.local(V128);
    f.f32(v).f32x4splat().set(l);
    return l;
  };
  return {
    lo: splat(-87.3),
    hi: splat(88.3),
    log2e: splat(1.4426950408889634),
    ln2hi: splat(0.693359375),
    ln2lo: splat(-2.12194440e-4),
    one: splat(1),
    p: [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1].map(splat),
  };
}

/** `siluMul(g, u, out, n)`: `out[i] = g[i] · u[i] / (1 + exp(−g[i]))` for n a multiple of 4 (out may alias g or u). */
function siluMul(): Fn {
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
  f.block();
  f.get(g).get(end).geU().brIf(0);
  f.loop();
  f.get(g).v128load().set(gv);
  f.get(zero).get(gv).f32x4sub().set(x);
  f.get(out).get(gv).get(u).v128load().f32x4mul();
  expV(f, x, c, nn, r);
  f.get(c.one).f32x4add().f32x4div().v128store();
  f.get(u).i32(16).add().set(u);
  f.get(out).i32(16).add().set(out);
  f.get(g).i32(16).add().tee(g).get(end).ltU().brIf(0);
  f.end();
  f.end();
  return f;
}

/**
 * `attn(q, k, v, out, sc, T, start, hd, qS, kvS, scale)`: causal attention of one query head over one KV head. Query
 * `t` (at `q + t·qS`, bytes) sees positions `0 .. start+t` of K and V (position `j` at `k + j·kvS`, `v + j·kvS`) and
 * writes `softmax(scale · q·Kᵀ) · V` at `out + t·qS`; `sc` is scratch for `start+T+3` scores; hd a multiple of 16.
 * Scores four positions at a time (four dot products sharing the q loads, then a 4×4 transpose-add), the last
 * `L mod 4` one at a time with the same lane order; max, `exp` (`expV`) and sum with f32x4; `P·V` in chunks of 32 (or
 * 16) dimensions held in registers. Every query is computed the same way whatever T is, so decoding token by token
 * gives the same bits as a prefill over the same tokens.
 */
function attn(): Fn {
  const f = new Fn('attn', [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, F32]);
  const [q, k, v, out, sc, T, start, hd, qS, kvS, scale] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
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
  f.block().loop();
  f.get(t).get(T).geU().brIf(1);
  f.get(start).get(t).add().i32(1).add().set(L);
  // ---- scores, four positions at a time
  f.get(k).set(kp[0]!);
  f.get(sc).set(sp);
  f.i32(0).set(j);
  f.block().loop();
  f.get(L).get(j).i32(4).add().ltU().brIf(1); // stop when j + 4 > L
  for (let i = 1; i < 4; i++) f.get(kp[i - 1]!).get(kvS).add().set(kp[i]!);
  for (const ai of a) f.f32(0).f32x4splat().set(ai);
  f.i32(0).set(d);
  f.loop();
  f.get(q).get(d).add().v128load().set(qv);
  for (let i = 0; i < 4; i++) f.get(a[i]!).get(qv).get(kp[i]!).get(d).add().v128load().f32x4mul().f32x4add().set(a[i]!);
  f.get(d).i32(16).add().tee(d).get(hdB).ltU().brIf(0);
  f.end();
  f.get(sp);
  pairs(a[0]!, a[1]!);
  f.set(x);
  pairs(a[2]!, a[3]!);
  f.set(qv);
  f.get(x).get(qv).shuffle(f32Lanes([0, 1, 4, 5])).get(x).get(qv).shuffle(f32Lanes([2, 3, 6, 7])).f32x4add();
  f.get(scv).f32x4mul().v128store();
  f.get(kp[0]!).get(kv4).add().set(kp[0]!);
  f.get(sp).i32(16).add().set(sp);
  f.get(j).i32(4).add().set(j);
  f.br(0);
  f.end().end();
  // the last L mod 4 positions, one at a time (same lane order: (l0 + l2) + (l1 + l3))
  f.block().loop();
  f.get(j).get(L).geU().brIf(1);
  f.f32(0).f32x4splat().set(a[0]!);
  f.i32(0).set(d);
  f.loop();
  f.get(a[0]!).get(q).get(d).add().v128load().get(kp[0]!).get(d).add().v128load().f32x4mul().f32x4add().set(a[0]!);
  f.get(d).i32(16).add().tee(d).get(hdB).ltU().brIf(0);
  f.end();
  f.get(sp);
  f.get(a[0]!).f32x4extract(0).get(a[0]!).f32x4extract(2).f32add();
  f.get(a[0]!).f32x4extract(1).get(a[0]!).f32x4extract(3).f32add().f32add();
  f.get(scale).f32mul().f32store();
  f.get(kp[0]!).get(kvS).add().set(kp[0]!);
  f.get(sp).i32(4).add().set(sp);
  f.get(j).i32(1).add().set(j);
  f.br(0);
  f.end().end();
  // pad the scores to a multiple of 4 with −∞ (they come out of exp as ~1e−38: nothing next to a sum ≥ 1)
  f.get(sc).get(L).i32(3).add().i32(-4).and().i32(4).mul().add().set(sEnd);
  f.block().loop();
  f.get(sp).get(sEnd).geU().brIf(1);
  f.get(sp).f32(-Infinity).f32store();
  f.get(sp).i32(4).add().set(sp);
  f.br(0);
  f.end().end();
  // ---- max
  f.f32(-Infinity).f32x4splat().set(mv);
  f.get(sc).set(sp);
  f.loop();
  f.get(mv).get(sp).v128load().f32x4max().set(mv);
  f.get(sp).i32(16).add().tee(sp).get(sEnd).ltU().brIf(0);
  f.end();
  f.get(mv).f32x4extract(0).get(mv).f32x4extract(1).f32max().get(mv).f32x4extract(2).get(mv).f32x4extract(3).f32max().f32max().set(m);
  f.get(m).f32x4splat().set(mv);
  // ---- exponentials (stored back) and their sum
  f.f32(0).f32x4splat().set(sum);
  f.get(sc).set(sp);
  f.loop();
  f.get(sp).v128load().get(mv).f32x4sub().set(x);
  f.get(sp);
  expV(f, x, cst, nn, r);
  f.tee(x).v128store();
  f.get(sum).get(x).f32x4add().set(sum);
  f.get(sp).i32(16).add().tee(sp).get(sEnd).ltU().brIf(0);
  f.end();
  f.f32(1);
  f.get(sum).f32x4extract(0).get(sum).f32x4extract(2).f32add();
  f.get(sum).f32x4extract(1).get(sum).f32x4extract(3).f32add().f32add();
  f.f32div().f32x4splat().set(inv);
  // ---- out = (Σ_j e_j · v_j) / sum, by chunks of 32 dimensions (8 accumulators), then 16
  f.get(L).i32(4).mul().get(sc).add().set(sEnd);
  f.i32(0).set(c0);
  for (const width of [8, 4]) {
    f.block().loop();
    f.get(hdB).get(c0).i32(16 * width).add().ltU().brIf(1); // stop when c0 + chunk > hd
    for (let i = 0; i < width; i++) f.f32(0).f32x4splat().set(acc[i]!);
    f.get(v).get(c0).add().set(vp);
    f.get(sc).set(sp);
    f.loop();
    f.get(sp).v128load32splat().set(pv);
    for (let i = 0; i < width; i++) f.get(acc[i]!).get(pv).get(vp).v128load(16 * i).f32x4mul().f32x4add().set(acc[i]!);
    f.get(vp).get(kvS).add().set(vp);
    f.get(sp).i32(4).add().tee(sp).get(sEnd).ltU().brIf(0);
    f.end();
    for (let i = 0; i < width; i++) f.get(out).get(c0).add().get(acc[i]!).get(inv).f32x4mul().v128store(16 * i);
    f.get(c0).i32(16 * width).add().set(c0);
    f.br(0);
    f.end().end();
  }
  f.get(q).get(qS).add().set(q);
  f.get(out).get(qS).add().set(out);
  f.get(t).i32(1).add().set(t);
  f.br(0);
  f.end().end();
  return f;
}

/**
 * `rmsNorm(x, w, out, T, d, eps)`: per row, `out = x · w / sqrt(mean(x²) + eps)` (d a multiple of 4; out may be x).
 * Sum of squares in four f32 lanes, added `(l0 + l2) + (l1 + l3)`; the same for every row whatever T is.
 */
function rmsNorm(): Fn {
  const f = new Fn('rmsNorm', [I32, I32, I32, I32, I32, F32]);
  const [x, w, out, T, d, eps] = [0, 1, 2, 3, 4, 5];
  const t = f.local(I32);
  const i = f.local(I32);
  const dB = f.local(I32);
  const acc = f.local(V128);
  const v = f.local(V128);
  const inv = f.local(V128);
  f.get(d).i32(4).mul().set(dB);
  f.i32(0).set(t);
  f.block().loop();
  f.get(t).get(T).geU().brIf(1);
  f.f32(0).f32x4splat().set(acc);
  f.i32(0).set(i);
  f.loop();
  f.get(x).get(i).add().v128load().tee(v).get(v).f32x4mul().get(acc).f32x4add().set(acc);
  f.get(i).i32(16).add().tee(i).get(dB).ltU().brIf(0);
  f.end();
  f.f32(1);
  f.get(acc).f32x4extract(0).get(acc).f32x4extract(2).f32add();
  f.get(acc).f32x4extract(1).get(acc).f32x4extract(3).f32add().f32add();
  f.get(d).f32ConvertI32U().f32div().get(eps).f32add().f32sqrt().f32div().f32x4splat().set(inv);
  f.i32(0).set(i);
  f.loop();
  f.get(out).get(i).add();
  f.get(x).get(i).add().v128load().get(inv).f32x4mul().get(w).get(i).add().v128load().f32x4mul();
  f.v128store();
  f.get(i).i32(16).add().tee(i).get(dB).ltU().brIf(0);
  f.end();
  f.get(x).get(dB).add().set(x);
  f.get(out).get(dB).add().set(out);
  f.get(t).i32(1).add().set(t);
  f.br(0);
  f.end().end();
  return f;
}

/** `add(a, b, out, n)`: `out = a + b` elementwise, n a multiple of 4 (out may alias a or b); the same bits as f64 JS. */
function addV(): Fn {
  const f = new Fn('add', [I32, I32, I32, I32]);
  const [a, b, out, n] = [0, 1, 2, 3];
  const end = f.local(I32);
  f.get(a).get(n).i32(4).mul().add().set(end);
  f.block();
  f.get(a).get(end).geU().brIf(0);
  f.loop();
  f.get(out).get(a).v128load().get(b).v128load().f32x4add().v128store();
  f.get(b).i32(16).add().set(b);
  f.get(out).i32(16).add().set(out);
  f.get(a).i32(16).add().tee(a).get(end).ltU().brIf(0);
  f.end();
  f.end();
  return f;
}

function dq8(): Fn {
  const f = new Fn('dq8', [I32, I32, I32, I32]);
  const [q, s, dst, groups] = [0, 1, 2, 3];
  const qEnd = f.local(I32);
  const sc = f.local(V128);
  const v = f.local(V128);
  f.get(q).get(groups).i32(32).mul().add().set(qEnd);
  f.block();
  f.get(q).get(qEnd).geU().brIf(0);
  f.loop();
  f.get(s).f32load().f32x4splat().set(sc);
  for (let i = 0; i < 4; i++) {
    f.get(q).v128load8x8s(8 * i).set(v);
    f.get(dst).get(v).i32x4extendLowI16s().f32x4convertI32s().get(sc).f32x4mul().v128store(32 * i);
    f.get(dst).get(v).i32x4extendHighI16s().f32x4convertI32s().get(sc).f32x4mul().v128store(32 * i + 16);
  }
  f.get(s).i32(4).add().set(s);
  f.get(dst).i32(128).add().set(dst);
  f.get(q).i32(32).add().tee(q).get(qEnd).ltU().brIf(0);
  f.end();
  f.end();
  return f;
}

function dq4(): Fn {
  const f = new Fn('dq4', [I32, I32, I32, I32]);
  const [q, s, dst, groups] = [0, 1, 2, 3];
  const qEnd = f.local(I32);
  const sc = f.local(V128);
  const v = f.local(V128);
  const lo = f.local(V128);
  const hi = f.local(V128);
  const half = f.local(V128);
  const m15 = f.local(V128);
  const m8 = f.local(V128);
  f.i32(15).i8x16splat().set(m15);
  f.i32(8).i8x16splat().set(m8);
  f.get(q).get(groups).i32(16).mul().add().set(qEnd);
  f.block();
  f.get(q).get(qEnd).geU().brIf(0);
  f.loop();
  f.get(s).f32load().f32x4splat().set(sc);
  f.get(q).v128load().set(v);
  f.get(v).get(m15).v128and().get(m8).i8x16sub().set(lo);
  f.get(v).i32(4).i8x16shrU().get(m8).i8x16sub().set(hi);
  for (let h = 0; h < 2; h++) {
    const lanes: number[] = [];
    for (let i = 0; i < 8; i++) lanes.push(8 * h + i, 16 + 8 * h + i);
    f.get(lo).get(hi).shuffle(lanes).set(half); // 16 int8 columns 16h .. 16h+15
    for (let part = 0; part < 4; part++) {
      f.get(dst).get(half);
      if (part < 2) f.i16x8extendLowI8s();
      else f.i16x8extendHighI8s();
      if (part % 2 === 0) f.i32x4extendLowI16s();
      else f.i32x4extendHighI16s();
      f.f32x4convertI32s().get(sc).f32x4mul().v128store(64 * h + 16 * part);
    }
  }
  f.get(s).i32(4).add().set(s);
  f.get(dst).i32(128).add().set(dst);
  f.get(q).i32(16).add().tee(q).get(qEnd).ltU().brIf(0);
  f.end();
  f.end();
  return f;
}

/**
 * The module's bytes (imports `env.mem`; exports `gemm`, `gemm16` (K multiple of 16), `gemmp16`, `gemvp2`, `pack16`, `gemv1`,
 * `gemvq8`, `gemvq4`, `dq8`, `dq4`, `siluMul`, `attn`, `rmsNorm`, `add`, `loraShrink`, `loraExpand`). About 13 KB: above Chrome's 4 KB limit for synchronous compilation on the main thread, so the SIMD path is
 * for workers (where the engine runs); on the main thread `simdRuntime()` returns null and the JS kernels run.
 */
export function simdModuleBytes(opts: { fma?: boolean } = {}): Uint8Array<ArrayBuffer> {
  const fma = opts.fma ?? false;
  return emitModule([gemm('gemm', 1, 2), gemm('gemm16', 2, 6), gemmp16(fma), gemvp2(fma), pack16(), gemv1(), gemvq(8), gemvq(4), dq8(), dq4(), siluMul(), attn(), rmsNorm(), addV(), loraShrink(fma), loraExpand(fma)]);
}

