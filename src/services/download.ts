/** Downloads for packs and the demo index, with progress and `pack/fetch` errors. */
import type { ProgressCallback } from '../workerApi/dataApi.ts';
import { TributaryError } from '../core/errors.ts';
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

/**
 * Fetches `url` and reads its body, reporting `downloading` progress in bytes (`total` from
 * Content-Length when present, else 0). Network failures and HTTP errors become `pack/fetch` naming
 * the status and the URL.
 */
export async function download(ctx: ServiceContext, url: string, onProgress?: ProgressCallback): Promise<Uint8Array> {
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
  const total = Number.isFinite(header) && header > 0 ? header : 0;
  onProgress?.({ stage: 'downloading', done: 0, total, subject: url });
  try {
    if (!res.body) {
      const bytes = new Uint8Array(await res.arrayBuffer());
      onProgress?.({ stage: 'downloading', done: bytes.byteLength, total: total || bytes.byteLength, subject: url });
      return bytes;
    }
    const parts: Uint8Array[] = [];
    let done = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done: finished, value } = await reader.read();
      if (finished) break;
      parts.push(value);
      done += value.byteLength;
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
    const detail = e instanceof Error ? e.message : String(e);
    throw new TributaryError('pack/fetch', `The download broke off (${detail}): check your connection, then retry.`, url);
  }
}
