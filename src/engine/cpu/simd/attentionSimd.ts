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
import type { PagedRows } from '../../backend.ts';
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

/** Like `pagedAttentionSimd`, but false (nothing done) when the heap cannot grow for its scratch space. */
export function tryPagedAttentionSimd(...args: Parameters<typeof pagedAttentionSimd>): boolean {
  try {
    pagedAttentionSimd(...args);
    return true;
  } catch (e) {
    if (e instanceof RangeError) return false;
    throw e;
  }
}

/**
 * Paged attention for a whole batch (contract of `kernels/pagedAttention.ts`, rows checked by the caller): each run of
 * consecutive rows of one sequence at consecutive positions (a prefill segment, or one decode row) has its sequence's
 * keys `0 .. last position` gathered page by page onto the heap, then runs as `attentionSimd` runs a contiguous cache
 * (the same copies, in page-sized pieces; a row's bits equal the contiguous kernel's).
 */
export function pagedAttentionSimd(
  rt: SimdRuntime,
  q: Float32Array,
  kPool: Float32Array,
  vPool: Float32Array,
  T: number,
  nHeads: number,
  nKvHeads: number,
  headDim: number,
  out: Float32Array,
  paged: PagedRows,
): void {
  const hd = headDim;
  const group = nHeads / nKvHeads;
  const kvDim = nKvHeads * hd;
  const qDim = nHeads * hd;
  const { positions, rowSeq, pageTable, pageSize, pagesPerSeq } = paged;
  const scale = 1 / Math.sqrt(hd);
  const attn = rt.kernels.attn;
  for (let t0 = 0; t0 < T; ) {
    const s = rowSeq[t0]!;
    const startPos = positions[t0]!;
    let n = 1;
    while (t0 + n < T && rowSeq[t0 + n] === s && positions[t0 + n] === startPos + n) n++;
    const L = startPos + n;
    const kOff = rt.scratch(3, L * kvDim * 4);
    const vOff = rt.scratch(4, L * kvDim * 4);
    const qOff = rt.scratch(5, n * qDim * 4);
    const sOff = rt.scratch(6, (L + 4) * 4);
    const oOff = rt.scratch(7, n * qDim * 4);
    const heap = rt.f32(); // after every scratch call (they may grow the memory)
    for (let j = 0, pg = s * pagesPerSeq; j < L; j += pageSize, pg++) {
      const src = pageTable[pg]! * pageSize * kvDim;
      const len = Math.min(pageSize, L - j) * kvDim;
      heap.set(kPool.subarray(src, src + len), (kOff >> 2) + j * kvDim);
      heap.set(vPool.subarray(src, src + len), (vOff >> 2) + j * kvDim);
    }
    heap.set(q.subarray(t0 * qDim, (t0 + n) * qDim), qOff >> 2);
    for (let h = 0; h < nHeads; h++) {
      const g = Math.floor(h / group);
      attn(qOff + h * hd * 4, kOff + g * hd * 4, vOff + g * hd * 4, oOff + h * hd * 4, sOff, n, startPos, hd, qDim * 4, kvDim * 4, scale);
    }
    out.set(heap.subarray(oOff >> 2, (oOff >> 2) + n * qDim), t0 * qDim);
    t0 += n;
  }
}
