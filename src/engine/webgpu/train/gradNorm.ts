/// <reference types="@webgpu/types" />
/**
 * The squared global gradient norm, summed on the device (shaders/train/grad_norm.wgsl), the optimiser's
 * elementwise helpers (shaders/train/scale.wgsl) and the bias add of the training forward (shaders/train/add_bias.wgsl); twins: the CPU TrainOps'
 * `sumSquares` and the clipping factor its `adamw` applies. Per step:
 * `rt.clear(normSq)`, `gradNormAdd` for each gradient tensor (in a fixed order), then AdamW reads `normSq` to clip.
 * `partials` needs ceil(n / 256) values for the largest tensor.
 *
 * @example
 * rt.clear(normSq);
 * for (const g of grads) gradNormAdd(rt, g.buffer, g.n, partials, normSq);
 */
import type { GpuRuntime } from '../runtime.ts';
import { checkOutputs } from './checkAliasing.ts';
import { badShape, checkBuffer, checkGroups, checkInt, dispatch1d, type GpuProgram } from '../program.ts';

export const GRAD_NORM_CHUNK = 256;

export function gradNormAdd(rt: GpuRuntime, g: GPUBuffer, n: number, partials: GPUBuffer, normSq: GPUBuffer): void {
  const op = 'gradNorm';
  checkInt(op, 'n', n);
  checkBuffer(op, 'g', g, n);
  const chunks = Math.ceil(n / GRAD_NORM_CHUNK);
  checkBuffer(op, 'partials', partials, chunks);
  checkBuffer(op, 'normSq', normSq, 1);
  checkOutputs(op, [g], { partials, normSq });
  const uniforms = [{ u32: n }, { u32: 0 }, { u32: 0 }, { u32: 0 }] as const;
  const dispatch = dispatch1d(chunks, 64);
  checkGroups(op, dispatch);
  rt.run({ name: `${op}-partial`, shader: ['train/grad_norm'], entryPoint: 'partial', uniforms, bindings: [{ binding: 1, buffer: g }, { binding: 2, buffer: partials }], dispatch });
  rt.run({ name: `${op}-finish`, shader: ['train/grad_norm'], entryPoint: 'finish', uniforms, bindings: [{ binding: 2, buffer: partials }, { binding: 3, buffer: normSq }], dispatch: [1, 1, 1] });
}

function elementwise(op: string, entryPoint: string, x: GPUBuffer, n: number, s: number, normSq?: GPUBuffer): GpuProgram {
  checkInt(op, 'n', n);
  checkBuffer(op, 'x', x, n);
  if (!Number.isFinite(s)) throw badShape(op, `the value must be finite (got ${s}).`);
  if (normSq && normSq === x) throw badShape(op, 'x must not be the normSq buffer.');
  const dispatch = dispatch1d(n);
  checkGroups(op, dispatch);
  return {
    name: op,
    shader: ['train/scale'],
    entryPoint,
    uniforms: [{ u32: n }, { f32: s }, { u32: 0 }, { u32: 0 }],
    bindings: [{ binding: 1, buffer: x }, ...(normSq ? [{ binding: 2, buffer: normSq }] : [])],
    dispatch,
  };
}

/** x *= s in place. */
export function scale(rt: GpuRuntime, x: GPUBuffer, n: number, s: number): void {
  rt.run(elementwise('scale', 'main', x, n, s));
}

/** x = value (n elements). */
export function fill(rt: GpuRuntime, x: GPUBuffer, n: number, value: number): void {
  rt.run(elementwise('fill', 'fill', x, n, value));
}

/** x *= min(1, maxNorm / (sqrt(normSq[0]) + 1e-6)) in place (clipping as AdamW applies it). */
export function clipByNorm(rt: GpuRuntime, x: GPUBuffer, n: number, maxNorm: number, normSq: GPUBuffer): void {
  if (!(maxNorm > 0)) throw badShape('clipByNorm', `maxNorm must be positive (got ${maxNorm}).`);
  checkBuffer('clipByNorm', 'normSq', normSq, 1);
  rt.run(elementwise('clipByNorm', 'clip', x, n, maxNorm, normSq));
}

/** y[t, :] += bias for T rows of `n` values. */
export function addBias(rt: GpuRuntime, y: GPUBuffer, T: number, bias: GPUBuffer, n: number): void {
  const op = 'addBias';
  checkInt(op, 'T', T);
  checkInt(op, 'n', n);
  checkBuffer(op, 'y', y, T * n);
  checkBuffer(op, 'bias', bias, n);
  if (y === bias) throw badShape(op, 'y must not be the bias.');
  const dispatch = dispatch1d(T * n);
  checkGroups(op, dispatch);
  rt.run({ name: op, shader: ['train/add_bias'], uniforms: [{ u32: T * n }, { u32: n }, { u32: 0 }, { u32: 0 }], bindings: [{ binding: 1, buffer: y }, { binding: 2, buffer: bias }], dispatch });
}
