import { expect } from 'vitest';
import type { Page } from 'playwright-core';

/** Wait until `fn` stops throwing (an assertion about what the page shows), or fail after `ms`. */
export async function eventually<T>(fn: () => Promise<T>, ms = 30_000, stepMs = 200): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      last = e;
      if (Date.now() > deadline) throw last;
      await new Promise((r) => setTimeout(r, stepMs));
    }
  }
}

export const DEMO_DATANETS = ['Home Bread Baking', 'Everyday Digital Security', 'Home Composting & Soil Health'];

/** Open the app and wait for the first-start demo import to finish (all demo Datanets listed). */
export async function openApp(page: Page, appUrl: string, path = 'datanets'): Promise<void> {
  await page.goto(new URL(path, appUrl).href);
  for (const name of DEMO_DATANETS) await page.getByRole('link', { name }).first().waitFor({ timeout: 60_000 });
  await eventually(async () => expect(await page.getByText(/Loading demo Datanets/).count()).toBe(0), 60_000);
}

/** Go to a page through the main navigation, as a person would. */
export async function navigate(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1 }).first().waitFor();
}

/** Create a local identity through the header and make it active. */
export async function createIdentity(page: Page, label: string): Promise<void> {
  const header = page.getByRole('banner');
  await header.getByRole('button', { name: 'New identity' }).click();
  await header.getByLabel('Label for the new identity').fill(label);
  await header.getByRole('button', { name: 'Create identity' }).click();
  await eventually(async () => {
    expect(await page.locator('#identity-select option:checked').textContent()).toContain(label);
  });
}

/** Switch the active identity in the header by its label. */
export async function switchIdentity(page: Page, label: string): Promise<void> {
  const select = page.locator('#identity-select');
  const value = await select.locator('option', { hasText: ` ${label} ` }).getAttribute('value');
  if (!value) throw new Error(`no identity labelled ${label}`);
  await select.selectOption(value);
  await eventually(async () => {
    expect(await page.locator('#identity-select option:checked').textContent()).toContain(label);
  });
}

export interface NewDatanet {
  name: string;
  summary: string;
  description: string;
  tags: string;
  moderation?: 'quorum' | 'owner';
  contributorsPct?: number;
}

/** Fill in and submit the Create Datanet form on the Datanets page; returns the new Datanet's URL path. */
export async function createDatanet(page: Page, d: NewDatanet): Promise<string> {
  await navigate(page, 'Datanets');
  const form = page.locator('form.create-datanet');
  await form.getByLabel('Name', { exact: true }).fill(d.name);
  await form.getByLabel('Summary', { exact: true }).fill(d.summary);
  await form.getByLabel('Description (Markdown)').fill(d.description);
  await form.getByLabel('Tags (comma separated)').fill(d.tags);
  if (d.contributorsPct !== undefined) await form.getByLabel("Contributors' share (%)").fill(String(d.contributorsPct));
  if (d.moderation === 'owner') await form.getByText('Owner-moderated', { exact: true }).click();
  await form.getByRole('button', { name: 'Create Datanet' }).click();
  // The new Datanet appears in the list; open it.
  const link = page.getByRole('link', { name: d.name }).first();
  await link.waitFor({ timeout: 30_000 });
  await link.click();
  await page.getByRole('heading', { level: 1, name: d.name }).waitFor();
  return new URL(page.url()).pathname;
}

export interface UploadFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/** On the Contribute page: pick the Datanet, choose files and/or paste text, and press Preview. */
export async function previewContribution(
  page: Page,
  datanetName: string,
  opts: { files?: UploadFile[]; pasteTitle?: string; pasteText?: string },
): Promise<void> {
  await navigate(page, 'Contribute');
  await page.getByLabel('Datanet', { exact: true }).selectOption({ label: datanetName });
  if (opts.files?.length) await page.locator('#contribute-files').setInputFiles(opts.files);
  if (opts.pasteText !== undefined) {
    await page.getByLabel('Title', { exact: true }).fill(opts.pasteTitle ?? 'Pasted text');
    await page.getByLabel('Text', { exact: true }).fill(opts.pasteText);
  }
  await page.getByRole('button', { name: 'Preview', exact: true }).click();
  await page.getByRole('heading', { level: 2, name: 'Preview' }).waitFor({ timeout: 60_000 });
}

/** Press the submit button under the preview and wait for the result. */
export async function submitPreviewed(page: Page): Promise<void> {
  await page.getByRole('button', { name: /^Submit \d+ contribution/ }).click();
  await page.getByText(/submitted/i).first().waitFor({ timeout: 60_000 });
}

/** Count the records of a table through the app's own IndexedDB (what the Settings page shows). */
export async function tableCounts(page: Page): Promise<Record<string, number>> {
  return page.evaluate(async () => {
    const open = indexedDB.open('tributary');
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      open.onsuccess = () => ok(open.result);
      open.onerror = () => fail(open.error);
    });
    const out: Record<string, number> = {};
    for (const name of Array.from(db.objectStoreNames)) {
      const tx = db.transaction(name, 'readonly');
      const req = tx.objectStore(name).count();
      out[name] = await new Promise<number>((ok, fail) => {
        req.onsuccess = () => ok(req.result);
        req.onerror = () => fail(req.error);
      });
    }
    db.close();
    return out;
  });
}
