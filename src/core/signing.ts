/**
 * EIP-712 signatures of Tributary's off-chain records.
 *
 * Domain: `{ name: 'Tributary', version: '1' }` — no chainId and no verifying contract: these records
 * live off chain (IndexedDB, packs), so a signature is valid on every chain and in every copy.
 *
 * A record's id is the EIP-712 hash (`hashTypedData`) of its signed payload; the signature is over that
 * hash by the author's key (contributor, validator, Datanet owner). `verify*` recover the signer and
 * compare addresses case-insensitively; they never throw on malformed input and return false instead.
 */
import { hashTypedData, recoverTypedDataAddress, type TypedDataDomain } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { TributaryError } from './errors.ts';
import { sha256Text } from './hash.ts';
import type { Address, ContributionPayload, Datanet, Hex, ValidationPayload } from './types.ts';

export const EIP712_DOMAIN = { name: 'Tributary', version: '1' } as const satisfies TypedDataDomain;

export const CONTRIBUTION_TYPES = {
  Contribution: [
    { name: 'datanetId', type: 'string' },
    { name: 'contributor', type: 'address' },
    { name: 'title', type: 'string' },
    { name: 'mediaType', type: 'string' },
    { name: 'textHash', type: 'bytes32' },
    { name: 'chunksHash', type: 'bytes32' },
    { name: 'chunkCount', type: 'uint32' },
    { name: 'createdAt', type: 'uint64' },
  ],
} as const;

export const VALIDATION_TYPES = {
  Validation: [
    { name: 'contributionId', type: 'bytes32' },
    { name: 'validator', type: 'address' },
    { name: 'verdict', type: 'string' },
    { name: 'reason', type: 'string' },
    { name: 'createdAt', type: 'uint64' },
  ],
} as const;

export const DATANET_TYPES = {
  Datanet: [
    { name: 'id', type: 'string' },
    { name: 'name', type: 'string' },
    { name: 'owner', type: 'address' },
    { name: 'licence', type: 'string' },
    { name: 'contributorsBps', type: 'uint16' },
    { name: 'ownerBps', type: 'uint16' },
    { name: 'moderation', type: 'string' },
    { name: 'descriptionHash', type: 'bytes32' },
    { name: 'createdAt', type: 'uint64' },
  ],
} as const;

/** The fields of a Datanet its owner signs (directly or through `descriptionHash`). */
export type DatanetSigned = Pick<
  Datanet,
  'id' | 'name' | 'summary' | 'descriptionMd' | 'tags' | 'licence' | 'owner' | 'rewardPolicy' | 'moderation' | 'chunking' | 'createdAt'
>;

/**
 * `sha256Text(JSON.stringify({ summary, descriptionMd, tags, chunking: { unit, size, overlap } }))`,
 * keys in exactly that order: binds the Datanet's descriptive fields into its signature.
 */
export function datanetDescriptionHash(d: Pick<Datanet, 'summary' | 'descriptionMd' | 'tags' | 'chunking'>): Hex {
  return sha256Text(
    JSON.stringify({
      summary: d.summary,
      descriptionMd: d.descriptionMd,
      tags: d.tags,
      chunking: { unit: d.chunking.unit, size: d.chunking.size, overlap: d.chunking.overlap },
    }),
  );
}

function contributionData(p: ContributionPayload) {
  return {
    domain: EIP712_DOMAIN,
    types: CONTRIBUTION_TYPES,
    primaryType: 'Contribution',
    message: {
      datanetId: p.datanetId,
      contributor: p.contributor,
      title: p.title,
      mediaType: p.mediaType,
      textHash: p.textHash,
      chunksHash: p.chunksHash,
      chunkCount: p.chunkCount,
      createdAt: BigInt(p.createdAt),
    },
  } as const;
}

function validationData(p: ValidationPayload) {
  return {
    domain: EIP712_DOMAIN,
    types: VALIDATION_TYPES,
    primaryType: 'Validation',
    message: {
      contributionId: p.contributionId,
      validator: p.validator,
      verdict: p.verdict,
      reason: p.reason,
      createdAt: BigInt(p.createdAt),
    },
  } as const;
}

function datanetData(d: DatanetSigned) {
  return {
    domain: EIP712_DOMAIN,
    types: DATANET_TYPES,
    primaryType: 'Datanet',
    message: {
      id: d.id,
      name: d.name,
      owner: d.owner,
      licence: d.licence,
      contributorsBps: d.rewardPolicy.contributorsBps,
      ownerBps: d.rewardPolicy.ownerBps,
      moderation: d.moderation,
      descriptionHash: datanetDescriptionHash(d),
      createdAt: BigInt(d.createdAt),
    },
  } as const;
}

