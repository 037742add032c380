/**
 * `out[T, rows] = x[T, cols] · Wᵀ (+ bias)` for f32, int8 and int4 weights (CPU twin of `shaders/matmul*.wgsl`).
 *
 * Register-blocked loops (4 tokens × 2 output rows per micro-tile, 8 rows per tile for a single token).
 * For quantised weights:
 * - a single token or a few (decode, T < 4): group-wise dot products on the raw int8 / int4 values, the scale applied
 *   once per group (dequantisation fused into the dot product; int4 uses `Σ x·(n−8) = Σ x·n − 8·Σ x`);
 * - prefill (T ≥ 4): a panel of 8 rows is dequantised into a small scratch buffer and reused for every token.
 * Sums are accumulated in f64 (JS numbers) and stored as f32.
 *
 * Weights that live on the WASM heap (`simdRuntime().toHeap(m)`, or `toHeapPacked(m)` as the CPU backend's
 * `uploadWeight` does) take the WASM SIMD path instead when rows and columns are multiples of 4 (and the group size is
 * 32): f32 weights packed in panels of 16 rows (`PackedF32`) run `gemmp16` (`gemvp2` for a single token: same
 * arithmetic) — a token's result is the same bits alone or in any batch; row-major heap weights run `gemv1` / `gemvq8` / `gemvq4` for T < 4 (one sequential
 * stream through the weights, int8/int4 dequantised inside the dot product) and, for T ≥ 4, are dequantised and packed
 * 16 rows at a time into scratch for `gemmp16` (rows not a multiple of 16: row-major `gemm` tiles). Sums in f32.
 *
 * @example
 * matmul(x, T, { kind: 'f32', rows: 3, cols: 4, data: w }, out);   // out: Float32Array(T * 3)
 */
import { TributaryError } from '../../../core/errors.ts';
import { simdRuntime, type CpuMatrix, type SimdRuntime } from '../simd/simdRuntime.ts';

const PANEL = 8;
let scratch = new Float32Array(0);

/**
 * `intActivations` (default true): decode (T < 4) with int8/int4 weights on the SIMD heap quantises x to int8 per group
 * of 32 and runs the integer kernels (`gemvi*`, see `quantDot.ts` for the error this adds); false keeps f32
 * activations (`gemvq8`/`gemvq4`, dequantisation fused) — for comparisons.
 */
export const matmulOptions = { intActivations: true };

const XQ_SCRATCH = 13;
const XS_SCRATCH = 14;
const XC_SCRATCH = 15;

export function matmul(x: Float32Array, T: number, w: CpuMatrix, out: Float32Array, bias?: Float32Array): void {
  const N = w.rows;
  const K = w.cols;
  if (x.length < T * K || out.length < T * N) {
    throw new TributaryError('engine/bad-shape', `matmul: x needs ${T}×${K} values (has ${x.length}) and out ${T}×${N} (has ${out.length}).`);
  }
  if (bias && bias.length !== N) throw new TributaryError('engine/bad-shape', `matmul: bias needs ${N} values, got ${bias.length}.`);
  if (T <= 0) return;
  const rt = simdRuntime();
  if (rt && K % 4 === 0 && N % 4 === 0 && (w.kind === 'f32' || w.kind === 'f32p' || w.groupSize === 32) && rt.owns(w) && simdMatmul(rt, x, T, w, out)) {
    // done on the SIMD path
  } else if (w.kind === 'f32') {
    f32Tile(x, T, K, w.data, 0, N, out, N, 0);
  } else if (T >= 4 || w.kind === 'f32p') {
    // (packed f32 lands here only when the SIMD path could not get scratch space)
    if (scratch.length < PANEL * K) scratch = new Float32Array(PANEL * K);
    const s = scratch;
    for (let n0 = 0; n0 < N; n0 += PANEL) {
      const P = Math.min(PANEL, N - n0);
      dequantRows(w, n0, P, s);
      f32Tile(x, T, K, s, 0, P, out, N, n0);
    }
  } else if (w.kind === 'q8') {
    for (let t = 0; t < T; t++) q8Gemv(x, t * K, w.q, w.scales, w.groupSize, N, K, out, t * N);
  } else {
    for (let t = 0; t < T; t++) q4Gemv(x, t * K, w.q, w.scales, w.groupSize, N, K, out, t * N);
  }
  if (bias) {
    for (let t = 0; t < T; t++) {
      const o = t * N;
      for (let n = 0; n < N; n++) out[o + n] = out[o + n]! + bias[n]!;
    }
  }
}

