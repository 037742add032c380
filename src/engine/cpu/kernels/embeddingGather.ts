/**
 * Embedding lookup: `out[t, :] = table[tokens[t], :]`, dequantising int8 / int4 rows (table `[vocab, hidden]`).
 *
 * @example
 * embeddingGather(Int32Array.of(1, 5), embedTable, out);   // out: Float32Array(2 * hidden)
 */
import { TributaryError } from '../../../core/errors.ts';
import { dequantizeRow, type Matrix } from '../../quant.ts';

export function embeddingGather(tokens: Int32Array, table: Matrix, out: Float32Array): void {
  const d = table.cols;
  if (out.length < tokens.length * d) throw new TributaryError('engine/bad-shape', `embeddingGather: out needs ${tokens.length}×${d} values, has ${out.length}.`);
  for (let t = 0; t < tokens.length; t++) {
    const id = tokens[t]!;
    if (!(id >= 0 && id < table.rows)) {
      throw new TributaryError('engine/bad-shape', `embeddingGather: token id ${id} is outside the vocabulary (0..${table.rows - 1}).`);
    }
    dequantizeRow(table, id, out.subarray(t * d, (t + 1) * d));
  }
}
