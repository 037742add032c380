/**
 * Demo data: on first start the app imports the packs listed in `<baseUrl>demo/index.json`
 * (`{ packs: [{ file, datanetId }] }`, `file` relative to that index). Packs whose Datanet already exists
 * are skipped; once all are in, the setting `demoDataLoaded` is set and later calls return 0 without
 * fetching anything (so a second start, or an offline one, costs nothing).
 */
import type { ProgressCallback } from '../workerApi/dataApi.ts';
import { TributaryError } from '../core/errors.ts';
import { getSetting, setSetting, SETTING_KEYS } from '../store/settings.ts';
import type { ServiceContext } from './context.ts';
import { download, resolveUrl } from './download.ts';
import { importPackFromUrl } from './packs.ts';

export interface DemoIndex {
  packs: { file: string; datanetId: string }[];
}

function parseIndex(bytes: Uint8Array, url: string): DemoIndex {
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new TributaryError('pack/manifest', 'The demo index is not valid JSON.', url);
  }
  const packs = (data as { packs?: unknown } | null)?.packs;
  if (
    !Array.isArray(packs) ||
    !packs.every((p: unknown) => typeof p === 'object' && p !== null && typeof (p as DemoIndex['packs'][number]).file === 'string' && typeof (p as DemoIndex['packs'][number]).datanetId === 'string')
  ) {
    throw new TributaryError('pack/manifest', 'The demo index must look like { "packs": [{ "file": "…", "datanetId": "…" }] }.', url);
  }
  return { packs: packs as DemoIndex['packs'] };
}

/** Imports the bundled demo packs not present yet; returns how many Datanets were added. */
export async function ensureDemoData(ctx: ServiceContext, baseUrl: string, onProgress?: ProgressCallback): Promise<number> {
  if (await getSetting(ctx.db, SETTING_KEYS.demoDataLoaded)) return 0;
  const indexUrl = resolveUrl(`${baseUrl}demo/index.json`).href;
  const index = parseIndex(await download(ctx, indexUrl), indexUrl);
  let imported = 0;
  for (const entry of index.packs) {
    if (await ctx.db.datanets.get(entry.datanetId)) continue;
    await importPackFromUrl(ctx, resolveUrl(entry.file, indexUrl).href, onProgress);
    imported++;
  }
  await setSetting(ctx.db, SETTING_KEYS.demoDataLoaded, true);
  return imported;
}
