/**
 * Sentence vectors from per-token states, as sentence-transformers pools them: `mean` averages the states of the
 * tokens the attention mask keeps, `cls` takes the first token's; `normalize` scales to unit length (L2). Sums run in
 * f64 in token order, so the same states give the same vector everywhere.
 */
import { TributaryError } from '../../core/errors.ts';
import type { Pooling } from './encoderConfig.ts';

/** `states`: `[T, dims]` row-major; `mask`: T values (1 keep, 0 padding), all kept when absent. */
export function poolTokenStates(states: ArrayLike<number>, tokens: number, dims: number, pooling: Pooling, normalize: boolean, mask?: ArrayLike<number>): Float32Array {
  if (states.length !== tokens * dims) throw new TributaryError('encoder/mismatch', `the model gave ${states.length} values for ${tokens} tokens of ${dims} dimensions.`);
  const acc = new Float64Array(dims);
  if (pooling === 'cls') {
    for (let j = 0; j < dims; j++) acc[j] = tokens > 0 ? states[j]! : 0;
  } else {
    let kept = 0;
    for (let t = 0; t < tokens; t++) {
      if (mask && !mask[t]) continue;
      kept++;
      for (let j = 0; j < dims; j++) acc[j]! += states[t * dims + j]!;
    }
    for (let j = 0; j < dims; j++) acc[j] = acc[j]! / Math.max(kept, 1e-9);
  }
  if (normalize) {
    let n = 0;
    for (let j = 0; j < dims; j++) n += acc[j]! * acc[j]!;
    // sentence-transformers' Normalize divides by max(‖v‖, 1e-12)
    const s = 1 / Math.max(Math.sqrt(n), 1e-12);
    for (let j = 0; j < dims; j++) acc[j] = acc[j]! * s;
  }
  return Float32Array.from(acc);
}