/**
 * SIMD path: x and out are staged through heap scratch. Packed f32 weights (the CPU backend's) run `gemmp16` for any T.
 * Row-major weights with rows a multiple of 16: for T ≥ 4, 16 rows at a time are dequantised (int8/int4) and packed
 * into an L1-sized scratch panel for `gemmp16`; for T < 4, f32 rows stream through `gemv1` and int8/int4 through
 * `gemvq8`/`gemvq4` (dequantisation fused). Other row counts (multiples of 4) use `gemm` on row-major panels.
 * False (nothing done) when the heap cannot grow for the scratch space: the caller falls back to JS.
 */
function simdMatmul(rt: SimdRuntime, x: Float32Array, T: number, w: CpuMatrix, out: Float32Array): boolean {
  const N = w.rows;
  const K = w.cols;
  const packable = N % 16 === 0;
  // a panel of rows that stays in L1 (≤ 32 KiB) while every token streams past it (row-major `gemm` path)
  const P = packable ? 16 : Math.max(4, Math.floor(8192 / K) & ~3);
  const staged = w.kind !== 'f32p' && T >= 4;
  const intDot = (w.kind === 'q8' || w.kind === 'q4') && T < 4 && matmulOptions.intActivations && K % 32 === 0;
  let xOff: number, oOff: number, pOff: number, qOff: number;
  let xq = 0, xs = 0, xc = 0;
  try {
    xOff = rt.scratch(0, T * K * 4);
    oOff = rt.scratch(1, T * N * 4);
    pOff = staged && (w.kind !== 'f32' || packable) ? rt.scratch(2, P * K * 4) : 0;
    qOff = staged && w.kind !== 'f32' && packable ? rt.scratch(8, P * K * 4) : 0;
    if (intDot) {
      xq = rt.scratch(XQ_SCRATCH, K * 2);
      xs = rt.scratch(XS_SCRATCH, K / 8);
      xc = rt.scratch(XC_SCRATCH, K / 2);
    }
  } catch {
    return false;
  }
  const heap = rt.f32(); // after the scratch calls: they may have grown the memory
  heap.set(x.subarray(0, T * K), xOff >> 2);
  const k = rt.kernels;
  if (w.kind === 'f32p' && T === 1 && N >= 32) {
    // decode: two streams through the weights (an odd last panel on its own)
    const n2 = N & ~31;
    k.gemvp2(xOff, w.data.byteOffset, oOff, n2, K);
    if (n2 < N) k.gemmp16(xOff, w.data.byteOffset + n2 * K * 4, oOff + n2 * 4, 1, N - n2, K, N);
  } else if (w.kind === 'f32p') {
    k.gemmp16(xOff, w.data.byteOffset, oOff, T, N, K, N);
  } else if (w.kind === 'f32' && T < 4) {
    // few tokens (decode): one token at a time, one row at a time — a single sequential stream through the weights
    if (K % 16 === 0) for (let t = 0; t < T; t++) k.gemv1(xOff + t * K * 4, w.data.byteOffset, oOff + t * N * 4, N, K);
    else k.gemm(xOff, w.data.byteOffset, oOff, T, N, K, N);
  } else if (w.kind === 'f32') {
    for (let n0 = 0; n0 < N; n0 += P) {
      const rows = Math.min(P, N - n0);
      if (packable) {
        k.pack16(w.data.byteOffset + n0 * K * 4, pOff, rows, K);
        k.gemmp16(xOff, pOff, oOff + n0 * 4, T, rows, K, N);
      } else (K % 16 === 0 ? k.gemm16 : k.gemm)(xOff, w.data.byteOffset + n0 * K * 4, oOff + n0 * 4, T, rows, K, N);
    }
  } else if (intDot) {
    // decode: x quantised to int8 per group once, then integer dot products on the weights as stored
    const groups = K / 32;
    for (let t = 0; t < T; t++) {
      const x0 = xOff + t * K * 4;
      const o0 = oOff + t * N * 4;
      if (w.kind === 'q8') {
        k.qxNat16(x0, xq, xs, 0, groups);
        k.gemvi8(xq, xs, 0, w.q.byteOffset, w.scales.byteOffset, o0, N, K);
      } else if (k.gemvi4r) {
        k.qxEo8(x0, xq, xs, xc, groups);
        k.gemvi4r(xq, xs, xc, w.q.byteOffset, w.scales.byteOffset, o0, N, K);
      } else {
        k.qxMod16(x0, xq, xs, xc, groups);
        k.gemvi4(xq, xs, xc, w.q.byteOffset, w.scales.byteOffset, o0, N, K);
      }
    }
  } else if (T < 4) {
    // decode with f32 activations: dequantisation fused into a row-streaming dot product
    const gemvq = w.kind === 'q8' ? k.gemvq8 : k.gemvq4;
    for (let t = 0; t < T; t++) gemvq(xOff + t * K * 4, w.q.byteOffset, w.scales.byteOffset, oOff + t * N * 4, N, K);
  } else {
    const groupsPerRow = K / 32;
    const bytesPerRow = w.kind === 'q8' ? K : K / 2;
    const dq = w.kind === 'q8' ? k.dq8 : k.dq4;
    for (let n0 = 0; n0 < N; n0 += P) {
      const rows = Math.min(P, N - n0);
      dq(w.q.byteOffset + n0 * bytesPerRow, w.scales.byteOffset + n0 * groupsPerRow * 4, pOff, rows * groupsPerRow);
      if (packable) {
        k.pack16(pOff, qOff, rows, K);
        k.gemmp16(xOff, qOff, oOff + n0 * 4, T, rows, K, N);
      } else (K % 16 === 0 ? k.gemm16 : k.gemm)(xOff, pOff, oOff + n0 * 4, T, rows, K, N);
    }
  }
  out.set(heap.subarray(oOff >> 2, (oOff >> 2) + T * N));
  return true;
}

