/// <reference types="@webgpu/types" />
/**
 * Multi-LoRA for decode on the GPU, BGMV (shaders/bgmv.wgsl), twin of `cpu/kernels/loraApply.ts`:
 * `out[t] += scale_s · (x[t] · A_sᵀ) · B_sᵀ` with `s = rowSlot[t]`; rows with -1 and rank-0 slots are
 * skipped. Two dispatches (shrink into a [T, maxRank] scratch, then expand into `out`). Accumulates:
 * run it after the base matmul wrote `out`. The expand can finish with a matmul epilogue (`epilogue`) on every row.
 *
 * @example
 * loraBgmv(rt, { x, T, inDim, outDim, rowSlot, slots, pool, maxRank, out });
 */
import type { GpuRuntime } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, checkInt, type GpuProgram } from '../program.ts';
import { epilogueCode, type Epilogue } from './matmul.ts';
import { LORA_SLOT_BYTES } from './loraSlots.ts';

export interface LoraArgs {
  x: GPUBuffer;
  T: number;
  inDim: number;
  outDim: number;
  /** i32 [T] (BGMV) */
  rowSlot?: GPUBuffer;
  /** packLoraSlots(...) on the GPU */
  slots: GPUBuffer;
  /** f32 values holding every slot's A and B */
  pool: GPUBuffer;
  /** ≥ the largest rank in the slot table */
  maxRank: number;
  /** [T, outDim], accumulated */
  out: GPUBuffer;
  /** [T, maxRank] f32; taken from the runtime's pool when absent */
  scratch?: GPUBuffer;
  /**
   * Fused into the expand: `aux` [T, outDim] updated from every row's final `out` (rows without an adapter
   * included), as a matmul's epilogue (ops/matmul.ts). SGMV and the coarse kernel then need expand segments /
   * blocks that cover every row (`withIdle`).
   */
  epilogue?: Epilogue;
  /** a small storage buffer bound as `aux` when there is no epilogue (`GpuRuntime.dummy`; the runners pass it) */
  dummy?: GPUBuffer;
}

export function checkLoraArgs(op: string, a: LoraArgs): void {
  checkInt(op, 'T', a.T);
  checkInt(op, 'inDim', a.inDim);
  checkInt(op, 'outDim', a.outDim);
  checkInt(op, 'maxRank', a.maxRank);
  checkBuffer(op, 'x', a.x, a.T * a.inDim);
  checkBuffer(op, 'out', a.out, a.T * a.outDim);
  if (a.slots.size < LORA_SLOT_BYTES) throw badShape(op, 'the slot table is empty.');
  if (a.scratch) checkBuffer(op, 'scratch', a.scratch, a.T * a.maxRank);
  if (a.x === a.out) throw badShape(op, 'out must not be x.');
  const e = a.epilogue;
  if (e) {
    checkBuffer(op, 'aux', e.aux, a.T * a.outDim);
    if (e.aux === a.x || e.aux === a.out || e.aux === a.pool || e.aux === a.slots || e.aux === a.scratch || e.aux === a.rowSlot) throw badShape(op, 'aux must not be one of the kernel\'s other buffers.');
  } else if (!a.dummy) throw badShape(op, 'the LoRA kernels need a dummy buffer for aux when there is no epilogue.');
}

/** the buffer bound as `aux` (checked by checkLoraArgs) */
export function loraAux(a: LoraArgs): GPUBuffer {
  return (a.epilogue?.aux ?? a.dummy)!;
}

export function bgmvPrograms(a: LoraArgs & { rowSlot: GPUBuffer; scratch: GPUBuffer }): [GpuProgram, GpuProgram] {
  const op = 'loraBgmv';
  checkLoraArgs(op, a);
  checkBuffer(op, 'rowSlot', a.rowSlot, a.T);
  const uniforms = [{ u32: a.T }, { u32: a.inDim }, { u32: a.outDim }, { u32: a.maxRank }, { u32: epilogueCode(a.epilogue) }, { u32: 0 }, { u32: 0 }, { u32: 0 }];
  const shrink: GpuProgram = {
    name: `${op}-shrink`,
    shader: ['lib/epilogue', 'bgmv'],
    entryPoint: 'shrink',
    uniforms,
    bindings: [
      { binding: 1, buffer: a.x },
      { binding: 2, buffer: a.rowSlot },
      { binding: 3, buffer: a.slots },
      { binding: 4, buffer: a.pool },
      { binding: 5, buffer: a.scratch },
    ],
    dispatch: [Math.ceil(a.maxRank / 8), a.T, 1],
  };
  const expand: GpuProgram = {
    name: `${op}-expand`,
    shader: ['lib/epilogue', 'bgmv'],
    entryPoint: 'expand',
    uniforms,
    bindings: [
      { binding: 2, buffer: a.rowSlot },
      { binding: 3, buffer: a.slots },
      { binding: 4, buffer: a.pool },
      { binding: 5, buffer: a.scratch },
      { binding: 6, buffer: a.out },
      { binding: 7, buffer: loraAux(a) },
    ],
    dispatch: [Math.ceil(a.outDim / 256), a.T, 1],
  };
  checkGroups(op, shrink.dispatch);
  checkGroups(op, expand.dispatch);
  return [shrink, expand];
}

export function loraBgmv(rt: GpuRuntime, a: LoraArgs & { rowSlot: GPUBuffer }): void {
  const scratch = a.scratch ?? rt.pool.acquire(a.T * a.maxRank * 4);
  try {
    for (const p of bgmvPrograms({ dummy: rt.dummy, ...a, scratch })) rt.run(p);
  } finally {
    if (!a.scratch) rt.pool.release(scratch);
  }
}
