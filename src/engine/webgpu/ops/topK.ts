/// <reference types="@webgpu/types" />
/**
 * Top-K of each logits row on the GPU (shaders/topk.wgsl): `ids[t, r]` / `vals[t, r]` are the r-th largest of
 * `logits[t, :]` in the order (value descending, then id ascending), so sampling reads back 8·K bytes per row
 * instead of the whole vocabulary. NaN is never selected, -0 and +0 tie; slots past a row's non-NaN values
 * get id -1 and value -inf. Exact: bit-for-bit the CPU twin (src/engine/cpu/kernels/topK.ts). K ≤ min(256, V).
 *
 * @example
 * topK(rt, logits, 1, vocab, 40, ids, vals);
 * const [top, p] = await Promise.all([rt.readI32(ids, 40), rt.readF32(vals, 40)]);
 */
import type { GpuRuntime } from '../runtime.ts';
import { checkBuffer, checkGroups, checkInt, type GpuProgram } from '../program.ts';

/** The largest K the kernel takes (one workgroup of 256 threads per row). */
export const TOPK_MAX_K = 256;

export function topKProgram(logits: GPUBuffer, T: number, V: number, K: number, ids: GPUBuffer, vals: GPUBuffer): GpuProgram {
  const op = 'topK';
  checkInt(op, 'T', T);
  checkInt(op, 'V', V);
  checkInt(op, 'K', K, 1, Math.min(TOPK_MAX_K, V));
  checkBuffer(op, 'logits', logits, T * V);
  checkBuffer(op, 'ids', ids, T * K);
  checkBuffer(op, 'vals', vals, T * K);
  checkGroups(op, [T]);
  return {
    name: op,
    shader: ['topk'],
    uniforms: [{ u32: T }, { u32: V }, { u32: K }, { u32: 0 }],
    bindings: [
      { binding: 1, buffer: logits },
      { binding: 2, buffer: ids },
      { binding: 3, buffer: vals },
    ],
    dispatch: [T, 1, 1],
  };
}

export function topK(rt: GpuRuntime, logits: GPUBuffer, T: number, V: number, K: number, ids: GPUBuffer, vals: GPUBuffer): void {
  rt.run(topKProgram(logits, T, V, K, ids, vals));
}
