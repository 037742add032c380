/**
 * Accessibility and small screens, on every route of the app (read from src/ui/App.tsx, so a route added
 * later is checked too): axe-core (injected from node_modules, nothing downloaded) finds no serious or
 * critical violation and no skipped heading level, in light and dark, at 1280 px and at 390 px; at 390 px
 * nothing scrolls sideways (the page, the navigation) and the wallet button stays on the header's first row.
 * Then the header's popovers as a keyboard user meets them: Escape closes them and focus returns.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';
import { eventually, openApp } from './app.ts';
import { axeViolations, describeFindings, seriousAxeViolations, type AxeFinding } from './axe.ts';
import { DEV_WALLET_LABEL } from '../../src/chain/wallet/discovery.ts';

const appUrl = inject('appUrl');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

/** The router's paths, as src/ui/App.tsx declares them. */
function routePaths(): string[] {
  const app = readFileSync('src/ui/App.tsx', 'utf8');
  const paths = [...app.matchAll(/<Route\s+path="([^"]+)"/g)].map((m) => m[1]!);
  if (paths.length < 5) throw new Error(`found only ${paths.length} routes in src/ui/App.tsx`);
  return paths;
}

/** What a person would open for each route: a catch-all gets an unknown path, a parameter a link the app shows. */
function routeUrl(path: string, links: ReadonlySet<string>): string {
  if (path.startsWith('*')) return '/no-such-page';
  if (!path.includes(':')) return path;
  const pattern = new RegExp(`^${path.replace(/:[^/]+/g, '[^/?#]+')}$`);
  const found = [...links].find((href) => pattern.test(href));
  if (!found) throw new Error(`no link on the app's pages leads to ${path}: add a way to reach it, or teach this test`);
  return found;
}

/** Same-origin paths the page links to. */
async function linksOn(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLAnchorElement>('a[href]')].map((a) => new URL(a.href, location.href)).filter((u) => u.origin === location.origin).map((u) => u.pathname),
  );
}

