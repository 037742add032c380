import { describe, expect, it } from 'vitest';
import { QUORUM_RULES, decide } from './quorum.ts';
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
