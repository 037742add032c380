import type { Passage, Contribution, ContributionStatus, Hex, Validation } from '../core/types.ts';
import type { TributaryDB } from './db.ts';

/** A Datanet's contributions (optionally of one status), newest first. */
export async function listContributions(
  db: TributaryDB,
  datanetId: string,
  status?: ContributionStatus,
): Promise<Contribution[]> {
  const rows = status
    ? await db.contributions.where('[datanetId+status]').equals([datanetId, status]).toArray()
    : await db.contributions.where('datanetId').equals(datanetId).toArray();
  return rows.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
}

export function getContribution(db: TributaryDB, id: Hex): Promise<Contribution | undefined> {
  return db.contributions.get(id);
}

/** A contribution's passages in order. */
export function listPassages(db: TributaryDB, contributionId: Hex): Promise<Passage[]> {
  return db.chunks.where('[contributionId+index]').between([contributionId, -Infinity], [contributionId, Infinity]).toArray();
}

/** The votes on a contribution, oldest first. */
export async function listValidations(db: TributaryDB, contributionId: Hex): Promise<Validation[]> {
  const rows = await db.validations.where('contributionId').equals(contributionId).toArray();
  return rows.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
}

/** The vote of one validator on a contribution, if any. */
export function getValidationBy(db: TributaryDB, contributionId: Hex, validator: string): Promise<Validation | undefined> {
  return db.validations.where('[contributionId+validator]').equals([contributionId, validator]).first();
}

export async function addContribution(db: TributaryDB, contribution: Contribution): Promise<void> {
  await db.contributions.add(contribution);
}

export async function addContributions(db: TributaryDB, contributions: readonly Contribution[]): Promise<void> {
  await db.contributions.bulkAdd(contributions as Contribution[]);
}

export async function updateContribution(db: TributaryDB, id: Hex, patch: Partial<Omit<Contribution, 'id'>>): Promise<void> {
  await db.contributions.update(id, patch);
}

export async function addPassages(db: TributaryDB, chunks: readonly Passage[]): Promise<void> {
  await db.chunks.bulkAdd(chunks as Passage[]);
}

/** Adds or replaces passages (a pack import brings the same ones again). */
export async function putPassages(db: TributaryDB, chunks: readonly Passage[]): Promise<void> {
  await db.chunks.bulkPut(chunks as Passage[]);
}

export async function addValidation(db: TributaryDB, validation: Validation): Promise<void> {
  await db.validations.add(validation);
}

export async function addValidations(db: TributaryDB, validations: readonly Validation[]): Promise<void> {
  await db.validations.bulkAdd(validations as Validation[]);
}
