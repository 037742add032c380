/**
 * The Datanet page's "On chain" actions: read what `DatanetRegistry` holds for a Datanet, register it,
 * anchor its current version's Merkle root, each through the connected wallet on the configured chain
 * (switched there first when needed). After anchoring, the root is read back from the chain and
 * compared with the version's root in this browser.
 */
import { publicClientFor } from '../../chain/wallet/connect.ts';
import { anchorDatanetVersion, readAnchoredVersion, readAnchorState, registerDatanet, type AnchoredVersion, type AnchorState } from '../../chain/wallet/anchorWithWallet.ts';
import { TributaryError } from '../../core/errors.ts';
import type { Datanet, DatanetVersion, Hex } from '../../core/types.ts';
import { getDb } from '../../store/db.ts';
import { chainConfig } from './ledgerChain.ts';
import { walletContext } from './walletState.ts';

function requireChain() {
  const chain = chainConfig();
  if (!chain) throw new TributaryError('chain/config', 'No chain is configured: start the local chain with `npm start`, or set one in Settings → Chain.');
  return chain;
}

/** The registry's record of the Datanet on the configured chain (read from the chain's RPC, no wallet). */
export function readOnChain(datanet: Pick<Datanet, 'id' | 'owner'>): Promise<AnchorState> {
  const chain = requireChain();
  return readAnchorState(publicClientFor(chain), chain.registry, datanet);
}

/** The owner's wallet must be the connected account. */
async function ownerContext(datanet: Datanet) {
  const c = await walletContext();
  if (c.account.toLowerCase() !== datanet.owner.toLowerCase()) {
    throw new TributaryError('wallet/not-connected', `Only the owner of this Datanet, ${datanet.owner}, can do this: switch your wallet to that account (it is now ${c.account}).`);
  }
  return c;
}

/** Registers the Datanet under its (owner, id) key with the owner's wallet; returns the transaction hash. */
export async function registerOnChain(datanet: Datanet, onStatus: (s: string) => void): Promise<Hex> {
  const chain = requireChain();
  const c = await ownerContext(datanet);
  onStatus(`Confirm the registration of "${datanet.name}" in your wallet…`);
  return registerDatanet(c, chain.registry, datanet.id, datanet.name);
}

export interface AnchorResult {
  txHash: Hex;
  local: DatanetVersion;
  anchored: AnchoredVersion;
  /** The root read back from the chain equals the local version's root. */
  matches: boolean;
}

/** Anchors version `version` (its root and contribution count as stored in this browser). */
export async function anchorOnChain(datanet: Datanet, version: number, onStatus: (s: string) => void): Promise<AnchorResult> {
  const chain = requireChain();
  const local = await getDb().versions.get([datanet.id, version]);
  if (!local) throw new TributaryError('datanet/not-found', `This Datanet has no version ${version} in this browser: nothing to anchor.`, datanet.name);
  const c = await ownerContext(datanet);
  onStatus(`Confirm anchoring version ${version} in your wallet…`);
  const txHash = await anchorDatanetVersion(c, chain.registry, datanet, {
    version,
    merkleRoot: local.merkleRoot,
    contributionCount: local.contributionIds.length,
  });
  onStatus('Reading the anchored root back from the chain…');
  const anchored = await readAnchoredVersion(c.publicClient, chain.registry, datanet, version);
  if (!anchored) throw new TributaryError('chain/reverted', `Version ${version} is not in the registry after transaction ${txHash}: refresh and check again.`);
  return { txHash, local, anchored, matches: anchored.merkleRoot.toLowerCase() === local.merkleRoot.toLowerCase() };
}
