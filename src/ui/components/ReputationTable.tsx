import { For, Show } from 'solid-js';
import { contributorQuality, validatorWeight } from '../../core/reputation.ts';
import type { Reputation } from '../../core/types.ts';
import { getDb } from '../../store/db.ts';
import { listReputations } from '../../store/reputations.ts';
import { identities, identityLabel, sameAddress } from '../lib/identity.ts';
import { createLiveQuery } from '../lib/liveQuery.ts';
import { keyboardScrollable } from '../lib/keyboardScrollable.ts';

/** Reputation of every known address, local identities included (newcomers score 0.50). */
export function ReputationTable() {
  const stored = createLiveQuery(() => listReputations(getDb()));
  const rows = () => {
    const list: { address: string; rep: Reputation | undefined }[] = (stored() ?? []).map((rep) => ({ address: rep.address, rep }));
    for (const i of identities()) {
      if (!list.some((r) => sameAddress(r.address, i.address))) list.push({ address: i.address, rep: undefined });
    }
    return list;
  };
  return (
    <Show when={rows().length > 0} fallback={<p class="muted">No reputation recorded yet.</p>}>
      <div class="table-wrap" ref={keyboardScrollable} role="region" aria-label="Reputation">
        <table class="table reputation-table">
          <caption class="visually-hidden">Reputation</caption>
          <thead>
            <tr>
              <th scope="col">Address</th>
              <th scope="col">Label</th>
              <th scope="col" class="num">
                Validator weight
              </th>
              <th scope="col" class="num">
                Contributor quality
              </th>
            </tr>
          </thead>
          <tbody>
            <For each={rows()}>
              {(r) => (
                <tr>
                  <td class="mono break">{r.address}</td>
                  <td>{identityLabel(r.address) ?? <span class="muted">—</span>}</td>
                  <td class="num">
                    <strong>{validatorWeight(r.rep).toFixed(2)}</strong>
                    <span class="muted small">
                      {' '}
                      ({r.rep?.validatorAgreed ?? 0} agreed, {r.rep?.validatorDisagreed ?? 0} disagreed)
                    </span>
                  </td>
                  <td class="num">
                    <strong>{contributorQuality(r.rep).toFixed(2)}</strong>
                    <span class="muted small">
                      {' '}
                      ({r.rep?.contributionsAccepted ?? 0} accepted, {r.rep?.contributionsRejected ?? 0} rejected)
                    </span>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <p class="hint">
        Both scores are the mean of a Beta distribution: (good + 1) / (good + bad + 2). A validator's weight is what their
        vote counts for; it moves as their votes agree or disagree with final outcomes.
      </p>
    </Show>
  );
}
