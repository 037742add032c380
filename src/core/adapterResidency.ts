/**
 * Where an installed adapter is with respect to the device's adapter slots, told from the pool's lists.
 */

/** The pool's lists (engine stats); `undefined` / `null` when no model (so no pool) is loaded. */
export interface PoolLists {
  readonly residentIds: readonly string[];
  readonly loadingIds: readonly string[];
  readonly evictedIds: readonly string[];
}

/**
 * - `loaded`: in a device slot now; `loading`: being uploaded into one;
 * - `evicted`: was loaded, then its slot went to another adapter (it loads again when next used);
 * - `not-loaded`: never loaded since the model was (it loads when first used);
 * - `no-model`: no model is loaded, so no adapter can be.
 */
export type AdapterResidency = 'loaded' | 'loading' | 'evicted' | 'not-loaded' | 'no-model';

export function adapterResidency(id: string, pool: PoolLists | null | undefined): AdapterResidency {
  if (!pool) return 'no-model';
  if (pool.residentIds.includes(id)) return 'loaded';
  if (pool.loadingIds.includes(id)) return 'loading';
  if (pool.evictedIds.includes(id)) return 'evicted';
  return 'not-loaded';
}

/** What each state is called on screen, and what it means (for a tooltip or a hint). */
export const RESIDENCY_TEXT: Record<AdapterResidency, { label: string; explain: string }> = {
  loaded: { label: 'Loaded', explain: 'In a device slot now: answers with it start at once.' },
  loading: { label: 'Loading…', explain: 'Being uploaded into a device slot.' },
  evicted: { label: 'Evicted', explain: 'Was loaded; its slot went to another adapter. It loads again when next used.' },
  'not-loaded': { label: 'Not loaded yet', explain: 'Not used since the model was loaded; it loads into a slot when first used.' },
  'no-model': { label: 'No model loaded', explain: 'Load a model to use adapters.' },
};
