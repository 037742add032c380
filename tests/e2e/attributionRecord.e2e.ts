/**
 * An attribution record made IN THE APP (headless Chromium: the engine worker's own embeddings of the demo model) is
 * exported with "Export record", the Datanets it names are exported with "Export pack", and the Node CLI's
 * verify-record code path recomputes it from the same model and packs: it matches, although Chromium's and Node's
 * float results of the model differ in their last bits (the record commits to its exact int8 vectors, which Node
 * checks against its own within one step, docs/ATTRIBUTION.md). The same record changed and re-hashed is a mismatch
 * that names what differs.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { recordFileFromJson, recordFileToJson } from '../../src/core/attribution/recordFile.ts';
import { verifyRecordFile } from '../../scripts/cli/verify-record.ts';
import { askAndTrace, DEMO_DATANETS, eventually, navigate, openApp } from './app.ts';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';

const appUrl = inject('appUrl');

describe('an attribution record made in the app verifies with the Node CLI', () => {
  let profile: BrowserProfile;
  const dir = mkdtempSync(join(tmpdir(), 'tributary-record-e2e-'));

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
    const packArgs = packs.flatMap((p) => ['--pack', p]);

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
    const bad = await verifyRecordFile(forged, top ? packArgs : [...packArgs, '--adapter', adapterDir]);
    expect(bad.match).toBe(false);
    if (top) expect(bad.problems).toContain(`credit ${top.contributionId.slice(0, 10)}…: weight ${top.weightPpm} ppm stated, ${top.weightPpm + 1} ppm recomputed`);
    else expect(bad.problems[0]).toMatch(/^adapter: the record names an-adapter/);
  });
});
