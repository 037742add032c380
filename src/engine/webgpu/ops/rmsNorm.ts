/// <reference types="@webgpu/types" />
/**
 * RMSNorm on the GPU (shaders/rms_norm.wgsl), twin of `cpu/kernels/rmsNorm.ts`:
 * `out[t, i] = x[t, i] / sqrt(mean(x[t]²) + eps) · weight[i]`. One workgroup per row; `out` may be `x`.
 *
 * @example
 * rmsNorm(rt, x, T, d, gamma, 1e-5, out);
 */
import type { GpuRuntime } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, checkInt, type GpuProgram } from '../program.ts';

export function rmsNormProgram(x: GPUBuffer, T: number, d: number, weight: GPUBuffer, eps: number, out: GPUBuffer): GpuProgram {
  const op = 'rmsNorm';
  checkInt(op, 'T', T);
  checkInt(op, 'd', d);
  checkBuffer(op, 'x', x, T * d);
  checkBuffer(op, 'weight', weight, d);
  checkBuffer(op, 'out', out, T * d);
  if (!(eps >= 0)) throw badShape(op, `eps must be ≥ 0 (got ${eps}).`);
  checkGroups(op, [T]);
  return {
    name: op,
    shader: ['rms_norm'],
    entryPoint: x === out ? 'inplace' : 'main',
    uniforms: [{ u32: T }, { u32: d }, { f32: eps }, { u32: 0 }],
    bindings: [
      ...(x === out ? [] : [{ binding: 1, buffer: x }]),
      { binding: 2, buffer: weight },
      { binding: 3, buffer: out },
    ],
    dispatch: [T, 1, 1],
  };
}

export function rmsNorm(rt: GpuRuntime, x: GPUBuffer, T: number, d: number, weight: GPUBuffer, eps: number, out: GPUBuffer): void {
  rt.run(rmsNormProgram(x, T, d, weight, eps, out));
}
