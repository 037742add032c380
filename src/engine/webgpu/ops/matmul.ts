/// <reference types="@webgpu/types" />
/**
 * `out[T, N] = x[T, K] · Wᵀ (+ bias) (+ out when accumulate)` on the GPU, W in f32, int8 or int4
 * (dequantised inside the kernel). GPU twin of `cpu/kernels/matmul.ts`.
 * - `gemv` (shaders/gemv.wgsl): decode, T ≤ 4 — 8 output rows per workgroup, 32 lanes split K.
 * - `tiled` (shaders/matmul.wgsl): prefill — 64x64 output tiles, K through workgroup memory.
 *
 * @example
 * matmul(rt, x, T, w, out, { bias });
 */
import type { GpuRuntime } from '../runtime.ts';
import { checkGpuMatrix, weightBindings, weightsShader, type GpuMatrix } from '../matrix.ts';
import { badShape, checkBuffer, checkGroups, checkInt, type GpuProgram } from '../program.ts';

export interface MatmulOptions {
  bias?: GPUBuffer;
  /** add into `out` instead of overwriting it */
  accumulate?: boolean;
  /** force a kernel (tests); default: gemv for T ≤ GEMV_MAX_T, else tiled */
  variant?: 'gemv' | 'tiled';
}

export const GEMV_MAX_T = 4;

export function matmulProgram(x: GPUBuffer, T: number, w: GpuMatrix, out: GPUBuffer, opts: MatmulOptions = {}): GpuProgram {
  const op = 'matmul';
  checkInt(op, 'T', T);
  checkGpuMatrix(op, w);
  const N = w.rows;
  const K = w.cols;
  checkBuffer(op, 'x', x, T * K);
  checkBuffer(op, 'out', out, T * N);
  if (opts.bias) checkBuffer(op, 'bias', opts.bias, N);
  if (x === out) throw badShape(op, 'out must not be the input buffer.');
  const variant = opts.variant ?? (T <= GEMV_MAX_T ? 'gemv' : 'tiled');
  const dispatch: [number, number, number] = variant === 'gemv' ? [Math.ceil(N / 8), T, 1] : [Math.ceil(N / 64), Math.ceil(T / 64), 1];
  checkGroups(op, dispatch);
  const gs = w.kind === 'f32' ? 1 : w.groupSize;
  return {
    name: `${op}-${variant}-${w.kind}`,
    shader: [weightsShader(w.kind), variant === 'gemv' ? 'gemv' : 'matmul'],
    uniforms: [{ u32: T }, { u32: N }, { u32: K }, { u32: gs }, { u32: opts.bias ? 1 : 0 }, { u32: opts.accumulate ? 1 : 0 }, { u32: 0 }, { u32: 0 }],
    bindings: [
      { binding: 1, buffer: x },
      { binding: 2, buffer: out },
      // bias is read only when has_bias = 1; bind something valid otherwise
      { binding: 3, buffer: opts.bias ?? x },
      ...weightBindings(w),
    ],
    dispatch,
  };
}

export function matmul(rt: GpuRuntime, x: GPUBuffer, T: number, w: GpuMatrix, out: GPUBuffer, opts: MatmulOptions = {}): void {
  rt.run(matmulProgram(x, T, w, out, opts));
}
