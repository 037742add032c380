import type { Address, Reputation } from '../core/types.ts';
import type { TributaryDB } from './db.ts';

/** The stored reputation of an address; undefined for a newcomer (see core/reputation `emptyReputation`). */
export function getReputation(db: TributaryDB, address: Address): Promise<Reputation | undefined> {
  return db.reputations.get(address);
}

/** Every stored reputation, most recently updated first. */
export async function listReputations(db: TributaryDB): Promise<Reputation[]> {
  const rows = await db.reputations.toArray();
  return rows.sort((a, b) => b.updatedAt - a.updatedAt);
}

/** Reputations of several addresses, keyed by address (newcomers are absent). */
export async function getReputations(db: TributaryDB, addresses: readonly Address[]): Promise<Map<Address, Reputation>> {
  const unique = [...new Set(addresses)];
  const rows = await db.reputations.bulkGet(unique);
  const map = new Map<Address, Reputation>();
  rows.forEach((r) => {
    if (r) map.set(r.address, r);
  });
  return map;
}

export async function putReputations(db: TributaryDB, reputations: readonly Reputation[]): Promise<void> {
  await db.reputations.bulkPut(reputations as Reputation[]);
}
