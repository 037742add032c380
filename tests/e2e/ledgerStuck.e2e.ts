/**
 * Issue 13, "stuck for good": a payer creates a fee its balance cannot cover. Before, Settle then
 * failed for that one and for every later one, with no way out. Now the form warns first, the payer can
 * leave a fee out of a settlement and cancel it, and later fees settle. Walks the path in headless
 * Chromium against the e2e chain, with a fresh payer holding exactly 5 tOPEN.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPublicClient, createWalletClient, http, parseEther, parseUnits, toHex, type PublicClient } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { Page } from 'playwright-core';
import { anvilDevAccounts } from '../../src/chain/devAccounts.ts';
import { settlementAbi } from '../../src/chain/generated/Settlement.ts';
import { testTokenAbi } from '../../src/chain/generated/TestToken.ts';
import type { LedgerEntry } from '../../src/core/ledger.ts';
import type { Hex } from '../../src/core/types.ts';
import { createIdentity, eventually, navigate, openApp, readTables } from './app.ts';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';
import { installTestWallet, TEST_WALLET_NAME } from './wallet.ts';

const appUrl = inject('appUrl');
const chain = inject('chain');
const PAYER_KEY = generatePrivateKey();
const PAYER = privateKeyToAccount(PAYER_KEY).address;
const unit = (s: string) => parseUnits(s, 18);

/** The payer's ledger rows as stored. */
async function rows(page: Page): Promise<LedgerEntry[]> {
  return (await readTables(page, ['ledgerEntries'])).ledgerEntries;
}

async function pay(page: Page, datanet: string, amount: string): Promise<void> {
  const value = await page.locator('#pay-datanet option', { hasText: datanet }).first().getAttribute('value');
  await page.locator('#pay-datanet').selectOption(value!);
  await page.getByLabel('Amount (tOPEN)').fill(amount);
  await page.getByRole('button', { name: 'Add fee' }).click();
}

