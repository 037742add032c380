/**
 * "Delete Datanet" on a Datanet's page, by its owner: Cancel in the confirmation changes nothing; confirming removes
 * the Datanet from the list and its rows (contributions, passages, versions, votes, upload counters, attribution index
 * files) from IndexedDB, while every row of the other Datanets stays exactly as it was.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createDatanet, eventually, navigate, openApp, previewContribution, readTables, submitPreviewed, tableCounts } from './app.ts';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';

const appUrl = inject('appUrl');

const DROP = { name: 'Harbour Tide Readings', summary: 'Hourly tide gauge readings.', description: 'Readings and how they are taken.', tags: 'tides', moderation: 'owner' as const };
const KEEP = { name: 'Lighthouse Lens Care', summary: 'How lenses are cleaned.', description: 'Cleaning notes.', tags: 'lighthouses', moderation: 'owner' as const };
const DROP_ENTRY =
  'A tide gauge is read at the same minute every hour, against a staff painted in feet and tenths. The reader notes ' +
  'the height, the wind and any swell that makes the float jump, because a single gusty reading can shift the fitted ' +
  'constants for a month.';
const KEEP_ENTRY =
  'A Fresnel lens is cleaned from the top prism downward with a soft chamois and distilled water, never with ammonia, ' +
  'which clouds the glass. The keeper works in cotton gloves and finishes each panel with a dry cloth.';

/** The tables that hold a Datanet's own rows (what deleting it removes). */
const OWN_TABLES = ['contributions', 'chunks', 'versions', 'validations', 'uploads', 'attributionIndexes'] as const;

/** Every row of those tables, and the Datanets, split into the rows of `datanetId` and all the others. */
async function rowsOf(page: Page, datanetId: string) {
  const t = await readTables(page, [...OWN_TABLES, 'datanets']);
  const mine: Record<string, unknown[]> = {};
  const others: Record<string, unknown[]> = {};
  for (const name of OWN_TABLES) {
    const rows = t[name] as { datanetId: string }[];
    mine[name] = rows.filter((r) => r.datanetId === datanetId);
    others[name] = rows.filter((r) => r.datanetId !== datanetId);
  }
  return { mine, others, datanet: t.datanets.find((d) => d.id === datanetId), otherDatanets: t.datanets.filter((d) => d.id !== datanetId) };
}

describe('deleting a Datanet from its page', () => {
  let profile: BrowserProfile;
  let dropPath = '';
  let dropId = '';

  beforeAll(async () => {
    profile = await openProfile({ webgpu: false });
    profile.page.setDefaultNavigationTimeout(120_000);
    await openApp(profile.page, appUrl);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
  });
  afterAll(async () => {
    await profile?.close();
  });

  it('the owner creates two Datanets and publishes a version of the one to delete', async () => {
    const { page } = profile;
    await createDatanet(page, KEEP);
    await previewContribution(page, KEEP.name, { pasteTitle: 'Cleaning the lens', pasteText: KEEP_ENTRY });
    await submitPreviewed(page);
    dropPath = await createDatanet(page, DROP);
    dropId = decodeURIComponent(dropPath.split('/').pop()!);
    await previewContribution(page, DROP.name, { pasteTitle: 'Reading a tide gauge', pasteText: DROP_ENTRY });
    await submitPreviewed(page);
    // the owner moderates alone: one approval publishes version 1
    await navigate(page, 'Validate');
    const card = page.getByRole('article', { name: 'Reading a tide gauge' });
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(/Accepted.*version 1/i).waitFor({ timeout: 60_000 });

    const rows = await rowsOf(page, dropId);
    expect(rows.datanet?.name).toBe(DROP.name);
    for (const t of ['contributions', 'chunks', 'versions', 'validations', 'uploads'] as const) expect(rows.mine[t]!.length, t).toBeGreaterThan(0);
  });

  it('Cancel in the confirmation changes nothing', async () => {
    const { page } = profile;
    await page.goto(new URL(dropPath.slice(1), appUrl).href);
    await page.getByRole('heading', { level: 1, name: DROP.name }).waitFor();
    const before = await tableCounts(page);
    const panel = page.getByTestId('delete-datanet');
    await panel.getByRole('button', { name: 'Delete Datanet' }).click();
    const dialog = panel.getByRole('alertdialog');
    // what goes, what stays: its counts, and that nothing on chain or already paid is undone
    await eventually(async () => expect(await dialog.getByTestId('delete-datanet-removes').textContent()).toMatch(/removes its 1 contribution \(\d+ passages?\), 1 version, 1 vote/));
    expect(await dialog.getByTestId('delete-datanet-keeps').textContent()).toMatch(/Nothing on chain is undone.*payments already settled stay paid/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await tableCounts(page)).toEqual(before);
    await navigate(page, 'Datanets');
    await page.getByRole('link', { name: DROP.name }).first().waitFor();
  });

  it('confirming deletes it: gone from the list and from IndexedDB; every other Datanet keeps all its rows', async () => {
    const { page } = profile;
    await page.goto(new URL(dropPath.slice(1), appUrl).href);
    await page.getByRole('heading', { level: 1, name: DROP.name }).waitFor();
    const before = await rowsOf(page, dropId);
    expect(before.others.contributions!.length).toBeGreaterThan(0); // the kept Datanet's and the demo Datanets'
    const panel = page.getByTestId('delete-datanet');
    await panel.getByRole('button', { name: 'Delete Datanet' }).click();
    const confirm = panel.getByRole('alertdialog').getByRole('button', { name: `Delete “${DROP.name}”` });
    await eventually(async () => expect(await confirm.isEnabled()).toBe(true));
    await confirm.click();

    // back on the list, which no longer names it
    await page.waitForURL(/\/datanets$/, { timeout: 60_000 });
    await page.getByRole('link', { name: KEEP.name }).first().waitFor();
    await eventually(async () => expect(await page.getByRole('link', { name: DROP.name }).count()).toBe(0));

    const after = await rowsOf(page, dropId);
    expect(after.datanet).toBeUndefined();
    for (const t of OWN_TABLES) expect(after.mine[t], t).toEqual([]);
    expect(after.others).toEqual(before.others);
    expect(after.otherDatanets).toEqual(before.otherDatanets);

    // its page now says it is not here
    await page.goto(new URL(dropPath.slice(1), appUrl).href);
    await page.getByRole('heading', { level: 1, name: 'Datanet not found' }).waitFor();
  });
});
