/**
 * The model identity an attribution record carries, for models known to the store. The store keeps no hash of the
 * weight files yet, so the hash is of the model's descriptor (id, shape signature, parameter count, file bytes):
 * it changes whenever the model does in any way the store can see. The CLI records the SHA-256 of the weights
 * themselves; docs/ATTRIBUTION.md lists the engine change that would let the app do the same.
 */
import { TributaryError } from '../../core/errors.ts';
import { sha256Text } from '../../core/hash.ts';
import type { Hex } from '../../core/types.ts';
import type { TributaryDB } from '../../store/db.ts';
import { listModels } from '../../store/models.ts';

export async function getModelRecord(db: TributaryDB, id: string): Promise<{ id: string; hash: Hex }> {
  const m = (await listModels(db)).find((r) => r.id === id);
  if (!m) throw new TributaryError('attribution/invalid-input', `The model ${id} is not known here; load it before attributing its answers.`, id);
  return { id: m.id, hash: sha256Text(JSON.stringify({ id: m.id, signature: m.signature, parameters: m.parameters, fileBytes: m.fileBytes })) };
}
