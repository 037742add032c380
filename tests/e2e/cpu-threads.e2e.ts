/**
 * The CPU engine with and without cross-origin isolation: served with COOP/COEP (the suite's server, as `npm start`)
 * the page is cross-origin isolated and the CPU backend runs WebAssembly threads; served without them it runs one
 * thread and says why. Both answer. (Bit-identical threaded results are checked in src/engine/cpu/threads/threadPool.test.ts.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { serveStatic } from '../../scripts/serve.mjs';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';
import { eventually } from './app.ts';

const appUrl = inject('appUrl');

async function chatOnCpu(page: Page, base: string): Promise<{ threadsLine: string; answer: string; isolated: boolean }> {
  await page.goto(new URL('chat', base).href);
  await page.getByRole('heading', { level: 1, name: 'Chat' }).waitFor();
  await page.locator('.model-name', { hasText: 'Tributary demo model' }).first().waitFor({ timeout: 90_000 });
  await eventually(async () => expect(await page.locator('#engine-backend').getAttribute('data-backend')).toBe('cpu'), 30_000);
  const threadsLine = (await page.locator('#engine-backend .cpu-threads').textContent()) ?? '';
  await page.locator('#chat-seed').fill('11');
  await page.locator('#chat-max-tokens').fill('24');
  await page.locator('#chat-max-tokens').dispatchEvent('change');
  await page.locator('#chat-input').fill('What goes into a compost heap?');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  const a = page.locator('.chat-assistant').first();
  await eventually(async () => expect(await a.getAttribute('data-status')).toMatch(/done|error/), 90_000);
  expect(await a.getAttribute('data-status')).toBe('done');
  const answer = (await a.locator('.chat-answer-text').textContent()) ?? '';
  const isolated = await page.evaluate(() => crossOriginIsolated);
  return { threadsLine, answer, isolated };
}

describe('CPU engine threads and cross-origin isolation', () => {
  let profile: BrowserProfile | undefined;
  let plain: Awaited<ReturnType<typeof serveStatic>> | undefined;
  beforeAll(async () => {
    plain = await serveStatic({ root: 'dist', port: 0, crossOriginIsolation: false });
  });
  afterAll(async () => {
    await new Promise((ok) => plain?.server.close(() => ok(undefined)));
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
    await profile?.close();
    profile = undefined;
  });

  it('isolated: threads on (Settings and the engine status say how many); not isolated: one thread, and why; both answer', async () => {
    profile = await openProfile({ webgpu: false });
    const isolated = await chatOnCpu(profile.page, appUrl);
    expect(isolated.isolated).toBe(true);
    expect(isolated.threadsLine).toMatch(/CPU engine: \d+ threads? \(cross-origin isolated\)/);
    await profile.page.goto(new URL('settings', appUrl).href);
    expect(await profile.page.locator('#cpu-threads').textContent()).toMatch(/cross-origin isolated\)/);
    await profile.close();

    profile = await openProfile({ webgpu: false });
    const single = await chatOnCpu(profile.page, plain!.url);
    expect(single.isolated).toBe(false);
    expect(single.threadsLine).toMatch(/CPU engine: 1 thread \(this page is not cross-origin isolated/);
    expect(single.answer.length).toBeGreaterThan(0);
    expect(isolated.answer.length).toBeGreaterThan(0);
    const realErrors = profile.errors.filter((e) => !/Failed to load resource/.test(e));
    expect(realErrors).toEqual([]);
  });
});
