/// <reference types="@webgpu/types" />
/**
 * RoPE backward on the GPU. A rotation's gradient is the inverse rotation (its transpose: the same cos, the sin
 * negated), so backward runs shaders/rope.wgsl unchanged over a table with negated sines (`ropeBackwardTable`);
 * twin: `ropeInPlace` at negated positions (cpu/kernels/rope.ts), which rotates by exactly those values.
 *
 * @example
 * const back = ropeBackwardTable(rt, invFreq, S);
 * ropeBackward(rt, dq, T, nHeads, hd, positions, back);   // in place
 */
import type { GpuRuntime } from '../runtime.ts';
import { rope, ropeTableData, type RopeTable } from '../ops/rope.ts';
import { checkInt } from '../program.ts';

/** The (cos, −sin) table for positions 0..maxPos-1 (the transpose of `ropeTable`'s rotations). */
export function ropeBackwardTableData(invFreq: Float32Array, maxPos: number): Float32Array {
  const t = ropeTableData(invFreq, maxPos);
  for (let i = 1; i < t.length; i += 2) t[i] = -t[i]!;
  return t;
}

export function ropeBackwardTable(rt: GpuRuntime, invFreq: Float32Array, maxPos: number): RopeTable {
  checkInt('ropeBackwardTable', 'maxPos', maxPos);
  return { buffer: rt.upload(ropeBackwardTableData(invFreq, maxPos), undefined, 'rope-backward-table'), headDim: invFreq.length * 2, maxPos };
}

/** dx (the gradient of rope's output) becomes the gradient of its input, in place. */
export function ropeBackward(rt: GpuRuntime, dx: GPUBuffer, T: number, nHeads: number, headDim: number, positions: GPUBuffer, backTable: RopeTable): void {
  rope(rt, dx, T, nHeads, headDim, positions, backTable);
}
