/// <reference types="@webgpu/types" />
/**
 * What an op hands the runtime (onnxruntime-web's ProgramInfo, trimmed): which WGSL files make the
 * shader, the entry point, the uniforms in declaration order, the buffers per binding, and the dispatch
 * size. Ops validate their inputs, then build one of these; `GpuRuntime.run` encodes it.
 */
import { TributaryError } from '../../core/errors.ts';

export type Uniform = { u32: number } | { i32: number } | { f32: number };

export interface GpuBinding {
  binding: number;
  buffer: GPUBuffer;
}

export interface GpuProgram {
  /** for messages */
  name: string;
  /** files under shaders/ (no extension), concatenated in order (WGSL declarations are order-free) */
  shader: readonly string[];
  entryPoint?: string;
  /** the `Params` struct at @binding(0), member by member (each 4 bytes; padded to 16) */
  uniforms: readonly Uniform[];
  /** exactly the bindings the entry point uses (layouts are 'auto') */
  bindings: readonly GpuBinding[];
  dispatch: readonly [number, number, number];
}

export const WG = 256;
/** WebGPU's guaranteed maximum workgroups per dimension */
export const MAX_GROUPS = 65535;

/** Workgroups for `n` threads of 256, folded into y when x would pass 65535 (kernels use num_workgroups). */
export function dispatch1d(n: number, wg = WG): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / wg));
  if (groups <= MAX_GROUPS) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  return [Math.ceil(groups / y), y, 1];
}

export function badShape(op: string, msg: string): TributaryError {
  return new TributaryError('engine/bad-shape', `${op}: ${msg}`);
}

/** Throws unless `v` is an integer in [min, max]. */
export function checkInt(op: string, what: string, v: number, min = 1, max = 2 ** 31 - 1): void {
  if (!Number.isInteger(v) || v < min || v > max) throw badShape(op, `${what} must be an integer in ${min}..${max} (got ${v}).`);
}

/** Throws unless `buf` holds at least `floats` 4-byte values. */
export function checkBuffer(op: string, what: string, buf: GPUBuffer, floats: number): void {
  if (buf.size < floats * 4) throw badShape(op, `${what} needs ${floats} values (${floats * 4} bytes) but its buffer has ${buf.size} bytes.`);
}

export function checkGroups(op: string, d: readonly number[]): void {
  for (const n of d) if (n > MAX_GROUPS) throw badShape(op, `the dispatch needs ${n} workgroups in one dimension (at most ${MAX_GROUPS}).`);
}
