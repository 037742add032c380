/**
 * What a newcomer hit on the Chat page, walked again as they did it (issue 13, Chat):
 * - conversations vanished on reload: now they are kept (online and offline), listed, renamed (an empty name is
 *   refused and changes nothing), exported as JSON with each answer's model, adapter, settings, backend and
 *   attribution record, deleted after a confirmation; a reload opens the conversation that was open;
 * - after switching to the CPU and back the speed line credited the CPU's figure to WebGPU: each figure names its own
 *   backend now;
 * - opening Chat requested model.safetensors.index.json (a 404): the demo's files are known from demo.json now;
 * - an offline reload dropped the connected wallet's identity back to the local key: it stays, read-only, and the
 *   wallet reconnects by itself once online.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { anvilDevAccounts } from '../../src/chain/devAccounts.ts';
import type { ConversationExport } from '../../src/core/conversation.ts';
import { shortAddress } from '../../src/ui/lib/format.ts';
import { eventually, navigate, openApp, previewContribution, readTables, tableCounts } from './app.ts';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';
import { installTestWallet, TEST_WALLET_NAME } from './wallet.ts';

const appUrl = inject('appUrl');
const chain = inject('chain');
/** The bundled demo model's bread adapter, as its demo.json names it (the trained or the generated model). */
const DEMO = JSON.parse(readFileSync('public/models/tributary-demo/demo.json', 'utf8')) as { adapters: { dir: string; name: string; rank: number }[] };
const BREAD = DEMO.adapters.find((a) => a.dir === 'bread-baking')!;

/** Opens Chat through the navigation and waits for the demo model. */
async function openChat(page: Page): Promise<void> {
  await navigate(page, 'Chat');
  await page.locator('.model-facts').waitFor({ timeout: 120_000 });
  await page.locator('#engine-backend').waitFor({ timeout: 60_000 });
}

async function setSampling(page: Page, o: { seed: string; maxTokens: string }): Promise<void> {
  await page.locator('#chat-seed').fill(o.seed);
  await page.locator('#chat-max-tokens').fill(o.maxTokens);
  await page.locator('#chat-max-tokens').dispatchEvent('change');
}

/** Sends a message and waits for its answer; returns the answer's element. */
async function ask(page: Page, text: string) {
  const before = await page.locator('.chat-assistant').count();
  await page.locator('#chat-input').fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  const answer = page.locator('.chat-assistant').nth(before);
  await eventually(async () => expect(await answer.getAttribute('data-status')).toMatch(/done|error/), 120_000);
  expect(await answer.getAttribute('data-status')).toBe('done');
  return answer;
}

/** What the transcript shows: each question and answer text. */
async function transcript(page: Page): Promise<{ user: string; answer: string }[]> {
  return page.locator('.chat-turn').evaluateAll((turns) =>
    turns.map((t) => ({ user: t.querySelector('.chat-user .chat-text')?.textContent ?? '', answer: t.querySelector('.chat-answer-text')?.textContent ?? '' })),
  );
}

const list = (page: Page) => page.getByRole('list', { name: 'Conversations' });
const titles = (page: Page) => list(page).locator('.conversation-title').allTextContents();
const currentTitle = (page: Page) => list(page).locator('[aria-current="true"] .conversation-title').textContent();

async function exportCurrent(page: Page): Promise<{ name: string; doc: ConversationExport }> {
  const [download] = await Promise.all([page.waitForEvent('download'), list(page).getByRole('button', { name: 'Export' }).click()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), doc: JSON.parse(readFileSync(path, 'utf8')) as ConversationExport };
}

/** Waits until the Settings page says the app works offline (the service worker has cached it). */
async function waitOfflineReady(page: Page): Promise<void> {
  await navigate(page, 'Settings');
  await page.getByText(/offline-ready/).waitFor({ timeout: 90_000 });
}

/** Page errors and console errors, except failed resource loads (an optional chain.json, RPC calls while offline). */
const realErrors = (p: BrowserProfile): string[] => p.errors.filter((e) => !/Failed to load resource|net::ERR_INTERNET_DISCONNECTED/.test(e));

