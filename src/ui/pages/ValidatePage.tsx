import { For, Show, createMemo, createSignal } from 'solid-js';
import { A } from '@solidjs/router';
import type { VoteResult } from '../../workerApi/dataApi.ts';
import type { Contribution, Datanet } from '../../core/types.ts';
import { listDatanets } from '../../store/datanets.ts';
import { getDb } from '../../store/db.ts';
import { PendingContributionCard } from '../components/PendingContributionCard.tsx';
import { QuorumRule } from '../components/QuorumRule.tsx';
import { ReputationTable } from '../components/ReputationTable.tsx';
import { activeIdentity, describeIdentity } from '../lib/identity.ts';
import { createLiveQuery } from '../lib/liveQuery.ts';
import { createHoldTracker } from '../lib/holdTracker.ts';
import { createNoticeList } from '../lib/noticeList.ts';
import { quorumPendingReason } from '../../core/quorumPendingReason.ts';

/** Vote results stay a minute (longer than a toast: they carry a link and often a reason to read). */
const DECISION_LIFETIME_MS = 60_000;

interface Decision {
  text: string;
  datanetId?: string | undefined;
}

export function ValidatePage() {
  const datanets = createLiveQuery(() => listDatanets(getDb()));
  const pending = createLiveQuery(async () => {
    const rows = await getDb().contributions.where('status').equals('pending').toArray();
    return rows.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  });
  const [filter, setFilter] = createSignal('');
  // One notice per contribution: the later result of a vote replaces the earlier one ("stays pending" -> "Accepted").
  const decisions = createNoticeList<Decision>(5);
  const holdDecisions = createHoldTracker(decisions.hold);

  const byId = createMemo(() => new Map((datanets() ?? []).map((d) => [d.id, d])));
  const shown = () => (pending() ?? []).filter((c) => !filter() || c.datanetId === filter());

  const onVoted = (c: Contribution, d: Datanet | undefined, r: VoteResult) => {
    const key = `vote:${c.id}`;
    if (r.outcome === 'accepted') {
      const text = `“${c.title}”: Accepted — version ${r.version?.version ?? '?'} created${d ? ` in ${d.name}` : ''}.`;
      decisions.show({ kind: 'success', text, datanetId: c.datanetId }, { key, ttlMs: DECISION_LIFETIME_MS });
    } else if (r.outcome === 'rejected') {
      decisions.show({ kind: 'warning', text: `“${c.title}”: Rejected.`, datanetId: c.datanetId }, { key, ttlMs: DECISION_LIFETIME_MS });
    } else {
      const why = r.pending ? quorumPendingReason(r.pending) : 'It stays pending.';
      decisions.show({ kind: 'info', text: `Your vote on “${c.title}” was recorded. ${why}` }, { key, ttlMs: DECISION_LIFETIME_MS });
    }
  };

  return (
    <section class="page">
      <header class="page-header">
        <div>
          <h1>Validate</h1>
          <p class="lead">Review what others contributed. Approve what belongs in the Datanet, reject what does not, and say why.</p>
        </div>
      </header>

      <div class="validate-layout">
        <div class="validate-main">
          <div class="toolbar">
            <div class="field field-inline">
              <label for="validate-filter">Datanet</label>
              <select id="validate-filter" onChange={(e) => setFilter(e.currentTarget.value)}>
                <option value="" selected={filter() === ''}>
                  All Datanets
                </option>
                <For each={datanets()}>
                  {(d) => (
                    <option value={d.id} selected={d.id === filter()}>
                      {d.name}
                    </option>
                  )}
                </For>
              </select>
            </div>
            <p class="muted small">
              Voting as <span class="mono">{activeIdentity() ? describeIdentity(activeIdentity()!) : '…'}</span>
            </p>
          </div>

          <div class="decisions" role="status" aria-live="polite" aria-label="Vote results" {...holdDecisions}>
            <For each={[...decisions.notices()].reverse()}>
              {(d) => (
                <div class={`alert decision ${d.kind === 'success' ? 'alert-success' : d.kind === 'warning' ? 'alert-warning' : 'alert-info'}`}>
                  <p class="alert-message">
                    {d.text}
                    <Show when={d.datanetId}>
                      {' '}
                      <A href={`/datanets/${d.datanetId}`}>Open the Datanet</A>
                    </Show>
                  </p>
                  <button type="button" class="btn btn-ghost btn-small toast-close" aria-label="Dismiss this result" onClick={() => decisions.dismiss(d.id)}>
                    ×
                  </button>
                </div>
              )}
            </For>
          </div>

          <h2>
            Pending contributions <span class="count-pill">{shown().length}</span>
          </h2>
          <Show when={pending()} fallback={<p class="muted">Loading…</p>}>
            <Show when={shown().length > 0} fallback={<p class="empty">Nothing is waiting for validation{filter() ? ' in this Datanet' : ''}.</p>}>
              <div class="pending-list">
                <For each={shown()}>{(c) => <PendingContributionCard contribution={c} datanet={byId().get(c.datanetId)} onVoted={onVoted} />}</For>
              </div>
            </Show>
          </Show>
        </div>

        <aside class="validate-side">
          <div class="card">
            <QuorumRule />
          </div>
        </aside>
      </div>

      <section class="card" aria-labelledby="reputation-title">
        <h2 id="reputation-title">Reputation</h2>
        <ReputationTable />
      </section>
    </section>
  );
}
