/**
 * Multi-LoRA on the WASM heap: the CPU backend's LoRA pools keep their slots on the heap (written once per adapter
 * load, so nothing is copied per call) and `loraApplySimd` runs the `loraShrink` / `loraExpand` kernels
 * (`simdModule.ts`) over segments of consecutive rows that share a slot (Punica's SGMV; a decode batch of distinct
 * adapters is segments of one row, BGMV). Same contract as `kernels/loraApply.ts`, which stays the plain-JS twin.
 *
 * Heap layout per pool: each slot holds `maxRank·kp` values of `A` and `maxRank·np` of `Bᵀ`, with `kp` / `np` the
 * dimensions rounded up to 4 and the padding zero, ordered the way the kernels read them (`loraAIndex` /
 * `loraBtIndex`): `A` in blocks of 4 ranks interleaved along k, `Bᵀ` in chunks of 16 output columns, so each kernel
 * tile reads one sequential stream (a decode batch of distinct adapters is bound by streaming them from memory: the
 * hardware prefetcher follows one long stream better than 4–16 short ones). `Bᵀ` makes the expand an f32x4 axpy along
 * the output, for any rank. x and the touched rows of `out` are staged through heap scratch at `kp` / `np` strides. Sums in f32 (the twin sums
 * in f64): within ~1e-6 of the magnitude of the summed terms. A row's result does not depend on the rows batched with
 * it (see the kernels), so batched equals alone, bit for bit.
 *
 * @example
 * const p = createHeapLoraSlots(rt, 32, 16, 2048, 2048);
 * if (p) { writeHeapLoraSlot(rt, p, 0, adapter); loraApplySimd(rt, x, T, rowAdapter, p, out); }
 */
import { TributaryError } from '../../../core/errors.ts';
import type { LoraSlotView } from '../kernels/loraApply.ts';
import type { SimdRuntime } from './simdRuntime.ts';

export interface HeapLoraSlots {
  readonly nSlots: number;
  readonly maxRank: number;
  readonly inDim: number;
  readonly outDim: number;
  /** inDim and outDim rounded up to a multiple of 4: the heap strides */
  readonly kp: number;
  readonly np: number;
  /** byte offsets of the A and Bᵀ regions */
  readonly aOff: number;
  readonly btOff: number;
  /** heap bytes held (both regions) */
  readonly bytes: number;
  /** per slot: its rank, −1 when empty */
  readonly rank: Int32Array;
  readonly scale: Float64Array;
}

// scratch slots 0–9 belong to the other kernels (matmul, attention, norms); these are only live inside one call
const X_SCRATCH = 10;
const OUT_SCRATCH = 11;
const H_SCRATCH = 12;

const up4 = (n: number): number => Math.ceil(n / 4) * 4;

/**
 * Where `A[j, k]` of a rank-`r` slot sits in its region (f32 index): ranks in blocks of 4 stored `[kp/4][4][4]`
 * (`loraShrink`'s 4-rank tiles), the last `r mod 4` ranks row-major; a block takes the room of 4 rows.
 */
export function loraAIndex(j: number, k: number, r: number, kp: number): number {
  const jb = j & ~3;
  return jb + 4 <= r ? jb * kp + (k >> 2) * 16 + (j - jb) * 4 + (k & 3) : j * kp + k;
}

/**
 * Where `B[n, j]` (that is `Bᵀ[j, n]`) of a rank-`r` slot sits in its region: columns in chunks of 16 (then of 4 for
 * the last `np mod 16`), a chunk of w columns starting at n0 stored `[r][w]` at `n0·r` (`loraExpand`'s tiles).
 */
export function loraBtIndex(j: number, n: number, r: number, np: number): number {
  const n16 = np & ~15;
  const w = n < n16 ? 16 : 4;
  const n0 = n - (n % w);
  return n0 * r + j * w + (n - n0);
}

