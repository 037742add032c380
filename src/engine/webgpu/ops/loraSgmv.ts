/// <reference types="@webgpu/types" />
/**
 * Multi-LoRA for prefill on the GPU, SGMV-style (shaders/sgmv.wgsl), twin of
 * `cpu/kernels/loraApply.ts`: rows are cut into segments of consecutive rows on one adapter
 * (`loraSegments`), and each segment runs a tiled matmul against its own A, then its own B,
 * accumulating `scale · (x · Aᵀ) · Bᵀ` into `out`. Rows outside every segment (adapter -1) cost nothing.
 *
 * @example
 * const seg = loraSegments(rowAdapter);
 * loraSgmv(rt, { x, T, inDim, outDim, slots, pool, maxRank, out }, rt.upload(seg.data), seg);
 */
import type { GpuRuntime } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, type GpuProgram } from '../program.ts';
import { checkLoraArgs, type LoraArgs } from './loraBgmv.ts';
import type { LoraSegments } from './loraSlots.ts';

export function sgmvPrograms(a: LoraArgs & { scratch: GPUBuffer }, segments: GPUBuffer, seg: Pick<LoraSegments, 'count' | 'maxLen'>): [GpuProgram, GpuProgram] | [] {
  const op = 'loraSgmv';
  checkLoraArgs(op, a);
  if (seg.count === 0) return [];
  checkBuffer(op, 'segments', segments, seg.count * 4);
  if (!(seg.maxLen >= 1 && seg.maxLen <= a.T)) throw badShape(op, `the longest segment (${seg.maxLen} rows) must be within 1..${a.T}.`);
  const bindings = [
    { binding: 1, buffer: a.x },
    { binding: 3, buffer: a.slots },
    { binding: 4, buffer: a.pool },
    { binding: 5, buffer: a.scratch },
    { binding: 6, buffer: a.out },
    { binding: 7, buffer: segments },
  ];
  const rows = Math.ceil(seg.maxLen / 32);
  const make = (mode: 0 | 1): GpuProgram => ({
    name: `${op}-${mode === 0 ? 'shrink' : 'expand'}`,
    shader: ['sgmv'],
    uniforms: [{ u32: a.T }, { u32: a.inDim }, { u32: a.outDim }, { u32: a.maxRank }, { u32: mode }, { u32: 0 }, { u32: 0 }, { u32: 0 }],
    bindings,
    dispatch: [Math.ceil((mode === 0 ? a.maxRank : a.outDim) / 64), rows, seg.count],
  });
  const progs: [GpuProgram, GpuProgram] = [make(0), make(1)];
  for (const p of progs) checkGroups(op, p.dispatch);
  return progs;
}

export function loraSgmv(rt: GpuRuntime, a: LoraArgs, segments: GPUBuffer, seg: Pick<LoraSegments, 'count' | 'maxLen'>): void {
  const scratch = a.scratch ?? rt.pool.acquire(a.T * a.maxRank * 4);
  try {
    for (const p of sgmvPrograms({ ...a, scratch }, segments, seg)) rt.run(p);
  } finally {
    if (!a.scratch) rt.pool.release(scratch);
  }
}
