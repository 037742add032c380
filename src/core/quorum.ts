/**
 * When a contribution is decided, and while it is not, what is missing.
 */
import type { Moderation, Validation } from './types.ts';

export const QUORUM_RULES = { minVotes: 2, minTotalWeight: 1.0, decideFraction: 2 / 3 } as const;

export type QuorumRules = { readonly minVotes: number; readonly minTotalWeight: number; readonly decideFraction: number };

type Vote = Pick<Validation, 'verdict' | 'weight' | 'role'>;

/** The sums the rule looks at. */
export interface QuorumTally {
  votes: number;
  total: number;
  approve: number;
  reject: number;
}

/**
 * Where a contribution stands. `pending` says what is missing:
 * - `owner`: an owner-moderated Datanet waits for its owner's vote (other votes are advisory);
 * - `quorum`: fewer than `minVotes` votes and/or less than `minTotalWeight` weight (`votesMissing` /
 *   `weightMissing` say how many / how much more; either may be 0 when only the other is short);
 * - `majority`: the quorum is reached but neither side holds `decideFraction` of the weight.
 *   `approveNeeds` / `rejectNeeds`: the least weight that further votes for that side must add for it to
 *   decide (`w` with `side + w >= fraction * (total + w)`).
 */
export type QuorumStatus =
  | { state: 'decided'; outcome: 'accepted' | 'rejected'; tally: QuorumTally }
  | { state: 'pending'; missing: 'owner'; tally: QuorumTally }
  | { state: 'pending'; missing: 'quorum'; tally: QuorumTally; rules: QuorumRules; votesMissing: number; weightMissing: number }
  | { state: 'pending'; missing: 'majority'; tally: QuorumTally; rules: QuorumRules; approveNeeds: number; rejectNeeds: number };

export type QuorumPending = Extract<QuorumStatus, { state: 'pending' }>;

/** Slack for floating-point sums of weights (e.g. 2/3 + 2/3 + 2/3 compared with 2/3 of their total). */
const EPSILON = 1e-9;

/**
 * Where a contribution stands after `votes` (see `decide` for the rule).
 *
 * @throws RangeError when a weight is not a finite number >= 0, or the rules are out of range.
 */
export function quorumStatus(votes: ReadonlyArray<Vote>, moderation: Moderation, rules: QuorumRules = QUORUM_RULES): QuorumStatus {
  if (!(rules.decideFraction > 0 && rules.decideFraction <= 1)) throw new RangeError(`decideFraction must be in (0, 1] (got ${rules.decideFraction})`);
  const tally: QuorumTally = { votes: votes.length, total: 0, approve: 0, reject: 0 };
  for (const v of votes) {
    if (!Number.isFinite(v.weight) || v.weight < 0) throw new RangeError(`vote weight must be a finite number >= 0 (got ${v.weight})`);
    tally.total += v.weight;
    if (v.verdict === 'approve') tally.approve += v.weight;
    else tally.reject += v.weight;
  }

  if (moderation === 'owner') {
    const ownerVote = votes.find((v) => v.role === 'owner');
    if (!ownerVote) return { state: 'pending', missing: 'owner', tally };
    return { state: 'decided', outcome: ownerVote.verdict === 'approve' ? 'accepted' : 'rejected', tally };
  }

  const votesMissing = Math.max(0, rules.minVotes - votes.length);
  const weightShort = rules.minTotalWeight - tally.total;
  const weightMissing = weightShort > EPSILON ? weightShort : 0;
  if (votesMissing > 0 || weightMissing > 0) return { state: 'pending', missing: 'quorum', tally, rules, votesMissing, weightMissing };

  const needed = rules.decideFraction * tally.total - EPSILON;
  if (tally.approve >= needed) return { state: 'decided', outcome: 'accepted', tally };
  if (tally.reject >= needed) return { state: 'decided', outcome: 'rejected', tally };
  const f = rules.decideFraction;
  // side + w >= f (total + w)  <=>  w >= (f total - side) / (1 - f); with f = 1 no added weight is ever enough.
  const needs = (side: number) => (f >= 1 ? Infinity : Math.max(0, (f * tally.total - side) / (1 - f)));
  return { state: 'pending', missing: 'majority', tally, rules, approveNeeds: needs(tally.approve), rejectNeeds: needs(tally.reject) };
}

/**
 * Decides a contribution from its votes, or returns `undefined` while it is still pending
 * (`quorumStatus` says why).
 *
 * Owner-moderated (`moderation === 'owner'`): the first vote with role `owner` (in array order) decides
 * alone: `approve` -> `accepted`, `reject` -> `rejected`. Votes with role `validator` are advisory and
 * never decide. No owner vote -> pending.
 *
 * Quorum-moderated (`moderation === 'quorum'`): every vote counts with its `weight` (the validator's
 * reputation when the vote was cast, see `validatorWeight`). Let `total` be the sum of the weights and
 * `approve` / `reject` the sums per verdict. Pending while there are fewer than `minVotes` (2) votes or
 * `total < minTotalWeight` (1.0). Then `accepted` when `approve >= decideFraction * total` (2/3), else
 * `rejected` when `reject >= decideFraction * total`, else still pending (a split vote waits for more
 * votes). Comparisons allow 1e-9 of floating-point slack.
 *
 * Examples: two newcomers (0.5 each) who agree decide (total 1.0, one side has all of it); two who
 * disagree do not (0.5 < 2/3 of 1.0). Two newcomers outvote a third (1.0 >= 2/3 of 1.5) but not a
 * validator of weight 0.95 (1.0 < 2/3 of 1.95: pending). Since every weight is below 1, no single vote
 * ever overrides two agreeing newcomers; it can only block them.
 *
 * @throws RangeError when a weight is not a finite number >= 0.
 */
export function decide(votes: ReadonlyArray<Vote>, moderation: Moderation, rules: QuorumRules = QUORUM_RULES): 'accepted' | 'rejected' | undefined {
  const status = quorumStatus(votes, moderation, rules);
  return status.state === 'decided' ? status.outcome : undefined;
}
