import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { INITIAL_MAIN_JS_GZIP_GOAL, measureFirstLoad, precacheList, type FirstLoad } from '../../scripts/lib/firstLoad.ts';
import { makePdf } from '../../src/ingest/sampleFiles.testkit.ts';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';
import { DEMO_DATANETS, eventually, navigate, openApp, previewContribution } from './app.ts';

const appUrl = inject('appUrl');
const DIST = 'dist';

/** Libraries only optional features use: none of them may be on the first load or in the precache. */
const OPTIONAL_LIBRARIES = ['node_modules/@walletconnect/', 'node_modules/@reown/', 'node_modules/@mlc-ai/web-llm/', 'node_modules/pdfjs-dist/', 'node_modules/mammoth/', 'node_modules/onnxruntime-web/'];

/** The source files a built chunk was made of (its source map). */
function sourcesOf(file: string): string[] {
  try {
    return (JSON.parse(readFileSync(join(DIST, `${file}.map`), 'utf8')) as { sources: string[] }).sources;
  } catch {
    return [];
  }
}
// a `…wasm?url` module is only the asset's URL string (the attribution worker names onnxruntime-web's wasm so that the
// optional chunk can find it), not the library's code
const usesOptionalLibrary = (file: string) => sourcesOf(file).some((s) => OPTIONAL_LIBRARIES.some((lib) => s.includes(lib)) && !s.endsWith('.wasm?url'));

describe('first load of the app (a new visitor on /)', () => {
  let load: FirstLoad;
  beforeAll(async () => {
    load = await measureFirstLoad({
      appUrl,
      dist: DIST,
      path: '/',
      ready: async (page) => {
        for (const name of DEMO_DATANETS) await page.getByRole('link', { name }).first().waitFor({ timeout: 60_000 });
      },
    });
  });

  it(`fetches under ${INITIAL_MAIN_JS_GZIP_GOAL / 1024} KB of main-thread JavaScript (gzip), compressed on the wire`, () => {
    expect(load.finalPath).toBe('/datanets');
    expect(load.mainJs.length).toBeGreaterThan(0);
    expect(load.mainJsTotal.gzip).toBeLessThan(INITIAL_MAIN_JS_GZIP_GOAL);
    for (const s of load.mainJs) {
      // every script big enough to be precompressed came with a Content-Encoding the browser asked for
      if (s.raw < 1024) continue;
      expect(['br', 'gzip'], s.file).toContain(load.encodings[s.file]);
      if (s.transferred > 0) expect(s.transferred, s.file).toBeLessThan(s.raw);
    }
  });

  it('starts only the worker the page needs (data: the demo import), and none of the optional libraries', () => {
    expect(load.workers.map((w) => w.name)).toEqual(['data']);
    const all = [...load.mainJs, ...load.workers.flatMap((w) => w.js)].map((s) => s.file);
    expect(all.filter(usesOptionalLibrary)).toEqual([]);
  });
});

describe('code that loads when first used, on a page that was already open', () => {
  let profile: BrowserProfile | undefined;
  afterAll(async () => {
    await profile?.close();
  });

  it('the wallet code when "Connect wallet" is pressed (its list opens with focus inside); markdown-it when Markdown shows', async ({ task }) => {
    profile = await openProfile();
    const { page } = profile;
    const fetched: string[] = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    const chunk = (name: string) => (file: string) => new RegExp(`^/assets/${name}-[^/]+\\.js$`).test(file);
    try {
      await openApp(page, appUrl);
      expect(fetched.filter(chunk('WalletButton'))).toEqual([]);
      expect(fetched.filter(chunk('markdown'))).toEqual([]);

      const connect = page.getByRole('banner').getByRole('button', { name: 'Connect wallet' });
      await connect.focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Wallet' });
      await dialog.waitFor();
      expect(fetched.filter(chunk('WalletButton')).length).toBe(1);
      // focus moved into the list the press opened (as for any popover), not lost to the page
      await eventually(async () => expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true));

      await page.getByRole('link', { name: DEMO_DATANETS[0]! }).first().click();
      await page.getByRole('heading', { level: 1, name: DEMO_DATANETS[0]! }).waitFor();
      // the description is rendered Markdown (its paragraphs), not the raw text shown while markdown-it loads
      await eventually(async () => expect(await page.locator('main .markdown p').count()).toBeGreaterThanOrEqual(2));
      expect(fetched.filter(chunk('markdown')).length).toBe(1);
    } catch (e) {
      await screenshotOnFailure(profile, task.name);
      throw e;
    }
  });
});

