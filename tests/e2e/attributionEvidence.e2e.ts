/**
 * The receipt panel's evidence in the built app (headless Chromium): an answer of the demo model is traced with the
 * loaded model's own embeddings, computed in the ENGINE worker — and the passage vectors the app stored are the ones
 * the Node CLI's encoder makes for the same model and passages (`scripts/cli/_model.ts`), to the last bits. Gradient
 * influence: for the base model the panel says it needs an adapter; for a demo adapter it is used when the demo
 * folder ships that adapter's training log (the trained demo model does), else the panel says the adapter carries none.
 */
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { corpusOf, embedCorpus, type DatanetSource } from '../../src/attribution/datanetIndex.ts';
import { decodeEmbeddingIndex, encodeEmbeddingIndex } from '../../src/attribution/indexFiles.ts';
import { attributeAnswer } from '../../src/attribution/attribute.ts';
import { buildDatanetIndex, type EmbeddingIndex } from '../../src/attribution/datanetIndex.ts';
import { attributionRecordHash } from '../../src/core/attribution/record.ts';
import { DEMO_MODEL_DIR, loadModelDir } from '../../scripts/cli/_model.ts';
import { askAndTrace, datanetSourceOf, eventually, navigate, openApp, readTables } from './app.ts';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';

const appUrl = inject('appUrl');

describe('the receipt panel: the model’s own embeddings, and gradient influence where a training log exists', () => {
  let profile: BrowserProfile;

  beforeAll(async () => {
    profile = await openProfile();
    await openApp(profile.page, appUrl);
    await navigate(profile.page, 'Chat');
    await profile.page.locator('#engine-backend').waitFor({ timeout: 90_000 });
    await eventually(async () => expect(await profile.page.locator('#chat-input').isEditable()).toBe(true), 90_000);
    await profile.page.locator('#chat-seed').fill('3');
    await profile.page.locator('#chat-max-tokens').fill('24');
    await profile.page.locator('#chat-max-tokens').dispatchEvent('change');
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
  });
  afterAll(async () => {
    await profile?.close();
  });

  it('traces with the embedding method, whose stored passage vectors equal the Node CLI encoder’s', async () => {
    const { page } = profile;
    const { panel } = await askAndTrace(page, 'How long should bread dough rise?');
    const embedding = panel.locator('li[data-method="embedding"]');
    expect(await embedding.getAttribute('data-status')).toBe('used');
    expect(await embedding.textContent()).toMatch(/hidden states \(tributary-demo#mean-hidden@128/);
    const influence = panel.locator('li[data-method="influence"]');
    expect(await influence.getAttribute('data-status')).toBe('unavailable');
    expect(await influence.textContent()).toMatch(/base model answered/);

    const rows = await readTables(page, ['attributionRecords', 'attributionIndexes', 'versions', 'contributions', 'chunks']);
    const stored = rows.attributionIndexes.filter((r) => r.kind === 'embeddings');
    expect(stored.length).toBeGreaterThanOrEqual(1);
    const node = await loadModelDir(DEMO_MODEL_DIR);
    const sources = new Map<string, DatanetSource>();
    const appVectors = new Map<string, EmbeddingIndex>();
    for (const row of stored) {
      expect(row.encoder).toEqual(node.encoder.ref); // the same encoder identity as the CLI's
      const src = datanetSourceOf(rows, row.datanetId, row.version);
      sources.set(row.datanetId, src);
      const corpus = corpusOf(src);
      const expected = encodeEmbeddingIndex(src, corpus, await embedCorpus(corpus, node.encoder));
      const got = decodeEmbeddingIndex(Uint8Array.from(row.bytes), src, corpus); // header, passages and sizes verified
      appVectors.set(row.datanetId, got);
      const want = decodeEmbeddingIndex(expected, src, corpus);
      expect(got.encoder).toEqual(want.encoder);
      // the same f32 computation in Chromium's and Node's JS engines: the vectors agree to the last bits (a few scales
      // differ in their last ulp from Math.exp/sqrt; an int8 value may then round one step apart)
      let scaleRel = 0;
      for (let i = 0; i < want.vectors.count; i++) scaleRel = Math.max(scaleRel, Math.abs(got.vectors.scales[i]! - want.vectors.scales[i]!) / want.vectors.scales[i]!);
      let maxStep = 0;
      let differing = 0;
      for (let i = 0; i < want.vectors.data.length; i++) {
        const d = Math.abs(got.vectors.data[i]! - want.vectors.data[i]!);
        maxStep = Math.max(maxStep, d);
        if (d > 0) differing++;
      }
      console.log(`${row.datanetId}: ${want.vectors.count} vectors, max scale rel diff ${scaleRel.toExponential(2)}, int8 values differing ${differing}/${want.vectors.data.length} (max ${maxStep})`);
      expect(scaleRel).toBeLessThan(1e-6);
      expect(maxStep).toBeLessThanOrEqual(1);
      expect(differing / want.vectors.data.length).toBeLessThan(1e-3);
      // and the top passages they rank for the same query are the same
      const q = new Int8Array(want.vectors.dims);
      q.set(want.vectors.data.subarray(0, want.vectors.dims));
      expect(Array.from(got.search.topK(q, 10).ids)).toEqual(Array.from(want.search.topK(q, 10).ids));
    }

    // the answer's record, with its embedding evidence, recomputed in Node over the int8 vectors the app committed to (the
    // passage vectors it stored, equal to Node's above within a step / a few ulps, and the answer vector kept with the
    // record): the same record, the same hash
    const [stored0] = rows.attributionRecords;
    expect(rows.attributionRecords).toHaveLength(1);
    expect(stored0!.record.methods.map((m) => m.method)).toContain('embedding');
    expect(attributionRecordHash(stored0!.record)).toBe(stored0!.hash);
    const indexes = [];
    for (const d of stored0!.record.datanets) indexes.push({ ...(await buildDatanetIndex(sources.get(d.datanetId)!)), embeddings: appVectors.get(d.datanetId)! });
    const q = stored0!.embeddingQuery!;
    const again = await attributeAnswer({ prompt: stored0!.prompt, answer: stored0!.answer, model: stored0!.record.model, adapter: null, indexes, encoder: node.encoder, embeddingQuery: { int8: Int8Array.from(q.int8), scale: q.scale } });
    expect(again.record).toEqual(stored0!.record);
    expect(attributionRecordHash(again.record)).toBe(stored0!.hash);
  });

  it('with a demo adapter, gradient influence is used when its training log shipped, else the panel says why not', async () => {
    const { page } = profile;
    const labels = await page.locator('#chat-adapter option').allTextContents();
    const bread = labels.find((l) => /bread baking/i.test(l));
    expect(bread, `adapters offered: ${labels.join(', ')}`).toBeTruthy();
    await page.locator('#chat-adapter').selectOption({ label: bread!.trim() });
    const { panel } = await askAndTrace(page, 'How do I shape a loaf?');
    const influence = panel.locator('li[data-method="influence"]');
    const shipped = existsSync(`${DEMO_MODEL_DIR}/adapters/bread-baking/training_log.json`);
    if (shipped) {
      expect(await influence.getAttribute('data-status')).toBe('used');
      expect(await influence.textContent()).toMatch(/TracIn over \d+ logged examples/);
    } else {
      expect(await influence.getAttribute('data-status')).toBe('unavailable');
      expect(await influence.textContent()).toMatch(/carries no training log/);
    }
    expect(await panel.locator('li[data-method="embedding"]').getAttribute('data-status')).toBe('used');
  });
});
