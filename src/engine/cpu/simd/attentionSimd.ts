/**
 * Causal GQA attention for prefill-sized blocks (T ≥ 8) as two SIMD matmuls per head: `S = (Q·scale)·Kᵀ` and `O = P·V`,
 * with the masked softmax in between in JS (f64 sums). Same contract as `kernels/attention.ts` (which decode and small
 * blocks keep using): `q`/`out` `[T, nHeads, headDim]`, caches `[maxSeq, nKvHeads, headDim]` holding positions
 * `0 .. startPos+T-1`. K and Vᵀ of each KV head are gathered into heap scratch, padded with zeros to a multiple of 16
 * positions (padded scores are masked, padded probabilities are 0).
 *
 * @example
 * if (canAttentionSimd(rt, T, headDim)) attentionSimd(rt, q, kCache, vCache, T, startPos, nHeads, nKvHeads, headDim, out);
 */
import type { SimdRuntime } from './simdRuntime.ts';

let expBuf = new Float64Array(0);

export function canAttentionSimd(rt: SimdRuntime | null, T: number, headDim: number): rt is SimdRuntime {
  return rt !== null && T >= 8 && headDim % 16 === 0;
}

/** Like `attentionSimd`, but false (nothing done) when the heap cannot grow for its scratch space. */
export function tryAttentionSimd(...args: Parameters<typeof attentionSimd>): boolean {
  try {
    attentionSimd(...args);
    return true;
  } catch (e) {
    if (e instanceof RangeError) return false;
    throw e;
  }
}

export function attentionSimd(
  rt: SimdRuntime,
  q: Float32Array,
  kCache: Float32Array,
  vCache: Float32Array,
  T: number,
  startPos: number,
  nHeads: number,
  nKvHeads: number,
  headDim: number,
  out: Float32Array,
): void {
  const hd = headDim;
  const L = startPos + T;
  const Lp = Math.ceil(L / 16) * 16;
  const group = nHeads / nKvHeads;
  const kvStride = nKvHeads * hd;
  const scale = 1 / Math.sqrt(hd);
  const kOff = rt.scratch(3, Lp * hd * 4);
  const vOff = rt.scratch(4, hd * Lp * 4);
  const qOff = rt.scratch(5, T * hd * 4);
  const sOff = rt.scratch(6, T * Lp * 4);
  const oOff = rt.scratch(7, T * hd * 4);
  const heap = rt.f32(); // after every scratch call (they may grow the memory)
  const k4 = kOff >> 2;
  const v4 = vOff >> 2;
  const q4 = qOff >> 2;
  const s4 = sOff >> 2;
  const o4 = oOff >> 2;
  const gemm = rt.kernels.gemm16;
  if (expBuf.length < L) expBuf = new Float64Array(L);
  const ex = expBuf; // each exponential computed once (f64), then normalised into the f32 scores
  heap.fill(0, k4 + L * hd, k4 + Lp * hd);
  for (let g = 0; g < nKvHeads; g++) {
    // K_g [Lp, hd] and V_gᵀ [hd, Lp]
    for (let s = 0; s < L; s++) {
      const c = s * kvStride + g * hd;
      heap.set(kCache.subarray(c, c + hd), k4 + s * hd);
      for (let i = 0; i < hd; i++) heap[v4 + i * Lp + s] = vCache[c + i]!;
    }
    for (let i = 0; i < hd; i++) heap.fill(0, v4 + i * Lp + L, v4 + (i + 1) * Lp);
    for (let h = g * group; h < (g + 1) * group; h++) {
      for (let t = 0; t < T; t++) {
        const src = (t * nHeads + h) * hd;
        for (let i = 0; i < hd; i++) heap[q4 + t * hd + i] = q[src + i]! * scale;
      }
      gemm(qOff, kOff, sOff, T, Lp, hd, Lp);
      for (let t = 0; t < T; t++) {
        const row = s4 + t * Lp;
        const last = startPos + t; // inclusive
        let max = -Infinity;
        for (let s = 0; s <= last; s++) if (heap[row + s]! > max) max = heap[row + s]!;
        let sum = 0;
        for (let s = 0; s <= last; s++) {
          const e = Math.exp(heap[row + s]! - max);
          ex[s] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let s = 0; s <= last; s++) heap[row + s] = ex[s]! * inv;
        heap.fill(0, row + last + 1, row + Lp);
      }
      gemm(sOff, vOff, oOff, T, hd, Lp, hd);
      for (let t = 0; t < T; t++) out.set(heap.subarray(o4 + t * hd, o4 + (t + 1) * hd), (t * nHeads + h) * hd);
    }
  }
}
