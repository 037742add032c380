/**
 * RMSNorm over the last dimension: `out[t, i] = x[t, i] / sqrt(mean_i(x[t]²) + eps) · weight[i]`
 * (HF `LlamaRMSNorm`; the mean is computed in f64). `out` may be `x`.
 *
 * @example
 * rmsNorm(x, T, d, gamma, 1e-5, out);
 */
import { TributaryError } from '../../../core/errors.ts';

export function rmsNorm(x: Float32Array, T: number, d: number, weight: Float32Array, eps: number, out: Float32Array): void {
  if (x.length < T * d || out.length < T * d || weight.length !== d) {
    throw new TributaryError('engine/bad-shape', `rmsNorm: x and out need ${T}×${d} values and weight ${d} (got ${x.length}, ${out.length}, ${weight.length}).`);
  }
  for (let t = 0; t < T; t++) {
    const o = t * d;
    let ss = 0;
    for (let i = 0; i < d; i++) {
      const v = x[o + i]!;
      ss += v * v;
    }
    const inv = 1 / Math.sqrt(ss / d + eps);
    for (let i = 0; i < d; i++) out[o + i] = x[o + i]! * inv * weight[i]!;
  }
}
