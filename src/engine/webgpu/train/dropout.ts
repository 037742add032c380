/// <reference types="@webgpu/types" />
/**
 * Inverted dropout on the GPU (shaders/train/dropout.wgsl) with the stateless mask of `dropoutKeep`
 * (src/engine/train/trainOps.ts): `dropout` writes `y = x · keep / (1 − p)`, `dropoutBackward` adds
 * `dy · keep / (1 − p)` to `dx` with the same mask, so nothing is stored between the two.
 *
 * @example
 * dropout(rt, x, y, n, 0.1, seed);
 * dropoutBackward(rt, dy, dx, n, 0.1, seed);
 */
import type { GpuRuntime } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, checkInt, dispatch1d, type GpuProgram } from '../program.ts';

/** The integer threshold of the mask: keep when the hash's 24-bit value is ≥ ceil(p · 2^24). */
export function dropoutKeepFrom(p: number): number {
  return Math.ceil(p * 16777216);
}

function program(op: string, entryPoint: string, src: GPUBuffer, dst: GPUBuffer, n: number, p: number, seed: number): GpuProgram {
  checkInt(op, 'n', n);
  checkBuffer(op, 'src', src, n);
  checkBuffer(op, 'dst', dst, n);
  if (!(p >= 0 && p < 1)) throw badShape(op, `the dropout probability must be in [0, 1) (got ${p}).`);
  if (!Number.isInteger(seed)) throw badShape(op, `the seed must be an integer (got ${seed}).`);
  if (src === dst) throw badShape(op, 'the output must be a buffer of its own.');
  const dispatch = dispatch1d(n);
  checkGroups(op, dispatch);
  return {
    name: op,
    shader: ['train/dropout'],
    entryPoint,
    uniforms: [{ u32: n }, { u32: seed >>> 0 }, { u32: dropoutKeepFrom(p) }, { f32: 1 / (1 - p) }],
    bindings: [
      { binding: 1, buffer: src },
      { binding: 2, buffer: dst },
    ],
    dispatch,
  };
}

export function dropout(rt: GpuRuntime, x: GPUBuffer, y: GPUBuffer, n: number, p: number, seed: number): void {
  rt.run(program('dropout', 'main', x, y, n, p, seed));
}

export function dropoutBackward(rt: GpuRuntime, dy: GPUBuffer, dx: GPUBuffer, n: number, p: number, seed: number): void {
  rt.run(program('dropoutBackward', 'backward', dy, dx, n, p, seed));
}
