/** Downloads for packs and the demo index, with progress and `pack/fetch` errors. */
import type { ProgressCallback } from '../workerApi/dataApi.ts';
import { TributaryError } from '../core/errors.ts';
import { PACK_LIMITS } from '../core/pack/types.ts';
import type { ServiceContext } from './context.ts';

/**
 * An absolute URL from `url`, resolved against the page/worker location when there is one. Pass
 * absolute or root-relative URLs from a worker: a relative one would resolve against the worker
 * script's own URL.
 */
export function resolveUrl(url: string, base?: string): URL {
  try {
    return new URL(url, base ?? (globalThis as { location?: { href: string } }).location?.href);
  } catch {
    throw new TributaryError('pack/fetch', 'This is not a valid web address: check it (it should start with https://).', String(url));
  }
}

/** The most a pack download may be: a whole pack archive (64 MiB of files plus the zip's overhead). */
export const MAX_PACK_DOWNLOAD_BYTES = PACK_LIMITS.maxTotalBytes + 4 * 1024 * 1024;

function tooLarge(url: string, maxBytes: number, what: string): TributaryError {
  return new TributaryError('pack/fetch', `The server sends ${what}, more than the ${maxBytes} bytes allowed here: it is not a Datanet pack (or not the file its manifest lists).`, url);
}

/**
 * Fetches `url` and reads its body, reporting `downloading` progress in bytes (`total` from
 * Content-Length when present, else 0). At most `maxBytes` are accepted: a Content-Length above it is
 * refused before the body is read, and the body is counted while it streams and cancelled at the
 * first byte past the limit (a server that lies about, or omits, its length gets no further), so
 * memory stays bounded by `maxBytes`. Network failures, HTTP errors and oversize bodies become
 * `pack/fetch` naming the URL.
 */
export async function download(ctx: ServiceContext, url: string, onProgress?: ProgressCallback, maxBytes: number = MAX_PACK_DOWNLOAD_BYTES): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await ctx.deps.fetch(url);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw new TributaryError('pack/fetch', `Could not download it (${detail}): check the address and your connection, then retry.`, url);
  }
  if (!res.ok) {
    const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    throw new TributaryError('pack/fetch', `The server answered ${status}: check the address, or try again later.`, url);
  }
  const header = Number(res.headers.get('content-length'));
  if (Number.isFinite(header) && header > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge(url, maxBytes, `${header} bytes (its Content-Length)`);
  }
  const total = Number.isFinite(header) && header > 0 ? header : 0;
  // An uncompressed body must not run past its own Content-Length either (a compressed one is
  // decoded by fetch, so its length header counts other bytes).
  const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const limit = total > 0 && !encoded ? Math.min(maxBytes, total) : maxBytes;
  onProgress?.({ stage: 'downloading', done: 0, total, subject: url });
  if (!res.body) {
    // no stream to count (only non-streaming fetch implementations): the body is read whole, then checked
    const bytes = new Uint8Array(await res.arrayBuffer().catch((e: unknown) => {
      throw new TributaryError('pack/fetch', `The download broke off (${e instanceof Error ? e.message : String(e)}): check your connection, then retry.`, url);
    }));
    if (bytes.byteLength > maxBytes) throw tooLarge(url, maxBytes, `${bytes.byteLength} bytes`);
    onProgress?.({ stage: 'downloading', done: bytes.byteLength, total: total || bytes.byteLength, subject: url });
    return bytes;
  }
  const parts: Uint8Array[] = [];
  let done = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done: finished, value } = await reader.read();
      if (finished) break;
      done += value.byteLength;
      if (done > limit) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(url, maxBytes, limit < maxBytes ? `more than the ${total} bytes its Content-Length announced` : `a body that goes past ${maxBytes} bytes`);
      }
      parts.push(value);
      onProgress?.({ stage: 'downloading', done, total, subject: url });
    }
    const bytes = new Uint8Array(done);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.byteLength;
    }
    return bytes;
  } catch (e) {
    if (e instanceof TributaryError) throw e;
    const detail = e instanceof Error ? e.message : String(e);
    throw new TributaryError('pack/fetch', `The download broke off (${detail}): check your connection, then retry.`, url);
  }
}
