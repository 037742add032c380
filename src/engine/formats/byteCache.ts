import { TributaryError } from '../../core/errors.ts';
import { bytesRangeReader, type RangeReader } from './safetensors.ts';

/**
 * Where downloaded model files live for offline use: complete files, plus the bytes already received
 * of an interrupted download (so a reload resumes instead of starting over).
 */
export interface ByteCache {
  get(key: string): Promise<Uint8Array | null>;
  /**
   * A complete file read back by byte range, without loading it whole into memory (null when absent). Optional: a
   * loader that has it lets go of a downloaded file's bytes once they are cached and reads tensors from here.
   */
  reader?(key: string): Promise<RangeReader | null>;
  put(key: string, bytes: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  getPartial(key: string): Promise<Uint8Array | null>;
  putPartial(key: string, bytes: Uint8Array): Promise<void>;
  deletePartial(key: string): Promise<void>;
}

/** A cache in memory (tests, Node, or a session without storage). */
export function memoryByteCache(): Required<ByteCache> & { readonly entries: Map<string, Uint8Array>; readonly partials: Map<string, Uint8Array> } {
  const entries = new Map<string, Uint8Array>();
  const partials = new Map<string, Uint8Array>();
  return {
    entries,
    partials,
    get: (k) => Promise.resolve(entries.get(k) ?? null),
    reader: (k) => {
      const b = entries.get(k);
      return Promise.resolve(b ? bytesRangeReader(b) : null);
    },
    put: (k, b) => {
      entries.set(k, b);
      return Promise.resolve();
    },
    delete: (k) => {
      entries.delete(k);
      return Promise.resolve();
    },
    getPartial: (k) => Promise.resolve(partials.get(k) ?? null),
    putPartial: (k, b) => {
      partials.set(k, b);
      return Promise.resolve();
    },
    deletePartial: (k) => {
      partials.delete(k);
      return Promise.resolve();
    },
  };
}

const PARTIAL = 'tributary-partial=1';

/** The request URL under which a key is stored (Cache Storage keys are URLs). */
function keyUrl(key: string, partial: boolean): string {
  const base = /^https?:\/\//.test(key) ? key : `https://tributary.invalid/cache/${encodeURIComponent(key)}`;
  if (!partial) return base;
  return base + (base.includes('?') ? '&' : '?') + PARTIAL;
}

/**
 * A cache in the browser's Cache Storage (available in windows and workers, persisted with the
 * origin's storage; ask `navigator.storage.persist()` to keep it from eviction).
 */
export function cacheStorageByteCache(storage: CacheStorage, cacheName = 'tributary-models'): ByteCache {
  const open = (): Promise<Cache> => storage.open(cacheName);
  const read = async (url: string): Promise<Uint8Array | null> => {
    const res = await (await open()).match(url);
    return res ? new Uint8Array(await res.arrayBuffer()) : null;
  };
  const rangeReader = async (url: string): Promise<RangeReader | null> => {
    const res = await (await open()).match(url);
    if (!res) return null;
    // the blob of a cached response stays on disk (Chrome backs it by the cache entry): slices read only their range
    const blob = await res.blob();
    return {
      size: blob.size,
      read: async (start, end) => {
        try {
          return new Uint8Array(await blob.slice(start, end).arrayBuffer());
        } catch (e) {
          throw new TributaryError(
            'model/fetch',
            `the cached copy of this file can no longer be read (${(e as Error).message}); the browser's storage may have been cleared. Load the model again to download it.`,
            url,
          );
        }
      },
    };
  };
  const write = async (url: string, bytes: Uint8Array): Promise<void> => {
    // a Response body must be backed by a plain ArrayBuffer; copy only when it is not (e.g. shared memory)
    const body = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : Uint8Array.from(bytes);
    await (await open()).put(url, new Response(body, { headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) } }));
  };
  const del = async (url: string): Promise<void> => {
    await (await open()).delete(url);
  };
  return {
    get: (k) => read(keyUrl(k, false)),
    reader: (k) => rangeReader(keyUrl(k, false)),
    put: (k, b) => write(keyUrl(k, false), b),
    delete: (k) => del(keyUrl(k, false)),
    getPartial: (k) => read(keyUrl(k, true)),
    putPartial: (k, b) => write(keyUrl(k, true), b),
    deletePartial: (k) => del(keyUrl(k, true)),
  };
}

/** Cache Storage when this environment has it, else null (no caching). */
export function defaultByteCache(): ByteCache | null {
  const cs = (globalThis as { caches?: CacheStorage }).caches;
  return cs ? cacheStorageByteCache(cs) : null;
}
