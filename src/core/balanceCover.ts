/**
 * Whether a payer's token balance covers what it would owe: the receipts it already has pending plus a
 * new one (or a chosen batch). Asked before a receipt is created and before a batch is settled, so a
 * person is warned instead of being stuck with a batch the chain refuses.
 */
export interface BalanceCover {
  /** What settling would take: `pending + extra`. */
  needed: bigint;
  balance: bigint;
  covers: boolean;
  /** How much is missing (0 when covered). */
  shortBy: bigint;
}

/** @param pending owed already (pending, not being settled); @param extra the new receipt or batch (>= 0). */
export function balanceCover(balance: bigint, pending: bigint, extra: bigint): BalanceCover {
  const needed = pending + extra;
  const shortBy = needed > balance ? needed - balance : 0n;
  return { needed, balance, covers: shortBy === 0n, shortBy };
}
