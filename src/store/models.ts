/**
 * Models the user has loaded (the `models` table, reserved in schema version 1 with a plain `id` key), so the Chat
 * page can offer them again, plus the engine's preferences (in the settings table). Model files themselves are
 * cached by the engine (Cache Storage); picked local files are not kept.
 */
import type { EntityTable } from 'dexie';
import type { Hex } from '../core/types.ts';
import type { TributaryDB } from './db.ts';
import { getSetting, setSetting } from './settings.ts';

export type ModelOrigin = { kind: 'demo' } | { kind: 'url'; baseUrl: string; repo?: string; host?: string; revision?: string } | { kind: 'files'; names: string[] };

export interface ModelRecord {
  /** `demo`, `url:<folder URL>` or `files:<config hash>` */
  id: string;
  label: string;
  origin: ModelOrigin;
  architecture: string;
  /** shapes that adapters must fit (services/engine/modelSignature) */
  signature: string;
  parameters: number;
  /** bytes of the weight files */
  fileBytes: number;
  /**
   * SHA-256 of the weight files (core/attribution/weightsHash), what attribution records name the model by; absent in
   * rows stored before it was kept (the next load of the model adds it)
   */
  weightsHash?: Hex;
  generated: boolean;
  lastLoadedAt: number;
}

export function modelsTable(db: TributaryDB): EntityTable<ModelRecord, 'id'> {
  // the table is declared with the reserved record type in db.ts; this module owns its shape
  return db.models as unknown as EntityTable<ModelRecord, 'id'>;
}

/** Models loaded before, most recent first. */
export async function listModels(db: TributaryDB): Promise<ModelRecord[]> {
  const all = await modelsTable(db).toArray();
  return all.sort((a, b) => b.lastLoadedAt - a.lastLoadedAt);
}

export async function putModelRecord(db: TributaryDB, r: ModelRecord): Promise<void> {
  await modelsTable(db).put(r);
}

/** Engine preferences kept across sessions. */
export interface EnginePrefs {
  /** device bytes for resident LoRA adapters */
  adapterBudgetBytes: number;
  /** weight format on the device; 'f16' is stored as f16 on WebGPU only (the CPU backend keeps f32) */
  quant: 'f32' | 'f16' | 'q8' | 'q4';
  /** use the CPU even when WebGPU works */
  forceCpu: boolean;
}

export const ENGINE_PREFS_KEY = 'enginePrefs';
export const DEFAULT_ENGINE_PREFS: EnginePrefs = { adapterBudgetBytes: 16 * 1024 * 1024, quant: 'q8', forceCpu: false };

export async function getEnginePrefs(db: TributaryDB): Promise<EnginePrefs> {
  const v = await getSetting<Partial<EnginePrefs>>(db, ENGINE_PREFS_KEY);
  return { ...DEFAULT_ENGINE_PREFS, ...(v ?? {}) };
}

export async function setEnginePrefs(db: TributaryDB, patch: Partial<EnginePrefs>): Promise<EnginePrefs> {
  const next = { ...(await getEnginePrefs(db)), ...patch };
  await setSetting(db, ENGINE_PREFS_KEY, next);
  return next;
}
