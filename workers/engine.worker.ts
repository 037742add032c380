/** The engine worker: the EngineService (src/services/engine) exposed over comlink. */
import * as Comlink from 'comlink';
import { defaultByteCache } from '../src/engine/formats/byteCache.ts';
import { EngineService } from '../src/services/engine/EngineService.ts';
import { createWebGpuHandle } from '../src/services/engine/webgpuHandle.ts';
import { registerErrorTransfer } from '../src/workerApi/errorTransfer.ts';
import { getDb } from '../src/store/db.ts';

registerErrorTransfer();
Comlink.expose(
  new EngineService({
    db: getDb(),
    now: Date.now,
    fetch: (url, init) => fetch(url, init),
    cache: defaultByteCache(),
    webgpu: createWebGpuHandle,
  }),
);
