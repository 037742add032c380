/**
 * The engine in the browser: chat with the bundled demo model on WebGPU (SwiftShader here) and on the CPU
 * fallback, switch adapters mid-conversation, import a PEFT adapter from files, refuse a malformed one.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';
import { eventually, navigate } from './app.ts';

const appUrl = inject('appUrl');
const DEMO = 'public/models/tributary-demo/';
const DEMO_MANIFEST = JSON.parse(readFileSync(`${DEMO}demo.json`, 'utf8')) as { name: string; generated?: boolean; adapters: { dir: string; name: string; rank: number }[] };
const demoAdapter = (dir: string): { name: string; rank: number } => DEMO_MANIFEST.adapters.find((a) => a.dir === dir)!;
const BREAD = demoAdapter('bread-baking');
const COMPOST = demoAdapter('home-composting');
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function openChat(page: Page): Promise<void> {
  await page.goto(new URL('chat', appUrl).href);
  await page.getByRole('heading', { level: 1, name: 'Chat' }).waitFor();
  // the demo model is loaded and named
  await page.locator('.model-name', { hasText: DEMO_MANIFEST.name }).first().waitFor({ timeout: 90_000 });
  await page.locator('#engine-backend').waitFor();
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
  await eventually(async () => expect(await answer.getAttribute('data-status')).toMatch(/done|error/), 90_000);
  expect(await answer.getAttribute('data-status')).toBe('done');
  return answer;
}

/** Page errors and console errors, except failed resource loads (e.g. an optional chain.json). */
const realErrors = (p: BrowserProfile): string[] => p.errors.filter((e) => !/Failed to load resource/.test(e));

async function answerText(answer: ReturnType<Page['locator']>): Promise<string> {
  return (await answer.locator('.chat-answer-text').textContent()) ?? '';
}

