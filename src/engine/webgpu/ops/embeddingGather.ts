/// <reference types="@webgpu/types" />
/**
 * Embedding lookup on the GPU (shaders/embedding.wgsl), twin of `cpu/kernels/embeddingGather.ts`:
 * `out[t, :] = table[tokens[t], :]` for an f32, f16, int8 or int4 table (rows dequantised in the kernel).
 * `tokens` is an i32 buffer; the CPU side checks ids against the vocabulary before uploading them
 * (`checkTokenIds`), since the kernel can only write a zero row for a bad id.
 *
 * @example
 * embeddingGather(rt, tokens, T, table, out);
 */
import type { GpuRuntime } from '../runtime.ts';
import { checkGpuMatrix, weightBindings, weightsShader, type GpuMatrix } from '../matrix.ts';
import { badShape, checkBuffer, checkGroups, checkInt, type GpuProgram } from '../program.ts';

/** Throws on a token id outside 0..vocab-1. */
export function checkTokenIds(tokens: Int32Array, vocab: number): void {
  for (let t = 0; t < tokens.length; t++) {
    const id = tokens[t]!;
    if (!(id >= 0 && id < vocab)) throw badShape('embeddingGather', `token id ${id} is outside the vocabulary (0..${vocab - 1}).`);
  }
}

export function embeddingGatherProgram(tokens: GPUBuffer, T: number, table: GpuMatrix, out: GPUBuffer): GpuProgram {
  const op = 'embeddingGather';
  checkInt(op, 'T', T);
  checkGpuMatrix(op, table);
  const d = table.cols;
  checkBuffer(op, 'tokens', tokens, T);
  checkBuffer(op, 'out', out, T * d);
  const dispatch: [number, number, number] = [Math.ceil(Math.ceil(d / 4) / 64), T, 1];
  checkGroups(op, dispatch);
  return {
    name: `${op}-${table.kind}`,
    shader: [weightsShader(table.kind), 'embedding'],
    uniforms: [{ u32: T }, { u32: d }, { u32: table.rows }, { u32: 'groupSize' in table ? table.groupSize : 1 }],
    bindings: [{ binding: 1, buffer: tokens }, { binding: 2, buffer: out }, ...weightBindings(table)],
    dispatch,
  };
}

export function embeddingGather(rt: GpuRuntime, tokens: GPUBuffer, T: number, table: GpuMatrix, out: GPUBuffer): void {
  if (tokens === out) throw badShape('embeddingGather', 'out must not be the tokens buffer.');
  rt.run(embeddingGatherProgram(tokens, T, table, out));
}
