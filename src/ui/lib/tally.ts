import { QUORUM_RULES } from '../../core/quorum.ts';
import type { Validation } from '../../core/types.ts';

export interface Tally {
  votes: number;
  total: number;
  approve: number;
  reject: number;
  /** Votes still missing before the quorum can decide (0 when enough). */
  votesMissing: number;
  /** Weight still missing before the quorum can decide (0 when enough). */
  weightMissing: number;
}

/** The sums the quorum rule looks at (see core/quorum `decide`). */
export function tallyVotes(votes: readonly Pick<Validation, 'verdict' | 'weight'>[]): Tally {
  let total = 0;
  let approve = 0;
  let reject = 0;
  for (const v of votes) {
    total += v.weight;
    if (v.verdict === 'approve') approve += v.weight;
    else reject += v.weight;
  }
  return {
    votes: votes.length,
    total,
    approve,
    reject,
    votesMissing: Math.max(0, QUORUM_RULES.minVotes - votes.length),
    weightMissing: Math.max(0, QUORUM_RULES.minTotalWeight - total),
  };
}

/** "2/3" for the decide fraction. */
export function fractionLabel(f: number): string {
  if (Math.abs(f - 2 / 3) < 1e-9) return '2/3';
  if (Math.abs(f - 1 / 2) < 1e-9) return '1/2';
  return `${Math.round(f * 100)} %`;
}
