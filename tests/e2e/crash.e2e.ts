import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { createPublicClient, http, type PublicClient } from 'viem';
import { anvilDevAccounts } from '../../src/chain/devAccounts.ts';
import { settlementAbi } from '../../src/chain/generated/Settlement.ts';
import type { LedgerEntry, SettlementRecord } from '../../src/core/ledger.ts';
import type { Hex } from '../../src/core/types.ts';
import { makeContents } from '../../src/core/pack/packFixture.testkit.ts';
import { writePack } from '../../src/core/pack/writePack.ts';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';
import { createDatanet, eventually, navigate, openApp, previewContribution, readRow, readTables, submitPreviewed } from './app.ts';
import { installTestWallet, TEST_WALLET_NAME } from './wallet.ts';

/**
 * Crash safety: the tab is closed in the middle of a write against the real IndexedDB of a real
 * Chromium profile, then the app is reopened in the same profile. What was committed must be whole,
 * what was not must leave no trace, the app must start again, and the operation must succeed on retry.
 *
 * How the tests know the close landed mid-way (rather than before or after the operation): a second
 * tab of the same origin (on a static file, so no app runs there) watches IndexedDB; the working tab is
 * closed only once the watcher or the page's own progress shows the operation under way, and the
 * records found afterwards are checked to be strictly fewer than a finished operation would leave.
 */

const appUrl = inject('appUrl');

interface DatanetRecords {
  contributions: { id: string; chunkCount: number; title: string; status: string }[];
  passagesByContribution: Record<string, number>;
  uploads: number;
  versions: number;
  validations: number;
  datanets: number;
}

/** Everything IndexedDB holds for one Datanet, read with the raw IndexedDB API (not the app's code). */
async function recordsOf(page: Page, datanetId: string): Promise<DatanetRecords> {
  const [rows, datanet] = await Promise.all([
    readTables(page, ['contributions', 'chunks', 'uploads', 'versions', 'validations'], { datanetId }),
    readRow(page, 'datanets', datanetId),
  ]);
  const passagesByContribution: Record<string, number> = {};
  for (const p of rows.chunks) passagesByContribution[p.contributionId] = (passagesByContribution[p.contributionId] ?? 0) + 1;
  return {
    contributions: rows.contributions.map((c) => ({ id: c.id, chunkCount: c.chunkCount, title: c.title, status: c.status })),
    passagesByContribution,
    uploads: rows.uploads.length,
    versions: rows.versions.length,
    validations: rows.validations.length,
    datanets: datanet ? 1 : 0,
  };
}

/** Every stored contribution has all its passages, and no passage is without its contribution. */
function expectWhole(r: DatanetRecords): void {
  const ids = new Set(r.contributions.map((c) => c.id));
  for (const c of r.contributions) expect(r.passagesByContribution[c.id], `passages of ${c.title}`).toBe(c.chunkCount);
  for (const cid of Object.keys(r.passagesByContribution)) expect(ids.has(cid), `orphan passages of ${cid}`).toBe(true);
}

/** A tab on a static file of the app's origin: it shares the IndexedDB but runs no app code. */
async function watcherTab(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(new URL('chain.json', appUrl).href);
  return page;
}

/**
 * Many distinct Markdown files, each several passages long, so a batch takes measurable time to save.
 * Words are drawn from a seeded generator so that no two files look alike (no near-duplicate refusals).
 */
function fieldNotes(n: number): { name: string; mimeType: string; buffer: Buffer }[] {
  let seed = 0x2545f491;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x1_0000_0000;
  };
  const syllables = ['ka', 'ro', 'mi', 'tu', 'le', 'sa', 'no', 'vi', 'pe', 'da', 'gor', 'lin', 'mar', 'tes', 'ul', 'bri', 'fen', 'osk'];
  const word = () => Array.from({ length: 2 + Math.floor(next() * 3) }, () => syllables[Math.floor(next() * syllables.length)]).join('');
  return Array.from({ length: n }, (_, i) => {
    const paragraphs = Array.from({ length: 10 }, () => `${Array.from({ length: 70 }, word).join(' ')}.`);
    return { name: `estuary-survey-${i + 1}.md`, mimeType: 'text/markdown', buffer: Buffer.from(`# Survey ${i + 1}\n\n${paragraphs.join('\n\n')}`) };
  });
}

