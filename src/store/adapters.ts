/**
 * Installed LoRA adapters (the `adapters` table, reserved in schema version 1 with a plain `id` key). One record per
 * adapter: its metadata (what the Adapters page lists) and its PEFT files — `adapter_config.json` as text and
 * `adapter_model.safetensors` as a Blob (IndexedDB keeps Blobs out of line, so listing adapters does not read their
 * weights). The engine worker writes; the UI reads for display.
 *
 * An adapter fits every base model with the same shapes (`modelSignature`, see services/engine/modelSignature).
 */
import type { EntityTable } from 'dexie';
import type { AdapterMeta, AdapterTraining } from '../core/adapter.ts';
import type { Hex } from '../core/types.ts';
import type { TributaryDB } from './db.ts';

export type AdapterOrigin = 'demo' | 'files' | 'url' | 'merge' | 'training';

/** An adapter's metadata (shared with the engine's registry, `core/adapter`) plus where it came from and its files. */
export interface AdapterRecord extends AdapterMeta {
  /** shapes of the base models it fits */
  modelSignature: string;
  origin: AdapterOrigin;
  /** file names, URL, or the adapters and weights it was merged from */
  originDetail: string;
  installedAt: number;
  /** `adapter_config.json` */
  config: string;
  /** `adapter_model.safetensors` */
  weights: Blob;
  /** how it was trained, for adapters made in ModelFactory */
  training?: AdapterTraining;
  /**
   * ModelFactory's training log files (`training_log.json`: the contribution and passage of every example;
   * `training_log.safetensors`: projected per-example gradients), exported with the adapter
   */
  trainingFiles?: Record<string, Blob>;
}

/** What the lists show: a record without its files. */
export type AdapterSummary = Omit<AdapterRecord, 'config' | 'weights' | 'trainingFiles'>;

export function adaptersTable(db: TributaryDB): EntityTable<AdapterRecord, 'id'> {
  // the table is declared with the reserved record type in db.ts; this module owns its shape
  return db.adapters as unknown as EntityTable<AdapterRecord, 'id'>;
}

const summary = (r: AdapterRecord): AdapterSummary => {
  const { config: _c, weights: _w, trainingFiles: _l, ...rest } = r;
  return rest;
};

/** Every installed adapter, oldest first (optionally only those fitting a model signature). */
export async function listAdapters(db: TributaryDB, modelSignature?: string): Promise<AdapterSummary[]> {
  const all = await adaptersTable(db).toArray();
  return all
    .filter((r) => modelSignature === undefined || r.modelSignature === modelSignature)
    .sort((a, b) => a.installedAt - b.installedAt || (a.name < b.name ? -1 : 1))
    .map(summary);
}

export function getAdapterRecord(db: TributaryDB, id: string): Promise<AdapterRecord | undefined> {
  return adaptersTable(db).get(id as Hex);
}

export async function putAdapterRecord(db: TributaryDB, record: AdapterRecord): Promise<void> {
  await adaptersTable(db).put(record);
}

export async function deleteAdapterRecord(db: TributaryDB, id: string): Promise<void> {
  await adaptersTable(db).delete(id as Hex);
}
