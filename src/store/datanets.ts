import type { Datanet, Hex } from '../core/types.ts';
import { pruneIndexFiles } from './attributionIndexes.ts';
import type { TributaryDB } from './db.ts';
import { datanetSignatureKey } from './settings.ts';

/** Every Datanet, newest first. */
export async function listDatanets(db: TributaryDB): Promise<Datanet[]> {
  const all = await db.datanets.orderBy('createdAt').toArray();
  return all.reverse();
}

export function getDatanet(db: TributaryDB, id: string): Promise<Datanet | undefined> {
  return db.datanets.get(id);
}

export async function addDatanet(db: TributaryDB, datanet: Datanet): Promise<void> {
  await db.datanets.add(datanet);
}

/** Changes a Datanet's fields other than its current version (that goes through `setCurrentVersion`). */
export async function updateDatanet(db: TributaryDB, id: string, patch: Partial<Omit<Datanet, 'id' | 'currentVersion'>>): Promise<void> {
  await db.datanets.update(id, patch);
}

/**
 * Moves a Datanet to a published version (with any other changes in `patch`) and drops the attribution index files of
 * every other version, in one transaction (joins the caller's when it includes `datanets` and `attributionIndexes`):
 * attribution only ever reads the current version, so the old files would only take space.
 */
export function setCurrentVersion(db: TributaryDB, id: string, version: { version: number; merkleRoot: Hex }, patch: Partial<Omit<Datanet, 'id' | 'currentVersion'>> = {}): Promise<void> {
  return db.transaction('rw', [db.datanets, db.attributionIndexes], async () => {
    await db.datanets.update(id, { ...patch, currentVersion: version.version });
    await pruneIndexFiles(db, id, version);
  });
}

/**
 * Deletes a Datanet and everything that is only its own, in one transaction: its versions, contributions, passages,
 * validations, imported-pack rows, upload counters, signatures (settings) and attribution index files. What records
 * history across Datanets stays: attribution records, the ledger, settlements, claims, reputations, conversations.
 * Returns false when there was no such Datanet (nothing changed).
 */
export function deleteDatanet(db: TributaryDB, id: string): Promise<boolean> {
  return db.transaction('rw', [db.datanets, db.versions, db.contributions, db.chunks, db.validations, db.packs, db.uploads, db.settings, db.attributionIndexes], async () => {
    if (!(await db.datanets.get(id))) return false;
    await db.versions.where('datanetId').equals(id).delete();
    await db.contributions.where('datanetId').equals(id).delete();
    await db.chunks.where('datanetId').equals(id).delete();
    await db.validations.where('datanetId').equals(id).delete();
    await db.packs.where('datanetId').equals(id).delete();
    // upload counters are indexed by [datanetId+contributor+day] only; the table holds one small row per upload
    await db.uploads.filter((u) => u.datanetId === id).delete();
    await db.settings.delete(datanetSignatureKey(id));
    await db.settings.where('key').startsWith(`versionSignature:${id}:`).delete();
    await pruneIndexFiles(db, id, null);
    await db.datanets.delete(id);
    return true;
  });
}
