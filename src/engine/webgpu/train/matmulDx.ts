/// <reference types="@webgpu/types" />
/**
 * Input gradient of a frozen linear layer on the GPU (shaders/train/matmul_dx.wgsl), twin of the CPU
 * TrainOps' `matmulGradInput`: `dx[T, K] = dy[T, N] · W (+ dx when accumulate)` for W `[N, K]` in f32, f16, int8 or int4 (the
 * QLoRA case: the gradient flows through the dequantised base, which gets none of its own).
 *
 * @example
 * matmulDx(rt, dy, T, w, dx);
 */
import type { GpuRuntime } from '../runtime.ts';
import { checkGpuMatrix, weightBindings, weightsShader, type GpuMatrix } from '../matrix.ts';
import { badShape, checkBuffer, checkGroups, checkInt, dispatch1d, type GpuProgram } from '../program.ts';

export function matmulDxProgram(dy: GPUBuffer, T: number, w: GpuMatrix, dx: GPUBuffer, accumulate = false): GpuProgram {
  const op = 'matmulDx';
  checkInt(op, 'T', T);
  checkGpuMatrix(op, w);
  checkBuffer(op, 'dy', dy, T * w.rows);
  checkBuffer(op, 'dx', dx, T * w.cols);
  if (dx === dy) throw badShape(op, 'dx must not be dy.');
  const dispatch = dispatch1d(Math.ceil(T / 4) * Math.ceil(w.cols / 4), 64);
  checkGroups(op, dispatch);
  return {
    name: `${op}-${w.kind}`,
    shader: [weightsShader(w.kind), 'train/matmul_dx'],
    uniforms: [{ u32: T }, { u32: w.rows }, { u32: w.cols }, { u32: 'groupSize' in w ? w.groupSize : 1 }, { u32: accumulate ? 1 : 0 }, { u32: 0 }, { u32: 0 }, { u32: 0 }],
    bindings: [{ binding: 1, buffer: dy }, { binding: 2, buffer: dx }, ...weightBindings(w)],
    dispatch,
  };
}

export function matmulDx(rt: GpuRuntime, dy: GPUBuffer, T: number, w: GpuMatrix, dx: GPUBuffer, accumulate = false): void {
  rt.run(matmulDxProgram(dy, T, w, dx, accumulate));
}
