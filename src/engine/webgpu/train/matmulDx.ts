/// <reference types="@webgpu/types" />
/**
 * Input gradient of a frozen linear layer on the GPU (shaders/train/matmul_dx.wgsl), twin of the CPU
 * TrainOps' `matmulGradInput`: `dx[T, K] = dy[T, N] · W (+ dx when accumulate)` for W `[N, K]` in f32, f16, int8 or int4 (the
 * QLoRA case: the gradient flows through the dequantised base, which gets none of its own). Kernels: `vec4`
 * (shaders/train/matmul_dx_vec4.wgsl, N % 4 == 0 and K % 4 == 0: 4 columns × 8 rows per invocation, vec4 loads; every
 * projection of the models here) and `scalar` (shaders/train/matmul_dx.wgsl, any sizes).
 *
 * @example
 * matmulDx(rt, dy, T, w, dx);
 */
import type { GpuRuntime } from '../runtime.ts';
import { checkGpuMatrix, weightBindings, weightsShader, type GpuMatrix } from '../matrix.ts';
import { badShape, checkBuffer, checkGroups, checkInt, dispatch1d, type GpuProgram } from '../program.ts';

export type MatmulDxVariant = 'vec4' | 'scalar';

export function matmulDxVariant(w: Pick<GpuMatrix, 'rows' | 'cols'>): MatmulDxVariant {
  return w.rows % 4 === 0 && w.cols % 4 === 0 ? 'vec4' : 'scalar';
}

export function matmulDxProgram(dy: GPUBuffer, T: number, w: GpuMatrix, dx: GPUBuffer, accumulate = false, variant = matmulDxVariant(w)): GpuProgram {
  const op = 'matmulDx';
  checkInt(op, 'T', T);
  checkGpuMatrix(op, w);
  checkBuffer(op, 'dy', dy, T * w.rows);
  checkBuffer(op, 'dx', dx, T * w.cols);
  if (dx === dy) throw badShape(op, 'dx must not be dy.');
  const uniforms = [{ u32: T }, { u32: w.rows }, { u32: w.cols }, { u32: 'groupSize' in w ? w.groupSize : 1 }, { u32: accumulate ? 1 : 0 }, { u32: 0 }, { u32: 0 }, { u32: 0 }];
  const bindings = [{ binding: 1, buffer: dy }, { binding: 2, buffer: dx }, ...weightBindings(w)];
  if (variant === 'vec4') {
    if (w.rows % 4 !== 0 || w.cols % 4 !== 0) throw badShape(op, `the vec4 kernel needs N and K multiples of 4 (got ${w.rows}×${w.cols}).`);
    const groups: [number, number, number] = [Math.ceil(w.cols / 4 / 32), Math.ceil(T / 8), 1];
    checkGroups(op, groups);
    return { name: `${op}-vec4-${w.kind}`, shader: [w.kind === 'f32' ? 'lib/weights_f32_vec4' : weightsShader(w.kind), 'train/matmul_dx_vec4'], uniforms, bindings, dispatch: groups };
  }
  const dispatch = dispatch1d(Math.ceil(T / 4) * Math.ceil(w.cols / 4), 64);
  checkGroups(op, dispatch);
  return { name: `${op}-${w.kind}`, shader: [weightsShader(w.kind), 'train/matmul_dx'], uniforms, bindings, dispatch };
}

export function matmulDx(rt: GpuRuntime, dy: GPUBuffer, T: number, w: GpuMatrix, dx: GPUBuffer, accumulate = false, variant = matmulDxVariant(w)): void {
  rt.run(matmulDxProgram(dy, T, w, dx, accumulate, variant));
}
