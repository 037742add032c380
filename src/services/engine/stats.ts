/**
 * What the engine reports: backend, model, preferences, adapter pool and requests.
 */
import type { EngineStats, PoolInfo } from '../../workerApi/engineApi.ts';
import { getEnginePrefs } from '../../store/models.ts';
import type { EngineContext } from './context.ts';

export async function stats(ctx: EngineContext): Promise<EngineStats> {
  const prefs = await getEnginePrefs(ctx.deps.db);
  const L = ctx.loaded;
  let pool: PoolInfo | null = null;
  if (L) {
    const s = L.pool.stats();
    pool = {
      capacity: s.capacity,
      resident: s.resident,
      pinned: s.pinned,
      slotBytes: s.slotBytes,
      budgetBytes: s.budgetBytes,
      residentBytes: s.residentBytes,
      adapterBytes: s.adapterBytes,
      hits: s.hits,
      misses: s.misses,
      evictions: s.evictions,
      residentIds: L.pool.residentIds(),
      loadingIds: L.pool.loadingIds(),
      evictedIds: L.pool.evictedIds(),
    };
  }
  const sched = L?.scheduler.stats();
  return {
    backend: ctx.chosen?.info ?? null,
    model: L ? { ...L.info, memory: L.model.memory() } : null,
    loading: ctx.loadingCount > 0,
    prefs,
    pool,
    lastSpeed: ctx.lastSpeed,
    requests: { running: sched?.running ?? 0, queued: (sched?.queued ?? 0) + Math.max(0, ctx.jobs.size - ctx.readers) },
  };
}
