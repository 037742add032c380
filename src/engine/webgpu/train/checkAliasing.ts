/// <reference types="@webgpu/types" />
/**
 * WebGPU lets one buffer fill several read-only bindings of a dispatch but not a writable binding and any other:
 * the training ops check that their outputs are distinct from each other and from every input (inputs may alias),
 * so a bad call is a clear `engine/bad-shape` error instead of a validation error at submit.
 *
 * @example
 * checkOutputs('siluMulBackward', [gate, up, dy], { dGate, dUp });
 */
import { badShape } from '../program.ts';

export function checkOutputs(op: string, inputs: readonly GPUBuffer[], outputs: Record<string, GPUBuffer>): void {
  const ins = new Set(inputs);
  const seen = new Map<GPUBuffer, string>();
  for (const [name, b] of Object.entries(outputs)) {
    const other = seen.get(b);
    if (other !== undefined) throw badShape(op, `${other} and ${name} must be different buffers.`);
    if (ins.has(b)) throw badShape(op, `${name} must not also be one of the inputs.`);
    seen.set(b, name);
  }
}
