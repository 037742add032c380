/**
 * What a pending contribution is waiting for, in words, with the figures (see `quorumStatus`).
 */
import type { QuorumPending } from './quorum.ts';

/** "2/3" for the decide fraction, "1/2", else a percentage. */
export function fractionLabel(f: number): string {
  if (Math.abs(f - 2 / 3) < 1e-9) return '2/3';
  if (Math.abs(f - 1 / 2) < 1e-9) return '1/2';
  return `${Math.round(f * 100)} %`;
}

/** A weight as shown: two decimals. */
const weight = (w: number) => w.toFixed(2);
/** A weight that must be reached: rounded up at two decimals, so the figure shown is enough. */
const weightUp = (w: number) => (Math.ceil(w * 100 - 1e-6) / 100).toFixed(2);
const votes = (n: number) => `${n} ${n === 1 ? 'vote' : 'votes'}`;

/**
 * One or two sentences saying why the contribution is still pending and what would decide it, e.g.
 * "It stays pending: the weight quorum is reached (1.25 of at least 1.00), but neither side holds the 2/3
 * majority (approve 0.75, reject 0.50 of 1.25; a side needs 0.83). Approvals adding 0.25 weight would accept it;
 * rejections adding 1.00 would reject it."
 */
export function quorumPendingReason(p: QuorumPending): string {
  const t = p.tally;
  if (p.missing === 'owner') {
    return 'It stays pending until the owner of this Datanet decides: it is owner-moderated, so other votes are advice.';
  }
  if (p.missing === 'quorum') {
    const short: string[] = [];
    if (p.votesMissing > 0) short.push(`${p.votesMissing} more ${p.votesMissing === 1 ? 'vote' : 'votes'}`);
    if (p.weightMissing > 0) short.push(`${weightUp(p.weightMissing)} more weight`);
    return (
      `It stays pending: the quorum needs at least ${votes(p.rules.minVotes)} weighing at least ${weight(p.rules.minTotalWeight)} in total, ` +
      `and it has ${votes(t.votes)} weighing ${weight(t.total)}. Missing: ${short.join(' and ')}.`
    );
  }
  const share = fractionLabel(p.rules.decideFraction);
  const head =
    `It stays pending: the weight quorum is reached (${weight(t.total)} of at least ${weight(p.rules.minTotalWeight)}), ` +
    `but neither side holds the ${share} majority (approve ${weight(t.approve)}, reject ${weight(t.reject)} of ${weight(t.total)}; ` +
    `a side needs ${weightUp(p.rules.decideFraction * t.total)}).`;
  if (!Number.isFinite(p.approveNeeds) || !Number.isFinite(p.rejectNeeds)) return `${head} No further vote can decide it.`;
  return `${head} Approvals adding ${weightUp(p.approveNeeds)} weight would accept it; rejections adding ${weightUp(p.rejectNeeds)} would reject it.`;
}
