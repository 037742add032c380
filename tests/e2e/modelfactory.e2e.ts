/**
 * ModelFactory in the browser: bad hyper-parameters and a Datanet without accepted contributions are refused with
 * clear messages; an adapter trains on a demo Datanet with a live loss curve, survives a reload mid-run (resumes from
 * its IndexedDB checkpoint, the curve continuing from it), is evaluated, saved, and answers on the Chat page.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';
import { askAndTrace, createDatanet, eventually, navigate, openApp, readRow } from './app.ts';

const appUrl = inject('appUrl');
const BREAD = 'Home Bread Baking';

async function openFactory(page: Page): Promise<void> {
  await navigate(page, 'ModelFactory');
  await page.getByRole('heading', { level: 1, name: 'ModelFactory' }).waitFor();
  // the base model is loaded
  await eventually(async () => expect(await page.locator('#mf-base-model').textContent()).not.toMatch(/loading/), 90_000);
}

async function tickDatanet(page: Page, name: string): Promise<void> {
  await page.locator('#mf-datanets li', { hasText: name }).getByRole('checkbox').check();
}

async function setField(page: Page, key: string, value: string): Promise<void> {
  await page.locator(`#mf-${key}`).fill(value);
}

const stepOf = async (page: Page): Promise<number> => Number(await page.locator('#mf-step').textContent());
const trainPoints = async (page: Page): Promise<number> => Number(await page.locator('.mf-loss-chart').getAttribute('data-train-points'));

describe('ModelFactory', () => {
  let profile: BrowserProfile | undefined;
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
    await profile?.close();
    profile = undefined;
  });

  it('refuses bad hyper-parameters and a Datanet without accepted contributions, with clear messages', async () => {
    profile = await openProfile({ webgpu: false });
    const { page } = profile;
    await openApp(page, appUrl);
    await createDatanet(page, { name: 'Nothing Accepted Yet', summary: 'A new Datanet with no contributions.', description: 'Empty for now.', tags: 'test' });
    await openFactory(page);

    // a Datanet with accepted contributions shows its counts; the new one says it has none
    await eventually(async () => expect(await page.locator('#mf-datanets li', { hasText: BREAD }).textContent()).toMatch(/\d+ accepted contributions · \d+ passages/));
    expect(await page.locator('#mf-datanets li', { hasText: 'Nothing Accepted Yet' }).textContent()).toMatch(/no accepted contributions/);

    // bad values: each field says what is wrong; nothing starts
    await tickDatanet(page, BREAD);
    await setField(page, 'rank', '0');
    await setField(page, 'learningRate', 'fast');
    await setField(page, 'seqLen', '100000');
    await page.locator('#mf-targets').getByRole('checkbox', { name: 'q_proj' }).uncheck();
    await page.locator('#mf-targets').getByRole('checkbox', { name: 'v_proj' }).uncheck();
    await page.locator('#mf-train').click();
    expect(await page.locator('#mf-rank-error').textContent()).toMatch(/Rank must be at least 1 and at most \d+/);
    expect(await page.locator('#mf-learningRate-error').textContent()).toMatch(/Learning rate must be a number, not "fast"/);
    expect(await page.locator('#mf-seqLen-error').textContent()).toMatch(/Sequence length must be at least 8 and at most \d+.*context length/);
    expect(await page.locator('#mf-targets-error').textContent()).toMatch(/Pick at least one target module/);
    expect(await page.getByRole('alert').filter({ hasText: 'Training was not started' }).textContent()).toMatch(/Fix 4 settings first/);
    expect(await page.locator('#mf-run').count()).toBe(0);

    // fixed values, but a Datanet without accepted contributions: refused by name
    await setField(page, 'rank', '8');
    await setField(page, 'learningRate', '0.002');
    await setField(page, 'seqLen', '128');
    await page.locator('#mf-targets').getByRole('checkbox', { name: 'q_proj' }).check();
    await tickDatanet(page, 'Nothing Accepted Yet');
    await page.locator('#mf-train').click();
    await eventually(async () =>
      expect(await page.getByRole('alert').filter({ hasText: 'Training was not started' }).textContent()).toMatch(/"Nothing Accepted Yet" has no accepted contributions/),
    );
    // the plan says so too (the worker refuses it as well)
    await eventually(async () => expect(await page.getByRole('alert').filter({ hasText: 'cannot be trained on' }).textContent()).toMatch(/"Nothing Accepted Yet" has no accepted contributions/));
    expect(await page.locator('#mf-run').count()).toBe(0);
  });

  it('trains on a demo Datanet with a live loss curve, resumes after a reload from its checkpoint, saves the adapter and chats with it', async () => {
    profile = await openProfile({ webgpu: false });
    const { page } = profile;
    await openApp(page, appUrl);
    await openFactory(page);
    await tickDatanet(page, BREAD);
    await setField(page, 'rank', '4');
    await setField(page, 'alpha', '8');
    await setField(page, 'seqLen', '96');
    await setField(page, 'batchSize', '1');
    await setField(page, 'epochs', '0.06');
    await setField(page, 'heldOutFraction', '0.05');
    await setField(page, 'learningRate', '0.005');
    // prior preservation with a few general questions (the form's default is 48)
    await setField(page, 'priorPrompts', '4');
    expect(await page.locator('#mf-prior-about').textContent()).toMatch(/base model answers this many everyday questions/);
    await page.locator('#mf-name').fill('Bread from the factory');
    // examples and tokens for the choice
    await eventually(async () => expect(await page.locator('#mf-plan').textContent()).toMatch(/\d+ training examples \([\d,]+ tokens\) · \d+ held-out examples · \d+ steps/), 60_000);
    const plannedSteps = Number(/(\d+) steps/.exec((await page.locator('#mf-plan').textContent()) ?? '')![1]);
    expect(plannedSteps).toBeGreaterThan(10);
    expect(await page.locator('#mf-plan').textContent()).toMatch(/4 general questions answered by the base first/);
    expect(await page.locator('#mf-device-note').textContent()).toMatch(/chat shares the engine/);

    // every status line the run shows, recorded as it changes (the answering phase is short with 4 questions)
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { mfStatuses: string[] }).mfStatuses = seen;
      new MutationObserver(() => {
        const t = document.querySelector('#mf-run-status')?.textContent ?? '';
        if (t && seen.at(-1) !== t) seen.push(t);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.locator('#mf-train').click();
    await eventually(async () => expect(await page.locator('#mf-run').getAttribute('data-status')).toBe('training'), 60_000);
    // first the base model answers the general questions, then training starts
    await eventually(async () => expect(await page.locator('#mf-run-status').textContent()).toMatch(/^Training: step/), 120_000, 50);
    const statuses = await page.evaluate(() => (window as unknown as { mfStatuses: string[] }).mfStatuses);
    expect(statuses.filter((t) => /^Answering 4 general questions with the base model \([0-4]\/4\)$/.test(t)).length, statuses.join(' | ')).toBeGreaterThan(0);
    expect(statuses.findIndex((t) => t.startsWith('Answering'))).toBeLessThan(statuses.findIndex((t) => t.startsWith('Training: step')));
    expect(await page.locator('#mf-prior').getAttribute('data-prior')).toBe('ready');
    expect(await page.locator('#mf-prior').textContent()).toMatch(/trains on the base model's answers to 4 general questions/);
    // the exact count of steps (an empty answer of the base gives no example)
    const totalSteps = Number(await page.locator('#mf-total-steps').textContent());
    expect(Math.abs(totalSteps - plannedSteps)).toBeLessThanOrEqual(2);
    // the curve moves while the page stays responsive (a held-out point at step 0, then train points)
    await eventually(async () => expect(await trainPoints(page)).toBeGreaterThanOrEqual(3), 120_000, 50);
    expect(await page.locator('#mf-tps').textContent()).toMatch(/^\d+$/);
    expect(await page.locator('#mf-eta').textContent()).toMatch(/\d+ (s|min)/);
    const t0 = Date.now();
    await page.locator('#mf-questions').count(); // a round trip to the page while it trains
    expect(Date.now() - t0).toBeLessThan(2000);

    // wait for a checkpoint past step 0, then reload mid-run
    const runId = (await page.locator('#mf-run').getAttribute('data-run'))!;
    await eventually(
      async () => {
        // trainingRuns rows are typed loosely in the store (ReservedRecord); a run's checkpoint holds its step
        const run = (await readRow(page, 'trainingRuns', runId)) as { checkpoint?: { step: number } | null } | undefined;
        const cp = run?.checkpoint?.step ?? 0;
        expect(cp).toBeGreaterThan(0);
      },
      120_000,
      50,
    );
    const stepBeforeReload = await stepOf(page);
    expect(stepBeforeReload).toBeLessThan(totalSteps);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'ModelFactory' }).waitFor();
    await eventually(async () => expect(await page.locator('#mf-run').getAttribute('data-status')).toBe('interrupted'), 30_000);
    // the unloaded page's engine worker may hold the run's Web Lock a moment longer: the panel says "training in
    // another tab" until it is released, then the next poll shows the interrupted run
    await eventually(async () => expect(await page.locator('#mf-run-status').textContent()).toMatch(/Interrupted .* resumes from its checkpoint at step (\d+)/), 30_000);
    const cpStep = Number(/step (\d+) of/.exec((await page.locator('#mf-run-status').textContent()) ?? '')![1]);
    expect(cpStep).toBeGreaterThan(0);
    expect(cpStep).toBeLessThanOrEqual(stepBeforeReload);
    // the stored curve up to the checkpoint is drawn
    expect(await trainPoints(page)).toBe(cpStep);

    await eventually(async () => expect(await page.locator('#mf-base-model').textContent()).not.toMatch(/loading/), 90_000);
    await page.locator('#mf-resume').click();
    await eventually(async () => expect(await page.locator('.mf-loss-chart svg').getAttribute('aria-label')).toMatch(/train loss/), 60_000);
    // the curve continues from the checkpoint (marked as resumed) and goes on to the end
    await eventually(async () => expect(await page.locator('.mf-resume-mark').count()).toBe(1), 60_000);
    // another tab of the app sees the run training elsewhere (its Web Lock) and offers no Resume
    const other = await profile.context.newPage();
    await other.goto(new URL('modelfactory', appUrl).href);
    await eventually(async () => expect(await other.locator('#mf-run').getAttribute('data-status')).toBe('elsewhere'), 30_000);
    expect(await other.locator('#mf-run-status').textContent()).toMatch(/Training in another tab or window/);
    expect(await other.locator('#mf-resume').count()).toBe(0);
    await other.close();
    await eventually(async () => expect(await page.locator('#mf-run').getAttribute('data-status')).toBe('done'), 300_000, 250);
    expect(await trainPoints(page)).toBe(totalSteps);
    expect(Number(await page.locator('.mf-loss-chart').getAttribute('data-heldout-points'))).toBeGreaterThanOrEqual(2);

    // evaluate: held-out perplexity before vs after, answers side by side
    await page.locator('#mf-evaluate').click();
    await page.locator('#mf-evaluation').waitFor({ timeout: 120_000 });
    expect(await page.locator('#mf-ppl-before').textContent()).toMatch(/^[\d.]+$/);
    expect(await page.locator('#mf-ppl-after').textContent()).toMatch(/^[\d.]+$/);
    expect(await page.locator('.mf-sample-adapter').count()).toBeGreaterThan(0);

    // save with a price, then chat with it
    await page.locator('#mf-save-price').fill('0.002');
    await page.locator('#mf-save').click();
    await page.locator('#mf-chat-link').waitFor({ timeout: 60_000 });
    await page.locator('#mf-chat-link').click();
    await page.getByRole('heading', { level: 1, name: 'Chat' }).waitFor();
    await eventually(async () => expect(await page.locator('#chat-adapter option:checked').textContent()).toContain('Bread from the factory'), 60_000);
    await page.locator('#chat-max-tokens').fill('8');
    await page.locator('#chat-max-tokens').dispatchEvent('change');
    const { answer, panel } = await askAndTrace(page, 'How long should bread dough rise?');
    expect(await answer.locator('.chat-answered-by').textContent()).toContain('Bread from the factory');
    // its receipt panel traces the answer with gradient influence against the adapter's training log
    const influence = panel.locator('li[data-method="influence"]');
    expect(await influence.getAttribute('data-status'), (await influence.textContent()) ?? '').toBe('used');
    expect(await influence.textContent()).toMatch(/TracIn over \d+ logged examples × \d+ checkpoints?/);
    expect(await panel.locator('li[data-method="embedding"]').getAttribute('data-status')).toBe('used');

    // the Adapters page lists it as trained in ModelFactory
    await navigate(page, 'Adapters');
    await eventually(async () => expect(await page.locator('main').textContent()).toMatch(/Bread from the factory[\s\S]*Trained in ModelFactory|Trained in ModelFactory[\s\S]*Bread from the factory/), 30_000);
    expect(profile.errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  }, 480_000);
});
