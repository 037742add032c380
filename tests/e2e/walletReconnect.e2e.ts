/**
 * An injected (EIP-6963) wallet the user connected is connected again after a reload, silently: the page asks only
 * `eth_accounts` (never `eth_requestAccounts`, which may open the wallet's prompt). Covered both for a wallet that
 * announces itself at once and for one whose announcement comes late, after the app has looked for it (a browser
 * extension's content script can start after the page's own scripts).
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { anvilDevAccounts } from '../../src/chain/devAccounts.ts';
import { eventually, openApp } from './app.ts';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';
import { installTestWallet, TEST_WALLET_NAME, type TestWallet } from './wallet.ts';

const appUrl = inject('appUrl');
const chain = inject('chain');
const ACCOUNT = anvilDevAccounts(6)[5]!;
const RELOADS = 5;

/** The header's wallet control names the connected account. */
const connectedAs = (page: Page) => page.getByRole('banner').getByRole('button', { name: `Wallet ${TEST_WALLET_NAME} connected as ${ACCOUNT.address}` });

async function connect(page: Page): Promise<void> {
  const header = page.getByRole('banner');
  await header.getByRole('button', { name: 'Connect wallet' }).click();
  await page.getByRole('dialog', { name: 'Wallet' }).getByRole('button', { name: TEST_WALLET_NAME }).click();
  await connectedAs(page).waitFor({ timeout: 30_000 });
}

async function reloadsStayConnected(page: Page, wallet: TestWallet): Promise<void> {
  for (let i = 0; i < RELOADS; i++) {
    const asked = wallet.requests.length;
    await page.reload();
    await eventually(async () => expect(await connectedAs(page).count()).toBe(1), 30_000);
    const after = wallet.requests.slice(asked);
    expect(after).toContain('eth_accounts');
    expect(after).not.toContain('eth_requestAccounts');
  }
}

describe('wallet reconnect after a reload', () => {
  let profile: BrowserProfile | undefined;
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
    await profile?.close();
    profile = undefined;
  });

  it(`reconnects the injected wallet silently, ${RELOADS} reloads in a row`, async () => {
    profile = await openProfile();
    const wallet = await installTestWallet(profile.page, { privateKeys: [ACCOUNT.privateKey], rpcUrl: chain.rpcUrl, chainId: chain.chainId });
    await openApp(profile.page, appUrl);
    await connect(profile.page);
    await reloadsStayConnected(profile.page, wallet);
  });

  it('reconnects a wallet whose EIP-6963 announcement arrives late', async () => {
    profile = await openProfile();
    const wallet = await installTestWallet(profile.page, { privateKeys: [ACCOUNT.privateKey], rpcUrl: chain.rpcUrl, chainId: chain.chainId, announceDelayMs: 1500 });
    await openApp(profile.page, appUrl);
    await eventually(() => connect(profile!.page));
    await reloadsStayConnected(profile.page, wallet);
  });
});
