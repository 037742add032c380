/// <reference types="@webgpu/types" />
/**
 * Causal GQA attention over the KV cache on the GPU (shaders/attention.wgsl), twin of
 * `cpu/kernels/attention.ts`; prefill (T > 1) and decode (T = 1). Query/output rows `rowOffset ..
 * rowOffset+T` of a concatenated batch. The caches must already hold
 * positions 0 .. startPos+T-1 (see kvWrite). Two kernels with one contract: `wg` (shaders/attention.wgsl,
 * one workgroup per (head, query), for real GPUs) and `coarse` (shaders/attention_coarse.wgsl, one
 * invocation per (query, head) with no barriers, for the `coarse` kernel family; headDim % 4 == 0, ≤ 128).
 *
 * @example
 * attention(rt, q, kCache, vCache, 1, pos, nHeads, nKvHeads, headDim, out);
 */
import type { GpuRuntime, KernelFamily } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, checkInt, dispatch1d, type GpuProgram } from '../program.ts';

export const ATTENTION_MAX_HEAD_DIM = 256;
/** the coarse kernel keeps q and the output row in registers: headDim / 4 vec4 each */
export const ATTENTION_COARSE_MAX_HEAD_DIM = 128;

export type AttentionVariant = 'wg' | 'coarse';

export function attentionVariant(headDim: number, kernels: KernelFamily = 'gpu'): AttentionVariant {
  return kernels === 'coarse' && headDim % 4 === 0 && headDim <= ATTENTION_COARSE_MAX_HEAD_DIM ? 'coarse' : 'wg';
}

export function attentionProgram(
  q: GPUBuffer,
  kCache: GPUBuffer,
  vCache: GPUBuffer,
  T: number,
  startPos: number,
  nHeads: number,
  nKvHeads: number,
  headDim: number,
  out: GPUBuffer,
  rowOffset = 0,
  variant: AttentionVariant = 'wg',
): GpuProgram {
  const op = 'attention';
  checkInt(op, 'T', T);
  checkInt(op, 'startPos', startPos, 0);
  checkInt(op, 'nHeads', nHeads);
  checkInt(op, 'nKvHeads', nKvHeads);
  checkInt(op, 'headDim', headDim, 1, ATTENTION_MAX_HEAD_DIM);
  if (nHeads % nKvHeads !== 0) throw badShape(op, `${nHeads} query heads cannot be grouped over ${nKvHeads} KV heads.`);
  const S = startPos + T;
  checkInt(op, 'rowOffset', rowOffset, 0);
  checkBuffer(op, 'q', q, (rowOffset + T) * nHeads * headDim);
  checkBuffer(op, 'out', out, (rowOffset + T) * nHeads * headDim);
  checkBuffer(op, 'kCache', kCache, S * nKvHeads * headDim);
  checkBuffer(op, 'vCache', vCache, S * nKvHeads * headDim);
  if (out === q) throw badShape(op, 'out must not be q.');
  if (variant === 'coarse' && (headDim % 4 !== 0 || headDim > ATTENTION_COARSE_MAX_HEAD_DIM)) {
    throw badShape(op, `the coarse kernel needs headDim % 4 == 0 and ≤ ${ATTENTION_COARSE_MAX_HEAD_DIM} (got ${headDim}).`);
  }
  const dispatch: [number, number, number] = variant === 'coarse' ? dispatch1d(T * nHeads, 32) : [nHeads, T, 1];
  checkGroups(op, dispatch);
  return {
    name: `${op}-${variant}`,
    shader: ['lib/online_softmax', variant === 'coarse' ? 'attention_coarse' : 'attention'],
    uniforms: [{ u32: T }, { u32: startPos }, { u32: nHeads }, { u32: nKvHeads }, { u32: headDim }, { f32: 1 / Math.sqrt(headDim) }, { u32: rowOffset }, { u32: 0 }],
    bindings: [
      { binding: 1, buffer: q },
      { binding: 2, buffer: kCache },
      { binding: 3, buffer: vCache },
      { binding: 4, buffer: out },
    ],
    dispatch,
  };
}

export function attention(
  rt: GpuRuntime,
  q: GPUBuffer,
  kCache: GPUBuffer,
  vCache: GPUBuffer,
  T: number,
  startPos: number,
  nHeads: number,
  nKvHeads: number,
  headDim: number,
  out: GPUBuffer,
  rowOffset = 0,
  variant: AttentionVariant = attentionVariant(headDim, rt.kernels),
): void {
  rt.run(attentionProgram(q, kCache, vCache, T, startPos, nHeads, nKvHeads, headDim, out, rowOffset, variant));
}
