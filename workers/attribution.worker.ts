/**
 * The attribution worker: the AttributionService (src/services/attribution) over comlink, run under the
 * supervisor (client/supervisedWorker) so a crash never takes the page or the engine down.
 */
import * as Comlink from 'comlink';
import { AttributionService } from '../src/services/attributionService/AttributionService.ts';
import { registerErrorTransfer } from '../src/workerApi/errorTransfer.ts';
import { getDb } from '../src/store/db.ts';
import { getModelRecord } from '../src/services/attributionService/modelRef.ts';
import { loadOrtInWorker } from '../src/services/attributionService/ortInWorker.ts';

registerErrorTransfer();
const db = getDb();
// onnxruntime-web loads only when the user picks an ONNX sentence encoder (Settings → Attribution encoder)
Comlink.expose(new AttributionService({ db, modelRef: (id) => getModelRecord(db, id), onnxRuntime: loadOrtInWorker }));
