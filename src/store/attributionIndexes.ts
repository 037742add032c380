/**
 * The `attributionIndexes` table: attribution index files per Datanet version, in the pack `indexes/` formats. A
 * pack's verified files are stored on import; the attribution worker stores what it builds. Loading one re-verifies
 * it against the stored passages (attribution/packIndexes), so a damaged row is rebuilt, never trusted.
 *
 * Only the Datanet's CURRENT version keeps index files (attribution only ever reads that one): `putIndexFile` skips a
 * file of any other version, `setCurrentVersion` (store/datanets) drops the old version's files in the transaction
 * that moves the Datanet on, and `deleteDatanet` drops them with the Datanet.
 */
import type { Hex } from '../core/types.ts';
import type { StoredIndexFile, TributaryDB } from './db.ts';

export type { StoredIndexFile };

export function indexFileKey(v: { datanetId: string; version: number; merkleRoot: Hex }, kind: 'spans' | 'embeddings', encoderHash?: Hex): string {
  return `${v.datanetId}@${v.version}:${v.merkleRoot.toLowerCase()}:${kind}${kind === 'embeddings' ? `:${(encoderHash ?? '').toLowerCase()}` : ''}`;
}

export function getIndexFile(db: TributaryDB, key: string): Promise<StoredIndexFile | undefined> {
  return db.attributionIndexes.get(key);
}

/** True when `v` is the Datanet's current published version (same number and same Merkle root). */
async function isCurrentVersion(db: TributaryDB, v: { datanetId: string; version: number; merkleRoot: Hex }): Promise<boolean> {
  const dn = await db.datanets.get(v.datanetId);
  if (!dn || dn.currentVersion !== v.version) return false;
  const row = await db.versions.get([v.datanetId, v.version]);
  return row !== undefined && row.merkleRoot.toLowerCase() === v.merkleRoot.toLowerCase();
}

/**
 * Stores an index file of the Datanet's current version, in one transaction with the check. A file of another version
 * (the Datanet moved on while it was built, or an older version's pack was imported) is not stored: null.
 */
export function putIndexFile(db: TributaryDB, file: Omit<StoredIndexFile, 'key'>): Promise<StoredIndexFile | null> {
  const row: StoredIndexFile = { ...file, merkleRoot: file.merkleRoot.toLowerCase() as Hex, key: indexFileKey(file, file.kind, file.encoder?.hash) };
  return db.transaction('rw', [db.attributionIndexes, db.datanets, db.versions], async () => {
    if (!(await isCurrentVersion(db, row))) return null;
    await db.attributionIndexes.put(row);
    return row;
  });
}

export function deleteIndexFile(db: TributaryDB, key: string): Promise<void> {
  return db.attributionIndexes.delete(key);
}

/**
 * Deletes the Datanet's index files except those of `keep` (all of them when `keep` is null); returns how many went.
 * Joins the caller's transaction when it includes `attributionIndexes`.
 */
export function pruneIndexFiles(db: TributaryDB, datanetId: string, keep: { version: number; merkleRoot: Hex } | null): Promise<number> {
  const root = keep?.merkleRoot.toLowerCase();
  return db.attributionIndexes
    .where('datanetId')
    .equals(datanetId)
    .filter((r) => keep === null || r.version !== keep.version || r.merkleRoot.toLowerCase() !== root)
    .delete();
}

/** Every stored index file of a Datanet version (for display and tests). */
export function listIndexFiles(db: TributaryDB, datanetId: string, version: number): Promise<StoredIndexFile[]> {
  return db.attributionIndexes.where('[datanetId+version]').equals([datanetId, version]).toArray();
}
