/**
 * The Ledger offline, as a person would see it: settle a fee online, go offline and reload. The chain is
 * said to be unreachable (with when it was last reached), not missing; the fees, the history and the last
 * known balance stay on screen. Back online, "Try again" reaches the chain and the notice goes. The e2e
 * files share one chain: this file asserts only on its own fresh payer.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPublicClient, createWalletClient, http, parseEther, parseUnits, toHex, type PublicClient } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { anvilDevAccounts } from '../../src/chain/devAccounts.ts';
import { testTokenAbi } from '../../src/chain/generated/TestToken.ts';
import { readableAmount } from '../../src/core/readableAmount.ts';
import type { Address } from '../../src/core/types.ts';
import { eventually, navigate, openApp } from './app.ts';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';
import { installTestWallet, TEST_WALLET_NAME } from './wallet.ts';

const appUrl = inject('appUrl');
const chain = inject('chain');

const PAYER_KEY = generatePrivateKey();
const PAYER = privateKeyToAccount(PAYER_KEY).address;

describe('the Ledger offline', () => {
  let profile: BrowserProfile;
  let pc: PublicClient;
  let shownBalance = '';
  let feesShown = '';
  const balance = (a: Address) => pc.readContract({ address: chain.token, abi: testTokenAbi, functionName: 'balanceOf', args: [a] });

  beforeAll(async () => {
    pc = createPublicClient({ transport: http(chain.rpcUrl) }) as PublicClient;
    await fetch(chain.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_setBalance', params: [PAYER, toHex(parseEther('1'))] }),
    });
    const deployer = createWalletClient({ account: privateKeyToAccount(anvilDevAccounts(1)[0]!.privateKey), transport: http(chain.rpcUrl) });
    await pc.waitForTransactionReceipt({ hash: await deployer.writeContract({ address: chain.token, abi: testTokenAbi, functionName: 'mint', args: [PAYER, parseUnits('20', 18)], chain: null }) });
    profile = await openProfile();
    await installTestWallet(profile.page, { privateKeys: [PAYER_KEY], rpcUrl: chain.rpcUrl, chainId: chain.chainId });
    await openApp(profile.page, appUrl);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
  });
  afterAll(async () => {
    await profile?.context.setOffline(false).catch(() => undefined);
    await profile?.close();
  });

  it('online: a fee is paid and settled; balance, fees and history are shown', async () => {
    const { page } = profile;
    await navigate(page, 'Settings');
    await page.getByText(/offline-ready/).waitFor({ timeout: 60_000 });
    await navigate(page, 'Ledger');
    await page.getByRole('banner').getByRole('button', { name: 'Connect wallet' }).click();
    await page.getByRole('dialog', { name: 'Wallet' }).getByRole('button', { name: TEST_WALLET_NAME }).click();
    await eventually(async () => expect(await page.getByTestId('wallet-account').textContent()).toBe(PAYER));
    const value = await page.locator('#pay-datanet option', { hasText: 'Home Bread Baking' }).first().getAttribute('value');
    await page.locator('#pay-datanet').selectOption(value!);
    await page.getByLabel('Amount (tOPEN)').fill('2.5');
    await page.getByRole('button', { name: 'Add fee' }).click();
    await page.getByText(/Pending fee of 2.5 tOPEN/).waitFor();
    await page.getByLabel('Payout').selectOption('direct');
    await page.getByRole('button', { name: /^Settle 1 fee/ }).click();
    await page.getByTestId('settle-result').waitFor({ timeout: 60_000 });

    const onChain = await balance(PAYER);
    expect(onChain).toBe(parseUnits('17.5', 18));
    await eventually(async () => expect(await page.getByTestId('token-balance').textContent()).toBe(`${readableAmount(onChain, 18)} tOPEN`));
    await eventually(async () => expect(await page.locator('li[data-settlement][data-status="confirmed"]').count()).toBe(1));
    await eventually(async () => expect(await page.locator('tr[data-fee][data-status="settled"]').count()).toBe(1));
    shownBalance = (await page.getByTestId('token-balance').textContent()) ?? '';
    feesShown = (await page.locator('tr[data-fee]').first().textContent()) ?? '';
    expect(await page.getByTestId('chain-unreachable').count()).toBe(0);
  });

  it('offline reload: the chain is unreachable (last reached …), not missing; fees, history and the last balance stay', async () => {
    const { page, context } = profile;
    await context.setOffline(true);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Ledger' }).waitFor();
    const notice = page.getByTestId('chain-unreachable');
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.textContent()).toMatch(/Local chain \(anvil\) is unreachable: this device is offline\./);
    expect(await notice.textContent()).toMatch(/Last reached /);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).not.toContain('chain.json');
    expect(text).not.toContain('No settlements or claims yet');
    expect(text).not.toContain('npm start');
    await eventually(async () => expect(await page.locator('li[data-settlement][data-status="confirmed"]').count()).toBe(1));
    await eventually(async () => expect(await page.locator('tr[data-fee]').first().textContent()).toBe(feesShown));
    // The wallet (an extension) reconnects; its balance is the last one read, with its time.
    await eventually(async () => expect(await page.getByTestId('token-balance').textContent()).toBe(shownBalance));
    await page.getByTestId('balances-as-of').waitFor();
    // Claims say why they wait instead of failing.
    await page.getByTestId('claim-unreachable').waitFor();
  });

  it('back online: "Try again" reaches the chain and the notice goes', async () => {
    const { page, context } = profile;
    await context.setOffline(false);
    const tryAgain = page.getByTestId('chain-unreachable').getByRole('button', { name: 'Try again' });
    if (await tryAgain.count()) await tryAgain.click().catch(() => undefined); // the 'online' event may have been first
    await eventually(async () => expect(await page.getByTestId('chain-unreachable').count()).toBe(0));
    await eventually(async () => expect(await page.getByTestId('balances-as-of').count()).toBe(0));
    expect(await page.getByTestId('token-balance').textContent()).toBe(`${readableAmount(await balance(PAYER), 18)} tOPEN`);
  });
});
