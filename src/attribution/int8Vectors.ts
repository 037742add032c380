/**
 * Passage vectors stored as int8 with one f32 scale per vector: each vector is L2-normalised, then
 * `q[j] = round(v[j] / s)` with `s = max|v| / 127`. Storage: `dims + 4` bytes per vector. The similarity of a
 * query q (quantised the same way) with vector i is `scale[i] · Σ_j q[j]·x[i,j]` (the query's own scale is
 * the same for every i, so it does not change the ranking and is left out): an approximation of cosine
 * similarity whose integer part is exact.
 */
import { TributaryError } from '../core/errors.ts';

export interface Int8Vectors {
  dims: number;
  count: number;
  /** count × dims, row-major */
  data: Int8Array;
  scales: Float32Array;
}

/** Quantises one vector into `out` (dims values) and returns its scale (0 for a zero vector). */
export function quantizeVector(v: ArrayLike<number>, out: Int8Array, outOffset = 0): number {
  let norm = 0;
  for (let j = 0; j < v.length; j++) norm += v[j]! * v[j]!;
  norm = Math.sqrt(norm);
  let max = 0;
  for (let j = 0; j < v.length; j++) max = Math.max(max, Math.abs(v[j]! / (norm || 1)));
  if (!(max > 0) || !Number.isFinite(max)) {
    out.fill(0, outOffset, outOffset + v.length);
    return 0;
  }
  const s = max / 127;
  for (let j = 0; j < v.length; j++) out[outOffset + j] = Math.max(-127, Math.min(127, Math.round(v[j]! / (norm || 1) / s)));
  return Math.fround(s);
}

/** Quantises `rows` vectors of `dims` values each (row-major `f32`). */
export function quantizeVectors(f32: ArrayLike<number>, dims: number): Int8Vectors {
  if (!Number.isInteger(dims) || dims < 1 || f32.length % dims !== 0) {
    throw new TributaryError('attribution/invalid-input', `vectors of ${dims} dimensions cannot be cut from ${f32.length} values.`);
  }
  const count = f32.length / dims;
  const data = new Int8Array(count * dims);
  const scales = new Float32Array(count);
  const row = new Float64Array(dims);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dims; j++) row[j] = f32[i * dims + j]!;
    scales[i] = quantizeVector(row, data, i * dims);
  }
  return { dims, count, data, scales };
}

/**
 * The CPU twin of shaders/int8_scores.wgsl: `out[i] = fround(scales[i] · dot(q, data[i]))`, the integer dot
 * exact (|dot| ≤ dims·127² < 2^24 for dims ≤ 1040, so the f32 conversion is exact too).
 */
export function int8Scores(q: Int8Array, v: Int8Vectors, out: Float32Array): void {
  const { dims, count, data, scales } = v;
  if (q.length !== dims || out.length < count) throw new TributaryError('attribution/invalid-input', `a ${q.length}-d query against ${dims}-d vectors.`);
  for (let i = 0; i < count; i++) {
    let dot = 0;
    const base = i * dims;
    for (let j = 0; j < dims; j++) dot += q[j]! * data[base + j]!;
    out[i] = Math.fround(scales[i]! * dot);
  }
}
