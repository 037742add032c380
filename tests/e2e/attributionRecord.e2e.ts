/**
 * An attribution record made IN THE APP (headless Chromium: the engine worker's own embeddings of the demo model) is
 * exported with "Export record", the Datanets it names are exported with "Export pack", and the Node CLI's
 * verify-record code path recomputes it from the same model and packs: it matches, although Chromium's and Node's
 * float results of the model differ in their last bits (the record commits to its exact int8 vectors, which Node
 * checks against its own within one step, docs/ATTRIBUTION.md). The same record changed and re-hashed is a mismatch
 * that names what differs. An answer of a demo adapter that ships its training log carries gradient influence: the
 * exported record verifies with `--adapter <its folder>` (the answer's gradient taken again in Node on the adapter's
 * weights and scored against its training log).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { recordFileFromJson, recordFileToJson } from '../../src/core/attribution/recordFile.ts';
import { verifyRecordFile } from '../../scripts/cli/verify-record.ts';
import { askAndTrace, DEMO_DATANETS, eventually, navigate, openApp } from './app.ts';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';

const appUrl = inject('appUrl');

describe('an attribution record made in the app verifies with the Node CLI', () => {
  let profile: BrowserProfile;
  const dir = mkdtempSync(join(tmpdir(), 'tributary-record-e2e-'));
  let packArgs: string[] = [];

  /** Clicks "Export record" in `panel` and returns the saved file's text. */
  async function exportRecord(panel: Locator): Promise<string> {
    const recordDownload = profile.page.waitForEvent('download');
    await panel.getByRole('button', { name: 'Export record' }).click();
    const recordFile = await recordDownload;
    const recordPath = join(dir, recordFile.suggestedFilename());
    await recordFile.saveAs(recordPath);
    return readFileSync(recordPath, 'utf8');
  }

  beforeAll(async () => {
    profile = await openProfile();
    profile.page.setDefaultNavigationTimeout(120_000); // the shared machine is slow to serve the first load
    await openApp(profile.page, appUrl);
    await navigate(profile.page, 'Chat');
    await profile.page.locator('#engine-backend').waitFor({ timeout: 90_000 });
    await eventually(async () => expect(await profile.page.locator('#chat-input').isEditable()).toBe(true), 90_000);
    await profile.page.locator('#chat-seed').fill('5');
    await profile.page.locator('#chat-max-tokens').fill('24');
    await profile.page.locator('#chat-max-tokens').dispatchEvent('change');
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
  });
  afterAll(async () => {
    await profile?.close();
  });

  it('exported record + exported packs → verify-record says match; a changed record → mismatch naming it', async () => {
    const { page } = profile;
    const { panel } = await askAndTrace(page, 'How long should bread dough rise?');
    expect(await panel.locator('li[data-method="embedding"]').getAttribute('data-status')).toBe('used');

    const recordDownload = page.waitForEvent('download');
    await panel.getByRole('button', { name: 'Export record' }).click();
    const recordFile = await recordDownload;
    expect(recordFile.suggestedFilename()).toMatch(/^attribution-record-[0-9a-f]{12}\.json$/);
    const recordPath = join(dir, recordFile.suggestedFilename());
    await recordFile.saveAs(recordPath);
    await panel.getByTestId('record-export-note').filter({ hasText: /verify-record/ }).waitFor();
    const text = readFileSync(recordPath, 'utf8');
    const file = recordFileFromJson(text);
    expect(file.record.recordVersion).toBe(2);
    expect(file.record.model.hash).toBe(`0x${(JSON.parse(readFileSync('public/models/tributary-demo/demo.json', 'utf8')) as { files: { path: string; sha256: string }[] }).files.find((f) => f.path === 'model.safetensors')!.sha256}`);
    expect(file.evidence?.embedding?.indexFiles.map((f) => f.datanetId).sort()).toEqual(file.record.datanets.map((d) => d.datanetId).sort());

    const packs: string[] = [];
    for (const name of DEMO_DATANETS) {
      await navigate(page, 'Datanets');
      await page.getByRole('link', { name }).first().click();
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Export pack' }).click();
      const pack = await download;
      const path = join(dir, pack.suggestedFilename());
      await pack.saveAs(path);
      packs.push(path);
    }
    packArgs = packs.flatMap((p) => ['--pack', p]);

    const v = await verifyRecordFile(text, packArgs);
    console.log(`app record ${file.hash}: ${v.match ? 'match' : 'MISMATCH'}\n  ${[...v.notes, ...v.problems].join('\n  ')}`);
    expect(v.problems).toEqual([]);
    expect(v.match).toBe(true);
    expect(v.recomputedHash).toBe(file.hash);
    expect(v.notes.filter((n) => n.startsWith('passage vectors of'))).toHaveLength(file.record.datanets.length);

    // the same record with a weight (or, when nothing is credited, the adapter) changed, re-hashed: a mismatch naming it
    const changed = structuredClone(file.record);
    const top = changed.credits[0];
    if (top) {
      top.weightPpm -= 1;
      changed.unattributedPpm += 1;
    } else changed.adapter = { id: 'an-adapter', hash: `0x${'cd'.repeat(32)}` };
    const forged = recordFileToJson({ record: changed, prompt: file.prompt!, answer: file.answer!, evidence: file.evidence! });
    const adapterDir = 'public/models/tributary-demo/adapters/bread-baking';
    if (top) {
      const bad = await verifyRecordFile(forged, packArgs);
      expect(bad.match).toBe(false);
      expect(bad.problems).toContain(`credit ${top.contributionId.slice(0, 10)}…: weight ${top.weightPpm} ppm stated, ${top.weightPpm + 1} ppm recomputed`);
    } else {
      // another adapter than the record names is refused before anything is recomputed
      await expect(verifyRecordFile(forged, [...packArgs, '--adapter', adapterDir])).rejects.toMatchObject({ code: 'attribution/adapter-mismatch', message: expect.stringMatching(/^The record names adapter an-adapter/) });
    }
  }, 600_000); // Node re-embeds every passage of the Datanets twice: minutes on the shared machine

  it("an answer of a demo adapter with its training log: the exported record's gradient influence verifies with --adapter", async () => {
    const { page } = profile;
    expect(packArgs.length, 'the first test exports the packs').toBeGreaterThan(0);
    await navigate(page, 'Chat'); // the first test left the page on a Datanet's
    let labels: string[] = [];
    await eventually(async () => {
      labels = await page.locator('#chat-adapter option').allTextContents();
      expect(labels.some((l) => /bread baking/i.test(l)), `adapters offered: ${labels.join(', ')}`).toBe(true);
    }, 90_000);
    const bread = labels.find((l) => /bread baking/i.test(l));
    await page.locator('#chat-adapter').selectOption({ label: bread!.trim() });
    const { panel } = await askAndTrace(page, 'How long should bread dough rise?');
    expect(await panel.locator('li[data-method="influence"]').getAttribute('data-status')).toBe('used');
    const text = await exportRecord(panel);
    await panel.getByTestId('record-export-note').filter({ hasText: /--adapter <the adapter's folder with its training log>/ }).waitFor();
    const file = recordFileFromJson(text);
    const method = file.record.methods.find((m) => m.method === 'influence')!;
    expect(method.version).toBe('2');
    expect(JSON.parse(method.params)).toMatchObject({ kind: 'tracin', example: 'chat', system: expect.any(String) });
    const adapterDir = 'public/models/tributary-demo/adapters/bread-baking';
    const v = await verifyRecordFile(text, [...packArgs, '--adapter', adapterDir]);
    console.log(`app record with influence ${file.hash}: ${v.match ? 'match' : 'MISMATCH'}\n  ${[...v.notes, ...v.problems].join('\n  ')}`);
    expect(v.problems).toEqual([]);
    expect(v.match).toBe(true);
    expect(v.notes.some((n) => /^influence: TracIn recomputed from .*bread-baking over \d+ logged examples/.test(n))).toBe(true);
  }, 600_000);
});
