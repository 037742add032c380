/**
 * Weight matrices and group-wise symmetric quantisation (docs/ENGINE-CONTRACT.md, "Layouts and formats").
 *
 * All matrices are row-major `[rows = out, cols = in]` as in PyTorch linear layers.
 * - int8 (`q8`): per group of `groupSize` consecutive input columns of one row, `scale = max|w| / 127`,
 *   `q = round(w / scale)` in -127..127, `w ≈ q * scale`.
 * - int4 (`q4`): same grouping (group size 32), `scale = max|w| / 7`, stored as nibble `n = q + 8` in 1..15
 *   (0 is never produced; it would mean -8), two per byte, low nibble = even column; `w ≈ (n - 8) * scale`.
 *
 * Worst-case error per element is half a quantisation step: `|w - ŵ| ≤ scale / 2` (+ f32 rounding).
 *
 * @example
 * const q = quantizeQ8(w, 64, 128);          // 8-bit, groups of 32
 * const back = dequantize(q);                 // Float32Array(64*128)
 * matrixBytes(q);                             // 64*128 + 4*64*128/32 bytes
 */
import { TributaryError } from '../core/errors.ts';
import type { F16Matrix } from './f16.ts';

export interface F32Matrix {
  kind: 'f32';
  /** output features */
  rows: number;
  /** input features */
  cols: number;
  data: Float32Array;
}

export interface Q8Matrix {
  kind: 'q8';
  rows: number;
  cols: number;
  groupSize: number;
  /** rows*cols signed values */
  q: Int8Array;
  /** rows*cols/groupSize scales, row-major by (row, group) */
  scales: Float32Array;
}

export interface Q4Matrix {
  kind: 'q4';
  rows: number;
  cols: number;
  groupSize: number;
  /** rows*cols/2 bytes; low nibble = even column, high nibble = odd column; value = nibble - 8 */
  q: Uint8Array;
  scales: Float32Array;
}

export type Matrix = F32Matrix | Q8Matrix | Q4Matrix;
export type QuantKind = Matrix['kind'];

/** Default (and, for int4, only) group size. */
export const QUANT_GROUP_SIZE = 32;

function checkShape(data: Float32Array, rows: number, cols: number, groupSize: number, what: string): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows <= 0 || cols <= 0) {
    throw new TributaryError('engine/bad-shape', `${what}: rows and cols must be positive integers (got ${rows}×${cols}).`);
  }
  if (data.length !== rows * cols) {
    throw new TributaryError('engine/bad-shape', `${what}: expected ${rows * cols} values for a ${rows}×${cols} matrix, got ${data.length}.`);
  }
  if (!Number.isInteger(groupSize) || groupSize <= 0 || cols % groupSize !== 0) {
    throw new TributaryError(
      'engine/bad-shape',
      `${what}: the input size ${cols} is not a multiple of the group size ${groupSize}; keep this matrix in f32.`,
    );
  }
}

/** Wraps a Float32Array as an f32 matrix (no copy). */
export function f32Matrix(data: Float32Array, rows: number, cols: number): F32Matrix {
  if (data.length !== rows * cols) {
    throw new TributaryError('engine/bad-shape', `Expected ${rows * cols} values for a ${rows}×${cols} matrix, got ${data.length}.`);
  }
  return { kind: 'f32', rows, cols, data };
}

/** Group-wise symmetric int8 quantisation of a row-major `[rows, cols]` matrix. */
export function quantizeQ8(data: Float32Array, rows: number, cols: number, groupSize = QUANT_GROUP_SIZE): Q8Matrix {
  checkShape(data, rows, cols, groupSize, 'int8 quantisation');
  const n = rows * cols;
  const q = new Int8Array(n);
  const scales = new Float32Array(n / groupSize);
  for (let g = 0, base = 0; base < n; g++, base += groupSize) {
    let m = 0;
    for (let i = 0; i < groupSize; i++) {
      const a = Math.abs(data[base + i]!);
      if (!(a <= m)) {
        m = a; // a > m, or NaN (then stop: the group is refused below)
        if (a !== a) break;
      }
    }
    if (!Number.isFinite(m)) {
      throw new TributaryError('engine/bad-weights', `int8 quantisation: a weight in row ${Math.floor(base / cols)} is not a finite number.`);
    }
    const scale = Math.fround(m / 127);
    scales[g] = scale;
    if (scale === 0) continue;
    const inv = 1 / scale;
    for (let i = 0; i < groupSize; i++) {
      let v = Math.round(data[base + i]! * inv);
      if (v > 127) v = 127;
      else if (v < -127) v = -127;
      q[base + i] = v;
    }
  }
  return { kind: 'q8', rows, cols, groupSize, q, scales };
}

