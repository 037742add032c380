import { TributaryError } from '../../core/errors.ts';
import type { ByteCache } from './byteCache.ts';
import { bytesRangeReader, type RangeReader } from './safetensors.ts';

export type FetchLike = (input: string, init?: { headers?: Record<string, string>; signal?: AbortSignal }) => Promise<Response>;

export interface DownloadOptions {
  /** default: globalThis.fetch */
  fetch?: FetchLike;
  /** where finished files (and interrupted ones) are kept; null: none */
  cache?: ByteCache | null;
  /** cache key (default: the URL) */
  cacheKey?: string;
  /** the size the file must have (from a manifest) */
  expectedSize?: number;
  /** the SHA-256 (hex) the file must have, e.g. a Git LFS oid */
  sha256?: string;
  /** consecutive failures without progress before giving up (default 5) */
  maxRetries?: number;
  /** first pause between retries, doubled each time (default 500 ms) */
  retryDelayMs?: number;
  signal?: AbortSignal;
  /** bytes received so far, the total when known, and whether they came from the cache */
  onProgress?: (loaded: number, total: number | null, fromCache: boolean) => void;
  /** names the file in errors (default: the URL) */
  name?: string;
  /**
   * The most bytes this file may have (default `DOWNLOAD_LIMITS.maxFileBytes`): an announced size over
   * it is refused before the body is read, and the body is cancelled at the first byte past it.
   */
  maxBytes?: number;
}

/** Upper bounds for downloaded model files; callers pass smaller ones where they know better. */
export const DOWNLOAD_LIMITS = {
  /** A weights shard: a browser cannot hold a larger ArrayBuffer anyway. */
  maxFileBytes: 4 * 1024 ** 3,
  /** config.json, tokenizer.json, adapter_config.json and the like (the largest tokenizer.json is ~35 MB). */
  maxSmallFileBytes: 64 * 1024 ** 2,
  /** adapter_model.safetensors: rank 256 on every module of a 70B-class model stays well under this. */
  maxAdapterBytes: 2 * 1024 ** 3,
} as const;

export interface Downloaded {
  bytes: Uint8Array;
  fromCache: boolean;
  /** HTTP requests made (0 when served from the cache) */
  requests: number;
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.length === length) return chunks[0]!;
  const out = new Uint8Array(length);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Lower-case hex SHA-256 of `bytes` (Web Crypto). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // Web Crypto wants a plain ArrayBuffer; copy (a whole model file, possibly) only when the bytes are not in one
  const input = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : Uint8Array.from(bytes);
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', input));
  let s = '';
  for (const b of d) s += b.toString(16).padStart(2, '0');
  return s;
}

class Retryable extends Error {}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (ms <= 0) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/**
 * Downloads one file with streaming progress. A broken connection is resumed with an HTTP Range
 * request from the last byte received (a server that ignores Range makes it start over); after
 * `maxRetries` failures in a row, or on abort, the bytes received are kept in the cache's partial
 * store so the next call resumes. The result is checked against `expectedSize`/`sha256` and cached.
 */
