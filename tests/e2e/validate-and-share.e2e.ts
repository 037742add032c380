import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveStatic } from '../../scripts/serve.mjs';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openProfile, type BrowserProfile } from './browser.ts';
import { createDatanet, createIdentity, eventually, navigate, openApp, previewContribution, submitPreviewed, switchIdentity, tableCounts } from './app.ts';

const appUrl = inject('appUrl');

const DATANET = {
  name: 'Lighthouse Keepers Logbook',
  summary: 'Practical notes from people who keep small lighthouses running.',
  description: 'Lamps, lenses, fog signals and the weather that tests them.',
  tags: 'maritime, history',
};
const ENTRY_TITLE = 'Cleaning a Fresnel lens';
const ENTRY =
  'A Fresnel lens is cleaned from the top prism downward with a soft chamois and distilled water, never with ' +
  'ammonia, which clouds the glass. The keeper works in cotton gloves and finishes each panel with a dry cloth ' +
  'so that no streak scatters the beam. On our station the full lens takes about two hours every week in winter.';

/** Reputation row of the identity labelled `label`: "weight (n agreed, m disagreed)" etc. */
async function reputationRow(page: Page, label: string): Promise<string> {
  const row = page.locator('section[aria-labelledby="reputation-title"] tr', { hasText: label });
  return ((await row.textContent()) ?? '').replace(/\s+/g, ' ');
}

