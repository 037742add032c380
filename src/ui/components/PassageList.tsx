import { For, Show } from 'solid-js';
import type { Hex } from '../../core/types.ts';
import { listPassages } from '../../store/contributions.ts';
import { getDb } from '../../store/db.ts';
import { createLiveQuery } from '../lib/liveQuery.ts';

/** The stored passages of one contribution, in order. */
export function PassageList(props: { contributionId: Hex }) {
  const chunks = createLiveQuery(
    () => props.contributionId,
    (id) => listPassages(getDb(), id),
  );
  return (
    <Show when={chunks()} fallback={<p class="muted">Loading passages…</p>}>
      {(list) => (
        <Show when={list().length > 0} fallback={<p class="muted">No passages stored for this contribution.</p>}>
          <ol class="passages">
            <For each={list()}>
              {(c) => (
                <li class="passage" id={`passage-${props.contributionId}-${c.index}`}>
                  <div class="passage-meta">
                    <span>Passage {c.index + 1}</span>
                    <span class="mono" title={c.hash}>
                      {c.hash.slice(0, 10)}…
                    </span>
                  </div>
                  <p class="passage-text">{c.text}</p>
                </li>
              )}
            </For>
          </ol>
        </Show>
      )}
    </Show>
  );
}
