import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags from docs/MACHINE-FACTS: WebGPU through SwiftShader, and no background traffic. */
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

export interface BrowserProfile {
  context: BrowserContext;
  page: Page;
  /** Messages the page logged as errors, and uncaught exceptions. */
  errors: string[];
  close(): Promise<void>;
}

/** A fresh browser profile (its own IndexedDB, cache and service workers), like a new user. */
export async function openProfile(opts: { extraArgs?: string[]; webgpu?: boolean } = {}): Promise<BrowserProfile> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-e2e-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS.filter((a) => opts.webgpu !== false || a !== '--enable-unsafe-webgpu'), ...(opts.extraArgs ?? [])],
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Save a screenshot of `page` under test-results/ (called when a test fails, to see what the page showed). */
export async function screenshotOnFailure(profile: BrowserProfile | undefined, name: string): Promise<void> {
  if (!profile) return;
  const safe = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 80);
  await profile.page.screenshot({ path: `test-results/${safe}.png`, fullPage: true }).catch(() => undefined);
}