/** A pool's slots on the heap (all empty), or null when the heap cannot grow for it. */
export function createHeapLoraSlots(rt: SimdRuntime, nSlots: number, maxRank: number, inDim: number, outDim: number): HeapLoraSlots | null {
  const kp = up4(inDim);
  const np = up4(outDim);
  const aBytes = nSlots * maxRank * kp * 4;
  const btBytes = nSlots * maxRank * np * 4;
  const aOff = rt.alloc(aBytes);
  if (aOff === null) return null;
  const btOff = rt.alloc(btBytes);
  if (btOff === null) {
    rt.free(aOff, aBytes);
    return null;
  }
  return { nSlots, maxRank, inDim, outDim, kp, np, aOff, btOff, bytes: aBytes + btBytes, rank: new Int32Array(nSlots).fill(-1), scale: new Float64Array(nSlots) };
}

export function releaseHeapLoraSlots(rt: SimdRuntime, p: HeapLoraSlots): void {
  rt.free(p.btOff, p.nSlots * p.maxRank * p.np * 4);
  rt.free(p.aOff, p.nSlots * p.maxRank * p.kp * 4);
}

/** Fills (or, with null, empties) a slot; `data` already checked against the pool's shape and rank. */
export function writeHeapLoraSlot(rt: SimdRuntime, p: HeapLoraSlots, slot: number, data: LoraSlotView | null): void {
  if (!data) {
    p.rank[slot] = -1;
    return;
  }
  const { rank: r, A, B } = data;
  const { inDim: K, outDim: N, kp, np } = p;
  const heap = rt.f32();
  const a0 = (p.aOff >> 2) + slot * p.maxRank * kp;
  const b0 = (p.btOff >> 2) + slot * p.maxRank * np;
  // the padding (k ≥ K, n ≥ N) must read as zero: a previous adapter of another rank put values there
  heap.fill(0, a0, a0 + r * kp);
  heap.fill(0, b0, b0 + r * np);
  // the layouts of `loraAIndex` / `loraBtIndex`, walked in destination order (a slot load is on the switch path)
  let j = 0;
  for (; j + 4 <= r; j += 4) {
    for (let k = 0, d = a0 + j * kp; k < K; k += 4, d += 16) {
      for (let q = 0; q < 4; q++) {
        const src = (j + q) * K + k;
        for (let l = 0; l < 4 && k + l < K; l++) heap[d + 4 * q + l] = A[src + l]!;
      }
    }
  }
  for (; j < r; j++) heap.set(A.subarray(j * K, (j + 1) * K), a0 + j * kp);
  const n16 = np & ~15;
  for (let n0 = 0; n0 < N; ) {
    const w = n0 < n16 ? 16 : 4;
    const wn = Math.min(w, N - n0);
    for (let jj = 0, d = b0 + n0 * r; jj < r; jj++, d += w) for (let l = 0; l < wn; l++) heap[d + l] = B[(n0 + l) * r + jj]!;
    n0 += w;
  }
  p.rank[slot] = r;
  p.scale[slot] = data.scale;
}

/** Plain copies of the slots in the twin's layout (`B [outDim, rank]`), for the JS kernel when scratch runs out. */
export function heapLoraSlotViews(rt: SimdRuntime, p: HeapLoraSlots): (LoraSlotView | null)[] {
  const heap = rt.f32();
  const { inDim: K, outDim: N, kp, np } = p;
  return Array.from(p.rank, (r, s) => {
    if (r < 0) return null;
    const A = new Float32Array(r * K);
    const B = new Float32Array(N * r);
    const a0 = (p.aOff >> 2) + s * p.maxRank * kp;
    const b0 = (p.btOff >> 2) + s * p.maxRank * np;
    for (let j = 0; j < r; j++) for (let k = 0; k < K; k++) A[j * K + k] = heap[a0 + loraAIndex(j, k, r, kp)]!;
    for (let n = 0; n < N; n++) for (let j = 0; j < r; j++) B[n * r + j] = heap[b0 + loraBtIndex(j, n, r, np)]!;
    return { rank: r, scale: p.scale[s]!, A, B };
  });
}

