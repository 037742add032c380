/**
 * Top-K of each row of `logits` [T, V]: `ids[t, r]` / `vals[t, r]` are the r-th largest of `logits[t, :]` in the
 * order (value descending, then id ascending). NaN is never selected; -0 and +0 tie (broken by id); when a row
 * has fewer than K non-NaN values the remaining slots get id -1 and value -inf. Values are copied from
 * `logits`, never computed. The CPU twin of shaders/topk.wgsl (bit-for-bit). O(V·K) worst case per row, about
 * O(V) on typical logits (most values lose to the current K-th at once). 1 ≤ K ≤ V.
 *
 * @example
 * topK(logits, 1, vocab, 40, ids, vals);
 */
import { TributaryError } from '../../../core/errors.ts';

const isInt = (n: number, min: number): boolean => Number.isInteger(n) && n >= min;

export function topK(logits: Float32Array, T: number, V: number, K: number, ids: Int32Array, vals: Float32Array): void {
  if (!isInt(T, 1) || !isInt(V, 1) || !isInt(K, 1) || K > V || logits.length < T * V || ids.length < T * K || vals.length < T * K) {
    throw new TributaryError(
      'engine/bad-shape',
      `topK: needs integers T ≥ 1, V ≥ 1 and 1 ≤ K ≤ V, logits of T×V values and ids, vals of T×K (got T=${T}, V=${V}, K=${K}; ${logits.length}, ${ids.length}, ${vals.length}).`,
    );
  }
  // the row's best so far, sorted: listV descending, equal values in increasing id (ids arrive in order)
  const listI = new Int32Array(K);
  const listV = new Float32Array(K);
  for (let t = 0; t < T; t++) {
    const base = t * V;
    let n = 0;
    for (let v = 0; v < V; v++) {
      const x = logits[base + v]!;
      if (x !== x) continue; // NaN
      // a later id loses ties, so it must beat the K-th strictly
      if (n === K && !(x > listV[K - 1]!)) continue;
      // first position whose value it beats strictly
      let p = n === K ? K - 1 : n;
      while (p > 0 && x > listV[p - 1]!) p--;
      const last = n === K ? K - 1 : n;
      for (let j = last; j > p; j--) {
        listV[j] = listV[j - 1]!;
        listI[j] = listI[j - 1]!;
      }
      listV[p] = x;
      listI[p] = v;
      if (n < K) n++;
    }
    const out = t * K;
    for (let r = 0; r < K; r++) {
      if (r < n) {
        ids[out + r] = listI[r]!;
        vals[out + r] = listV[r]!;
      } else {
        ids[out + r] = -1;
        vals[out + r] = -Infinity;
      }
    }
  }
}
