import type { Address, Identity, IdentityPublic } from '../core/types.ts';
import type { TributaryDB } from './db.ts';

/** Strip the private key: what may leave the data worker. */
export function toPublicIdentity(identity: Identity): IdentityPublic {
  return { address: identity.address, label: identity.label, kind: identity.kind, createdAt: identity.createdAt };
}

/** Local identities (without private keys), oldest first. */
export async function listIdentities(db: TributaryDB): Promise<IdentityPublic[]> {
  const rows = await db.identities.orderBy('createdAt').toArray();
  return rows.map(toPublicIdentity);
}

/** One identity, without its private key. */
export async function getIdentity(db: TributaryDB, address: Address): Promise<IdentityPublic | undefined> {
  const row = await db.identities.get(address);
  return row && toPublicIdentity(row);
}

export async function addIdentity(db: TributaryDB, identity: Identity): Promise<void> {
  await db.identities.add(identity);
}
