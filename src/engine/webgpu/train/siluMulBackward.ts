/// <reference types="@webgpu/types" />
/**
 * SwiGLU backward on the GPU (shaders/train/silu_mul_backward.wgsl), twin of the CPU TrainOps'
 * `siluMulBackward`:
 * from the forward's `gate`, `up` and the output gradient `dy` (n values each), adds to `dGate` and `dUp`.
 *
 * @example
 * siluMulBackward(rt, gate, up, dy, dGate, dUp, T * ffn);
 */
import type { GpuRuntime } from '../runtime.ts';
import { checkOutputs } from './checkAliasing.ts';
import { checkBuffer, checkGroups, checkInt, dispatch1d } from '../program.ts';

export function siluMulBackward(rt: GpuRuntime, gate: GPUBuffer, up: GPUBuffer, dy: GPUBuffer, dGate: GPUBuffer, dUp: GPUBuffer, n: number): void {
  const op = 'siluMulBackward';
  checkInt(op, 'n', n);
  for (const [what, b] of [['gate', gate], ['up', up], ['dy', dy], ['dGate', dGate], ['dUp', dUp]] as const) checkBuffer(op, what, b, n);
  checkOutputs(op, [gate, up, dy], { dGate, dUp });
  const dispatch = dispatch1d(n);
  checkGroups(op, dispatch);
  rt.run({
    name: op,
    shader: ['train/silu_mul_backward'],
    uniforms: [{ u32: n }, { u32: 0 }, { u32: 0 }, { u32: 0 }],
    bindings: [
      { binding: 1, buffer: gate },
      { binding: 2, buffer: up },
      { binding: 3, buffer: dy },
      { binding: 4, buffer: dGate },
      { binding: 5, buffer: dUp },
    ],
    dispatch,
  });
}
