/// <reference types="@webgpu/types" />
/**
 * f32 matrix product for training on the GPU (shaders/train/gemm.wgsl), its CPU twins the CPU TrainOps'
 * products (src/engine/train/cpu/gemm.ts):
 * `c[M, N] = alpha · op(a) · op(b) (+ c when accumulate)`, `op(a)` = a `[M, K]` or, with `transA`, aᵀ of a
 * stored `[K, M]`; `op(b)` = b `[K, N]` or, with `transB`, bᵀ of b stored `[N, K]`. The gradients of f32
 * linear layers and of LoRA are all such products (see loraTrain.ts).
 *
 * @example
 * gemm(rt, { a: dy, b: x, c: dW, M: N, N: K, K: T, transA: true });   // dW = dYᵀ·X
 */
import type { GpuRuntime } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, checkInt, dispatch1d, type GpuProgram } from '../program.ts';

export interface GemmArgs {
  a: GPUBuffer;
  b: GPUBuffer;
  c: GPUBuffer;
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  accumulate?: boolean;
}

export function gemmProgram(g: GemmArgs): GpuProgram {
  const op = 'gemm';
  checkInt(op, 'M', g.M);
  checkInt(op, 'N', g.N);
  checkInt(op, 'K', g.K);
  checkBuffer(op, 'a', g.a, g.M * g.K);
  checkBuffer(op, 'b', g.b, g.K * g.N);
  checkBuffer(op, 'c', g.c, g.M * g.N);
  if (g.c === g.a || g.c === g.b) throw badShape(op, 'c must be a buffer of its own (not a or b).');
  const alpha = g.alpha ?? 1;
  if (!Number.isFinite(alpha)) throw badShape(op, `alpha must be finite (got ${alpha}).`);
  const dispatch = dispatch1d(Math.ceil(g.M / 4) * Math.ceil(g.N / 4), 64);
  checkGroups(op, dispatch);
  return {
    name: op,
    shader: ['train/gemm'],
    uniforms: [{ u32: g.M }, { u32: g.N }, { u32: g.K }, { u32: g.transA ? 1 : 0 }, { u32: g.transB ? 1 : 0 }, { u32: g.accumulate ? 1 : 0 }, { f32: alpha }, { u32: 0 }],
    bindings: [
      { binding: 1, buffer: g.a },
      { binding: 2, buffer: g.b },
      { binding: 3, buffer: g.c },
    ],
    dispatch,
  };
}

export function gemm(rt: GpuRuntime, g: GemmArgs): void {
  rt.run(gemmProgram(g));
}
