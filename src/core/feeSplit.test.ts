import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { aggregateSplits, buildDatanetFee, SPLIT_ROLE, splitFee, TREASURY_BPS, type DatanetShare } from './feeSplit.ts';
import type { Address, Hex } from './types.ts';

const addr = (n: number): Address => `0x${n.toString(16).padStart(40, '0')}`;
const cid = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;
const TREASURY = addr(0xfee);
const OWNER = addr(0x0e);
const sum = (xs: ReadonlyArray<{ amount: bigint }>) => xs.reduce((s, x) => s + x.amount, 0n);

describe('splitFee', () => {
  it('cuts treasury, then the policy, then contributors pro rata (the documented example)', () => {
    const { splits, lines } = splitFee({
      fee: 1000n,
      treasury: TREASURY,
      datanets: [
        {
          datanetId: 'dn-1',
          owner: OWNER,
          rewardPolicy: { contributorsBps: 8000, ownerBps: 2000 },
          weight: 1n,
          contributions: [
            { contributionId: cid(1), contributor: addr(1), weight: 3n },
            { contributionId: cid(2), contributor: addr(2), weight: 1n },
          ],
        },
      ],
    });
    // 1 % of 1000 = 10; 990 * 80 % = 792 -> 594 / 198; owner 198.
    expect(splits).toEqual([
      { recipient: addr(1), role: SPLIT_ROLE.contributor, amount: 594n },
      { recipient: addr(2), role: SPLIT_ROLE.contributor, amount: 198n },
      { recipient: OWNER, role: SPLIT_ROLE.datanetOwner, amount: 198n },
      { recipient: TREASURY, role: SPLIT_ROLE.treasury, amount: 10n },
    ]);
    expect(lines.find((l) => l.contributionId === cid(1))?.amount).toBe(594n);
    expect(TREASURY_BPS).toBe(100);
  });

  it('adds up the parts of one contributor and keeps per-contribution lines', () => {
    const { splits, lines } = splitFee({
      fee: 10_000n,
      treasury: TREASURY,
      treasuryBps: 0,
      datanets: [
        {
          datanetId: 'dn-1',
          owner: OWNER,
          rewardPolicy: { contributorsBps: 10_000, ownerBps: 0 },
          weight: 1n,
          contributions: [
            { contributionId: cid(1), contributor: addr(1), weight: 1n },
            { contributionId: cid(2), contributor: addr(1), weight: 1n },
          ],
        },
      ],
    });
    expect(splits).toEqual([{ recipient: addr(1), role: SPLIT_ROLE.contributor, amount: 10_000n }]);
    expect(lines.map((l) => l.amount)).toEqual([5000n, 5000n]);
  });

  it('gives the contributors’ part to the owner when no contribution has weight', () => {
    const { splits } = splitFee({
      fee: 500n,
      treasury: TREASURY,
      datanets: [{ datanetId: 'dn', owner: OWNER, rewardPolicy: { contributorsBps: 9000, ownerBps: 1000 }, weight: 1n, contributions: [] }],
    });
    expect(splits).toEqual([
      { recipient: OWNER, role: SPLIT_ROLE.datanetOwner, amount: 495n },
      { recipient: TREASURY, role: SPLIT_ROLE.treasury, amount: 5n },
    ]);
  });

  it('leaves zero parts out and splits a dust fee exactly', () => {
    const { splits } = splitFee({
      fee: 1n,
      treasury: TREASURY,
      datanets: [
        {
          datanetId: 'dn',
          owner: OWNER,
          rewardPolicy: { contributorsBps: 5000, ownerBps: 5000 },
          weight: 1n,
          contributions: [{ contributionId: cid(1), contributor: addr(1), weight: 1n }],
        },
      ],
    });
    // treasury floor(0.01) = 0, contributors floor(0.5) = 0, the owner takes the unit.
    expect(splits).toEqual([{ recipient: OWNER, role: SPLIT_ROLE.datanetOwner, amount: 1n }]);
    expect(splitFee({ fee: 0n, treasury: TREASURY, datanets: [{ datanetId: 'dn', owner: OWNER, rewardPolicy: { contributorsBps: 1, ownerBps: 9999 }, weight: 1n, contributions: [] }] }).splits).toEqual([]);
  });

  it('pays adapter and model owners from what is left after the treasury (answer fees)', () => {
    const { splits } = splitFee({
      fee: 10_000n,
      treasury: TREASURY,
      adapterOwner: { recipient: addr(0xa), bps: 1000 },
      modelOwner: { recipient: addr(0xb), bps: 2000 },
      datanets: [
        { datanetId: 'a', owner: addr(0xd1), rewardPolicy: { contributorsBps: 10_000, ownerBps: 0 }, weight: 1n, contributions: [{ contributionId: cid(1), contributor: addr(1), weight: 1n }] },
        { datanetId: 'b', owner: addr(0xd2), rewardPolicy: { contributorsBps: 0, ownerBps: 10_000 }, weight: 3n, contributions: [{ contributionId: cid(2), contributor: addr(2), weight: 1n }] },
      ],
    });
    // treasury 100; 9900 -> adapter 990, model 1980; 6930 to Datanets 1:3 -> 1732.5 / 5197.5 (largest remainder, tie by key 'a').
    expect(sum(splits)).toBe(10_000n);
    const get = (r: Address, role: number) => splits.find((s) => s.recipient === r && s.role === role)?.amount;
    expect(get(TREASURY, SPLIT_ROLE.treasury)).toBe(100n);
    expect(get(addr(0xa), SPLIT_ROLE.adapterOwner)).toBe(990n);
    expect(get(addr(0xb), SPLIT_ROLE.modelOwner)).toBe(1980n);
    expect(get(addr(1), SPLIT_ROLE.contributor)).toBe(1733n);
    expect(get(addr(0xd2), SPLIT_ROLE.datanetOwner)).toBe(5197n);
  });

  it('refuses bad input', () => {
    const d: DatanetShare = { datanetId: 'dn', owner: OWNER, rewardPolicy: { contributorsBps: 5000, ownerBps: 5000 }, weight: 1n, contributions: [] };
    expect(() => splitFee({ fee: -1n, treasury: TREASURY, datanets: [d] })).toThrow(expect.objectContaining({ code: 'ledger/invalid' }));
    expect(() => splitFee({ fee: 1n, treasury: TREASURY, datanets: [] })).toThrow(/at least one Datanet/);
    expect(() => splitFee({ fee: 1n, treasury: TREASURY, treasuryBps: 10_001, datanets: [d] })).toThrow(/basis points/);
    expect(() =>
      splitFee({ fee: 1n, treasury: TREASURY, adapterOwner: { recipient: OWNER, bps: 6000 }, modelOwner: { recipient: OWNER, bps: 5000 }, datanets: [d] }),
    ).toThrow(/more than 100 %/);
    expect(() =>
      splitFee({ fee: 1n, treasury: TREASURY, datanets: [{ ...d, contributions: [{ contributionId: cid(1), contributor: addr(1), weight: -1n }] }] }),
    ).toThrow(/negative/);
  });
});

