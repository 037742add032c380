/**
 * The whole loop in headless Chromium against the `npm start` stack: ask the demo model about a demo
 * Datanet → the answer streams → its attribution panel arrives after the stream → the priced answer's fee
 * is split by the attribution → the answers' fees settle in ONE payment (one signature, one transaction)
 * → a credited account claims exactly what the ledger shows.
 *
 * The bundled demo model decides how much of this can be checked. With a demo model that reproduces demo
 * passages (public/models/tributary-demo/demo.json `reproducesPassages: true` and its `reproducedExample`, measured by npm run train:demo),
 * the panel must credit the contribution holding the passage and highlight its span, and that
 * contributor claims. When it does not (a generated model, or today's tiny trained one) the test checks
 * everything that does not depend on what the model said — the panel arrives after the stream with a
 * record whose weights and unattributed share add up to 100 %, the fee split adds up to the price,
 * settlement of the answers' fees in one transaction, and the claim of an account the ledger credits (the
 * model's owner, who receives the unattributed share) equals the ledger.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPublicClient, getAddress, http, keccak256, parseEther, parseUnits, toHex, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { Page } from 'playwright-core';
import { anvilDevAccounts } from '../../src/chain/devAccounts.ts';
import { settlementAbi } from '../../src/chain/generated/Settlement.ts';
import { testTokenAbi } from '../../src/chain/generated/TestToken.ts';
import { readableAmount } from '../../src/core/readableAmount.ts';
import { summarizeEarnings, type LedgerEntry, type SettlementRecord } from '../../src/core/ledger.ts';
import type { Address, Hex } from '../../src/core/types.ts';
import { askAndTrace, eventually, navigate, openApp, readTables } from './app.ts';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';
import { installTestWallet, TEST_WALLET_NAME, type TestWallet } from './wallet.ts';

const appUrl = inject('appUrl');
const chain = inject('chain');

/**
 * Measured by npm run train:demo: `reproducesPassages` (a sample answer repeats ≥ 8 words of its passage) and the
 * longest reproduction (`reproducedExample`: the adapter, the question it was asked, greedily, and the words it repeated).
 */
const DEMO = JSON.parse(readFileSync('public/models/tributary-demo/demo.json', 'utf8')) as {
  reproducesPassages?: boolean;
  reproducedExample?: { adapter: string; question: string; verbatim: string };
  adapters: { dir: string; name: string }[];
};
const EXAMPLE = DEMO.reproducesPassages === true ? (DEMO.reproducedExample ?? null) : null;
const TRAINED = EXAMPLE !== null;
const demoKey = (...parts: string[]): Hex => keccak256(toHex(['tributary-demo', ...parts].join(':')));
/** A payer of its own (the other e2e files use accounts 1 and 3). */
const PAYER = anvilDevAccounts(6)[5]!;
/** The example's Datanet's demo contributors (scripts/build-demo-data.ts derives their keys); one of them is credited. */
const CONTRIBUTOR_KEYS = EXAMPLE ? Array.from({ length: 12 }, (_, n) => demoKey(EXAMPLE.adapter, 'contributor', String(n + 1))) : [];
const CONTRIBUTORS = CONTRIBUTOR_KEYS.map((k) => privateKeyToAccount(k).address);
/** Untrained fallback: the start of bread-baking's first passage, to be continued. */
const PASSAGE_START = 'Every morning in the bakery the first decision is not the recipe but the flour.';
const PRICE = '2';
const flat = (t: string): string => t.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

interface Stored {
  entries: LedgerEntry[];
  settlements: SettlementRecord[];
  records: { hash: Hex; answerId: string; record: { credits: { contributionId: Hex; contributor: Address; weightPpm: number }[]; unattributedPpm: number; methods: { method: string }[] } }[];
  passages: { contributionId: Hex; text: string }[];
}

async function readStore(page: Page): Promise<Stored> {
  const t = await readTables(page, ['ledgerEntries', 'settlements', 'attributionRecords', 'chunks']);
  return { entries: t.ledgerEntries, settlements: t.settlements, records: t.attributionRecords, passages: t.chunks };
}

