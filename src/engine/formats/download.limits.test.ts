/** Model/adapter downloads against a real local HTTP server sending huge or endless bodies (issue 10). */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTributaryError } from '../../core/errors.ts';
import { downloadWithResume } from './download.ts';

let server: Server;
let base = '';
const sent = new Map<string, number>();

function stream(res: ServerResponse, route: string): void {
  const chunk = new Uint8Array(64 * 1024);
  let n = 0;
  const pump = (): void => {
    for (;;) {
      n += chunk.length;
      sent.set(route, n);
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  res.on('close', () => sent.set(route, n));
  pump();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const route = req.url ?? '';
    if (route === '/declared-huge') res.writeHead(200, { 'content-length': String(8 * 1024 ** 3) });
    else if (route === '/range-huge') res.writeHead(206, { 'content-range': `bytes 0-99/${8 * 1024 ** 3}` });
    else res.writeHead(200);
    stream(res, route);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function code(url: string, maxBytes?: number): Promise<string> {
  try {
    await downloadWithResume(url, { cache: null, retryDelayMs: 0, maxRetries: 0, ...(maxBytes !== undefined ? { maxBytes } : {}) });
  } catch (e) {
    return isTributaryError(e) ? e.code : `untyped ${String(e)}`;
  }
  return 'accepted';
}

describe('bounded model downloads', () => {
  it('an announced 8 GiB file is refused before its body is read', async () => {
    expect(await code(`${base}/declared-huge`)).toBe('model/size-mismatch');
    expect(sent.get('/declared-huge')!).toBeLessThan(64 * 1024 * 1024);
  });

  it('an 8 GiB total in a Content-Range is refused too', async () => {
    expect(await code(`${base}/range-huge`)).toBe('model/size-mismatch');
  });

  it('an endless body without a length is cancelled at the first byte past maxBytes', async () => {
    expect(await code(`${base}/endless-config.json`, 2 * 1024 * 1024)).toBe('model/size-mismatch');
    expect(sent.get('/endless-config.json')!).toBeLessThan(2 * 1024 * 1024 + 16 * 1024 * 1024);
  });
});
