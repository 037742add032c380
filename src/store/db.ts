import Dexie, { type EntityTable, type Table } from 'dexie';
import type {
  Address,
  Passage,
  Contribution,
  Datanet,
  DatanetVersion,
  Hex,
  Identity,
  Reputation,
  Validation,
} from '../core/types.ts';
import type { AttributionRecord } from '../core/attribution/types.ts';
import type { Conversation } from '../core/conversation.ts';
import type { ClaimRecord, LedgerEntry, SettlementRecord } from '../core/ledger.ts';
import { datanetFeeSubject } from '../core/datanetFeeSubject.ts';

/** One upload counted against the per-contributor, per-Datanet, per-day limits. */
export interface UploadRecord {
  id?: number;
  datanetId: string;
  contributor: Address;
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  bytes: number;
  contributionId: Hex;
  createdAt: number;
}

/** Small key/value settings (e.g. `demoDataLoaded`, `activeIdentity`). */
export interface SettingRecord {
  key: string;
  value: unknown;
}

/** An imported pack's manifest, kept so re-imports are recognised and provenance is shown. */
export interface PackRecord {
  manifestHash: Hex;
  datanetId: string;
  version: number;
  source: string;
  importedAt: number;
}

// Tables reserved for later capabilities (models, adapters, training, inference, attribution, ledger,
// settlement). Declared now so the schema's version history starts complete; their record types are
// refined by the issues that fill them.
export interface ReservedRecord {
  id: string;
  [field: string]: unknown;
}

/**
 * An answer's attribution record as stored (schema version 3; the table was reserved as `receipts`).
 * Keyed by the record's hash (`attributionRecordHash`), the value an answer's fee commits to.
 */
export interface StoredAttributionRecord {
  hash: Hex;
  record: AttributionRecord;
  /** The chat answer it belongs to (a conversation may later store answers by this id). */
  answerId: string;
  /** The answer's text and prompt, kept locally so credited contributors can see what credited them. */
  prompt: string;
  answer: string;
  /** Denormalised for the Datanet leaderboard and "answers that credited me". */
  datanetIds: string[];
  contributionIds: Hex[];
  contributors: Address[];
  createdAt: number;
  /**
   * The answer's int8 vector the record's embedding evidence committed to (absent when embeddings were not used, and
   * in rows stored before it was kept); exported with the record so `verify-record` can check it.
   */
  embeddingQuery?: { int8: Int8Array; scale: number };
  /** The projected answer gradient the record's influence evidence committed to (absent when influence was not used); exported with it. */
  influenceGradient?: Float32Array;
}

/**
 * A stored attribution index file of one Datanet version (schema version 6), in the pack's `indexes/` formats
 * (attribution/indexFiles.ts): the suffix array (`kind: 'spans'`) or the passage vectors of one encoder
 * (`kind: 'embeddings'`). Written when a pack's verified indexes are imported and when the attribution worker builds
 * one; re-verified against the stored passages whenever it is loaded.
 */
export interface StoredIndexFile {
  /** `${datanetId}@${version}:${merkleRoot}:spans` or `…:embeddings:${encoderHash}` */
  key: string;
  datanetId: string;
  version: number;
  merkleRoot: Hex;
  kind: 'spans' | 'embeddings';
  /** the encoder that made the vectors (embeddings only) */
  encoder: { id: string; hash: Hex; dims: number } | null;
  /** 'pack': came verified with an imported pack; 'local': built here */
  source: 'pack' | 'local';
  bytes: Uint8Array;
  createdAt: number;
}

export const DB_NAME = 'tributary';

export class TributaryDB extends Dexie {
  datanets!: EntityTable<Datanet, 'id'>;
  contributions!: EntityTable<Contribution, 'id'>;
  /** The passages; the table keeps its first name `chunks` (renaming an IndexedDB table would drop stored data). */
  chunks!: Table<Passage, [Hex, number]>;
  validations!: EntityTable<Validation, 'id'>;
  reputations!: EntityTable<Reputation, 'address'>;
  versions!: Table<DatanetVersion, [string, number]>;
  identities!: EntityTable<Identity, 'address'>;
  uploads!: EntityTable<UploadRecord, 'id'>;
  packs!: EntityTable<PackRecord, 'manifestHash'>;
  settings!: EntityTable<SettingRecord, 'key'>;
  models!: EntityTable<ReservedRecord, 'id'>;
  adapters!: EntityTable<ReservedRecord, 'id'>;
  trainingRuns!: EntityTable<ReservedRecord, 'id'>;
  inferences!: EntityTable<ReservedRecord, 'id'>;
  /** Attribution records of answers (schema version 3; replaces the reserved `receipts` table). */
  attributionRecords!: EntityTable<StoredAttributionRecord, 'hash'>;
  /** Settlement ledger (schema version 2): one entry per fee, see core/ledger. */
  ledgerEntries!: EntityTable<LedgerEntry, 'id'>;
  settlements!: EntityTable<SettlementRecord, 'id'>;
  claims!: EntityTable<ClaimRecord, 'id'>;
  /** Chat conversations with their answers (schema version 5; store/conversations). */
  conversations!: EntityTable<Conversation, 'id'>;
  /** Attribution index files per Datanet version (schema version 6). */
  attributionIndexes!: EntityTable<StoredIndexFile, 'key'>;

