/**
 * Causal grouped-query attention over a KV cache (CPU twin of `shaders/attention.wgsl`).
 *
 * `q` is `[T, nHeads, headDim]` for tokens at absolute positions `startPos .. startPos+T-1`; `kCache` and `vCache`
 * are `[maxSeq, nKvHeads, headDim]` and must already hold positions `0 .. startPos+T-1`. Query `t` attends to cache
 * positions `0 .. startPos+t`; query head `h` reads KV head `floor(h / (nHeads / nKvHeads))`. Scores are scaled by
 * `1/sqrt(headDim)`, dot products and softmax are computed in f64 with the max subtracted (head size a multiple of 4). Serves prefill (T > 1) and decode (T = 1).
 *
 * @example
 * attention(q, kCache, vCache, 1, pos, 4, 2, 16, out);   // one decode step
 */
import { TributaryError } from '../../../core/errors.ts';

let scoreBuf = new Float64Array(0);
let accBuf = new Float64Array(0);

export function attention(
  q: Float32Array,
  kCache: Float32Array,
  vCache: Float32Array,
  T: number,
  startPos: number,
  nHeads: number,
  nKvHeads: number,
  headDim: number,
  out: Float32Array,
): void {
  if (nHeads % nKvHeads !== 0) {
    throw new TributaryError('engine/bad-config', `attention: ${nHeads} query heads cannot be grouped over ${nKvHeads} KV heads.`);
  }
  const S = startPos + T;
  const kvStride = nKvHeads * headDim;
  if (q.length < T * nHeads * headDim || out.length < T * nHeads * headDim || kCache.length < S * kvStride || vCache.length < S * kvStride) {
    throw new TributaryError('engine/bad-shape', `attention: buffers too small for ${T} queries at position ${startPos} (${nHeads}/${nKvHeads} heads of ${headDim}).`);
  }
  if (headDim % 4 !== 0) throw new TributaryError('engine/bad-config', `attention: the head size ${headDim} must be a multiple of 4.`);
  const group = nHeads / nKvHeads;
  const scale = 1 / Math.sqrt(headDim);
  if (scoreBuf.length < S) scoreBuf = new Float64Array(S);
  if (accBuf.length < headDim) accBuf = new Float64Array(headDim);
  const scores = scoreBuf;
  const acc = accBuf;
  for (let t = 0; t < T; t++) {
    const L = startPos + t + 1;
    for (let h = 0; h < nHeads; h++) {
      const qo = (t * nHeads + h) * headDim;
      const kvh = ((h / group) | 0) * headDim;
      let max = -Infinity;
      for (let s = 0; s < L; s++) {
        let ko = s * kvStride + kvh;
        let d0 = 0, d1 = 0, d2 = 0, d3 = 0;
        for (let i = qo, e = qo + headDim; i < e; i += 4, ko += 4) {
          d0 += q[i]! * kCache[ko]!;
          d1 += q[i + 1]! * kCache[ko + 1]!;
          d2 += q[i + 2]! * kCache[ko + 2]!;
          d3 += q[i + 3]! * kCache[ko + 3]!;
        }
        const dot = (d0 + d1 + (d2 + d3)) * scale;
        scores[s] = dot;
        if (dot > max) max = dot;
      }
      let sum = 0;
      for (let s = 0; s < L; s++) {
        const e = Math.exp(scores[s]! - max);
        scores[s] = e;
        sum += e;
      }
      acc.fill(0, 0, headDim);
      for (let s = 0; s < L; s++) {
        const p = scores[s]!;
        const vo = s * kvStride + kvh;
        for (let i = 0; i < headDim; i += 4) {
          acc[i] = acc[i]! + p * vCache[vo + i]!;
          acc[i + 1] = acc[i + 1]! + p * vCache[vo + i + 1]!;
          acc[i + 2] = acc[i + 2]! + p * vCache[vo + i + 2]!;
          acc[i + 3] = acc[i + 3]! + p * vCache[vo + i + 3]!;
        }
      }
      const inv = 1 / sum;
      for (let i = 0; i < headDim; i++) out[qo + i] = acc[i]! * inv;
    }
  }
}
