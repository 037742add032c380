/**
 * First-load size of the built app (`npm run bench -- size`; needs `npm run build` first). Writes bench/results/size.json:
 * - every chunk of dist/assets (and the service worker's files): raw, gzip and brotli bytes as served (the build's
 *   .gz/.br copies), whether the service worker precaches it;
 * - the first load of each page, measured in headless Chromium (scripts/lib/firstLoad.ts): the main thread's
 *   JavaScript, the workers started and theirs; `initial_main_js_gzip_bytes` is the figure for `/`, against the
 *   goal of 150 KB gzipped;
 * - the peer, same build, same run: all JavaScript of the build, and the share of it the first load of `/` needs
 *   (`initial_to_total_js_gzip_ratio`); with SIZE_BASELINE_DIST=<dir of another build> (e.g. the unsplit layout
 *   built from an older commit) that build's first load of `/` too, and the ratio between the two;
 * - the precache: entries and total bytes, and what was left out of it (optional chunks, cached when first used).
 * The local chain runs as under `npm start` (anvil, contracts, dist/chain.json), so a page that starts the ledger
 * worker as soon as the chain is known shows it.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startDevnet } from '../scripts/chain/devnet.ts';
import { serveStatic } from '../scripts/serve.mjs';
import { INITIAL_MAIN_JS_GZIP_GOAL, measureFirstLoad, precacheList, servedSizes, type FileSizes, type FirstLoad } from '../scripts/lib/firstLoad.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

/** Pages measured: each in a fresh profile, as a first visit. */
const PAGES = ['/', '/chat', '/contribute', '/validate', '/ledger', '/settings'] as const;

/** On `/` the page is ready when the demo Datanets are listed (the first start imports them). */
const waitForDatanets = async (page: Page): Promise<void> => {
  await page.getByRole('heading', { level: 1 }).first().waitFor({ timeout: 60_000 });
  await page.locator('a[href^="/datanets/"]').first().waitFor({ timeout: 60_000 });
};

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out;
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

function summarise(load: FirstLoad) {
  return {
    path: load.path,
    final_path: load.finalPath,
    main_js: { files: load.mainJs.length, raw_bytes: load.mainJsTotal.raw, gzip_bytes: load.mainJsTotal.gzip, brotli_bytes: load.mainJsTotal.brotli },
    main_js_files: load.mainJs.map((s) => ({ file: s.file, raw: s.raw, gzip: s.gzip, brotli: s.brotli, transferred: s.transferred, encoding: load.encodings[s.file] ?? null })),
    workers_started: load.workers.map((w) => ({ name: w.name, files: w.js.length, raw_bytes: w.total.raw, gzip_bytes: w.total.gzip, brotli_bytes: w.total.brotli, js: w.js.map((s) => s.file) })),
  };
}

async function firstLoadOf(dist: string, paths: readonly string[]): Promise<FirstLoad[]> {
  const { server, url } = await serveStatic({ root: dist, port: 0 });
  try {
    const out: FirstLoad[] = [];
    for (const path of paths) {
      out.push(await measureFirstLoad({ appUrl: url, dist, path, ...(path === '/' ? { ready: waitForDatanets } : {}) }));
      console.log(`  ${path}: main-thread JS ${out.at(-1)!.mainJsTotal.gzip} B gzip in ${out.at(-1)!.mainJs.length} files; workers: ${out.at(-1)!.workers.map((w) => w.name).join(', ') || 'none'}`);
    }
    return out;
  } finally {
    await new Promise((ok) => server.close(() => ok(undefined)));
  }
}

