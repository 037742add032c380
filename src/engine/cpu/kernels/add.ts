/**
 * Elementwise (residual) add: `out[i] = a[i] + b[i]`. `out` may alias `a` or `b`.
 *
 * @example
 * add(residual, attnOut, residual);
 */
import { TributaryError } from '../../../core/errors.ts';

export function add(a: Float32Array, b: Float32Array, out: Float32Array): void {
  const n = a.length;
  if (b.length !== n || out.length < n) throw new TributaryError('engine/bad-shape', `add: a, b and out differ in length (${n}, ${b.length}, ${out.length}).`);
  for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
}