/** Dequantises (or unpacks) rows `n0 .. n0+P` of a quantised (or packed) matrix into `dst` (row-major, P × cols). */
function dequantRows(w: CpuMatrix, n0: number, P: number, dst: Float32Array): void {
  const K = w.cols;
  if (w.kind === 'f32p') {
    const d = w.data;
    for (let r = 0; r < P; r++) {
      const n = n0 + r;
      for (let k = 0, i = (n >> 4) * 16 * K + (n & 15); k < K; k++, i += 16) dst[r * K + k] = d[i]!;
    }
    return;
  }
  if (w.kind === 'f32') {
    dst.set(w.data.subarray(n0 * K, (n0 + P) * K));
    return;
  }
  const gs = w.groupSize;
  const q = w.q;
  const sc = w.scales;
  if (w.kind === 'q8') {
    const base = n0 * K;
    for (let i = 0, g = base / gs; i < P * K; i += gs, g++) {
      const s = sc[g]!;
      for (let j = i; j < i + gs; j++) dst[j] = q[base + j]! * s;
    }
    return;
  }
  const base = (n0 * K) >> 1;
  for (let i = 0, g = (n0 * K) / gs; i < P * K; i += gs, g++) {
    const s = sc[g]!;
    for (let j = i; j < i + gs; j += 2) {
      const b = q[base + (j >> 1)]!;
      dst[j] = ((b & 15) - 8) * s;
      dst[j + 1] = ((b >> 4) - 8) * s;
    }
  }
}

/**
 * out[t*ldo + col0 + r] = Σ_k x[t*K + k] · w[w0 + r*K + k] for t < T, r < R.
 */
