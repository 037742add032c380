/// <reference types="@webgpu/types" />
/**
 * Multi-LoRA for the `coarse` kernel family (shaders/lora_coarse.wgsl), twin of `cpu/kernels/loraApply.ts`:
 * `out[t] += scale_s · (x[t] · A_sᵀ) · B_sᵀ` for every row in `blocks` (`loraCoarseBlocks`: runs of rows on one
 * adapter cut into blocks of ≤ 8 rows, or of 1 row for a batch on mixed adapters; rows outside every block cost
 * nothing). One kernel for decode and prefill: each invocation owns 4 ranks (shrink) or 4 output columns
 * (expand) of one block, with no workgroup memory and no barrier, which is what a software adapter runs well;
 * real GPUs keep BGMV / SGMV (`loraBgmv`, `loraSgmv`). Blocks longer than one row take the `*8` entries (one
 * load of A or B feeds every row of the block).
 *
 * @example
 * const blocks = loraCoarseBlocks(rowAdapter);
 * loraCoarse(rt, { x, T, inDim, outDim, slots, pool, maxRank, out }, rt.upload(blocks.data), blocks);
 */
import type { GpuRuntime } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, type GpuProgram } from '../program.ts';
import { checkLoraArgs, type LoraArgs } from './loraBgmv.ts';
import { loraBlocks, loraSegments, type LoraSegments } from './loraSlots.ts';

const WG = 32;
const MAX_X = 65535;

/** rows per block in the `*8` entries (RB in the shader) */
export const LORA_COARSE_ROWS = 8;

/**
 * The blocks for `rowAdapter`: when runs of one adapter average ≥ 4 rows (prefill, a batch on one adapter),
 * ≤ 8-row blocks so that the `*8` entries reuse each load of A and B; else (a decode batch on mixed adapters)
 * one row per block, so that no invocation computes rows it then throws away.
 */
export function loraCoarseBlocks(rowAdapter: Int32Array, T = rowAdapter.length): LoraSegments {
  const seg = loraSegments(rowAdapter, T);
  let rows = 0;
  for (let i = 0; i < seg.count; i++) rows += seg.data[i * 4 + 1]!;
  return loraBlocks(rowAdapter, T, rows >= 4 * seg.count ? LORA_COARSE_ROWS : 1);
}

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
  if (!(blk.maxLen >= 1 && blk.maxLen <= Math.min(a.T, LORA_COARSE_ROWS))) throw badShape(op, `the longest block (${blk.maxLen} rows) must be within 1..${Math.min(a.T, LORA_COARSE_ROWS)}.`);
  const rows = blk.maxLen > 1 ? '8' : '';
  const make = (entry: 'shrink' | 'expand', groups: number): GpuProgram => ({
    name: `${op}-${entry}${rows}`,
    shader: ['lora_coarse'],
    entryPoint: entry + rows,
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