function signerOf(privateKey: Hex, expected: Address, role: string) {
  const account = privateKeyToAccount(privateKey);
  if (account.address.toLowerCase() !== expected.toLowerCase()) {
    throw new TributaryError(
      'signature/invalid',
      `This key belongs to ${account.address}, not to the ${role} ${expected}: sign with the ${role}'s own identity.`,
    );
  }
  return account;
}

/** secp256k1's group order n, and n / 2: the largest `s` of a canonical (low-s) signature. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = SECP256K1_N / 2n;

/**
 * True for the one canonical encoding of a signature, the form viem's accounts and wallets produce:
 * 65 bytes r ‖ s ‖ v, 0 < r < n, 0 < s ≤ n/2 (low-s, as EIP-2 and OpenZeppelin's ECDSA require) and
 * v ∈ {27, 28}. Every signature has exactly one such encoding, so a record cannot be re-signed into a
 * second, different-looking but equally valid signature (high-s, or v ∈ {0, 1}).
 */
export function isCanonicalSignature(signature: string): boolean {
  if (typeof signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(signature)) return false;
  const r = BigInt(`0x${signature.slice(2, 66)}`);
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130, 132), 16);
  return r > 0n && r < SECP256K1_N && s > 0n && s <= HALF_N && (v === 27 || v === 28);
}

/**
 * The canonical encoding (see `isCanonicalSignature`) of a signature a wallet returned: v ∈ {0, 1}
 * becomes 27/28 and a high `s` becomes n − s with the other v (the same signature, mathematically).
 * Lower-case hex. Applied where a wallet's signature enters, before anything is stored or exported.
 * @throws TributaryError `signature/invalid` when it is not a 65-byte signature at all.
 */
export function canonicalSignature(signature: string): Hex {
  if (typeof signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(signature)) {
    throw new TributaryError('signature/invalid', 'The wallet returned something that is not a 65-byte signature; try signing again, or use another wallet.');
  }
  const r = signature.slice(2, 66).toLowerCase();
  let s = BigInt(`0x${signature.slice(66, 130)}`);
  let v = Number.parseInt(signature.slice(130, 132), 16);
  if (v === 0 || v === 1) v += 27;
  if (v !== 27 && v !== 28) throw new TributaryError('signature/invalid', `The wallet's signature has the recovery id ${v}; only 27/28 (or 0/1) are valid. Try another wallet.`);
  if (s > HALF_N) {
    s = SECP256K1_N - s;
    v = v === 27 ? 28 : 27;
  }
  return `0x${r}${s.toString(16).padStart(64, '0')}${v.toString(16)}`;
}

async function recoveredIs(expected: Address, signature: Hex, recover: () => Promise<Address>): Promise<boolean> {
  if (!isCanonicalSignature(signature)) return false;
  try {
    return (await recover()).toLowerCase() === expected.toLowerCase();
  } catch {
    return false;
  }
}

/** EIP-712 hash of a contribution payload: the contribution's id. Throws on malformed fields. */
/** The signed fields of a contribution record (drops id, signature and local-only fields). */
export function contributionPayloadOf(c: ContributionPayload): ContributionPayload {
  return {
    datanetId: c.datanetId,
    contributor: c.contributor,
    title: c.title,
    mediaType: c.mediaType,
    textHash: c.textHash,
    chunksHash: c.chunksHash,
    chunkCount: c.chunkCount,
    createdAt: c.createdAt,
  };
}

/** The signed fields of a validation record. */
export function validationPayloadOf(v: ValidationPayload): ValidationPayload {
  return { contributionId: v.contributionId, validator: v.validator, verdict: v.verdict, reason: v.reason, createdAt: v.createdAt };
}

/** The EIP-712 typed data of a contribution, for a wallet's `signTypedData` (same as the local-key path). */
export function contributionTypedData(p: ContributionPayload) {
  return contributionData(p);
}

/** The EIP-712 typed data of a validation, for a wallet's `signTypedData`. */
export function validationTypedData(p: ValidationPayload) {
  return validationData(p);
}

export function hashContribution(p: ContributionPayload): Hex {
  return hashTypedData(contributionData(p));
}

/**
 * Signs a contribution with the contributor's key.
 * @throws TributaryError `signature/invalid` when the key is not `p.contributor`'s.
 */
export async function signContribution(p: ContributionPayload, privateKey: Hex): Promise<{ id: Hex; signature: Hex }> {
  const account = signerOf(privateKey, p.contributor, 'contributor');
  const data = contributionData(p);
  return { id: hashTypedData(data), signature: await account.signTypedData(data) };
}

