/**
 * A Datanet's leaderboard: each contribution's accumulated attribution over stored answers and its
 * earnings over the ledger's fees. Pure.
 *
 * Accumulated attribution = the sum of the contribution's weights over every answer that credited it,
 * in answer-equivalents (1,000,000 ppm = one answer fully credited). Earnings = the contributor lines of
 * every fee naming the contribution (answer fees and "Pay a Datanet"), split into settled and not yet
 * settled; lapsed fees (`failed`) count nothing.
 */
import type { AnswerAttribution } from './answerFee.ts';
import type { LedgerEntry } from './ledger.ts';
import { SPLIT_ROLE } from './feeSplit.ts';
import type { Address, Hex } from './types.ts';

export interface LeaderboardRow {
  contributionId: Hex;
  contributor: Address;
  /** Sum of weights (ppm) over the answers that credited it. */
  attributionPpm: number;
  /** How many answers credited it. */
  answers: number;
  earnedSettled: bigint;
  earnedPending: bigint;
}

/** Rows of `datanetId`'s contributions that were credited or paid, best attributed first (then by earnings, then id). */
export function datanetLeaderboard(datanetId: string, records: ReadonlyArray<Pick<AnswerAttribution, 'credits'>>, fees: ReadonlyArray<LedgerEntry>): LeaderboardRow[] {
  const rows = new Map<string, LeaderboardRow>();
  const row = (id: Hex, contributor: Address) => {
    const key = id.toLowerCase();
    let r = rows.get(key);
    if (!r) {
      r = { contributionId: id, contributor, attributionPpm: 0, answers: 0, earnedSettled: 0n, earnedPending: 0n };
      rows.set(key, r);
    }
    return r;
  };
  for (const rec of records) {
    for (const c of rec.credits) {
      if (c.datanetId !== datanetId || c.weightPpm <= 0) continue;
      const r = row(c.contributionId, c.contributor);
      r.attributionPpm += c.weightPpm;
      r.answers += 1;
    }
  }
  for (const f of fees) {
    if (f.status === 'failed') continue;
    for (const l of f.lines) {
      if (l.role !== SPLIT_ROLE.contributor || !l.contributionId || l.datanetId !== datanetId) continue;
      const r = row(l.contributionId, l.recipient);
      if (f.status === 'settled') r.earnedSettled += l.amount;
      else r.earnedPending += l.amount;
    }
  }
  const total = (r: LeaderboardRow) => r.earnedSettled + r.earnedPending;
  return [...rows.values()].sort(
    (a, b) => b.attributionPpm - a.attributionPpm || (total(b) > total(a) ? 1 : total(b) < total(a) ? -1 : 0) || (a.contributionId < b.contributionId ? -1 : 1),
  );
}
