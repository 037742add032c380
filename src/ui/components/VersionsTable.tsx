import { For, Show } from 'solid-js';
import type { DatanetVersion } from '../../core/types.ts';
import { formatDateTime } from '../lib/format.ts';
import { CopyButton } from './CopyButton.tsx';
import { keyboardScrollable } from '../lib/keyboardScrollable.ts';

/** A Datanet's versions with their Merkle roots. */
export function VersionsTable(props: { versions: DatanetVersion[] }) {
  return (
    <Show when={props.versions.length > 0} fallback={<p class="empty">No version yet: the first accepted contribution creates version 1.</p>}>
      <div class="table-wrap" ref={keyboardScrollable} role="region" aria-label="Versions">
        <table class="table versions-table">
          <caption class="visually-hidden">Versions</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Date</th>
              <th scope="col" class="num">
                Contributions
              </th>
              <th scope="col">Merkle root</th>
            </tr>
          </thead>
          <tbody>
            <For each={props.versions}>
              {(v) => (
                <tr>
                  <td>v{v.version}</td>
                  <td class="nowrap">{formatDateTime(v.createdAt)}</td>
                  <td class="num">
                    {v.contributionIds.length}
                    <Show when={v.addedIds.length > 0 && v.addedIds.length !== v.contributionIds.length}>
                      <span class="muted"> (+{v.addedIds.length})</span>
                    </Show>
                  </td>
                  <td>
                    <div class="hash-cell">
                      <code class="mono hash">{v.merkleRoot}</code>
                      <CopyButton value={v.merkleRoot} label={`Copy Merkle root of version ${v.version}`} />
                    </div>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </Show>
  );
}