describe('a fee the balance cannot cover never blocks the ledger', () => {
  let profile: BrowserProfile;
  let pc: PublicClient;
  const balance = (a: Hex) => pc.readContract({ address: chain.token, abi: testTokenAbi, functionName: 'balanceOf', args: [a] });

  beforeAll(async () => {
    pc = createPublicClient({ transport: http(chain.rpcUrl) }) as PublicClient;
    await fetch(chain.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_setBalance', params: [PAYER, toHex(parseEther('1'))] }),
    });
    // Exactly 5 tOPEN, minted by the deployer (the token's owner).
    const deployer = createWalletClient({ account: privateKeyToAccount(anvilDevAccounts(1)[0]!.privateKey), transport: http(chain.rpcUrl) });
    const hash = await deployer.writeContract({ address: chain.token, abi: testTokenAbi, functionName: 'mint', args: [PAYER, unit('5')], chain: null });
    await pc.waitForTransactionReceipt({ hash });
    profile = await openProfile();
    await installTestWallet(profile.page, { privateKeys: [PAYER_KEY], rpcUrl: chain.rpcUrl, chainId: chain.chainId });
    await openApp(profile.page, appUrl);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
  });
  afterAll(async () => {
    await profile?.close();
  });

  it('warns before adding a fee the balance cannot cover, and adds it only when asked again', async () => {
    const { page } = profile;
    await navigate(page, 'Ledger');
    await page.getByRole('banner').getByRole('button', { name: 'Connect wallet' }).click();
    await page.getByRole('dialog', { name: 'Wallet' }).getByRole('button', { name: TEST_WALLET_NAME }).click();
    await eventually(async () => expect(await page.getByTestId('wallet-account').textContent()).toBe(PAYER));
    expect(await balance(PAYER)).toBe(unit('5'));

    await pay(page, 'Home Bread Baking', '2');
    await page.getByText(/Pending fee of 2 tOPEN/).waitFor();
    expect(await page.getByTestId('balance-cover-warning').count()).toBe(0);

    // 2 owed already + 10 = 12 > 5: warned, nothing created.
    await pay(page, 'Everyday Digital Security', '10');
    const warning = page.getByTestId('balance-cover-warning');
    await warning.waitFor();
    expect(await warning.textContent()).toMatch(/Your balance of 5 tOPEN cannot cover this fee and the 1 fee you already owe \(12 tOPEN\): it is short by 7 tOPEN/);
    expect((await rows(page)).length).toBe(1);
    await page.getByRole('button', { name: 'Add anyway' }).click();
    await page.getByText(/Pending fee of 10 tOPEN to Everyday Digital Security/).waitFor();
    expect((await rows(page)).map((r) => [r.fee, r.status]).sort()).toEqual([
      [unit('10'), 'pending'],
      [unit('2'), 'pending'],
    ]);
    expect(await page.getByRole('button', { name: 'Add fee' }).count()).toBe(1);
  });

  it('leaves the uncovered fee out of a payment: the covered one settles', async () => {
    const { page } = profile;
    // Both ticked: the Fees panel says the balance does not cover them.
    await eventually(async () => expect(await page.getByTestId('fees-owed').textContent()).toMatch(/in 2 fees/));
    const fees = page.locator('section[aria-labelledby="fees-title"]');
    await fees.getByTestId('balance-cover-warning').waitFor();
    expect(await fees.getByTestId('balance-cover-warning').textContent()).toMatch(/cannot cover the 2 ticked fees \(12 tOPEN\): it is short by 7 tOPEN/);

    await page.getByRole('checkbox', { name: 'Settle the fee to Everyday Digital Security for 10 tOPEN' }).uncheck();
    await eventually(async () => expect(await fees.getByTestId('balance-cover-warning').count()).toBe(0));
    await page.getByLabel('Payout').selectOption('direct');
    await page.getByRole('button', { name: /^Settle 1 fee$/ }).click();
    await page.getByTestId('settle-result').filter({ hasText: /Settled 1 fee in one payment \(2 tOPEN, direct\)/ }).waitFor({ timeout: 60_000 });
    expect(await balance(PAYER)).toBe(unit('3'));
    const r = await rows(page);
    const small = r.find((x) => x.fee === unit('2'))!;
    const big = r.find((x) => x.fee === unit('10'))!;
    expect(small.status).toBe('settled');
    expect(big.status).toBe('pending');
    // On chain: one payment settled, and it holds the small fee only.
    const { settlements: payments } = await readTables(page, ['settlements']);
    const mine = payments.filter((x) => x.feeIds.includes(small.id) || x.feeIds.includes(big.id));
    expect(mine.map((x) => [x.feeIds, x.status])).toEqual([[[small.id], 'confirmed']]);
    expect(await pc.readContract({ address: chain.settlement, abi: settlementAbi, functionName: 'settled', args: [mine[0]!.paymentId] })).toBe(true);
  });

  it('cancels the uncovered fee; a later fee settles', async () => {
    const { page } = profile;
    await page.getByRole('button', { name: 'Cancel the fee to Everyday Digital Security for 10 tOPEN' }).click();
    await page.getByTestId('cancel-result').waitFor();
    expect(await page.getByTestId('cancel-result').textContent()).toMatch(/Cancelled the fee to Everyday Digital Security for 10 tOPEN/);
    await eventually(async () => expect(await page.locator('tr[data-status="cancelled"]').count()).toBe(1));
    expect(await page.locator('tr[data-status="cancelled"]').textContent()).toContain('Cancelled');
    expect(await page.getByRole('button', { name: /^Cancel the fee/ }).count()).toBe(0);
    await eventually(async () => expect(await page.getByTestId('fees-owed').textContent()).toMatch(/Pending: 0 tOPEN in 0 fees/));

    await pay(page, 'Home Bread Baking', '1.5');
    await page.getByText(/Pending fee of 1.5 tOPEN/).waitFor();
    expect(await page.getByTestId('balance-cover-warning').count()).toBe(0);
    await page.getByRole('button', { name: /^Settle 1 fee$/ }).click();
    await page.getByTestId('settle-result').filter({ hasText: /Settled 1 fee in one payment \(1.5 tOPEN, direct\)/ }).waitFor({ timeout: 60_000 });
    expect(await balance(PAYER)).toBe(unit('1.5'));
    expect((await rows(page)).map((r) => r.status).sort()).toEqual(['cancelled', 'settled', 'settled']);
  });

  it('shows the earnings of the active identity: a local key chosen while the wallet stays connected', async () => {
    const { page } = profile;
    await eventually(async () => expect(await page.getByTestId('earnings-account').textContent()).toBe(PAYER));
    await createIdentity(page, 'Kitchen laptop key');
    const local = await page.locator('#identity-select').inputValue();
    expect(local.toLowerCase()).not.toBe(PAYER.toLowerCase());
    await eventually(async () => expect((await page.getByTestId('earnings-account').textContent())?.toLowerCase()).toBe(local.toLowerCase()));
    // The wallet is still connected; choosing its identity again shows its earnings.
    expect(await page.getByTestId('wallet-account').textContent()).toBe(PAYER);
    const walletOption = await page.locator('#identity-select option', { hasText: `Wallet · ${TEST_WALLET_NAME}` }).getAttribute('value');
    await page.locator('#identity-select').selectOption(walletOption!);
    await eventually(async () => expect(await page.getByTestId('earnings-account').textContent()).toBe(PAYER));
  });
});
