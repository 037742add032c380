/// <reference types="@webgpu/types" />
/**
 * Multi-LoRA for the `coarse` kernel family (shaders/lora_coarse.wgsl), twin of `cpu/kernels/loraApply.ts`:
 * `out[t] += scale_s · (x[t] · A_sᵀ) · B_sᵀ` for every row in `blocks` (`loraBlocks`: runs of ≤ 8 rows on one
 * adapter; rows outside every block cost nothing). One kernel for decode and prefill: each invocation owns
 * 4 ranks (shrink) or 4 output columns (expand) of one block, with no workgroup memory and no barrier, which
 * is what a software adapter runs well; real GPUs keep BGMV / SGMV (`loraBgmv`, `loraSgmv`).
 *
 * @example
 * const blocks = loraBlocks(rowAdapter);
 * loraCoarse(rt, { x, T, inDim, outDim, slots, pool, maxRank, out }, rt.upload(blocks.data), blocks);
 */
import type { GpuRuntime } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, type GpuProgram } from '../program.ts';
import { checkLoraArgs, type LoraArgs } from './loraBgmv.ts';
import type { LoraSegments } from './loraSlots.ts';

const WG = 32;
const MAX_X = 65535;

/** a 2-D grid of 32-wide workgroups covering `n` invocations (the shader numbers them flat) */
function grid(n: number): [number, number, number] {
  const w = Math.ceil(n / WG);
  return [Math.min(w, MAX_X), Math.ceil(w / MAX_X), 1];
}

export function loraCoarsePrograms(a: LoraArgs & { scratch: GPUBuffer }, blocks: GPUBuffer, blk: Pick<LoraSegments, 'count' | 'maxLen'>): [GpuProgram, GpuProgram] | [] {
  const op = 'loraCoarse';
  checkLoraArgs(op, a);
  if (blk.count === 0) return [];
  checkBuffer(op, 'blocks', blocks, blk.count * 4);
  if (!(blk.maxLen >= 1 && blk.maxLen <= a.T)) throw badShape(op, `the longest block (${blk.maxLen} rows) must be within 1..${a.T}.`);
  const make = (entry: 'shrink' | 'expand', groups: number): GpuProgram => ({
    name: `${op}-${entry}`,
    shader: ['lora_coarse'],
    entryPoint: entry,
    uniforms: [{ u32: a.T }, { u32: a.inDim }, { u32: a.outDim }, { u32: a.maxRank }, { u32: blk.count }, { u32: groups }, { u32: 0 }, { u32: 0 }],
    bindings: [
      ...(entry === 'shrink' ? [{ binding: 1, buffer: a.x }] : []),
      { binding: 2, buffer: blocks },
      { binding: 3, buffer: a.slots },
      { binding: 4, buffer: a.pool },
      { binding: 5, buffer: a.scratch },
      ...(entry === 'expand' ? [{ binding: 6, buffer: a.out }] : []),
    ],
    dispatch: grid(blk.count * groups),
  });
  const progs: [GpuProgram, GpuProgram] = [make('shrink', Math.ceil(a.maxRank / 4)), make('expand', Math.ceil(a.outDim / 4))];
  for (const p of progs) checkGroups(op, p.dispatch);
  return progs;
}

export function loraCoarse(rt: GpuRuntime, a: LoraArgs, blocks: GPUBuffer, blk: Pick<LoraSegments, 'count' | 'maxLen'>): void {
  const scratch = a.scratch ?? rt.pool.acquire(a.T * a.maxRank * 4);
  try {
    for (const p of loraCoarsePrograms({ ...a, scratch }, blocks, blk)) rt.run(p);
  } finally {
    if (!a.scratch) rt.pool.release(scratch);
  }
}