export async function downloadWithResume(url: string, opts: DownloadOptions = {}): Promise<Downloaded> {
  const name = opts.name ?? url;
  const key = opts.cacheKey ?? url;
  const cache = opts.cache ?? null;
  const fetchFn: FetchLike = opts.fetch ?? ((u, i) => globalThis.fetch(u, i));
  const maxBytes = opts.maxBytes ?? DOWNLOAD_LIMITS.maxFileBytes;
  const maxRetries = opts.maxRetries ?? 5;
  const baseDelay = opts.retryDelayMs ?? 500;
  const signal = opts.signal;

  const verify = async (bytes: Uint8Array): Promise<void> => {
    if (opts.expectedSize !== undefined && bytes.length !== opts.expectedSize) {
      throw new TributaryError('model/size-mismatch', `received ${bytes.length} bytes but the source says the file has ${opts.expectedSize}. Try again; if it persists the source is inconsistent.`, name);
    }
    if (opts.sha256) {
      const got = await sha256Hex(bytes);
      if (got !== opts.sha256.toLowerCase()) {
        throw new TributaryError('model/hash-mismatch', `the SHA-256 of the download (${got}) differs from the expected ${opts.sha256.toLowerCase()}; the file is corrupt or was changed.`, name);
      }
    }
  };

  if (cache) {
    const hit = await cache.get(key);
    if (hit) {
      try {
        await verify(hit);
        opts.onProgress?.(hit.length, hit.length, true);
        return { bytes: hit, fromCache: true, requests: 0 };
      } catch {
        await cache.delete(key); // stale or corrupt cache entry: fetch again
      }
    }
  }

  // a file of known size is written into one buffer as it arrives (a body in one piece is kept as it is): no second
  // whole copy of a large file when it completes
  let size: number | null = null;
  let buf: Uint8Array | null = null;
  let chunks: Uint8Array[] = [];
  let loaded = 0;
  const received = (): Uint8Array => (buf ? buf.subarray(0, loaded) : concat(chunks, loaded));
  const append = (c: Uint8Array): void => {
    if (!buf && size !== null && !(loaded === 0 && c.length === size) && loaded + c.length <= size) {
      const b = new Uint8Array(size);
      b.set(received());
      buf = b;
      chunks = [];
    }
    if (buf && loaded + c.length <= buf.length) buf.set(c, loaded);
    else {
      if (buf) chunks = [buf.subarray(0, loaded)];
      buf = null;
      chunks.push(c);
    }
    loaded += c.length;
  };
  const expectSize = (n: number): void => {
    if (size === n) return;
    size = n;
    // a buffer sized for another total is given up (its bytes kept as a chunk)
    if (buf) chunks = [buf.subarray(0, loaded)];
    buf = null;
  };
  let total: number | null = opts.expectedSize ?? null;
  const partial = cache ? await cache.getPartial(key) : null;
  if (partial && partial.length > 0 && (total === null || partial.length <= total)) {
    chunks = [partial];
    loaded = partial.length;
  }
  const restart = (): void => {
    chunks = [];
    loaded = 0; // a preallocated buffer is kept: it is overwritten from the start
  };
  const savePartial = async (): Promise<void> => {
    if (cache && loaded > 0) await cache.putPartial(key, received()).catch(() => undefined);
  };
  const aborted = async (): Promise<never> => {
    await savePartial();
    throw new TributaryError('model/aborted', `the download was stopped after ${loaded} bytes; starting it again resumes from there.`, name);
  };

  let failures = 0;
  let requests = 0;
  let lastError = '';
  for (;;) {
    if (signal?.aborted) await aborted();
    const before = loaded;
    try {
      if (total !== null && loaded === total && loaded > 0) break;
      const headers: Record<string, string> = {};
      if (loaded > 0) headers['Range'] = `bytes=${loaded}-`;
      let res: Response;
      requests++;
      try {
        res = await fetchFn(url, { headers, ...(signal ? { signal } : {}) });
      } catch (e) {
        throw new Retryable(`the request failed (${(e as Error).message})`);
      }
      if (res.status === 404 || res.status === 410) {
        await res.body?.cancel().catch(() => undefined);
        throw new TributaryError('model/missing-file', `the source has no such file (HTTP ${res.status}).`, name);
      }
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel().catch(() => undefined);
        throw new TributaryError('model/fetch', `access was refused (HTTP ${res.status}); the model may be gated or private: sign in on the host and accept its licence, or pick the files by hand.`, name);
      }
      if (res.status === 416 && loaded > 0) {
        await res.body?.cancel().catch(() => undefined);
        const m = /\/(\d+)\s*$/.exec(res.headers.get('content-range') ?? '');
        if (m && Number(m[1]) === loaded) {
          total = loaded;
          break;
        }
        restart();
        throw new Retryable('the server refused the resume range');
      }
      if (res.status === 206) {
        const m = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec((res.headers.get('content-range') ?? '').trim());
        if (!m || Number(m[1]) !== loaded) {
          await res.body?.cancel().catch(() => undefined);
          restart();
          throw new Retryable('the server answered a different range than asked');
        }
        if (m[3] !== '*') total = Number(m[3]);
      } else if (res.status === 200) {
        if (loaded > 0) restart(); // the server ignored Range: start over
        const enc = res.headers.get('content-encoding');
        const len = res.headers.get('content-length');
        if (len !== null && (!enc || enc === 'identity') && /^\d+$/.test(len)) {
          const n = Number(len);
          if (opts.expectedSize !== undefined && n !== opts.expectedSize) {
            await res.body?.cancel().catch(() => undefined);
            throw new TributaryError('model/size-mismatch', `the server announces ${n} bytes but the source says the file has ${opts.expectedSize}.`, name);
          }
          total = n;
        }
      } else {
        await res.body?.cancel().catch(() => undefined);
        throw new Retryable(`HTTP ${res.status} ${res.statusText}`);
      }
      if (total !== null && total > maxBytes) {
        await res.body?.cancel().catch(() => undefined);
        throw new TributaryError('model/size-mismatch', `the server announces ${total} bytes, more than the ${maxBytes} bytes accepted for this file.`, name);
      }
      if (total !== null) expectSize(total);
      opts.onProgress?.(loaded, total, false);
      if (!res.body) throw new Retryable('the response has no body');
      const reader = res.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (value && value.length > 0) {
            if (loaded + value.length > maxBytes) {
              await reader.cancel().catch(() => undefined);
              throw new TributaryError('model/size-mismatch', `the server sent more than the ${maxBytes} bytes accepted for this file; the download was stopped there.`, name);
            }
            if (total !== null && loaded + value.length > total) {
              await reader.cancel().catch(() => undefined);
              throw new TributaryError('model/size-mismatch', `received more bytes (${loaded + value.length}) than the file's announced size (${total}).`, name);
            }
            append(value);
            opts.onProgress?.(loaded, total, false);
          }
        }
      } catch (e) {
        if (e instanceof TributaryError) throw e;
        throw new Retryable(`the connection broke after ${loaded} bytes (${(e as Error).message})`);
      }
      if (total !== null && loaded < total) throw new Retryable(`the connection closed after ${loaded} of ${total} bytes`);
      break;
    } catch (e) {
      if (signal?.aborted) await aborted();
      if (!(e instanceof Retryable)) {
        if (e instanceof TributaryError && e.code === 'model/size-mismatch') {
          await cache?.deletePartial(key).catch(() => undefined);
        }
        throw e;
      }
      lastError = e.message;
      failures = loaded > before ? 1 : failures + 1;
      if (failures > maxRetries) {
        await savePartial();
        throw new TributaryError(
          'model/fetch',
          `the download failed ${failures} times in a row (${lastError}). Check the connection and try again: it resumes from the ${loaded} bytes already received.`,
          name,
        );
      }
      await sleep(baseDelay * 2 ** (failures - 1), signal);
    }
  }

  const bytes = received();
  try {
    await verify(bytes);
  } catch (e) {
    await cache?.deletePartial(key).catch(() => undefined);
    throw e;
  }
  if (cache) {
    await cache.put(key, bytes).catch(() => undefined); // a full quota must not lose the download
    await cache.deletePartial(key).catch(() => undefined);
  }
  opts.onProgress?.(bytes.length, bytes.length, false);
  return { bytes, fromCache: false, requests };
}

