import { A } from '@solidjs/router';
import { zipSync } from 'fflate';
import { For, Show, createEffect, createMemo, createSignal, on, onCleanup, onMount } from 'solid-js';
import { createStore } from 'solid-js/store';
import type { TrainingEvaluation, TrainingEvent, TrainingPlan } from '../../workerApi/trainingApi.ts';
import { getEngineApi } from '../../client/engineClient.ts';
import { TributaryError } from '../../core/errors.ts';
import { parseTokenAmount } from '../../core/tokenAmount.ts';
import { DEFAULT_TRAIN_SETTINGS, draftOf, parseTrainSettings, type TrainSettingsDraft, type TrainSettingsField } from '../../core/trainSettings.ts';
import { getDb } from '../../store/db.ts';
import { listModels, type ModelRecord } from '../../store/models.ts';
import { listTrainingSources } from '../../store/trainingData.ts';
import { listTrainingRuns, type LossPoint } from '../../store/trainingRuns.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { FactoryDatanetPicker } from '../components/FactoryDatanetPicker.tsx';
import { loadEngineModel, useEngine } from '../components/ModelEngineState.tsx';
import { ModelLoadProgress } from '../components/ModelLoadProgress.tsx';
import { TrainSettingsForm } from '../components/TrainSettingsForm.tsx';
import { TrainingEvaluationPanel } from '../components/TrainingEvaluationPanel.tsx';
import { TrainingRunPanel, type LiveProgress } from '../components/TrainingRunPanel.tsx';
import '../components/Ledger.css';
import '../components/ModelFactory.css';
import { downloadBytes } from '../lib/download.ts';
import { plural } from '../lib/format.ts';
import { activeAddress } from '../lib/identity.ts';
import { createLiveQuery } from '../lib/liveQuery.ts';
import { createTokenInfo } from '../lib/ledgerView.ts';
import { showToast } from '../lib/toasts.ts';

interface Live {
  runId: string;
  train: LossPoint[];
  heldOut: LossPoint[];
  progress: LiveProgress | null;
  /** the phase before training: the base model answers the run's general questions (prior preservation) */
  prior: { answered: number; total: number } | null;
}

const fileSafe = (s: string) => s.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'adapter';

/**
 * ModelFactory: train a LoRA adapter on Datanets in this browser (the engine worker trains it, on WebGPU where its
 * trainer runs there, else on the CPU), watch its loss, pause/resume it (checkpoints in IndexedDB survive a reload),
 * evaluate it against the base model, save it into the adapter registry and chat with it.
 */
