import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OWNER_BPS, PPM, splitAnswerFee, type AnswerCredit, type AnswerFeeInput } from './answerFee.ts';
import { SPLIT_ROLE, TREASURY_BPS } from './feeSplit.ts';
import type { Address, Hex, RewardPolicy } from './types.ts';

const addr = (n: number): Address => `0x${n.toString(16).padStart(40, '0')}`;
const cid = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;
const TREASURY = addr(0xfee);
const ADAPTER_OWNER = addr(0xad);
const MODEL_OWNER = addr(0x30);
const sum = (xs: ReadonlyArray<{ amount: bigint }>) => xs.reduce((s, x) => s + x.amount, 0n);
const policy = (contributorsBps: number): RewardPolicy => ({ contributorsBps, ownerBps: 10_000 - contributorsBps });
const datanets = new Map([
  ['dn-a', { owner: addr(0xa0), rewardPolicy: policy(8000) }],
  ['dn-b', { owner: addr(0xb0), rewardPolicy: policy(5000) }],
]);
const credit = (n: number, datanetId: string, weightPpm: number): AnswerCredit => ({ contributionId: cid(n), datanetId, contributor: addr(n), weightPpm });

describe('splitAnswerFee', () => {
  it('cuts treasury, adapter owner, the unattributed share to the maker, then Datanets and contributors by weight', () => {
    const out = splitAnswerFee({
      attribution: { credits: [credit(1, 'dn-a', 600_000), credit(2, 'dn-a', 200_000)], unattributedPpm: 200_000 },
      adapter: { amount: 10_000n, owner: ADAPTER_OWNER },
      treasury: TREASURY,
      datanets,
    });
    // treasury 1 % = 100; after 9,900: adapter owner 20 % = 1,980; pool 7,920; unattributed 20 % = 1,584
    // to the adapter owner (the maker); attributed 6,336 to dn-a: contributors 80 % = 5,068 (3:1 -> 3,801 / 1,267), owner 1,268
    expect(out.fee).toBe(10_000n);
    expect(out.unattributed).toBe(1_584n);
    expect(out.splits).toEqual([
      { recipient: addr(1), role: SPLIT_ROLE.contributor, amount: 3_801n },
      { recipient: addr(2), role: SPLIT_ROLE.contributor, amount: 1_267n },
      { recipient: addr(0xa0), role: SPLIT_ROLE.datanetOwner, amount: 1_268n },
      { recipient: ADAPTER_OWNER, role: SPLIT_ROLE.adapterOwner, amount: 1_980n + 1_584n },
      { recipient: TREASURY, role: SPLIT_ROLE.treasury, amount: 100n },
    ]);
    expect(sum(out.splits)).toBe(10_000n);
    expect(out.lines.find((l) => l.unattributed)?.amount).toBe(1_584n);
    expect(out.lines.find((l) => l.contributionId === cid(1))?.amount).toBe(3_801n);
  });

  it('an answer that matches nothing credits nobody: its pool goes to the maker', () => {
    const out = splitAnswerFee({ attribution: { credits: [], unattributedPpm: PPM }, model: { amount: 1_000n, owner: MODEL_OWNER }, treasury: TREASURY, datanets });
    expect(out.splits).toEqual([
      { recipient: MODEL_OWNER, role: SPLIT_ROLE.modelOwner, amount: 990n },
      { recipient: TREASURY, role: SPLIT_ROLE.treasury, amount: 10n },
    ]);
    expect(out.splits.some((s) => s.role === SPLIT_ROLE.contributor)).toBe(false);
  });

  it('a free answer owes nothing; a priced model with no owner cut still pays contributors', () => {
    expect(splitAnswerFee({ attribution: { credits: [credit(1, 'dn-a', PPM)], unattributedPpm: 0 }, treasury: TREASURY, datanets })).toEqual({ fee: 0n, splits: [], lines: [], unattributed: 0n });
    const out = splitAnswerFee({ attribution: { credits: [credit(1, 'dn-b', PPM)], unattributedPpm: 0 }, model: { amount: 200n, owner: MODEL_OWNER, ownerBps: 0 }, treasury: TREASURY, treasuryBps: 0, datanets });
    expect(out.splits).toEqual([
      { recipient: addr(1), role: SPLIT_ROLE.contributor, amount: 100n },
      { recipient: addr(0xb0), role: SPLIT_ROLE.datanetOwner, amount: 100n },
    ]);
  });

  it('is the same whatever the order of the credits', () => {
    const credits = [credit(3, 'dn-b', 333_333), credit(1, 'dn-a', 333_333), credit(2, 'dn-a', 333_334)];
    const a = splitAnswerFee({ attribution: { credits, unattributedPpm: 0 }, adapter: { amount: 7n, owner: ADAPTER_OWNER }, treasury: TREASURY, datanets });
    const b = splitAnswerFee({ attribution: { credits: [...credits].reverse(), unattributedPpm: 0 }, adapter: { amount: 7n, owner: ADAPTER_OWNER }, treasury: TREASURY, datanets });
    expect(a).toEqual(b);
  });

  it.each<[string, Partial<AnswerFeeInput>, RegExp]>([
    ['a negative price', { adapter: { amount: -1n, owner: ADAPTER_OWNER } }, /≥ 0/],
    ['an owner cut above 100 %', { adapter: { amount: 1n, owner: ADAPTER_OWNER, ownerBps: 10_001 } }, /basis points/],
    ['weights not adding up', { attribution: { credits: [credit(1, 'dn-a', 500_000)], unattributedPpm: 400_000 } }, /exactly 1000000/],
    ['a negative weight', { attribution: { credits: [credit(1, 'dn-a', -1), credit(2, 'dn-a', 1)], unattributedPpm: PPM } }, /≥ 0/],
    ['a fractional weight', { attribution: { credits: [credit(1, 'dn-a', 0.5)], unattributedPpm: PPM - 0.5 } }, /whole number/],
    ['a duplicate contribution', { attribution: { credits: [credit(1, 'dn-a', 500_000), credit(1, 'dn-a', 500_000)], unattributedPpm: 0 } }, /twice/],
    ['an unknown Datanet', { attribution: { credits: [credit(1, 'dn-zzz', PPM)], unattributedPpm: 0 } }, /not known here/],
  ])('refuses %s with a typed error', (_name, change, message) => {
    const input: AnswerFeeInput = { attribution: { credits: [credit(1, 'dn-a', PPM)], unattributedPpm: 0 }, adapter: { amount: 100n, owner: ADAPTER_OWNER }, treasury: TREASURY, datanets, ...change };
    expect(() => splitAnswerFee(input)).toThrow(message);
    expect(() => splitAnswerFee(input)).toThrow(expect.objectContaining({ name: 'TributaryError', code: 'fee/invalid' }));
  });
});

