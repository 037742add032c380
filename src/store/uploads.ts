import type { Address } from '../core/types.ts';
import type { TributaryDB, UploadRecord } from './db.ts';

/** Files and bytes a contributor uploaded to a Datanet on one UTC day (`YYYY-MM-DD`, see core/limits `utcDay`). */
export async function uploadsToday(
  db: TributaryDB,
  datanetId: string,
  contributor: Address,
  day: string,
): Promise<{ files: number; bytes: number }> {
  const rows = await db.uploads.where('[datanetId+contributor+day]').equals([datanetId, contributor, day]).toArray();
  return { files: rows.length, bytes: rows.reduce((sum, r) => sum + r.bytes, 0) };
}

export async function addUpload(db: TributaryDB, upload: UploadRecord): Promise<void> {
  await db.uploads.add(upload);
}
