import { Show, createEffect, createSignal } from 'solid-js';
import type { EngineStats } from '../../workerApi/engineApi.ts';
import { getEngineApi } from '../../client/engineClient.ts';
import { byCount, formatBytes, plural } from '../lib/format.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

const MB = 1024 * 1024;

/**
 * The device memory for resident adapters: the budget (settable; applying it re-creates the model's adapter slots,
 * so every adapter is evicted and reloads when next used), what is used, and the pool's hits, misses and evictions.
 */
export function AdapterBudgetPanel(props: { stats: EngineStats | undefined; onChanged: () => void }) {
  const [value, setValue] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  createEffect(() => {
    const b = props.stats?.prefs.adapterBudgetBytes;
    if (b !== undefined && value() === '') setValue(String(Math.round((b / MB) * 100) / 100));
  });
  const pool = () => props.stats?.pool ?? null;
  const apply = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    const mb = Number(value());
    if (!Number.isFinite(mb) || mb <= 0) return setError(new Error('The budget must be a positive number of MB.'));
    setBusy(true);
    try {
      await getEngineApi().setPrefs({ adapterBudgetBytes: Math.round(mb * MB) });
      props.onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const pct = () => {
    const p = pool();
    return p && p.budgetBytes > 0 ? Math.min(100, (p.residentBytes / p.budgetBytes) * 100) : 0;
  };
  return (
    <div class="adapter-budget">
      <Show when={pool()} fallback={<p class="muted">Load a model to see the adapter pool.</p>}>
        {(p) => (
          <>
            <p class="adapter-usage">
              <strong>{formatBytes(p().residentBytes)}</strong> of {formatBytes(p().budgetBytes)} used: {p().resident} of {plural(p().capacity, 'slot')} {byCount(p().resident, 'holds', 'hold')} an adapter
              ({formatBytes(p().slotBytes)} per slot, whatever the rank; the adapters' own matrices take {formatBytes(p().adapterBytes)}).
            </p>
            <div class="meter" role="meter" aria-label="Adapter memory used" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct())}>
              <span style={{ width: `${pct()}%` }} />
            </div>
            <p class="small muted">
              {plural(p().hits, 'hit')} · {plural(p().misses, 'load')} · {plural(p().evictions, 'eviction')} (least recently used first; adapters in use by an answer are never evicted)
            </p>
          </>
        )}
      </Show>
      <form class="inline-form" onSubmit={(e) => void apply(e)}>
        <div class="field">
          <label for="adapter-budget">Memory budget (MB)</label>
          <input id="adapter-budget" type="number" min="0.1" step="0.1" value={value()} onInput={(e) => setValue(e.currentTarget.value)} />
        </div>
        <button type="submit" class="btn btn-secondary" disabled={busy()}>
          Apply budget
        </button>
      </form>
      <p class="hint">Applying a budget re-creates the adapter slots on the device (the base model is re-uploaded); adapters reload when next used.</p>
      <ErrorAlert error={error()} title="The budget was not changed" onDismiss={() => setError(undefined)} />
    </div>
  );
}
