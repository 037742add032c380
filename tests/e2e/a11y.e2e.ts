import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openProfile, type BrowserProfile } from './browser.ts';
import { openApp } from './app.ts';
import { axeViolations, describeFindings } from './axe.ts';

const appUrl = inject('appUrl');

describe('explore', () => {
  let profile: BrowserProfile;
  beforeAll(async () => {
    profile = await openProfile();
    await openApp(profile.page, appUrl);
  });
  afterAll(async () => {
    await profile?.close();
  });
  it('lists', async () => {
    const { page } = profile;
    const out: string[] = [];
    for (const path of ['chat', 'datanets', 'contribute', 'validate', 'modelfactory', 'adapters', 'ledger', 'settings', 'nowhere']) {
      await page.goto(new URL(path, appUrl).href);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await page.waitForTimeout(2500);
      out.push(describeFindings(path, await axeViolations(page)));
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(500);
      out.push(`${path} @390 scrollWidth=${await page.evaluate(() => document.documentElement.scrollWidth)}`);
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    await page.goto(new URL('datanets', appUrl).href);
    await page.getByRole('link', { name: 'Home Bread Baking' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Home Bread Baking' }).waitFor();
    await page.waitForTimeout(2500);
    out.push(describeFindings('datanet', await axeViolations(page)));
    console.log(out.join('\n'));
    expect(out.length).toBeGreaterThan(0);
  });
});
