/** The UI's handle on the chain worker (the ledger), started on first use and supervised like the data worker. */
import type { LedgerApi } from './ledgerApi.ts';
import { workerEvents } from './dataClient.ts';
import { createSupervisedWorker, type SupervisedWorker } from './supervisedWorker.ts';

let ledger: SupervisedWorker<LedgerApi> | undefined;

export function getLedgerApi(): LedgerApi {
  ledger ??= createSupervisedWorker<LedgerApi>(
    () => new Worker(new URL('../../workers/chain.worker.ts', import.meta.url), { type: 'module', name: 'chain' }),
    { name: 'chain', jobTimeoutMs: 300_000, onEvent: (e) => workerEvents.emit(e) }, // chain calls wait on blocks
  );
  return ledger.api;
}
