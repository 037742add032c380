/**
 * The model identity an attribution record carries (record version 2): the model's id and the SHA-256 of its weight
 * files (core/attribution/weightsHash), kept in the models table when the engine loads the model — the same hash
 * `npm run cli -- verify-record` computes from the same files.
 */
import { TributaryError } from '../../core/errors.ts';
import type { Hex } from '../../core/types.ts';
import type { TributaryDB } from '../../store/db.ts';
import { listModels } from '../../store/models.ts';

export async function getModelRecord(db: TributaryDB, id: string): Promise<{ id: string; hash: Hex }> {
  const m = (await listModels(db)).find((r) => r.id === id);
  if (!m) throw new TributaryError('attribution/invalid-input', `The model ${id} is not known here; load it before attributing its answers.`, id);
  if (!m.weightsHash) throw new TributaryError('attribution/model-unhashed', `The hash of ${m.label}'s weights is not known yet (it was loaded by an older version of Tributary); load the model again to attribute its answers.`, id);
  return { id: m.id, hash: m.weightsHash };
}
