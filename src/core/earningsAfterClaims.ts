/**
 * Where an account's settled earnings are now, with what it has claimed from the pool: the ledger knows
 * what was pooled for it, the Settlement contract (`claimed(account)`) what it took out. One source for
 * the Earnings panel, so a claimed amount moves from "in the pool" to "paid to my wallet" everywhere.
 */
export interface EarningsPlaces {
  /** Direct payouts plus what was claimed of this ledger's pooled credits. */
  inWallet: bigint;
  /** Pooled credits not claimed yet. */
  inPool: bigint;
  /** The part of `claimed` this ledger knows the credits of (claims may also cover receipts kept elsewhere). */
  claimedHere: bigint;
}

/** @param claimed the contract's `claimed(account)`, or the sum of confirmed claims when the chain is unreachable. */
export function earningsAfterClaims(paidDirect: bigint, pooled: bigint, claimed: bigint): EarningsPlaces {
  const claimedHere = claimed < pooled ? (claimed > 0n ? claimed : 0n) : pooled;
  return { inWallet: paidDirect + claimedHere, inPool: pooled - claimedHere, claimedHere };
}
