/**
 * Beta reputation. Each address carries counts of good and bad outcomes; its score is the mean of a
 * Beta(good + 1, bad + 1) distribution, i.e. Laplace's rule of succession: a newcomer scores 0.5 and
 * the score moves towards the observed rate as evidence accumulates.
 *
 * Addresses are compared case-insensitively (lower-cased); records keep the address as first stored.
 */
import type { Address, Reputation, Validation } from './types.ts';

/** A fresh record: no votes, no contributions. */
export function emptyReputation(address: Address, now: number): Reputation {
  return { address, validatorAgreed: 0, validatorDisagreed: 0, contributionsAccepted: 0, contributionsRejected: 0, updatedAt: now };
}

/**
 * Weight of a validator's vote: `(agreed + 1) / (agreed + disagreed + 2)`, in (0, 1).
 * A newcomer (no record) weighs 0.5.
 */
export function validatorWeight(rep: Reputation | undefined): number {
  const agreed = rep?.validatorAgreed ?? 0;
  const disagreed = rep?.validatorDisagreed ?? 0;
  return (agreed + 1) / (agreed + disagreed + 2);
}

/** Quality of a contributor: `(accepted + 1) / (accepted + rejected + 2)`; a newcomer scores 0.5. */
export function contributorQuality(rep: Reputation | undefined): number {
  const accepted = rep?.contributionsAccepted ?? 0;
  const rejected = rep?.contributionsRejected ?? 0;
  return (accepted + 1) / (accepted + rejected + 2);
}

const key = (a: string): string => a.toLowerCase();

/**
 * Applies a closed contribution's outcome to the reputations involved. Pure: returns new records and
 * changes nothing it was given.
 *
 * - Every vote with role `validator`: `validatorAgreed + 1` when its verdict matches the outcome
 *   (`approve` ~ `accepted`, `reject` ~ `rejected`), else `validatorDisagreed + 1`. An address that
 *   (against the rules) voted twice is counted twice.
 * - Votes with role `owner` (the owner deciding an owner-moderated Datanet) change nothing: deciding
 *   is not evidence of judging well.
 * - The contributor: `contributionsAccepted + 1` or `contributionsRejected + 1`.
 *
 * Returns one record per changed address (the contributor first, then validators in vote order), each
 * with `updatedAt = now`. Records missing from `reputations` start from `emptyReputation`.
 */
export function applyOutcome(args: {
  outcome: 'accepted' | 'rejected';
  contributor: Address;
  votes: ReadonlyArray<Pick<Validation, 'validator' | 'verdict' | 'role'>>;
  reputations: ReadonlyMap<Address, Reputation>;
  now: number;
}): Reputation[] {
  const { outcome, contributor, votes, reputations, now } = args;
  const known = new Map<string, Reputation>();
  for (const [address, rep] of reputations) known.set(key(address), rep);

  const changed = new Map<string, Reputation>();
  const working = (address: Address): Reputation => {
    const k = key(address);
    let rep = changed.get(k);
    if (!rep) {
      const old = known.get(k);
      rep = old ? { ...old, updatedAt: now } : emptyReputation(address, now);
      changed.set(k, rep);
    }
    return rep;
  };

  const c = working(contributor);
  if (outcome === 'accepted') c.contributionsAccepted += 1;
  else c.contributionsRejected += 1;

  const winning = outcome === 'accepted' ? 'approve' : 'reject';
  for (const v of votes) {
    if (v.role === 'owner') continue;
    const r = working(v.validator);
    if (v.verdict === winning) r.validatorAgreed += 1;
    else r.validatorDisagreed += 1;
  }
  return [...changed.values()];
}
