/**
 * The CPU twins of the integer decode path (`../simd/wasm/quantX.ts`, `../simd/wasm/gemvi.ts`):
 * - `quantizeActivation(x, K)`: int8 per group of 32, `s = max|x| / 127`, `q = round_ties_even(x · (127 / max|x|))`
 *   in f32 arithmetic — the same bits as the SIMD quantiser;
 * - `gemvInt(q, w, out)`: `out[n] = Σ_g sw[n,g] · sx[g] · Σ_{k∈g} xq[k] · wq[n,k]` with exact integer dots and the
 *   group terms summed in f64 (the SIMD kernel sums them in f32 lanes: they differ by f32 rounding only).
 *
 * Quantising the activations adds an error next to the weights' own: per element at most half a step,
 * `|x − sx·xq| ≤ sx / 2 = max_g|x| / 254`, so per output `|Δ| ≤ Σ_g (max_g|x| / 254) · Σ_{k∈g} |ŵ[n,k]|`
 * (`activationErrorBound`). On the demo-shape models it moves logits by ~1e-2 relative to their spread, well under the
 * int8/int4 weight error (see `quantDot.test.ts` and docs/CPU-ENGINE.md).
 */
import { TributaryError } from '../../../core/errors.ts';
import type { Q4Matrix, Q8Matrix } from '../../quant.ts';

export const ACT_GROUP = 32;

export interface QuantizedActivation {
  /** K int8 values in column order */
  q: Int8Array;
  /** K / 32 scales */
  s: Float32Array;
}

const f = Math.fround;

/** round half to even (f32.nearest / f32x4.nearest) */
function roundEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function quantizeActivation(x: Float32Array, K: number, x0 = 0): QuantizedActivation {
  if (K % ACT_GROUP !== 0 || x0 + K > x.length) {
    throw new TributaryError('engine/bad-shape', `quantizeActivation: ${K} values from ${x0} must be a whole number of groups of ${ACT_GROUP} inside x (${x.length}).`);
  }
  const G = K / ACT_GROUP;
  const q = new Int8Array(K);
  const s = new Float32Array(G);
  for (let g = 0; g < G; g++) {
    const b = x0 + g * ACT_GROUP;
    let m = 0;
    for (let i = 0; i < ACT_GROUP; i++) m = Math.max(m, Math.abs(x[b + i]!));
    s[g] = f(m / 127);
    if (m === 0) continue;
    const inv = f(127 / m);
    for (let i = 0; i < ACT_GROUP; i++) q[g * ACT_GROUP + i] = Math.max(-127, Math.min(127, roundEven(f(x[b + i]! * inv))));
  }
  return { q, s };
}

/** Weight value (int) at row n, column k. */
function wq(w: Q8Matrix | Q4Matrix, n: number, k: number): number {
  const i = n * w.cols + k;
  if (w.kind === 'q8') return w.q[i]!;
  const b = w.q[i >> 1]!;
  return ((i & 1) === 0 ? b & 15 : b >> 4) - 8;
}

export function gemvInt(x: QuantizedActivation, w: Q8Matrix | Q4Matrix, out: Float32Array, o0 = 0): void {
  const K = w.cols;
  const G = K / ACT_GROUP;
  if (w.groupSize !== ACT_GROUP || x.q.length !== K) throw new TributaryError('engine/bad-shape', `gemvInt: needs groups of ${ACT_GROUP} and ${K} activations.`);
  for (let n = 0; n < w.rows; n++) {
    let acc = 0;
    for (let g = 0; g < G; g++) {
      let d = 0;
      for (let k = g * ACT_GROUP; k < (g + 1) * ACT_GROUP; k++) d += x.q[k]! * wq(w, n, k);
      acc += d * f(w.scales[n * G + g]! * x.s[g]!);
    }
    out[o0 + n] = acc;
  }
}

/** Per output row, the bound on what quantising x (`x` f32, K values) can change in `x · ŵ_n` (ŵ: dequantised w). */
export function activationErrorBound(x: Float32Array, w: Q8Matrix | Q4Matrix): Float64Array {
  const K = w.cols;
  const G = K / ACT_GROUP;
  const bound = new Float64Array(w.rows);
  for (let n = 0; n < w.rows; n++) {
    let e = 0;
    for (let g = 0; g < G; g++) {
      let m = 0;
      let sw = 0;
      for (let k = g * ACT_GROUP; k < (g + 1) * ACT_GROUP; k++) {
        m = Math.max(m, Math.abs(x[k]!));
        sw += Math.abs(wq(w, n, k));
      }
      e += (m / 254) * sw * w.scales[n * G + g]!;
    }
    bound[n] = e;
  }
  return bound;
}
