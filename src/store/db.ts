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
import type { ClaimRecord, LedgerEntry, SettlementRecord } from '../core/ledger.ts';

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
  receipts!: EntityTable<ReservedRecord, 'id'>;
  /** Settlement ledger (schema version 2): one entry per receipt, see core/ledger. */
  ledgerEntries!: EntityTable<LedgerEntry, 'id'>;
  settlements!: EntityTable<SettlementRecord, 'id'>;
  claims!: EntityTable<ClaimRecord, 'id'>;

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
  }
}

let shared: TributaryDB | undefined;

/** The app's database (one per context: main thread and each worker open their own connection). */
export function getDb(): TributaryDB {
  shared ??= new TributaryDB();
  return shared;
}
