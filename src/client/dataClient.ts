/**
 * The UI's handle on the data worker. `getDataApi()` starts it on first use (supervised: a crashed
 * worker is replaced, see `supervisedWorker`); `workerEvents` tells subscribers about crashes and
 * restarts (e.g. to show a toast).
 */
import type { DataApi } from '../workerApi/dataApi.ts';
import { createSupervisedWorker, DEFAULT_JOB_TIMEOUT_MS, type SupervisedWorker, type WorkerEvent } from './supervisedWorker.ts';

export type { WorkerEvent };

type Listener = (e: WorkerEvent) => void;
const listeners = new Set<Listener>();

export const workerEvents = {
  /** Calls `listener` on every worker event; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  },
  emit(e: WorkerEvent): void {
    for (const l of [...listeners]) {
      try {
        l(e);
      } catch (err) {
        console.error('worker event listener failed', err);
      }
    }
  },
};

let data: SupervisedWorker<DataApi> | undefined;

/** The data worker's API (created on first call). */
export function getDataApi(): DataApi {
  data ??= createSupervisedWorker<DataApi>(
    () => new Worker(new URL('../../workers/data.worker.ts', import.meta.url), { type: 'module', name: 'data' }),
    { name: 'data', jobTimeoutMs: DEFAULT_JOB_TIMEOUT_MS, onEvent: (e) => workerEvents.emit(e) }, // files, packs: watchdog on
  );
  return data.api;
}

/** Restart the data worker by hand (Settings page). No-op before first use. */
export function restartDataWorker(): void {
  data?.restart();
}