function f32Tile(x: Float32Array, T: number, K: number, w: Float32Array, w0: number, R: number, out: Float32Array, ldo: number, col0: number): void {
  let t = 0;
  for (; t + 4 <= T; t += 4) {
    const x0 = t * K;
    const x1 = x0 + K;
    const x2 = x1 + K;
    const x3 = x2 + K;
    const o0 = t * ldo + col0;
    let r = 0;
    for (; r + 2 <= R; r += 2) {
      const b0 = w0 + r * K;
      const b1 = b0 + K;
      let a00 = 0, a01 = 0, a10 = 0, a11 = 0, a20 = 0, a21 = 0, a30 = 0, a31 = 0;
      for (let k = 0; k < K; k++) {
        const c0 = w[b0 + k]!;
        const c1 = w[b1 + k]!;
        let v = x[x0 + k]!;
        a00 += v * c0;
        a01 += v * c1;
        v = x[x1 + k]!;
        a10 += v * c0;
        a11 += v * c1;
        v = x[x2 + k]!;
        a20 += v * c0;
        a21 += v * c1;
        v = x[x3 + k]!;
        a30 += v * c0;
        a31 += v * c1;
      }
      let o = o0 + r;
      out[o] = a00;
      out[o + 1] = a01;
      o += ldo;
      out[o] = a10;
      out[o + 1] = a11;
      o += ldo;
      out[o] = a20;
      out[o + 1] = a21;
      o += ldo;
      out[o] = a30;
      out[o + 1] = a31;
    }
    for (; r < R; r++) {
      const b0 = w0 + r * K;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let k = 0; k < K; k++) {
        const c = w[b0 + k]!;
        a0 += x[x0 + k]! * c;
        a1 += x[x1 + k]! * c;
        a2 += x[x2 + k]! * c;
        a3 += x[x3 + k]! * c;
      }
      const o = o0 + r;
      out[o] = a0;
      out[o + ldo] = a1;
      out[o + 2 * ldo] = a2;
      out[o + 3 * ldo] = a3;
    }
  }
  for (; t < T; t++) f32Gemv(x, t * K, K, w, w0, R, out, t * ldo + col0);
}

/** One token against R rows, 8 rows at a time. */
function f32Gemv(x: Float32Array, x0: number, K: number, w: Float32Array, w0: number, R: number, out: Float32Array, o0: number): void {
  let r = 0;
  for (; r + 8 <= R; r += 8) {
    const b0 = w0 + r * K;
    const b1 = b0 + K;
    const b2 = b1 + K;
    const b3 = b2 + K;
    const b4 = b3 + K;
    const b5 = b4 + K;
    const b6 = b5 + K;
    const b7 = b6 + K;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    for (let k = 0; k < K; k++) {
      const v = x[x0 + k]!;
      a0 += v * w[b0 + k]!;
      a1 += v * w[b1 + k]!;
      a2 += v * w[b2 + k]!;
      a3 += v * w[b3 + k]!;
      a4 += v * w[b4 + k]!;
      a5 += v * w[b5 + k]!;
      a6 += v * w[b6 + k]!;
      a7 += v * w[b7 + k]!;
    }
    const o = o0 + r;
    out[o] = a0;
    out[o + 1] = a1;
    out[o + 2] = a2;
    out[o + 3] = a3;
    out[o + 4] = a4;
    out[o + 5] = a5;
    out[o + 6] = a6;
    out[o + 7] = a7;
  }
  for (; r < R; r++) {
    const b0 = w0 + r * K;
    let a = 0;
    for (let k = 0; k < K; k++) a += x[x0 + k]! * w[b0 + k]!;
    out[o0 + r] = a;
  }
}

