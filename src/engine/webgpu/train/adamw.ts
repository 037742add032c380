/// <reference types="@webgpu/types" />
/**
 * AdamW in place on the GPU (shaders/train/adamw.wgsl), twin of the CPU TrainOps' `adamw` (src/engine/train/cpu/cpuTrainOps.ts): updates `param` and its
 * moments `m`, `v` from `grad`, clipped by the global norm when `clip` is given: the gradient is scaled by
 * `min(1, maxNorm / (sqrt(normSq[0]) + 1e-6))`, `normSq` being the one value `gradNormAdd` summed on the device (so
 * clipping needs no read-back). `step` counts from 1 (bias correction).
 *
 * @example
 * adamw(rt, { param, grad, m, v, n }, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 }, step, { maxNorm: 1, normSq });
 */
import type { GpuRuntime } from '../runtime.ts';
import { checkOutputs } from './checkAliasing.ts';
import { badShape, checkBuffer, checkGroups, checkInt, dispatch1d } from '../program.ts';

export interface AdamwHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export interface AdamwBuffers {
  param: GPUBuffer;
  grad: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
  n: number;
}

export function adamw(rt: GpuRuntime, b: AdamwBuffers, h: AdamwHyper, step: number, clip?: { maxNorm: number; normSq: GPUBuffer } | null, dummy: GPUBuffer = rt.dummy): void {
  const op = 'adamw';
  checkInt(op, 'n', b.n);
  checkInt(op, 'step', step);
  for (const [what, buf] of [['param', b.param], ['grad', b.grad], ['m', b.m], ['v', b.v]] as const) checkBuffer(op, what, buf, b.n);
  const normSq = clip ? clip.normSq : dummy;
  checkBuffer(op, 'normSq', normSq, 1);
  checkOutputs(op, [b.grad, normSq], { param: b.param, m: b.m, v: b.v });
  if (!(h.beta1 >= 0 && h.beta1 < 1 && h.beta2 >= 0 && h.beta2 < 1 && h.eps > 0 && Number.isFinite(h.lr) && h.weightDecay >= 0)) {
    throw badShape(op, `bad hyper-parameters (lr ${h.lr}, betas ${h.beta1}/${h.beta2}, eps ${h.eps}, weight decay ${h.weightDecay}).`);
  }
  if (clip && !(clip.maxNorm > 0 && Number.isFinite(clip.maxNorm))) throw badShape(op, `maxNorm must be a positive number (got ${clip.maxNorm}).`);
  const dispatch = dispatch1d(b.n);
  checkGroups(op, dispatch);
  rt.run({
    name: op,
    shader: ['train/adamw'],
    uniforms: [
      { u32: b.n },
      { f32: h.lr },
      { f32: h.beta1 },
      { f32: h.beta2 },
      { f32: h.eps },
      { f32: 1 - h.lr * h.weightDecay },
      { f32: 1 - Math.pow(h.beta1, step) },
      { f32: 1 - Math.pow(h.beta2, step) },
      { f32: clip ? clip.maxNorm : 0 },
      { u32: 0 },
      { u32: 0 },
      { u32: 0 },
    ],
    bindings: [
      { binding: 1, buffer: b.param },
      { binding: 2, buffer: b.grad },
      { binding: 3, buffer: b.m },
      { binding: 4, buffer: b.v },
      { binding: 5, buffer: normSq },
    ],
    dispatch,
  });
}
