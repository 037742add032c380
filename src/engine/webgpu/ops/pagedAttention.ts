/// <reference types="@webgpu/types" />
/**
 * The paged KV cache on the GPU, twins of `cpu/kernels/kvWritePaged.ts` and `cpu/kernels/pagedAttention.ts`:
 * - `kvWritePaged` (shaders/kv_write_paged.wgsl): the batch's new K and V rows into their pool rows, one dispatch;
 * - `pagedAttention`: causal GQA attention of every row of a batch over its own sequence's pages, one dispatch. Two
 *   kernels with one contract, picked like `attention`'s: `wg` (shaders/paged_attention.wgsl, one workgroup per (head,
 *   row), the `gpu` family) and `coarse` (shaders/paged_attention_coarse.wgsl, one barrier-free invocation per (row,
 *   head), the `coarse` family; headDim % 4 == 0, ≤ 128).
 * The per-row data is uploaded by the caller: `rows` = i32 pairs (position, page table index), `pageTable` = i32
 * `[nSeq, pagesPerSeq]` physical page numbers.
 *
 * @example
 * pagedAttention(rt, q, kPool, vPool, T, nH, nKv, hd, out, { rows, pageTable, pageSize: 16, pagesPerSeq, poolRows });
 */
import type { GpuRuntime } from '../runtime.ts';
import { attentionVariant, ATTENTION_COARSE_MAX_HEAD_DIM, ATTENTION_MAX_HEAD_DIM, type AttentionVariant } from './attention.ts';
import { badShape, checkBuffer, checkGroups, checkInt, dispatch1d, type GpuProgram } from '../program.ts';

export function kvWritePagedProgram(k: GPUBuffer, v: GPUBuffer, T: number, rowLen: number, kPool: GPUBuffer, vPool: GPUBuffer, dstRows: GPUBuffer, poolRows: number): GpuProgram {
  const op = 'kvWritePaged';
  checkInt(op, 'T', T);
  checkInt(op, 'rowLen', rowLen);
  checkInt(op, 'poolRows', poolRows);
  checkBuffer(op, 'k', k, T * rowLen);
  checkBuffer(op, 'v', v, T * rowLen);
  checkBuffer(op, 'dstRows', dstRows, T);
  checkBuffer(op, 'kPool', kPool, poolRows * rowLen);
  checkBuffer(op, 'vPool', vPool, poolRows * rowLen);
  const dispatch = dispatch1d(T * rowLen);
  checkGroups(op, dispatch);
  return {
    name: op,
    shader: ['kv_write_paged'],
    uniforms: [{ u32: T }, { u32: rowLen }, { u32: 0 }, { u32: 0 }],
    bindings: [
      { binding: 1, buffer: k },
      { binding: 2, buffer: v },
      { binding: 3, buffer: dstRows },
      { binding: 4, buffer: kPool },
      { binding: 5, buffer: vPool },
    ],
    dispatch,
  };
}

export function kvWritePaged(rt: GpuRuntime, k: GPUBuffer, v: GPUBuffer, T: number, rowLen: number, kPool: GPUBuffer, vPool: GPUBuffer, dstRows: GPUBuffer, poolRows: number): void {
  rt.run(kvWritePagedProgram(k, v, T, rowLen, kPool, vPool, dstRows, poolRows));
}

export interface PagedBuffers {
  /** i32 pairs per row: (position, page table index) */
  rows: GPUBuffer;
  /** i32 `[nSeq, pagesPerSeq]` physical page numbers */
  pageTable: GPUBuffer;
  pageSize: number;
  pagesPerSeq: number;
  /** rows of each pool (`nPages * pageSize`) */
  poolRows: number;
}

export function pagedAttentionProgram(
  q: GPUBuffer,
  kPool: GPUBuffer,
  vPool: GPUBuffer,
  T: number,
  nHeads: number,
  nKvHeads: number,
  headDim: number,
  out: GPUBuffer,
  p: PagedBuffers,
  variant: AttentionVariant = 'wg',
): GpuProgram {
  const op = 'pagedAttention';
  checkInt(op, 'T', T);
  checkInt(op, 'nHeads', nHeads);
  checkInt(op, 'nKvHeads', nKvHeads);
  checkInt(op, 'headDim', headDim, 1, ATTENTION_MAX_HEAD_DIM);
  checkInt(op, 'pageSize', p.pageSize);
  checkInt(op, 'pagesPerSeq', p.pagesPerSeq);
  checkInt(op, 'poolRows', p.poolRows);
  if (nHeads % nKvHeads !== 0) throw badShape(op, `${nHeads} query heads cannot be grouped over ${nKvHeads} KV heads.`);
  checkBuffer(op, 'q', q, T * nHeads * headDim);
  checkBuffer(op, 'out', out, T * nHeads * headDim);
  checkBuffer(op, 'kPool', kPool, p.poolRows * nKvHeads * headDim);
  checkBuffer(op, 'vPool', vPool, p.poolRows * nKvHeads * headDim);
  checkBuffer(op, 'rows', p.rows, 2 * T);
  checkBuffer(op, 'pageTable', p.pageTable, p.pagesPerSeq);
  if (out === q) throw badShape(op, 'out must not be q.');
  if (variant === 'coarse' && (headDim % 4 !== 0 || headDim > ATTENTION_COARSE_MAX_HEAD_DIM)) {
    throw badShape(op, `the coarse kernel needs headDim % 4 == 0 and ≤ ${ATTENTION_COARSE_MAX_HEAD_DIM} (got ${headDim}).`);
  }
  const dispatch: [number, number, number] = variant === 'coarse' ? dispatch1d(T * nHeads, 32) : [nHeads, T, 1];
  checkGroups(op, dispatch);
  return {
    name: `${op}-${variant}`,
    shader: ['lib/online_softmax', variant === 'coarse' ? 'paged_attention_coarse' : 'paged_attention'],
    uniforms: [{ u32: T }, { u32: nHeads }, { u32: nKvHeads }, { u32: headDim }, { f32: 1 / Math.sqrt(headDim) }, { u32: p.pageSize }, { u32: p.pagesPerSeq }, { u32: 0 }],
    bindings: [
      { binding: 1, buffer: q },
      { binding: 2, buffer: kPool },
      { binding: 3, buffer: vPool },
      { binding: 4, buffer: p.rows },
      { binding: 5, buffer: p.pageTable },
      { binding: 6, buffer: out },
    ],
    dispatch,
  };
}

export function pagedAttention(
  rt: GpuRuntime,
  q: GPUBuffer,
  kPool: GPUBuffer,
  vPool: GPUBuffer,
  T: number,
  nHeads: number,
  nKvHeads: number,
  headDim: number,
  out: GPUBuffer,
  p: PagedBuffers,
  variant: AttentionVariant = attentionVariant(headDim, rt.kernels),
): void {
  rt.run(pagedAttentionProgram(q, kPool, vPool, T, nHeads, nKvHeads, headDim, out, p, variant));
}
