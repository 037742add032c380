import { For, Show, createMemo } from 'solid-js';
import { datanetLeaderboard } from '../../../core/leaderboard.ts';
import type { Hex } from '../../../core/types.ts';
import { getDb } from '../../../store/db.ts';
import { activeAddress, displayAddress, sameAddress } from '../../lib/identity.ts';
import { createTokenInfo, fmtToken } from '../../lib/ledgerView.ts';
import { createLiveQuery } from '../../lib/liveQuery.ts';
import './attribution.css';

/**
 * A Datanet's leaderboard: each contribution's accumulated attribution over the answers traced here and
 * its earnings over the ledger's fees; then, for the active identity, the answers that credited it.
 */
export function DatanetLeaderboard(props: { datanetId: string }) {
  const token = createTokenInfo();
  const data = createLiveQuery(
    () => props.datanetId,
    async (id) => {
      const db = getDb();
      const [records, fees] = await Promise.all([db.attributionRecords.where('datanetIds').equals(id).toArray(), db.ledgerEntries.toArray()]);
      const contributions = await db.contributions.where('datanetId').equals(id).toArray();
      return { records, fees, titles: new Map(contributions.map((c) => [c.id.toLowerCase(), c.title])) };
    },
  );
  const rows = createMemo(() => {
    const d = data();
    return d ? datanetLeaderboard(props.datanetId, d.records.map((r) => r.record), d.fees) : [];
  });
  const max = createMemo(() => rows().reduce((m, r) => Math.max(m, r.attributionPpm), 0));
  const title = (id: Hex) => data()?.titles.get(id.toLowerCase()) ?? `${id.slice(0, 10)}…`;
  const mine = createMemo(() => {
    const me = activeAddress();
    const d = data();
    if (!me || !d) return [];
    return d.records
      .map((r) => ({ stored: r, credits: r.record.credits.filter((c) => c.datanetId === props.datanetId && sameAddress(c.contributor, me)) }))
      .filter((x) => x.credits.length > 0)
      .sort((a, b) => b.stored.createdAt - a.stored.createdAt);
  });
  return (
    <>
      <Show when={rows().length > 0} fallback={<p class="muted">No answer has credited this Datanet yet, and no fee has paid it: ask the model on the Chat page.</p>}>
        <table class="table compact" aria-label="Leaderboard">
          <thead>
            <tr>
              <th scope="col">Contribution</th>
              <th scope="col">Contributor</th>
              <th scope="col">Accumulated attribution</th>
              <th scope="col" class="num">
                Answers
              </th>
              <th scope="col" class="num">
                Earned (settled)
              </th>
              <th scope="col" class="num">
                Pending
              </th>
            </tr>
          </thead>
          <tbody>
            <For each={rows()}>
              {(r) => (
                <tr data-contribution={r.contributionId}>
                  <td>{title(r.contributionId)}</td>
                  <td class="mono" title={r.contributor}>
                    {displayAddress(r.contributor)}
                  </td>
                  <td>
                    <span class="leaderboard-bar" style={{ width: `${max() > 0 ? Math.max(2, (80 * r.attributionPpm) / max()) : 0}px` }} aria-hidden="true" />{' '}
                    <span data-testid="attribution-total">{(r.attributionPpm / 1_000_000).toFixed(2)}</span> answers
                  </td>
                  <td class="num">{r.answers}</td>
                  <td class="num" data-testid="earned-settled">
                    {fmtToken(r.earnedSettled, token())}
                  </td>
                  <td class="num">{fmtToken(r.earnedPending, token())}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
        <p class="hint">
          Accumulated attribution adds up each contribution's share of every answer traced in this browser (1.00 = one answer fully credited). Earnings
          add up its lines in every fee: answer fees split by attribution, and "Pay a Datanet" fees.
        </p>
      </Show>
      <Show when={activeAddress()}>
        <h3 class="h4">Answers that credited you</h3>
        <Show when={mine().length > 0} fallback={<p class="muted small">None yet for {displayAddress(activeAddress()!)}.</p>}>
          <ul class="credited-answers">
            <For each={mine()}>
              {(x) => (
                <li>
                  <p class="small">
                    <strong>{x.stored.prompt.slice(0, 120)}</strong> — {x.credits.map((c) => `${title(c.contributionId)} ${(c.weightPpm / 10_000).toFixed(1)} %`).join(', ')}
                  </p>
                  <p class="small muted">{x.stored.answer.slice(0, 240)}</p>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </Show>
    </>
  );
}
