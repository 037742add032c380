/// <reference types="@webgpu/types" />
/**
 * Greedy token choice on the GPU (shaders/argmax.wgsl): `out[t] = argmax(logits[t, :])` as u32 (first
 * index on ties, NaN ignored), so greedy decoding reads back 4 bytes per row instead of the whole
 * vocabulary. Temperature, top-k, top-p, repetition penalty and seeded sampling stay on the CPU
 * (src/engine/sampling) after reading the logits back.
 *
 * @example
 * argmax(rt, logits, 1, vocab, ids); const [next] = await rt.readU32(ids, 1);
 */
import type { GpuRuntime } from '../runtime.ts';
import { checkBuffer, checkGroups, checkInt, type GpuProgram } from '../program.ts';

export function argmaxProgram(logits: GPUBuffer, T: number, V: number, out: GPUBuffer): GpuProgram {
  const op = 'argmax';
  checkInt(op, 'T', T);
  checkInt(op, 'V', V);
  checkBuffer(op, 'logits', logits, T * V);
  checkBuffer(op, 'out', out, T);
  checkGroups(op, [T]);
  return {
    name: op,
    shader: ['argmax'],
    uniforms: [{ u32: T }, { u32: V }, { u32: 0 }, { u32: 0 }],
    bindings: [
      { binding: 1, buffer: logits },
      { binding: 2, buffer: out },
    ],
    dispatch: [T, 1, 1],
  };
}

export function argmax(rt: GpuRuntime, logits: GPUBuffer, T: number, V: number, out: GPUBuffer): void {
  rt.run(argmaxProgram(logits, T, V, out));
}
