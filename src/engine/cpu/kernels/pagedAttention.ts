/**
 * Causal GQA attention over a paged KV pool for a whole batch (CPU twin of `shaders/paged_attention.wgsl` and
 * `shaders/paged_attention_coarse.wgsl`). Row `t` of `q` (`[T, nHeads, headDim]`) sits at position `positions[t]` of
 * the sequence whose page table is `rowSeq[t]`, and attends to that sequence's keys `0 .. positions[t]`; key `j` is pool
 * row `pageTable[rowSeq[t] * pagesPerSeq + floor(j / pageSize)] * pageSize + j % pageSize` of `kPool` / `vPool`
 * (`[nPages * pageSize, nKvHeads, headDim]`). Per row the same math as `kernels/attention.ts` (`attendRow`, shared with it), so a row gives the bits the contiguous kernel gives.
 *
 * @example
 * pagedAttention(q, kPool, vPool, T, 8, 2, 64, out, { pageSize: 16, positions, rowSeq, pageTable, pagesPerSeq });
 */
import { TributaryError } from '../../../core/errors.ts';
import type { PagedRows } from '../../backend.ts';
import { attendRow } from './attention.ts';

let rowBuf = new Int32Array(0);

/** Checks a `PagedRows` against `T` rows and a pool of `poolRows` rows; returns the longest key count. */
export function checkPagedRows(op: string, T: number, p: PagedRows, poolRows: number): number {
  const bad = (m: string): never => {
    throw new TributaryError('engine/bad-shape', `${op}: ${m}`);
  };
  const { pageSize, pagesPerSeq } = p;
  if (!(Number.isInteger(pageSize) && pageSize > 0 && Number.isInteger(pagesPerSeq) && pagesPerSeq > 0)) bad(`pageSize ${pageSize} and pagesPerSeq ${pagesPerSeq} must be positive integers.`);
  if (p.positions.length < T || p.rowSeq.length < T) bad(`${T} rows need ${T} positions and sequence indices.`);
  const nPages = Math.floor(poolRows / pageSize);
  const nSeq = Math.floor(p.pageTable.length / pagesPerSeq);
  let maxKeys = 0;
  for (let t = 0; t < T; t++) {
    const pos = p.positions[t]!;
    const s = p.rowSeq[t]!;
    if (!(s >= 0 && s < nSeq)) bad(`row ${t} reads page table ${s}, outside 0..${nSeq - 1}.`);
    if (!(pos >= 0 && pos < pagesPerSeq * pageSize)) bad(`row ${t} is at position ${pos}, beyond its page table of ${pagesPerSeq} pages of ${pageSize}.`);
    for (let pg = 0; pg <= Math.floor(pos / pageSize); pg++) {
      const phys = p.pageTable[s * pagesPerSeq + pg]!;
      if (!(phys >= 0 && phys < nPages)) bad(`row ${t}'s page ${pg} is pool page ${phys}, outside 0..${nPages - 1}.`);
    }
    maxKeys = Math.max(maxKeys, pos + 1);
  }
  return maxKeys;
}

export function pagedAttention(
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
  if (nHeads % nKvHeads !== 0) {
    throw new TributaryError('engine/bad-config', `pagedAttention: ${nHeads} query heads cannot be grouped over ${nKvHeads} KV heads.`);
  }
  if (headDim % 4 !== 0) throw new TributaryError('engine/bad-config', `pagedAttention: the head size ${headDim} must be a multiple of 4.`);
  const kvStride = nKvHeads * headDim;
  if (q.length < T * nHeads * headDim || out.length < T * nHeads * headDim) {
    throw new TributaryError('engine/bad-shape', `pagedAttention: q and out need ${T * nHeads * headDim} values.`);
  }
  const maxKeys = checkPagedRows('pagedAttention', T, paged, Math.min(kPool.length, vPool.length) / kvStride);
  const { pageSize, pagesPerSeq, pageTable } = paged;
  if (rowBuf.length < maxKeys) rowBuf = new Int32Array(maxKeys);
  const rowOf = rowBuf;
  for (let t = 0; t < T; t++) {
    const L = paged.positions[t]! + 1;
    const pt = paged.rowSeq[t]! * pagesPerSeq;
    for (let s = 0; s < L; s++) rowOf[s] = (pageTable[pt + Math.floor(s / pageSize)]! * pageSize + (s % pageSize)) * kvStride;
    attendRow(q, t, nHeads, nKvHeads, headDim, kPool, vPool, rowOf, L, out);
  }
}
