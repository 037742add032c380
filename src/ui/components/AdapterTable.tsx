import { For, Show } from 'solid-js';
import { RESIDENCY_TEXT, adapterResidency, type PoolLists } from '../../core/adapterResidency.ts';
import type { AdapterSummary } from '../../workerApi/engineApi.ts';
import { formatBytes, shortAddress } from '../lib/format.ts';
import { keyboardScrollable } from '../lib/keyboardScrollable.ts';

const TARGET_ORDER = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];
const ORIGIN: Record<AdapterSummary['origin'], string> = { demo: 'Demo (random)', files: 'Imported file', url: 'Imported URL', merge: 'Merged', training: 'Trained in ModelFactory' };

export interface MergeSelection {
  [id: string]: number | undefined;
}

/**
 * Installed adapters for the loaded model: rank, alpha, target modules, size, owner, the Datanets they were trained on,
 * whether they are loaded in a device slot, loading, evicted or not loaded yet; export, remove, and a weight to merge them.
 */
export function AdapterTable(props: {
  adapters: AdapterSummary[];
  /** The adapter pool's lists (undefined / null: no model loaded). */
  pool: PoolLists | null | undefined;
  datanetName: (id: string) => string | undefined;
  merge: MergeSelection;
  onMergeWeight: (id: string, weight: number | undefined) => void;
  onExport: (a: AdapterSummary, as: 'files' | 'zip') => void;
  onRemove: (a: AdapterSummary) => void;
  busy: boolean;
}) {
  return (
    <div class="table-wrap" ref={keyboardScrollable} role="region" aria-label="Installed adapters">
      <table class="table adapter-table">
        <caption class="visually-hidden">Installed adapters</caption>
        <thead>
          <tr>
            <th scope="col">Merge</th>
            <th scope="col">Adapter</th>
            <th scope="col" class="num">
              Rank
            </th>
            <th scope="col" class="num">
              Alpha
            </th>
            <th scope="col">Targets</th>
            <th scope="col" class="num">
              Size
            </th>
            <th scope="col">Owner</th>
            <th scope="col">Datanets trained on</th>
            <th scope="col">On the device</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          <For each={props.adapters}>
            {(a) => {
              const residency = () => adapterResidency(a.id, props.pool);
              const selected = () => props.merge[a.id] !== undefined;
              return (
                <tr data-adapter-id={a.id} class="adapter-row">
                  <td>
                    <div class="adapter-merge-cell">
                      <input
                        type="checkbox"
                        aria-label={`Merge ${a.name}`}
                        checked={selected()}
                        onChange={(e) => props.onMergeWeight(a.id, e.currentTarget.checked ? 0.5 : undefined)}
                      />
                      <Show when={selected()}>
                        <input
                          type="number"
                          class="adapter-merge-weight"
                          step="0.1"
                          aria-label={`Weight of ${a.name}`}
                          value={props.merge[a.id]}
                          onChange={(e) => props.onMergeWeight(a.id, Number(e.currentTarget.value))}
                        />
                      </Show>
                    </div>
                  </td>
                  <td>
                    <strong class="adapter-name">{a.name}</strong>
                    <div class="cell-sub mono" title={a.id}>
                      {a.id.slice(0, 12)}…
                    </div>
                    <div class="cell-sub">
                      {ORIGIN[a.origin]}
                      <Show when={a.origin !== 'demo'}>: {a.originDetail}</Show>
                    </div>
                  </td>
                  <td class="num">{a.rank}</td>
                  <td class="num">
                    {a.alpha}
                    <Show when={a.useRslora}>
                      <span class="cell-sub"> rsLoRA</span>
                    </Show>
                  </td>
                  <td>
                    <ul class="tags">
                      <For each={[...a.targets].sort((x, y) => TARGET_ORDER.indexOf(x) - TARGET_ORDER.indexOf(y))}>{(t) => <li class="tag mono">{t}_proj</li>}</For>
                    </ul>
                  </td>
                  <td class="num">{formatBytes(a.bytes)}</td>
                  <td class="mono" title={a.owner ?? ''}>
                    {a.owner ? shortAddress(a.owner) : <span class="muted">unknown</span>}
                  </td>
                  <td>
                    <Show when={a.datanets.length > 0} fallback={<span class="muted">none given</span>}>
                      <ul class="adapter-datanets">
                        <For each={a.datanets}>{(d) => <li>{props.datanetName(d) ?? d}</li>}</For>
                      </ul>
                    </Show>
                  </td>
                  <td>
                    <span
                      class={`badge ${residency() === 'loaded' ? 'badge-accepted' : 'badge-neutral'} adapter-residency`}
                      title={RESIDENCY_TEXT[residency()].explain}
                    >
                      {RESIDENCY_TEXT[residency()].label}
                    </span>
                  </td>
                  <td>
                    <div class="adapter-actions">
                      <button type="button" class="btn btn-ghost btn-small" onClick={() => props.onExport(a, 'files')}>
                        Export files
                      </button>
                      <button type="button" class="btn btn-ghost btn-small" onClick={() => props.onExport(a, 'zip')}>
                        Export zip
                      </button>
                      <button type="button" class="btn btn-reject btn-small" disabled={props.busy} onClick={() => props.onRemove(a)}>
                        Remove
                      </button>
                    </div>
                  </td>
                </tr>
              );
            }}
          </For>
        </tbody>
      </table>
    </div>
  );
}
