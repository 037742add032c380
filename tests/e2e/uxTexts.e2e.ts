/**
 * What a newcomer reads: a split vote says what it is missing (the weight quorum or the 2/3 majority, with the
 * figures), a later notice about a contribution replaces the older one, counts agree with their words, no page
 * promises what is already built, "New Datanet" puts the caret in the form, and the Adapters page tells an
 * adapter never loaded from one evicted.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';
import { createDatanet, createIdentity, eventually, navigate, openApp, previewContribution, switchIdentity } from './app.ts';

const appUrl = inject('appUrl');

const DATANET = {
  name: 'Canal Lock Keeping',
  summary: 'How the people who work small canal locks keep them safe and moving.',
  description: 'Paddles, gates, water levels and the boaters who pass through.',
  tags: 'canals, waterways',
};

const NOTES = [
  {
    title: 'Opening the paddles.txt',
    text:
      'Ground paddles are wound up a quarter turn at first so the chamber fills gently; a boat that is not roped to a ' +
      'bollard is pushed around by the rush of water. Once the levels are within a hand of each other the gate paddles ' +
      'follow, and only then the full turn. The windlass stays in the keeper’s hand, never on the spindle.',
  },
  {
    title: 'Winter stoppages.txt',
    text:
      'Each winter the lock is drained for a fortnight: stop planks go into the grooves above and below, the pumps run ' +
      'overnight, and the keepers walk the empty chamber with a list. Cills are checked for cracks, the gate collars are ' +
      'greased, and any brickwork that the frost has loosened is marked in red chalk for the masons.',
  },
  {
    title: 'Reading the weir',
    text:
      'The overflow weir beside the top gates tells a keeper more than any gauge. A thin even sheet means the pound is ' +
      'at its proper height; a brown surge after rain means the paddles stay shut and boats wait. Leaves that pile on ' +
      'the crest are raked off every morning in autumn, or the pound above rises into the towpath.',
  },
];

/** The vote results region on the Validate page. */
const results = (page: Page) => page.getByRole('status', { name: 'Vote results' });

async function vote(page: Page, who: string, title: string, verdict: 'Approve' | 'Reject', reason = ''): Promise<void> {
  await switchIdentity(page, who);
  if (!page.url().endsWith('/validate')) await navigate(page, 'Validate');
  const card = page.getByRole('article', { name: title });
  await card.waitFor();
  if (reason) await card.getByLabel(/^Reason/).fill(reason);
  await card.getByRole('button', { name: verdict }).click();
}

/** The notices in the results region that are about `title`. */
async function noticesAbout(page: Page, title: string): Promise<string[]> {
  const all = await results(page).locator('.decision').allTextContents();
  return all.filter((t) => t.includes(`“${title}”`)).map((t) => t.replace(/\s+/g, ' ').trim());
}

