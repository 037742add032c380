/**
 * Domain types shared by every layer. Pure data: no DOM, no IndexedDB, no GPU.
 *
 * Conventions:
 * - Times are Unix milliseconds (integers).
 * - Shares are integer basis points (1 bps = 0.01 %); a full share is 10_000.
 * - Money (later: fees, splits) is always `bigint` base units, never a float.
 * - Hashes are lower-case 0x-prefixed hex strings.
 */

export type Hex = `0x${string}`;
export type Address = `0x${string}`;

/** 10_000 basis points make the whole. */
export const BPS_DENOMINATOR = 10_000;

/** How a Datanet shares the contributor-side fee: integers in basis points that sum to 10_000. */
export interface RewardPolicy {
  /** Share of each fee (that reaches this Datanet) paid to its contributors, in bps. */
  contributorsBps: number;
  /** Share kept by the Datanet owner, in bps. */
  ownerBps: number;
}

/** Who decides whether a contribution is accepted. */
export type Moderation = 'quorum' | 'owner';

/** How texts are cut into passages. `unit` is 'chars' until a tokenizer exists. */
export interface PassageOptions {
  unit: 'chars' | 'tokens';
  /** Target passage size in `unit`s. */
  size: number;
  /** Overlap between consecutive passages in `unit`s (< size). */
  overlap: number;
}

/** What a user fills in to create a Datanet. Checked by `core/datanet.ts` `validateDatanetDraft`. */
export interface DatanetDraft {
  name: string;
  summary: string;
  descriptionMd: string;
  tags: string[];
  licence: string;
  owner: Address;
  rewardPolicy: RewardPolicy;
  moderation: Moderation;
  /** Stored and signed under its first name `chunking` (kept so stored Datanets, signatures and packs stay valid). */
  chunking: PassageOptions;
}

export interface Datanet {
  /** Stable id, `dn-` + 16 hex chars. */
  id: string;
  name: string;
  summary: string;
  /** Markdown source; rendered through `renderMarkdownSafe` only. */
  descriptionMd: string;
  tags: string[];
  dataType: 'text';
  /** SPDX id or short licence name, e.g. `CC-BY-4.0`. */
  licence: string;
  owner: Address;
  rewardPolicy: RewardPolicy;
  moderation: Moderation;
  chunking: PassageOptions;
  createdAt: number;
  /** Latest published version number; 0 while nothing is accepted. */
  currentVersion: number;
  /** Where the Datanet came from: made here, or imported from a pack (its manifest hash). */
  origin: { kind: 'local' } | { kind: 'pack'; manifestHash: Hex; source: string };
}

export type ContributionStatus = 'pending' | 'accepted' | 'rejected';

/** The part of a contribution its author signs (EIP-712 typed data, see core/signing). */
export interface ContributionPayload {
  datanetId: string;
  contributor: Address;
  /** File name, or `Pasted text`. */
  title: string;
  mediaType: string;
  /**
   * Duplicate identity of the whole text: `sha256Text(normalizeForHash(text))` (case- and
   * whitespace-insensitive). It does not bind the exact text, and a pack cannot recompute it (a pack
   * holds only the passages kept, not the full text); the exact text is bound through `chunksHash`.
   */
  textHash: Hex;
  /**
   * `hashPassageList` (see core/hash) of the passages' exact-text hashes (`Passage.hash`), in index order:
   * through it the signature covers the exact text of every passage.
   */
  // `chunksHash` and `chunkCount` keep their first names (passages were called chunks): they are stored, signed
  // and written in packs, so renaming them would break stored data and existing packs.
  chunksHash: Hex;
  chunkCount: number;
  createdAt: number;
}

export interface Contribution extends ContributionPayload {
  /** EIP-712 hash of the payload: the contribution's identity everywhere (Merkle leaves, packs, receipts). */
  id: Hex;
  signature: Hex;
  sourceBytes: number;
  status: ContributionStatus;
  decidedAt?: number;
  /** Version in which it was first accepted. */
  acceptedInVersion?: number;
  /** MinHash signature of the whole text, for near-duplicate checks. */
  minhash: number[];
}

/** One passage of a contribution. */
export interface Passage {
  /**
   * `sha256Text(text)`: SHA-256 of the exact passage text (already `normalizeText`-ed upstream). Integrity
   * identity: `chunksHash` is over these, so any change to the text (even of case or spacing) breaks it.
   */
  hash: Hex;
  /**
   * `sha256Text(normalizeForHash(text))`: case- and whitespace-insensitive hash, used ONLY for duplicate
   * detection (never for integrity).
   */
  dedupeHash: Hex;
  contributionId: Hex;
  datanetId: string;
  index: number;
  text: string;
  /** Character offsets in the normalised full text. */
  start: number;
  end: number;
}

export type Verdict = 'approve' | 'reject';

/** The part of a validation its validator signs. */
export interface ValidationPayload {
  contributionId: Hex;
  validator: Address;
  verdict: Verdict;
  reason: string;
  createdAt: number;
}

export interface Validation extends ValidationPayload {
  /** EIP-712 hash of the payload. */
  id: Hex;
  datanetId: string;
  signature: Hex;
  /** The validator's weight when the vote was cast (reputation mean, see core/reputation). */
  weight: number;
  /** `owner` when cast by the owner of an owner-moderated Datanet (decides alone). */
  role: 'validator' | 'owner';
}

/** Beta-reputation counters of one address (global across Datanets). */
export interface Reputation {
  address: Address;
  /** Votes that matched the final outcome. */
  validatorAgreed: number;
  /** Votes that went against the final outcome. */
  validatorDisagreed: number;
  contributionsAccepted: number;
  contributionsRejected: number;
  updatedAt: number;
}

export interface DatanetVersion {
  datanetId: string;
  version: number;
  /** OpenZeppelin StandardMerkleTree root over [contributionId, contributor] leaves of every accepted contribution. */
  merkleRoot: Hex;
  contributionIds: Hex[];
  /** The contributions accepted in the batch that created this version. */
  addedIds: Hex[];
  createdAt: number;
}

/** A local signing key, kept in IndexedDB. A connected wallet is an identity too (ui/lib/identity `walletIdentity`), with no record here. */
export interface Identity {
  address: Address;
  label: string;
  kind: 'local';
  privateKey: Hex;
  createdAt: number;
}

export type IdentityPublic = Omit<Identity, 'privateKey'>;
