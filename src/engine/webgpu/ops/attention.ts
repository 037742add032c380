/// <reference types="@webgpu/types" />
/**
 * Causal GQA attention over the KV cache on the GPU (shaders/attention.wgsl), twin of
 * `cpu/kernels/attention.ts`; prefill (T > 1) and decode (T = 1). Query/output rows `rowOffset ..
 * rowOffset+T` of a concatenated batch. The caches must already hold
 * positions 0 .. startPos+T-1 (see kvWrite). One workgroup per (head, query), online softmax.
 *
 * @example
 * attention(rt, q, kCache, vCache, 1, pos, nHeads, nKvHeads, headDim, out);
 */
import type { GpuRuntime } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, checkInt, type GpuProgram } from '../program.ts';

export const ATTENTION_MAX_HEAD_DIM = 256;

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
  const dispatch: [number, number, number] = [nHeads, T, 1];
  checkGroups(op, dispatch);
  return {
    name: op,
    shader: ['attention'],
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
): void {
  rt.run(attentionProgram(q, kCache, vCache, T, startPos, nHeads, nKvHeads, headDim, out, rowOffset));
}
