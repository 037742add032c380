/**
 * The bundled demo model (`public/models/tributary-demo/`, trained by `npm run train:demo` (scripts/train-demo.ts), committed): its `demo.json`
 * says what it is (trained or generated, and what it can do), lists every file with size and SHA-256 (so a cached copy of an older
 * build is refetched), and names the demo adapters to install on first start.
 */
import { TributaryError } from '../../core/errors.ts';
import type { ByteCache } from '../../engine/formats/byteCache.ts';
import type { FetchLike } from '../../engine/formats/download.ts';
import type { ManifestEntry } from '../../engine/formats/modelSource.ts';

export const DEMO_MODEL_ID = 'tributary-demo';
export const DEMO_MODEL_PATH = 'models/tributary-demo/';

export interface DemoAdapterEntry {
  dir: string;
  id: string;
  name: string;
  datanets: string[];
  owner: string | null;
}

export interface DemoManifest {
  id: string;
  name: string;
  generated: boolean;
  notice: string;
  systemPrompt: string | null;
  files: ManifestEntry[];
  adapters: DemoAdapterEntry[];
}

function bad(m: string): TributaryError {
  return new TributaryError('model/config', `${m} Rebuild the app (npm run build) to regenerate the demo model.`, 'demo.json');
}

export function parseDemoManifest(text: string): DemoManifest {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw bad(`It is not JSON (${(e as Error).message}).`);
  }
  const o = j as Partial<DemoManifest> | null;
  if (!o || typeof o !== 'object' || typeof o.id !== 'string' || !Array.isArray(o.files) || !Array.isArray(o.adapters)) throw bad('It lacks id, files or adapters.');
  for (const f of o.files) if (typeof f?.path !== 'string') throw bad('A file entry has no path.');
  for (const a of o.adapters) if (typeof a?.dir !== 'string' || typeof a.id !== 'string') throw bad('An adapter entry has no dir or id.');
  return {
    id: o.id,
    name: typeof o.name === 'string' ? o.name : o.id,
    generated: o.generated === true,
    notice: typeof o.notice === 'string' ? o.notice : '',
    systemPrompt: typeof o.systemPrompt === 'string' ? o.systemPrompt : null,
    files: o.files,
    adapters: o.adapters,
  };
}

/**
 * Reads `demo.json` from the network (never a cached copy: it decides which cached files are stale), keeping the
 * answer in `cache` so an offline start still finds it.
 */
export async function fetchDemoManifest(baseUrl: string, fetchFn: FetchLike, cache: ByteCache | null): Promise<DemoManifest> {
  const url = baseUrl + 'demo.json';
  let text: string | null = null;
  let netError = '';
  try {
    const res = await fetchFn(url + `?t=${Date.now()}`);
    if (res.ok) {
      const bytes = new Uint8Array(await res.arrayBuffer());
      text = new TextDecoder().decode(bytes);
      await cache?.put(url, bytes).catch(() => undefined);
    } else netError = `HTTP ${res.status}`;
  } catch (e) {
    netError = (e as Error).message;
  }
  if (text === null) {
    const hit = await cache?.get(url).catch(() => null);
    if (!hit) {
      throw new TributaryError('model/fetch', `The bundled demo model could not be read (${netError}) and no copy is cached. Connect once and reload.`, 'demo.json');
    }
    text = new TextDecoder().decode(hit);
  }
  return parseDemoManifest(text);
}
