/// <reference types="@webgpu/types" />
/**
 * LoRA forward (keeping the shrink) and backward on the GPU, as products of shaders/train/gemm.wgsl; twins
 * `loraForwardCpu` / `loraBackwardCpu` (cpuTwins.ts). PEFT layout: A `[r, in]`, B `[out, r]`, scale = alpha / r:
 * - forward: `u = x · Aᵀ` (`[T, r]`, kept for backward), `y += scale · u · Bᵀ`;
 * - backward: `dB += scale · dyᵀ · u`, `du = scale · dy · B`, `dA += duᵀ · x`, `dx += du · A` (dx accumulates
 *   into the frozen base's input gradient, which `matmulDx` wrote first).
 * dA and dB accumulate (gradient accumulation over micro-batches; zero them at the start of a step).
 *
 * @example
 * loraForward(rt, { x, T, inDim, outDim, rank, scale, A, B }, u, y);
 * loraBackward(rt, { x, T, inDim, outDim, rank, scale, A, B }, u, dy, du, dA, dB, dx);
 */
import type { GpuRuntime } from '../runtime.ts';
import { gemm } from './gemm.ts';

export interface LoraTrainModule {
  x: GPUBuffer;
  T: number;
  inDim: number;
  outDim: number;
  rank: number;
  scale: number;
  A: GPUBuffer;
  B: GPUBuffer;
}

export function loraForward(rt: GpuRuntime, l: LoraTrainModule, u: GPUBuffer, y: GPUBuffer): void {
  gemm(rt, { a: l.x, b: l.A, c: u, M: l.T, N: l.rank, K: l.inDim, transB: true });
  gemm(rt, { a: u, b: l.B, c: y, M: l.T, N: l.outDim, K: l.rank, transB: true, alpha: l.scale, accumulate: true });
}

/** `dx` is added to when given (omit it for a module whose input needs no gradient). */
export function loraBackward(rt: GpuRuntime, l: LoraTrainModule, u: GPUBuffer, dy: GPUBuffer, du: GPUBuffer, dA: GPUBuffer, dB: GPUBuffer, dx?: GPUBuffer): void {
  gemm(rt, { a: dy, b: u, c: dB, M: l.outDim, N: l.rank, K: l.T, transA: true, alpha: l.scale, accumulate: true });
  gemm(rt, { a: dy, b: l.B, c: du, M: l.T, N: l.rank, K: l.outDim, alpha: l.scale });
  gemm(rt, { a: du, b: l.x, c: dA, M: l.rank, N: l.inDim, K: l.T, transA: true, accumulate: true });
  if (dx) gemm(rt, { a: du, b: l.A, c: dx, M: l.T, N: l.inDim, K: l.rank, accumulate: true });
}
