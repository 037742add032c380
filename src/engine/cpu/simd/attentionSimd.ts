/**
 * Causal GQA attention with the WASM `attn` kernel (see `simdModule.ts`), for prefill blocks and single decode tokens
 * alike: same contract as `kernels/attention.ts` (`q`/`out` `[T, nHeads, headDim]`, caches `[maxSeq, nKvHeads, headDim]`
 * holding positions `0 .. startPos+T-1`). Arrays that are views on the heap (the CPU backend's tensors) are read and
 * written where they are; others are copied onto the heap (one copy each, all KV heads at once) and the result back.
 * The kernel runs once per query head. Sums in f32; a query's result does not depend on T (decode equals recompute,
 * bit for bit). Paged pools on the heap are read in place (`attnp` over a table of row offsets): no per-token copy.
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
  // offsets first: the scratch calls below may grow the heap (and detach views of a non-shared one)
  const [qAt, kAt, vAt, oAt] = [rt.heapAt(q), rt.heapAt(kCache), rt.heapAt(vCache), rt.heapAt(out)];
  const kOff = kAt >= 0 ? kAt : rt.scratch(3, L * kvDim * 4);
  const vOff = vAt >= 0 ? vAt : rt.scratch(4, L * kvDim * 4);
  const qOff = qAt >= 0 ? qAt : rt.scratch(5, T * qDim * 4);
  const sOff = rt.scratch(6, (L + 4) * 4);
  const oOff = oAt >= 0 ? oAt : rt.scratch(7, T * qDim * 4);
  if (kAt < 0) rt.stageIn(kCache, -1, 0, L * kvDim, kOff);
  if (vAt < 0) rt.stageIn(vCache, -1, 0, L * kvDim, vOff);
  if (qAt < 0) rt.stageIn(q, -1, 0, T * qDim, qOff);
  const scale = 1 / Math.sqrt(hd);
  const attn = rt.kernels.attn;
  for (let h = 0; h < nHeads; h++) {
    const g = Math.floor(h / group);
    attn(qOff + h * hd * 4, kOff + g * hd * 4, vOff + g * hd * 4, oOff + h * hd * 4, sOff, T, startPos, hd, qDim * 4, kvDim * 4, scale);
  }
  if (oAt < 0) out.set(rt.f32().subarray(oOff >> 2, (oOff >> 2) + T * qDim));
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
 * Paged attention for a whole batch (contract of `kernels/pagedAttention.ts`, rows checked by the caller), one run of
 * consecutive rows of one sequence at consecutive positions (a prefill segment, or one decode row) at a time. Pools on
 * the heap (the CPU backend's): the run's key rows are listed (byte offsets, page by page) and `attnp` reads them where
 * they are. Pools elsewhere: the keys `0 .. last position` are gathered page by page onto the heap and `attn` runs on
 * the copy. Either way a row's bits equal the contiguous kernel's.
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
  const [qAt, kAt, vAt, oAt] = [rt.heapAt(q), rt.heapAt(kPool), rt.heapAt(vPool), rt.heapAt(out)];
  const inPlace = kAt >= 0 && vAt >= 0;
  const k = rt.kernels;
  for (let t0 = 0; t0 < T; ) {
    const s = rowSeq[t0]!;
    const startPos = positions[t0]!;
    let n = 1;
    while (t0 + n < T && rowSeq[t0 + n] === s && positions[t0 + n] === startPos + n) n++;
    const L = startPos + n;
    const rOff = inPlace ? rt.scratch(8, L * 4) : 0;
    const kOff = inPlace ? kAt : rt.scratch(3, L * kvDim * 4);
    const vOff = inPlace ? vAt : rt.scratch(4, L * kvDim * 4);
    const qOff = qAt >= 0 ? qAt + t0 * qDim * 4 : rt.scratch(5, n * qDim * 4);
    const sOff = rt.scratch(6, (L + 4) * 4);
    const oOff = oAt >= 0 ? oAt + t0 * qDim * 4 : rt.scratch(7, n * qDim * 4);
    if (inPlace) {
      // position j's row: byte offset from the pool's start
      const rows = new Int32Array(rt.f32().buffer, rOff, L);
      for (let j = 0, pg = s * pagesPerSeq; j < L; j += pageSize, pg++) {
        const base = pageTable[pg]! * pageSize * kvDim * 4;
        for (let i = 0, e = Math.min(pageSize, L - j); i < e; i++) rows[j + i] = base + i * kvDim * 4;
      }
    } else {
      for (let j = 0, pg = s * pagesPerSeq; j < L; j += pageSize, pg++) {
        const src = pageTable[pg]! * pageSize * kvDim;
        const len = Math.min(pageSize, L - j) * kvDim;
        rt.stageIn(kPool, kAt, src, len, kOff + j * kvDim * 4);
        rt.stageIn(vPool, vAt, src, len, vOff + j * kvDim * 4);
      }
    }
    if (qAt < 0) rt.stageIn(q, -1, t0 * qDim, n * qDim, qOff);
    for (let h = 0; h < nHeads; h++) {
      const g = Math.floor(h / group);
      if (inPlace) k.attnp(qOff + h * hd * 4, kOff + g * hd * 4, vOff + g * hd * 4, oOff + h * hd * 4, sOff, n, startPos, hd, qDim * 4, rOff, scale);
      else k.attn(qOff + h * hd * 4, kOff + g * hd * 4, vOff + g * hd * 4, oOff + h * hd * 4, sOff, n, startPos, hd, qDim * 4, kvDim * 4, scale);
    }
    if (oAt < 0) out.set(rt.f32().subarray(oOff >> 2, (oOff >> 2) + n * qDim), t0 * qDim);
    t0 += n;
  }
}