export function ModelFactoryPage() {
  const engine = useEngine();
  const model = () => engine.stats()?.model ?? null;
  const token = createTokenInfo();
  const sources = createLiveQuery(() => listTrainingSources(getDb()));
  const runs = createLiveQuery(() => listTrainingRuns(getDb()));
  const models = createLiveQuery(() => listModels(getDb()));

  const [selected, setSelected] = createSignal<string[]>([]);
  const [draft, setDraft] = createStore<TrainSettingsDraft>(draftOf(DEFAULT_TRAIN_SETTINGS));
  const [errors, setErrors] = createSignal<Partial<Record<TrainSettingsField, string>>>({});
  const [name, setName] = createSignal('');
  const [price, setPrice] = createSignal('0.001');
  const [formError, setFormError] = createSignal<unknown>();
  const [plan, setPlan] = createSignal<TrainingPlan>();
  const [planError, setPlanError] = createSignal<unknown>();
  const [activeId, setActiveId] = createSignal<string | null>(null);
  const [live, setLive] = createSignal<Live | null>(null);
  const [shownRunId, setShownRunId] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);
  const [runError, setRunError] = createSignal<unknown>();
  const [evaluation, setEvaluation] = createSignal<TrainingEvaluation>();
  const [questions, setQuestions] = createSignal('');
  const [pickModel, setPickModel] = createSignal('');

  const limits = () => ({ contextLength: model()?.contextLength ?? 2048, maxRank: model()?.maxAdapterRank ?? 32 });
  const checked = createMemo(() => parseTrainSettings({ ...draft, targets: [...draft.targets] }, limits()));
  const run = createMemo(() => {
    const all = runs() ?? [];
    const id = shownRunId() ?? live()?.runId;
    return (id ? all.find((r) => r.id === id) : undefined) ?? all.find((r) => r.status !== 'cancelled');
  });
  const trainingHere = () => activeId() !== null && activeId() === run()?.id;
  const curve = () => {
    const r = run();
    const l = live();
    if (r && l && l.runId === r.id) return { train: l.train, heldOut: l.heldOut };
    return { train: r?.train ?? [], heldOut: r?.heldOut ?? [] };
  };

  // runs another tab's engine trains now: it holds the run's Web Lock (services/engine/training/runLock.ts)
  const [heldElsewhere, setHeldElsewhere] = createSignal<string[]>([]);
  const refreshActive = async () => {
    try {
      const here = await getEngineApi().activeTraining();
      setActiveId(here);
      const snapshot = typeof navigator !== 'undefined' && navigator.locks ? await navigator.locks.query() : { held: [] };
      const held = (snapshot.held ?? []).map((l) => l.name ?? '').filter((n) => n.startsWith('tributary-training:')).map((n) => n.slice('tributary-training:'.length));
      setHeldElsewhere(held.filter((id) => id !== here));
    } catch {
      // the worker restarts; the next poll tells
    }
  };
  onMount(() => {
    void refreshActive();
    const t = setInterval(() => void refreshActive(), 3000);
    onCleanup(() => clearInterval(t));
  });

  // the plan (examples, tokens, steps) follows the choice of Datanets and the settings, once they are valid
  let planSeq = 0;
  createEffect(
    on([selected, checked, () => model()?.id], ([ids, c, modelId]) => {
      const seq = ++planSeq;
      setPlanError(undefined);
      if (!modelId || ids.length === 0 || !c.ok) {
        setPlan(undefined);
        return;
      }
      const timer = setTimeout(() => {
        getEngineApi()
          .planTraining({ datanetIds: ids, settings: c.settings })
          .then((p) => seq === planSeq && setPlan(p))
          .catch((e: unknown) => {
            if (seq !== planSeq) return;
            setPlan(undefined);
            setPlanError(e);
          });
      }, 250);
      onCleanup(() => clearTimeout(timer));
    }),
  );

  const toggle = (id: string, onOff: boolean) => setSelected((s) => (onOff ? [...s.filter((x) => x !== id), id] : s.filter((x) => x !== id)));
  const chosenEmpty = () => (sources() ?? []).filter((d) => selected().includes(d.id) && d.accepted === 0);

  const onEvent = (e: TrainingEvent) => {
    const cur = live();
    if (e.type === 'prior') {
      const same = cur?.runId === e.runId ? cur : null;
      setShownRunId(e.runId);
      setLive({ runId: e.runId, train: same?.train ?? [], heldOut: same?.heldOut ?? [], progress: same?.progress ?? null, prior: e.skipped === null ? { answered: e.answered, total: e.total } : null });
      setActiveId(e.runId);
      return;
    }
    if (e.type === 'started') {
      const stored = (runs() ?? []).find((r) => r.id === e.runId);
      const from = e.resumedFrom ?? 0;
      setShownRunId(e.runId);
      setLive({
        runId: e.runId,
        train: e.resumedFrom === null ? [] : (stored?.train ?? []).filter((p) => p.step <= from),
        heldOut: e.resumedFrom === null ? [] : (stored?.heldOut ?? []).filter((p) => p.step <= from),
        progress: { step: from, totalSteps: e.totalSteps, tokensPerSecond: null, etaMs: null, lr: null, resumedFrom: e.resumedFrom, backend: e.backend },
        prior: null,
      });
      setActiveId(e.runId);
      return;
    }
    if (!cur || cur.runId !== e.runId) return;
    if (e.type === 'step') {
      setLive({
        ...cur,
        train: [...cur.train, { step: e.step, loss: e.loss, tokens: e.tokens }],
        progress: { ...cur.progress!, step: e.step, tokensPerSecond: e.tokensPerSecond, etaMs: e.etaMs, lr: e.lr },
      });
    } else if (e.type === 'heldout') {
      setLive({ ...cur, heldOut: [...cur.heldOut.filter((p) => p.step !== e.step), { step: e.step, loss: e.loss, tokens: cur.train.at(-1)?.tokens ?? 0 }] });
    } else if (e.type === 'stopped') {
      setActiveId(null);
    }
  };

  const drive = async (start: () => Promise<unknown>) => {
    setRunError(undefined);
    setEvaluation(undefined);
    setBusy(true);
    try {
      await start();
    } catch (err) {
      setRunError(err);
    } finally {
      setBusy(false);
      void refreshActive();
    }
  };

  const train = (e: Event) => {
    e.preventDefault();
    setFormError(undefined);
    const c = checked();
    setErrors(c.ok ? {} : c.errors);
    if (!c.ok) {
      setFormError(new TributaryError('factory/bad-settings', `Fix ${plural(Object.keys(c.errors).length, 'setting')} first: ${Object.values(c.errors).join(' ')}`));
      return;
    }
    if (selected().length === 0) {
      setFormError(new TributaryError('factory/no-data', 'Choose at least one Datanet to train on.'));
      return;
    }
    const empty = chosenEmpty();
    if (empty.length > 0) {
      setFormError(
        new TributaryError('factory/no-data', `${empty.map((d) => `"${d.name}"`).join(', ')} ${empty.length === 1 ? 'has' : 'have'} no accepted contributions, so there is nothing to train on; untick ${empty.length === 1 ? 'it' : 'them'} or validate contributions first.`),
      );
      return;
    }
    let priceUnits: bigint;
    try {
      priceUnits = parseTokenAmount(price(), token().decimals, 'Price per answer');
    } catch (err) {
      setFormError(err);
      return;
    }
    const names = (sources() ?? []).filter((d) => selected().includes(d.id)).map((d) => d.name);
    const adapterName = name().trim() || `${names.join(' + ')} adapter`;
    setShownRunId(undefined);
    const req = { datanetIds: selected(), settings: c.settings, name: adapterName, owner: activeAddress() ?? null, pricePerAnswer: priceUnits };
    // eslint-disable-next-line solid/reactivity -- onEvent is an event handler (progress events from the worker)
    void drive(() => getEngineApi().startTraining(req, onEvent));
  };

  const resume = () => {
    const id = run()?.id;
    // eslint-disable-next-line solid/reactivity -- onEvent is an event handler (progress events from the worker)
    if (id) void drive(() => getEngineApi().resumeTraining(id, onEvent));
  };
  const pause = () => {
    const r = run();
    if (r) void getEngineApi().pauseTraining(r.id);
  };
  const cancel = async () => {
    const r = run();
    if (!r || !confirm(`Cancel the run "${r.name}"? Its checkpoint is deleted; it cannot be resumed.`)) return;
    try {
      await getEngineApi().cancelTraining(r.id);
      if (!trainingHere()) setShownRunId(undefined);
    } catch (err) {
      setRunError(err);
    }
  };

  const evaluate = async () => {
    const r = run();
    if (!r) return;
    setRunError(undefined);
    setBusy(true);
    try {
      setEvaluation(await getEngineApi().evaluateTraining(r.id, questions().split('\n')));
    } catch (err) {
      setRunError(err);
    } finally {
      setBusy(false);
    }
  };

  const [saveName, setSaveName] = createSignal('');
  const [savePrice, setSavePrice] = createSignal('');
  createEffect(
    on(
      () => run()?.id,
      () => {
        const r = run();
        setSaveName(r?.name ?? '');
        setSavePrice(r ? formatUnits(r.pricePerAnswer, token().decimals) : '');
        setEvaluation(undefined);
      },
    ),
  );

  const save = async () => {
    const r = run();
    if (!r) return;
    setRunError(undefined);
    setBusy(true);
    try {
      const priceUnits = parseTokenAmount(savePrice(), token().decimals, 'Price per answer');
      const a = await getEngineApi().saveTrainedAdapter(r.id, { name: saveName(), owner: activeAddress() ?? null, pricePerAnswer: priceUnits });
      showToast(`Saved the adapter "${a.name}": choose it on the Chat page.`, 'success', { key: `adapter:${a.id}` });
    } catch (err) {
      setRunError(err);
    } finally {
      setBusy(false);
    }
  };

  const exportRun = async () => {
    const r = run();
    if (!r) return;
    setRunError(undefined);
    try {
      const out = await getEngineApi().exportTrainedAdapter(r.id);
      const base = fileSafe(out.name);
      downloadBytes(zipSync(Object.fromEntries(Object.entries(out.files).map(([k, v]) => [`${base}/${k}`, v]))), `${base}.zip`);
    } catch (err) {
      setRunError(err);
    }
  };

  const useModel = async () => {
    const m = (models() ?? []).find((x) => x.id === pickModel());
    if (!m) return;
    setRunError(undefined);
    try {
      await loadEngineModel(m.origin.kind === 'demo' ? { kind: 'demo' } : { kind: 'url', url: (m.origin as { baseUrl: string }).baseUrl }, {}, `Loading ${m.label}`);
    } catch (err) {
      setRunError(err);
    }
  };
  const otherModels = (): ModelRecord[] => (models() ?? []).filter((m) => m.origin.kind !== 'files' && m.id !== model()?.id);

  return (
    <section class="page modelfactory-page">
      <header class="page-header">
        <div>
          <h1>ModelFactory</h1>
          <p class="lead">
            Train a LoRA adapter on the accepted contributions of one or more Datanets, right in this browser, and see what it learned before you
            publish it.
          </p>
        </div>
      </header>
      <p class="mf-notice" id="mf-device-note">
        Training runs in the engine worker, on the same device as chat. While an adapter trains, chat <strong>shares</strong> the engine: an
        answer runs between two training steps and the next step waits for it, so both are slower. Pause the run to give chat the whole device.
      </p>
      <div class="mf-layout">
        <form class="card mf-setup" aria-labelledby="mf-setup-title" onSubmit={train} novalidate>
          <h2 id="mf-setup-title">1. Base model and data</h2>
          <Show when={engine.loadingLabel()}>{(label) => <ModelLoadProgress label={label()} progress={engine.progress()} />}</Show>
          <ErrorAlert error={engine.error()} title="The engine reported a problem" onDismiss={() => engine.clearError()} />
          <p id="mf-base-model">
            Base model: <strong>{model()?.label ?? 'loading…'}</strong>
            <Show when={model()}>{(m) => <span class="muted"> · {m().numLayers} layers · context {m().contextLength}</span>}</Show>
          </p>
          <Show when={otherModels().length > 0}>
            <div class="inline-form">
              <label for="mf-model-pick">Another loaded model</label>
              <select id="mf-model-pick" value={pickModel()} onChange={(e) => setPickModel(e.currentTarget.value)}>
                <option value="">—</option>
                <For each={otherModels()}>{(m) => <option value={m.id}>{m.label}</option>}</For>
              </select>
              <button type="button" class="btn btn-secondary" disabled={!pickModel() || busy() || activeId() !== null} onClick={() => void useModel()}>
                Use it
              </button>
            </div>
          </Show>
          <h3 class="h4">Datanets (accepted contributions only)</h3>
          <FactoryDatanetPicker sources={sources()} selected={selected()} onToggle={toggle} disabled={busy()} />
          <p class="mf-totals" id="mf-plan" aria-live="polite">
            <Show when={selected().length > 0} fallback={<>Choose one or more Datanets.</>}>
              <Show when={plan()} fallback={<span class="muted">{planError() ? 'No plan: see the message below.' : 'Counting examples and tokens…'}</span>}>
                {(p) => (
                  <>
                    {plural(p().examples.train, 'training example')} ({p().tokens.toLocaleString('en')} tokens) · {plural(p().examples.heldOut, 'held-out example')} ·{' '}
                    {plural(p().totalSteps, 'step')}
                    <Show when={p().prior.questions > 0}> · {plural(p().prior.questions, 'general question')} answered by the base first</Show>
                    <Show when={p().prior.skipped}>{(why) => <span class="muted"> · no prior preservation: {why()}</span>}</Show>
                  </>
                )}
              </Show>
            </Show>
          </p>
          <ErrorAlert error={planError()} title="These Datanets cannot be trained on as set" />
          <h2 class="h3">2. Hyper-parameters</h2>
          <TrainSettingsForm
            draft={draft}
            errors={errors()}
            disabled={busy()}
            onChange={(p) => {
              setDraft(p);
              const c = parseTrainSettings({ ...draft, targets: [...draft.targets] }, limits());
              // once a field was flagged, its message follows the typing
              setErrors((old) => Object.fromEntries(Object.keys(old).flatMap((k) => (c.ok ? [] : c.errors[k as TrainSettingsField] ? [[k, c.errors[k as TrainSettingsField]]] : []))));
            }}
          />
          <div class="mf-grid">
            <label>
              <span>Adapter name</span>
              <input id="mf-name" type="text" value={name()} placeholder="Datanet + adapter" onInput={(e) => setName(e.currentTarget.value)} />
            </label>
            <label>
              <span>Price per answer ({token().symbol})</span>
              <input id="mf-price" type="text" inputmode="decimal" value={price()} onInput={(e) => setPrice(e.currentTarget.value)} />
            </label>
          </div>
          <ErrorAlert error={formError()} title="Training was not started" onDismiss={() => setFormError(undefined)} />
          <div class="mf-actions">
            <button type="submit" class="btn btn-primary" id="mf-train" disabled={busy() || activeId() !== null || !model()}>
              Train adapter
            </button>
          </div>
        </form>
        <div class="mf-side">
          <ErrorAlert error={runError()} title="ModelFactory" onDismiss={() => setRunError(undefined)} />
          <Show when={run()} fallback={<p class="card empty">No run yet: choose Datanets, set the hyper-parameters and press Train adapter.</p>}>
            {(r) => (
              <>
                <TrainingRunPanel
                  run={r()}
                  train={curve().train}
                  heldOut={curve().heldOut}
                  live={live()?.runId === r().id ? live()!.progress : null}
                  prior={live()?.runId === r().id ? live()!.prior : null}
                  trainingHere={trainingHere()}
                  trainingElsewhere={heldElsewhere().includes(r().id)}
                  busy={busy()}
                  onPause={pause}
                  onResume={resume}
                  onCancel={() => void cancel()}
                />
                <Show when={r().status === 'done' || (r().status === 'paused' && !trainingHere())}>
                  <section class="card" aria-labelledby="mf-eval-title">
                    <h2 id="mf-eval-title">3. Evaluate</h2>
                    <label for="mf-questions">Questions to compare (one per line; empty: one about each of two held-out passages)</label>
                    <textarea id="mf-questions" rows="2" value={questions()} onInput={(e) => setQuestions(e.currentTarget.value)} />
                    <div class="mf-actions">
                      <button type="button" class="btn btn-secondary" id="mf-evaluate" disabled={busy()} onClick={() => void evaluate()}>
                        Evaluate
                      </button>
                    </div>
                    <Show when={evaluation()}>{(ev) => <TrainingEvaluationPanel evaluation={ev()} />}</Show>
                  </section>
                  <section class="card" aria-labelledby="mf-save-title">
                    <h2 id="mf-save-title">4. Save and publish</h2>
                    <div class="mf-grid">
                      <label>
                        <span>Name</span>
                        <input id="mf-save-name" type="text" value={saveName()} onInput={(e) => setSaveName(e.currentTarget.value)} />
                      </label>
                      <label>
                        <span>Price per answer ({token().symbol})</span>
                        <input id="mf-save-price" type="text" inputmode="decimal" value={savePrice()} onInput={(e) => setSavePrice(e.currentTarget.value)} />
                      </label>
                    </div>
                    <div class="mf-actions">
                      <button type="button" class="btn btn-primary" id="mf-save" disabled={busy()} onClick={() => void save()}>
                        {r().adapterId ? 'Save again' : 'Save adapter'}
                      </button>
                      <button type="button" class="btn btn-secondary" id="mf-export" disabled={busy()} onClick={() => void exportRun()}>
                        Export (PEFT + training log)
                      </button>
                      <Show when={r().adapterId}>
                        {(id) => (
                          <A class="btn btn-secondary" id="mf-chat-link" href={`/chat?adapter=${id()}`}>
                            Chat with it
                          </A>
                        )}
                      </Show>
                    </div>
                    <p class="hint">
                      Saving installs the adapter beside the others (Adapters page) with its base model, Datanets and versions, the contributions it
                      learned from, its hyper-parameters, owner and price.
                    </p>
                  </section>
                </Show>
              </>
            )}
          </Show>
          <Show when={(runs() ?? []).length > 1}>
            <section class="card" aria-labelledby="mf-runs-title">
              <h2 id="mf-runs-title" class="h3">
                Earlier runs
              </h2>
              <ul class="mf-run-list">
                <For each={runs()}>
                  {(r) => (
                    <li>
                      <button type="button" class="btn btn-ghost" onClick={() => setShownRunId(r.id)} aria-current={run()?.id === r.id ? 'true' : undefined}>
                        {r.name}
                      </button>{' '}
                      <span class="muted">
                        {r.status} · step {r.checkpointStep ?? r.step}/{r.totalSteps}
                      </span>
                    </li>
                  )}
                </For>
              </ul>
            </section>
          </Show>
        </div>
      </div>
    </section>
  );
}

/** Base units as a decimal token amount (exact, for the price field). */
function formatUnits(v: bigint, decimals: number): string {
  const s = v.toString().padStart(decimals + 1, '0');
  const whole = s.slice(0, s.length - decimals);
  const frac = s.slice(s.length - decimals).replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : whole;
}