describe('voting: what a pending contribution is waiting for', () => {
  let profile: BrowserProfile;
  beforeAll(async () => {
    profile = await openProfile();
    await openApp(profile.page, appUrl);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
  });
  afterAll(async () => {
    await profile?.close();
  });

  it('submitting says "They now wait" for two contributions and "It now waits" for one', async () => {
    const { page } = profile;
    await createIdentity(page, 'Olga');
    await createDatanet(page, DATANET);
    const [a, b, c] = NOTES as [(typeof NOTES)[0], (typeof NOTES)[0], (typeof NOTES)[0]];
    // a file's contribution is titled by its file's name
    await previewContribution(page, DATANET.name, {
      files: [a, b].map((n) => ({ name: n.title, mimeType: 'text/plain', buffer: Buffer.from(`${n.text}\n`) })),
    });
    await page.getByRole('button', { name: 'Submit 2 contributions' }).click();
    const done = page.getByRole('status').filter({ hasText: 'signed and saved' });
    await done.waitFor({ timeout: 60_000 });
    expect((await done.textContent())?.replace(/\s+/g, ' ')).toMatch(/2 contributions signed and saved\. They now wait for validators\./);

    await previewContribution(page, DATANET.name, { pasteTitle: c.title, pasteText: c.text });
    await page.getByRole('button', { name: 'Submit 1 contribution' }).click();
    await eventually(async () => {
      const text = ((await page.getByRole('status').filter({ hasText: 'signed and saved' }).textContent()) ?? '').replace(/\s+/g, ' ');
      expect(text).toMatch(/1 contribution signed and saved\. It now waits for validators\./);
      expect(text).not.toMatch(/They now wait/);
    }, 60_000);
  });

  it('a split vote past the weight quorum (approve 0.75, reject 0.50) says the 2/3 majority is missing; each later result replaces the earlier one', async () => {
    const { page } = profile;
    const [a, b, c] = NOTES as [(typeof NOTES)[0], (typeof NOTES)[0], (typeof NOTES)[0]];
    await createIdentity(page, 'Vera');
    await createIdentity(page, 'Ben');
    await createIdentity(page, 'Rita');

    // Vera and Ben agree twice: their weight grows to (2 + 1) / (2 + 0 + 2) = 0.75.
    for (const [i, note] of [a, b].entries()) {
      await vote(page, 'Vera', note.title, 'Approve');
      // Vera weighs 0.50, then 0.67 after one agreement: 0.50, then 0.34 (rounded up) is missing
      const missing = ['0.50', '0.34'][i]!;
      await eventually(async () => expect((await noticesAbout(page, note.title)).join()).toContain(`Missing: 1 more vote and ${missing} more weight.`));
      await vote(page, 'Ben', note.title, 'Approve');
      await eventually(async () => expect(await noticesAbout(page, note.title)).toEqual([expect.stringMatching(/Accepted — version \d+ created/)]));
    }
    const reputation = page.locator('section[aria-labelledby="reputation-title"]');
    await eventually(async () => expect(((await reputation.locator('tr', { hasText: 'Vera' }).textContent()) ?? '').replace(/\s+/g, ' ')).toMatch(/0\.75/));

    // Rita, a newcomer (0.50), rejects: one vote is not a quorum.
    await vote(page, 'Rita', c.title, 'Reject', 'The weir is described for a river lock, not a canal.');
    await eventually(async () =>
      expect(await noticesAbout(page, c.title)).toEqual([
        expect.stringMatching(/recorded\. It stays pending: the quorum needs at least 2 votes weighing at least 1\.00 in total, and it has 1 vote weighing 0\.50\. Missing: 1 more vote and 0\.50 more weight\./),
      ]),
    );

    // Vera approves (0.75): the quorum is reached (1.25), the 2/3 majority is not.
    await vote(page, 'Vera', c.title, 'Approve');
    await eventually(async () => {
      const notices = await noticesAbout(page, c.title);
      expect(notices).toHaveLength(1); // the "1 more vote" notice was replaced, not kept beside it
      expect(notices[0]).toContain('the weight quorum is reached (1.25 of at least 1.00), but neither side holds the 2/3 majority (approve 0.75, reject 0.50 of 1.25');
      expect(notices[0]).toContain('Approvals adding 0.25 weight would accept it; rejections adding 1.00 would reject it.');
      expect(notices[0]).not.toMatch(/until the quorum is reached/);
    });
    // the card says the same under its tally
    const card = page.getByRole('article', { name: c.title });
    expect(((await card.locator('.pending-reason').textContent()) ?? '').replace(/\s+/g, ' ')).toContain('neither side holds the 2/3 majority');

    // Ben approves (0.75): 1.50 of 2.00 >= 2/3, accepted; the pending notice gives way to the result.
    await vote(page, 'Ben', c.title, 'Approve');
    await eventually(async () => expect(await noticesAbout(page, c.title)).toEqual([expect.stringMatching(/Accepted — version 3 created in Canal Lock Keeping\./)]));
    await card.waitFor({ state: 'detached' });

    // a result can be dismissed at once
    const accepted = results(page).locator('.decision', { hasText: `“${c.title}”` });
    await accepted.getByRole('button', { name: 'Dismiss this result' }).click();
    await eventually(async () => expect(await noticesAbout(page, c.title)).toEqual([]));
  });

  it('a notification about the same thing replaces the older one, has a close button, and goes by itself', async () => {
    const { page } = profile;
    await navigate(page, 'Settings');
    const toasts = page.getByRole('status', { name: 'Notifications' });
    const restarted = toasts.locator('.toast', { hasText: /crashed and was restarted/ });
    await page.getByRole('button', { name: 'Test worker recovery' }).click();
    await restarted.first().waitFor({ timeout: 20_000 });
    await page.getByText(/answered again after \d+ ms/).waitFor();
    // the same worker crashes again: one notice about it, not two
    await page.getByRole('button', { name: 'Test worker recovery' }).click();
    await page.waitForTimeout(3000);
    expect(await restarted.count()).toBe(1);
    // it goes by itself (a warning stays 20 s) while the pointer is elsewhere
    await page.mouse.move(5, 5);
    await eventually(async () => expect(await restarted.count()).toBe(0), 40_000, 500);
    // and the close button dismisses one at once
    await page.getByRole('button', { name: 'Test worker recovery' }).click();
    await restarted.first().waitFor({ timeout: 20_000 });
    await restarted.getByRole('button', { name: 'Dismiss notification' }).click();
    await eventually(async () => expect(await restarted.count()).toBe(0));
  });
});