describe('crash safety: closing the tab mid-write', () => {
  let profile: BrowserProfile | undefined;

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
  });
  afterAll(async () => {
    await profile?.close();
  });

  beforeAll(async () => {
    profile = await openProfile({ webgpu: false });
    await openApp(profile.page, appUrl);
  });

  it('a contribution batch cut off by closing the tab keeps whole contributions only, and the retry completes it', async () => {
    const { context } = profile!;
    let page = profile!.page;
    const datanetPath = await createDatanet(page, {
      name: 'Estuary Wader Counts',
      summary: 'Roost counts of wading birds on the estuary.',
      description: 'Counts, weather and tide state.',
      tags: 'birds, estuary',
    });
    const datanetId = datanetPath.split('/').pop()!;
    const files = fieldNotes(16);
    await previewContribution(page, 'Estuary Wader Counts', { files });
    await page.getByRole('article', { name: `Preview of ${files[0]!.name}` }).waitFor();

    const watcher = await watcherTab(context);
    await page.getByRole('button', { name: /^Submit \d+ contribution/ }).click();
    // Close the working tab as soon as the first contribution is committed.
    const seen = await eventually(async () => {
      const r = await recordsOf(watcher, datanetId);
      expect(r.contributions.length).toBeGreaterThan(0);
      return r.contributions.length;
    }, 120_000, 5);
    await page.close();
    const after = await recordsOf(watcher, datanetId);
    // Mid-way: at least one was committed, and not all of them.
    expect(after.contributions.length).toBeGreaterThanOrEqual(seen);
    expect(after.contributions.length, 'the close landed after the whole batch was saved').toBeLessThan(files.length);
    expectWhole(after);
    expect(after.uploads).toBe(after.contributions.length);
    console.info(`upload cut off: ${after.contributions.length} of ${files.length} contributions committed, each whole`);

    // Reopen the app in the same profile: it starts, and shows the committed contributions.
    page = await context.newPage();
    await openApp(page, appUrl);
    await page.goto(new URL(datanetPath.slice(1), appUrl).href);
    const section = page.locator('section[aria-labelledby="contributions-title"]');
    for (const c of after.contributions) await section.getByText(c.title, { exact: true }).first().waitFor();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Estuary Wader Counts' }).waitFor({ timeout: 60_000 });

    // Retry the batch: the saved files are refused as duplicates, the rest are submitted.
    const saved = new Set(after.contributions.map((c) => c.title));
    const rest = files.filter((f) => !saved.has(f.name));
    await previewContribution(page, 'Estuary Wader Counts', { files });
    for (const f of files.filter((f) => saved.has(f.name))) {
      await eventually(async () => expect((await page.getByRole('article', { name: `Preview of ${f.name}` }).textContent()) ?? '').toMatch(/duplicate/i));
    }
    await page.getByRole('button', { name: `Submit ${rest.length} contribution${rest.length === 1 ? '' : 's'}` }).waitFor();
    await submitPreviewed(page);
    const final = await eventually(async () => {
      const r = await recordsOf(watcher, datanetId);
      expect(r.contributions.length).toBe(files.length);
      return r;
    }, 60_000);
    expectWhole(final);
    expect(new Set(final.contributions.map((c) => c.title))).toEqual(new Set(files.map((f) => f.name)));
    expect(final.uploads).toBe(files.length);
    await watcher.close();
  });

  it('a pack import cut off by closing the tab while it saves leaves no trace, and the retry imports it whole', async () => {
    const { context } = profile!;
    // Large enough that saving (one transaction) takes measurable time on this machine.
    const contents = await makeContents({ contributions: 1500, chunksEach: 4, moderation: 'owner' });
    const pack = writePack(contents, Date.now());
    const datanetId = contents.datanet.id;
    const choose = async (page: Page) => {
      await navigate(page, 'Datanets');
      await page.locator('#pack-file').setInputFiles({ name: pack.fileName, mimeType: 'application/zip', buffer: Buffer.from(pack.bytes) });
      await page.locator('form.import-pack').getByRole('button', { name: 'Import pack' }).click();
    };

    let page = await context.newPage();
    await openApp(page, appUrl);
    const watcher = await watcherTab(context);
    await choose(page);
    // The worker reports the 'writing' stage ("Saving") right before it opens the transaction.
    await page.locator('form.import-pack .progress-label', { hasText: /^Saving/ }).waitFor({ timeout: 170_000 });
    const reportShown = await page.locator('form.import-pack .alert-success').count();
    await page.close();
    expect(reportShown, 'the import had finished before the tab was closed').toBe(0);
    console.info(`pack import cut off while saving ${contents.contributions.length} contributions / ${contents.chunks.length} passages`);

    // The transaction never committed: not one record of the pack's Datanet is left.
    const after = await recordsOf(watcher, datanetId);
    expect(after, 'the close landed after the import transaction committed').toEqual({
      contributions: [],
      passagesByContribution: {},
      uploads: 0,
      versions: 0,
      validations: 0,
      datanets: 0,
    });

    // Reopen: the app starts, then the same pack imports whole.
    page = await context.newPage();
    await openApp(page, appUrl);
    await page.reload();
    await page.getByRole('heading', { level: 1 }).first().waitFor({ timeout: 60_000 });
    await choose(page);
    await page
      .locator('form.import-pack .alert-success')
      .getByText(new RegExp(`Imported .*version 1: ${contents.contributions.length} contributions, ${contents.chunks.length} passages`))
      .waitFor({ timeout: 170_000 });
    const final = await recordsOf(watcher, datanetId);
    expect(final.datanets).toBe(1);
    expect(final.versions).toBe(1);
    expect(final.contributions.length).toBe(contents.contributions.length);
    expect(final.validations).toBe(contents.validations.length);
    expectWhole(final);
    expect(final.contributions.every((c) => c.status === 'accepted')).toBe(true);
    await watcher.close();
  });
});

