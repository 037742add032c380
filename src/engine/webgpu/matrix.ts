/// <reference types="@webgpu/types" />
/**
 * Weight matrices on the GPU, in the same formats as `src/engine/quant.ts` and `src/engine/f16.ts` (row-major
 * `[rows = out, cols = in]`): f32 values; f16 halves (u32 words, two values each, even column in the low
 * half; `cols` must be even); int8 bytes (read by WGSL as u32 words, four values each) plus scales; int4
 * packed nibbles (u32 words, eight values each, low nibble = even column) plus scales. The bytes are
 * copied as they are, never reinterpreted through another typed view.
 *
 * @example
 * const w = uploadMatrix(rt, quantizeQ4(data, rows, cols));
 * matmul(rt, x, T, w, out);
 */
import { TributaryError } from '../../core/errors.ts';
import type { F16Matrix } from '../f16.ts';
import type { Matrix } from '../quant.ts';
import type { GpuRuntime } from './runtime.ts';

export type GpuMatrix =
  | { kind: 'f32'; rows: number; cols: number; data: GPUBuffer }
  | { kind: 'f16'; rows: number; cols: number; data: GPUBuffer }
  | { kind: 'q8' | 'q4'; rows: number; cols: number; groupSize: number; q: GPUBuffer; scales: GPUBuffer };

/** The WGSL weight-access snippet for a format. */
export function weightsShader(kind: GpuMatrix['kind']): string {
  return `lib/weights_${kind}`;
}

/** The bindings a kernel gives the weights (8: values, 9: scales). */
export function weightBindings(w: GpuMatrix): { binding: number; buffer: GPUBuffer }[] {
  return w.kind === 'f32' || w.kind === 'f16' ? [{ binding: 8, buffer: w.data }] : [{ binding: 8, buffer: w.q }, { binding: 9, buffer: w.scales }];
}

/** The buffers a matrix owns. */
export function gpuMatrixBuffers(w: GpuMatrix): GPUBuffer[] {
  return w.kind === 'f32' || w.kind === 'f16' ? [w.data] : [w.q, w.scales];
}

/** Throws unless the matrix's buffers are big enough and its group size fits the kernels. */
export function checkGpuMatrix(op: string, w: GpuMatrix): void {
  const { rows, cols } = w;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows <= 0 || cols <= 0) {
    throw new TributaryError('engine/bad-shape', `${op}: the weight matrix must have positive integer sizes (got ${rows}×${cols}).`);
  }
  if (w.kind === 'f32') {
    if (w.data.size < rows * cols * 4) throw new TributaryError('engine/bad-shape', `${op}: the f32 weights need ${rows * cols * 4} bytes, the buffer has ${w.data.size}.`);
    return;
  }
  if (w.kind === 'f16') {
    // two halves per u32 word: an odd row length would start every other row mid-word
    if (cols % 2 !== 0) throw new TributaryError('engine/bad-shape', `${op}: f16 weights need an even input size (got ${cols}); keep this matrix in f32.`);
    if (w.data.size < rows * cols * 2) throw new TributaryError('engine/bad-shape', `${op}: the f16 weights need ${rows * cols * 2} bytes, the buffer has ${w.data.size}.`);
    return;
  }
  const gs = w.groupSize;
  const step = w.kind === 'q4' ? 8 : 4;
  if (!Number.isInteger(gs) || gs <= 0 || gs % step !== 0 || cols % gs !== 0) {
    throw new TributaryError('engine/bad-shape', `${op}: ${w.kind} weights need a group size that is a multiple of ${step} and divides ${cols} (got ${gs}).`);
  }
  const qBytes = w.kind === 'q8' ? rows * cols : (rows * cols) / 2;
  if (w.q.size < qBytes || w.scales.size < ((rows * cols) / gs) * 4) {
    throw new TributaryError('engine/bad-shape', `${op}: the ${w.kind} weight buffers are too small for ${rows}×${cols}.`);
  }
}

/** Copies a CPU matrix to the GPU (f16: the halves as they are; convert with `toF16Matrix`). */
export function uploadMatrix(rt: GpuRuntime, m: Matrix | F16Matrix, label = 'weights'): GpuMatrix {
  if (m.kind === 'f32') return { kind: 'f32', rows: m.rows, cols: m.cols, data: rt.upload(m.data, undefined, label) };
  if (m.kind === 'f16') {
    if (m.data.length !== m.rows * m.cols) {
      throw new TributaryError('engine/bad-shape', `uploadMatrix: expected ${m.rows * m.cols} halves for a ${m.rows}×${m.cols} matrix, got ${m.data.length}.`);
    }
    if (m.cols % 2 !== 0) throw new TributaryError('engine/bad-shape', `uploadMatrix: f16 weights need an even input size (got ${m.cols}); keep this matrix in f32.`);
    return { kind: 'f16', rows: m.rows, cols: m.cols, data: rt.upload(m.data, undefined, label) };
  }
  const g: GpuMatrix = {
    kind: m.kind,
    rows: m.rows,
    cols: m.cols,
    groupSize: m.groupSize,
    q: rt.upload(m.q, undefined, `${label}.q`),
    scales: rt.upload(m.scales, undefined, `${label}.scales`),
  };
  checkGpuMatrix('uploadMatrix', g);
  return g;
}

/** Bytes the matrix takes on the GPU. */
export function gpuMatrixBytes(w: GpuMatrix): number {
  let n = 0;
  for (const b of gpuMatrixBuffers(w)) n += b.size;
  return n;
}

export function destroyGpuMatrix(w: GpuMatrix): void {
  for (const b of gpuMatrixBuffers(w)) b.destroy();
}
