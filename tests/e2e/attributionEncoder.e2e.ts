/**
 * The optional ONNX sentence encoder in the built app (headless Chromium): on Settings → Attribution encoder a person
 * picks "An ONNX sentence encoder from a URL", gives the URL of the project's own tiny encoder served by the test
 * server (written into dist/ by this file: nothing is downloaded from outside), sees a mismatched folder refused with
 * its typed error, then the right one downloaded with progress and every demo Datanet indexed with it. The index the
 * attribution worker stored names the encoder Node makes from the same files, and its vectors are Node's.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { corpusOf, embedCorpus } from '../../src/attribution/datanetIndex.ts';
import { decodeEmbeddingIndex } from '../../src/attribution/indexFiles.ts';
import { loadTokenizer } from '../../src/engine/tokenizer/index.ts';
import { loadOnnxEncoderNode } from '../../src/node/attribution/onnxEncoderNode.ts';
import { tinyEncoderFolder } from '../../src/node/attribution/tinySentenceEncoder.ts';
import { askAndTrace, datanetSourceOf, DEMO_DATANETS, eventually, navigate, openApp, readTables } from './app.ts';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';

const appUrl = inject('appUrl');
const SERVED = 'dist/test-encoders';

describe('Settings → Attribution encoder: an ONNX sentence encoder from a URL', () => {
  let profile: BrowserProfile;
  const tokenizerJson = readFileSync('public/models/tributary-demo/tokenizer.json', 'utf8');
  const tiny = tinyEncoderFolder(tokenizerJson, loadTokenizer(tokenizerJson).vocabSize);

  beforeAll(async () => {
    for (const [dir, files] of [
      ['tiny', tiny.files],
      // the same graph, but a config claiming 384 dimensions: a mismatched folder
      ['mismatched', new Map([...tiny.files, ['encoder.json', new TextEncoder().encode(JSON.stringify({ ...tiny.config, dimension: 384 }))]])],
    ] as const) {
      mkdirSync(join(SERVED, dir), { recursive: true });
      for (const [name, bytes] of files) writeFileSync(join(SERVED, dir, name), bytes);
    }
    profile = await openProfile();
    await openApp(profile.page, appUrl);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
  });
  afterAll(async () => {
    await profile?.close();
    rmSync(SERVED, { recursive: true, force: true });
  });

  it('refuses a mismatched folder with its typed error, then loads the tiny encoder with progress and indexes every Datanet with it', async () => {
    const { page } = profile;
    await navigate(page, 'Settings');
    const card = page.locator('section', { has: page.getByRole('heading', { name: 'Attribution encoder' }) });
    expect(await card.locator('[data-active-encoder]').textContent()).toMatch(/chat model’s own hidden states/);
    await card.getByLabel('An ONNX sentence encoder from a URL').check();
    const url = card.getByLabel('Encoder folder URL');
    const load = card.getByRole('button', { name: 'Load and index the Datanets' });

    await url.fill(new URL('test-encoders/mismatched/', appUrl).href);
    await load.click();
    const alert = card.getByRole('alert');
    await alert.waitFor({ timeout: 120_000 });
    expect(await alert.getAttribute('data-code')).toBe('encoder/mismatch');
    expect(await alert.textContent()).toMatch(/32 values per token but encoder\.json says "dimension": 384/);
    expect(await card.locator('[data-active-encoder]').textContent()).toMatch(/chat model’s own hidden states/);

    const good = new URL('test-encoders/tiny/', appUrl).href;
    await url.fill(good);
    await load.click();
    // progress shows while it downloads and embeds (the tiny encoder is quick: seen at least once, or already done)
    const built = card.locator('.attribution-encoder-built');
    await built.waitFor({ timeout: 180_000 });
    expect(await card.getByRole('alert').count()).toBe(0);
    const node = await loadOnnxEncoderNode(join(SERVED, 'tiny'));
    expect(await built.textContent()).toContain(node.ref.id);
    expect(await built.textContent()).toMatch(/36 bytes per passage vector/);
    const items = built.locator('li[data-encoder-id]');
    expect(await items.count()).toBe(DEMO_DATANETS.length);
    for (const li of await items.all()) expect(await li.getAttribute('data-encoder-id')).toBe(node.ref.id);
    expect(await card.locator('[data-active-encoder]').textContent()).toBe(good);

    // what the worker stored: made by the encoder Node makes from the same files, with Node's vectors
    const rows = await eventually(async () => {
      const rows = await readTables(page, ['attributionIndexes', 'versions', 'contributions', 'chunks']);
      expect(rows.attributionIndexes.filter((x) => x.kind === 'embeddings' && x.encoder?.id === node.ref.id)).toHaveLength(DEMO_DATANETS.length);
      return rows;
    });
    for (const row of rows.attributionIndexes.filter((x) => x.kind === 'embeddings' && x.encoder?.id === node.ref.id)) {
      expect(row.encoder).toEqual(node.ref);
      const src = datanetSourceOf(rows, row.datanetId, row.version);
      const corpus = corpusOf(src);
      const got = decodeEmbeddingIndex(Uint8Array.from(row.bytes), src, corpus); // header, passages and sizes verified
      const want = await embedCorpus(corpus, node);
      // the same onnxruntime-web wasm in Chromium and in Node: int8 values at most one rounding step apart
      let maxStep = 0;
      let differing = 0;
      for (let i = 0; i < want.vectors.data.length; i++) {
        const d = Math.abs(got.vectors.data[i]! - want.vectors.data[i]!);
        maxStep = Math.max(maxStep, d);
        if (d > 0) differing++;
      }
      console.log(`${row.datanetId}: ${want.vectors.count} vectors by ${node.ref.id}, int8 values differing from Node's ${differing}/${want.vectors.data.length} (max ${maxStep})`);
      expect(maxStep).toBeLessThanOrEqual(1);
    }
    await node.release();
  });

  it('an answer in the chat is then traced with the ONNX encoder (the receipt panel says so)', async () => {
    const { page } = profile;
    await navigate(page, 'Chat');
    await page.locator('#engine-backend').waitFor({ timeout: 90_000 });
    await eventually(async () => expect(await page.locator('#chat-input').isEditable()).toBe(true), 90_000);
    await page.locator('#chat-seed').fill('3');
    await page.locator('#chat-max-tokens').fill('16');
    await page.locator('#chat-max-tokens').dispatchEvent('change');
    const { panel } = await askAndTrace(page, 'How long should bread dough rise?');
    const embedding = panel.locator('li[data-method="embedding"]');
    expect(await embedding.getAttribute('data-status')).toBe('used');
    expect(await embedding.textContent()).toMatch(/ONNX sentence encoder \(onnx:tributary-tiny-encoder#mean-norm@128, 32-d/);
  });
});
