/**
 * Anchoring a Datanet in `DatanetRegistry` through the owner's wallet: read what the registry holds for
 * a Datanet, `register(idHash, name, owner, signature)` it (the owner sends, so no signature is needed), `anchorVersion(datanetKey, version, merkleRoot,
 * contributionCount)` its versions. Each send is dry-run first (a revert shows its decoded reason before
 * any wallet prompt), then sent and waited for; failures are `TributaryError`s (walletErrors): rejected,
 * wrong chain, reverted with the contract's reason (`VersionNotIncreasing`, `NotDatanetOwner`, …).
 */
import { encodeAbiParameters, keccak256, toHex, type PublicClient, type WalletClient } from 'viem';
import { TributaryError } from '../../core/errors.ts';
import type { Address, Hex } from '../../core/types.ts';
import { datanetRegistryAbi } from '../generated/DatanetRegistry.ts';
import { waitForSuccess } from './settleWithWallet.ts';
import { toWalletError } from './walletErrors.ts';

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';
const ZERO_ROOT = `0x${'0'.repeat(64)}`;

/** A Datanet as the registry knows it: its app id and the owner its signed record names. */
export interface DatanetRef {
  id: string;
  owner: Address;
}

/** `keccak256(bytes(appDatanetId))` of the UTF-8 `dn-…` id. */
export function datanetIdHash(datanetId: string): Hex {
  return keccak256(toHex(datanetId));
}

/**
 * The registry's key of a Datanet: `keccak256(abi.encode(owner, keccak256(bytes(appDatanetId))))`
 * (DatanetRegistry.sol `datanetKeyOf`). Bound to the owner, so nobody else can register it first.
 */
export function datanetKey(datanet: DatanetRef): Hex {
  return keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'bytes32' }], [datanet.owner, datanetIdHash(datanet.id)]));
}

/** A version as the registry holds it. */
export interface AnchoredVersion {
  version: number;
  merkleRoot: Hex;
  contributionCount: number;
  /** Block time of the anchoring, Unix seconds. */
  anchoredAt: number;
}

/** What the registry holds for a Datanet. */
export interface AnchorState {
  datanetKey: Hex;
  /** The on-chain owner; undefined while not registered. */
  owner: Address | undefined;
  /** The account the owner offered the Datanet to (two-step transfer); undefined when none. */
  pendingOwner: Address | undefined;
  name: string;
  /** Latest anchored version (0 while none). */
  latestVersion: number;
  /** The latest anchored version's record (undefined while none). */
  latest: AnchoredVersion | undefined;
}

/** Who sends: the wallet acting as `account`, and a public client on the same chain. */
export interface AnchorContext {
  wallet: WalletClient;
  publicClient: PublicClient;
  account: Address;
}

/** The version to anchor: its number, its Merkle root (core/merkle `versionMerkleRoot`) and its size. */
export interface VersionToAnchor {
  version: number;
  merkleRoot: Hex;
  contributionCount: number;
}

/** Reads an anchored version; undefined when that version was never anchored. */
export async function readAnchoredVersion(publicClient: PublicClient, registry: Address, datanet: DatanetRef, version: number): Promise<AnchoredVersion | undefined> {
  const v = await publicClient.readContract({ address: registry, abi: datanetRegistryAbi, functionName: 'versionOf', args: [datanetKey(datanet), version] });
  if (v.merkleRoot === ZERO_ROOT) return undefined;
  return { version, merkleRoot: v.merkleRoot, contributionCount: Number(v.contributionCount), anchoredAt: Number(v.anchoredAt) };
}

/** Reads the registry's record of a Datanet and its latest anchored version. */
export async function readAnchorState(publicClient: PublicClient, registry: Address, datanet: DatanetRef): Promise<AnchorState> {
  const key = datanetKey(datanet);
  let d: { owner: Address; latestVersion: number; pendingOwner: Address; name: string };
  try {
    d = await publicClient.readContract({ address: registry, abi: datanetRegistryAbi, functionName: 'datanet', args: [key] });
  } catch (e) {
    throw toWalletError(e, { action: 'Reading the Datanet registry' });
  }
  const registered = d.owner !== ZERO_ADDRESS;
  const latestVersion = Number(d.latestVersion);
  const latest = latestVersion > 0 ? await readAnchoredVersion(publicClient, registry, datanet, latestVersion) : undefined;
  return {
    datanetKey: key,
    owner: registered ? d.owner : undefined,
    pendingOwner: d.pendingOwner === ZERO_ADDRESS ? undefined : d.pendingOwner,
    name: d.name,
    latestVersion,
    latest,
  };
}

/**
 * Registers the Datanet with the wallet's account as its on-chain owner (the owner sends it, so no
 * separate consent signature is needed); returns the mined transaction's hash.
 */
export async function registerDatanet(c: AnchorContext, registry: Address, datanetId: string, name: string): Promise<Hex> {
  const args = [datanetIdHash(datanetId), name, c.account, '0x'] as const;
  const action = `Registering "${name}" on chain`;
  const unchanged = 'Nothing was registered.';
  let hash: Hex;
  try {
    await c.publicClient.simulateContract({ account: c.account, address: registry, abi: datanetRegistryAbi, functionName: 'register', args });
    hash = await c.wallet.writeContract({ account: c.account, chain: c.wallet.chain, address: registry, abi: datanetRegistryAbi, functionName: 'register', args });
  } catch (e) {
    throw toWalletError(e, { action, unchanged });
  }
  await waitForSuccess(c, hash, action);
  return hash;
}

/**
 * Anchors a version's Merkle root (owner only; versions strictly increase); returns the mined
 * transaction's hash.
 */
export async function anchorDatanetVersion(c: AnchorContext, registry: Address, datanet: DatanetRef, v: VersionToAnchor): Promise<Hex> {
  if (!Number.isInteger(v.version) || v.version <= 0 || v.version > 0xffffffff) {
    throw new TributaryError('chain/registry', `Version ${v.version} cannot be anchored: versions are whole numbers from 1.`);
  }
  if (!Number.isInteger(v.contributionCount) || v.contributionCount <= 0 || v.contributionCount > 0xffffffff) {
    throw new TributaryError('chain/registry', `Version ${v.version} has ${v.contributionCount} contributions: nothing to anchor.`);
  }
  const args = [datanetKey(datanet), v.version, v.merkleRoot, v.contributionCount] as const;
  const action = `Anchoring version ${v.version}`;
  const unchanged = 'Nothing was anchored.';
  let hash: Hex;
  try {
    await c.publicClient.simulateContract({ account: c.account, address: registry, abi: datanetRegistryAbi, functionName: 'anchorVersion', args });
    hash = await c.wallet.writeContract({ account: c.account, chain: c.wallet.chain, address: registry, abi: datanetRegistryAbi, functionName: 'anchorVersion', args });
  } catch (e) {
    throw toWalletError(e, { action, unchanged });
  }
  await waitForSuccess(c, hash, action);
  return hash;
}
