/**
 * The `PackedQ8` layout of the CPU backend's int8 weights (what `gemvi8p` streams; `../simd/wasm/gemvi8p.ts` says
 * why): rows in panels of four, each panel one sequential run of `144·G` bytes (G = cols/32 groups):
 * - per block of four groups (576 bytes): for each of the four rows its 128 bytes with 2-byte chunks transposed (chunk
 *   `4j + g` holds columns `2j, 2j+1` of group g, j = 0..15: each 8-byte half of a 16-byte vector has two columns of each
 *   of the four groups), then the four rows' four f32 scales (row by row);
 * - per last group (`G mod 4`, 144 bytes): the four rows' 32 bytes as stored, then their four f32 scales.
 * Same size as `q` + `scales`. Packing and unpacking only move bytes: the values are the same bits.
 */
import type { Q8Matrix } from '../../quant.ts';
import type { PackedQ8 } from '../simd/simdRuntime.ts';

/** bytes of a PackedQ8 with `rows` rows (a multiple of 4) of `cols` columns (a multiple of 32) */
export const packedQ8Bytes = (rows: number, cols: number): number => (rows / 4) * (cols / 32) * 144;

/** Byte offsets in a packed panel of (row r of the panel, column c) and of (r, scale g). */
function offsets(cols: number): { byte: (r: number, c: number) => number; scale: (r: number, g: number) => number } {
  const G = cols / 32;
  const B = G >> 2;
  return {
    byte(r, c) {
      const g = c >> 5;
      if (g >= 4 * B) return 576 * B + 144 * (g - 4 * B) + 32 * r + (c & 31);
      const j = (c & 31) >> 1;
      return 576 * (g >> 2) + 128 * r + 2 * (4 * j + (g & 3)) + (c & 1);
    },
    scale(r, g) {
      if (g >= 4 * B) return 576 * B + 144 * (g - 4 * B) + 128 + 4 * r;
      return 576 * (g >> 2) + 512 + 16 * r + 4 * (g & 3);
    },
  };
}

/** Writes `m` (groups of 32, rows a multiple of 4) into `dst` (`packedQ8Bytes` bytes) in the PackedQ8 layout. */
export function packQ8(m: Q8Matrix, dst: Uint8Array): void {
  const { rows, cols } = m;
  const G = cols / 32;
  const panelB = 144 * G;
  const at = offsets(cols);
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  const bytes = new Uint8Array(m.q.buffer, m.q.byteOffset, m.q.byteLength);
  for (let n = 0; n < rows; n++) {
    const base = (n >> 2) * panelB;
    const r = n & 3;
    for (let c = 0; c < cols; c++) dst[base + at.byte(r, c)] = bytes[n * cols + c]!;
    for (let g = 0; g < G; g++) dv.setFloat32(base + at.scale(r, g), m.scales[n * G + g]!, true);
  }
}

/** Row n of a PackedQ8, dequantised into `out` (`cols` values; as `dequantizeRow` on the matrix as stored). */
export function dequantizePackedQ8Row(p: PackedQ8, n: number, out: Float32Array): void {
  const cols = p.cols;
  const base = (n >> 2) * 144 * (cols / 32);
  const r = n & 3;
  const at = offsets(cols);
  const dv = new DataView(p.data.buffer, p.data.byteOffset, p.data.byteLength);
  for (let c = 0; c < cols; c++) out[c] = dv.getInt8(base + at.byte(r, c)) * dv.getFloat32(base + at.scale(r, c >> 5), true);
}

/** The matrix as `quantizeQ8` stores it (a copy). */
export function unpackQ8(p: PackedQ8): Q8Matrix {
  const { rows, cols } = p;
  const G = cols / 32;
  const q = new Int8Array(rows * cols);
  const scales = new Float32Array(rows * G);
  const at = offsets(cols);
  const dv = new DataView(p.data.buffer, p.data.byteOffset, p.data.byteLength);
  for (let n = 0; n < rows; n++) {
    const base = (n >> 2) * 144 * G;
    const r = n & 3;
    for (let c = 0; c < cols; c++) q[n * cols + c] = dv.getInt8(base + at.byte(r, c));
    for (let g = 0; g < G; g++) scales[n * G + g] = dv.getFloat32(base + at.scale(r, g), true);
  }
  return { kind: 'q8', rows, cols, groupSize: 32, q, scales };
}
