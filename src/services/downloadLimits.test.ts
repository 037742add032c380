/**
 * Downloads against a real local HTTP server (node:http) that sends huge or lying bodies (issue 10):
 * refused with `pack/fetch` at the limit, without buffering the body, and nothing written.
 */
import 'fake-indexeddb/auto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTributaryError } from '../core/errors.ts';
import { writePack } from '../core/pack/writePack.ts';
import { NOW, makeContents } from '../core/pack/packFixture.testkit.ts';
import { TributaryDB } from '../store/db.ts';
import { DataService } from './DataService.ts';
import { MAX_PACK_DOWNLOAD_BYTES } from './download.ts';

let server: Server;
let base = '';
/** bytes each route actually sent before the client hung up */
const sent = new Map<string, number>();
let folder: Map<string, Uint8Array>;

/** Streams `total` bytes (or forever) in 64 KiB chunks, stopping when the client goes away. */
function stream(res: ServerResponse, route: string, total = Infinity): void {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  let n = 0;
  const pump = (): void => {
    while (n < total) {
      const part = total - n < chunk.length ? chunk.subarray(0, total - n) : chunk;
      n += part.length;
      sent.set(route, n);
      if (!res.write(part)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  res.on('close', () => sent.set(route, n));
  pump();
}

beforeAll(async () => {
  folder = writePack(await makeContents({ contributions: 2, chunksEach: 2 }), NOW).files;
  server = createServer((req, res) => {
    const route = req.url ?? '';
    if (route === '/huge-declared.zip') {
      res.writeHead(200, { 'content-length': String(1.5 * 1024 ** 3) });
      stream(res, route);
    } else if (route === '/endless.zip') {
      res.writeHead(200); // chunked, no length
      stream(res, route);
    } else if (route === '/lying-length.zip') {
      res.writeHead(200, { 'content-length': '1000' });
      stream(res, route, 10 * 1024 * 1024);
    } else if (route.startsWith('/folder/')) {
      const path = route.slice('/folder/'.length);
      if (path === 'chunks.jsonl') {
        res.writeHead(200);
        stream(res, route); // endless instead of the listed file
      } else {
        res.writeHead(200);
        res.end(folder.get(path));
      }
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function refused(url: string): Promise<{ code: string; message: string; ms: number; db: TributaryDB }> {
  const db = new TributaryDB(`test-${crypto.randomUUID()}`);
  const svc = new DataService(db, { now: () => NOW, randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)), fetch: globalThis.fetch.bind(globalThis) });
  const t0 = performance.now();
  try {
    await svc.importPackFromUrl(url);
  } catch (e) {
    if (!isTributaryError(e)) throw e;
    return { code: e.code, message: e.message, ms: performance.now() - t0, db };
  }
  throw new Error('expected a refusal');
}

describe('pack downloads against a real HTTP server', () => {
  it('a Content-Length of 1.5 GiB is refused before the body is read', async () => {
    const r = await refused(`${base}/huge-declared.zip`);
    expect(r.code).toBe('pack/fetch');
    expect(r.message).toMatch(/Content-Length/);
    expect(r.ms).toBeLessThan(3000);
    expect(await r.db.datanets.count()).toBe(0);
  });

  it('an endless body without a length is cut at the pack limit, not buffered whole', async () => {
    const r = await refused(`${base}/endless.zip`);
    expect(r.code).toBe('pack/fetch');
    expect(r.message).toMatch(new RegExp(`past ${MAX_PACK_DOWNLOAD_BYTES} bytes`));
    // the server got at most a little more than the limit out before the client hung up
    expect(sent.get('/endless.zip')!).toBeLessThan(MAX_PACK_DOWNLOAD_BYTES + 16 * 1024 * 1024);
  }, 30_000);

  it('a body longer than its Content-Length is refused (cut at the announced length, then not a pack)', async () => {
    const r = await refused(`${base}/lying-length.zip`);
    expect(['pack/fetch', 'pack/corrupt']).toContain(r.code);
    expect(sent.get('/lying-length.zip')!).toBeLessThan(10 * 1024 * 1024 + 1);
  });

  it('a folder pack file served endlessly is cut at the size its manifest lists', async () => {
    const r = await refused(`${base}/folder/manifest.json`);
    expect(r.code).toBe('pack/fetch');
    expect(sent.get('/folder/chunks.jsonl')!).toBeLessThan(8 * 1024 * 1024);
    expect(await r.db.datanets.count()).toBe(0);
  });
});