describe('chat with the demo model', () => {
  let profile: BrowserProfile | undefined;
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
    await profile?.close();
    profile = undefined;
  });

  it('runs on WebGPU (SwiftShader): tokens stream in, a tokens/s figure shows, adapters switch mid-conversation', async () => {
    profile = await openProfile();
    const { page } = profile;
    await openChat(page);
    await eventually(async () => expect(await page.locator('#engine-backend').getAttribute('data-backend')).toBe('webgpu'), 30_000);
    expect(await page.locator('#engine-backend').textContent()).toMatch(/Runs on WebGPU.*WebGPU adapter/s);
    // it says what the model is: generated (gibberish) or trained by this project (tiny)
    expect(await page.locator('main').textContent()).toMatch(DEMO_MANIFEST.generated ? /answers are gibberish/i : /trained by this project/i);

    await setSampling(page, { seed: '42', maxTokens: '12' });
    // tokens stream in: the answer grows while it is being written
    await page.locator('#chat-input').fill('How long should bread dough rise?');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const first = page.locator('.chat-assistant').first();
    const seen = new Set<string>();
    await eventually(
      async () => {
        seen.add((await first.locator('.chat-answer-text').textContent()) ?? '');
        expect(await first.getAttribute('data-status')).toBe('done');
      },
      90_000,
      20,
    );
    const baseAnswer = await answerText(first);
    expect(baseAnswer.length).toBeGreaterThan(0);
    expect([...seen].filter((t) => t.length > 0 && t !== baseAnswer).length).toBeGreaterThan(0); // partial text was shown
    expect(await first.locator('.chat-answered-by').textContent()).toBe('Base model');
    expect(await first.locator('.chat-answer-stats').textContent()).toMatch(/\d+ tokens · [\d.]+ tokens\/s · seed 42/);
    expect(await page.locator('#chat-speed').textContent()).toMatch(/[\d.]+ tokens\/s on WebGPU/);

    // switch to an adapter for the next turn
    await page.locator('#chat-adapter').selectOption({ label: `${BREAD.name} (rank ${BREAD.rank})` });
    const second = await ask(page, 'And at what temperature?');
    expect(await second.locator('.chat-answered-by').textContent()).toBe(`Adapter: ${BREAD.name}`);
    const adapterAnswer = await answerText(second);
    // the same turn with the same seed on the base model: a different answer
    await page.locator('#chat-adapter').selectOption({ label: 'None (base model)' });
    await page.getByRole('button', { name: 'Regenerate' }).click();
    await eventually(async () => expect(await second.locator('.chat-answered-by').textContent()).toBe('Base model'), 30_000);
    await eventually(async () => expect(await second.getAttribute('data-status')).toBe('done'), 90_000);
    expect(await answerText(second)).not.toBe(adapterAnswer);
    // the first turn still says who answered it
    expect(await first.locator('.chat-answered-by').textContent()).toBe('Base model');

    // f16 weights: WebGPU stores halves (the facts say so) and answers
    await page.locator('.model-load-details > summary').click();
    await page.getByText('f16 (half memory, WebGPU)').click();
    await page.getByRole('button', { name: 'Load model' }).click();
    await eventually(async () => expect(await page.locator('.model-facts').textContent()).toMatch(/f16 halves, computed in f32/), 60_000);
    const half = await ask(page, 'And with half the memory?');
    expect((await answerText(half)).length).toBeGreaterThan(0);

    // the GPU device is lost: the engine says so and answers on the CPU
    await page.locator('.engine-diagnostics > summary').click();
    await page.getByRole('button', { name: 'Simulate a GPU device loss' }).click();
    await eventually(async () => expect(await page.locator('#engine-backend').getAttribute('data-backend')).toBe('cpu'), 30_000);
    expect(await page.locator('.engine-fallback').textContent()).toMatch(/Fell back to the CPU.*WebGPU device was destroyed/s);
    const third = await ask(page, 'Still there?');
    expect(await third.locator('.badge').textContent()).toBe('CPU');
    // the model was rebuilt on the CPU, which has no f16 storage: it says the weights are f32 now
    await eventually(async () => expect(await page.locator('.model-facts').textContent()).toMatch(/f32: f16 was asked for, but this backend \(the CPU\) has no f16 storage/), 30_000);
    expect(realErrors(profile)).toEqual([]);
  });

  it('runs on the CPU when WebGPU is unavailable, and says why', async () => {
    profile = await openProfile({ webgpu: false });
    const { page } = profile;
    await openChat(page);
    await eventually(async () => expect(await page.locator('#engine-backend').getAttribute('data-backend')).toBe('cpu'), 30_000);
    expect(await page.locator('#engine-backend').textContent()).toMatch(/Runs on the CPU.*WebGPU could not be used: .*(no adapter|not available)/s);
    await setSampling(page, { seed: '7', maxTokens: '16' });
    const a = await ask(page, 'What goes into a compost heap?');
    expect((await answerText(a)).length).toBeGreaterThan(0);
    expect(await a.locator('.chat-answer-stats').textContent()).toMatch(/tokens\/s/);
    expect(await a.locator('.badge').textContent()).toBe('CPU');
    // Stop: a long answer is cut short
    await page.locator('#chat-max-tokens').fill('900');
    await page.locator('#chat-max-tokens').dispatchEvent('change');
    await page.locator('#chat-input').fill('Tell me everything.');
    // The CPU backend writes this answer (it ends itself after ~140 tokens) in a few hundred ms, less than the
    // round trips of two separate Playwright clicks on a busy machine; so Send and Stop are clicked from inside the
    // page, Stop as soon as it appears — a quick user, without the race.
    await page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const button = (label: string): HTMLButtonElement | undefined => [...document.querySelectorAll<HTMLButtonElement>('.chat-actions button')].find((b) => b.textContent?.trim() === label);
          const send = button('Send');
          if (!send) return reject(new Error('no Send button'));
          send.click();
          const t0 = performance.now();
          const tick = (): void => {
            const stop = button('Stop');
            if (stop) {
              stop.click();
              resolve();
            } else if (performance.now() - t0 > 10_000) reject(new Error('no Stop button within 10 s'));
            else setTimeout(tick, 1);
          };
          tick();
        }),
    );
    const long = page.locator('.chat-assistant').nth(1);
    await eventually(async () => expect(await long.getAttribute('data-status')).toBe('done'), 30_000);
    expect(await long.locator('.chat-answer-stats').textContent()).toMatch(/stopped/);

    // load the same folder by URL, quantised to int4, with a progress bar
    await page.locator('.model-load-details > summary').click();
    await page.getByText('A model on the web').click();
    await page.locator('#model-repo').fill(new URL('models/tributary-demo/', appUrl).href);
    await page.getByText('int4 (an eighth').click();
    await page.getByRole('button', { name: 'Load model' }).click();
    await eventually(async () => expect(await page.locator('.model-facts').textContent()).toMatch(/int4, groups of 32/), 60_000);
    expect(await page.locator('.model-name').textContent()).toContain('models/tributary-demo/');
    const b = await ask(page, 'And now?');
    expect((await answerText(b)).length).toBeGreaterThan(0);
    expect(realErrors(profile)).toEqual([]);
  });
});

