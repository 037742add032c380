import { describe, expect, it } from 'vitest';
import { earningsOverTime, summarizeEarnings, summarizeFees, type LedgerEntry } from './ledger.ts';
import { buildDatanetFee, SPLIT_ROLE } from './feeSplit.ts';
import type { Address, Hex } from './types.ts';

const addr = (n: number): Address => `0x${n.toString(16).padStart(40, '0')}`;
const hex = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;
const DAY = 86_400_000;
const T = Date.UTC(2026, 0, 10);

function entry(n: number, fee: bigint, over: Partial<LedgerEntry> = {}): LedgerEntry {
  const r = buildDatanetFee({
    fee,
    payer: addr(0xbeef),
    datanet: { id: 'dn-a', owner: addr(0xd), rewardPolicy: { contributorsBps: 8000, ownerBps: 2000 } },
    version: 1,
    contributions: [
      { id: hex(1), contributor: addr(1) },
      { id: hex(2), contributor: addr(2) },
    ],
    chunkCounts: { [hex(1)]: 1, [hex(2)]: 1 },
    treasury: addr(0xfee),
    treasuryBps: 0,
    deadline: 1n,
    feeId: hex(100 + n),
  });
  return {
    id: r.feeId,
    subject: hex(7),
    kind: 'pay-datanet',
    payer: r.payer,
    fee: r.fee,
    deadline: r.deadline,
    splits: r.splits,
    lines: r.lines,
    recipients: r.splits.map((s) => s.recipient),
    datanetId: r.datanetId,
    datanetName: 'A',
    version: 1,
    chainId: 31337,
    settlementContract: addr(0x5e),
    status: 'pending',
    createdAt: T,
    updatedAt: T,
    ...over,
  };
}

describe('ledger summaries', () => {
  const entries = [
    entry(1, 1000n),
    entry(2, 2000n, { status: 'settled', payoutMode: 'pooled', settledAt: T + 2 * DAY, createdAt: T + DAY }),
    entry(3, 500n, { status: 'settled', payoutMode: 'direct', settledAt: T + DAY }),
    entry(4, 9999n, { status: 'failed' }),
    entry(5, 100n, { status: 'submitting' }),
  ];

  it('sums earnings by state, Datanet, contribution and role; failed fees count nothing', () => {
    const s = summarizeEarnings(entries, addr(1).toUpperCase().replace('0X', '0x'));
    // addr(1) gets 40 % of each fee.
    expect(s.unsettled).toBe(400n + 40n);
    expect(s.pooled).toBe(800n);
    expect(s.paidDirect).toBe(200n);
    expect(s.byDatanet).toEqual([{ datanetId: 'dn-a', datanetName: 'A', unsettled: 440n, settled: 1000n }]);
    expect(s.byContribution).toEqual([{ datanetId: 'dn-a', contributionId: hex(1), unsettled: 440n, settled: 1000n }]);
    const owner = summarizeEarnings(entries, addr(0xd));
    expect(owner.byRole).toEqual([{ role: SPLIT_ROLE.datanetOwner, unsettled: 220n, settled: 500n }]);
  });

  it('sums fees owed, in flight and settled by payer', () => {
    expect(summarizeFees(entries, addr(0xbeef))).toEqual({ owed: 1000n, inFlight: 100n, settled: 2500n, pendingCount: 1 });
    expect(summarizeFees(entries, addr(1))).toEqual({ owed: 0n, inFlight: 0n, settled: 0n, pendingCount: 0 });
  });

  it('draws cumulative earnings per day up to now', () => {
    const pts = earningsOverTime(entries, addr(1), T + 3 * DAY + 5);
    expect(pts.map((p) => p.day)).toEqual([T - DAY, T, T + DAY, T + 2 * DAY, T + 3 * DAY]);
    expect(pts.map((p) => p.total)).toEqual([0n, 400n + 200n + 40n, 1440n, 1440n, 1440n]);
    expect(pts.map((p) => p.settled)).toEqual([0n, 0n, 200n, 1000n, 1000n]);
    expect(earningsOverTime(entries, addr(77), T)).toEqual([]);
    // Older days are merged into the first point.
    expect(earningsOverTime(entries, addr(1), T + 3 * DAY, 2).map((p) => p.total)).toEqual([1440n, 1440n]);
  });
});
