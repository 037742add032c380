import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { Identity, IdentityPublic } from '../core/types.ts';
import { addIdentity, listIdentities as listStored, toPublicIdentity } from '../store/identities.ts';
import type { ServiceContext } from './context.ts';

export const IDENTITY_LABEL_MAX = 60;

/** Local identities without their private keys (keys never leave the data worker). */
export function listIdentities(ctx: ServiceContext): Promise<IdentityPublic[]> {
  return listStored(ctx.db);
}

/**
 * A new local signing key (viem `generatePrivateKey`), stored in IndexedDB. An empty label becomes
 * `Identity 0x1234…`; labels are trimmed and cut to 60 characters.
 */
export async function createIdentity(ctx: ServiceContext, label: string): Promise<IdentityPublic> {
  const privateKey = generatePrivateKey();
  const address = privateKeyToAccount(privateKey).address;
  const trimmed = [...String(label ?? '').trim()].slice(0, IDENTITY_LABEL_MAX).join('');
  const identity: Identity = {
    address,
    label: trimmed || `Identity ${address.slice(0, 6)}…`,
    kind: 'local',
    privateKey,
    createdAt: ctx.deps.now(),
  };
  await addIdentity(ctx.db, identity);
  return toPublicIdentity(identity);
}
