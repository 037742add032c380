/**
 * Paged KV write (CPU twin of `shaders/kv_write_paged.wgsl`): row `t` of `k` and `v` (`[T, rowLen]`) goes to pool row
 * `dstRows[t]` of `kPool` and `vPool` (`[nPages * pageSize, rowLen]`).
 *
 * @example
 * kvWritePaged(k, v, 2, 64, kPool, vPool, Int32Array.of(17, 40));
 */
import { TributaryError } from '../../../core/errors.ts';

export function kvWritePaged(
  k: Float32Array,
  v: Float32Array,
  T: number,
  rowLen: number,
  kPool: Float32Array,
  vPool: Float32Array,
  dstRows: Int32Array,
): void {
  const poolRows = Math.min(kPool.length, vPool.length) / rowLen;
  if (dstRows.length < T || k.length < T * rowLen || v.length < T * rowLen) {
    throw new TributaryError('engine/bad-shape', `kvWritePaged: ${T} rows of ${rowLen} need ${T} destinations and sources of ${T * rowLen} values.`);
  }
  for (let t = 0; t < T; t++) {
    const r = dstRows[t]!;
    if (!(r >= 0 && r < poolRows)) throw new TributaryError('engine/bad-shape', `kvWritePaged: row ${t} goes to pool row ${r}, outside 0..${poolRows - 1}.`);
    kPool.set(k.subarray(t * rowLen, (t + 1) * rowLen), r * rowLen);
    vPool.set(v.subarray(t * rowLen, (t + 1) * rowLen), r * rowLen);
  }
}
