import { mkdtempSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { precompressDir } from './precompress.mjs';
import { cacheControlFor, negotiateEncoding, serveStatic } from './serve.mjs';

describe('negotiateEncoding', () => {
  it('prefers brotli, then gzip, when the browser accepts both equally', () => {
    expect(negotiateEncoding('gzip, deflate, br, zstd', ['br', 'gzip'])).toBe('br');
    expect(negotiateEncoding('gzip, deflate', ['br', 'gzip'])).toBe('gzip');
    expect(negotiateEncoding('br', ['gzip'])).toBeUndefined();
  });

  it('follows q-values: the higher wins, q=0 refuses, * covers what is not named', () => {
    expect(negotiateEncoding('br;q=0.5, gzip;q=0.8', ['br', 'gzip'])).toBe('gzip');
    expect(negotiateEncoding('br;q=0, gzip', ['br', 'gzip'])).toBe('gzip');
    expect(negotiateEncoding('br;q=0, gzip;q=0', ['br', 'gzip'])).toBeUndefined();
    expect(negotiateEncoding('*', ['br', 'gzip'])).toBe('br');
    expect(negotiateEncoding('br;q=0, *;q=0.1', ['br', 'gzip'])).toBe('gzip');
    expect(negotiateEncoding('identity', ['br', 'gzip'])).toBeUndefined();
    expect(negotiateEncoding('x-gzip', ['gzip'])).toBe('gzip');
    expect(negotiateEncoding(' BR ; Q=1 ', ['br'])).toBe('br');
  });

  it('sends the file as it is without a header, with nothing precompressed, or with a malformed q', () => {
    expect(negotiateEncoding(undefined, ['br', 'gzip'])).toBeUndefined();
    expect(negotiateEncoding('', ['br', 'gzip'])).toBeUndefined();
    expect(negotiateEncoding('gzip', [])).toBeUndefined();
    expect(negotiateEncoding('gzip;q=abc', ['gzip'])).toBeUndefined();
    expect(negotiateEncoding(['gzip', 'br'], ['br', 'gzip'])).toBe('br');
  });
});

describe('cacheControlFor', () => {
  it('keeps hashed assets for a year, checks the shell every time, never stores chain.json', () => {
    expect(cacheControlFor('/assets/index-Bmw5aceZ.js')).toBe('public, max-age=31536000, immutable');
    expect(cacheControlFor('/assets/data.worker-D3gRCURh.js')).toBe('public, max-age=31536000, immutable');
    expect(cacheControlFor('/workbox-2178cfdb.js')).toBe('public, max-age=31536000, immutable');
    expect(cacheControlFor('/index.html')).toBe('no-cache');
    expect(cacheControlFor('/sw.js')).toBe('no-cache');
    expect(cacheControlFor('/manifest.webmanifest')).toBe('no-cache');
    expect(cacheControlFor('/chain.json')).toBe('no-store');
    expect(cacheControlFor('/models/tributary-demo/config.json')).toBe('public, max-age=300');
    expect(cacheControlFor('/assets/logo.svg')).toBe('public, max-age=300');
  });
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((ok, fail) => {
    const req = request(url, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}

describe('serveStatic with precompressed files (real requests)', () => {
  const root = mkdtempSync(join(tmpdir(), 'tributary-serve-'));
  const script = `export const words = ${JSON.stringify(Array.from({ length: 400 }, (_, i) => `word${i % 37}`))};\n`;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), `<!doctype html><title>t</title>${'<p>shell</p>'.repeat(200)}`);
    writeFileSync(join(root, 'assets', 'index-Bmw5aceZ.js'), script);
    writeFileSync(join(root, 'assets', 'tiny-Bmw5aceZ.js'), 'export {};\n');
    writeFileSync(join(root, 'icon.png'), Buffer.alloc(4096, 7));
    writeFileSync(join(root, 'chain.json'), JSON.stringify({ chainId: 31337, pad: 'x'.repeat(2000) }));
    const report = await precompressDir(root);
    expect(report.find((r) => r.file.endsWith('index-Bmw5aceZ.js'))).toMatchObject({ br: expect.any(Number), gzip: expect.any(Number) });
    // chain.json is rewritten after the build (as `npm start` does): its precompressed copies are now stale
    writeFileSync(join(root, 'chain.json'), JSON.stringify({ chainId: 31337, fresh: true }));
    const later = new Date(Date.now() + 5000);
    utimesSync(join(root, 'chain.json'), later, later);
    ({ server, url } = await serveStatic({ root, port: 0, crossOriginIsolation: true }));
  });

  afterAll(async () => {
    await new Promise((ok) => server.close(() => ok(undefined)));
    rmSync(root, { recursive: true, force: true });
  });

  it('sends brotli to a browser that accepts it, with the headers a cache and the browser need', async () => {
    const r = await get(`${url}assets/index-Bmw5aceZ.js`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe('br');
    expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(r.headers['vary']).toBe('Accept-Encoding');
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(Number(r.headers['content-length'])).toBe(r.body.length);
    expect(r.body.length).toBeLessThan(Buffer.byteLength(script) / 4);
    expect(brotliDecompressSync(r.body).toString()).toBe(script);
    // cross-origin isolation is kept on compressed answers
    expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(r.headers['cross-origin-embedder-policy']).toBe('credentialless');
  });

  it('sends gzip where brotli is not accepted, and the plain file where nothing is', async () => {
    const gz = await get(`${url}assets/index-Bmw5aceZ.js`, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(script);
    const plain = await get(`${url}assets/index-Bmw5aceZ.js`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['vary']).toBe('Accept-Encoding');
    expect(plain.body.toString()).toBe(script);
    const refused = await get(`${url}assets/index-Bmw5aceZ.js`, { 'accept-encoding': 'br;q=0, gzip;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body.toString()).toBe(script);
  });

  it('compresses the SPA fallback, never a file too small or not compressible, never from a stale copy', async () => {
    const page = await get(`${url}datanets/abc`, { 'accept-encoding': 'br' });
    expect(page.status).toBe(200);
    expect(page.headers['content-encoding']).toBe('br');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(brotliDecompressSync(page.body).toString()).toContain('<p>shell</p>');
    const tiny = await get(`${url}assets/tiny-Bmw5aceZ.js`, { 'accept-encoding': 'br' });
    expect(tiny.headers['content-encoding']).toBeUndefined();
    const png = await get(`${url}icon.png`, { 'accept-encoding': 'br, gzip' });
    expect(png.headers['content-encoding']).toBeUndefined();
    expect(png.headers['vary']).toBeUndefined();
    const chain = await get(`${url}chain.json`, { 'accept-encoding': 'br, gzip' });
    expect(chain.headers['content-encoding']).toBeUndefined();
    expect(chain.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(chain.body.toString())).toEqual({ chainId: 31337, fresh: true });
  });

  it('answers HEAD and a revalidation (If-None-Match) of the same representation without a body', async () => {
    const head = await get(`${url}assets/index-Bmw5aceZ.js`, { 'accept-encoding': 'br' }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-encoding']).toBe('br');
    const etag = String(head.headers['etag']);
    const again = await get(`${url}assets/index-Bmw5aceZ.js`, { 'accept-encoding': 'br', 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    // the gzip representation has its own validator
    const gz = await get(`${url}assets/index-Bmw5aceZ.js`, { 'accept-encoding': 'gzip', 'if-none-match': etag });
    expect(gz.status).toBe(200);
    expect(gz.headers['etag']).not.toBe(etag);
  });

  it('still refuses paths outside the root and answers 404 for a missing asset', async () => {
    expect((await get(`${url}assets/missing.js`, { 'accept-encoding': 'br' })).status).toBe(404);
    // `..` cannot climb above the root: this is the app's own (missing) /etc/passwd route, so the SPA shell
    const climb = await get(`${url}..%2f..%2fetc%2fpasswd`);
    expect(climb.body.toString()).not.toContain('root:');
    expect(climb.body.toString()).toContain('<p>shell</p>');
  });
});
