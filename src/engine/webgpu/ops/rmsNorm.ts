/// <reference types="@webgpu/types" />
/**
 * RMSNorm on the GPU (shaders/rms_norm.wgsl), twin of `cpu/kernels/rmsNorm.ts`:
 * `out[t, i] = x[t, i] / sqrt(mean(x[t]²) + eps) · weight[i]`; `out` may be `x`. Kernels: `wg` (one
 * workgroup per row, for real GPUs) and `coarse` (shaders/rms_norm_coarse.wgsl, one invocation per row, no
 * barriers, for the `coarse` kernel family; d % 4 == 0).
 *
 * @example
 * rmsNorm(rt, x, T, d, gamma, 1e-5, out);
 */
import type { GpuRuntime, KernelFamily } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, checkInt, type GpuProgram } from '../program.ts';

export type RmsNormVariant = 'wg' | 'coarse';

export function rmsNormVariant(d: number, kernels: KernelFamily = 'gpu'): RmsNormVariant {
  return kernels === 'coarse' && d % 4 === 0 ? 'coarse' : 'wg';
}

export function rmsNormProgram(x: GPUBuffer, T: number, d: number, weight: GPUBuffer, eps: number, out: GPUBuffer, variant: RmsNormVariant = 'wg'): GpuProgram {
  const op = 'rmsNorm';
  checkInt(op, 'T', T);
  checkInt(op, 'd', d);
  checkBuffer(op, 'x', x, T * d);
  checkBuffer(op, 'weight', weight, d);
  checkBuffer(op, 'out', out, T * d);
  if (!(eps >= 0)) throw badShape(op, `eps must be ≥ 0 (got ${eps}).`);
  if (variant === 'coarse' && d % 4 !== 0) throw badShape(op, `the coarse kernel needs d % 4 == 0 (got ${d}).`);
  const dispatch: [number, number, number] = variant === 'coarse' ? [Math.ceil(T / 32), 1, 1] : [T, 1, 1];
  checkGroups(op, dispatch);
  return {
    name: `${op}-${variant}`,
    shader: [variant === 'coarse' ? 'rms_norm_coarse' : 'rms_norm'],
    entryPoint: x === out ? 'inplace' : 'main',
    uniforms: [{ u32: T }, { u32: d }, { f32: eps }, { u32: 0 }],
    bindings: [
      ...(x === out ? [] : [{ binding: 1, buffer: x }]),
      { binding: 2, buffer: weight },
      { binding: 3, buffer: out },
    ],
    dispatch,
  };
}

export function rmsNorm(rt: GpuRuntime, x: GPUBuffer, T: number, d: number, weight: GPUBuffer, eps: number, out: GPUBuffer, variant = rmsNormVariant(d, rt.kernels)): void {
  rt.run(rmsNormProgram(x, T, d, weight, eps, out, variant));
}
