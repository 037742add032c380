/// <reference types="@webgpu/types" />
/**
 * Gradient clipping without a read-back (shaders/train/grad_norm.wgsl, shaders/train/scale.wgsl), twins
 * `gradNormSqCpu` / `clipFactorCpu` (cpuTwins.ts). `state` is 2 f32: [Σg² over the tensors added so far, the
 * clipping factor]. Per step: `rt.clear(state)`, `gradNormAdd` for each gradient tensor, then `gradClip(maxNorm)`;
 * AdamW reads the factor from `state[1]` (or `scaleByState` applies it to a gradient). `partials` needs
 * ceil(n / 256) values for the largest tensor.
 *
 * @example
 * rt.clear(state);
 * for (const g of grads) gradNormAdd(rt, g.buffer, g.n, partials, state);
 * gradClip(rt, state, 1.0);
 */
import type { GpuRuntime } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, checkInt, dispatch1d } from '../program.ts';

export const GRAD_NORM_CHUNK = 256;

export function gradNormAdd(rt: GpuRuntime, g: GPUBuffer, n: number, partials: GPUBuffer, state: GPUBuffer): void {
  const op = 'gradNorm';
  checkInt(op, 'n', n);
  checkBuffer(op, 'g', g, n);
  const chunks = Math.ceil(n / GRAD_NORM_CHUNK);
  checkBuffer(op, 'partials', partials, chunks);
  checkBuffer(op, 'state', state, 2);
  if (new Set([g, partials, state]).size !== 3) throw badShape(op, 'g, partials and state must be distinct buffers.');
  const uniforms = [{ u32: n }, { f32: 0 }, { u32: 0 }, { u32: 0 }] as const;
  const dispatch = dispatch1d(chunks, 64);
  checkGroups(op, dispatch);
  rt.run({ name: `${op}-partial`, shader: ['train/grad_norm'], entryPoint: 'partial', uniforms, bindings: [{ binding: 1, buffer: g }, { binding: 2, buffer: partials }], dispatch });
  rt.run({ name: `${op}-finish`, shader: ['train/grad_norm'], entryPoint: 'finish', uniforms, bindings: [{ binding: 2, buffer: partials }, { binding: 3, buffer: state }], dispatch: [1, 1, 1] });
}

/** Sets state[1] to the clipping factor for `maxNorm` (≤ 0: no clipping, factor 1). */
export function gradClip(rt: GpuRuntime, state: GPUBuffer, maxNorm: number): void {
  if (!Number.isFinite(maxNorm)) throw badShape('gradClip', `maxNorm must be finite (got ${maxNorm}).`);
  checkBuffer('gradClip', 'state', state, 2);
  rt.run({ name: 'gradClip', shader: ['train/grad_norm'], entryPoint: 'clip', uniforms: [{ u32: 0 }, { f32: maxNorm }, { u32: 0 }, { u32: 0 }], bindings: [{ binding: 3, buffer: state }], dispatch: [1, 1, 1] });
}

/** x *= s in place. */
export function scale(rt: GpuRuntime, x: GPUBuffer, n: number, s: number): void {
  checkInt('scale', 'n', n);
  checkBuffer('scale', 'x', x, n);
  if (!Number.isFinite(s)) throw badShape('scale', `the factor must be finite (got ${s}).`);
  rt.run({ name: 'scale', shader: ['train/scale'], uniforms: [{ u32: n }, { f32: s }, { u32: 0 }, { u32: 0 }], bindings: [{ binding: 1, buffer: x }], dispatch: dispatch1d(n) });
}

/** x *= state[1] (the clipping factor) in place. */
export function scaleByState(rt: GpuRuntime, x: GPUBuffer, n: number, state: GPUBuffer): void {
  checkInt('scale', 'n', n);
  checkBuffer('scale', 'x', x, n);
  checkBuffer('scale', 'state', state, 2);
  if (x === state) throw badShape('scale', 'x must not be the state buffer.');
  rt.run({ name: 'scale-by-state', shader: ['train/scale'], entryPoint: 'by_state', uniforms: [{ u32: n }, { f32: 1 }, { u32: 0 }, { u32: 0 }], bindings: [{ binding: 1, buffer: x }, { binding: 2, buffer: state }], dispatch: dispatch1d(n) });
}
