/**
 * Datanet packs: a content-addressed archive of one published Datanet version (see docs/PACK-FORMAT.md).
 */
import type { Passage, Contribution, Datanet, DatanetVersion, Hex, Validation } from '../types.ts';

export const PACK_FORMAT = 'tributary-datanet-pack';
export const PACK_FORMAT_VERSION = 1;

/** Fixed file names inside a pack (besides optional `indexes/*`). */
export const PACK_FILES = {
  manifest: 'manifest.json',
  datanet: 'datanet.json',
  version: 'version.json',
  contributions: 'contributions.jsonl',
  // the passages; the file keeps its first name so existing packs still read
  chunks: 'chunks.jsonl',
  validations: 'validations.jsonl',
} as const;

/** Limits a reader enforces before inflating or fetching anything. */
export const PACK_LIMITS = {
  /** Entries in the zip (or files listed in the manifest). */
  maxEntries: 2000,
  /** Sum of the uncompressed sizes of all files. */
  maxTotalBytes: 64 * 1024 * 1024,
} as const;

/** What a pack holds: one version of one Datanet, only its accepted contributions. */
export interface PackContents {
  /** The Datanet; `origin` and `currentVersion` are local and not written to the pack. */
  datanet: Datanet;
  /** The owner's EIP-712 signature of the Datanet (core/signing `signDatanet`). */
  datanetSignature: Hex;
  version: DatanetVersion;
  /**
   * The owner's EIP-712 signature publishing this version (core/signing `signVersion`: Datanet hash,
   * version number, Merkle root). Only the owner may add a version to a Datanet.
   */
  versionSignature: Hex;
  /** Exactly the contributions of `version.contributionIds`, each with status `accepted`. */
  contributions: Contribution[];
  /** Every chunk of those contributions. */
  chunks: Passage[];
  /** Validations of those contributions. */
  validations: Validation[];
}

/** The Datanet as stored in `datanet.json`: without the local-only `origin` and `currentVersion`. */
export type PackDatanet = Omit<Datanet, 'origin' | 'currentVersion'>;

/** `datanet.json`. */
export interface PackDatanetFile {
  datanet: PackDatanet;
  signature: Hex;
  /** The owner's signature publishing the pack's version (`PackContents.versionSignature`). */
  versionSignature: Hex;
}

export interface PackFileEntry {
  path: string;
  bytes: number;
  /** SHA-256 of the file's bytes, lower-case 0x-hex. */
  sha256: Hex;
}

/** `manifest.json`. Its SHA-256 (`manifestHash`) is the pack's identity. */
export interface PackManifest {
  format: typeof PACK_FORMAT;
  formatVersion: typeof PACK_FORMAT_VERSION;
  datanetId: string;
  name: string;
  version: number;
  merkleRoot: Hex;
  licence: string;
  createdAt: number;
  tokenizer: null;
  embeddingModel: null;
  /** Every file of the pack except manifest.json itself, sorted by path. */
  files: PackFileEntry[];
}

/**
 * A pack that passed every check. `datanet.origin` is `{ kind: 'pack', manifestHash, source: '' }` and
 * `datanet.currentVersion` is the pack's version; the importer sets `source`.
 */
export type VerifiedPack = PackContents & {
  manifest: PackManifest;
  manifestHash: Hex;
  /**
   * The pack's `indexes/<name>` files by path (bytes checked against the manifest's hashes; their content is
   * verified by src/attribution/indexFiles.ts before use). Empty when the pack carries none.
   */
  indexes?: ReadonlyMap<string, Uint8Array>;
};

/** Progress of reading a pack: files read, then records verified. Structurally a client `Progress`. */
export interface PackProgress {
  stage: 'reading' | 'verifying';
  done: number;
  total: number;
  subject?: string;
}
export type PackProgressCallback = (p: PackProgress) => void;
