import type { Datanet } from '../core/types.ts';
import type { TributaryDB } from './db.ts';

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

export async function updateDatanet(db: TributaryDB, id: string, patch: Partial<Omit<Datanet, 'id'>>): Promise<void> {
  await db.datanets.update(id, patch);
}
