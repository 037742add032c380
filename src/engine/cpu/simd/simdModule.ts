/**
 * The WASM SIMD kernels of the CPU backend, assembled at run time with `wasmEmit.ts`:
 * - `gemm(x, w, out, T, N, K, ldo)`: `out[t*ldo + n] = Σ_k x[t*K + k] · w[n*K + k]` (f32; pointers in bytes; N and K
 *   multiples of 4). Micro-tiles of 2 tokens × 4 rows (8 f32x4 accumulators), then 1 token × 4 rows for an odd token.
 *   Lane `l` of an accumulator sums `k ≡ l (mod 4)` in order, the four lanes are then added left to right — the same
 *   order for every tile shape, so a token's result never depends on how many tokens run with it.
 *   `gemm16` is the same with the k loop unrolled twice (K a multiple of 16 — kept from the 4× unroll it had) and
 *   micro-tiles of 6 tokens × 4 rows (24 accumulators: each weight vector loaded once for 6 tokens; ~30 vs ~25 GFLOP/s
 *   on the prefill shapes); same sums, same bits.
 * - `dq8(q, s, dst, groups)`: int8 groups of 32 → f32 (`q · scale`).
 * - `dq4(q, s, dst, groups)`: int4 groups of 32 (16 bytes, low nibble = even column) → f32 (`(n − 8) · scale`).
 * Quantised matmuls dequantise a small panel of rows with `dq8`/`dq4` into cache-resident scratch and run `gemm` on it.
 */
import { Fn, I32, V128, emitModule } from './wasmEmit.ts';

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
 * The module's bytes (imports `env.mem`; exports `gemm`, `gemm16` (K multiple of 16), `gemv1`, `gemvq8`, `gemvq4`, `dq8`,
 * `dq4`). About 5 KB: above Chrome's 4 KB limit for synchronous compilation on the main thread, so the SIMD path is
 * for workers (where the engine runs); on the main thread `simdRuntime()` returns null and the JS kernels run.
 */
export function simdModuleBytes(): Uint8Array<ArrayBuffer> {
  return emitModule([gemm('gemm', 1, 2), gemm('gemm16', 2, 6), gemv1(), gemvq(8), gemvq(4), dq8(), dq4()]);
}