describe('buildDatanetFee (Pay a Datanet)', () => {
  it('weights contributors by accepted passages and keeps the fee fields', () => {
    const r = buildDatanetFee({
      fee: 1_000_000n,
      payer: addr(0xbeef),
      datanet: { id: 'dn-x', owner: OWNER, rewardPolicy: { contributorsBps: 7000, ownerBps: 3000 } },
      version: 2,
      contributions: [
        { id: cid(1), contributor: addr(1) },
        { id: cid(2), contributor: addr(2) },
        { id: cid(3), contributor: addr(3) },
      ],
      chunkCounts: new Map([
        [cid(1), 1],
        [cid(2), 2],
      ]),
      treasury: TREASURY,
      deadline: 123n,
      feeId: cid(99),
    });
    expect(r).toMatchObject({ feeId: cid(99), payer: addr(0xbeef), fee: 1_000_000n, deadline: 123n, datanetId: 'dn-x', version: 2 });
    expect(sum(r.splits)).toBe(1_000_000n);
    // 990_000 * 70 % = 693_000 -> 231_000 / 462_000; the contribution with no passages gets nothing.
    expect(r.lines.filter((l) => l.role === SPLIT_ROLE.contributor).map((l) => [l.contributionId, l.amount])).toEqual([
      [cid(1), 231_000n],
      [cid(2), 462_000n],
    ]);
    expect(() => buildDatanetFee({ ...base(), chunkCounts: { [cid(1)]: 1.5 } })).toThrow(/whole number/);
  });
});

