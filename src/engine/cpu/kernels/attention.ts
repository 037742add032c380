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
let offsetBuf = new Int32Array(0);

/**
 * All heads of query row `t`: head `h` attends to the `L` keys whose rows start at `keyOffsets[0..L)` (floats) in
 * `kCache` / `vCache`, reading KV head `floor(h / (nHeads / nKvHeads))`. The one place the math lives: the contiguous
 * kernel passes `s · kvStride`, the paged one its pages' rows, so both give the same bits per row.
 */
export function attendRow(
  q: Float32Array,
  t: number,
  nHeads: number,
  nKvHeads: number,
  headDim: number,
  kCache: Float32Array,
  vCache: Float32Array,
  keyOffsets: Int32Array,
  L: number,
  out: Float32Array,
): void {
  const group = nHeads / nKvHeads;
  const scale = 1 / Math.sqrt(headDim);
  if (scoreBuf.length < L) scoreBuf = new Float64Array(L);
  if (accBuf.length < headDim) accBuf = new Float64Array(headDim);
  const scores = scoreBuf;
  const acc = accBuf;
  for (let h = 0; h < nHeads; h++) {
    const qo = (t * nHeads + h) * headDim;
    const kvh = ((h / group) | 0) * headDim;
    let max = -Infinity;
    for (let s = 0; s < L; s++) {
      let ko = keyOffsets[s]! + kvh;
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
      const vo = keyOffsets[s]! + kvh;
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
  if (offsetBuf.length < S) offsetBuf = new Int32Array(S);
  const offsets = offsetBuf;
  for (let s = 0; s < S; s++) offsets[s] = s * kvStride;
  for (let t = 0; t < T; t++) attendRow(q, t, nHeads, nKvHeads, headDim, kCache, vCache, offsets, startPos + t + 1, out);
}
