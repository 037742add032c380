/**
 * Reward policies and exact integer splits of money.
 *
 * Money is `bigint` base units, never a float, and every split here returns parts that sum exactly to
 * what was split: no unit is created or lost.
 */
import { TributaryError } from './errors.ts';
import { BPS_DENOMINATOR, type RewardPolicy } from './types.ts';

const DENOMINATOR = BigInt(BPS_DENOMINATOR);

function isBps(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= BPS_DENOMINATOR;
}

/**
 * Checks a reward policy: both shares are integers in basis points, 0..10_000, summing to exactly 10_000.
 * Returns a clean copy (only the two known fields).
 *
 * @throws TributaryError `datanet/invalid` naming the field and the fix.
 */
export function validateRewardPolicy(p: RewardPolicy): RewardPolicy {
  if (typeof p !== 'object' || p === null) {
    throw new TributaryError('datanet/invalid', 'Reward policy is missing: set contributor and owner shares that add up to 100 %.', 'rewardPolicy');
  }
  if (!isBps(p.contributorsBps)) {
    throw new TributaryError(
      'datanet/invalid',
      `Contributors' share must be a whole number of basis points between 0 and ${BPS_DENOMINATOR} (got ${String(p.contributorsBps)}).`,
      'rewardPolicy.contributorsBps',
    );
  }
  if (!isBps(p.ownerBps)) {
    throw new TributaryError(
      'datanet/invalid',
      `Owner's share must be a whole number of basis points between 0 and ${BPS_DENOMINATOR} (got ${String(p.ownerBps)}).`,
      'rewardPolicy.ownerBps',
    );
  }
  if (p.contributorsBps + p.ownerBps !== BPS_DENOMINATOR) {
    throw new TributaryError(
      'datanet/invalid',
      `Contributors' and owner's shares must add up to ${BPS_DENOMINATOR} bps (100 %); they add up to ${p.contributorsBps + p.ownerBps}.`,
      'rewardPolicy',
    );
  }
  return { contributorsBps: p.contributorsBps, ownerBps: p.ownerBps };
}

/**
 * Splits a fee between a Datanet's contributors and its owner.
 *
 * `contributors = floor(fee * contributorsBps / 10_000)`; the owner gets the rest (`fee - contributors`),
 * so the rounding dust (less than one base unit) always goes to the owner and the two parts sum to `fee`.
 *
 * @throws RangeError when `fee` is negative; TributaryError `datanet/invalid` for an invalid policy.
 */
export function splitByPolicy(fee: bigint, p: RewardPolicy): { contributors: bigint; owner: bigint } {
  if (fee < 0n) throw new RangeError(`fee must not be negative (got ${fee})`);
  const policy = validateRewardPolicy(p);
  const contributors = (fee * BigInt(policy.contributorsBps)) / DENOMINATOR;
  return { contributors, owner: fee - contributors };
}

/**
 * Splits `amount` pro rata to integer weights with the largest-remainder (Hamilton) method.
 *
 * Dust rule: every key first gets `floor(amount * weight / totalWeight)`. The units left over (fewer
 * than the number of keys) go one each to the keys with the largest remainders
 * `amount * weight mod totalWeight`; equal remainders are broken by key order (JavaScript string
 * comparison, ascending). Consequences:
 * - the parts sum to exactly `amount`, none is negative;
 * - a key with weight 0 gets 0 (its remainder is 0 and never reaches the leftover units);
 * - a larger weight never gets less than a smaller one, and growing one key's weight (others fixed)
 *   never lowers its part (monotone); equal weights differ by at most 1;
 * - each part is its exact quota `amount * weight / totalWeight` rounded down or up.
 *
 * @throws RangeError when `amount` or a weight is negative, a key repeats, or no weight is positive.
 */
export function splitProRata(amount: bigint, weights: ReadonlyArray<{ key: string; weight: bigint }>): Map<string, bigint> {
  if (amount < 0n) throw new RangeError(`amount must not be negative (got ${amount})`);
  let total = 0n;
  const seen = new Set<string>();
  for (const { key, weight } of weights) {
    if (weight < 0n) throw new RangeError(`weight of ${key} must not be negative (got ${weight})`);
    if (seen.has(key)) throw new RangeError(`key ${key} appears more than once`);
    seen.add(key);
    total += weight;
  }
  if (total === 0n) throw new RangeError('cannot split pro rata: no weight is positive');

  const parts = weights.map(({ key, weight }) => {
    const scaled = amount * weight;
    return { key, share: scaled / total, remainder: scaled % total };
  });
  let leftover = amount - parts.reduce((sum, p) => sum + p.share, 0n);
  const order = [...parts].sort((a, b) =>
    a.remainder !== b.remainder ? (a.remainder > b.remainder ? -1 : 1) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  );
  for (const p of order) {
    if (leftover === 0n) break;
    p.share += 1n;
    leftover -= 1n;
  }
  return new Map(parts.map((p) => [p.key, p.share]));
}