describe('adapters page', () => {
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

  it('lists the demo adapters with rank, targets, owner and Datanets; imports PEFT files; refuses a malformed file by name', async () => {
    const { page } = profile;
    await page.goto(new URL('datanets', appUrl).href);
    await navigate(page, 'Adapters');
    const table = page.locator('.adapter-table');
    await table.waitFor({ timeout: 90_000 });
    await eventually(async () => expect(await table.locator('tbody tr').count()).toBe(DEMO_MANIFEST.adapters.length), 30_000);
    const row = (name: string) => table.locator('tr', { has: page.locator('.adapter-name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }) });
    const bread = row(BREAD.name);
    expect(await bread.locator('td').nth(2).textContent()).toBe(String(BREAD.rank));
    expect(await bread.textContent()).toMatch(/q_proj.*k_proj.*v_proj.*o_proj/);
    expect(await bread.textContent()).toMatch(/0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4}/);
    await eventually(async () => expect(await bread.textContent()).toContain('Home Bread Baking'), 30_000);

    // a malformed weights file is refused, naming it
    const config = readFileSync(`${DEMO}adapters/home-composting/adapter_config.json`);
    const weights = readFileSync(`${DEMO}adapters/home-composting/adapter_model.safetensors`);
    await page.locator('#adapter-files').setInputFiles([
      { name: 'adapter_config.json', mimeType: 'application/json', buffer: config },
      { name: 'broken_model.safetensors', mimeType: 'application/octet-stream', buffer: weights.subarray(0, 100) },
    ]);
    await page.getByRole('button', { name: 'Import files' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The adapter was not imported' });
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toMatch(/broken_model\.safetensors: .*(truncated|header|bytes)/i);
    expect(await alert.textContent()).toContain('lora/weights');

    // remove an adapter, then import it back from its two PEFT files
    page.once('dialog', (d) => void d.accept());
    await row(COMPOST.name).getByRole('button', { name: 'Remove' }).click();
    await eventually(async () => expect(await table.locator('tbody tr').count()).toBe(DEMO_MANIFEST.adapters.length - 1), 30_000);
    await page.locator('#adapter-files').setInputFiles([
      { name: 'adapter_config.json', mimeType: 'application/json', buffer: config },
      { name: 'adapter_model.safetensors', mimeType: 'application/octet-stream', buffer: weights },
    ]);
    await page.locator('#adapter-name').fill('Composting (imported)');
    await page.getByRole('button', { name: 'Import files' }).click();
    const imported = row('Composting (imported)');
    await imported.waitFor({ timeout: 30_000 });
    expect(await imported.textContent()).toMatch(/Imported file: adapter_config\.json, adapter_model\.safetensors/);
    expect(await imported.locator('.adapter-residency').textContent()).toBe('Evicted');
    expect(realErrors(profile)).toEqual([]);
  });
});