describe('validation by a reputation-weighted quorum, then sharing the version as a pack', () => {
  let owner: BrowserProfile;
  let other: BrowserProfile | undefined;
  let datanetPath = '';
  let merkleRoot = '';
  let packFile = '';
  let packHost: { close(): void } | undefined;

  beforeAll(async () => {
    owner = await openProfile();
    await openApp(owner.page, appUrl);
  });
  afterAll(async () => {
    await owner?.close();
    await other?.close();
    packHost?.close();
  });

  it('two validators approve a contribution: it is accepted, version 1 is created, reputations change', async () => {
    const { page } = owner;
    await createIdentity(page, 'Carol');
    datanetPath = await createDatanet(page, DATANET);
    await previewContribution(page, DATANET.name, { pasteTitle: ENTRY_TITLE, pasteText: ENTRY });
    await submitPreviewed(page);

    // Carol cannot validate her own contribution.
    await navigate(page, 'Validate');
    const card = page.getByRole('article', { name: ENTRY_TITLE });
    await card.waitFor();
    expect(await card.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);

    await createIdentity(page, 'Alice');
    await createIdentity(page, 'Bob');
    await switchIdentity(page, 'Alice');
    expect(await reputationRow(page, 'Alice')).toContain('0.50');
    await card.getByRole('button', { name: 'Approve' }).click();
    // One newcomer's vote (weight 0.5) is not a quorum: still pending.
    await card.getByText('Alice', { exact: false }).or(card.locator('td', { hasText: '0.50' })).first().waitFor();
    await eventually(async () => expect(await card.textContent()).toMatch(/1 of at least 2 votes/));
    expect(await card.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true); // already voted

    await switchIdentity(page, 'Bob');
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(/Accepted.*version 1/i).waitFor();
    await card.waitFor({ state: 'detached' });

    // Both validators agreed with the outcome: weight (1+1)/(1+0+2) = 0.67; Carol's quality likewise.
    await eventually(async () => {
      expect(await reputationRow(page, 'Alice')).toMatch(/0\.67.*1 agreed, 0 disagreed/);
      expect(await reputationRow(page, 'Bob')).toMatch(/0\.67.*1 agreed, 0 disagreed/);
      expect(await reputationRow(page, 'Carol')).toMatch(/0\.67.*1 accepted, 0 rejected/);
    });

    await page.goto(new URL(datanetPath.slice(1), appUrl).href);
    const versions = page.locator('section[aria-labelledby="versions-title"]');
    const root = await eventually(async () => {
      const m = /0x[0-9a-f]{64}/.exec((await versions.textContent()) ?? '');
      expect(m).not.toBeNull();
      return m![0];
    });
    merkleRoot = root;
    const contributions = page.locator('section[aria-labelledby="contributions-title"]');
    await contributions.getByText(ENTRY_TITLE).waitFor();
    expect((await contributions.textContent()) ?? '').toMatch(/accepted/i);
  });

  it('in an owner-moderated Datanet only the owner decides, and a rejection needs a reason', async () => {
    const { page } = owner;
    await switchIdentity(page, 'Carol');
    const name = 'Carol’s Moderated Notes';
    await createDatanet(page, { name, summary: 'Notes Carol curates herself.', description: 'Owner-moderated.', tags: 'notes', moderation: 'owner' });
    await switchIdentity(page, 'Alice');
    const title = 'Fog signal timing';
    await previewContribution(page, name, {
      pasteTitle: title,
      pasteText: 'Our fog signal sounds a two-second blast every thirty seconds; keepers time it against the station clock each watch.',
    });
    await submitPreviewed(page);

    // Bob is not the owner: he cannot vote here.
    await switchIdentity(page, 'Bob');
    await navigate(page, 'Validate');
    const card = page.getByRole('article', { name: title });
    await card.waitFor();
    expect(await card.getByRole('button', { name: 'Reject' }).isDisabled()).toBe(true);

    // Carol (the owner) rejects; without a reason the vote is refused, with one it closes the contribution.
    await switchIdentity(page, 'Carol');
    await card.getByRole('button', { name: 'Reject' }).click();
    await card.getByText(/reason/i).first().waitFor();
    expect(await card.isVisible()).toBe(true);
    await card.getByLabel(/^Reason/).fill('Duplicates the station manual word for word.');
    await card.getByRole('button', { name: 'Reject' }).click();
    await page.getByText(/Rejected/).first().waitFor();
    await card.waitFor({ state: 'detached' });
    // Alice's contributor quality drops: (0+1)/(0+1+2) = 0.33.
    await eventually(async () => expect(await reputationRow(page, 'Alice')).toMatch(/0\.33.*0 accepted, 1 rejected/));
  });

  it('exports the version as a pack file', async () => {
    const { page } = owner;
    await page.goto(new URL(datanetPath.slice(1), appUrl).href);
    await page.getByRole('heading', { level: 1, name: DATANET.name }).waitFor();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export pack' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^lighthouse-keepers-logbook-v1-[0-9a-f]{8}\.tributary\.zip$/);
    packFile = (await file.path())!;
    expect((await readFile(packFile)).subarray(0, 2).toString()).toBe('PK');
  });

  it('a fresh browser profile refuses a tampered copy, writing nothing, then imports the real one', async () => {
    other = await openProfile();
    const { page } = other;
    await openApp(page, appUrl);
    const before = await tableCounts(page);

    // Someone edits one word of a passage inside the archive and zips it up again.
    const files = unzipSync(new Uint8Array(await readFile(packFile)));
    const chunks = strFromU8(files['chunks.jsonl']!);
    expect(chunks).toContain('distilled water');
    files['chunks.jsonl'] = strToU8(chunks.replace('distilled water', 'tap water'));
    const tampered = Buffer.from(zipSync(files));
    const form = page.locator('form.import-pack');
    await form.getByLabel('Pack file (.zip)').setInputFiles({ name: 'tampered.zip', mimeType: 'application/zip', buffer: tampered });
    await form.getByRole('button', { name: 'Import pack' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/hash|does not match|corrupt/i);
    expect(await tableCounts(page)).toEqual(before);
    expect(await page.getByText(DATANET.name).count()).toBe(0);

    await form.getByLabel('Pack file (.zip)').setInputFiles(packFile);
    await form.getByRole('button', { name: 'Import pack' }).click();
    await form.getByRole('status').getByText(/Imported|imported/).waitFor({ timeout: 60_000 });
    await page.getByRole('link', { name: DATANET.name }).first().click();
    await page.getByRole('heading', { level: 1, name: DATANET.name }).waitFor();
    const contributions = page.locator('section[aria-labelledby="contributions-title"]');
    await contributions.getByText(ENTRY_TITLE).waitFor();
    await eventually(async () => expect(await page.locator('section[aria-labelledby="versions-title"]').textContent()).toContain(merkleRoot));
    // The same passages, word for word.
    await contributions.getByRole('button', { name: `Show passages of ${ENTRY_TITLE}` }).click();
    await contributions.getByText(/never with ammonia, which clouds the glass/).waitFor();
  });

  it('imports the same pack from a URL: already present, so nothing is written twice', async () => {
    const { page } = other!;
    // Someone hosts the pack on another origin (a second local web server here).
    const hostDir = await mkdtemp(join(tmpdir(), 'tributary-pack-host-'));
    await copyFile(packFile, join(hostDir, 'lighthouse.zip'));
    const host = await serveStatic({ root: hostDir, port: 0 });
    packHost = host.server;
    await navigate(page, 'Datanets');
    const before = await tableCounts(page);
    const form = page.locator('form.import-pack');
    await form.getByLabel('Pack URL').fill(`${host.url}lighthouse.zip`);
    await form.getByRole('button', { name: 'Import pack' }).click();
    await form.getByRole('status').getByText(/already here, skipped/).waitFor({ timeout: 60_000 });
    const after = await tableCounts(page);
    for (const t of ['contributions', 'chunks', 'validations', 'versions', 'datanets']) expect(after[t]).toBe(before[t]);
  });
});
