import { describe, expect, it } from 'vitest';
import { QUORUM_RULES, quorumStatus, type QuorumPending, type QuorumRules } from './quorum.ts';
import { fractionLabel, quorumPendingReason } from './quorumPendingReason.ts';
import type { Validation } from './types.ts';

type Vote = Pick<Validation, 'verdict' | 'weight' | 'role'>;
const v = (verdict: 'approve' | 'reject', weight = 0.5, role: 'validator' | 'owner' = 'validator'): Vote => ({ verdict, weight, role });

function pending(votes: Vote[], moderation: 'quorum' | 'owner' = 'quorum', rules: QuorumRules = QUORUM_RULES): QuorumPending {
  const s = quorumStatus(votes, moderation, rules);
  if (s.state !== 'pending') throw new Error(`expected pending, got ${s.outcome}`);
  return s;
}

describe('quorumPendingReason', () => {
  it('a split vote past the weight quorum: says the 2/3 majority is missing, not the quorum, with the figures', () => {
    const text = quorumPendingReason(pending([v('reject', 0.5), v('approve', 0.75)]));
    expect(text).toContain('the weight quorum is reached (1.25 of at least 1.00)');
    expect(text).toContain('neither side holds the 2/3 majority (approve 0.75, reject 0.50 of 1.25; a side needs 0.84)');
    expect(text).toContain('Approvals adding 0.25 weight would accept it; rejections adding 1.00 would reject it.');
    expect(text).not.toMatch(/until the quorum is reached/);
  });

  it('two newcomers who disagree: the majority is missing', () => {
    const text = quorumPendingReason(pending([v('approve'), v('reject')]));
    expect(text).toMatch(/weight quorum is reached \(1\.00 of at least 1\.00\).*2\/3 majority \(approve 0\.50, reject 0\.50 of 1\.00; a side needs 0\.67\)/);
    expect(text).toContain('Approvals adding 0.50 weight would accept it; rejections adding 0.50 would reject it.');
  });

  it('one vote: names the missing vote and the missing weight', () => {
    const text = quorumPendingReason(pending([v('approve')]));
    expect(text).toBe(
      'It stays pending: the quorum needs at least 2 votes weighing at least 1.00 in total, and it has 1 vote weighing 0.50. Missing: 1 more vote and 0.50 more weight.',
    );
  });

  it('enough votes but too little weight: names only the weight, rounded up so the figure is enough', () => {
    const text = quorumPendingReason(pending([v('approve', 0.333), v('approve', 0.333)]));
    expect(text).toContain('it has 2 votes weighing 0.67');
    expect(text).toContain('Missing: 0.34 more weight.');
    expect(text).not.toMatch(/more vote/);
  });

  it('enough weight but too few votes: names only the votes', () => {
    const text = quorumPendingReason(pending([v('approve', 0.9)], 'quorum', { ...QUORUM_RULES, minTotalWeight: 0.5, minVotes: 3 }));
    expect(text).toContain('Missing: 2 more votes.');
    expect(text).not.toMatch(/more weight/);
  });

  it('owner moderation: waits for the owner', () => {
    expect(quorumPendingReason(pending([v('approve', 0.9)], 'owner'))).toMatch(/until the owner of this Datanet decides/);
  });

  it('a unanimity rule that a split vote can never meet says so', () => {
    const text = quorumPendingReason(pending([v('approve'), v('reject')], 'quorum', { ...QUORUM_RULES, decideFraction: 1 }));
    expect(text).toMatch(/neither side holds the 100 % majority.*No further vote can decide it\.$/);
  });
});

describe('fractionLabel', () => {
  it('names common fractions and falls back to a percentage', () => {
    expect(fractionLabel(2 / 3)).toBe('2/3');
    expect(fractionLabel(0.5)).toBe('1/2');
    expect(fractionLabel(0.75)).toBe('75 %');
  });
});