  constructor(name: string = DB_NAME) {
    super(name);
    // Version 1. A later schema adds `this.version(2).stores({...}).upgrade(...)` below; never edit this one.
    this.version(1).stores({
      datanets: 'id, owner, createdAt, *tags',
      contributions: 'id, datanetId, contributor, status, textHash, [datanetId+status], createdAt',
      // Passage primary key is [contributionId, index]. `hash` (exact text) is indexed, not unique;
      // `[datanetId+dedupeHash]` serves duplicate lookups (case/whitespace-insensitive).
      chunks: '[contributionId+index], hash, datanetId, [datanetId+dedupeHash]',
      validations: 'id, contributionId, datanetId, validator, [contributionId+validator]',
      reputations: 'address',
      versions: '[datanetId+version], datanetId',
      identities: 'address, createdAt',
      uploads: '++id, [datanetId+contributor+day]',
      packs: 'manifestHash, datanetId',
      settings: 'key',
      models: 'id',
      adapters: 'id',
      trainingRuns: 'id',
      inferences: 'id',
      receipts: 'id',
      ledgerEntries: 'id',
      settlements: 'id',
    });
    // Version 2: the settlement ledger. The reserved `ledgerEntries` and `settlements` tables were never
    // written before, so no data moves; `claims` is new. `receipts` stays reserved for attribution receipts.
    this.version(2).stores({
      ledgerEntries: 'id, status, payer, chainId, datanetId, settlementId, createdAt, *recipients, [chainId+status], [chainId+payer+status]',
      settlements: 'id, status, chainId, payer, createdAt',
      claims: 'id, chainId, account, [chainId+account], createdAt',
    });
    // Version 3: one word, one meaning. The reserved `receipts` table (meant for attribution, never written
    // by the app) becomes `attributionRecords`; ledger entries are fees settled by signed payments, so
    // settlement records name their `feeIds` (were `receiptIds`) and every entry gets the `subject` its
    // payment's fees tree commits to. Any row of `receipts` is copied; the old table goes in version 4.
    this.version(3)
      .stores({
        attributionRecords: 'hash, answerId, createdAt, *datanetIds, *contributionIds, *contributors',
        ledgerEntries:
          'id, status, payer, chainId, datanetId, settlementId, createdAt, kind, subject, answerId, *recipients, [chainId+status], [chainId+payer+status]',
      })
      .upgrade(async (tx) => {
        const old = await tx.table('receipts').toArray();
        for (const row of old as Partial<StoredAttributionRecord & { id: string }>[]) {
          if (row.record && typeof row.hash === 'string') await tx.table('attributionRecords').put(row);
        }
        await tx
          .table('settlements')
          .toCollection()
          .modify((s: Record<string, unknown>) => {
            if (Array.isArray(s.receiptIds) && !Array.isArray(s.feeIds)) s.feeIds = s.receiptIds;
            delete s.receiptIds;
          });
        await tx
          .table('ledgerEntries')
          .toCollection()
          .modify((e: Record<string, unknown>) => {
            if (typeof e.subject !== 'string') e.subject = datanetFeeSubject(String(e.datanetId), Number(e.version));
            if (e.kind === 'attribution') e.kind = 'answer';
            delete e.signature; // payments are signed now, not fees
          });
      });
    this.version(4).stores({ receipts: null });
    // Version 5: chat conversations (they vanished on reload before). A new table: nothing to move. Each record holds
    // its turns (a conversation is read and exported whole); `updatedAt` orders the list.
    this.version(5).stores({ conversations: 'id, updatedAt' });
    // Version 6: stored attribution indexes (a pack's verified `indexes/`, and what the attribution worker builds). A new
    // table: nothing to move.
    this.version(6).stores({ attributionIndexes: 'key, datanetId, [datanetId+version]' });
    // Version 7: ModelFactory's prior preservation (store/trainingRuns). A run's settings gain `priorPrompts` and the
    // run its `prior` (the base model's answers to general questions). Runs stored before trained without it: they
    // get 0 and null, so a resumed one rebuilds exactly the examples it started with (its checkpoint's examples hash
    // agrees). No index changes.
    this.version(7)
      .stores({ trainingRuns: 'id' })
      .upgrade(async (tx) => {
        await tx
          .table('trainingRuns')
          .toCollection()
          .modify((r: Record<string, unknown>) => {
            const settings = r.settings as Record<string, unknown> | undefined;
            if (settings && typeof settings === 'object' && typeof settings.priorPrompts !== 'number') settings.priorPrompts = 0;
            if (r.prior === undefined) r.prior = null;
          });
      });
  }
}

let shared: TributaryDB | undefined;

/** The app's database (one per context: main thread and each worker open their own connection). */
export function getDb(): TributaryDB {
  shared ??= new TributaryDB();
  return shared;
}
