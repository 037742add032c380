/**
 * Embedding lookup: `out[t, :] = table[tokens[t], :]`, dequantising int8 / int4 rows (table `[vocab, hidden]`; also
 * reads the CPU backend's packed f32, int8 and int4 layouts).
 *
 * @example
 * embeddingGather(Int32Array.of(1, 5), embedTable, out);   // out: Float32Array(2 * hidden)
 */
import { TributaryError } from '../../../core/errors.ts';
import { dequantizeRow } from '../../quant.ts';
import type { CpuMatrix } from '../simd/simdRuntime.ts';
import { dequantizePackedQ4Row } from './packQ4.ts';
import { dequantizePackedQ8Row } from './packQ8.ts';

export function embeddingGather(tokens: Int32Array, table: CpuMatrix, out: Float32Array): void {
  const d = table.cols;
  if (out.length < tokens.length * d) throw new TributaryError('engine/bad-shape', `embeddingGather: out needs ${tokens.length}×${d} values, has ${out.length}.`);
  for (let t = 0; t < tokens.length; t++) {
    const id = tokens[t]!;
    if (!(id >= 0 && id < table.rows)) {
      throw new TributaryError('engine/bad-shape', `embeddingGather: token id ${id} is outside the vocabulary (0..${table.rows - 1}).`);
    }
    if (table.kind === 'f32p') {
      // packed panels (the CPU backend's SIMD layout): row id is every 16th value of its panel
      const src = table.data;
      for (let k = 0, i = (id >> 4) * 16 * d + (id & 15), o = t * d; k < d; k++, i += 16) out[o + k] = src[i]!;
    } else if (table.kind === 'q4p') dequantizePackedQ4Row(table, id, out.subarray(t * d, (t + 1) * d));
    else if (table.kind === 'q8p') dequantizePackedQ8Row(table, id, out.subarray(t * d, (t + 1) * d));
    else dequantizeRow(table, id, out.subarray(t * d, (t + 1) * d));
  }
}
