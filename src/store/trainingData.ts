/**
 * What a ModelFactory run trains on: for each chosen Datanet, the passages of its ACCEPTED contributions as of its
 * latest published version (pending and rejected contributions never train an adapter). Read in one transaction,
 * so the counts, the version and the passages agree. A Datanet with no accepted contribution is refused with
 * `factory/no-data` naming it.
 */
import { TributaryError } from '../core/errors.ts';
import type { Passage, Hex } from '../core/types.ts';
import type { TributaryDB } from './db.ts';

export interface DatanetTrainingData {
  id: string;
  name: string;
  /** the published version read (its accepted contributions) */
  version: number;
  contributionIds: Hex[];
  /** each contribution's title (questions about a passage name it) */
  titles: Record<string, string>;
  /** passages in contribution order, then passage order */
  passages: Passage[];
}

/** Accepted passages of each Datanet (in the order given; duplicates of an id are read once). */
export async function readTrainingData(db: TributaryDB, datanetIds: readonly string[]): Promise<DatanetTrainingData[]> {
  const ids = [...new Set(datanetIds)];
  if (ids.length === 0) throw new TributaryError('factory/no-data', 'Choose at least one Datanet to train on.');
  return db.transaction('r', [db.datanets, db.contributions, db.chunks, db.versions], async () => {
    const out: DatanetTrainingData[] = [];
    for (const id of ids) {
      const d = await db.datanets.get(id);
      if (!d) throw new TributaryError('datanet/not-found', `Datanet ${id} is not in this browser; import or create it first.`);
      const accepted = await db.contributions.where('[datanetId+status]').equals([id, 'accepted']).toArray();
      if (accepted.length === 0) {
        throw new TributaryError(
          'factory/no-data',
          `Datanet "${d.name}" has no accepted contributions, so there is nothing to train on; validate some contributions first or choose another Datanet.`,
          d.name,
        );
      }
      // the order of a published version when there is one (stable across reloads), else by id
      const v = d.currentVersion > 0 ? await db.versions.get([id, d.currentVersion]) : undefined;
      const acceptedIds = new Set(accepted.map((c) => c.id));
      const ordered = v ? v.contributionIds.filter((c) => acceptedIds.has(c)) : [];
      for (const c of [...acceptedIds].sort()) if (!ordered.includes(c)) ordered.push(c);
      const passages: Passage[] = [];
      for (const cid of ordered) {
        const rows = await db.chunks.where('[contributionId+index]').between([cid, -Infinity], [cid, Infinity]).toArray();
        passages.push(...rows);
      }
      const titles: Record<string, string> = {};
      for (const c of accepted) titles[c.id] = c.title;
      out.push({ id, name: d.name, version: d.currentVersion, contributionIds: ordered, titles, passages });
    }
    return out;
  });
}

/** What the ModelFactory page lists per Datanet: accepted contributions and their passages (and characters). */
export interface TrainingSource {
  id: string;
  name: string;
  version: number;
  accepted: number;
  passages: number;
  chars: number;
}

/** Every Datanet with the accepted data it would train on, newest Datanet first. */
export async function listTrainingSources(db: TributaryDB): Promise<TrainingSource[]> {
  return db.transaction('r', [db.datanets, db.contributions, db.chunks], async () => {
    const datanets = (await db.datanets.orderBy('createdAt').toArray()).reverse();
    const out: TrainingSource[] = [];
    for (const d of datanets) {
      const accepted = new Set((await db.contributions.where('[datanetId+status]').equals([d.id, 'accepted']).primaryKeys()) as Hex[]);
      let passages = 0;
      let chars = 0;
      if (accepted.size > 0) {
        await db.chunks.where('datanetId').equals(d.id).each((c) => {
          if (!accepted.has(c.contributionId)) return;
          passages++;
          chars += c.text.length;
        });
      }
      out.push({ id: d.id, name: d.name, version: d.currentVersion, accepted: accepted.size, passages, chars });
    }
    return out;
  });
}
