import { describe, expect, it } from 'vitest';
import { applyOutcome, contributorQuality, emptyReputation, validatorWeight } from './reputation.ts';
import type { Address, Reputation } from './types.ts';

const A = '0xAaAaaAAAaaaAaAAaAaAaaAaaAaaaAaAAAAAaAaaa' as Address;
const B = '0x00000000000000000000000000000000000000bb' as Address;
const C = '0x00000000000000000000000000000000000000cc' as Address;
const OWNER = '0x00000000000000000000000000000000000000dd' as Address;

describe('scores', () => {
  it('gives newcomers 0.5 and follows the Beta mean', () => {
    expect(validatorWeight(undefined)).toBe(0.5);
    expect(contributorQuality(undefined)).toBe(0.5);
    expect(validatorWeight(emptyReputation(A, 0))).toBe(0.5);
    const r: Reputation = { ...emptyReputation(A, 0), validatorAgreed: 3, validatorDisagreed: 1, contributionsAccepted: 8, contributionsRejected: 0 };
    expect(validatorWeight(r)).toBe(4 / 6);
    expect(contributorQuality(r)).toBe(9 / 10);
  });
});

describe('applyOutcome', () => {
  it('credits agreeing validators, debits disagreeing ones, and counts the contribution', () => {
    const reps = new Map<Address, Reputation>([[B, { ...emptyReputation(B, 1), validatorAgreed: 2 }]]);
    const out = applyOutcome({
      outcome: 'accepted',
      contributor: A,
      votes: [
        { validator: B, verdict: 'approve', role: 'validator' },
        { validator: C, verdict: 'reject', role: 'validator' },
      ],
      reputations: reps,
      now: 50,
    });
    expect(out).toEqual([
      { address: A, validatorAgreed: 0, validatorDisagreed: 0, contributionsAccepted: 1, contributionsRejected: 0, updatedAt: 50 },
      { address: B, validatorAgreed: 3, validatorDisagreed: 0, contributionsAccepted: 0, contributionsRejected: 0, updatedAt: 50 },
      { address: C, validatorAgreed: 0, validatorDisagreed: 1, contributionsAccepted: 0, contributionsRejected: 0, updatedAt: 50 },
    ]);
    // inputs untouched
    expect(reps.get(B)).toEqual({ ...emptyReputation(B, 1), validatorAgreed: 2 });
  });

  it('counts a rejection', () => {
    const out = applyOutcome({
      outcome: 'rejected',
      contributor: A,
      votes: [
        { validator: B, verdict: 'reject', role: 'validator' },
        { validator: C, verdict: 'approve', role: 'validator' },
      ],
      reputations: new Map(),
      now: 7,
    });
    expect(out.map((r) => [r.address, r.contributionsRejected, r.validatorAgreed, r.validatorDisagreed])).toEqual([
      [A, 1, 0, 0],
      [B, 0, 1, 0],
      [C, 0, 0, 1],
    ]);
  });

  it("leaves the owner's validator reputation alone for owner votes", () => {
    const out = applyOutcome({
      outcome: 'rejected',
      contributor: A,
      votes: [
        { validator: OWNER, verdict: 'reject', role: 'owner' },
        { validator: B, verdict: 'approve', role: 'validator' },
      ],
      reputations: new Map(),
      now: 7,
    });
    expect(out.map((r) => r.address)).toEqual([A, B]);
    expect(out[1]?.validatorDisagreed).toBe(1);
  });

  it('matches addresses case-insensitively and keeps the stored spelling', () => {
    const stored = { ...emptyReputation(A, 1), validatorAgreed: 5, contributionsAccepted: 2 };
    const out = applyOutcome({
      outcome: 'accepted',
      contributor: A.toLowerCase() as Address,
      votes: [{ validator: B.toUpperCase().replace('0X', '0x') as Address, verdict: 'approve', role: 'validator' }],
      reputations: new Map([[A, stored], [B, { ...emptyReputation(B, 1), validatorAgreed: 1 }]]),
      now: 9,
    });
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ address: A, contributionsAccepted: 3, validatorAgreed: 5, updatedAt: 9 });
    expect(out[1]).toMatchObject({ address: B, validatorAgreed: 2 });
  });

  it('merges a validator that is also the contributor into one record', () => {
    const out = applyOutcome({
      outcome: 'accepted',
      contributor: A,
      votes: [{ validator: A, verdict: 'approve', role: 'validator' }],
      reputations: new Map(),
      now: 1,
    });
    expect(out).toEqual([{ address: A, validatorAgreed: 1, validatorDisagreed: 0, contributionsAccepted: 1, contributionsRejected: 0, updatedAt: 1 }]);
  });
});
