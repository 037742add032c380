/// <reference types="@webgpu/types" />
/**
 * RMSNorm backward on the GPU (shaders/train/rms_norm_backward.wgsl), twin of `rmsNormBackwardCpu`
 * (cpuTwins.ts): from the forward's input `x [T, d]`, its `weight` and the output gradient `dy`, writes (or adds
 * to, with `accumulate`) `dx` and, when `dw` is given, the weight gradient. `rstd` (T values) is scratch the two
 * dispatches share.
 *
 * @example
 * rmsNormBackward(rt, { x, T, d, weight, eps, dy, dx, rstd, accumulate: true });
 */
import type { GpuRuntime } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, checkInt, dispatch1d } from '../program.ts';

export interface RmsNormBackwardArgs {
  x: GPUBuffer;
  T: number;
  d: number;
  weight: GPUBuffer;
  eps: number;
  dy: GPUBuffer;
  dx: GPUBuffer;
  rstd: GPUBuffer;
  /** add dx into the buffer (the residual stream's gradient) instead of overwriting it */
  accumulate?: boolean;
  /** the weight gradient, added to (zero it at the start of a step); omitted when the norm is frozen */
  dw?: GPUBuffer;
}

export function rmsNormBackward(rt: GpuRuntime, a: RmsNormBackwardArgs): void {
  const op = 'rmsNormBackward';
  checkInt(op, 'T', a.T);
  checkInt(op, 'd', a.d);
  checkBuffer(op, 'x', a.x, a.T * a.d);
  checkBuffer(op, 'weight', a.weight, a.d);
  checkBuffer(op, 'dy', a.dy, a.T * a.d);
  checkBuffer(op, 'dx', a.dx, a.T * a.d);
  checkBuffer(op, 'rstd', a.rstd, a.T);
  if (!(a.eps >= 0)) throw badShape(op, `eps must be ≥ 0 (got ${a.eps}).`);
  const distinct = new Set([a.x, a.weight, a.dy, a.dx, a.rstd, ...(a.dw ? [a.dw] : [])]);
  if (distinct.size !== 5 + (a.dw ? 1 : 0)) throw badShape(op, 'x, weight, dy, dx, rstd and dw must be distinct buffers.');
  const uniforms = [{ u32: a.T }, { u32: a.d }, { f32: a.eps }, { u32: a.accumulate ? 1 : 0 }] as const;
  const rowDispatch = dispatch1d(a.T, 64);
  checkGroups(op, rowDispatch);
  rt.run({
    name: `${op}-dx`,
    shader: ['train/rms_norm_backward'],
    uniforms,
    bindings: [
      { binding: 1, buffer: a.x },
      { binding: 2, buffer: a.weight },
      { binding: 3, buffer: a.dy },
      { binding: 4, buffer: a.rstd },
      { binding: 5, buffer: a.dx },
    ],
    dispatch: rowDispatch,
  });
  if (!a.dw) return;
  checkBuffer(op, 'dw', a.dw, a.d);
  rt.run({
    name: `${op}-dw`,
    shader: ['train/rms_norm_backward'],
    entryPoint: 'dweight',
    uniforms: [{ u32: a.T }, { u32: a.d }, { f32: a.eps }, { u32: 1 }],
    bindings: [
      { binding: 1, buffer: a.x },
      { binding: 3, buffer: a.dy },
      { binding: 4, buffer: a.rstd },
      { binding: 6, buffer: a.dw },
    ],
    dispatch: dispatch1d(a.d, 64),
  });
}
