/** The data worker: the DataService (src/services) exposed over comlink. */
import * as Comlink from 'comlink';
import { DataService } from '../src/services/DataService.ts';
import { registerErrorTransfer } from '../src/workerApi/errorTransfer.ts';
import { getDb } from '../src/store/db.ts';

registerErrorTransfer();
Comlink.expose(
  new DataService(getDb(), {
    now: Date.now,
    randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
    fetch: fetch.bind(globalThis),
  }),
);
