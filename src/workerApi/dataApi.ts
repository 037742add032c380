/**
 * The typed surface of the data worker (`workers/data.worker.ts`), as the UI sees it through comlink.
 * Every write goes through here (so heavy work — extraction, chunking, hashing, signing, pack
 * verification — runs off the main thread); reads for display go straight to Dexie (`src/store`).
 *
 * Errors thrown by these methods are `TributaryError`s (code + message naming the file and reason).
 */
import type {
  Address,
  Contribution,
  ContributionPayload,
  Datanet,
  DatanetDraft,
  DatanetVersion,
  Hex,
  IdentityPublic,
  Validation,
  ValidationPayload,
  Verdict,
} from '../core/types.ts';
import type { ErrorCode } from '../core/errors.ts';
import type { QuorumPending } from '../core/quorum.ts';
import type { VersionTypedData } from '../core/signing.ts';
import type { DatanetFootprint } from '../store/datanetFootprint.ts';

/** One thing a contributor hands in: a file's bytes or pasted text. */
export type ContributionSource =
  | { kind: 'file'; name: string; bytes: Uint8Array; mediaType?: string }
  | { kind: 'text'; title: string; text: string };

export type ProgressStage =
  | 'reading'
  | 'extracting'
  | 'chunking'
  | 'hashing'
  | 'checking'
  | 'signing'
  | 'writing'
  | 'verifying'
  | 'downloading';

/** A progress event; `done`/`total` in the stage's own unit (bytes, pages, chunks, files). */
export interface Progress {
  stage: ProgressStage;
  done: number;
  total: number;
  subject?: string;
}
export type ProgressCallback = (p: Progress) => void;

/** An error as it crosses the worker boundary (structured clone keeps only plain fields). */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  subject?: string;
}

export interface PreviewPassage {
  index: number;
  text: string;
  /** SHA-256 of the exact passage text (what the contribution's signed chunksHash covers). */
  hash: Hex;
  /** Case/whitespace-insensitive hash (`normalizeForHash`), used for duplicate detection. */
  dedupeHash: Hex;
  /** Set when this passage already exists in the Datanet: it is left out of the contribution. */
  duplicateOf?: { contributionId: Hex; title: string };
}

/** The result of running one source through the pipeline, before anything is signed or written. */
export type ContributionPreview =
  | {
      ok: true;
      previewId: string;
      title: string;
      mediaType: string;
      sourceBytes: number;
      textHash: Hex;
      /** Characters of normalised text. */
      textLength: number;
      chunks: PreviewPassage[];
      /** Chunks that will be submitted (not duplicates). */
      newChunkCount: number;
    }
  | { ok: false; title: string; error: ErrorInfo };

export interface SubmitResult {
  submitted: Contribution[];
  /** Previews that could not be submitted (e.g. limit reached meanwhile); nothing of them was written. */
  failed: { previewId: string; error: ErrorInfo }[];
}

/** A contribution payload prepared for the contributor's wallet to sign. */
export interface PreparedContribution {
  previewId: string;
  payload: ContributionPayload;
}

/** A prepared payload with the wallet's signature. */
export interface SignedContribution extends PreparedContribution {
  signature: Hex;
}

export interface VoteResult {
  validation: Validation;
  /** Set when this vote closed the contribution. */
  outcome?: 'accepted' | 'rejected';
  /** Set when the acceptance produced a new Datanet version. */
  version?: DatanetVersion;
  /** Set while the contribution stays pending: what is missing (quorum, majority or the owner), with the figures. */
  pending?: QuorumPending;
}

export interface ExportedPack {
  fileName: string;
  bytes: Uint8Array;
  manifestHash: Hex;
}

export interface ImportReport {
  datanetId: string;
  name: string;
  version: number;
  manifestHash: Hex;
  contributions: number;
  chunks: number;
  /** Already present locally (same ids), so not written again. */
  skipped: number;
}

/** What "Delete Datanet" removed: the Datanet's name and id, and what it held (and what naming it was kept). */
export interface DeletedDatanet {
  id: string;
  name: string;
  removed: DatanetFootprint;
}