/** One token against an int8 matrix: per group Σ x·q, times the group's scale. */
function q8Gemv(x: Float32Array, x0: number, q: Int8Array, sc: Float32Array, gs: number, N: number, K: number, out: Float32Array, o0: number): void {
  const G = K / gs;
  let n = 0;
  for (; n + 4 <= N; n += 4) {
    const b0 = n * K;
    const b1 = b0 + K;
    const b2 = b1 + K;
    const b3 = b2 + K;
    const s0 = n * G;
    const s1 = s0 + G;
    const s2 = s1 + G;
    const s3 = s2 + G;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (let g = 0, kb = 0; g < G; g++, kb += gs) {
      let g0 = 0, g1 = 0, g2 = 0, g3 = 0;
      for (let k = kb; k < kb + gs; k++) {
        const v = x[x0 + k]!;
        g0 += v * q[b0 + k]!;
        g1 += v * q[b1 + k]!;
        g2 += v * q[b2 + k]!;
        g3 += v * q[b3 + k]!;
      }
      a0 += g0 * sc[s0 + g]!;
      a1 += g1 * sc[s1 + g]!;
      a2 += g2 * sc[s2 + g]!;
      a3 += g3 * sc[s3 + g]!;
    }
    const o = o0 + n;
    out[o] = a0;
    out[o + 1] = a1;
    out[o + 2] = a2;
    out[o + 3] = a3;
  }
  for (; n < N; n++) {
    const b0 = n * K;
    const s0 = n * G;
    let a = 0;
    for (let g = 0, kb = 0; g < G; g++, kb += gs) {
      let gsum = 0;
      for (let k = kb; k < kb + gs; k++) gsum += x[x0 + k]! * q[b0 + k]!;
      a += gsum * sc[s0 + g]!;
    }
    out[o0 + n] = a;
  }
}

let xsum = new Float64Array(0);

/** One token against an int4 matrix; uses Σ x·(n−8) = Σ x·n − 8·Σ x per group. */
function q4Gemv(x: Float32Array, x0: number, q: Uint8Array, sc: Float32Array, gs: number, N: number, K: number, out: Float32Array, o0: number): void {
  const G = K / gs;
  const H = K >> 1;
  const hg = gs >> 1;
  if (xsum.length < G) xsum = new Float64Array(G);
  const xs = xsum;
  for (let g = 0; g < G; g++) {
    let s = 0;
    for (let k = x0 + g * gs, e = k + gs; k < e; k++) s += x[k]!;
    xs[g] = 8 * s;
  }
  let n = 0;
  for (; n + 4 <= N; n += 4) {
    const b0 = n * H;
    const b1 = b0 + H;
    const b2 = b1 + H;
    const b3 = b2 + H;
    const s0 = n * G;
    const s1 = s0 + G;
    const s2 = s1 + G;
    const s3 = s2 + G;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (let g = 0, kb = 0; g < G; g++, kb += hg) {
      let g0 = 0, g1 = 0, g2 = 0, g3 = 0;
      for (let k = kb; k < kb + hg; k++) {
        const xi = x0 + 2 * k;
        const v = x[xi]!;
        const u = x[xi + 1]!;
        let b = q[b0 + k]!;
        g0 += v * (b & 15) + u * (b >> 4);
        b = q[b1 + k]!;
        g1 += v * (b & 15) + u * (b >> 4);
        b = q[b2 + k]!;
        g2 += v * (b & 15) + u * (b >> 4);
        b = q[b3 + k]!;
        g3 += v * (b & 15) + u * (b >> 4);
      }
      const c = xs[g]!;
      a0 += (g0 - c) * sc[s0 + g]!;
      a1 += (g1 - c) * sc[s1 + g]!;
      a2 += (g2 - c) * sc[s2 + g]!;
      a3 += (g3 - c) * sc[s3 + g]!;
    }
    const o = o0 + n;
    out[o] = a0;
    out[o + 1] = a1;
    out[o + 2] = a2;
    out[o + 3] = a3;
  }
  for (; n < N; n++) {
    const b0 = n * H;
    const s0 = n * G;
    let a = 0;
    for (let g = 0, kb = 0; g < G; g++, kb += hg) {
      let gsum = 0;
      for (let k = kb; k < kb + hg; k++) {
        const b = q[b0 + k]!;
        gsum += x[x0 + 2 * k]! * (b & 15) + x[x0 + 2 * k + 1]! * (b >> 4);
      }
      a += (gsum - xs[g]!) * sc[s0 + g]!;
    }
    out[o0 + n] = a;
  }
}
