/**
 * Finite-difference gradient checks for the training ops: the loss is `L = Σ out ⊙ R` for a fixed random `R`, so
 * backward starts from `dOut = R`; each input element is nudged by ±h and the central difference compared with the
 * analytic gradient (relative to the gradient's largest magnitude: f32 storage bounds the precision).
 */
import { createRng } from '../../sampling/rng.ts';

export function randn(n: number, seed: number, scale = 1): Float32Array {
  const rng = createRng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Largest |analytic − numeric| over `x`, divided by max(1e-3, largest |numeric|). */
export function fdError(loss: () => number, x: Float32Array, analytic: Float32Array, h = 1e-2, maxChecks = 400): number {
  let maxDiff = 0;
  let maxMag = 1e-3;
  const step = Math.max(1, Math.floor(x.length / maxChecks));
  for (let i = 0; i < x.length; i += step) {
    const o = x[i]!;
    x[i] = o + h;
    const a = loss();
    x[i] = o - h;
    const b = loss();
    x[i] = o;
    const num = (a - b) / (2 * h);
    maxDiff = Math.max(maxDiff, Math.abs(num - analytic[i]!));
    maxMag = Math.max(maxMag, Math.abs(num));
  }
  return maxDiff / maxMag;
}