export interface DownloadedReader {
  /** the file by byte range: from the cache when it can read it back, else over the downloaded bytes */
  reader: RangeReader;
  fromCache: boolean;
  requests: number;
}

/**
 * `downloadWithResume` for a large file read by range afterwards (model weights): once the file is in a cache that
 * can read it back by range, its bytes are not kept in memory. A cached file with no SHA-256 to check is opened
 * without reading it whole; with a SHA-256 it is read once to check it, then let go.
 */
export async function downloadToReader(url: string, opts: DownloadOptions = {}): Promise<DownloadedReader> {
  const cache = opts.cache ?? null;
  const key = opts.cacheKey ?? url;
  const cachedReader = async (): Promise<RangeReader | null> => (cache?.reader ? await cache.reader(key).catch(() => null) : null);
  if (!opts.sha256) {
    const hit = await cachedReader();
    // a size that differs from the expected one falls through: downloadWithResume drops that entry and fetches again
    if (hit && (opts.expectedSize === undefined || hit.size === opts.expectedSize)) {
      opts.onProgress?.(hit.size, hit.size, true);
      return { reader: hit, fromCache: true, requests: 0 };
    }
  }
  const d = await downloadWithResume(url, opts);
  const r = await cachedReader();
  if (r && r.size === d.bytes.length) return { reader: r, fromCache: d.fromCache, requests: d.requests };
  return { reader: bytesRangeReader(d.bytes), fromCache: d.fromCache, requests: d.requests };
}