describe('the service worker precache', () => {
  it('holds every page and the demo model, and none of the optional chunks', () => {
    const list = precacheList(DIST);
    expect(list).toContain('index.html');
    expect(list).toContain('models/tributary-demo/model.safetensors');
    for (const page of ['ChatPage', 'DatanetsPage', 'LedgerPage', 'ContributePage', 'SettingsPage']) {
      expect(list.some((f) => new RegExp(`^assets/${page}-[^/]+\\.js$`).test(f)), page).toBe(true);
    }
    for (const worker of ['data', 'engine', 'ledger', 'attribution']) {
      expect(list.some((f) => new RegExp(`^assets/${worker}\\.worker-[^/]+\\.js$`).test(f)), worker).toBe(true);
    }
    expect(list.filter((f) => f.endsWith('.js')).filter(usesOptionalLibrary)).toEqual([]);
    expect(list.filter((f) => f.endsWith('.br') || f.endsWith('.gz'))).toEqual([]);
    // onnxruntime-web's wasm (the optional ONNX attribution encoder) is fetched on first use only
    expect(list.filter((f) => /ort-wasm/.test(f))).toEqual([]);
  });
});

describe('an optional chunk (pdf.js) is cached when first used, then works offline', () => {
  let profile: BrowserProfile | undefined;
  beforeAll(async () => {
    profile = await openProfile();
    await openApp(profile.page, appUrl);
  });
  afterAll(async () => {
    await profile?.close();
  });

  it('reads a PDF online, then again offline after a reload', async ({ task }) => {
    const { page, context } = profile!;
    try {
      await navigate(page, 'Settings');
      await page.getByText(/offline-ready/).waitFor({ timeout: 90_000 });
      // A worker is controlled by the service worker only when started from a page it controls: the data worker of
      // this first visit started before the service worker was installed, so its fetches are not cached. From the
      // next load on they are (a later visit, as here after a reload).
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
      const pdfChunks = (): Promise<string[]> =>
        page.evaluate(async () => {
          const cache = await caches.open('tributary-optional-chunks');
          return (await cache.keys()).map((r) => new URL(r.url).pathname);
        });
      expect((await pdfChunks()).length).toBe(0);

      const pdf = { name: 'tides.pdf', mimeType: 'application/pdf', buffer: Buffer.from(await makePdf([['Spring tides follow the new and the full moon.']])) };
      await previewContribution(page, DEMO_DATANETS[0]!, { files: [pdf] });
      await page.getByRole('article', { name: 'Preview of tides.pdf' }).getByText(/Spring tides follow/).first().waitFor({ timeout: 60_000 });
      const cached = await pdfChunks();
      expect(cached.some((p) => usesOptionalLibrary(p.replace(/^\//, '')))).toBe(true);

      await context.setOffline(true);
      await page.reload();
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await eventually(async () => expect((await page.getByRole('banner').textContent()) ?? '').toMatch(/Offline/));
      const again = { ...pdf, name: 'tides-offline.pdf' };
      await previewContribution(page, DEMO_DATANETS[0]!, { files: [again] });
      await page.getByRole('article', { name: 'Preview of tides-offline.pdf' }).getByText(/Spring tides follow/).first().waitFor({ timeout: 60_000 });
    } catch (e) {
      await screenshotOnFailure(profile, task.name);
      throw e;
    } finally {
      await context.setOffline(false);
    }
  });
});
