import { Show, createSignal } from 'solid-js';
import { A } from '@solidjs/router';
import type { VoteResult } from '../../workerApi/dataApi.ts';
import { QUORUM_RULES, quorumStatus } from '../../core/quorum.ts';
import { fractionLabel, quorumPendingReason } from '../../core/quorumPendingReason.ts';
import type { Contribution, Datanet, Verdict } from '../../core/types.ts';
import { listValidations } from '../../store/contributions.ts';
import { getDb } from '../../store/db.ts';
import { formatBytes, formatDate, plural } from '../lib/format.ts';
import { activeAddress, displayAddress, sameAddress } from '../lib/identity.ts';
import { castVoteAs } from '../lib/walletSigning.ts';
import { createLiveQuery } from '../lib/liveQuery.ts';
import { keyboardScrollable } from '../lib/keyboardScrollable.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { PassageList } from './PassageList.tsx';
import { VotesTable } from './VotesTable.tsx';

interface Props {
  contribution: Contribution;
  datanet: Datanet | undefined;
  /** Called after a successful vote, with the worker's result. */
  onVoted: (contribution: Contribution, datanet: Datanet | undefined, result: VoteResult) => void;
}

/** A pending contribution with its passages, votes, tally and the vote buttons. */
export function PendingContributionCard(props: Props) {
  const votes = createLiveQuery(
    () => props.contribution.id,
    (id) => listValidations(getDb(), id),
  );
  const [showPassages, setShowPassages] = createSignal(false);
  const [reason, setReason] = createSignal('');
  const [reasonError, setReasonError] = createSignal<string>();
  const [busy, setBusy] = createSignal<Verdict>();
  const [error, setError] = createSignal<unknown>();
  const idPart = () => props.contribution.id.slice(2, 14);
  let reasonInput: HTMLInputElement | undefined;

  const ownerModerated = () => props.datanet?.moderation === 'owner';
  /** Where the contribution stands (the same rule the worker applies), with what is missing. */
  const status = () => quorumStatus(votes() ?? [], props.datanet?.moderation ?? 'quorum');
  const tally = () => status().tally;
  /** What the quorum still misses, once someone voted (the owner's case is said by the tally line). */
  const pendingReason = () => {
    const s = status();
    return s.state === 'pending' && s.missing !== 'owner' && s.tally.votes > 0 ? quorumPendingReason(s) : undefined;
  };

  /** Why the active identity cannot vote here, or undefined when it can. */
  const blocked = (): string | undefined => {
    const me = activeAddress();
    if (!me) return 'Waiting for your identity to load.';
    if (ownerModerated()) {
      if (!sameAddress(me, props.datanet?.owner)) return 'Only the owner of this Datanet decides (it is owner-moderated). Switch to the owner identity to vote.';
    } else if (sameAddress(me, props.contribution.contributor)) {
      return 'This is your own contribution: another validator must decide on it. Switch identity to vote.';
    }
    if ((votes() ?? []).some((v) => sameAddress(v.validator, me))) return 'You already voted on this contribution: one vote per validator.';
    return undefined;
  };

  const vote = async (verdict: Verdict) => {
    const me = activeAddress();
    if (!me) return;
    const text = reason().trim();
    if (verdict === 'reject' && text === '') {
      setReasonError('Say why you reject it: a reason is required for a rejection.');
      reasonInput?.focus();
      return;
    }
    setReasonError(undefined);
    setError(undefined);
    setBusy(verdict);
    try {
      // Signed by the local key, or in the wallet when the wallet's account is the active identity.
      const result = await castVoteAs(props.contribution.id, me, verdict, text);
      setReason('');
      props.onVoted(props.contribution, props.datanet, result);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <article class="card pending-card" aria-labelledby={`pc-title-${idPart()}`}>
      <header class="pending-header">
        <div>
          <h3 id={`pc-title-${idPart()}`}>{props.contribution.title}</h3>
          <p class="muted small">
            <Show when={props.datanet} fallback={<span>Unknown Datanet</span>}>
              {(d) => <A href={`/datanets/${d().id}`}>{d().name}</A>}
            </Show>{' '}
            · by <span class="mono" title={props.contribution.contributor}>{displayAddress(props.contribution.contributor)}</span> ·{' '}
            {formatDate(props.contribution.createdAt)} · {formatBytes(props.contribution.sourceBytes)} ·{' '}
            {plural(props.contribution.chunkCount, 'passage')}
          </p>
        </div>
        <span class="badge badge-pending">Pending</span>
      </header>

      <button
        type="button"
        class="disclosure"
        aria-expanded={showPassages()}
        aria-controls={`pc-passages-${idPart()}`}
        onClick={() => setShowPassages((s) => !s)}
      >
        <span class="chevron" aria-hidden="true" />
        {showPassages() ? 'Hide passages' : `Show passages (${props.contribution.chunkCount})`}
      </button>
      <Show when={showPassages()}>
        <div id={`pc-passages-${idPart()}`} class="passages-box" ref={keyboardScrollable} role="region" aria-label={`Passages of ${props.contribution.title}`}>
          <PassageList contributionId={props.contribution.id} />
        </div>
      </Show>

      <div class="votes-block">
        <h4>Votes</h4>
        <VotesTable votes={votes() ?? []} />
        <p class="tally">
          <Show
            when={!ownerModerated()}
            fallback={<span>Owner-moderated: waiting for the owner, {props.datanet ? displayAddress(props.datanet.owner) : ''}, to decide.</span>}
          >
            <span>
              {tally().votes} of at least {QUORUM_RULES.minVotes} votes · weight {tally().total.toFixed(2)} of at least{' '}
              {QUORUM_RULES.minTotalWeight.toFixed(2)} · approve {tally().approve.toFixed(2)}, reject {tally().reject.toFixed(2)} (a side needs{' '}
              {fractionLabel(QUORUM_RULES.decideFraction)} of the weight)
            </span>
          </Show>
        </p>
        <Show when={pendingReason()}>{(r) => <p class="hint pending-reason">{r()}</p>}</Show>
      </div>

      <div class="vote-form">
        <div class="field" classList={{ 'field-invalid': !!reasonError() }}>
          <label for={`pc-reason-${idPart()}`}>Reason (required to reject, optional to approve)</label>
          <input
            id={`pc-reason-${idPart()}`}
            ref={reasonInput}
            type="text"
            value={reason()}
            disabled={!!blocked() || !!busy()}
            aria-invalid={!!reasonError()}
            aria-describedby={reasonError() ? `pc-reason-error-${idPart()}` : undefined}
            onInput={(e) => {
              setReason(e.currentTarget.value);
              setReasonError(undefined);
            }}
          />
        </div>
        <div class="vote-buttons">
          <button type="button" class="btn btn-approve" disabled={!!blocked() || !!busy()} onClick={() => void vote('approve')}>
            {busy() === 'approve' ? 'Approving…' : 'Approve'}
          </button>
          <button type="button" class="btn btn-reject" disabled={!!blocked() || !!busy()} onClick={() => void vote('reject')}>
            {busy() === 'reject' ? 'Rejecting…' : 'Reject'}
          </button>
        </div>
        <Show when={reasonError()}>
          <p class="field-error vote-note" id={`pc-reason-error-${idPart()}`}>
            {reasonError()}
          </p>
        </Show>
        <Show when={blocked()}>
          <p class="blocked-reason vote-note">{blocked()}</p>
        </Show>
      </div>
      <ErrorAlert title="Your vote was not recorded" error={error()} />
    </article>
  );
}
