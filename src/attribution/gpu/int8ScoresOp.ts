/// <reference types="@webgpu/types" />
/**
 * Similarity of an int8 query with N int8 vectors on the GPU (shaders/int8_scores.wgsl), then the exact
 * top-k of the scores with the engine's topk kernel (shaders/topk.wgsl): bit for bit the CPU path
 * (int8Vectors.ts `int8Scores` + the CPU topK). The vectors are uploaded once (`uploadVectors`) and
 * queried many times.
 */
import type { GpuRuntime } from '../../engine/webgpu/runtime.ts';
import { checkBuffer, checkGroups, checkInt, type GpuProgram } from '../../engine/webgpu/program.ts';
import { topK, TOPK_MAX_K } from '../../engine/webgpu/ops/topK.ts';
import { TributaryError } from '../../core/errors.ts';
import type { Int8Vectors } from '../int8Vectors.ts';
import type { TopK } from '../vectorTopK.ts';

const MAX_X = 65535;

export function int8ScoresProgram(query: GPUBuffer, vectors: GPUBuffer, scales: GPUBuffer, scores: GPUBuffer, N: number, dims: number): GpuProgram {
  const op = 'int8Scores';
  checkInt(op, 'N', N);
  checkInt(op, 'dims', dims);
  if (dims % 4 !== 0) throw new TributaryError('engine/bad-shape', `int8Scores: dims must be a multiple of 4 (got ${dims}).`);
  const words = dims / 4;
  checkBuffer(op, 'query', query, words);
  checkBuffer(op, 'vectors', vectors, N * words);
  checkBuffer(op, 'scales', scales, N);
  checkBuffer(op, 'scores', scores, N);
  const groups = Math.ceil(N / 256);
  const x = Math.min(groups, MAX_X);
  const y = Math.ceil(groups / MAX_X);
  checkGroups(op, [x, y]);
  return {
    name: op,
    shader: ['int8_scores'],
    uniforms: [{ u32: N }, { u32: words }, { u32: x }, { u32: 0 }],
    bindings: [
      { binding: 1, buffer: query },
      { binding: 2, buffer: vectors },
      { binding: 3, buffer: scales },
      { binding: 4, buffer: scores },
    ],
    dispatch: [x, y, 1],
  };
}

export interface GpuVectors {
  vectors: Int8Vectors;
  data: GPUBuffer;
  scales: GPUBuffer;
  scores: GPUBuffer;
}

/** Uploads the vectors (int8 bytes as u32 words) once. */
export function uploadVectors(rt: GpuRuntime, v: Int8Vectors): GpuVectors {
  const bytes = new Uint8Array(Math.ceil(v.data.byteLength / 4) * 4);
  bytes.set(new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength));
  return { vectors: v, data: rt.upload(new Uint32Array(bytes.buffer)), scales: rt.upload(v.scales), scores: rt.createBuffer(v.count * 4) };
}

/** Scores of every vector (read back; for tests and small sets). */
export async function gpuInt8Scores(rt: GpuRuntime, g: GpuVectors, q: Int8Array): Promise<Float32Array> {
  const qb = rt.upload(new Uint32Array(Int8Array.from(q).buffer));
  rt.run(int8ScoresProgram(qb, g.data, g.scales, g.scores, g.vectors.count, g.vectors.dims));
  const out = await rt.readF32(g.scores, g.vectors.count);
  rt.deferDestroy(qb);
  return out;
}

/** Exact top-k on the GPU: scores, then topk.wgsl over them; reads back only k ids and scores. */
export async function gpuInt8TopK(rt: GpuRuntime, g: GpuVectors, q: Int8Array, k: number): Promise<TopK> {
  const n = g.vectors.count;
  const kk = Math.min(k, n, TOPK_MAX_K);
  const qb = rt.upload(new Uint32Array(Int8Array.from(q).buffer));
  rt.run(int8ScoresProgram(qb, g.data, g.scales, g.scores, n, g.vectors.dims));
  const ids = rt.createBuffer(kk * 4);
  const vals = rt.createBuffer(kk * 4);
  topK(rt, g.scores, 1, n, kk, ids, vals);
  const [gotIds, gotVals] = await Promise.all([rt.readI32(ids, kk), rt.readF32(vals, kk)]);
  rt.deferDestroy(qb);
  rt.deferDestroy(ids);
  rt.deferDestroy(vals);
  return { ids: gotIds, scores: gotVals };
}