export interface DataApi {
  /** Liveness check, also used by the supervisor after a restart. */
  ping(): Promise<'pong'>;

  listIdentities(): Promise<IdentityPublic[]>;
  createIdentity(label: string): Promise<IdentityPublic>;

  createDatanet(draft: DatanetDraft): Promise<Datanet>;

  /**
   * Wallet signing, step 1: the Datanet record (draft checked, id and `createdAt` made) whose EIP-712
   * typed data (core/signing `datanetTypedData`) the owner's wallet must sign. Writes nothing.
   */
  prepareDatanet(draft: DatanetDraft): Promise<Datanet>;
  /**
   * Wallet signing, step 2: verify the owner's signature of a prepared Datanet, then store it with that
   * signature (pack export reuses it). Nothing is written when any check fails.
   */
  createSignedDatanet(datanet: Datanet, signature: Hex): Promise<Datanet>;
  /**
   * Its owner deletes a Datanet from this browser with its contributions, passages, versions, validations and
   * attribution index files, in one transaction (services/deleteDatanet). Answers' attribution records and ledger fees
   * that name it stay; nothing on chain changes. `datanet/not-found` (deleted already) and `datanet/not-owner` change
   * nothing.
   */
  deleteDatanet(id: string, requester: Address): Promise<DeletedDatanet>;

  /** Extract, validate, chunk, hash and check duplicates/limits. Writes nothing. */
  previewContributions(
    datanetId: string,
    contributor: Address,
    sources: ContributionSource[],
    onProgress?: ProgressCallback,
  ): Promise<ContributionPreview[]>;
  /** Sign and store previews made by `previewContributions` (each in its own transaction). */
  submitContributions(previewIds: string[], contributor: Address, onProgress?: ProgressCallback): Promise<SubmitResult>;

  /**
   * Wallet signing, step 1: the EIP-712 payloads (core/signing `contributionTypedData`) the contributor's
   * wallet must sign for these previews. Writes nothing.
   */
  prepareContributions(previewIds: string[], contributor: Address): Promise<{ prepared: PreparedContribution[]; failed: SubmitResult['failed'] }>;
  /** Wallet signing, step 2: verify each signature and store the contributions as `submitContributions` does. */
  submitSignedContributions(items: SignedContribution[], onProgress?: ProgressCallback): Promise<SubmitResult>;

  /** Cast a signed vote; closes the contribution when the quorum (or the owner) decides. */
  castVote(contributionId: Hex, validator: Address, verdict: Verdict, reason: string): Promise<VoteResult>;

  /** Wallet signing, step 1: the validation payload to sign (every check done). Writes nothing. */
  prepareVote(contributionId: Hex, validator: Address, verdict: Verdict, reason: string): Promise<ValidationPayload>;
  /** Wallet signing, step 2: verify the signature, then store and count the vote as `castVote` does. */
  castSignedVote(payload: ValidationPayload, signature: Hex): Promise<VoteResult>;

  /**
   * Export a version (default: current) as a pack archive. A wallet-owned Datanet's version needs the
   * owner's publication signature once: `ownerVersionSignature`, the wallet's signature of `versionToSign`.
   */
  exportPack(datanetId: string, version?: number, onProgress?: ProgressCallback, ownerVersionSignature?: Hex): Promise<ExportedPack>;
  /** The EIP-712 typed data publishing a version, for the owner's wallet to sign (core/signing `versionTypedData`). */
  versionToSign(datanetId: string, version: number): Promise<VersionTypedData>;
  /** Verify every hash and signature, then write everything in one transaction (or nothing). */
  importPack(bytes: Uint8Array, source: string, onProgress?: ProgressCallback): Promise<ImportReport>;
  importPackFromUrl(url: string, onProgress?: ProgressCallback): Promise<ImportReport>;

  /** On first start, import the bundled demo packs (idempotent). Returns how many Datanets were added. */
  ensureDemoData(baseUrl: string, onProgress?: ProgressCallback): Promise<number>;

  /** For the crash-recovery test and the Settings page: make the worker die with an uncaught error. */
  crashForTesting(): Promise<void>;
}

export type { Contribution, Datanet, DatanetDraft, DatanetVersion, Validation };