/** Group-wise symmetric int4 quantisation (group size 32, two values per byte, low nibble = even column). */
export function quantizeQ4(data: Float32Array, rows: number, cols: number, groupSize = QUANT_GROUP_SIZE): Q4Matrix {
  checkShape(data, rows, cols, groupSize, 'int4 quantisation');
  if (groupSize % 2 !== 0) throw new TributaryError('engine/bad-shape', `int4 quantisation: the group size must be even (got ${groupSize}).`);
  const n = rows * cols;
  const q = new Uint8Array(n / 2);
  const scales = new Float32Array(n / groupSize);
  for (let g = 0, base = 0; base < n; g++, base += groupSize) {
    let m = 0;
    for (let i = 0; i < groupSize; i++) {
      const a = Math.abs(data[base + i]!);
      if (!(a <= m)) {
        m = a; // a > m, or NaN (then stop: the group is refused below)
        if (a !== a) break;
      }
    }
    if (!Number.isFinite(m)) {
      throw new TributaryError('engine/bad-weights', `int4 quantisation: a weight in row ${Math.floor(base / cols)} is not a finite number.`);
    }
    const scale = Math.fround(m / 7);
    scales[g] = scale;
    const inv = scale === 0 ? 0 : 1 / scale;
    for (let i = 0; i < groupSize; i += 2) {
      let lo = Math.round(data[base + i]! * inv);
      let hi = Math.round(data[base + i + 1]! * inv);
      lo = lo > 7 ? 7 : lo < -7 ? -7 : lo;
      hi = hi > 7 ? 7 : hi < -7 ? -7 : hi;
      q[(base + i) >> 1] = (lo + 8) | ((hi + 8) << 4);
    }
  }
  return { kind: 'q4', rows, cols, groupSize, q, scales };
}

/** Quantises an f32 matrix to `kind`; a matrix whose input size is not a multiple of the group size stays f32. */
export function quantize(m: F32Matrix, kind: QuantKind, groupSize = QUANT_GROUP_SIZE): Matrix {
  if (kind === 'f32' || m.cols % groupSize !== 0) return m;
  return kind === 'q8' ? quantizeQ8(m.data, m.rows, m.cols, groupSize) : quantizeQ4(m.data, m.rows, m.cols, groupSize);
}

/** Dequantises row `r` of `m` into `out` (length `m.cols`). */
export function dequantizeRow(m: Matrix, r: number, out: Float32Array): void {
  const cols = m.cols;
  const base = r * cols;
  if (m.kind === 'f32') {
    out.set(m.data.subarray(base, base + cols));
    return;
  }
  const gs = m.groupSize;
  const gBase = base / gs;
  if (m.kind === 'q8') {
    for (let c = 0; c < cols; c++) out[c] = m.q[base + c]! * m.scales[gBase + ((c / gs) | 0)]!;
    return;
  }
  for (let c = 0; c < cols; c += 2) {
    const b = m.q[(base + c) >> 1]!;
    const s = m.scales[gBase + ((c / gs) | 0)]!;
    out[c] = ((b & 15) - 8) * s;
    out[c + 1] = ((b >> 4) - 8) * s;
  }
}

/** Dequantises `m` to a new row-major Float32Array (`rows*cols`). An f32 matrix is copied. */
export function dequantize(m: Matrix): Float32Array {
  const out = new Float32Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) dequantizeRow(m, r, out.subarray(r * m.cols, (r + 1) * m.cols));
  return out;
}

/** Bytes the matrix occupies (values plus scales). */
export function matrixBytes(m: Matrix): number {
  if (m.kind === 'f32') return m.data.byteLength;
  return m.q.byteLength + m.scales.byteLength;
}

function concatArrays<A extends Float32Array | Int8Array | Uint8Array | Uint16Array>(parts: readonly A[], make: (n: number) => A): A {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = make(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * The matrices' rows stacked in order (`[W0; W1; …]`, e.g. q/k/v as one weight): all of one format, input size and
 * group size. Quantisation works per row, so stacking quantised matrices equals quantising the stacked f32 rows.
 */
export function concatRows<M extends Matrix | F16Matrix>(parts: readonly M[]): M {
  const first = parts[0];
  if (!first) throw new TributaryError('engine/bad-shape', 'concatRows: no matrices given.');
  for (const p of parts) {
    if (p.kind !== first.kind || p.cols !== first.cols || ('groupSize' in p && 'groupSize' in first && p.groupSize !== first.groupSize)) {
      throw new TributaryError('engine/bad-shape', `concatRows: a ${p.kind} ${p.rows}×${p.cols} matrix cannot be stacked under a ${first.kind} ${first.rows}×${first.cols} one.`);
    }
  }
  const rows = parts.reduce((a, p) => a + p.rows, 0);
  const ps = parts as readonly (Matrix | F16Matrix)[];
  let m: Matrix | F16Matrix;
  switch (first.kind) {
    case 'f32':
      m = { kind: 'f32', rows, cols: first.cols, data: concatArrays(ps.map((p) => (p as F32Matrix).data), (n) => new Float32Array(n)) };
      break;
    case 'f16':
      m = { kind: 'f16', rows, cols: first.cols, data: concatArrays(ps.map((p) => (p as F16Matrix).data), (n) => new Uint16Array(n)) };
      break;
    case 'q8':
      m = { ...first, rows, q: concatArrays(ps.map((p) => (p as Q8Matrix).q), (n) => new Int8Array(n)), scales: concatArrays(ps.map((p) => (p as Q8Matrix).scales), (n) => new Float32Array(n)) };
      break;
    case 'q4':
      m = { ...first, rows, q: concatArrays(ps.map((p) => (p as Q4Matrix).q), (n) => new Uint8Array(n)), scales: concatArrays(ps.map((p) => (p as Q4Matrix).scales), (n) => new Float32Array(n)) };
      break;
  }
  return m as M;
}
