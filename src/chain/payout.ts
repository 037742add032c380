/**
 * DIRECT or POOLED? The gas crossover rule for one settlement batch, from the costs measured by
 * `npm run bench -- gas` (bench/results/gas.json, anvil, cancun/prague EVM rules).
 *
 * Both modes pay the same per-payment costs (signature, replay flag, events). They differ in:
 * - DIRECT: one token transfer per distinct recipient in the batch, paid by the payer now; a recipient
 *   that never held the token costs a fresh balance slot (~22k gas more than one that did);
 * - POOLED: one pool-total update per batch, a share of the epoch root post, and later one claim per
 *   recipient (paid by the recipient, ~first or repeat claim) which covers every batch since its last claim.
 *
 * So POOLED wins when a batch pays many distinct recipients who collect from several batches per claim;
 * DIRECT wins for few recipients, or recipients who would claim after every batch. Estimates are
 * system-wide gas (payer + poster + claimers), in gas units.
 */

export type PayoutModeName = 'direct' | 'pooled';

/** Contract value of a payout mode. */
export const PAYOUT_MODE = { direct: 0, pooled: 1 } as const;

/** Measured marginal gas costs (see bench/gas.ts; `gas.json` -> `crossover.constants`). */
export interface PayoutGasConstants {
  /** Per split, both modes: calldata, hashing, checks, one event (POOLED slope per recipient). */
  perSplit: number;
  /** Extra per distinct recipient in DIRECT when it never held the token (fresh balance slot). */
  directTransferNew: number;
  /** Extra per distinct recipient in DIRECT when it already holds the token. */
  directTransferReturning: number;
  /** Extra per batch in POOLED (pool total update). */
  pooledBatch: number;
  /** One `postEpochRoot` transaction. */
  rootPost: number;
  /** A first claim (claimed slot and token balance both new). */
  firstClaim: number;
  /** A repeat claim (both slots already set). */
  repeatClaim: number;
}

/**
 * Measured on anvil 1.7.1 by `npm run bench -- gas` (2026-11-25, solc 0.8.37 via-IR, cancun): the
 * `crossover.constants` of bench/results/gas.json. A test keeps them within 10 % of that file.
 */
export const MEASURED_GAS: PayoutGasConstants = {
  perSplit: 3_982,
  directTransferNew: 26_327,
  directTransferReturning: 9_228,
  pooledBatch: 7_695,
  rootPost: 55_834,
  firstClaim: 95_988,
  repeatClaim: 61_764,
};

export interface PayoutBatchShape {
  /** Distinct recipients in the batch. */
  distinctRecipients: number;
  /** How many of them have claimed (so hold the token) before; the rest are new. Default 0. */
  returningRecipients?: number;
  /** Splits in the batch (≥ distinct recipients); default = distinctRecipients. */
  splits?: number;
  /**
   * How many settlement batches a recipient collects from per claim, on average. Default 7 (e.g. daily
   * settlements, weekly claims). 1 = every recipient claims after every batch.
   */
  settlementsPerClaim?: number;
  /** How many batches share one epoch root post. Default 1. */
  batchesPerEpoch?: number;
}

export interface PayoutChoice {
  mode: PayoutModeName;
  /** Contract value for `settleBatch`'s `payoutMode`. */
  payoutMode: 0 | 1;
  /** Estimated gas that differs between the modes (same per-payment costs left out). */
  directGas: number;
  pooledGas: number;
}

function shape(b: PayoutBatchShape) {
  const distinct = b.distinctRecipients;
  const returning = b.returningRecipients ?? 0;
  const splits = b.splits ?? distinct;
  const perClaim = b.settlementsPerClaim ?? 7;
  const perEpoch = b.batchesPerEpoch ?? 1;
  if (!Number.isInteger(distinct) || distinct < 0) throw new RangeError(`distinctRecipients must be a whole number ≥ 0 (got ${distinct})`);
  if (!Number.isInteger(returning) || returning < 0 || returning > distinct) throw new RangeError(`returningRecipients must be between 0 and distinctRecipients (got ${returning})`);
  if (!Number.isInteger(splits) || splits < distinct) throw new RangeError(`splits must be a whole number ≥ distinctRecipients (got ${splits})`);
  if (!(perClaim >= 1)) throw new RangeError(`settlementsPerClaim must be ≥ 1 (got ${perClaim})`);
  if (!(perEpoch >= 1)) throw new RangeError(`batchesPerEpoch must be ≥ 1 (got ${perEpoch})`);
  return { distinct, returning, fresh: distinct - returning, splits, perClaim, perEpoch };
}

/** Estimated gas of each mode for a batch (system-wide: settlement + root share + claim shares). */
export function estimatePayoutGas(batch: PayoutBatchShape, c: PayoutGasConstants = MEASURED_GAS): { directGas: number; pooledGas: number } {
  const s = shape(batch);
  const common = s.splits * c.perSplit;
  const directGas = common + s.fresh * c.directTransferNew + s.returning * c.directTransferReturning;
  const claims = (s.fresh * c.firstClaim + s.returning * c.repeatClaim) / s.perClaim;
  const pooledGas = common + c.pooledBatch + c.rootPost / s.perEpoch + claims;
  return { directGas: Math.round(directGas), pooledGas: Math.round(pooledGas) };
}

/**
 * Picks the payout mode with the lower estimated gas (DIRECT on a tie, and for an empty batch).
 *
 * @example
 * choosePayoutMode({ distinctRecipients: 40, returningRecipients: 10 }).payoutMode // 1 (POOLED)
 */
export function choosePayoutMode(batch: PayoutBatchShape, c: PayoutGasConstants = MEASURED_GAS): PayoutChoice {
  const { directGas, pooledGas } = estimatePayoutGas(batch, c);
  const pooled = shape(batch).distinct > 0 && pooledGas < directGas;
  return { mode: pooled ? 'pooled' : 'direct', payoutMode: pooled ? 1 : 0, directGas, pooledGas };
}

/**
 * The smallest number of distinct recipients (all new, or all returning) from which POOLED is cheaper,
 * or null when DIRECT stays cheaper for any size (up to `limit`).
 */
export function crossoverRecipients(
  opts: { returning: boolean; settlementsPerClaim?: number; batchesPerEpoch?: number; limit?: number },
  c: PayoutGasConstants = MEASURED_GAS,
): number | null {
  for (let n = 1; n <= (opts.limit ?? 100_000); n++) {
    const batch: PayoutBatchShape = { distinctRecipients: n, returningRecipients: opts.returning ? n : 0 };
    if (opts.settlementsPerClaim !== undefined) batch.settlementsPerClaim = opts.settlementsPerClaim;
    if (opts.batchesPerEpoch !== undefined) batch.batchesPerEpoch = opts.batchesPerEpoch;
    if (choosePayoutMode(batch, c).mode === 'pooled') return n;
  }
  return null;
}
