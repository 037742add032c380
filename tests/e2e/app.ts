import { expect } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import type { Table, TableProp } from 'dexie';
import type { TributaryDB } from '../../src/store/db.ts';
import type { DatanetSource } from '../../src/attribution/datanetIndex.ts';

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

/** The name of an object store of the app's IndexedDB (a table of `TributaryDB`). */
export type StoreName = TableProp<TributaryDB>;
/** What one row of the store holds, as the app's store code types it. */
export type StoreRow<N extends StoreName> = TributaryDB[N] extends Table<infer Row, infer _Key, infer _Insert> ? Row : never;

/** What the in-page reader is asked: every row, one row by its key, or the number of rows, of the named stores. */
interface StoreQuery {
  /** the stores to read; `null`: every store the database has */
  names: string[] | null;
  read: 'all' | 'count' | { key: StoreKey };
  /** with `read: 'all'`: keep only the rows whose fields equal these values (filtered in the page, so less crosses over) */
  where?: RowFilter;
}

/** A primary key of the app's stores: a string or number, or an array of them (compound keys such as a passage's). */
export type StoreKey = string | number | (string | number)[];

/** Field values a row must have, e.g. `{ datanetId: 'dn-…' }`. */
export type RowFilter = Record<string, string | number | boolean>;

/**
 * Reads the app's IndexedDB in the page with the raw IndexedDB API (not the app's code), in one read-only transaction
 * so the stores are seen at one moment. A store the database lacks (a tab where the app has not opened it yet) reads as
 * no rows. Playwright's serializer brings bigints, typed arrays and dates back as such.
 */
async function queryStores(page: Page, query: StoreQuery): Promise<Record<string, unknown>> {
  return page.evaluate(async ({ names, read, where }) => {
    const open = indexedDB.open('tributary');
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      open.onsuccess = () => ok(open.result);
      open.onerror = () => fail(open.error);
    });
    try {
      const wanted = names ?? Array.from(db.objectStoreNames);
      const present = wanted.filter((name) => db.objectStoreNames.contains(name));
      const tx = present.length > 0 ? db.transaction(present, 'readonly') : null;
      // every request is made before the first await: a transaction commits once no request is left pending
      const results = wanted.map((name) => {
        if (!tx || !present.includes(name)) return Promise.resolve(read === 'all' ? [] : read === 'count' ? 0 : undefined);
        const store = tx.objectStore(name);
        const req: IDBRequest = read === 'all' ? store.getAll() : read === 'count' ? store.count() : store.get(read.key);
        return new Promise<unknown>((ok, fail) => {
          req.onsuccess = () => ok(req.result);
          req.onerror = () => fail(req.error);
        });
      });
      const values = await Promise.all(results);
      const matches = (row: Record<string, unknown>) => Object.entries(where ?? {}).every(([field, value]) => row[field] === value);
      if (read === 'all' && where) for (let i = 0; i < values.length; i++) values[i] = (values[i] as Record<string, unknown>[]).filter(matches);
      const out: Record<string, unknown> = {};
      wanted.forEach((name, i) => (out[name] = values[i]));
      return out;
    } finally {
      db.close();
    }
  }, query);
}

/**
 * The rows of each named object store of the app's IndexedDB, e.g. `const { ledgerEntries } = await readTables(page,
 * ['ledgerEntries'])`, optionally only those `where` names (`{ datanetId }`). Values keep their types (bigint fees,
 * Uint8Array index bytes).
 */
export async function readTables<N extends StoreName>(page: Page, names: readonly N[], where?: RowFilter): Promise<{ [K in N]: StoreRow<K>[] }> {
  return (await queryStores(page, { names: [...names], read: 'all', where })) as { [K in N]: StoreRow<K>[] };
}

/** One row of an object store of the app's IndexedDB by its primary key; `undefined` when there is none. */
export async function readRow<N extends StoreName>(page: Page, name: N, key: StoreKey): Promise<StoreRow<N> | undefined> {
  return (await queryStores(page, { names: [name], read: { key } }))[name] as StoreRow<N> | undefined;
}

/** Count the records of every table through the app's own IndexedDB (what the Settings page shows). */
export async function tableCounts(page: Page): Promise<Record<string, number>> {
  return (await queryStores(page, { names: null, read: 'count' })) as Record<string, number>;
}

/**
 * What a stored Datanet version holds for attribution (its accepted contributions the version lists, with their
 * passages), rebuilt from rows `readTables` read, to recompute in Node what the app computed from the same rows.
 */
export function datanetSourceOf(
  rows: { versions: StoreRow<'versions'>[]; contributions: StoreRow<'contributions'>[]; chunks: StoreRow<'chunks'>[] },
  datanetId: string,
  version: number,
): DatanetSource {
  const v = rows.versions.find((x) => x.datanetId === datanetId && x.version === version);
  if (!v) throw new Error(`no stored version ${version} of ${datanetId}`);
  const listed = new Set(v.contributionIds);
  const contributions = rows.contributions.filter((c) => c.datanetId === datanetId && c.status === 'accepted' && listed.has(c.id));
  const ids = new Set(contributions.map((c) => c.id));
  return {
    datanetId,
    version,
    merkleRoot: v.merkleRoot,
    contributions: contributions.map((c) => ({ id: c.id, contributor: c.contributor })),
    passages: rows.chunks.filter((p) => ids.has(p.contributionId)).map((p) => ({ contributionId: p.contributionId, index: p.index, text: p.text })),
  };
}

/**
 * Sends a chat message and waits until its answer is done and its attribution (receipt) panel has arrived done;
 * returns the answer and its panel.
 */
export async function askAndTrace(page: Page, text: string): Promise<{ answer: Locator; panel: Locator }> {
  const before = await page.locator('.chat-assistant').count();
  await page.locator('#chat-input').fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  const answer = page.locator('.chat-assistant').nth(before);
  await eventually(async () => expect(await answer.getAttribute('data-status')).toMatch(/done|error/), 120_000);
  expect(await answer.getAttribute('data-status')).toBe('done');
  const panel = answer.locator('section.attribution-panel');
  await eventually(async () => expect(await panel.getAttribute('data-status')).toMatch(/done|error|unavailable/), 240_000, 500);
  expect(await panel.getAttribute('data-status')).toBe('done');
  return { answer, panel };
}
