import { For, Show } from 'solid-js';
import type { Contribution } from '../../core/types.ts';
import { ContributionRow } from './ContributionRow.tsx';
import { keyboardScrollable } from '../lib/keyboardScrollable.ts';

/** A Datanet's contributions, each expandable to its passages. */
export function ContributionsTable(props: { contributions: Contribution[] }) {
  return (
    <Show when={props.contributions.length > 0} fallback={<p class="empty">No contributions yet.</p>}>
      <div class="table-wrap" ref={keyboardScrollable} role="region" aria-label="Contributions">
        <table class="table contributions-table">
          <caption class="visually-hidden">Contributions</caption>
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Contributor</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Passages
              </th>
              <th scope="col">Date</th>
            </tr>
          </thead>
          <tbody>
            <For each={props.contributions}>{(c) => <ContributionRow contribution={c} />}</For>
          </tbody>
        </table>
      </div>
    </Show>
  );
}