describe('texts and focus on every page', () => {
  let profile: BrowserProfile;
  beforeAll(async () => {
    profile = await openProfile();
    await openApp(profile.page, appUrl);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
  });
  afterAll(async () => {
    await profile?.close();
  });

  /** Promises of work that is done, and counts of one with a plural noun. */
  const STALE = /arrive(s)? with|not built yet|not yet built|coming soon|in a later (session|issue)/i;
  const ONE_PLURAL = /\b1 (passages|contributions|votes|steps|examples|fees|sources|slots|hits|loads|evictions|adapters|versions|records|contributors|answers|settlements|claims|identities|files)\b/;

  it('no page promises what is built, and no count of one takes a plural', async () => {
    const { page } = profile;
    const pages = ['Chat', 'Datanets', 'Contribute', 'Validate', 'ModelFactory', 'Adapters', 'Ledger', 'Settings'];
    for (const name of pages) {
      await navigate(page, name);
      await page.waitForTimeout(1500);
      const text = ((await page.locator('main').innerText()) ?? '').replace(/\s+/g, ' ');
      expect(text, name).not.toMatch(STALE);
      expect(text, name).not.toMatch(ONE_PLURAL);
    }
    await navigate(page, 'Datanets');
    await page.getByRole('link', { name: 'Home Bread Baking' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Home Bread Baking' }).waitFor();
    const detail = ((await page.locator('main').innerText()) ?? '').replace(/\s+/g, ' ');
    expect(detail).not.toMatch(STALE);
    expect(detail).not.toMatch(ONE_PLURAL);
    expect(detail).toMatch(/Share of each fee that reaches this Datanet\. Fees are paid and settled on the Ledger/);
  });

  it('Settings names each table once in its record counts, and says how a wallet becomes an identity', async () => {
    const { page } = profile;
    await navigate(page, 'Settings');
    const rows = page.getByRole('table', { name: 'Records per table' }).locator('tbody tr td:first-child');
    await eventually(async () => expect(await rows.count()).toBeGreaterThan(10));
    const labels = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    for (const label of labels) expect(label, 'a word said twice').not.toMatch(/^(\S+) \1$/i);
    expect(labels).toContain('Claims');
    expect(labels).toContain('Passages chunks'); // a label that differs from the table's name keeps the name
    const identities = (await page.locator('section[aria-labelledby="identities-title"]').innerText()).replace(/\s+/g, ' ');
    expect(identities).toMatch(/A connected wallet .* can be the active identity too/);
    // the in-page link goes to the wallet settings and moves focus there
    await page.locator('section[aria-labelledby="identities-title"]').getByRole('link', { name: 'Wallet and chain' }).click();
    await eventually(async () => expect(await page.evaluate(() => !!document.activeElement?.closest('section[aria-labelledby="wallet-title"]'))).toBe(true));
  });

  it('"New Datanet" puts the caret in the form\'s first field; "Import a pack" in the import form', async () => {
    const { page } = profile;
    await navigate(page, 'Datanets');
    await page.getByRole('link', { name: 'New Datanet' }).click();
    await eventually(async () => expect(await page.evaluate(() => document.activeElement?.id)).toBe('dn-name'));
    await page.keyboard.type('Typed at once');
    expect(await page.locator('form.create-datanet').getByLabel('Name', { exact: true }).inputValue()).toBe('Typed at once');
    // the form's heading is on screen, below the header
    const heading = await page.getByRole('heading', { name: 'Create a Datanet' }).boundingBox();
    expect(heading!.y).toBeGreaterThanOrEqual(0);
    expect(heading!.y).toBeLessThan(900);

    await page.getByRole('link', { name: 'Import a pack' }).click();
    await eventually(async () => expect(await page.evaluate(() => !!document.activeElement?.closest('form.import-pack'))).toBe(true));
  });
});

describe('adapters: never loaded, loaded, evicted', () => {
  let profile: BrowserProfile;
  beforeAll(async () => {
    profile = await openProfile({ webgpu: false });
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
  });
  afterAll(async () => {
    await profile?.close();
  });

  const residency = async (page: Page) => {
    const rows = page.locator('.adapter-table tbody tr');
    const out: Record<string, string> = {};
    for (const r of await rows.all()) out[((await r.locator('.adapter-name').textContent()) ?? '').trim()] = ((await r.locator('.adapter-residency').textContent()) ?? '').trim();
    return out;
  };

  async function chatWith(page: Page, adapterName: string): Promise<void> {
    await navigate(page, 'Chat');
    await page.locator('#engine-backend').waitFor({ timeout: 90_000 });
    const option = page.locator('#chat-adapter option', { hasText: adapterName });
    await option.first().waitFor({ state: 'attached', timeout: 60_000 });
    await page.locator('#chat-adapter').selectOption({ label: (await option.first().textContent())!.trim() });
    await page.locator('#chat-max-tokens').fill('2');
    await page.locator('#chat-max-tokens').dispatchEvent('change');
    const before = await page.locator('.chat-assistant').count();
    await page.locator('#chat-input').fill('Hello');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const answer = page.locator('.chat-assistant').nth(before);
    await eventually(async () => expect(await answer.getAttribute('data-status')).toMatch(/done|error/), 120_000);
    expect(await answer.getAttribute('data-status')).toBe('done');
  }

  it('an adapter never used says "Not loaded yet" (not "Evicted"); a used one "Loaded"; one pushed out of its slot "Evicted"', async () => {
    const { page } = profile;
    await page.goto(new URL('datanets', appUrl).href);
    await navigate(page, 'Adapters');
    const table = page.locator('.adapter-table');
    await table.waitFor({ timeout: 120_000 });
    await eventually(async () => expect(await table.locator('tbody tr').count()).toBeGreaterThanOrEqual(2), 60_000);
    const first = await residency(page);
    const names = Object.keys(first);
    expect(Object.values(first).every((s) => s === 'Not loaded yet'), JSON.stringify(first)).toBe(true);

    // make room for one adapter only: the smallest budget gets one slot (of rank 8, the smallest slot rank)
    await page.locator('#adapter-budget').fill('0.1');
    await page.getByRole('button', { name: 'Apply budget' }).click();
    await eventually(async () => expect(await page.locator('.adapter-usage').textContent()).toMatch(/ of 1 slot holds? an adapter/), 120_000);
    await eventually(async () => expect(Object.values(await residency(page)).every((s) => s === 'Not loaded yet')).toBe(true), 30_000);
    // two adapters that fit a rank-8 slot
    const small: string[] = [];
    for (const r of await page.locator('.adapter-table tbody tr').all()) {
      if (Number(await r.locator('td').nth(2).textContent()) <= 8) small.push(((await r.locator('.adapter-name').textContent()) ?? '').trim());
    }
    expect(small.length, 'adapters of rank 8 or less').toBeGreaterThanOrEqual(2);

    const [a, b] = small as [string, string];
    await chatWith(page, a);
    await navigate(page, 'Adapters');
    await eventually(async () => {
      const now = await residency(page);
      expect(now[a]).toBe('Loaded');
      for (const n of names.filter((x) => x !== a)) expect(now[n], n).toBe('Not loaded yet');
    }, 30_000);

    await chatWith(page, b);
    await navigate(page, 'Adapters');
    await eventually(async () => {
      const now = await residency(page);
      expect(now[b]).toBe('Loaded');
      expect(now[a]).toBe('Evicted');
      for (const n of names.filter((x) => x !== a && x !== b)) expect(now[n], n).toBe('Not loaded yet');
    }, 30_000);
    expect(await page.locator('.adapter-budget').innerText()).toMatch(/1 eviction\b/);
  });
});