/** True when `signature` is `p.contributor`'s signature of `p`. Never throws. */
export function verifyContribution(p: ContributionPayload, signature: Hex): Promise<boolean> {
  return recoveredIs(p.contributor, signature, () => recoverTypedDataAddress({ ...contributionData(p), signature }));
}

/** EIP-712 hash of a validation payload: the validation's id. Throws on malformed fields. */
export function hashValidation(p: ValidationPayload): Hex {
  return hashTypedData(validationData(p));
}

/**
 * Signs a validation with the validator's key.
 * @throws TributaryError `signature/invalid` when the key is not `p.validator`'s.
 */
export async function signValidation(p: ValidationPayload, privateKey: Hex): Promise<{ id: Hex; signature: Hex }> {
  const account = signerOf(privateKey, p.validator, 'validator');
  const data = validationData(p);
  return { id: hashTypedData(data), signature: await account.signTypedData(data) };
}

/** True when `signature` is `p.validator`'s signature of `p`. Never throws. */
export function verifyValidation(p: ValidationPayload, signature: Hex): Promise<boolean> {
  return recoveredIs(p.validator, signature, () => recoverTypedDataAddress({ ...validationData(p), signature }));
}

/** The EIP-712 typed data of a Datanet, for its owner's wallet's `signTypedData` (same as `signDatanet`'s). */
export function datanetTypedData(d: DatanetSigned) {
  return datanetData(d);
}

/** EIP-712 hash of a Datanet's signed fields. Throws on malformed fields. */
export function hashDatanet(d: DatanetSigned): Hex {
  return hashTypedData(datanetData(d));
}

/**
 * Signs a Datanet with its owner's key.
 * @throws TributaryError `signature/invalid` when the key is not `d.owner`'s.
 */
export async function signDatanet(d: DatanetSigned, privateKey: Hex): Promise<{ id: Hex; signature: Hex }> {
  const account = signerOf(privateKey, d.owner, 'owner');
  const data = datanetData(d);
  return { id: hashTypedData(data), signature: await account.signTypedData(data) };
}

/** True when `signature` is `d.owner`'s signature of `d`. Never throws. */
export function verifyDatanet(d: DatanetSigned, signature: Hex): Promise<boolean> {
  return recoveredIs(d.owner, signature, () => recoverTypedDataAddress({ ...datanetData(d), signature }));
}

// ---------------------------------------------------------------------------------------------------
// Publishing a version (who may add a version to a Datanet: docs/PACK-FORMAT.md, "Trust model")

/**
 * A version's publication: the Datanet owner signs the version number and its Merkle root, bound to
 * the Datanet record itself (`datanetHash` = `hashDatanet`, which covers the owner and reward policy).
 * Without it anyone holding the owner's public Datanet signature could publish "version 2" with their
 * own contributions and approvals.
 */
export const VERSION_TYPES = {
  DatanetVersion: [
    { name: 'datanetId', type: 'string' },
    { name: 'datanetHash', type: 'bytes32' },
    { name: 'version', type: 'uint64' },
    { name: 'merkleRoot', type: 'bytes32' },
  ],
} as const;

/** The typed data of a version's publication (`versionTypedData`). */
export type VersionTypedData = ReturnType<typeof versionTypedData>;

/** The part of a version its owner signs. */
export interface VersionPublication {
  version: number;
  merkleRoot: Hex;
}

/** The EIP-712 typed data of a version's publication (what the owner's key or wallet signs). */
export function versionTypedData(d: DatanetSigned, v: VersionPublication) {
  return {
    domain: EIP712_DOMAIN,
    types: VERSION_TYPES,
    primaryType: 'DatanetVersion',
    message: { datanetId: d.id, datanetHash: hashDatanet(d), version: BigInt(v.version), merkleRoot: v.merkleRoot },
  } as const;
}

/**
 * The owner's signature publishing version `v` of Datanet `d`.
 * @throws TributaryError `signature/invalid` when the key is not `d.owner`'s.
 */
export async function signVersion(d: DatanetSigned, v: VersionPublication, privateKey: Hex): Promise<Hex> {
  const account = signerOf(privateKey, d.owner, 'owner');
  return account.signTypedData(versionTypedData(d, v));
}

/** True when `signature` is `d.owner`'s (canonical) signature publishing `v`. Never throws. */
export function verifyVersion(d: DatanetSigned, v: VersionPublication, signature: Hex): Promise<boolean> {
  return recoveredIs(d.owner, signature, () => recoverTypedDataAddress({ ...versionTypedData(d, v), signature }));
}
