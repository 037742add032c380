/**
 * What the Chat and Adapters pages know about the engine worker, shared between them: its stats (backend, model,
 * adapter pool, speed), the progress of a model load, and the last engine error. `useEngine()` starts the engine on
 * first use (backend chosen, the demo model loaded) and refreshes the stats while a page that uses it is open.
 */
import { createSignal, onCleanup, onMount } from 'solid-js';
import type { EngineStats, LoadOptions, LoadProgress, ModelInfo, ModelSourceSpec } from '../../workerApi/engineApi.ts';
import { workerEvents } from '../../client/dataClient.ts';
import { engineReady, getEngineApi } from '../../client/engineClient.ts';

const [stats, setStats] = createSignal<EngineStats>();
const [progress, setProgress] = createSignal<LoadProgress>();
const [loadingLabel, setLoadingLabel] = createSignal<string>();
const [engineError, setEngineError] = createSignal<unknown>();

let users = 0;
let timer: ReturnType<typeof setInterval> | undefined;
let starting: Promise<void> | undefined;

// a crashed engine worker is replaced by a fresh one without a model: start it again
workerEvents.subscribe((e) => {
  if (e.name !== 'engine' || e.type !== 'restarted') return;
  starting = undefined;
  if (users > 0) void start();
});

export async function refreshEngineStats(): Promise<EngineStats | undefined> {
  try {
    const s = await getEngineApi().stats();
    setStats(s);
    return s;
  } catch (e) {
    setEngineError(e);
    return undefined;
  }
}

function start(): Promise<void> {
  starting ??= (async () => {
    setEngineError(undefined);
    setLoadingLabel('Starting the engine and loading the demo model');
    try {
      await engineReady((p) => setProgress(p));
    } catch (e) {
      setEngineError(e);
      starting = undefined;
    } finally {
      setLoadingLabel(undefined);
      setProgress(undefined);
      await refreshEngineStats();
    }
  })();
  return starting;
}

/** Loads another model (replacing the current one once its files are read); errors are thrown to the caller. */
export async function loadEngineModel(spec: ModelSourceSpec, opts: LoadOptions, label: string): Promise<ModelInfo> {
  await start();
  setEngineError(undefined);
  setLoadingLabel(label);
  setProgress(undefined);
  try {
    return await getEngineApi().loadModel(spec, opts, (p) => setProgress(p));
  } finally {
    setLoadingLabel(undefined);
    setProgress(undefined);
    await refreshEngineStats();
  }
}

export interface EngineState {
  stats: () => EngineStats | undefined;
  progress: () => LoadProgress | undefined;
  /** set while a model loads */
  loadingLabel: () => string | undefined;
  error: () => unknown;
  clearError: () => void;
  refresh: () => Promise<EngineStats | undefined>;
  ready: () => Promise<void>;
}

/** The shared engine state; starts the engine and polls its stats while the calling component is mounted. */
export function useEngine(pollMs = 2000): EngineState {
  onMount(() => {
    users++;
    void start().then(() => refreshEngineStats());
    timer ??= setInterval(() => void refreshEngineStats(), pollMs);
    onCleanup(() => {
      users--;
      if (users === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    });
  });
  return {
    stats,
    progress,
    loadingLabel,
    error: engineError,
    clearError: () => setEngineError(undefined),
    refresh: refreshEngineStats,
    ready: start,
  };
}
