import { describe, expect, it } from 'vitest';
import { SPLIT_ROLE } from './feeSplit.ts';
import { datanetLeaderboard } from './leaderboard.ts';
import type { LedgerEntry } from './ledger.ts';
import type { Address, Hex } from './types.ts';

const addr = (n: number): Address => `0x${n.toString(16).padStart(40, '0')}`;
const cid = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;
const credit = (n: number, datanetId: string, weightPpm: number) => ({ contributionId: cid(n), datanetId, contributor: addr(n), weightPpm, evidence: { spans: [], scores: [] } });
const fee = (status: LedgerEntry['status'], lines: [number, string, bigint][]): LedgerEntry =>
  ({
    id: cid(999),
    status,
    lines: lines.map(([n, datanetId, amount]) => ({ recipient: addr(n), role: SPLIT_ROLE.contributor, amount, datanetId, contributionId: cid(n) })),
  }) as unknown as LedgerEntry; // only `status` and `lines` are read

describe('datanetLeaderboard', () => {
  it('adds weights over answers and earnings over fees, per contribution of the Datanet only', () => {
    const rows = datanetLeaderboard(
      'dn-a',
      [{ credits: [credit(1, 'dn-a', 600_000), credit(2, 'dn-a', 300_000)] }, { credits: [credit(1, 'dn-a', 1_000_000)] }, { credits: [credit(3, 'dn-b', 1_000_000)] }],
      [fee('settled', [[1, 'dn-a', 50n], [2, 'dn-a', 20n]]), fee('pending', [[1, 'dn-a', 7n], [3, 'dn-b', 9n]]), fee('failed', [[2, 'dn-a', 1000n]])],
    );
    expect(rows.map((r) => [r.contributionId, r.attributionPpm, r.answers, r.earnedSettled, r.earnedPending])).toEqual([
      [cid(1), 1_600_000, 2, 50n, 7n],
      [cid(2), 300_000, 1, 20n, 0n],
    ]);
  });

  it('lists a contribution paid by "Pay a Datanet" but never credited by an answer', () => {
    const rows = datanetLeaderboard('dn-a', [], [fee('pending', [[4, 'dn-a', 3n]])]);
    expect(rows).toEqual([{ contributionId: cid(4), contributor: addr(4), attributionPpm: 0, answers: 0, earnedSettled: 0n, earnedPending: 3n }]);
  });
});