describe('answer fee properties (fast-check, 1e5 cases)', () => {
  const arbWeights = fc
    .array(fc.nat({ max: 1000 }), { minLength: 0, maxLength: 8 })
    .chain((raw) => fc.tuple(fc.constant(raw), fc.nat({ max: 1000 })))
    .map(([raw, un]) => {
      // integer ppm summing to exactly 1e6: floor the shares, give the rest to the unattributed part
      const total = raw.reduce((s, x) => s + x, 0) + un;
      if (total === 0) return { weights: raw.map(() => 0), unattributedPpm: PPM };
      const weights = raw.map((x) => Math.floor((x * PPM) / total));
      return { weights, unattributedPpm: PPM - weights.reduce((s, x) => s + x, 0) };
    });
  const arbPrice = fc.option(
    fc.record({ amount: fc.bigInt({ min: 0n, max: 10n ** 24n }), ownerBps: fc.integer({ min: 0, max: 10_000 }) }),
    { nil: undefined },
  );

  it('lines and splits sum exactly to the price, none negative, contributors paid only when credited, by weight', () => {
    fc.assert(
      fc.property(arbWeights, arbPrice, arbPrice, fc.integer({ min: 0, max: 10_000 }), fc.array(fc.constantFrom('dn-a', 'dn-b'), { minLength: 8, maxLength: 8 }), (w, adapter, model, treasuryBps, dns) => {
        const credits = w.weights.map((weightPpm, i) => credit(i + 1, dns[i]!, weightPpm));
        const out = splitAnswerFee({
          attribution: { credits, unattributedPpm: w.unattributedPpm },
          adapter: adapter && { ...adapter, owner: ADAPTER_OWNER },
          model: model && { ...model, owner: MODEL_OWNER },
          treasury: TREASURY,
          treasuryBps,
          datanets,
        });
        const price = (adapter?.amount ?? 0n) + (model?.amount ?? 0n);
        expect(out.fee).toBe(price);
        expect(sum(out.splits)).toBe(price);
        expect(sum(out.lines)).toBe(price);
        for (const l of out.lines) expect(l.amount > 0n).toBe(true);
        // a contribution with weight 0 is never paid; the unattributed part is exactly its floor share
        for (const c of credits) if (c.weightPpm === 0) expect(out.lines.some((l) => l.contributionId === c.contributionId)).toBe(false);
        // contributors of one Datanet: a larger weight never earns less
        for (const dn of ['dn-a', 'dn-b']) {
          const mine = credits.filter((c) => c.datanetId === dn).map((c) => ({ w: c.weightPpm, amount: out.lines.find((l) => l.contributionId === c.contributionId)?.amount ?? 0n }));
          for (const a of mine) for (const b of mine) if (a.w > b.w) expect(a.amount >= b.amount).toBe(true);
        }
        if (price > 0n && (adapter?.ownerBps ?? DEFAULT_OWNER_BPS) >= 0) expect(out.unattributed >= 0n).toBe(true);
      }),
      { numRuns: 100_000 },
    );
  }, 600_000);

  it('the default treasury cut is TREASURY_BPS of the price', () => {
    const out = splitAnswerFee({ attribution: { credits: [credit(1, 'dn-a', PPM)], unattributedPpm: 0 }, adapter: { amount: 10n ** 6n, owner: ADAPTER_OWNER }, treasury: TREASURY, datanets });
    expect(out.splits.find((s) => s.role === SPLIT_ROLE.treasury)?.amount).toBe((10n ** 6n * BigInt(TREASURY_BPS)) / 10_000n);
  });
});
