import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { QUORUM_RULES, decide, quorumStatus } from './quorum.ts';
import { validatorWeight } from './reputation.ts';
import type { Validation } from './types.ts';

type Vote = Pick<Validation, 'verdict' | 'weight' | 'role'>;
const v = (verdict: 'approve' | 'reject', weight = 0.5, role: 'validator' | 'owner' = 'validator'): Vote => ({ verdict, weight, role });

describe('decide: quorum moderation', () => {
  it('stays pending with no votes or a single vote, whatever its weight', () => {
    expect(decide([], 'quorum')).toBeUndefined();
    expect(decide([v('approve', 0.99)], 'quorum')).toBeUndefined();
    expect(decide([v('reject', 0.99)], 'quorum')).toBeUndefined();
  });

  it('decides when two newcomers agree (0.5 + 0.5 = 1.0)', () => {
    expect(validatorWeight(undefined)).toBe(0.5);
    expect(decide([v('approve'), v('approve')], 'quorum')).toBe('accepted');
    expect(decide([v('reject'), v('reject')], 'quorum')).toBe('rejected');
  });

  it('stays pending while the total weight is below 1.0', () => {
    expect(decide([v('approve', 0.4), v('approve', 0.4)], 'quorum')).toBeUndefined();
    expect(decide([v('approve', 0.4), v('approve', 0.4), v('approve', 0.25)], 'quorum')).toBe('accepted');
  });

  it('stays pending on a split vote below two thirds', () => {
    expect(decide([v('approve'), v('reject')], 'quorum')).toBeUndefined();
    expect(decide([v('approve', 0.6), v('reject', 0.4)], 'quorum')).toBeUndefined();
  });

  it('decides at exactly two thirds of the weight, with floating-point slack', () => {
    expect(decide([v('approve'), v('approve'), v('reject')], 'quorum')).toBe('accepted');
    const w = 2 / 3;
    expect(decide([v('reject', w), v('reject', w), v('approve', w)], 'quorum')).toBe('rejected');
    expect(decide([v('approve', 0.66), v('reject', 0.34)], 'quorum')).toBeUndefined();
  });

  it('lets a high-reputation validator outweigh newcomers and poor validators', () => {
    const rep = (agreed: number, disagreed: number) =>
      validatorWeight({ address: '0x0000000000000000000000000000000000000001', validatorAgreed: agreed, validatorDisagreed: disagreed, contributionsAccepted: 0, contributionsRejected: 0, updatedAt: 0 });
    const expert = rep(18, 0); // 0.95
    const poor = rep(0, 8); // 0.1
    expect(expert).toBeCloseTo(0.95);
    // two newcomers outvote a third newcomer (1.0 of 1.5 = 2/3) ...
    expect(decide([v('approve'), v('reject'), v('reject')], 'quorum')).toBe('rejected');
    // ... but not an expert: 1.0 of 1.95 < 2/3, so it stays pending
    expect(decide([v('approve', expert), v('reject'), v('reject')], 'quorum')).toBeUndefined();
    // expert + one newcomer beat one newcomer: 1.45 of 1.95 >= 2/3
    expect(decide([v('approve', expert), v('approve'), v('reject')], 'quorum')).toBe('accepted');
    // an expert against a poor validator decides (0.95 of 1.05), two newcomers split would not
    expect(decide([v('approve', expert), v('reject', poor)], 'quorum')).toBe('accepted');
    expect(decide([v('approve'), v('reject')], 'quorum')).toBeUndefined();
  });

  it('counts owner-role votes like any other vote under quorum moderation', () => {
    expect(decide([v('approve', 0.5, 'owner')], 'quorum')).toBeUndefined();
    expect(decide([v('approve', 0.5, 'owner'), v('approve')], 'quorum')).toBe('accepted');
  });

  it('honours custom rules', () => {
    expect(decide([v('approve', 0.2)], 'quorum', { minVotes: 1, minTotalWeight: 0.1, decideFraction: 0.5 })).toBe('accepted');
    expect(decide([v('approve'), v('approve')], 'quorum', { ...QUORUM_RULES, minVotes: 3 })).toBeUndefined();
  });

  it('rejects invalid weights', () => {
    expect(() => decide([v('approve', Number.NaN), v('approve')], 'quorum')).toThrow(RangeError);
    expect(() => decide([v('approve', -1), v('approve')], 'quorum')).toThrow(RangeError);
  });
});

