/// <reference types="@webgpu/types" />
/**
 * Appends T rows of K and V to the layer's caches on the GPU (shaders/kv_write.wgsl):
 * `cache[startPos + t, :] = src[t, :]` with rows of `rowLen = nKvHeads * headDim` values. `srcStride` and
 * the offsets (in values) let K and V come out of one fused QKV projection; by default the sources are
 * packed `[T, rowLen]`. (The CPU backend does the same with `Float32Array.set`.)
 *
 * @example
 * kvWrite(rt, k, v, T, nKv * hd, kCache, vCache, startPos, maxSeq);
 */
import type { GpuRuntime } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, checkInt, dispatch1d, type GpuProgram } from '../program.ts';

export interface KvWriteOptions {
  srcStride?: number;
  kOffset?: number;
  vOffset?: number;
}

export function kvWriteProgram(
  k: GPUBuffer,
  v: GPUBuffer,
  T: number,
  rowLen: number,
  kCache: GPUBuffer,
  vCache: GPUBuffer,
  startPos: number,
  maxSeq: number,
  opts: KvWriteOptions = {},
): GpuProgram {
  const op = 'kvWrite';
  checkInt(op, 'T', T);
  checkInt(op, 'rowLen', rowLen);
  checkInt(op, 'startPos', startPos, 0);
  const stride = opts.srcStride ?? rowLen;
  const kOff = opts.kOffset ?? 0;
  const vOff = opts.vOffset ?? 0;
  checkInt(op, 'srcStride', stride, rowLen);
  checkInt(op, 'kOffset', kOff, 0);
  checkInt(op, 'vOffset', vOff, 0);
  if (startPos + T > maxSeq) throw badShape(op, `positions ${startPos}..${startPos + T - 1} do not fit a cache of ${maxSeq}.`);
  checkBuffer(op, 'k', k, kOff + (T - 1) * stride + rowLen);
  checkBuffer(op, 'v', v, vOff + (T - 1) * stride + rowLen);
  checkBuffer(op, 'kCache', kCache, maxSeq * rowLen);
  checkBuffer(op, 'vCache', vCache, maxSeq * rowLen);
  const dispatch = dispatch1d(T * rowLen);
  checkGroups(op, dispatch);
  return {
    name: op,
    shader: ['kv_write'],
    uniforms: [{ u32: T }, { u32: rowLen }, { u32: startPos }, { u32: stride }, { u32: kOff }, { u32: vOff }, { u32: 0 }, { u32: 0 }],
    bindings: [
      { binding: 1, buffer: k },
      { binding: 2, buffer: v },
      { binding: 3, buffer: kCache },
      { binding: 4, buffer: vCache },
    ],
    dispatch,
  };
}

export function kvWrite(
  rt: GpuRuntime,
  k: GPUBuffer,
  v: GPUBuffer,
  T: number,
  rowLen: number,
  kCache: GPUBuffer,
  vCache: GPUBuffer,
  startPos: number,
  maxSeq: number,
  opts: KvWriteOptions = {},
): void {
  rt.run(kvWriteProgram(k, v, T, rowLen, kCache, vCache, startPos, maxSeq, opts));
}
