import type { TributaryDB } from './db.ts';

/**
 * Number of records per table, e.g. `{ datanets: 3, contributions: 120, … }`, for every table of the
 * schema, counted in one read transaction (a consistent snapshot).
 */
export function storageSummary(db: TributaryDB): Promise<Record<string, number>> {
  return db.transaction('r', db.tables, async () => {
    const entries: [string, number][] = [];
    for (const t of db.tables) entries.push([t.name, await t.count()]);
    return Object.fromEntries(entries);
  });
}
