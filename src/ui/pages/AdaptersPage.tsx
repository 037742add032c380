import { Show, createMemo, createSignal } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import { A } from '@solidjs/router';
import { zipSync } from 'fflate';
import type { AdapterSummary } from '../../workerApi/engineApi.ts';
import { getEngineApi } from '../../client/engineClient.ts';
import { listAdapters } from '../../store/adapters.ts';
import { listDatanets } from '../../store/datanets.ts';
import { getDb } from '../../store/db.ts';
import { AdapterBudgetPanel } from '../components/AdapterBudgetPanel.tsx';
import { AdapterImportForm } from '../components/AdapterImportForm.tsx';
import { AdapterTable, type MergeSelection } from '../components/AdapterTable.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { ModelBackendStatus } from '../components/ModelBackendStatus.tsx';
import { useEngine } from '../components/ModelEngineState.tsx';
import { ModelLoadProgress } from '../components/ModelLoadProgress.tsx';
import { downloadBytes } from '../lib/download.ts';
import { activeAddress } from '../lib/identity.ts';
import { createLiveQuery } from '../lib/liveQuery.ts';
import { showToast } from '../lib/toasts.ts';

const fileSafe = (s: string): string => s.replace(/[^a-z0-9._-]+/gi, '-').replace(/^-+|-+$/g, '') || 'adapter';

