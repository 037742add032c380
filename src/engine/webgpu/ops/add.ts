/// <reference types="@webgpu/types" />
/**
 * Residual add on the GPU (shaders/add.wgsl), twin of `cpu/kernels/add.ts`: `out[i] = a[i] + b[i]`,
 * or in place `acc[i] += b[i]` (pass `out === a`).
 *
 * @example
 * add(rt, residual, attnOut, residual, T * d);   // in place
 */
import type { GpuRuntime } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, checkInt, dispatch1d, type GpuProgram } from '../program.ts';

export function addProgram(a: GPUBuffer, b: GPUBuffer, out: GPUBuffer, n: number): GpuProgram {
  const op = 'add';
  checkInt(op, 'n', n);
  checkBuffer(op, 'a', a, n);
  checkBuffer(op, 'b', b, n);
  checkBuffer(op, 'out', out, n);
  if (out === b) throw badShape(op, 'out may alias a (in place) but not b.');
  const dispatch = dispatch1d(n);
  checkGroups(op, dispatch);
  const inplace = out === a;
  return {
    name: op,
    shader: ['add'],
    entryPoint: inplace ? 'inplace' : 'main',
    uniforms: [{ u32: n }, { u32: 0 }, { u32: 0 }, { u32: 0 }],
    bindings: inplace
      ? [
          { binding: 2, buffer: b },
          { binding: 3, buffer: out },
        ]
      : [
          { binding: 1, buffer: a },
          { binding: 2, buffer: b },
          { binding: 3, buffer: out },
        ],
    dispatch,
  };
}

export function add(rt: GpuRuntime, a: GPUBuffer, b: GPUBuffer, out: GPUBuffer, n: number): void {
  rt.run(addProgram(a, b, out, n));
}
