// A small static file server for the built app (dist/), with SPA fallback and correct MIME types.
// Used by `npm start` and by the e2e suite; no dependencies so it runs on a fresh machine.
// Compression: the build writes `<file>.br` and `<file>.gz` beside each compressible file (scripts/precompress.mjs);
// this server sends the one the browser accepts (`Accept-Encoding`), so nothing is compressed per request.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, relative, resolve, sep } from 'node:path';
import { isCompressible } from './precompress.mjs';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.zip': 'application/zip',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wgsl': 'text/plain; charset=utf-8',
};

/**
 * Cross-origin isolation (docs/CPU-ENGINE.md): COOP same-origin + COEP credentialless make `crossOriginIsolated` true,
 * which gives the page SharedArrayBuffer and so the CPU engine its WebAssembly threads. `credentialless` (not
 * `require-corp`) keeps cross-origin images and other no-cors loads working without CORP headers (they are fetched
 * without cookies); CORS fetches (model downloads) work either way. What it costs: cross-origin popups lose
 * `window.opener` (wallets that connect through a popup) and cross-origin iframes must opt in (WalletConnect's verify
 * iframe). `TRIBUTARY_CROSS_ORIGIN_ISOLATION=off` (or `crossOriginIsolation: false`) serves without them: one CPU thread.
 */
export const CROSS_ORIGIN_ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'credentialless',
  'cross-origin-resource-policy': 'cross-origin',
};

/** Encodings the build writes beside a file, with their file suffix, best first when the browser likes both equally. */
const ENCODINGS = /** @type {const} */ ([
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
]);

/**
 * Which of the `available` encodings to send for an `Accept-Encoding` header (RFC 9110 §12.5.3): the one with the
 * highest q-value, brotli before gzip at equal q; `*` stands for any encoding not named; q=0 refuses. Undefined:
 * send the file as it is (no header, nothing acceptable, or nothing available).
 * @param {string | string[] | undefined} acceptEncoding
 * @param {ReadonlyArray<'br' | 'gzip'>} available
 * @returns {'br' | 'gzip' | undefined}
 */
export function negotiateEncoding(acceptEncoding, available) {
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : acceptEncoding;
  if (!header || available.length === 0) return undefined;
  /** @type {Map<string, number>} */
  const q = new Map();
  for (const part of header.split(',')) {
    const [token, ...params] = part.trim().split(';');
    const name = token?.trim().toLowerCase();
    if (!name) continue;
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q\s*=(.*)$/i.exec(p);
      // a q-value that is not a number from 0 to 1 (RFC 9110 §12.4.2) is taken as a refusal, not as q=1
      if (m) weight = /^\s*(0(\.\d{0,3})?|1(\.0{0,3})?)\s*$/.test(m[1] ?? '') ? Number(m[1]) : 0;
    }
    // `x-gzip` is an alias of gzip (RFC 9110 §8.4.1.3)
    const key = name === 'x-gzip' ? 'gzip' : name;
    q.set(key, Math.max(q.get(key) ?? 0, weight));
  }
  let best;
  let bestQ = 0;
  for (const { name } of ENCODINGS) {
    if (!available.includes(name)) continue;
    const weight = q.has(name) ? (q.get(name) ?? 0) : (q.get('*') ?? 0);
    if (weight > bestQ) {
      best = name;
      bestQ = weight;
    }
  }
  return best;
}

/**
 * How long a browser may keep a file: assets with a content hash in their name (Vite's `assets/name-HASH.ext`,
 * workbox-HASH.js) never change, so a year and `immutable`; the service worker, the HTML, the manifest and
 * chain.json must be checked every time (a new build or a new `npm start` changes them under the same name);
 * anything else (icons, demo packs, model files) for 5 minutes.
 * @param {string} urlPath the request's path, e.g. `/assets/index-AbC123.js`
 */