describe('chat conversations, speed figures, model files and the wallet identity across reloads', () => {
  let profile: BrowserProfile | undefined;
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
    await profile?.close();
    profile = undefined;
  });

  it('keeps conversations across reloads (online and offline): list, rename, export, delete; the demo model is never probed', async () => {
    profile = await openProfile({ webgpu: false });
    const { page, context } = profile;
    const requested: string[] = [];
    context.on('request', (r) => requested.push(r.url()));
    const notFound: string[] = [];
    context.on('response', (r) => {
      if (r.status() === 404) notFound.push(r.url());
    });
    await openApp(page, appUrl);
    // the service worker has cached the app before the first reload (the offline part below needs it)
    await waitOfflineReady(page);
    await openChat(page);
    expect(await page.locator('.chat-empty').textContent()).toMatch(/No messages yet/);
    expect(await titles(page)).toEqual([]);

    await setSampling(page, { seed: '42', maxTokens: '10' });
    const first = await ask(page, 'How long should bread dough rise?');
    await page.locator('#chat-adapter').selectOption({ label: `${BREAD.name} (rank ${BREAD.rank})` });
    await ask(page, 'And at what temperature?');
    expect(await first.locator('.chat-answer-origin').textContent()).toMatch(/Model: .* temperature 0.7, top-p 0.9, top-k 40, max 10 tokens/);
    await eventually(async () => expect(await titles(page)).toEqual(['How long should bread dough rise?']));
    const before = await transcript(page);
    expect(before).toHaveLength(2);
    expect(before.every((t) => t.answer.length > 0)).toBe(true);

    // the first answer's attribution arrives after its stream; its record's hash is kept with the answer
    const panel = first.locator('section.attribution-panel');
    await eventually(async () => expect(await panel.getAttribute('data-status')).toMatch(/done|error|unavailable/), 240_000, 500);
    expect(await panel.getAttribute('data-status')).toBe('done');

    // the demo model's files were known from demo.json: no probe for a shard index, no 404 for a model file
    expect(requested.filter((u) => u.includes('model.safetensors.index.json'))).toEqual([]);
    expect(notFound.filter((u) => u.includes('/models/'))).toEqual([]);

    // reload: the same conversation is back, open
    await page.reload();
    await eventually(async () => expect(await transcript(page)).toEqual(before), 60_000);
    expect(await currentTitle(page)).toBe('How long should bread dough rise?');
    expect(await page.locator('.chat-answered-by').allTextContents()).toEqual(['Base model', `Adapter: ${BREAD.name}`]);
    // the live attribution panel is gone after a reload; the record it was traced to is still named
    await eventually(async () => expect(await first.locator('.chat-attribution-kept').textContent()).toMatch(/Attribution record 0x[0-9a-f]{8}/));

    // rename: an empty name is refused with a clear message and changes nothing
    await list(page).getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('Name of the conversation').fill('   ');
    await page.getByRole('button', { name: 'Save name' }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'The name was not changed' });
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/needs a name.*conversation\/invalid/s);
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await titles(page)).toEqual(['How long should bread dough rise?']);
    await list(page).getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('Name of the conversation').fill('Bread questions');
    await page.getByRole('button', { name: 'Save name' }).click();
    await eventually(async () => expect(await titles(page)).toEqual(['Bread questions']));

    // export: every answer with its model, adapter, sampling settings, backend and attribution record
    const { name, doc } = await exportCurrent(page);
    expect(name).toMatch(/^bread-questions-\d{4}-\d{2}-\d{2}\.json$/);
    expect(doc).toMatchObject({ format: 'tributary.conversation', version: 1, conversation: { title: 'Bread questions' } });
    const [a1, a2] = doc.conversation.turns;
    expect(a1).toMatchObject({ question: 'How long should bread dough rise?', answer: { status: 'done', modelId: 'tributary-demo', adapterId: null, backend: 'cpu', seed: 42 } });
    expect(a1!.answer.settings).toEqual({ temperature: 0.7, topP: 0.9, topK: 40, maxTokens: 10, seed: 42 });
    expect(a1!.answer.text).toBe(before[0]!.answer);
    expect(a2!.answer).toMatchObject({ adapterName: BREAD.name, backend: 'cpu' });
    expect(a2!.answer.adapterId).toMatch(/\S/);
    const records = (await readTables(page, ['attributionRecords'])).attributionRecords;
    expect(a1!.answer.attribution?.recordHash).toBe(records.find((r) => r.answerId === a1!.answer.requestId)?.hash);

    // a new conversation; the list holds both, the last changed first
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.locator('.chat-empty').waitFor();
    await ask(page, 'What goes into a compost heap?');
    await eventually(async () => expect(await titles(page)).toEqual(['What goes into a compost heap?', 'Bread questions']));
    const compost = await transcript(page);

    // offline: a reload still opens the last conversation, and the others are listed
    await context.setOffline(true);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Chat' }).waitFor();
    await eventually(async () => expect(await transcript(page)).toEqual(compost), 60_000);
    expect(await titles(page)).toEqual(['What goes into a compost heap?', 'Bread questions']);
    // and chatting offline keeps the new answer too
    await page.locator('.model-facts').waitFor({ timeout: 120_000 });
    await ask(page, 'Is it offline?');
    await page.reload();
    await eventually(async () => expect((await transcript(page)).map((t) => t.user)).toEqual(['What goes into a compost heap?', 'Is it offline?']), 60_000);
    await context.setOffline(false);

    // delete asks first: dismissing keeps it; accepting removes it and opens the other conversation
    page.once('dialog', (d) => void d.dismiss());
    await list(page).getByRole('button', { name: 'Delete' }).click();
    expect(await titles(page)).toHaveLength(2);
    page.once('dialog', (d) => {
      expect(d.message()).toMatch(/Delete the conversation “What goes into a compost heap\?”/);
      void d.accept();
    });
    await list(page).getByRole('button', { name: 'Delete' }).click();
    await eventually(async () => expect(await titles(page)).toEqual(['Bread questions']));
    await eventually(async () => expect((await transcript(page)).map((t) => t.user)).toEqual(before.map((t) => t.user)));
    await page.reload();
    await eventually(async () => expect(await currentTitle(page)).toBe('Bread questions'), 60_000);
    expect((await tableCounts(page)).conversations).toBe(1);
    expect(realErrors(profile)).toEqual([]);
  }, 600_000);

  it('after switching to the CPU and back, each speed figure names the backend that produced it', async () => {
    profile = await openProfile();
    const { page } = profile;
    await page.goto(new URL('chat', appUrl).href);
    await page.locator('.model-facts').waitFor({ timeout: 120_000 });
    await eventually(async () => expect(await page.locator('#engine-backend').getAttribute('data-backend')).toBe('webgpu'), 60_000);
    await setSampling(page, { seed: '3', maxTokens: '12' });
    const speed = page.locator('#chat-speed');
    const useCpu = async (on: boolean) => {
      const details = page.locator('.engine-diagnostics');
      if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
      const box = page.getByLabel('Use the CPU even when WebGPU works');
      if ((await box.isChecked()) !== on) await box.click();
      await eventually(async () => expect(await page.locator('#engine-backend').getAttribute('data-backend')).toBe(on ? 'cpu' : 'webgpu'), 60_000);
    };
    const figureOf = async (answer: ReturnType<Page['locator']>) => Number(/([\d.]+) tokens\/s/.exec((await answer.locator('.chat-answer-stats').textContent()) ?? '')?.[1]);

    // first on the CPU
    await useCpu(true);
    const onCpu = await ask(page, 'How long should bread dough rise?');
    expect(await onCpu.locator('.badge').textContent()).toBe('CPU');
    const cpuFigure = await figureOf(onCpu);
    expect(cpuFigure).toBeGreaterThan(0);
    await eventually(async () => expect(await speed.textContent()).toMatch(/tokens\/s on the CPU$/));

    // back to WebGPU: the CPU's figure is not WebGPU's
    await useCpu(false);
    await eventually(async () => expect(await speed.textContent()).toMatch(/^Speed: no answer on WebGPU yet \(last: [\d.]+ tokens\/s on the CPU\)$/));
    expect(await speed.getAttribute('data-backend')).toBe('cpu');

    // an answer on WebGPU gives WebGPU its own figure
    const onGpu = await ask(page, 'And at what temperature?');
    expect(await onGpu.locator('.badge').textContent()).toBe('WebGPU');
    await eventually(async () => expect(await speed.textContent()).toMatch(/tokens\/s on WebGPU$/));
    expect(await speed.getAttribute('data-backend')).toBe('webgpu');

    // and the CPU again shows the CPU's figure (its last answer), not WebGPU's
    await useCpu(true);
    await eventually(async () => expect(await speed.getAttribute('data-backend')).toBe('cpu'));
    expect(await speed.textContent()).toMatch(/tokens\/s on the CPU$/);
    const shown = Number(/Speed: ([\d.]+) tokens\/s/.exec((await speed.textContent()) ?? '')?.[1]);
    expect(Math.abs(shown - cpuFigure)).toBeLessThanOrEqual(cpuFigure >= 100 ? 0.5 : 0.05);
    await useCpu(false);
    expect(realErrors(profile)).toEqual([]);
  }, 400_000);

  it('an offline reload keeps the identity of a wallet that cannot reconnect offline (read-only); it reconnects by itself once online', async () => {
    const account = anvilDevAccounts(5)[4]!;
    profile = await openProfile({ webgpu: false });
    const { page, context } = profile;
    // a wallet reached over the network (as WalletConnect is): offline it cannot reconnect (an extension can, and does)
    const wallet = await installTestWallet(page, { privateKeys: [account.privateKey], rpcUrl: chain.rpcUrl, chainId: chain.chainId, needsNetwork: true });
    await openApp(page, appUrl);
    const header = page.getByRole('banner');
    await header.getByRole('button', { name: 'Connect wallet' }).click();
    await page.getByRole('dialog', { name: 'Wallet' }).getByRole('button', { name: TEST_WALLET_NAME }).click();
    const connected = header.getByRole('button', { name: `Wallet ${TEST_WALLET_NAME} connected as ${account.address}` });
    await connected.waitFor({ timeout: 30_000 });
    const chosen = page.locator('#identity-select option:checked');
    await eventually(async () => expect(await chosen.textContent()).toBe(`Wallet · ${TEST_WALLET_NAME} · ${shortAddress(account.address)}`));
    await waitOfflineReady(page);

    await context.setOffline(true);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await eventually(async () => expect((await header.textContent()) ?? '').toMatch(/Offline/));
    // still the wallet's identity, not the local key; the header says it reconnects when online
    await eventually(async () => expect(await chosen.textContent()).toBe(`Wallet · ${TEST_WALLET_NAME} · ${shortAddress(account.address)} (not connected)`));
    expect(await header.getByRole('status').filter({ hasText: 'reconnects when online' }).textContent()).toMatch(/Offline: read-only, the wallet reconnects when online/);
    // it stays chosen across pages and another offline reload
    await page.reload();
    await navigate(page, 'Datanets');
    await eventually(async () => expect(await chosen.textContent()).toContain(shortAddress(account.address)));

    // signing needs the wallet: a contribution is refused with a message to act on, and nothing is stored
    const counts = await tableCounts(page);
    await previewContribution(page, 'Home Bread Baking', { pasteTitle: 'Offline note', pasteText: 'Let the dough rest in a warm, draught-free place until it has doubled in size.' });
    await page.getByRole('button', { name: /^Submit \d+ contribution/ }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'wallet/not-connected' });
    await refused.waitFor({ timeout: 30_000 });
    expect(await refused.textContent()).toMatch(/You are offline.*reconnects by itself when you are back online/s);
    expect((await tableCounts(page)).contributions).toBe(counts.contributions);

    // online again: the wallet reconnects without a prompt and the same identity is connected
    const asked = wallet.requests.length;
    await context.setOffline(false);
    await connected.waitFor({ timeout: 60_000 });
    await eventually(async () => expect(await chosen.textContent()).toBe(`Wallet · ${TEST_WALLET_NAME} · ${shortAddress(account.address)}`));
    expect(await header.getByRole('status').filter({ hasText: 'reconnects when online' }).count()).toBe(0);
    expect(wallet.requests.slice(asked)).toContain('eth_accounts');
    expect(wallet.requests.slice(asked)).not.toContain('eth_requestAccounts');
    expect(realErrors(profile)).toEqual([]);
  }, 400_000);
});
