import { QUORUM_RULES } from '../../core/quorum.ts';
import { fractionLabel } from '../../core/quorumPendingReason.ts';

/** A short explanation of how contributions are decided. */
export function QuorumRule() {
  return (
    <div class="quorum-rule">
      <h2 class="h3">How a contribution is decided</h2>
      <p>
        In a <strong>quorum</strong> Datanet every vote counts with its validator's weight: the validator's reputation,
        0.50 for a newcomer, rising as their votes agree with final outcomes. A contribution is decided once it has at
        least <strong>{QUORUM_RULES.minVotes} votes</strong> whose weights add up to at least{' '}
        <strong>{QUORUM_RULES.minTotalWeight.toFixed(2)}</strong>. It is accepted when approvals carry at least{' '}
        <strong>{fractionLabel(QUORUM_RULES.decideFraction)}</strong> of the total weight, rejected when rejections do,
        and otherwise waits for more votes. Nobody validates their own contribution.
      </p>
      <p>
        In an <strong>owner-moderated</strong> Datanet the owner decides alone. Each acceptance publishes a new version
        of the Datanet with a new Merkle root.
      </p>
    </div>
  );
}