export function AdaptersPage() {
  const engine = useEngine();
  const model = () => engine.stats()?.model ?? null;
  const all = createLiveQuery(() => listAdapters(getDb()));
  const datanets = createLiveQuery(() => listDatanets(getDb()));
  const datanetNames = createMemo(() => new Map((datanets() ?? []).map((d) => [d.id, d.name])));
  const fitting = () => (all() ?? []).filter((a) => a.modelSignature === model()?.signature);
  const others = () => (model() ? (all() ?? []).filter((a) => a.modelSignature !== model()!.signature) : []);
  const [merge, setMerge] = createStore<MergeSelection>({});
  const [mergeName, setMergeName] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<{ title: string; error: unknown }>();

  const selected = () => Object.entries(merge).filter((e): e is [string, number] => e[1] !== undefined);

  const exportAdapter = async (a: AdapterSummary, as: 'files' | 'zip') => {
    setError(undefined);
    try {
      const out = await getEngineApi().exportAdapter(a.id);
      const base = fileSafe(out.name);
      if (as === 'zip') {
        const extra = Object.fromEntries(Object.entries(out.extraFiles ?? {}).map(([k, v]) => [`${base}/${k}`, v]));
        downloadBytes(zipSync({ [`${base}/adapter_config.json`]: out.files['adapter_config.json'], [`${base}/adapter_model.safetensors`]: out.files['adapter_model.safetensors'], ...extra }), `${base}.zip`);
      } else {
        downloadBytes(out.files['adapter_config.json'], 'adapter_config.json', 'application/json');
        downloadBytes(out.files['adapter_model.safetensors'], 'adapter_model.safetensors', 'application/octet-stream');
      }
    } catch (err) {
      setError({ title: `${a.name} was not exported`, error: err });
    }
  };

  const remove = async (a: AdapterSummary) => {
    if (!confirm(`Remove the adapter "${a.name}"? Export it first to keep a copy.`)) return;
    setError(undefined);
    setBusy(true);
    try {
      await getEngineApi().removeAdapter(a.id);
      setMerge(a.id, undefined);
      showToast(`Removed ${a.name}.`, 'success', { key: `adapter:${a.id}` });
    } catch (err) {
      setError({ title: `${a.name} was not removed`, error: err });
    } finally {
      setBusy(false);
      void engine.refresh();
    }
  };

  const doMerge = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    const parts = selected().map(([id, weight]) => ({ id, weight }));
    setBusy(true);
    try {
      const owner = activeAddress();
      const m = await getEngineApi().mergeAdapters(parts, { ...(mergeName().trim() ? { name: mergeName().trim() } : {}), ...(owner ? { owner } : {}) });
      setMerge(reconcile({}));
      setMergeName('');
      showToast(`Merged into ${m.name} (rank ${m.rank}).`, 'success');
    } catch (err) {
      setError({ title: 'The adapters were not merged', error: err });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="page adapters-page">
      <header class="page-header">
        <div>
          <h1>Adapters</h1>
          <p class="lead">
            LoRA adapters over the loaded base model, served many at once (OpenLoRA): the ones in use sit in device slots, the
            rest wait in this browser's storage and load when a question needs them.
          </p>
        </div>
      </header>
      <Show when={engine.loadingLabel()}>{(label) => <ModelLoadProgress label={label()} progress={engine.progress()} />}</Show>
      <ErrorAlert error={engine.error()} title="The engine reported a problem" onDismiss={() => engine.clearError()} />
      <ErrorAlert error={error()?.error} title={error()?.title} onDismiss={() => setError(undefined)} />
      <div class="adapters-layout">
        <section class="card adapters-main" aria-labelledby="adapters-installed-title">
          <h2 id="adapters-installed-title">Installed adapters</h2>
          <Show when={model()} fallback={<p class="muted">Loading the model…</p>}>
            {(m) => (
              <p class="hint">
                For <strong>{m().label}</strong> ({m().numLayers} layers × {m().hiddenSize}). Ranks up to {m().maxAdapterRank} fit a slot.
              </p>
            )}
          </Show>
          <Show when={fitting().length > 0} fallback={<p class="empty">No adapter for this model is installed. Import one below.</p>}>
            <AdapterTable
              adapters={fitting()}
              pool={engine.stats()?.pool}
              datanetName={(id) => datanetNames().get(id)}
              merge={merge}
              onMergeWeight={(id, w) => setMerge(id, w)}
              onExport={(a, as) => void exportAdapter(a, as)}
              onRemove={(a) => void remove(a)}
              busy={busy()}
            />
          </Show>
          <form class="inline-form adapter-merge-form" onSubmit={(e) => void doMerge(e)}>
            <div class="field">
              <label for="merge-name">Merged adapter's name</label>
              <input id="merge-name" type="text" value={mergeName()} onInput={(e) => setMergeName(e.currentTarget.value)} placeholder="A + B" />
            </div>
            <button type="submit" class="btn btn-secondary" disabled={busy() || selected().length < 2}>
              Merge {selected().length} selected
            </button>
          </form>
          <p class="hint">
            Merging makes a new adapter equal to the weighted sum of the selected ones (ranks add up; exact, no approximation). Tick
            adapters above and set their weights.
          </p>
          <Show when={others().length > 0}>
            <p class="hint">
              {others().length} installed adapter{others().length === 1 ? '' : 's'} fit{others().length === 1 ? 's' : ''} another model:{' '}
              {others()
                .map((a) => a.name)
                .join(', ')}
              .
            </p>
          </Show>
        </section>
        <aside class="adapters-side">
          <section class="card" aria-labelledby="adapters-import-title">
            <h2 id="adapters-import-title">Import a PEFT adapter</h2>
            <AdapterImportForm
              disabled={!model()}
              onImported={(a) => {
                showToast(`Imported ${a.name} (rank ${a.rank}).`, 'success', { key: `adapter:${a.id}` });
                void engine.refresh();
              }}
            />
          </section>
          <section class="card" aria-labelledby="adapters-memory-title">
            <h2 id="adapters-memory-title">Device memory</h2>
            <ModelBackendStatus backend={engine.stats()?.backend} />
            <AdapterBudgetPanel stats={engine.stats()} onChanged={() => void engine.refresh()} />
          </section>
          <p class="hint adapters-training-note">
            Adapters come from <A href="/modelfactory">ModelFactory</A> (trained on a Datanet), from an import or a merge here, or
            with the demo model.
          </p>
        </aside>
      </div>
    </section>
  );
}
