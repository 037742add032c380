import type { TributaryDB } from './db.ts';

/**
 * What a Datanet has in this browser: what `deleteDatanet` would remove (its own rows) and what names it but stays
 * (the answers' attribution records that credited it, and fees not settled yet that pay it). Read-only; joins the
 * caller's transaction when it includes the tables read.
 */
export interface DatanetFootprint {
  contributions: number;
  passages: number;
  versions: number;
  validations: number;
  indexFiles: number;
  /** attribution records of answers that credited the Datanet: kept (history; they stay readable) */
  creditingRecords: number;
  /** ledger fees that pay the Datanet and are not settled yet (pending, or being settled): kept, they carry their splits */
  unsettledFees: number;
}

export async function datanetFootprint(db: TributaryDB, id: string): Promise<DatanetFootprint> {
  const [contributions, passages, versions, validations, indexFiles, creditingRecords, unsettledFees] = await Promise.all([
    db.contributions.where('datanetId').equals(id).count(),
    db.chunks.where('datanetId').equals(id).count(),
    db.versions.where('datanetId').equals(id).count(),
    db.validations.where('datanetId').equals(id).count(),
    db.attributionIndexes.where('datanetId').equals(id).count(),
    db.attributionRecords.where('datanetIds').equals(id).count(),
    db.ledgerEntries
      .where('status')
      .anyOf('pending', 'submitting')
      .filter((e) => e.datanetId === id || (e.datanetIds ?? []).includes(id))
      .count(),
  ]);
  return { contributions, passages, versions, validations, indexFiles, creditingRecords, unsettledFees };
}
