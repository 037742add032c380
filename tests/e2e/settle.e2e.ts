/**
 * Settlement end to end, in headless Chromium against the `npm start` stack (local anvil chain +
 * deployed contracts + the built app), with an EIP-1193 test wallet injected by the test (tests/e2e/
 * wallet.ts). The wallet holds two keys: a payer (anvil dev account #1) and a demo contributor of
 * "Home Bread Baking" (the key scripts/build-demo-data.ts signed their contributions with).
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPublicClient, http, keccak256, parseEther, parseUnits, toHex, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { Page } from 'playwright-core';
import { anvilDevAccounts } from '../../src/chain/devAccounts.ts';
import { settlementAbi } from '../../src/chain/generated/Settlement.ts';
import { testTokenAbi } from '../../src/chain/generated/TestToken.ts';
import { exactAmount, readableAmount } from '../../src/core/readableAmount.ts';
import { summarizeEarnings, type ClaimRecord, type LedgerEntry, type SettlementRecord } from '../../src/core/ledger.ts';
import type { Address, Hex } from '../../src/core/types.ts';
import { eventually, navigate, openApp, previewContribution, readTables, submitPreviewed } from './app.ts';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';
import { installTestWallet, TEST_WALLET_NAME, type TestWallet } from './wallet.ts';

const appUrl = inject('appUrl');
const chain = inject('chain');

/** The key of demo contributor K of a demo Datanet (as scripts/build-demo-data.ts derives it). */
const demoKey = (...parts: string[]): Hex => keccak256(toHex(['tributary-demo', ...parts].join(':')));

const PAYER = anvilDevAccounts(2)[1]!;
const CONTRIBUTOR_KEY = demoKey('bread-baking', 'contributor', '3');
const CONTRIBUTOR = privateKeyToAccount(CONTRIBUTOR_KEY).address;
const TREASURY = chain.treasury;

interface Ledger {
  entries: LedgerEntry[];
  settlements: SettlementRecord[];
  claims: ClaimRecord[];
}

/** The app's ledger tables, read from its IndexedDB (bigints kept exact). */
async function readLedger(page: Page): Promise<Ledger> {
  const { ledgerEntries, settlements, claims } = await readTables(page, ['ledgerEntries', 'settlements', 'claims']);
  return { entries: ledgerEntries, settlements, claims };
}

/** Pick a Datanet in the "Pay a Datanet" form by name. */
async function selectDatanet(page: Page, name: string): Promise<void> {
  const value = await page.locator('#pay-datanet option', { hasText: name }).first().getAttribute('value');
  if (!value) throw new Error(`no Datanet ${name} to pay`);
  await page.locator('#pay-datanet').selectOption(value);
}

