/**
 * Turns real-valued shares into integer parts per million that sum to exactly 1_000_000 (largest remainder:
 * each share gets its floor, then the units left go to the largest fractional parts, ties by position).
 */
import { TributaryError } from '../errors.ts';
import { PPM } from './types.ts';

/**
 * `shares` are non-negative and finite and are scaled to sum to 1; returns one integer ppm per share, summing
 * to exactly 1_000_000. Deterministic: the same list gives the same integers.
 * @throws TributaryError `attribution/invalid-input` on a negative, non-finite or all-zero list.
 */
export function sharesToPpm(shares: readonly number[]): number[] {
  let total = 0;
  for (const s of shares) {
    if (!Number.isFinite(s) || s < 0) throw new TributaryError('attribution/invalid-input', `a share is ${s}; shares must be finite and ≥ 0.`);
    total += s;
  }
  if (!(total > 0)) throw new TributaryError('attribution/invalid-input', 'all shares are zero; there is nothing to divide.');
  const exact = shares.map((s) => (s / total) * PPM);
  const out = exact.map((x) => Math.min(PPM, Math.floor(x)));
  let left = PPM - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  // left is < shares.length up to float error; loop in case rounding pushed it either way
  for (let k = 0; left !== 0 && order.length > 0; k = (k + 1) % order.length) {
    const i = order[k]!.i;
    if (left > 0) {
      out[i]! += 1;
      left -= 1;
    } else if (out[i]! > 0) {
      out[i]! -= 1;
      left += 1;
    }
  }
  return out;
}
