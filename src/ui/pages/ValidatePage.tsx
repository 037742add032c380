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

interface Decision {
  id: number;
  kind: 'accepted' | 'rejected' | 'recorded';
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
  const [decisions, setDecisions] = createSignal<Decision[]>([]);
  let nextId = 1;

  const byId = createMemo(() => new Map((datanets() ?? []).map((d) => [d.id, d])));
  const shown = () => (pending() ?? []).filter((c) => !filter() || c.datanetId === filter());

  const onVoted = (c: Contribution, d: Datanet | undefined, r: VoteResult) => {
    let decision: Decision;
    if (r.outcome === 'accepted') {
      decision = {
        id: nextId++,
        kind: 'accepted',
        text: `“${c.title}”: Accepted — version ${r.version?.version ?? '?'} created${d ? ` in ${d.name}` : ''}.`,
        datanetId: c.datanetId,
      };
    } else if (r.outcome === 'rejected') {
      decision = { id: nextId++, kind: 'rejected', text: `“${c.title}”: Rejected.`, datanetId: c.datanetId };
    } else {
      decision = { id: nextId++, kind: 'recorded', text: `Your vote on “${c.title}” was recorded; it stays pending until the quorum is reached.` };
    }
    setDecisions((list) => [decision, ...list].slice(0, 5));
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

          <div class="decisions" role="status" aria-live="polite">
            <For each={decisions()}>
              {(d) => (
                <p class={`alert ${d.kind === 'accepted' ? 'alert-success' : d.kind === 'rejected' ? 'alert-warning' : 'alert-info'}`}>
                  {d.text}
                  <Show when={d.datanetId}>
                    {' '}
                    <A href={`/datanets/${d.datanetId}`}>Open the Datanet</A>
                  </Show>
                </p>
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
