/**
 * Causal GQA attention with the WASM `attn` kernel (see `simdModule.ts`), for prefill blocks and single decode tokens
 * alike: same contract as `kernels/attention.ts` (`q`/`out` `[T, nHeads, headDim]`, caches `[maxSeq, nKvHeads, headDim]`
 * holding positions `0 .. startPos+T-1`). The query block and the cache rows in use are copied onto the heap (one copy
 * each, all KV heads at once), the kernel runs once per query head, and the result is copied back. Sums in f32;
 * a query's result does not depend on T (decode equals recompute, bit for bit).
 *
 * @example
 * if (canAttentionSimd(rt, headDim)) attentionSimd(rt, q, kCache, vCache, T, startPos, nHeads, nKvHeads, headDim, out);
 */
import type { SimdRuntime } from './simdRuntime.ts';

export function canAttentionSimd(rt: SimdRuntime | null, headDim: number): rt is SimdRuntime {
  return rt !== null && headDim % 16 === 0;
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
  const group = nHeads / nKvHeads;
  const kvDim = nKvHeads * hd;
  const qDim = nHeads * hd;
  const kOff = rt.scratch(3, L * kvDim * 4);
  const vOff = rt.scratch(4, L * kvDim * 4);
  const qOff = rt.scratch(5, T * qDim * 4);
  const sOff = rt.scratch(6, (L + 4) * 4);
  const oOff = rt.scratch(7, T * qDim * 4);
  const heap = rt.f32(); // after every scratch call (they may grow the memory)
  heap.set(kCache.subarray(0, L * kvDim), kOff >> 2);
  heap.set(vCache.subarray(0, L * kvDim), vOff >> 2);
  heap.set(q.subarray(0, T * qDim), qOff >> 2);
  const scale = 1 / Math.sqrt(hd);
  const attn = rt.kernels.attn;
  for (let h = 0; h < nHeads; h++) {
    const g = Math.floor(h / group);
    attn(qOff + h * hd * 4, kOff + g * hd * 4, vOff + g * hd * 4, oOff + h * hd * 4, sOff, T, startPos, hd, qDim * 4, kvDim * 4, scale);
  }
  out.set(heap.subarray(oOff >> 2, (oOff >> 2) + T * qDim));
}