describe('ask → attribute → fee → one settlement → claim', () => {
  let profile: BrowserProfile;
  let wallet: TestWallet;
  /** the contributor the trained example credits (read from the first test's record) */
  let credited: Address | undefined;
  let pc: PublicClient;
  const balance = (a: Address) => pc.readContract({ address: chain.token, abi: testTokenAbi, functionName: 'balanceOf', args: [a] });

  beforeAll(async () => {
    pc = createPublicClient({ transport: http(chain.rpcUrl) }) as PublicClient;
    for (const c of CONTRIBUTORS) {
      await fetch(chain.rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_setBalance', params: [c, toHex(parseEther('1'))] }),
      });
    }
    profile = await openProfile();
    wallet = await installTestWallet(profile.page, { privateKeys: [PAYER.privateKey, ...CONTRIBUTOR_KEYS], rpcUrl: chain.rpcUrl, chainId: chain.chainId });
    await openApp(profile.page, appUrl);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
  });
  afterAll(async () => {
    await profile?.close();
  });

  it('connects the payer wallet and prices the demo model', async () => {
    const { page } = profile;
    await navigate(page, 'Ledger');
    await page.getByRole('banner').getByRole('button', { name: 'Connect wallet' }).click();
    await page.getByRole('dialog', { name: 'Wallet' }).getByRole('button', { name: TEST_WALLET_NAME }).click();
    await eventually(async () => expect(await page.getByTestId('wallet-account').textContent()).toBe(PAYER.address));
    await navigate(page, 'Chat');
    await page.locator('#engine-backend').waitFor({ timeout: 90_000 });
    await eventually(async () => expect(await page.locator('#chat-input').isEditable()).toBe(true), 90_000);
    await page.locator('#answer-price').fill(PRICE);
    await page.getByRole('button', { name: 'Set price' }).click();
    await page.getByText(`Each answer now costs ${PRICE} tOPEN`).waitFor();
    expect(await page.getByTestId('model-price').textContent()).toBe(`${PRICE} tOPEN`);
  });

  it('the attribution panel arrives after each answer, with the record, the spans and a fee split that adds up to the price', async () => {
    const { page } = profile;
    await page.locator('#chat-seed').fill('7');
    await page.locator('#chat-max-tokens').fill(TRAINED ? '80' : '32'); // a trained answer repeats its title first
    await page.locator('#chat-max-tokens').dispatchEvent('change');
    if (EXAMPLE) {
      // exact weights, as npm run train:demo measured the example: the app's default int8 moves a 1M-parameter model's
      // greedy answer (a person may pick f32 under "Load another model")
      await page.getByText('Load another model').click();
      await page.getByLabel('f32 (exact, largest)').check();
      await page.getByRole('button', { name: 'Load model', exact: true }).click();
      await eventually(async () => expect(await page.locator('.model-weights-memory').textContent()).toContain('f32 (not quantised)'), 90_000);
      // the adapter learned its Datanet's passages (the base alone never saw them); greedy, as npm run train:demo asked
      await page.locator('#chat-temperature').fill('0');
      await page.locator('#chat-temperature').dispatchEvent('change');
      const name = DEMO.adapters.find((a) => a.dir === EXAMPLE.adapter)!.name;
      const labels = await page.locator('#chat-adapter option').allTextContents();
      await page.locator('#chat-adapter').selectOption({ label: labels.find((l) => l.includes(name))!.trim() });
    }
    const first = await askAndTrace(page, EXAMPLE ? EXAMPLE.question : `Continue this text from the bread baking Datanet: ${PASSAGE_START}`);
    await askAndTrace(page, 'How long should bread dough rise?');

    const stored = await readStore(page);
    expect(stored.records.length).toBe(2);
    for (const r of stored.records) {
      expect(r.record.credits.reduce((s, c) => s + c.weightPpm, 0) + r.record.unattributedPpm).toBe(1_000_000);
    }
    const fees = stored.entries.filter((e) => e.kind === 'answer');
    expect(fees.length).toBe(2);
    for (const f of fees) {
      expect(f.fee).toBe(parseUnits(PRICE, 18));
      expect(f.splits.reduce((s, x) => s + x.amount, 0n)).toBe(f.fee);
      expect(f.splits.every((x) => x.amount > 0n)).toBe(true);
      expect(stored.records.map((r) => r.hash)).toContain(f.subject); // the fee commits to its record
      expect(f.status).toBe('pending');
    }
    // the panel shows the split the ledger holds, and the unattributed share the record holds
    const shown = await first.panel.locator('table.fee-split td[data-amount]').evaluateAll((tds) => tds.map((td) => BigInt(td.getAttribute('data-amount')!)));
    expect(shown.reduce((s, x) => s + x, 0n)).toBe(parseUnits(PRICE, 18));
    expect(fees.map((f) => f.splits.length)).toContain(shown.length);
    expect(await first.panel.getByTestId('unattributed').textContent()).toMatch(/^\d+\.\d %$/);
    // the loaded model's own embeddings traced it too (engine worker), and the panel says so
    expect(await first.panel.locator('li[data-method="embedding"]').getAttribute('data-status')).toBe('used');
    for (const r of stored.records) expect(r.record.methods.map((m) => m.method)).toContain('embedding');

    if (EXAMPLE) {
      // the trained model reproduces the passage: the panel credits the contribution that holds it
      const passage = stored.passages.find((p) => flat(p.text).includes(flat(EXAMPLE.verbatim)))!;
      const holder = passage.contributionId;
      credited = stored.records.flatMap((r) => r.record.credits).find((c) => c.contributionId === holder)!.contributor;
      const top = await first.panel.locator('table.attribution-methods tbody tr').first().getAttribute('data-contribution');
      expect(top).toBe(holder);
      const mark = first.panel.locator(`.attribution-answer a.attribution-span[data-contribution="${holder}"] mark`);
      expect(await mark.count()).toBeGreaterThan(0);
      const marked = flat((await mark.first().textContent()) ?? '');
      expect(marked.split(' ').length).toBeGreaterThanOrEqual(3);
      expect(flat(passage.text)).toContain(marked);
    }
  });

  it("settles both answers' fees in one payment: one signature, one transaction", async () => {
    const { page } = profile;
    await navigate(page, 'Ledger');
    const payer0 = await balance(PAYER.address);
    const sends0 = wallet.requests.filter((m) => m === 'eth_sendTransaction').length;
    const signs0 = wallet.requests.filter((m) => m === 'eth_signTypedData_v4').length;
    await page.getByLabel('Payout').selectOption('pooled');
    await page.getByRole('button', { name: /^Settle 2 fees/ }).click();
    await page.getByTestId('settle-result').waitFor({ timeout: 60_000 });
    expect(wallet.requests.filter((m) => m === 'eth_sendTransaction').length).toBe(sends0 + 1);
    expect(wallet.requests.filter((m) => m === 'eth_signTypedData_v4').length - signs0).toBeLessThanOrEqual(2); // the payment (+ a permit)
    const { entries, settlements } = await readStore(page);
    const confirmed = settlements.filter((s) => s.status === 'confirmed');
    expect(confirmed.length).toBe(1);
    expect(confirmed[0]!.feeIds.length).toBe(2);
    expect(entries.filter((e) => e.kind === 'answer').every((e) => e.status === 'settled' && e.payoutMode === 'pooled')).toBe(true);
    expect(await pc.readContract({ address: chain.settlement, abi: settlementAbi, functionName: 'settled', args: [confirmed[0]!.paymentId] })).toBe(true);
    expect(payer0 - (await balance(PAYER.address))).toBe(2n * parseUnits(PRICE, 18));
  });

  it('a credited account claims exactly the amount the ledger shows', async () => {
    const { page } = profile;
    await page.getByRole('button', { name: 'Post epoch root' }).click();
    await page.getByTestId('root-result').filter({ hasText: /Posted the earnings root of pooled credits through block \d+/ }).waitFor({ timeout: 30_000 });
    const { entries } = await readStore(page);
    // trained: the credited contributor; generated: the model's owner (the payer set the price), paid the unattributed share
    const claimant = EXAMPLE ? getAddress(credited!) : PAYER.address;
    if (EXAMPLE) await wallet.selectAccount(1 + CONTRIBUTORS.findIndex((c) => c.toLowerCase() === claimant.toLowerCase()));
    await eventually(async () => expect(await page.getByTestId('wallet-account').textContent()).toBe(claimant));
    const owed = summarizeEarnings(entries, claimant);
    expect(owed.pooled > 0n).toBe(true);
    if (!EXAMPLE) {
      // the payer's account is this file's own: the chain owes it exactly this ledger's credit
      await eventually(async () => expect(await page.getByTestId('claimable').textContent()).toContain(`claimable now ${readableAmount(owed.pooled, 18)} tOPEN`));
      const before = await balance(claimant);
      await page.getByRole('button', { name: 'Claim', exact: true }).click();
      await page.getByTestId('claim-result').filter({ hasText: /^Claimed/ }).waitFor({ timeout: 60_000 });
      expect((await balance(claimant)) - before).toBe(owed.pooled);
      return;
    }
    // a demo contributor may also be credited by other e2e files' answers on the same chain: this ledger's credit is
    // part of what the page shows as claimable, and the claim pays exactly what it shows (to its 4 shown decimals)
    let shown = 0n;
    await eventually(async () => {
      const m = /claimable now ([\d.,]+) tOPEN/.exec((await page.getByTestId('claimable').textContent()) ?? '');
      expect(m).not.toBeNull();
      shown = parseUnits(m![1]!.replace(/,/g, ''), 18);
      expect(shown + parseUnits('0.00005', 18)).toBeGreaterThanOrEqual(owed.pooled);
    });
    const before = await balance(claimant);
    await page.getByRole('button', { name: 'Claim', exact: true }).click();
    await page.getByTestId('claim-result').filter({ hasText: /^Claimed/ }).waitFor({ timeout: 60_000 });
    const paid = (await balance(claimant)) - before;
    expect(paid >= owed.pooled).toBe(true);
    expect(readableAmount(paid, 18)).toBe(readableAmount(shown, 18));
  });
});
