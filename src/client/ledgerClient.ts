/** The UI's handle on the ledger worker, started on first use and supervised like the data worker. */
import type { LedgerApi } from '../workerApi/ledgerApi.ts';
import { workerEvents } from './dataClient.ts';
import { createSupervisedWorker, type SupervisedWorker } from './supervisedWorker.ts';

let ledger: SupervisedWorker<LedgerApi> | undefined;

export function getLedgerApi(): LedgerApi {
  ledger ??= createSupervisedWorker<LedgerApi>(
    () => new Worker(new URL('../../workers/ledger.worker.ts', import.meta.url), { type: 'module', name: 'ledger' }),
    { name: 'ledger', jobTimeoutMs: 300_000, onEvent: (e) => workerEvents.emit(e) }, // ledger calls wait on blocks
  );
  return ledger.api;
}
