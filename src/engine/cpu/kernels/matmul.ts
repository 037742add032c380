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
import { simdRuntime, type CpuMatrix, type PackedQ4, type PackedQ8 } from '../simd/simdRuntime.ts';
import { unpackQ4 } from './packQ4.ts';
import { unpackQ8 } from './packQ8.ts';
import { matmulOptions, simdMatmul } from './matmulSimd.ts';
import { ACT_GROUP, gemvInt, quantizeActivation } from './quantDot.ts';

export { matmulOptions } from './matmulSimd.ts';

/**
 * How a decode matmul (T < 4) with int8/int4 weights treats x: `'f32'` as it is, `'int8'` quantised per group of 32
 * (`quantDot.ts`; the integer kernels on the SIMD path, `quantizeActivation` + `gemvInt` in JS — the same values up to
 * f32 rounding). Prefill (T ≥ 4), f32 weights and group sizes other than 32 always use f32 activations.
 */
export type DecodeActivations = 'f32' | 'int8';

const PANEL = 8;

/** the per-call choice, or the kernel-wide switches of `matmulOptions` (tests, benches) */
function wantsIntActivations(kind: 'q8' | 'q4', activations: DecodeActivations): boolean {
  if (activations === 'int8') return true;
  return matmulOptions.intActivations && (kind === 'q4' || matmulOptions.intActivationsQ8);
}
let scratch = new Float32Array(0);


export function matmul(x: Float32Array, T: number, w: CpuMatrix, out: Float32Array, bias?: Float32Array, activations: DecodeActivations = 'f32'): void {
  const N = w.rows;
  const K = w.cols;
  if (x.length < T * K || out.length < T * N) {
    throw new TributaryError('engine/bad-shape', `matmul: x needs ${T}×${K} values (has ${x.length}) and out ${T}×${N} (has ${out.length}).`);
  }
  if (bias && bias.length !== N) throw new TributaryError('engine/bad-shape', `matmul: bias needs ${N} values, got ${bias.length}.`);
  if (T <= 0) return;
  const rt = simdRuntime();
  // heap views (the CPU backend's tensors) are re-made after the SIMD path: it may grow the heap, which detaches the
  // views of a non-shared memory
  const at = rt ? [rt.heapAt(x), rt.heapAt(out), bias ? rt.heapAt(bias) : -1] : [-1, -1, -1];
  const lens = [x.length, out.length, bias?.length ?? 0];
  const fresh = (): void => {
    if (!rt) return;
    x = rt.reView(x, at[0]!, lens[0]!);
    out = rt.reView(out, at[1]!, lens[1]!);
    if (bias) bias = rt.reView(bias, at[2]!, lens[2]!);
  };
  const intDot = w.kind !== 'f32' && w.kind !== 'f32p' && T < 4 && K % ACT_GROUP === 0 && w.groupSize === ACT_GROUP && wantsIntActivations(w.kind === 'q4p' ? 'q4' : w.kind === 'q8p' ? 'q8' : w.kind, activations);
  const simdDone = rt !== null && K % 4 === 0 && N % 4 === 0 && (w.kind === 'f32' || w.kind === 'f32p' || w.groupSize === 32) && rt.owns(w) && simdMatmul(rt, x, T, w, out, intDot);
  fresh();
  if (simdDone) {
    // done on the SIMD path
  } else if (w.kind === 'q4p' || w.kind === 'q8p') {
    // packed int4/int8 whose SIMD path could not get scratch space: the same values from the layout as stored
    matmul(x, T, w.kind === 'q4p' ? unpackQ4(w) : unpackQ8(w), out, undefined, activations);
  } else if (intDot && (w.kind === 'q8' || w.kind === 'q4')) {
    for (let t = 0; t < T; t++) gemvInt(quantizeActivation(x, K, t * K), w, out, t * N);
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

/** Dequantises (or unpacks) rows `n0 .. n0+P` of a quantised (or packed) matrix into `dst` (row-major, P × cols). */
function dequantRows(w: Exclude<CpuMatrix, PackedQ4 | PackedQ8>, n0: number, P: number, dst: Float32Array): void {
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
