import { For, Show } from 'solid-js';
import type { Validation } from '../../core/types.ts';
import { displayAddress } from '../lib/identity.ts';
import { keyboardScrollable } from '../lib/keyboardScrollable.ts';

/** The votes cast on a contribution so far. */
export function VotesTable(props: { votes: Validation[] }) {
  return (
    <Show when={props.votes.length > 0} fallback={<p class="muted small">No votes yet.</p>}>
      <div class="table-wrap" ref={keyboardScrollable} role="region" aria-label="Votes">
        <table class="table table-compact votes-table">
          <caption class="visually-hidden">Votes</caption>
          <thead>
            <tr>
              <th scope="col">Validator</th>
              <th scope="col">Verdict</th>
              <th scope="col" class="num">
                Weight
              </th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            <For each={props.votes}>
              {(v) => (
                <tr>
                  <td class="mono" title={v.validator}>
                    {displayAddress(v.validator)}
                    <Show when={v.role === 'owner'}>
                      <span class="muted small"> (owner)</span>
                    </Show>
                  </td>
                  <td>
                    <span class={`badge ${v.verdict === 'approve' ? 'badge-accepted' : 'badge-rejected'}`}>{v.verdict === 'approve' ? 'Approve' : 'Reject'}</span>
                  </td>
                  <td class="num">{v.weight.toFixed(2)}</td>
                  <td>{v.reason || <span class="muted">—</span>}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </Show>
  );
}
