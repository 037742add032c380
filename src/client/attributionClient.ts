/**
 * The UI's handle on the attribution worker, started on first use and supervised like the others (a crashed worker
 * is replaced; its indexes are rebuilt on the next call). Call `attributeAnswer` after an answer's stream ended:
 * attribution never blocks streaming.
 */
import type { AttributionApi } from '../workerApi/attributionApi.ts';
import { workerEvents } from './dataClient.ts';
import { createSupervisedWorker, type SupervisedWorker } from './supervisedWorker.ts';

let attribution: SupervisedWorker<AttributionApi> | undefined;

export function getAttributionApi(): AttributionApi {
  attribution ??= createSupervisedWorker<AttributionApi>(
    () => new Worker(new URL('../../workers/attribution.worker.ts', import.meta.url), { type: 'module', name: 'attribution' }),
    { name: 'attribution', onEvent: (e) => workerEvents.emit(e) },
  );
  return attribution.api;
}
