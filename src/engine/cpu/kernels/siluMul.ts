/**
 * SwiGLU gate: `out[i] = silu(gate[i]) · up[i]` with `silu(x) = x / (1 + e^(−x))`. `out` may alias either input.
 *
 * @example
 * siluMul(gate, up, out);
 */
import { TributaryError } from '../../../core/errors.ts';

export function siluMul(gate: Float32Array, up: Float32Array, out: Float32Array): void {
  const n = gate.length;
  if (up.length !== n || out.length < n) throw new TributaryError('engine/bad-shape', `siluMul: gate, up and out differ in length (${n}, ${up.length}, ${out.length}).`);
  for (let i = 0; i < n; i++) {
    const g = gate[i]!;
    out[i] = (g / (1 + Math.exp(-g))) * up[i]!;
  }
}
