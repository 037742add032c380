import type { PackRecord, TributaryDB } from './db.ts';

/** Remembers that a pack was imported (the first import of a manifest is kept). */
export async function recordPackImport(db: TributaryDB, record: PackRecord): Promise<void> {
  if (!(await db.packs.get(record.manifestHash))) await db.packs.add(record);
}