function base() {
  return {
    fee: 10n,
    payer: addr(5),
    datanet: { id: 'dn', owner: OWNER, rewardPolicy: { contributorsBps: 5000, ownerBps: 5000 } },
    version: 1,
    contributions: [{ id: cid(1), contributor: addr(1) }],
    chunkCounts: {},
    treasury: TREASURY,
    deadline: 1n,
    feeId: cid(7),
  };
}

describe('split properties (fast-check)', () => {
  const feeArb = fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: 0n, max: 10n ** 30n }));
  const bpsArb = fc.integer({ min: 0, max: 10_000 });
  const shareArb = (i: number) =>
    fc.record({
      contributorsBps: bpsArb,
      weight: fc.bigInt({ min: 1n, max: 1000n }),
      contributions: fc.array(fc.record({ who: fc.integer({ min: 1, max: 6 }), weight: fc.bigInt({ min: 0n, max: 500n }) }), { maxLength: 6 }),
    }).map(
      (s): DatanetShare => ({
        datanetId: `dn-${i}`,
        owner: addr(0x100 + i),
        rewardPolicy: { contributorsBps: s.contributorsBps, ownerBps: 10_000 - s.contributorsBps },
        weight: s.weight,
        contributions: s.contributions.map((c, j) => ({ contributionId: cid(i * 100 + j + 1), contributor: addr(c.who), weight: c.weight })),
      }),
    );
  const inputArb = fc.record({
    fee: feeArb,
    treasuryBps: bpsArb,
    adapter: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }),
    model: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }),
    datanets: fc.integer({ min: 1, max: 3 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => shareArb(i)))),
  });

  it('1e5 random fees and weights: splits sum exactly to the fee, none negative or zero, lines agree', () => {
    fc.assert(
      fc.property(inputArb, (x) => {
        const out = splitFee({
          fee: x.fee,
          treasury: TREASURY,
          treasuryBps: x.treasuryBps,
          ...(x.adapter === undefined ? {} : { adapterOwner: { recipient: addr(0xa), bps: x.adapter } }),
          ...(x.model === undefined ? {} : { modelOwner: { recipient: addr(0xb), bps: x.model } }),
          datanets: x.datanets,
        });
        if (sum(out.splits) !== x.fee) return false;
        if (sum(out.lines) !== x.fee) return false;
        if (out.splits.some((s) => s.amount <= 0n) || out.lines.some((l) => l.amount <= 0n)) return false;
        // Treasury gets exactly its rounded-down share.
        const treasury = out.splits.find((s) => s.role === SPLIT_ROLE.treasury)?.amount ?? 0n;
        if (treasury !== (x.fee * BigInt(x.treasuryBps)) / 10_000n) return false;
        // Aggregation is stable and unique per (recipient, role).
        const keys = out.splits.map((s) => `${s.role}:${s.recipient}`);
        return new Set(keys).size === keys.length && JSON.stringify(aggregateSplits(out.lines), (_, v) => (typeof v === 'bigint' ? String(v) : v)) === JSON.stringify(out.splits, (_, v) => (typeof v === 'bigint' ? String(v) : v));
      }),
      { numRuns: 100_000 },
    );
  }, 120_000);

  it('each contribution gets its exact quota rounded down or up', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 24n }),
        fc.array(fc.bigInt({ min: 1n, max: 10_000n }), { minLength: 1, maxLength: 20 }),
        (fee, weights) => {
          const { lines } = splitFee({
            fee,
            treasury: TREASURY,
            treasuryBps: 0,
            datanets: [
              {
                datanetId: 'dn',
                owner: OWNER,
                rewardPolicy: { contributorsBps: 10_000, ownerBps: 0 },
                weight: 1n,
                contributions: weights.map((w, i) => ({ contributionId: cid(i + 1), contributor: addr(i + 1), weight: w })),
              },
            ],
          });
          const total = weights.reduce((a, b) => a + b, 0n);
          return weights.every((w, i) => {
            const got = lines.find((l) => l.contributionId === cid(i + 1))?.amount ?? 0n;
            const floor = (fee * w) / total;
            return got === floor || got === floor + 1n;
          });
        },
      ),
      { numRuns: 2000 },
    );
  });
});