describe('decide: owner moderation', () => {
  it('is pending until the owner votes; validator votes are advisory', () => {
    expect(decide([], 'owner')).toBeUndefined();
    expect(decide([v('approve', 0.99), v('approve', 0.99), v('approve', 0.99)], 'owner')).toBeUndefined();
  });
  it('lets the first owner vote decide alone', () => {
    expect(decide([v('reject', 0.9), v('approve', 0.5, 'owner')], 'owner')).toBe('accepted');
    expect(decide([v('approve', 0.9), v('reject', 0.5, 'owner'), v('approve', 0.5, 'owner')], 'owner')).toBe('rejected');
  });
});

describe('quorumStatus: what a pending contribution misses', () => {
  it('names the owner when an owner-moderated Datanet waits for its owner', () => {
    expect(quorumStatus([v('approve', 0.9)], 'owner')).toMatchObject({ state: 'pending', missing: 'owner', tally: { votes: 1 } });
    expect(quorumStatus([v('reject', 0.5, 'owner')], 'owner')).toMatchObject({ state: 'decided', outcome: 'rejected' });
  });

  it('counts missing votes and missing weight separately, before any majority is looked at', () => {
    expect(quorumStatus([], 'quorum')).toMatchObject({ missing: 'quorum', votesMissing: 2, weightMissing: 1 });
    expect(quorumStatus([v('approve')], 'quorum')).toMatchObject({ missing: 'quorum', votesMissing: 1, weightMissing: 0.5 });
    const light = quorumStatus([v('approve', 0.4), v('reject', 0.4)], 'quorum');
    expect(light).toMatchObject({ missing: 'quorum', votesMissing: 0 });
    expect(light.state === 'pending' && light.missing === 'quorum' && light.weightMissing).toBeCloseTo(0.2);
    // enough weight in one vote, but one vote is not a quorum
    expect(quorumStatus([v('approve', 0.99)], 'quorum', { ...QUORUM_RULES, minTotalWeight: 0.5 })).toMatchObject({ votesMissing: 1, weightMissing: 0 });
  });

  it('on a split vote that reached the weight quorum, says the majority is missing and how much would decide it', () => {
    // reject 0.50 vs approve 0.75: total 1.25 >= 1.0, but neither side holds 2/3 of it (0.833...)
    const s = quorumStatus([v('reject', 0.5), v('approve', 0.75)], 'quorum');
    expect(s).toMatchObject({ state: 'pending', missing: 'majority', tally: { votes: 2, total: 1.25, approve: 0.75, reject: 0.5 } });
    if (s.state !== 'pending' || s.missing !== 'majority') throw new Error('expected a missing majority');
    expect(s.approveNeeds).toBeCloseTo(0.25);
    expect(s.rejectNeeds).toBeCloseTo(1.0);
    // the figures are exact: adding that much to a side decides it (and a little less does not)
    expect(decide([v('reject', 0.5), v('approve', 0.75), v('approve', s.approveNeeds)], 'quorum')).toBe('accepted');
    expect(decide([v('reject', 0.5), v('approve', 0.75), v('approve', s.approveNeeds - 0.01)], 'quorum')).toBeUndefined();
    expect(decide([v('reject', 0.5), v('approve', 0.75), v('reject', 0.5), v('reject', s.rejectNeeds - 0.5)], 'quorum')).toBe('rejected');
  });

  it('agrees with decide on every vote set (property)', () => {
    const vote = fc.record({ verdict: fc.constantFrom('approve' as const, 'reject' as const), weight: fc.double({ min: 0, max: 0.99, noNaN: true }), role: fc.constantFrom('validator' as const, 'owner' as const) });
    fc.assert(
      fc.property(fc.array(vote, { maxLength: 6 }), fc.constantFrom('quorum' as const, 'owner' as const), (votes, moderation) => {
        const s = quorumStatus(votes, moderation);
        expect(s.state === 'decided' ? s.outcome : undefined).toBe(decide(votes, moderation));
        if (s.state === 'pending' && s.missing === 'majority') {
          // adding the named weight to a side decides it for that side
          expect(decide([...votes, { verdict: 'approve', weight: s.approveNeeds + 1e-7, role: 'validator' }], moderation)).toBe('accepted');
          expect(decide([...votes, { verdict: 'reject', weight: s.rejectNeeds + 1e-7, role: 'validator' }], moderation)).toBe('rejected');
        }
      }),
    );
  });

  it('refuses a decide fraction outside (0, 1]', () => {
    expect(() => quorumStatus([], 'quorum', { ...QUORUM_RULES, decideFraction: 0 })).toThrow(RangeError);
    expect(() => quorumStatus([], 'quorum', { ...QUORUM_RULES, decideFraction: 1.5 })).toThrow(RangeError);
  });
});
