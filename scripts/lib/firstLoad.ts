/**
 * What the first load of a page of the built app costs, measured in a real browser: a fresh headless Chromium
 * profile (playwright-core + /usr/bin/chromium) opens the page as a new visitor would, and the JavaScript it fetched
 * is read from the browser's own Resource Timing (the page's, and each worker's), not guessed from the module graph.
 * Sizes are those of the files the server sends (dist/<file>, its .gz and .br), so they do not depend on which
 * encoding this Chromium asks for. Used by `npm run bench -- size` and by tests/e2e/firstLoad.e2e.ts.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { chromium, type Page, type Worker } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The goal of issue 13: the main thread's JavaScript on first load, gzipped, under 150 KB. */
export const INITIAL_MAIN_JS_GZIP_GOAL = 150 * 1024;

export interface FileSizes {
  raw: number;
  gzip: number;
  brotli: number;
}

/** Sizes of `dist/<file>` as served: the precompressed copies when the build wrote them, else compressed here. */
export function servedSizes(dist: string, file: string): FileSizes {
  const path = join(dist, file);
  const raw = statSync(path).size;
  const sized = (suffix: string, make: () => number): number => (existsSync(path + suffix) ? statSync(path + suffix).size : make());
  let body: Buffer | undefined;
  const read = (): Buffer => (body ??= readFileSync(path));
  return {
    raw,
    gzip: sized('.gz', () => gzipSync(read(), { level: 9 }).length),
    brotli: sized('.br', () => brotliCompressSync(read(), { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length),
  };
}

export interface LoadedScript extends FileSizes {
  /** Path under dist/, e.g. `assets/index-AbC.js`. */
  file: string;
  /** Bytes that crossed the network for it (Resource Timing `encodedBodySize`; 0 when it came from a cache). */
  transferred: number;
}

export interface FirstLoad {
  path: string;
  /** The URL the page ended on (`/` redirects to `/datanets`). */
  finalPath: string;
  /** JavaScript the page itself (the main thread) fetched. */
  mainJs: LoadedScript[];
  mainJsTotal: FileSizes;
  /** Workers the page started, by name (`data`, `ledger`, …), with the JavaScript each fetched. */
  workers: { name: string; url: string; js: LoadedScript[]; total: FileSizes }[];
  /** `Content-Encoding` the server answered for the page's JavaScript, by file. */
  encodings: Record<string, string>;
}

const sum = (xs: FileSizes[]): FileSizes => ({
  raw: xs.reduce((a, x) => a + x.raw, 0),
  gzip: xs.reduce((a, x) => a + x.gzip, 0),
  brotli: xs.reduce((a, x) => a + x.brotli, 0),
});

interface TimingEntry {
  name: string;
  encodedBodySize: number;
}

/** JavaScript resources of one timeline (page or worker), as dist/ paths. */
function scriptsOf(entries: TimingEntry[], origin: string, dist: string): LoadedScript[] {
  const seen = new Map<string, LoadedScript>();
  for (const e of entries) {
    const url = new URL(e.name);
    if (url.origin !== origin || !/\.m?js$/.test(url.pathname)) continue;
    const file = decodeURIComponent(url.pathname).replace(/^\//, '');
    if (file === 'sw.js' || !existsSync(join(dist, file))) continue;
    const prev = seen.get(file);
    seen.set(file, { file, ...servedSizes(dist, file), transferred: Math.max(prev?.transferred ?? 0, e.encodedBodySize) });
  }
  return [...seen.values()].sort((a, b) => b.gzip - a.gzip);
}

async function timingOf(target: Pick<Page, 'evaluate'>): Promise<TimingEntry[]> {
  return target.evaluate(() =>
    performance.getEntriesByType('resource').map((e) => ({ name: e.name, encodedBodySize: (e as PerformanceResourceTiming).encodedBodySize })),
  );
}

/**
 * Opens `appUrl + path` in a fresh profile and records the JavaScript of its first load. `ready` waits for what the
 * page shows (default: its first heading); then the page is given `settleMs` for late, lazy requests.
 */
export async function measureFirstLoad(opts: {
  appUrl: string;
  dist: string;
  path: string;
  ready?: (page: Page) => Promise<void>;
  settleMs?: number;
}): Promise<FirstLoad> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-firstload-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    viewport: { width: 1280, height: 900 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const origin = new URL(opts.appUrl).origin;
    const encodings: Record<string, string> = {};
    page.on('response', (r) => {
      const url = new URL(r.url());
      if (url.origin === origin && /\.m?js$/.test(url.pathname)) encodings[url.pathname.replace(/^\//, '')] = r.headers()['content-encoding'] ?? 'identity';
    });
    const workers: { url: string; worker: Worker }[] = [];
    page.on('worker', (worker) => workers.push({ url: worker.url(), worker }));
    await page.goto(new URL(opts.path.replace(/^\//, ''), opts.appUrl).href);
    await (opts.ready ?? ((p: Page) => p.getByRole('heading', { level: 1 }).first().waitFor({ timeout: 60_000 })))(page);
    await page.waitForLoadState('networkidle').catch(() => undefined);
    await page.waitForTimeout(opts.settleMs ?? 1500);
    const workerFiles = new Set(workers.map((w) => new URL(w.url).pathname.replace(/^\//, '')));
    // a worker's own script may show in the page's timeline (the page fetched it): it runs in the worker
    const mainJs = scriptsOf(await timingOf(page), origin, opts.dist).filter((s) => !workerFiles.has(s.file) && !/\.worker-[^/]+\.js$/.test(s.file));
    const workerLoads = [];
    for (const w of workers) {
      // a worker busy in a long synchronous task (a model being set up) or already gone answers late or never
      const entries = await Promise.race([
        timingOf(w.worker).catch(() => [] as TimingEntry[]),
        new Promise<TimingEntry[]>((ok) => setTimeout(() => ok([]), 10_000)),
      ]);
      const file = new URL(w.url).pathname.replace(/^\//, '');
      // the worker's own script is not in its timeline: it was fetched by the page that started it
      const own = existsSync(join(opts.dist, file)) ? [{ file, ...servedSizes(opts.dist, file), transferred: 0 }] : [];
      const js = [...own, ...scriptsOf(entries, origin, opts.dist).filter((s) => s.file !== file)];
      // the CPU engine's thread pool starts its threads from blob: URLs
      const name = /\/assets\/([a-zA-Z]+)\.worker-/.exec(w.url)?.[1] ?? (w.url.startsWith('blob:') ? 'blob (engine thread)' : file);
      workerLoads.push({ name, url: w.url, js, total: sum(js) });
    }
    return {
      path: opts.path,
      finalPath: new URL(page.url()).pathname,
      mainJs,
      mainJsTotal: sum(mainJs),
      workers: workerLoads,
      encodings,
    };
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The URLs the service worker precaches (from dist/sw.js), without a leading slash. */
export function precacheList(dist: string): string[] {
  const sw = readFileSync(join(dist, 'sw.js'), 'utf8');
  return [...new Set([...sw.matchAll(/\burl:\s*"([^"]+)"/g)].map((m) => m[1]!.replace(/^\//, '')))];
}
