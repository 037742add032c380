/**
 * The `PackedQ4` layout of the CPU backend's int4 weights (what `gemvi4p` streams; `../simd/wasm/gemvi4p.ts` says
 * why): rows in panels of four, each panel one sequential run of `80·G` bytes (G = cols/32 groups):
 * - per block of four groups (320 bytes): for each of the four rows its 64 bytes with the 4-byte chunks transposed
 *   (byte `16v + 4g + i` of the row's block is byte `16g + 4v + i` as `quantizeQ4` stores it: group g, chunk v), then
 *   the four rows' four f32 scales (row by row);
 * - per last group (`G mod 4`, 80 bytes): the four rows' 16 bytes as stored, then their four f32 scales.
 * Same size as `q` + `scales`. Packing and unpacking only move bytes: the values are the same bits.
 */
import type { Q4Matrix } from '../../quant.ts';
import type { PackedQ4 } from '../simd/simdRuntime.ts';

/** bytes of a PackedQ4 with `rows` rows (a multiple of 4) of `cols` columns (a multiple of 32) */
export const packedQ4Bytes = (rows: number, cols: number): number => (rows / 4) * (cols / 32) * 80;

/** Byte offsets in a packed panel of (row r of the panel, byte j of the row as stored) and of (r, scale g). */
function offsets(cols: number): { byte: (r: number, j: number) => number; scale: (r: number, g: number) => number } {
  const G = cols / 32;
  const B = G >> 2;
  return {
    byte(r, j) {
      const g = j >> 4;
      if (g >= 4 * B) return 320 * B + 80 * (g - 4 * B) + 16 * r + (j & 15);
      const b = g >> 2;
      const v = (j >> 2) & 3;
      return 320 * b + 64 * r + 16 * v + 4 * (g & 3) + (j & 3);
    },
    scale(r, g) {
      if (g >= 4 * B) return 320 * B + 80 * (g - 4 * B) + 64 + 4 * r;
      return 320 * (g >> 2) + 256 + 16 * r + 4 * (g & 3);
    },
  };
}

/** Writes `m` (groups of 32, rows a multiple of 4) into `dst` (`packedQ4Bytes` bytes) in the PackedQ4 layout. */
export function packQ4(m: Q4Matrix, dst: Uint8Array): void {
  const { rows, cols } = m;
  const G = cols / 32;
  const rowB = cols / 2;
  const panelB = 80 * G;
  const at = offsets(cols);
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  for (let n = 0; n < rows; n++) {
    const base = (n >> 2) * panelB;
    const r = n & 3;
    for (let j = 0; j < rowB; j++) dst[base + at.byte(r, j)] = m.q[n * rowB + j]!;
    for (let g = 0; g < G; g++) dv.setFloat32(base + at.scale(r, g), m.scales[n * G + g]!, true);
  }
}

/** Row n of a PackedQ4, dequantised into `out` (`cols` values; as `dequantizeRow` on the matrix as stored). */
export function dequantizePackedQ4Row(p: PackedQ4, n: number, out: Float32Array): void {
  const cols = p.cols;
  const base = (n >> 2) * 80 * (cols / 32);
  const r = n & 3;
  const at = offsets(cols);
  const dv = new DataView(p.data.buffer, p.data.byteOffset, p.data.byteLength);
  for (let c = 0; c < cols; c += 2) {
    const b = p.data[base + at.byte(r, c >> 1)]!;
    const s = dv.getFloat32(base + at.scale(r, (c / 32) | 0), true);
    out[c] = ((b & 15) - 8) * s;
    out[c + 1] = ((b >> 4) - 8) * s;
  }
}

/** The matrix as `quantizeQ4` stores it (a copy). */
export function unpackQ4(p: PackedQ4): Q4Matrix {
  const { rows, cols } = p;
  const G = cols / 32;
  const rowB = cols / 2;
  const q = new Uint8Array((rows * cols) / 2);
  const scales = new Float32Array(rows * G);
  const at = offsets(cols);
  const dv = new DataView(p.data.buffer, p.data.byteOffset, p.data.byteLength);
  for (let n = 0; n < rows; n++) {
    const base = (n >> 2) * 80 * G;
    const r = n & 3;
    for (let j = 0; j < rowB; j++) q[n * rowB + j] = p.data[base + at.byte(r, j)]!;
    for (let g = 0; g < G; g++) scales[n * G + g] = dv.getFloat32(base + at.scale(r, g), true);
  }
  return { kind: 'q4', rows, cols, groupSize: 32, q, scales };
}
