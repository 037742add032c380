/// <reference types="@webgpu/types" />
/**
 * SwiGLU on the GPU (shaders/silu_mul.wgsl), twin of `cpu/kernels/siluMul.ts`:
 * `out[i] = silu(gate[i]) · up[i]` for i < n. `out` may be `gate` or `up` (in-place entry points).
 *
 * @example
 * siluMul(rt, gate, up, out, T * ffn);
 */
import type { GpuRuntime } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, checkInt, dispatch1d, type GpuProgram } from '../program.ts';

export function siluMulProgram(gate: GPUBuffer, up: GPUBuffer, out: GPUBuffer, n: number): GpuProgram {
  const op = 'siluMul';
  checkInt(op, 'n', n);
  checkBuffer(op, 'gate', gate, n);
  checkBuffer(op, 'up', up, n);
  checkBuffer(op, 'out', out, n);
  if (gate === up) throw badShape(op, 'gate and up must be different buffers.');
  const dispatch = dispatch1d(n);
  checkGroups(op, dispatch);
  return {
    name: op,
    shader: ['silu_mul'],
    entryPoint: out === gate ? 'inplace_gate' : out === up ? 'inplace_up' : 'main',
    uniforms: [{ u32: n }, { u32: 0 }, { u32: 0 }, { u32: 0 }],
    bindings: [
      ...(out === gate ? [] : [{ binding: 1, buffer: gate }]),
      ...(out === up ? [] : [{ binding: 2, buffer: up }]),
      { binding: 3, buffer: out },
    ],
    dispatch,
  };
}

export function siluMul(rt: GpuRuntime, gate: GPUBuffer, up: GPUBuffer, out: GPUBuffer, n: number): void {
  rt.run(siluMulProgram(gate, up, out, n));
}