/** `loraApplySimd`, or false (nothing done) when the heap cannot grow for scratch: then run the JS twin. */
export function tryLoraApplySimd(...args: Parameters<typeof loraApplySimd>): boolean {
  try {
    loraApplySimd(...args);
    return true;
  } catch (e) {
    if (e instanceof RangeError) return false;
    throw e;
  }
}

/**
 * `out[t] += scale_s · (x[t] · A_sᵀ) · B_sᵀ` for each row `t` with slot `s = rowAdapter[t] ≥ 0` (−1 and rank-0 slots:
 * untouched). Throws `engine/lora-slot` for an empty slot before touching `out`; RangeError when scratch runs out.
 */
export function loraApplySimd(rt: SimdRuntime, x: Float32Array, T: number, rowAdapter: Int32Array, p: HeapLoraSlots, out: Float32Array): void {
  const { inDim: K, outDim: N, kp, np } = p;
  if (x.length < T * K || out.length < T * N || rowAdapter.length < T) {
    throw new TributaryError('engine/bad-shape', `loraApply: x needs ${T}×${K}, out ${T}×${N} and rowAdapter ${T} values.`);
  }
  // the rows [t0, t1) from the first to the last one with LoRA work: the only ones staged
  let t0 = -1;
  let t1 = 0;
  for (let t = 0; t < T; t++) {
    const s = rowAdapter[t]!;
    if (s < 0) continue;
    const r = s < p.nSlots ? p.rank[s]! : -1;
    if (r < 0) throw new TributaryError('engine/lora-slot', `loraApply: row ${t} asks for adapter slot ${s}, which is empty.`);
    if (r === 0) continue;
    if (t0 < 0) t0 = t;
    t1 = t + 1;
  }
  if (t0 < 0 || K === 0 || N === 0) return;
  const n = t1 - t0;
  const [xAt, outAt, xLen, outLen] = [rt.heapAt(x), rt.heapAt(out), x.length, out.length];
  const xOff = rt.scratch(X_SCRATCH, n * kp * 4);
  const oOff = rt.scratch(OUT_SCRATCH, n * np * 4);
  const hOff = rt.scratch(H_SCRATCH, n * Math.max(1, p.maxRank) * 4);
  const heap = rt.f32(); // after the scratch calls: they may grow the memory (and detach heap views of a non-shared one)
  x = rt.reView(x, xAt, xLen);
  out = rt.reView(out, outAt, outLen);
  stage(heap, x, t0, n, K, kp, xOff >> 2);
  stage(heap, out, t0, n, N, np, oOff >> 2);
  const { loraShrink, loraExpand } = rt.kernels;
  for (let t = t0; t < t1; ) {
    const s = rowAdapter[t]!;
    let e = t + 1;
    while (e < t1 && rowAdapter[e] === s) e++;
    const r = s >= 0 ? p.rank[s]! : 0;
    if (r > 0) {
      loraShrink(xOff + (t - t0) * kp * 4, p.aOff + s * p.maxRank * kp * 4, hOff, e - t, kp, r, p.scale[s]!);
      loraExpand(hOff, p.btOff + s * p.maxRank * np * 4, oOff + (t - t0) * np * 4, e - t, np, r);
    }
    t = e;
  }
  const o = oOff >> 2;
  if (np === N) out.set(heap.subarray(o, o + n * N), t0 * N);
  else for (let i = 0; i < n; i++) out.set(heap.subarray(o + i * np, o + i * np + N), (t0 + i) * N);
}

/** Rows `t0 .. t0+n` of `src` (row length `d`) to the heap at `dst` with row stride `dp ≥ d`, zero-padded. */
function stage(heap: Float32Array, src: Float32Array, t0: number, n: number, d: number, dp: number, dst: number): void {
  if (dp === d) {
    heap.set(src.subarray(t0 * d, (t0 + n) * d), dst);
    return;
  }
  for (let i = 0; i < n; i++) {
    heap.set(src.subarray((t0 + i) * d, (t0 + i + 1) * d), dst + i * dp);
    heap.fill(0, dst + i * dp + d, dst + (i + 1) * dp);
  }
}
