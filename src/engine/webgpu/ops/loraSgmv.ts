/// <reference types="@webgpu/types" />
/**
 * Multi-LoRA for prefill on the GPU, SGMV-style (shaders/sgmv.wgsl), twin of
 * `cpu/kernels/loraApply.ts`: rows are cut into segments of consecutive rows on one adapter
 * (`loraSegments`), and each segment runs a tiled matmul against its own A, then its own B,
 * accumulating `scale · (x · Aᵀ) · Bᵀ` into `out`. Rows outside every segment (adapter -1) cost nothing. With an
 * epilogue (`a.epilogue`) the expand runs over segments of every row (`expand`), -1 ones only applying it.
 *
 * @example
 * const seg = loraSegments(rowAdapter);
 * loraSgmv(rt, { x, T, inDim, outDim, slots, pool, maxRank, out }, rt.upload(seg.data), seg);
 */
import type { GpuRuntime } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, type GpuProgram } from '../program.ts';
import { checkLoraArgs, loraAux, type LoraArgs } from './loraBgmv.ts';
import { epilogueCode } from './matmul.ts';
import type { LoraSegments } from './loraSlots.ts';

type Segs = Pick<LoraSegments, 'count' | 'maxLen'>;

/**
 * `expand`: the expand's own segments, needed with an epilogue: every row's, rows without an adapter included
 * (`loraSegments(rowAdapter, T, true)`), since each row owes the epilogue. Default: the shrink's.
 */
export function sgmvPrograms(a: LoraArgs & { scratch: GPUBuffer }, segments: GPUBuffer, seg: Segs, expand?: { buffer: GPUBuffer; seg: Segs }): GpuProgram[] {
  const op = 'loraSgmv';
  checkLoraArgs(op, a);
  if (a.epilogue && !expand) throw badShape(op, 'an epilogue needs expand segments that cover every row.');
  // no adapter rows: nothing to do, unless an epilogue is owed (then the expand alone, over idle segments)
  if (seg.count === 0 && !a.epilogue) return [];
  const ex = expand ?? { buffer: segments, seg };
  for (const [what, b, s] of [
    ['segments', segments, seg],
    ['expand segments', ex.buffer, ex.seg],
  ] as const) {
    if (s.count === 0 && s === seg) continue;
    checkBuffer(op, what, b, s.count * 4);
    if (!(s.maxLen >= 1 && s.maxLen <= a.T)) throw badShape(op, `the longest of the ${what} (${s.maxLen} rows) must be within 1..${a.T}.`);
  }
  const make = (mode: 0 | 1): GpuProgram => {
    const sg = mode === 0 ? { buffer: segments, seg } : ex;
    return {
      name: `${op}-${mode === 0 ? 'shrink' : 'expand'}`,
      shader: ['lib/epilogue', 'sgmv'],
      uniforms: [{ u32: a.T }, { u32: a.inDim }, { u32: a.outDim }, { u32: a.maxRank }, { u32: mode }, { u32: mode === 1 ? epilogueCode(a.epilogue) : 0 }, { u32: 0 }, { u32: 0 }],
      bindings: [
        { binding: 1, buffer: a.x },
        { binding: 3, buffer: a.slots },
        { binding: 4, buffer: a.pool },
        { binding: 5, buffer: a.scratch },
        { binding: 6, buffer: a.out },
        { binding: 7, buffer: sg.buffer },
        { binding: 8, buffer: loraAux(a) },
      ],
      dispatch: [Math.ceil((mode === 0 ? a.maxRank : a.outDim) / 64), Math.ceil(sg.seg.maxLen / 32), sg.seg.count],
    };
  };
  const progs = seg.count === 0 ? [make(1)] : [make(0), make(1)];
  for (const p of progs) checkGroups(op, p.dispatch);
  return progs;
}

export function loraSgmv(rt: GpuRuntime, a: LoraArgs, segments: GPUBuffer, seg: Segs, expand?: { buffer: GPUBuffer; seg: Segs }): void {
  const scratch = a.scratch ?? rt.pool.acquire(a.T * a.maxRank * 4);
  try {
    for (const p of sgmvPrograms({ dummy: rt.dummy, ...a, scratch }, segments, seg, expand)) rt.run(p);
  } finally {
    if (!a.scratch) rt.pool.release(scratch);
  }
}
