import { For, Show, createResource, createSignal } from 'solid-js';
import { getDb } from '../../store/db.ts';
import { storageSummary } from '../../store/storageSummary.ts';
import { formatBytes } from '../lib/format.ts';
import { createLiveQuery } from '../lib/liveQuery.ts';
import { tableLabel } from '../lib/tableLabel.ts';
import { keyboardScrollable } from '../lib/keyboardScrollable.ts';

/** Settings: how much the browser lets the app store, persistence, and record counts. */
export function StoragePanel() {
  const supported = typeof navigator !== 'undefined' && !!navigator.storage;
  const [estimate, { refetch: refetchEstimate }] = createResource(async () => (supported && navigator.storage.estimate ? navigator.storage.estimate() : undefined));
  const [persisted, { mutate: setPersisted }] = createResource(async () => (supported && navigator.storage.persisted ? navigator.storage.persisted() : undefined));
  const [persistResult, setPersistResult] = createSignal<string>();
  const [asking, setAsking] = createSignal(false);
  const counts = createLiveQuery(() => storageSummary(getDb()));

  const askPersist = async () => {
    if (!supported || !navigator.storage.persist) return;
    setAsking(true);
    try {
      const granted = await navigator.storage.persist();
      setPersisted(granted);
      setPersistResult(
        granted
          ? 'Granted: the browser will not clear this data to free space; only you can, by clearing site data.'
          : 'Not granted: the browser decided (it often grants this to installed or often-used sites). Your data stays, but could be cleared if the disk runs low.',
      );
      void refetchEstimate();
    } catch (e) {
      setPersistResult(`The request failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setAsking(false);
    }
  };

  const usedFraction = () => {
    const e = estimate();
    return e?.usage !== undefined && e.quota ? Math.min(1, e.usage / e.quota) : undefined;
  };

  return (
    <div>
      <Show when={supported} fallback={<p class="alert alert-warning">This browser does not report storage usage (navigator.storage is missing).</p>}>
        <Show when={estimate()} fallback={<p class="muted">Measuring storage…</p>}>
          {(e) => (
            <div class="storage-usage">
              <p>
                <strong>{formatBytes(e().usage ?? 0)}</strong> used of <strong>{e().quota !== undefined ? formatBytes(e().quota!) : 'an unknown quota'}</strong>
                <Show when={usedFraction() !== undefined}>
                  <span class="muted"> ({((usedFraction() ?? 0) * 100).toFixed(usedFraction()! < 0.01 ? 2 : 1)} %)</span>
                </Show>
              </p>
              <Show when={usedFraction() !== undefined}>
                <div class="meter" role="meter" aria-label="Storage used" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round((usedFraction() ?? 0) * 100)}>
                  <span style={{ width: `${Math.max(0.5, (usedFraction() ?? 0) * 100)}%` }} />
                </div>
              </Show>
            </div>
          )}
        </Show>
        <div class="persist-row">
          <p>
            Persistent storage:{' '}
            <strong>{persisted() === undefined ? 'unknown' : persisted() ? 'on — the browser will keep this data' : 'off — the browser may clear this data when space runs low'}</strong>
          </p>
          <button type="button" class="btn btn-secondary" disabled={asking()} onClick={() => void askPersist()}>
            Keep data persistently
          </button>
        </div>
        <Show when={persistResult()}>
          <p class="alert alert-info" role="status">
            {persistResult()}
          </p>
        </Show>
      </Show>

      <h3 class="h4">Records</h3>
      <Show when={counts()} fallback={<p class="muted">Counting…</p>}>
        {(c) => (
          <div class="table-wrap" ref={keyboardScrollable} role="region" aria-label="Records per table">
            <table class="table table-compact counts-table">
              <caption class="visually-hidden">Records per table</caption>
              <thead>
                <tr>
                  <th scope="col">Table</th>
                  <th scope="col" class="num">
                    Records
                  </th>
                </tr>
              </thead>
              <tbody>
                <For each={Object.entries(c())}>
                  {([table, n]) => (
                    <tr>
                      <td>
                        {tableLabel(table).label}
                        <Show when={tableLabel(table).tableName}>
                          {(name) => (
                            <>
                              {' '}
                              <span class="muted small mono">{name()}</span>
                            </>
                          )}
                        </Show>
                      </td>
                      <td class="num">{n.toLocaleString('en-US')}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
        )}
      </Show>
    </div>
  );
}