/** Open a path and wait until the page has settled (its heading shows and no "Loading…" is left). */
async function visit(page: Page, path: string): Promise<void> {
  await page.goto(new URL(path.replace(/^\//, ''), appUrl).href);
  await page.getByRole('heading', { level: 1 }).first().waitFor({ timeout: 60_000 });
  await eventually(async () => expect(await page.locator('main').getByText(/^(Loading|Counting|Measuring)\b.*…$/).count()).toBe(0), 30_000).catch(() => undefined);
  await page.waitForTimeout(300);
}

/** Serious/critical violations, plus skipped heading levels (moderate in axe, but it breaks navigating by headings). */
async function blocking(page: Page): Promise<AxeFinding[]> {
  return (await axeViolations(page)).filter((f) => f.impact === 'serious' || f.impact === 'critical' || f.id === 'heading-order');
}

interface Layout {
  scrollWidth: number;
  /** elements past the right edge (innermost first), for the failure message */
  wide: string[];
  nav: { scrollWidth: number; clientWidth: number };
  /** Vertical centres of the brand and the wallet button, and the top of the identity picker. */
  brandMid: number;
  walletMid: number;
  identityTop: number;
  walletRight: number;
}

async function layout(page: Page): Promise<Layout> {
  return page.evaluate(() => {
    const box = (sel: string) => {
      const el = document.querySelector(sel);
      if (!el) throw new Error(`no ${sel}`);
      return el.getBoundingClientRect();
    };
    const nav = document.querySelector('nav.nav')!;
    const brand = box('.brand');
    const wallet = box('.wallet-button > button');
    // the innermost elements that reach past the viewport's right edge, to name the culprit of a sideways scroll
    const vw = document.documentElement.clientWidth;
    const wide = Array.from(document.querySelectorAll<HTMLElement>('body *'))
      .filter((el) => el.getBoundingClientRect().right > vw + 1 && !Array.from(el.children).some((c) => c.getBoundingClientRect().right > vw + 1))
      .slice(0, 3)
      .map((el) => `<${el.tagName.toLowerCase()} class="${el.className}"> "${(el.textContent ?? '').trim().slice(0, 60)}"`);
    return {
      wide,
      scrollWidth: document.documentElement.scrollWidth,
      nav: { scrollWidth: nav.scrollWidth, clientWidth: nav.clientWidth },
      brandMid: brand.top + brand.height / 2,
      walletMid: wallet.top + wallet.height / 2,
      identityTop: box('#identity-select').top,
      walletRight: wallet.right,
    };
  });
}

describe('every page: axe-core and a 390 px screen', () => {
  let profile: BrowserProfile;
  beforeAll(async () => {
    profile = await openProfile();
    await openApp(profile.page, appUrl);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
  });
  afterAll(async () => {
    await profile?.close();
  });

  it('no serious or critical axe violation and no skipped heading on any route, in light and dark, wide and narrow; nothing scrolls sideways at 390 px', async () => {
    const { page } = profile;
    const paths = routePaths();
    const statics = paths.filter((p) => !p.includes(':') && !p.startsWith('*'));
    const links = new Set<string>();
    for (const p of statics) {
      await visit(page, p);
      for (const l of await linksOn(page)) links.add(l);
    }
    const urls = [...new Set(paths.map((p) => routeUrl(p, links)))];
    expect(urls).toEqual(expect.arrayContaining(['/chat', '/datanets', '/validate', '/modelfactory', '/adapters', '/ledger', '/settings', '/no-such-page']));
    expect(urls.some((u) => /^\/datanets\/[^/]+$/.test(u))).toBe(true);

    const problems: string[] = [];
    for (const url of urls) {
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        for (const size of [DESKTOP, PHONE]) {
          await page.setViewportSize(size);
          await visit(page, url);
          const where = `${url} (${scheme}, ${size.width} px)`;
          const found = await blocking(page);
          if (found.length) problems.push(describeFindings(where, found));
          if (size === PHONE && scheme === 'light') {
            const l = await layout(page);
            if (l.scrollWidth > PHONE.width) problems.push(`${where}: the page is ${l.scrollWidth} px wide and scrolls sideways (past the edge: ${l.wide.join('; ')})`);
            if (l.nav.scrollWidth > l.nav.clientWidth) problems.push(`${where}: the navigation scrolls sideways (${l.nav.scrollWidth} > ${l.nav.clientWidth})`);
            if (Math.abs(l.walletMid - l.brandMid) > 8 || l.walletMid > l.identityTop) problems.push(`${where}: the wallet button is not on the header's first row`);
            if (l.walletRight > PHONE.width) problems.push(`${where}: the wallet button sticks out (${l.walletRight} px)`);
          }
        }
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize(DESKTOP);
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('at 390 px every navigation link is on screen and reachable without scrolling sideways', async () => {
    const { page } = profile;
    await page.setViewportSize(PHONE);
    await visit(page, '/datanets');
    const nav = page.getByRole('navigation', { name: 'Main' });
    const names = await nav.getByRole('link').allTextContents();
    expect(names.length).toBeGreaterThanOrEqual(8);
    for (const name of names) {
      const box = await nav.getByRole('link', { name, exact: true }).boundingBox();
      expect(box, name).not.toBeNull();
      expect(box!.x, name).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, name).toBeLessThanOrEqual(PHONE.width);
    }
    // and a link on the last row works like any other
    await nav.getByRole('link', { name: names[names.length - 1]!, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: names[names.length - 1]! }).waitFor();
    await page.setViewportSize(DESKTOP);
  });

  it('a form with errors, a contribution preview and a notification pass axe too', async () => {
    const { page } = profile;
    // the Create Datanet form, submitted empty: its field errors
    await visit(page, '/datanets');
    await page.locator('form.create-datanet').getByRole('button', { name: 'Create Datanet' }).click();
    await page.locator('form.create-datanet .field-invalid').first().waitFor();
    let found = await seriousAxeViolations(page);
    expect(found, describeFindings('Create Datanet with errors', found)).toEqual([]);
    // a previewed contribution
    await visit(page, '/contribute');
    await page.getByLabel('Title', { exact: true }).fill('A short note');
    await page.getByLabel('Text', { exact: true }).fill('Proof the dough in a warm place until it has doubled, about an hour or so.');
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    await page.getByRole('heading', { level: 2, name: 'Preview' }).waitFor({ timeout: 60_000 });
    found = await blocking(page);
    expect(found, describeFindings('Contribute preview', found)).toEqual([]);
    // a notification (a worker restarted) on screen
    await visit(page, '/settings');
    await page.getByRole('button', { name: 'Test worker recovery' }).click();
    await page.getByRole('status', { name: 'Notifications' }).getByText(/crashed and was restarted/).waitFor({ timeout: 20_000 });
    found = await seriousAxeViolations(page);
    expect(found, describeFindings('Settings with a notification', found)).toEqual([]);
  });
});

describe('header popovers by keyboard', () => {
  let profile: BrowserProfile;
  beforeAll(async () => {
    profile = await openProfile();
    await openApp(profile.page, appUrl);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
  });
  afterAll(async () => {
    await profile?.close();
  });

  const focusedName = (page: Page) => page.evaluate(() => (document.activeElement as HTMLElement | null)?.getAttribute('aria-label') ?? document.activeElement?.textContent?.trim() ?? '');

  it('the wallet popover: opens with focus inside, Escape closes it and focus returns to the button; the connected button is named by what it shows', async () => {
    const { page } = profile;
    const header = page.getByRole('banner');
    const connect = header.getByRole('button', { name: 'Connect wallet' });
    await connect.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Wallet' });
    await dialog.waitFor();
    expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    let found = await seriousAxeViolations(page);
    expect(found, describeFindings('wallet popover', found)).toEqual([]);
    await page.keyboard.press('Escape');
    await eventually(async () => expect(await dialog.count()).toBe(0));
    expect(await focusedName(page)).toBe('Connect wallet');

    // connect the local chain's dev wallet, as a person trying the app would
    await page.keyboard.press('Enter');
    await dialog.getByRole('button', { name: DEV_WALLET_LABEL }).click();
    const connected = header.locator('.wallet-connected');
    await connected.waitFor({ timeout: 30_000 });
    const shown = ((await connected.innerText()) ?? '').trim();
    const name = (await connected.getAttribute('aria-label')) ?? '';
    expect(shown).toMatch(/^0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4}/);
    expect(name.startsWith(shown)).toBe(true);
    expect(name).toMatch(/connected as 0x[0-9a-fA-F]{40}/);
    found = await seriousAxeViolations(page);
    expect(found, describeFindings('connected wallet', found)).toEqual([]);

    await connected.click();
    await dialog.waitFor();
    found = await seriousAxeViolations(page);
    expect(found, describeFindings('connected wallet popover', found)).toEqual([]);
    // a click on the popover's text leaves focus on the page: Escape still closes it
    await dialog.locator('.popover-title').click();
    await page.keyboard.press('Escape');
    await eventually(async () => expect(await dialog.count()).toBe(0));
    expect(await page.evaluate(() => document.activeElement?.classList.contains('wallet-connected'))).toBe(true);

    // at 390 px the connected button stays on the first row, on screen
    await page.setViewportSize(PHONE);
    const l = await layout(page);
    expect(Math.abs(l.walletMid - l.brandMid)).toBeLessThanOrEqual(8);
    expect(l.walletRight).toBeLessThanOrEqual(PHONE.width);
    expect(l.scrollWidth).toBeLessThanOrEqual(PHONE.width);
    await page.setViewportSize(DESKTOP);
  });

  it('the new-identity popover: focus goes to its field, Escape closes it and focus returns to "New identity"', async () => {
    const { page } = profile;
    const header = page.getByRole('banner');
    await header.getByRole('button', { name: 'New identity' }).click();
    const field = header.getByLabel('Label for the new identity');
    await eventually(async () => expect(await field.evaluate((el) => el === document.activeElement)).toBe(true));
    const found = await seriousAxeViolations(page);
    expect(found, describeFindings('new identity popover', found)).toEqual([]);
    await page.keyboard.press('Escape');
    await eventually(async () => expect(await field.count()).toBe(0));
    expect(await focusedName(page)).toBe('New identity');
  });
});
