/**
 * The `attributionIndexes` table: attribution index files per Datanet version, in the pack `indexes/` formats. A
 * pack's verified files are stored on import; the attribution worker stores what it builds. Loading one re-verifies
 * it against the stored passages (attribution/packIndexes), so a stale or damaged row is rebuilt, never trusted.
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

export async function putIndexFile(db: TributaryDB, file: Omit<StoredIndexFile, 'key'>): Promise<StoredIndexFile> {
  const row: StoredIndexFile = { ...file, merkleRoot: file.merkleRoot.toLowerCase() as Hex, key: indexFileKey(file, file.kind, file.encoder?.hash) };
  await db.attributionIndexes.put(row);
  return row;
}

export function deleteIndexFile(db: TributaryDB, key: string): Promise<void> {
  return db.attributionIndexes.delete(key);
}

/** Every stored index file of a Datanet version (for display and tests). */
export function listIndexFiles(db: TributaryDB, datanetId: string, version: number): Promise<StoredIndexFile[]> {
  return db.attributionIndexes.where('[datanetId+version]').equals([datanetId, version]).toArray();
}
