/// <reference types="@webgpu/types" />
/**
 * RMSNorm for training on the GPU: `rmsNormForward` (shaders/train/rms_norm_train.wgsl) writes `y` and each row's
 * `rstd = 1 / sqrt(mean(x²) + eps)`; `rmsNormBackward` (shaders/train/rms_norm_backward.wgsl), twin of
 * the CPU TrainOps' `rmsNormBackward`, from the forward's input `x [T, d]`, its `rstd`, the `weight` and the output
 * gradient `dy`, writes (or adds to, with `accumulate`) `dx` and, when `dw` is given, adds the weight gradient.
 *
 * @example
 * rmsNormForward(rt, x, T, d, weight, eps, y, rstd);
 * rmsNormBackward(rt, { x, T, d, weight, eps, dy, dx, rstd, accumulate: true });
 */
import type { GpuRuntime } from '../runtime.ts';
import { checkOutputs } from './checkAliasing.ts';
import { badShape, checkBuffer, checkGroups, checkInt, dispatch1d } from '../program.ts';

export function rmsNormForward(rt: GpuRuntime, x: GPUBuffer, T: number, d: number, weight: GPUBuffer, eps: number, y: GPUBuffer, rstd: GPUBuffer): void {
  const op = 'rmsNormForward';
  checkInt(op, 'T', T);
  checkInt(op, 'd', d);
  checkBuffer(op, 'x', x, T * d);
  checkBuffer(op, 'weight', weight, d);
  checkBuffer(op, 'y', y, T * d);
  checkBuffer(op, 'rstd', rstd, T);
  if (!(eps >= 0)) throw badShape(op, `eps must be ≥ 0 (got ${eps}).`);
  checkOutputs(op, [x, weight], { y, rstd });
  const dispatch = dispatch1d(T, 64);
  checkGroups(op, dispatch);
  rt.run({
    name: op,
    shader: ['train/rms_norm_train'],
    uniforms: [{ u32: T }, { u32: d }, { f32: eps }, { u32: 0 }],
    bindings: [
      { binding: 1, buffer: x },
      { binding: 2, buffer: weight },
      { binding: 3, buffer: y },
      { binding: 4, buffer: rstd },
    ],
    dispatch,
  });
}

export interface RmsNormBackwardArgs {
  x: GPUBuffer;
  T: number;
  d: number;
  weight: GPUBuffer;
  eps: number;
  dy: GPUBuffer;
  dx: GPUBuffer;
  /** the forward's rstd (T values) */
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
  checkOutputs(op, [a.x, a.weight, a.dy, a.rstd], { dx: a.dx, ...(a.dw ? { dw: a.dw } : {}) });
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
