/**
 * A local key's earnings claimed to a wallet, as a person would: as the local key "Me", create a Datanet
 * (its owner's share then goes to the key); connect a wallet and pay that Datanet in pooled mode; post the
 * epoch root; switch back to "Me" and use "Claim to wallet…". The local key signs the authorisation in the
 * worker (the wallet is asked for no signature), the wallet only sends `claimFor`, and the wallet's token
 * balance grows by exactly what the ledger says the key earned. The e2e files share one chain: everything
 * is asserted as a change (deltas), for accounts of this file.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPublicClient, createWalletClient, http, parseEther, parseUnits, toHex, type PublicClient } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { Page } from 'playwright-core';
import { anvilDevAccounts } from '../../src/chain/devAccounts.ts';
import { settlementAbi } from '../../src/chain/generated/Settlement.ts';
import { testTokenAbi } from '../../src/chain/generated/TestToken.ts';
import { summarizeEarnings, type ClaimRecord, type LedgerEntry } from '../../src/core/ledger.ts';
import { readableAmount } from '../../src/core/readableAmount.ts';
import type { Address } from '../../src/core/types.ts';
import { createDatanet, eventually, navigate, openApp, readTables, switchIdentity } from './app.ts';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';
import { installTestWallet, TEST_WALLET_NAME, type TestWallet } from './wallet.ts';

const appUrl = inject('appUrl');
const chain = inject('chain');

const PAYER_KEY = generatePrivateKey();
const PAYER = privateKeyToAccount(PAYER_KEY).address;
const DATANET = `Claims of a local key ${PAYER.slice(2, 8)}`;

async function readLedger(page: Page): Promise<{ entries: LedgerEntry[]; claims: ClaimRecord[] }> {
  const { ledgerEntries, claims } = await readTables(page, ['ledgerEntries', 'claims']);
  return { entries: ledgerEntries, claims };
}

describe('a local key claims its earnings to a wallet', () => {
  let profile: BrowserProfile;
  let wallet: TestWallet;
  let pc: PublicClient;
  let localKey: Address;
  let owed = 0n;
  const balance = (a: Address) => pc.readContract({ address: chain.token, abi: testTokenAbi, functionName: 'balanceOf', args: [a] });
  const claimed = (a: Address) => pc.readContract({ address: chain.settlement, abi: settlementAbi, functionName: 'claimed', args: [a] });
  const count = (method: string) => wallet.requests.filter((m) => m === method).length;

  beforeAll(async () => {
    pc = createPublicClient({ transport: http(chain.rpcUrl) }) as PublicClient;
    await fetch(chain.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_setBalance', params: [PAYER, toHex(parseEther('1'))] }),
    });
    const deployer = createWalletClient({ account: privateKeyToAccount(anvilDevAccounts(1)[0]!.privateKey), transport: http(chain.rpcUrl) });
    await pc.waitForTransactionReceipt({ hash: await deployer.writeContract({ address: chain.token, abi: testTokenAbi, functionName: 'mint', args: [PAYER, parseUnits('100', 18)], chain: null }) });
    profile = await openProfile();
    wallet = await installTestWallet(profile.page, { privateKeys: [PAYER_KEY], rpcUrl: chain.rpcUrl, chainId: chain.chainId });
    await openApp(profile.page, appUrl);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
  });
  afterAll(async () => {
    await profile?.close();
  });

  it('the local key owns a Datanet that a wallet pays in pooled mode; the root is posted', async () => {
    const { page } = profile;
    await navigate(page, 'Ledger');
    localKey = (await page.getByTestId('earnings-account').textContent()) as Address;
    expect(localKey).toMatch(/^0x[0-9a-fA-F]{40}$/);
    // Before a wallet is connected the local key's claim section says how it will claim.
    await createDatanet(page, { name: DATANET, summary: 'Owned by a local key', description: 'Pays its owner, a local key without a wallet.', tags: 'test' });

    await navigate(page, 'Ledger');
    await page.getByRole('banner').getByRole('button', { name: 'Connect wallet' }).click();
    await page.getByRole('dialog', { name: 'Wallet' }).getByRole('button', { name: TEST_WALLET_NAME }).click();
    await eventually(async () => expect(await page.getByTestId('wallet-account').textContent()).toBe(PAYER));
    const value = await page.locator('#pay-datanet option', { hasText: DATANET }).first().getAttribute('value');
    await page.locator('#pay-datanet').selectOption(value!);
    await page.getByLabel('Amount (tOPEN)').fill('10');
    await page.getByRole('button', { name: 'Add fee' }).click();
    await page.getByText(/Pending fee of 10 tOPEN/).waitFor();
    const pending = (await readLedger(page)).entries.filter((e) => e.status === 'pending');
    expect(pending.length).toBe(1);
    owed = summarizeEarnings(pending, localKey).unsettled;
    expect(owed > 0n).toBe(true);

    await page.getByLabel('Payout').selectOption('pooled');
    await page.getByRole('button', { name: /^Settle 1 fee/ }).click();
    await page.getByTestId('settle-result').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Post epoch root' }).click();
    await page.getByTestId('root-result').filter({ hasText: /Posted the earnings root/ }).waitFor({ timeout: 30_000 });
  });

  it('as the local key, "Claim to wallet…" pays the connected wallet exactly what the key earned; the key signs, the wallet sends', async () => {
    const { page } = profile;
    await switchIdentity(page, 'Me');
    await eventually(async () => expect(await page.getByTestId('claim-account').textContent()).toContain(localKey));
    await eventually(async () => expect(await page.getByTestId('claimable').textContent()).toContain(`claimable now ${readableAmount(owed, 18)} tOPEN`));
    // A local key has no "Claim" of its own: it claims to a wallet.
    expect(await page.getByRole('button', { name: 'Claim', exact: true }).count()).toBe(0);
    await page.getByRole('button', { name: 'Claim to wallet…' }).click();
    const form = page.getByRole('form', { name: 'Claim to wallet' });
    const recipient = form.getByLabel('Pay to (recipient address)');
    // The connected wallet is the default recipient and the default sender.
    expect(await recipient.inputValue()).toBe(PAYER);
    expect(await form.getByRole('radio', { name: /The connected wallet/ }).isChecked()).toBe(true);
    expect(await form.getByRole('radio', { name: /The local key itself/ }).isDisabled()).toBe(true);
    const submit = form.getByRole('button', { name: 'Sign and claim to this address' });
    // A mistyped address is refused before anything is signed.
    await recipient.fill('0x1234');
    await form.getByText('Not an address').waitFor();
    expect(await submit.isDisabled()).toBe(true);
    await recipient.fill(PAYER);

    const [wallet0, key0, claimed0] = await Promise.all([balance(PAYER), balance(localKey), claimed(localKey)]);
    const [signs0, sends0] = [count('eth_signTypedData_v4'), count('eth_sendTransaction')];
    await submit.click();
    await page.getByTestId('claim-result').filter({ hasText: /^Claimed/ }).waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('claim-result').textContent()).toContain(`Claimed ${readableAmount(owed, 18)} tOPEN to ${PAYER}`);
    expect((await balance(PAYER)) - wallet0).toBe(owed);
    expect(await balance(localKey)).toBe(key0);
    expect((await claimed(localKey)) - claimed0).toBe(owed);
    // The wallet sent one transaction and signed nothing: the authorisation is the local key's.
    expect(count('eth_sendTransaction')).toBe(sends0 + 1);
    expect(count('eth_signTypedData_v4')).toBe(signs0);

    const { claims } = await readLedger(page);
    expect(claims.map((c) => ({ account: c.account, recipient: c.recipient, amount: c.amount, status: c.status }))).toEqual([{ account: localKey, recipient: PAYER, amount: owed, status: 'confirmed' }]);
    await eventually(async () => expect(await page.locator('li[data-claim]').first().textContent()).toMatch(new RegExp(`to ${PAYER.slice(0, 6)}`)));
    // Nothing is left to claim, and the key's pool shows it.
    await eventually(async () => expect(await page.getByTestId('claimable').textContent()).toMatch(/claimable now 0 tOPEN|Nothing/));
    await eventually(async () => expect(await page.getByTestId('earnings-pooled').textContent()).toBe('0 tOPEN'));
  });

  it('a local key that holds gas sends its own claim to an address typed in; the wallet is not asked at all', async () => {
    const { page } = profile;
    // New pooled earnings for the key: the wallet pays its Datanet again, the root is posted.
    await switchIdentity(page, TEST_WALLET_NAME);
    const value = await page.locator('#pay-datanet option', { hasText: DATANET }).first().getAttribute('value');
    await page.locator('#pay-datanet').selectOption(value!);
    await page.getByLabel('Amount (tOPEN)').fill('4');
    await page.getByRole('button', { name: 'Add fee' }).click();
    await page.getByText(/Pending fee of 4 tOPEN/).waitFor();
    const fee = (await readLedger(page)).entries.filter((e) => e.status === 'pending');
    expect(fee.length).toBe(1);
    const owed2 = summarizeEarnings(fee, localKey).unsettled;
    await page.getByLabel('Payout').selectOption('pooled');
    await page.getByRole('button', { name: /^Settle 1 fee/ }).click();
    await page.getByTestId('settle-result').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Post epoch root' }).click();
    await page.getByTestId('root-result').filter({ hasText: /Posted the earnings root/ }).waitFor({ timeout: 30_000 });

    // Someone sends the local key gas money.
    await fetch(chain.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_setBalance', params: [localKey, toHex(parseEther('0.05'))] }),
    });
    await switchIdentity(page, 'Me');
    await eventually(async () => expect(await page.getByTestId('claimable').textContent()).toContain(`claimable now ${readableAmount(owed2, 18)} tOPEN`));
    await page.getByRole('button', { name: 'Claim to wallet…' }).click();
    const form = page.getByRole('form', { name: 'Claim to wallet' });
    const keySends = form.getByRole('radio', { name: /The local key itself/ });
    await eventually(async () => expect(await keySends.isDisabled()).toBe(false));
    const elsewhere = privateKeyToAccount(generatePrivateKey()).address;
    await form.getByLabel('Pay to (recipient address)').fill(elsewhere);
    await keySends.check();
    const requests0 = wallet.requests.length;
    const [gas0, claimed0] = await Promise.all([pc.getBalance({ address: localKey }), claimed(localKey)]);
    await form.getByRole('button', { name: 'Sign and claim to this address' }).click();
    await page.getByTestId('claim-result').filter({ hasText: /^Claimed/ }).waitFor({ timeout: 60_000 });
    expect(await balance(elsewhere)).toBe(owed2);
    expect((await claimed(localKey)) - claimed0).toBe(owed2);
    expect(await pc.getBalance({ address: localKey })).toBeLessThan(gas0); // the key paid the gas
    expect(wallet.requests.slice(requests0).filter((m) => m === 'eth_sendTransaction' || m === 'eth_signTypedData_v4')).toEqual([]);
    const { claims } = await readLedger(page);
    expect(claims.filter((c) => c.recipient === elsewhere).map((c) => [c.amount, c.status])).toEqual([[owed2, 'confirmed']]);
  });
});