/** The ledger tables, read with the raw IndexedDB API. */
async function readLedgerRows(page: Page): Promise<{ entries: LedgerEntry[]; settlements: SettlementRecord[] }> {
  const { ledgerEntries, settlements } = await readTables(page, ['ledgerEntries', 'settlements']);
  return { entries: ledgerEntries, settlements };
}

describe('crash safety: closing the tab right after the wallet sends the settlement', () => {
  const chain = inject('chain');
  let profile: BrowserProfile | undefined;

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
  });
  afterAll(async () => {
    await profile?.close();
  });

  it('the fees left "submitting" are reconciled with the chain on the next start: paid once, never twice', async () => {
    const payer = anvilDevAccounts(4)[3]!;
    profile = await openProfile({ webgpu: false });
    const { context } = profile;
    let page = profile.page;
    const wallet = await installTestWallet(page, { privateKeys: [payer.privateKey], rpcUrl: chain.rpcUrl, chainId: chain.chainId });
    await openApp(page, appUrl);
    await navigate(page, 'Ledger');
    await page.getByRole('banner').getByRole('button', { name: 'Connect wallet' }).click();
    await page.getByRole('dialog', { name: 'Wallet' }).getByRole('button', { name: TEST_WALLET_NAME }).click();
    await eventually(async () => expect(await page.getByTestId('wallet-account').textContent()).toBe(payer.address));
    for (const amount of ['2', '5']) {
      const value = await page.locator('#pay-datanet option', { hasText: 'Home Bread Baking' }).first().getAttribute('value');
      await page.locator('#pay-datanet').selectOption(value!);
      await page.getByLabel('Amount (tOPEN)').fill(amount);
      await page.getByRole('button', { name: 'Add fee' }).click();
      await page.getByText(/Pending fee of/).first().waitFor();
    }
    await eventually(async () => expect((await readLedgerRows(page)).entries.filter((e) => e.status === 'pending').length).toBe(2));

    // Direct payout: the e2e files share one chain, and pooled credits here would change what other files' demo
    // contributors can claim.
    await page.getByLabel('Payout').selectOption('direct');
    // Close the tab as soon as the wallet is asked to send the transaction: the app never hears back.
    await page.getByRole('button', { name: /^Settle 2 fees/ }).click();
    await eventually(async () => expect(wallet.requests).toContain('eth_sendTransaction'), 60_000, 2);
    await page.close();
    const watcher = await watcherTab(context);
    const cut = await readLedgerRows(watcher);
    // How we know it landed mid-way: the app had marked the fees as being submitted and had not yet
    // recorded the outcome (no entry settled).
    expect(cut.entries.some((e) => e.status === 'settled'), 'the app recorded the outcome before the tab closed').toBe(false);
    expect(cut.entries.map((e) => e.status)).toEqual(['submitting', 'submitting']);
    console.info(`settlement cut off: entries ${cut.entries.map((e) => e.status).join(', ')}; settlements ${cut.settlements.map((s) => s.status).join(', ')}`);

    // Reopen: the start-up reconciliation asks the chain what became of the payment.
    page = await context.newPage();
    await installTestWallet(page, { privateKeys: [payer.privateKey], rpcUrl: chain.rpcUrl, chainId: chain.chainId });
    await openApp(page, appUrl);
    await navigate(page, 'Ledger');
    const pc = createPublicClient({ transport: http(chain.rpcUrl) }) as PublicClient;
    const settledOnChain = async (id: string) => pc.readContract({ address: chain.settlement, abi: settlementAbi, functionName: 'settled', args: [id as Hex] });
    const after = await eventually(async () => {
      const l = await readLedgerRows(watcher);
      expect(l.entries.every((e) => e.status === 'settled' || e.status === 'pending')).toBe(true);
      return l;
    }, 60_000);
    const paid = await Promise.all(after.settlements.map((s) => settledOnChain(s.paymentId)));
    if (after.entries.every((e) => e.status === 'settled')) {
      // The transaction was mined: the ledger says settled, exactly one payment is settled on chain.
      expect(paid.filter(Boolean).length).toBe(1);
      expect(new Set(after.entries.map((e) => e.txHash)).size).toBe(1);
    } else {
      // It never reached the chain: every fee is pending again and nothing is settled on chain.
      expect(after.entries.every((e) => e.status === 'pending')).toBe(true);
      expect(paid.some(Boolean)).toBe(false);
    }
    console.info(`after reopening: ${after.entries.map((e) => e.status).join(', ')}`);
    await watcher.close();
  });
});
