/// <reference types="@webgpu/types" />
/**
 * Multi-LoRA for the `coarse` kernel family (shaders/lora_coarse.wgsl), twin of `cpu/kernels/loraApply.ts`:
 * `out[t] += scale_s · (x[t] · A_sᵀ) · B_sᵀ` for every row with an adapter (rows with -1 are in no block and
 * cost nothing). One kernel for decode and prefill, with no workgroup memory and no barrier, which is what a
 * software adapter runs well; real GPUs keep BGMV / SGMV (`loraBgmv`, `loraSgmv`). The shrink runs on one-row
 * blocks, 4 ranks per invocation; the expand, 4 output columns per invocation, on blocks of up to 8 rows of one
 * adapter when runs are long (`expand8`: one load of B feeds every row of the block), else on one-row blocks.
 * x, A, B and the scratch are read as vec4 words where 4-aligned (in_dim, max_rank, the slot's offsets and rank).
 * With an epilogue (`a.epilogue`) the expand's blocks must cover every row (`loraCoarseBlocks(…, true)`).
 *
 * @example
 * const b = loraCoarseBlocks(rowAdapter);
 * loraCoarse(rt, { x, T, inDim, outDim, slots, pool, maxRank, out }, rt.upload(b.rows.data), rt.upload(b.blocks.data), b);
 */
import type { GpuRuntime } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, type GpuProgram } from '../program.ts';
import { checkLoraArgs, loraAux, type LoraArgs } from './loraBgmv.ts';
import { epilogueCode } from './matmul.ts';
import { loraBlocks, loraSegments, type LoraSegments } from './loraSlots.ts';

/** rows per block in `expand8` (RB in the shader) */
export const LORA_COARSE_ROWS = 8;

export interface LoraCoarseBlocks {
  /** one-row blocks (the shrink's) */
  rows: LoraSegments;
  /** the expand's blocks: `rows` itself, or ≤ 8-row blocks */
  blocks: LoraSegments;
}

/**
 * The blocks for `rowAdapter`: when runs of one adapter average ≥ 4 rows (prefill, a batch on one adapter), the
 * expand takes ≤ 8-row blocks; else (a decode batch on mixed adapters) one-row blocks, so that no invocation
 * computes rows it then throws away. `withIdle`: the expand's blocks cover the rows without an adapter too (an
 * expand with an epilogue owes it to every row).
 */
export function loraCoarseBlocks(rowAdapter: Int32Array, T = rowAdapter.length, withIdle = false): LoraCoarseBlocks {
  const seg = loraSegments(rowAdapter, T);
  const rows = loraBlocks(rowAdapter, T, 1);
  if (rows.count >= 4 * seg.count) return { rows, blocks: loraBlocks(rowAdapter, T, LORA_COARSE_ROWS, withIdle) };
  return { rows, blocks: withIdle ? loraBlocks(rowAdapter, T, 1, true) : rows };
}

/** a 2-D grid of `wg`-wide workgroups covering `n` invocations (the shader numbers them flat) */
function grid(n: number, wg: number): [number, number, number] {
  const w = Math.ceil(n / wg);
  const MAX_X = 65535;
  return [Math.min(w, MAX_X), Math.ceil(w / MAX_X), 1];
}

type Blocks = Pick<LoraSegments, 'count' | 'maxLen'>;

export function loraCoarsePrograms(a: LoraArgs & { scratch: GPUBuffer }, rowsBuf: GPUBuffer, blocksBuf: GPUBuffer, b: { rows: Blocks; blocks: Blocks }): GpuProgram[] {
  const op = 'loraCoarse';
  checkLoraArgs(op, a);
  // no adapter rows: nothing to do, unless an epilogue is owed (then the expand alone, over idle blocks)
  if (b.rows.count === 0 && !a.epilogue) return [];
  if (b.rows.count > 0 && b.rows.maxLen !== 1) throw badShape(op, `the shrink takes one-row blocks (got ${b.rows.maxLen} rows).`);
  if (!(b.blocks.maxLen >= 1 && b.blocks.maxLen <= Math.min(a.T, LORA_COARSE_ROWS))) throw badShape(op, `the longest block (${b.blocks.maxLen} rows) must be within 1..${Math.min(a.T, LORA_COARSE_ROWS)}.`);
  checkBuffer(op, 'rows', rowsBuf, b.rows.count * 4);
  checkBuffer(op, 'blocks', blocksBuf, b.blocks.count * 4);
  const rankGroups = Math.ceil(a.maxRank / 4);
  const colGroups = Math.ceil(a.outDim / 4);

  const uniforms = (n: number, groups: number, epilogue: number) => [
    { u32: a.T },
    { u32: a.inDim },
    { u32: a.outDim },
    { u32: a.maxRank },
    { u32: n },
    { u32: groups },
    { u32: a.inDim % 4 === 0 ? 1 : 0 },
    { u32: a.maxRank % 4 === 0 ? 1 : 0 },
    { u32: epilogue },
    { u32: 0 },
    { u32: 0 },
    { u32: 0 },
  ];
  const shrink: GpuProgram = {
    name: `${op}-shrink`,
    shader: ['lib/epilogue', 'lora_coarse'],
    entryPoint: 'shrink',
    uniforms: uniforms(b.rows.count, rankGroups, 0),
    bindings: [
      { binding: 1, buffer: a.x },
      { binding: 2, buffer: rowsBuf },
      { binding: 3, buffer: a.slots },
      { binding: 4, buffer: a.pool },
      { binding: 5, buffer: a.scratch },
      { binding: 7, buffer: a.pool },
      { binding: 8, buffer: a.x },
    ],
    dispatch: grid(b.rows.count * rankGroups, 8),
  };
  const entry = b.blocks.maxLen > 1 ? 'expand8' : 'expand';
  const expand: GpuProgram = {
    name: `${op}-${entry}`,
    shader: ['lib/epilogue', 'lora_coarse'],
    entryPoint: entry,
    uniforms: uniforms(b.blocks.count, colGroups, epilogueCode(a.epilogue)),
    bindings: [
      { binding: 2, buffer: blocksBuf },
      { binding: 3, buffer: a.slots },
      { binding: 4, buffer: a.pool },
      { binding: 6, buffer: a.out },
      { binding: 7, buffer: a.pool },
      { binding: 9, buffer: a.scratch },
      { binding: 10, buffer: a.scratch },
      { binding: 11, buffer: loraAux(a) },
    ],
    dispatch: grid(b.blocks.count * colGroups, 32),
  };
  const progs = b.rows.count === 0 ? [expand] : [shrink, expand];
  for (const p of progs) checkGroups(op, p.dispatch);
  return progs;
}

export function loraCoarse(rt: GpuRuntime, a: LoraArgs, rowsBuf: GPUBuffer, blocksBuf: GPUBuffer, b: { rows: Blocks; blocks: Blocks }): void {
  const scratch = a.scratch ?? rt.pool.acquire(a.T * a.maxRank * 4);
  try {
    for (const p of loraCoarsePrograms({ dummy: rt.dummy, ...a, scratch }, rowsBuf, blocksBuf, b)) rt.run(p);
  } finally {
    if (!a.scratch) rt.pool.release(scratch);
  }
}