describe('settlement through an injected wallet', () => {
  let profile: BrowserProfile;
  let wallet: TestWallet;
  let pc: PublicClient;
  const balance = (a: Address) => pc.readContract({ address: chain.token, abi: testTokenAbi, functionName: 'balanceOf', args: [a] });

  beforeAll(async () => {
    pc = createPublicClient({ transport: http(chain.rpcUrl) }) as PublicClient;
    // The demo contributor never held ETH: give it gas money for its claim (anvil's own RPC).
    await fetch(chain.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_setBalance', params: [CONTRIBUTOR, toHex(parseEther('1'))] }),
    });
    profile = await openProfile();
    wallet = await installTestWallet(profile.page, { privateKeys: [PAYER.privateKey, CONTRIBUTOR_KEY], rpcUrl: chain.rpcUrl, chainId: chain.chainId });
    await openApp(profile.page, appUrl);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
  });
  afterAll(async () => {
    await profile?.close();
  });

  it('connects the wallet announced by EIP-6963 and shows its on-chain balance', async () => {
    const { page } = profile;
    await navigate(page, 'Ledger');
    const header = page.getByRole('banner');
    await header.getByRole('button', { name: 'Connect wallet' }).click();
    await page.getByRole('dialog', { name: 'Wallet' }).getByRole('button', { name: TEST_WALLET_NAME }).click();
    await eventually(async () => expect(await page.getByTestId('wallet-account').textContent()).toBe(PAYER.address));
    expect(wallet.requests).toContain('eth_requestAccounts');
    // The wallet's account is now the active identity (contributions and votes are signed in the wallet).
    expect(await page.locator('#identity-select option:checked').textContent()).toContain(`Wallet · ${TEST_WALLET_NAME}`);
    const onChain = await balance(PAYER.address);
    await eventually(async () => expect(await page.getByTestId('token-balance').textContent()).toBe(`${readableAmount(onChain, 18)} tOPEN`));
  });

  it('signs a contribution in the wallet when its account is the active identity', async () => {
    const { page } = profile;
    const signedBefore = wallet.requests.filter((m) => m === 'eth_signTypedData_v4').length;
    await previewContribution(page, 'Everyday Digital Security', {
      pasteTitle: 'Passkeys at home',
      pasteText:
        'A passkey replaces a password with a key pair kept on your device. The site stores only the public key, so a breach of the site leaks nothing you could reuse elsewhere. Keep a second device enrolled as a backup.',
    });
    await submitPreviewed(page);
    expect(wallet.requests.filter((m) => m === 'eth_signTypedData_v4').length).toBe(signedBefore + 1);
    const { contributions } = await readTables(page, ['contributions']);
    const stored = contributions.find((r) => r.title === 'Passkeys at home')?.contributor;
    expect(stored).toBe(PAYER.address);
  });

  it('pays Datanets: pending fees whose splits add up to the fee', async () => {
    const { page } = profile;
    await navigate(page, 'Ledger');
    const pay = async (datanet: string, amount: string) => {
      await selectDatanet(page, datanet);
      await page.getByLabel('Amount (tOPEN)').fill(amount);
      await page.getByRole('button', { name: 'Add fee' }).click();
      await page.getByText(/Pending fee of/).waitFor();
    };
    const before = (await readLedger(page)).entries.length;
    await pay('Home Bread Baking', '12.5');
    await pay('Home Bread Baking', '0.000000000000000123');
    await pay('Everyday Digital Security', '3');
    const { entries } = await readLedger(page);
    expect(entries.length).toBe(before + 3);
    for (const e of entries) {
      expect(e.status).toBe('pending');
      expect(e.splits.reduce((s, x) => s + x.amount, 0n)).toBe(e.fee);
      expect(e.splits.every((x) => x.amount > 0n)).toBe(true);
    }
    expect(entries.map((e) => e.fee).sort()).toEqual([123n, parseUnits('12.5', 18), parseUnits('3', 18)].sort());
    await eventually(async () => expect(await page.getByTestId('fees-owed').textContent()).toMatch(/in 3 fees/));
  });

  it('rejecting in the wallet leaves the ledger and the chain unchanged', async () => {
    const { page } = profile;
    const ledger0 = await readLedger(page);
    const balance0 = await balance(PAYER.address);
    await page.getByLabel('Payout').selectOption('pooled');

    const money = (l: Ledger) => l.entries.map((e) => ({ id: e.id, status: e.status, fee: e.fee, splits: e.splits, txHash: e.txHash })).sort((a, b) => (a.id < b.id ? -1 : 1));

    // 1. Rejected at the payment's signature (the only one for all 3 fees): the fees stay pending.
    wallet.rejectNext('eth_signTypedData_v4');
    await page.getByRole('button', { name: /^Settle 3 fees/ }).click();
    await page.getByRole('alert').filter({ hasText: 'You rejected the request in your wallet' }).waitFor();
    expect(money(await readLedger(page))).toEqual(money(ledger0));

    // 2. Rejected at the transaction: the fees go back to pending, no money moved.
    wallet.rejectNext('eth_sendTransaction');
    await page.getByRole('button', { name: /^Settle 3 fees/ }).click();
    await page.getByRole('alert').filter({ hasText: 'You rejected the request in your wallet' }).waitFor();
    const ledger1 = await readLedger(page);
    expect(money(ledger1)).toEqual(money(ledger0));
    expect(ledger1.settlements.map((s) => s.status)).toEqual(['failed', 'failed']);
    expect(await balance(PAYER.address)).toBe(balance0);
    const settled = await Promise.all(ledger1.settlements.map((s) => pc.readContract({ address: chain.settlement, abi: settlementAbi, functionName: 'settled', args: [s.paymentId] })));
    expect(settled.every((s) => !s)).toBe(true);
  });

  it('settles every pending fee in one payment (one signature) and one transaction; the payer pays exactly the ledger total', async () => {
    const { page } = profile;
    const balance0 = await balance(PAYER.address);
    // the e2e files share one chain: other files may have pooled before this one
    const pooled0 = await pc.readContract({ address: chain.settlement, abi: settlementAbi, functionName: 'totalPooled' });
    const sends0 = wallet.requests.filter((m) => m === 'eth_sendTransaction').length;
    const signs0 = wallet.requests.filter((m) => m === 'eth_signTypedData_v4').length;
    await page.getByLabel('Payout').selectOption('pooled');
    await page.getByRole('button', { name: /^Settle 3 fees/ }).click();
    await page.getByTestId('settle-result').waitFor({ timeout: 60_000 });
    // One transaction (the allowance came as a permit signature) and two signatures: the payment, the permit.
    expect(wallet.requests.filter((m) => m === 'eth_sendTransaction').length).toBe(sends0 + 1);
    expect(wallet.requests.filter((m) => m === 'eth_signTypedData_v4').length - signs0).toBeLessThanOrEqual(2);
    const { entries, settlements } = await readLedger(page);
    expect(entries.every((e) => e.status === 'settled' && e.payoutMode === 'pooled' && /^0x[0-9a-f]{64}$/.test(e.txHash ?? ''))).toBe(true);
    expect(new Set(entries.map((e) => e.txHash)).size).toBe(1);
    expect(settlements.filter((s) => s.status === 'confirmed').length).toBe(1);
    const total = entries.reduce((s, e) => s + e.fee, 0n);
    expect(balance0 - (await balance(PAYER.address))).toBe(total);
    const confirmed = settlements.find((s) => s.status === 'confirmed')!;
    expect(confirmed.feeIds.length).toBe(3);
    expect(await pc.readContract({ address: chain.settlement, abi: settlementAbi, functionName: 'settled', args: [confirmed.paymentId] })).toBe(true);
    expect(await pc.readContract({ address: chain.settlement, abi: settlementAbi, functionName: 'totalPooled' })).toBe(pooled0 + total);
    await eventually(async () => expect(await page.locator('tr[data-status="settled"]').count()).toBe(3));
  });

  it('posts the epoch root (local chain) and the demo contributor claims exactly what the ledger says', async () => {
    const { page } = profile;
    await page.getByRole('button', { name: 'Post epoch root' }).click();
    await page.getByTestId('root-result').filter({ hasText: /Posted the earnings root of pooled credits through block \d+/ }).waitFor({ timeout: 30_000 });
    // The message sits with "Post epoch root", not with Claim; and it is the payer's: it goes with the account.
    expect(await page.locator('.local-only').getByTestId('root-result').count()).toBe(1);

    // The wallet switches to the contributor's account: the page follows accountsChanged.
    await wallet.selectAccount(1);
    await eventually(async () => expect(await page.getByTestId('wallet-account').textContent()).toBe(CONTRIBUTOR));
    // The payer's messages ("Settled 3 receipts…", the root posted) are not shown under the contributor.
    await eventually(async () => expect(await page.getByTestId('settle-result').count()).toBe(0));
    expect(await page.getByTestId('root-result').count()).toBe(0);
    const { entries } = await readLedger(page);
    const owed = summarizeEarnings(entries, CONTRIBUTOR);
    expect(owed.pooled > 0n).toBe(true);
    expect(owed.unsettled).toBe(0n);
    await eventually(async () => expect(await page.getByTestId('earnings-pooled').textContent()).toBe(`${readableAmount(owed.pooled, 18)} tOPEN`));
    // Rounded for reading; the exact amount on hover (title) and in the clipboard when copied.
    const amount = page.getByTestId('earnings-pooled').locator('.token-amount');
    expect(await amount.getAttribute('title')).toBe(`${exactAmount(owed.pooled, 18)} tOPEN`);
    expect(exactAmount(owed.pooled, 18)).not.toBe(readableAmount(owed.pooled, 18));
    const copied = await amount.evaluate((el) => {
      const range = document.createRange();
      range.selectNodeContents(el);
      getSelection()!.removeAllRanges();
      getSelection()!.addRange(range);
      const data = new DataTransfer();
      el.firstChild!.dispatchEvent(new ClipboardEvent('copy', { clipboardData: data, bubbles: true, cancelable: true }));
      return data.getData('text/plain');
    });
    expect(copied).toBe(`${exactAmount(owed.pooled, 18)} tOPEN`);
    await eventually(async () => expect(await page.getByTestId('claimable').textContent()).toContain(`claimable now ${readableAmount(owed.pooled, 18)} tOPEN`));

    const before = await balance(CONTRIBUTOR);
    await page.getByRole('button', { name: 'Claim', exact: true }).click();
    await page.getByTestId('claim-result').filter({ hasText: /^Claimed/ }).waitFor({ timeout: 60_000 });
    expect((await balance(CONTRIBUTOR)) - before).toBe(owed.pooled);
    expect(await pc.readContract({ address: chain.settlement, abi: settlementAbi, functionName: 'claimed', args: [CONTRIBUTOR] })).toBe(owed.pooled);
    await eventually(async () => expect(await page.getByTestId('claimed-total').textContent()).toBe(`${readableAmount(owed.pooled, 18)} tOPEN`));
    const { claims } = await readLedger(page);
    expect(claims.map((c) => [c.status, c.amount])).toEqual([['confirmed', owed.pooled]]);
    // One source of truth: the claimed amount left the pool and is in the wallet, also after a reload.
    const shown = async () => {
      await eventually(async () => expect(await page.getByTestId('earnings-pooled').textContent()).toBe('0 tOPEN'));
      await eventually(async () => expect(await page.getByTestId('earnings-direct').textContent()).toBe(`${readableAmount(owed.paidDirect + owed.pooled, 18)} tOPEN`));
    };
    await shown();
    // The claim result sits beside Claim, not under "Post epoch root".
    expect(await page.locator('.local-only').getByTestId('claim-result').count()).toBe(0);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Ledger' }).waitFor();
    await eventually(async () => expect(await page.getByTestId('wallet-account').textContent()).toBe(CONTRIBUTOR));
    await shown();
    // A second claim has nothing left.
    await eventually(async () => expect(await page.getByTestId('claimable').textContent()).toMatch(/claimable now 0 tOPEN|Nothing/));
  });

  it('direct payout: recipients are paid in the same transaction, balances equal the ledger', async () => {
    const { page } = profile;
    await wallet.selectAccount(0);
    await eventually(async () => expect(await page.getByTestId('wallet-account').textContent()).toBe(PAYER.address));
    await selectDatanet(page, 'Home Bread Baking');
    await page.getByLabel('Amount (tOPEN)').fill('7.77');
    await page.getByRole('button', { name: 'Add fee' }).click();
    await page.getByText(/Pending fee of 7.77 tOPEN/).waitFor();
    const pending = (await readLedger(page)).entries.filter((e) => e.status === 'pending');
    expect(pending.length).toBe(1);
    const recipients = [...new Set(pending[0]!.splits.map((s) => s.recipient))];
    const before = new Map(await Promise.all(recipients.map(async (r) => [r, await balance(r)] as const)));
    const payer0 = await balance(PAYER.address);
    await page.getByLabel('Payout').selectOption('direct');
    await page.getByRole('button', { name: /^Settle 1 fee/ }).click();
    await page.getByTestId('settle-result').filter({ hasText: 'direct' }).waitFor({ timeout: 60_000 });
    const { entries } = await readLedger(page);
    const settledNow = entries.filter((e) => e.id === pending[0]!.id);
    expect(settledNow[0]).toMatchObject({ status: 'settled', payoutMode: 'direct' });
    expect(payer0 - (await balance(PAYER.address))).toBe(pending[0]!.fee);
    for (const r of recipients) {
      const delta = (await balance(r)) - before.get(r)!;
      expect(delta).toBe(summarizeEarnings(settledNow, r).paidDirect);
    }
    expect(recipients.map((r) => r.toLowerCase())).toContain(TREASURY.toLowerCase());
  });
});
