// A small static file server for the built app (dist/), with SPA fallback and correct MIME types.
// Used by `npm start` and by the e2e suite; no dependencies so it runs on a fresh machine.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

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
        } else {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
          return;
        }
      }
      const body = await readFile(file);
      const type = MIME[extname(file)] ?? 'application/octet-stream';
      const noCache = file.endsWith('sw.js') || file.endsWith('index.html') || file.endsWith('.webmanifest');
      res.writeHead(200, {
        'content-type': type,
        'content-length': body.length,
        'cache-control': noCache ? 'no-cache' : 'public, max-age=300',
        'access-control-allow-origin': '*',
        ...(crossOriginIsolation ? CROSS_ORIGIN_ISOLATION_HEADERS : {}),
      });
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
