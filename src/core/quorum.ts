/**
 * When a contribution is decided.
 */
import type { Moderation, Validation } from './types.ts';

export const QUORUM_RULES = { minVotes: 2, minTotalWeight: 1.0, decideFraction: 2 / 3 } as const;

export type QuorumRules = { readonly minVotes: number; readonly minTotalWeight: number; readonly decideFraction: number };

/** Slack for floating-point sums of weights (e.g. 2/3 + 2/3 + 2/3 compared with 2/3 of their total). */
const EPSILON = 1e-9;

/**
 * Decides a contribution from its votes, or returns `undefined` while it is still pending.
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
export function decide(
  votes: ReadonlyArray<Pick<Validation, 'verdict' | 'weight' | 'role'>>,
  moderation: Moderation,
  rules: QuorumRules = QUORUM_RULES,
): 'accepted' | 'rejected' | undefined {
  if (moderation === 'owner') {
    const ownerVote = votes.find((v) => v.role === 'owner');
    if (!ownerVote) return undefined;
    return ownerVote.verdict === 'approve' ? 'accepted' : 'rejected';
  }

  let total = 0;
  let approve = 0;
  let reject = 0;
  for (const v of votes) {
    if (!Number.isFinite(v.weight) || v.weight < 0) throw new RangeError(`vote weight must be a finite number >= 0 (got ${v.weight})`);
    total += v.weight;
    if (v.verdict === 'approve') approve += v.weight;
    else reject += v.weight;
  }
  if (votes.length < rules.minVotes || total < rules.minTotalWeight - EPSILON) return undefined;
  const needed = rules.decideFraction * total - EPSILON;
  if (approve >= needed) return 'accepted';
  if (reject >= needed) return 'rejected';
  return undefined;
}
