import type { TributaryDB } from './db.ts';

/** Setting keys in use. Values are structured-clonable. */
export const SETTING_KEYS = {
  /** `true` once the bundled demo packs were imported (services/demo). */
  demoDataLoaded: 'demoDataLoaded',
  /** The address the UI acts as. */
  activeIdentity: 'activeIdentity',
} as const;

/**
 * Key under which the owner's signature of a Datanet whose owner's key is not here (imported, or owned
 * by a wallet) is kept (`Hex`), so that the Datanet can be exported as a pack without that key.
 */
export const datanetSignatureKey = (datanetId: string): string => `datanetSignature:${datanetId}`;
/** The owner's signature publishing version `version` (core/signing `signVersion`), kept for re-export. */
export const versionSignatureKey = (datanetId: string, version: number): string => `versionSignature:${datanetId}:${version}`;

export async function getSetting<T = unknown>(db: TributaryDB, key: string): Promise<T | undefined> {
  const row = await db.settings.get(key);
  return row?.value as T | undefined;
}

export async function setSetting(db: TributaryDB, key: string, value: unknown): Promise<void> {
  await db.settings.put({ key, value });
}
