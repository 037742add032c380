/**
 * Duplicate lookups inside one Datanet. A contribution blocks a duplicate while it is pending or
 * accepted; a rejected one does not (its author, or anyone, may hand the text in again).
 */
import { estimateJaccard, NEAR_DUPLICATE_THRESHOLD } from '../core/minhash.ts';
import type { Contribution, Hex } from '../core/types.ts';
import type { TributaryDB } from './db.ts';

/** The contribution a duplicate points at. */
export interface DuplicateRef {
  contributionId: Hex;
  title: string;
}

const blocks = (c: Contribution | undefined): c is Contribution => c !== undefined && c.status !== 'rejected';

/**
 * For each of `dedupeHashes` (`Passage.dedupeHash`: case/whitespace-insensitive) that already exists as a
 * passage of a pending or accepted contribution of the Datanet, the (first) contribution holding it,
 * keyed by dedupe hash. Uses the `[datanetId+dedupeHash]` index.
 */
export async function findPassageDuplicates(
  db: TributaryDB,
  datanetId: string,
  dedupeHashes: readonly Hex[],
): Promise<Map<Hex, DuplicateRef>> {
  const found = new Map<Hex, DuplicateRef>();
  const unique = [...new Set(dedupeHashes)];
  if (unique.length === 0) return found;
  const chunks = await db.chunks
    .where('[datanetId+dedupeHash]')
    .anyOf(unique.map((h) => [datanetId, h]))
    .toArray();
  const ids = [...new Set(chunks.map((c) => c.contributionId))];
  const owners = new Map<Hex, Contribution>();
  (await db.contributions.bulkGet(ids)).forEach((c) => {
    if (blocks(c)) owners.set(c.id, c);
  });
  for (const chunk of chunks) {
    const owner = owners.get(chunk.contributionId);
    if (owner && !found.has(chunk.dedupeHash)) found.set(chunk.dedupeHash, { contributionId: owner.id, title: owner.title });
  }
  return found;
}

/** A pending or accepted contribution of the Datanet with this whole-text dedupe hash (`Contribution.textHash`). */
export async function findTextDuplicate(db: TributaryDB, datanetId: string, textHash: Hex): Promise<Contribution | undefined> {
  const rows = await db.contributions.where('textHash').equals(textHash).toArray();
  return rows.find((c) => c.datanetId === datanetId && blocks(c));
}

export interface NearDuplicate {
  contribution: Contribution;
  /** Estimated Jaccard similarity, 0..1. */
  similarity: number;
}

/**
 * The most similar pending or accepted contribution of the Datanet whose estimated Jaccard
 * similarity reaches `NEAR_DUPLICATE_THRESHOLD`.
 *
 * Complexity: a linear scan, O(n · k) for n pending+accepted contributions in the Datanet and
 * k = MinHash signature length (every record is read from IndexedDB). Fine for thousands of
 * contributions; an LSH banding index is the upgrade path when Datanets grow past that.
 */
export async function findNearDuplicate(
  db: TributaryDB,
  datanetId: string,
  minhash: readonly number[],
): Promise<NearDuplicate | undefined> {
  let best: NearDuplicate | undefined;
  await db.contributions
    .where('[datanetId+status]')
    .anyOf([
      [datanetId, 'pending'],
      [datanetId, 'accepted'],
    ])
    .each((c) => {
      if (!c.minhash || c.minhash.length !== minhash.length) return;
      const similarity = estimateJaccard(minhash as number[], c.minhash);
      if (similarity >= NEAR_DUPLICATE_THRESHOLD && (!best || similarity > best.similarity)) best = { contribution: c, similarity };
    });
  return best;
}
