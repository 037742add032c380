import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openProfile, type BrowserProfile } from './browser.ts';
import { createIdentity, eventually, navigate, openApp } from './app.ts';

const appUrl = inject('appUrl');

describe('the app on first start', () => {
  let profile: BrowserProfile;
  beforeAll(async () => {
    profile = await openProfile();
    await openApp(profile.page, appUrl);
  });
  afterAll(async () => {
    await profile?.close();
  });

  it('imports the bundled demo Datanets through the verifying importer', async () => {
    const { page } = profile;
    for (const name of ['Home Bread Baking', 'Everyday Digital Security', 'Home Composting & Soil Health']) {
      const card = page.locator('article, .card', { hasText: name }).first();
      await eventually(async () => expect((await card.textContent()) ?? '').toMatch(/24 accepted/));
    }
    // The Datanet page shows a real version with its Merkle root and several distinct contributors.
    await page.getByRole('link', { name: 'Home Bread Baking' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Home Bread Baking' }).waitFor();
    const versions = (await page.locator('section[aria-labelledby="versions-title"]').textContent()) ?? '';
    expect(versions).toMatch(/0x[0-9a-f]{64}/);
    const contributors = await page.locator('section[aria-labelledby="contributions-title"] .mono').allTextContents();
    expect(new Set(contributors.filter((t) => t.startsWith('0x'))).size).toBeGreaterThanOrEqual(5);
  });

  it('has every page, each of them built (no "not built yet" notice)', async () => {
    const { page } = profile;
    await navigate(page, 'ModelFactory');
    await page.getByRole('heading', { level: 1, name: 'ModelFactory' }).waitFor();
    await page.getByRole('button', { name: 'Train adapter' }).waitFor();
    for (const name of ['ModelFactory', 'Datanets', 'Contribute', 'Validate', 'Ledger', 'Settings', 'Chat', 'Adapters']) {
      await navigate(page, name);
      await page.getByRole('heading', { level: 1, name }).waitFor();
      // Built pages may mention a later capability, but are not themselves a "not built yet" notice.
      expect(await page.locator('main .notice-tag').count()).toBe(0);
    }
  });

  it('Settings shows the WebGPU adapter (SwiftShader here), storage usage and quota', async () => {
    const { page } = profile;
    await navigate(page, 'Settings');
    const main = page.locator('main');
    await eventually(async () => {
      const text = (await main.textContent()) ?? '';
      expect(text).toMatch(/swiftshader/i);
      expect(text).toMatch(/Features \(\d+\)/);
      expect(text).toMatch(/used of/);
    });
    await page.getByRole('button', { name: 'Keep data persistently' }).click();
    await eventually(async () => expect((await main.textContent()) ?? '').toMatch(/Persistent storage: (on|off)/i));
  });

  it('reports a crashed worker, restarts it, and the next action still works', async () => {
    const { page } = profile;
    await navigate(page, 'Settings');
    await page.getByRole('button', { name: 'Test worker recovery' }).click();
    await page.getByRole('status', { name: 'Notifications' }).getByText(/crashed and was restarted/).waitFor({ timeout: 20_000 });
    await page.getByText(/answered again after \d+ ms/).waitFor();
    await createIdentity(page, 'After the crash');
  });

  it('works offline: an offline reload still shows the app and its data', async () => {
    const { page, context } = profile;
    await navigate(page, 'Settings');
    await page.getByText(/offline-ready/).waitFor({ timeout: 60_000 });
    await context.setOffline(true);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await eventually(async () => expect((await page.getByRole('banner').textContent()) ?? '').toMatch(/Offline/));
    await navigate(page, 'Datanets');
    await page.getByText('Home Composting & Soil Health').first().waitFor();
    // A deep link that was never visited also loads offline (navigation fallback to the app shell).
    await page.goto(new URL('validate', appUrl).href);
    await page.getByRole('heading', { level: 1, name: 'Validate' }).waitFor();
    await context.setOffline(false);
  });
});

describe('a browser without WebGPU', () => {
  it('Settings says clearly that WebGPU is unavailable', async () => {
    // Without --enable-unsafe-webgpu, Chromium on a machine with no GPU offers no adapter.
    const profile = await openProfile({ webgpu: false, extraArgs: ['--disable-gpu'] });
    try {
      await profile.page.goto(new URL('settings', appUrl).href);
      await eventually(async () =>
        expect((await profile.page.locator('main').textContent()) ?? '').toMatch(/WebGPU is unavailable|No WebGPU adapter/),
      );
    } finally {
      await profile.close();
    }
  });
});
