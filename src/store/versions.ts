import type { DatanetVersion } from '../core/types.ts';
import type { TributaryDB } from './db.ts';

/** A Datanet's published versions, newest first. */
export async function listVersions(db: TributaryDB, datanetId: string): Promise<DatanetVersion[]> {
  const rows = await db.versions.where('datanetId').equals(datanetId).toArray();
  return rows.sort((a, b) => b.version - a.version);
}

export function getVersion(db: TributaryDB, datanetId: string, version: number): Promise<DatanetVersion | undefined> {
  return db.versions.get([datanetId, version]);
}

export async function addVersion(db: TributaryDB, version: DatanetVersion): Promise<void> {
  await db.versions.add(version);
}
