/**
 * The UI's handle on the engine worker, started on first use and supervised like the data worker (a crashed worker
 * is replaced; the new one starts without a model, so the pages load it again). `engineReady()` picks the backend and
 * makes sure a model is loaded (the bundled demo model by default), once per worker.
 */
import type { EngineApi, LoadProgress, ModelInfo } from '../workerApi/engineApi.ts';
import { workerEvents } from './dataClient.ts';
import { createSupervisedWorker, type SupervisedWorker } from './supervisedWorker.ts';

let engine: SupervisedWorker<EngineApi> | undefined;
let ready: Promise<ModelInfo> | undefined;

export function getEngineApi(): EngineApi {
  engine ??= createSupervisedWorker<EngineApi>(
    () => new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'engine' }),
    {
      name: 'engine',
      // compiling GPU pipelines or loading a large model can be silent for minutes; a hang cannot be forever
      jobTimeoutMs: 600_000,
      onEvent: (e) => {
        if (e.type === 'restarted') ready = undefined;
        workerEvents.emit(e);
      },
    },
  );
  return engine.api;
}

/** The app's base URL (where `models/` is served), for the worker. */
export function appBaseUrl(): string {
  return new URL(import.meta.env.BASE_URL, location.href).href;
}

/** Backend chosen and a model loaded (the demo unless one was loaded before in this worker). */
export function engineReady(onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
  ready ??= (async () => {
    const api = getEngineApi();
    await api.init({ appBaseUrl: appBaseUrl() });
    return api.ensureModel(onProgress);
  })().catch((e: unknown) => {
    ready = undefined;
    throw e;
  });
  return ready;
}

/** Restart the engine worker by hand (frees its memory). */
export function restartEngineWorker(): void {
  ready = undefined;
  engine?.restart();
}