export async function main(): Promise<void> {
  const dist = join(root, 'dist');
  if (!existsSync(join(dist, 'index.html')) || !existsSync(join(dist, 'sw.js'))) {
    throw new Error('dist/ is missing or incomplete: run `npm run build` first.');
  }
  const files = listFiles(dist);
  const precached = new Set(precacheList(dist));
  const js = files.filter((f) => /\.m?js$/.test(f) && f !== 'sw.js' && !f.startsWith('workbox-'));
  const chunks = files
    .filter((f) => /\.(m?js|css)$/.test(f))
    .map((file) => ({ file, ...servedSizes(dist, file), precached: precached.has(file) }))
    .sort((a, b) => b.gzip - a.gzip);
  const totalJs: FileSizes = {
    raw: 0,
    gzip: 0,
    brotli: 0,
  };
  for (const c of chunks) {
    if (!js.includes(c.file)) continue;
    totalJs.raw += c.raw;
    totalJs.gzip += c.gzip;
    totalJs.brotli += c.brotli;
  }
  const precacheBytes = [...precached].reduce((a, f) => a + (existsSync(join(dist, f)) ? statSync(join(dist, f)).size : 0), 0);
  const leftOut = js.filter((f) => !precached.has(f));
  const leftOutBytes = leftOut.reduce((a, f) => a + statSync(join(dist, f)).size, 0);

  const baselineDist = process.env.SIZE_BASELINE_DIST ? resolve(process.env.SIZE_BASELINE_DIST) : undefined;
  const devnet = await startDevnet({ port: 0, outFile: join(dist, 'chain.json'), autoPostRoots: false });
  if (baselineDist) copyFileSync(join(dist, 'chain.json'), join(baselineDist, 'chain.json'));
  let loads: FirstLoad[];
  let baseline: Record<string, unknown> | undefined;
  try {
    console.log(`first load of the build in ${dist}:`);
    loads = await firstLoadOf(dist, PAGES);
    if (baselineDist) {
      console.log(`baseline build in ${baselineDist}:`);
      const [b] = await firstLoadOf(baselineDist, ['/']);
      baseline = {
        dist: baselineDist,
        first_load: summarise(b!),
        initial_main_js_gzip_bytes: b!.mainJsTotal.gzip,
        initial_worker_js_gzip_bytes: b!.workers.reduce((a, w) => a + w.total.gzip, 0),
        initial_main_js_gzip_ratio_new_to_baseline: round(loads[0]!.mainJsTotal.gzip / b!.mainJsTotal.gzip),
      };
    }
  } finally {
    await devnet.stop();
    rmSync(join(dist, 'chain.json'), { force: true });
    if (baselineDist) rmSync(join(baselineDist, 'chain.json'), { force: true });
  }
  const home = loads[0]!;

  const result = {
    bench: 'size',
    measured_at: new Date().toISOString(),
    how: 'dist/ served by scripts/serve.mjs with the local chain running (as npm start); each page opened in a fresh headless Chromium profile (playwright-core); JS read from Resource Timing of the page and of each worker; sizes of the files as served (.gz/.br written by the build)',
    initial_main_js_gzip_bytes: home.mainJsTotal.gzip,
    initial_main_js_brotli_bytes: home.mainJsTotal.brotli,
    initial_main_js_raw_bytes: home.mainJsTotal.raw,
    initial_main_js_files: home.mainJs.length,
    goal_initial_main_js_gzip_bytes: INITIAL_MAIN_JS_GZIP_GOAL,
    goal_met: home.mainJsTotal.gzip < INITIAL_MAIN_JS_GZIP_GOAL,
    initial_workers: home.workers.map((w) => w.name),
    initial_worker_js_gzip_bytes: home.workers.reduce((a, w) => a + w.total.gzip, 0),
    peer: {
      what: 'all JavaScript of the same build (every chunk, main thread and workers, optional ones too)',
      total_js_files: js.length,
      total_js_raw_bytes: totalJs.raw,
      total_js_gzip_bytes: totalJs.gzip,
      total_js_brotli_bytes: totalJs.brotli,
      initial_to_total_js_gzip_ratio: round(home.mainJsTotal.gzip / totalJs.gzip),
      ...(baseline ? { baseline } : {}),
    },
    precache: {
      entries: precached.size,
      total_bytes: precacheBytes,
      left_out_js_files: leftOut.length,
      left_out_js_bytes: leftOutBytes,
      left_out_js: leftOut.sort(),
    },
    first_load: Object.fromEntries(loads.map((l) => [l.path, summarise(l)])),
    chunks,
  };
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'size.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `initial main-thread JS of /: ${result.initial_main_js_gzip_bytes} B gzip (${result.initial_main_js_brotli_bytes} B brotli, ${result.initial_main_js_raw_bytes} B raw) — goal < ${INITIAL_MAIN_JS_GZIP_GOAL}: ${result.goal_met ? 'met' : 'NOT met'}`,
  );
  console.log(`peer: ${result.peer.initial_to_total_js_gzip_ratio} of the build's ${totalJs.gzip} B gzip of JS; precache ${precached.size} entries, ${precacheBytes} B (${leftOut.length} optional JS files, ${leftOutBytes} B, left out)`);
  console.log('wrote bench/results/size.json');
}