export function cacheControlFor(urlPath) {
  const name = urlPath.slice(urlPath.lastIndexOf('/') + 1);
  if (name === 'chain.json') return 'no-store';
  if (name === 'sw.js' || name === 'registerSW.js' || name.endsWith('.html') || name.endsWith('.webmanifest')) return 'no-cache';
  if ((urlPath.startsWith('/assets/') && /-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(name)) || /^workbox-[0-9a-f]{8}\.js$/.test(name)) {
    return 'public, max-age=31536000, immutable';
  }
  return 'public, max-age=300';
}

/**
 * The precompressed sibling of `file` to send for `acceptEncoding`, if any: it must exist and be no older than the
 * file (a file rewritten after the build, like chain.json, is never served from a stale copy).
 * @param {string} file
 * @param {import('node:fs').Stats} info
 * @param {string | string[] | undefined} acceptEncoding
 * @returns {Promise<{ encoding: 'br' | 'gzip'; file: string; info: import('node:fs').Stats } | undefined>}
 */
async function precompressedFor(file, info, acceptEncoding) {
  if (!acceptEncoding) return undefined;
  /** @type {Map<'br' | 'gzip', { file: string; info: import('node:fs').Stats }>} */
  const found = new Map();
  for (const { name, suffix } of ENCODINGS) {
    const s = await stat(file + suffix).catch(() => undefined);
    if (s?.isFile() && s.mtimeMs >= info.mtimeMs) found.set(name, { file: file + suffix, info: s });
  }
  const encoding = negotiateEncoding(acceptEncoding, [...found.keys()]);
  const hit = encoding && found.get(encoding);
  return encoding && hit ? { encoding, ...hit } : undefined;
}

/**
 * Serve `root` on `host:port` (port 0 = any free port). Resolves with the server and its URL.
 * @param {{ root: string; host?: string; port?: number; crossOriginIsolation?: boolean }} opts
 */
export async function serveStatic({ root, host = '127.0.0.1', port = 0, crossOriginIsolation = process.env.TRIBUTARY_CROSS_ORIGIN_ISOLATION !== 'off' }) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://x');
      let path = normalize(decodeURIComponent(url.pathname));
      if (path.includes('\0')) throw new Error('bad path');
      let file = join(base, path);
      if (!file.startsWith(base)) {
        res.writeHead(403).end('forbidden');
        return;
      }
      let info = await stat(file).catch(() => undefined);
      if (info?.isDirectory()) {
        file = join(file, 'index.html');
        info = await stat(file).catch(() => undefined);
      }
      if (!info) {
        // SPA fallback for client-side routes; real 404 for missing assets.
        if (extname(path) === '') {
          file = join(base, 'index.html');
          path = '/index.html';
          info = await stat(file);
        } else {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
          return;
        }
      }
      const type = MIME[extname(file)] ?? 'application/octet-stream';
      const compressible = isCompressible(file);
      const encoded = compressible ? await precompressedFor(file, info, req.headers['accept-encoding']) : undefined;
      const sent = encoded ?? { file, info };
      // a validator per representation: the compressed and the plain bytes differ
      const etag = `W/"${sent.info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}${encoded ? `-${encoded.encoding}` : ''}"`;
      const headers = {
        'content-type': type,
        'cache-control': cacheControlFor(`/${relative(base, file).split(sep).join('/')}`),
        etag,
        'last-modified': info.mtime.toUTCString(),
        'access-control-allow-origin': '*',
        ...(compressible ? { vary: 'Accept-Encoding' } : {}),
        ...(encoded ? { 'content-encoding': encoded.encoding } : {}),
        ...(crossOriginIsolation ? CROSS_ORIGIN_ISOLATION_HEADERS : {}),
      };
      const ifNoneMatch = req.headers['if-none-match'];
      if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
        res.writeHead(304, headers).end();
        return;
      }
      const body = await readFile(sent.file);
      res.writeHead(200, { ...headers, 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok(undefined));
  });
  const addr = server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  return { server, url: `http://${host}:${actualPort}/` };
}
