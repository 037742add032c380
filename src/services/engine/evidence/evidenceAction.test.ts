import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { modelEncoder } from '../../../attribution/modelEncoder.ts';
import { sha256Hex } from '../../../core/hash.ts';
import { createCpuBackend } from '../../../engine/cpu/cpuBackend.ts';
import { parseModelConfig } from '../../../engine/formats/config.ts';
import { loadModelWeights, openCheckpoint } from '../../../engine/formats/weights.ts';
import { createModel } from '../../../engine/model/llama.ts';
import { loadTokenizer } from '../../../engine/tokenizer/tokenizer.ts';
import { defaultQuestions } from '../../../engine/train/examples.ts';
import { readTrainingLog, TRAINING_LOG_JSON, TRAINING_LOG_TENSORS } from '../../../engine/train/trainingLog.ts';
import { tracInScores } from '../../../attribution/influence.ts';
import { influenceInputOf } from '../../../attribution/influenceFromLog.ts';
import { getAdapterRecord, listAdapters } from '../../../store/adapters.ts';
import { TributaryDB } from '../../../store/db.ts';
import { BASE, FOLDER, demoFolder, makeEngine } from '../engine.testkit.ts';
import { createTrainingLog, writeTrainingLog } from '../../../engine/train/trainingLog.ts';
import { ALICE, REQ, makeEngine as makeTrainingEngine, seedData } from '../training/training.testkit.ts';

const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** The Node CLI's encoder over the same demo folder (scripts/cli/_model.ts does exactly this). */
async function nodeEncoder() {
  const config = parseModelConfig(dec(FOLDER.get('config.json')!));
  const weights = await loadModelWeights(config, await openCheckpoint(async (name) => FOLDER.get(name)!));
  const tokenizer = loadTokenizer(dec(FOLDER.get('tokenizer.json')!));
  const model = createModel(createCpuBackend(), config, weights);
  return modelEncoder(model, { encode: (t) => tokenizer.encode(t) }, { id: 'tributary-demo', hash: sha256Hex(FOLDER.get('model.safetensors')!) });
}

const cosine = (a: Float32Array, b: Float32Array): number => {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
};

describe('engine evidence action: the model’s own embeddings', () => {
  it('embeds with the loaded model exactly as the Node CLI encoder does (same encoder identity, same vectors), whatever the chat quantisation', async () => {
    const { engine } = makeEngine();
    await engine.init({ appBaseUrl: BASE });
    const info = await engine.ensureModel();
    expect(info.quant).not.toBe('f32'); // chat runs quantised; the encoder runs on the f32 twin
    const texts = ['Knead the dough for ten minutes.', 'The lighthouse was rebuilt in 1874.', ''];
    const got = await engine.embedTexts(texts);
    const node = await nodeEncoder();
    expect(got.encoder).toEqual(node.ref);
    expect(got.encoder.id).toBe('tributary-demo#mean-hidden@128');
    const want = await node.embed(texts);
    expect(got.vectors).toHaveLength(3);
    got.vectors.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(want[i]!)));
    expect(got.vectors[0]!.some((x) => x !== 0)).toBe(true);
    // the same text twice gives the same vector (no state leaks between calls)
    expect(Array.from((await engine.embedTexts([texts[0]!])).vectors[0]!)).toEqual(Array.from(got.vectors[0]!));
  });

  it('refuses bad input with a typed error', async () => {
    const { engine } = makeEngine();
    await engine.init({ appBaseUrl: BASE });
    await expect(engine.embedTexts(Array.from({ length: 65 }, () => 'x'))).rejects.toMatchObject({ code: 'attribution/invalid-input' });
    await expect(engine.embedTexts([3 as unknown as string])).rejects.toMatchObject({ code: 'attribution/invalid-input' });
    await expect(engine.answerGradient({ adapterId: 5 as unknown as string, prompt: '', answer: '' })).rejects.toMatchObject({ code: 'attribution/invalid-input' });
  });
});

describe('engine evidence action: an answer’s LoRA gradient', () => {
  it('says why influence is unavailable for an adapter without a training log, or one not installed', async () => {
    const { engine, db } = makeEngine();
    await engine.init({ appBaseUrl: BASE });
    await engine.ensureModel();
    const [demo] = await listAdapters(db);
    const r = await engine.answerGradient({ adapterId: demo!.id, prompt: 'Hi', answer: 'Hello there.' });
    expect(r).toMatchObject({ available: false, reason: expect.stringMatching(/carries no training log/) });
    expect(await engine.answerGradient({ adapterId: '0xdead', prompt: 'Hi', answer: 'Hello.' })).toMatchObject({ available: false, reason: expect.stringMatching(/not installed/) });
  });

  it('installs a bundled demo adapter with the training log its folder ships, and then takes its answers’ gradients', async () => {
    const folder = demoFolder();
    const manifest = JSON.parse(dec(folder.get('demo.json')!)) as { files: { path: string; size: number; sha256: string }[] };
    const examples = [1, 2, 3].map((n) => ({ contributionId: `0x${n.toString(16).padStart(64, '0')}`, passageIndex: 0, trainedTokens: 10 }));
    const log = createTrainingLog(examples, { seed: 9, dimPerModule: 4, numLayers: 2, targets: ['q', 'v', 'o'] });
    log.checkpoints.push({ step: 10, lr: 1e-3, tensor: 'step10' });
    log.gradients.push(Float32Array.from({ length: examples.length * log.projection.dim }, (_, i) => Math.sin(i)));
    for (const [name, bytes] of Object.entries(writeTrainingLog(log))) {
      folder.set(`adapters/alpha/${name}`, bytes);
      manifest.files.push({ path: `adapters/alpha/${name}`, size: bytes.length, sha256: sha256Hex(bytes).slice(2) });
    }
    folder.set('demo.json', new TextEncoder().encode(JSON.stringify(manifest)));
    const { engine, db } = makeEngine({ folder });
    await engine.init({ appBaseUrl: BASE });
    await engine.ensureModel();
    const adapters = await listAdapters(db);
    const alpha = (await getAdapterRecord(db, adapters.find((a) => a.name === 'Alpha')!.id))!;
    expect(Object.keys(alpha.trainingFiles ?? {}).sort()).toEqual([TRAINING_LOG_JSON, TRAINING_LOG_TENSORS]);
    const beta = (await getAdapterRecord(db, adapters.find((a) => a.name === 'Beta')!.id))!;
    expect(beta.trainingFiles).toBeUndefined(); // shipped without a log: influence is simply not available
    const g = await engine.answerGradient({ adapterId: alpha.id, prompt: 'What rises?', answer: 'The dough rises overnight.' });
    if (!g.available) throw new Error(g.reason);
    expect(g.gradient).toHaveLength(log.projection.dim);
    expect(g.tokens).toBeGreaterThan(0);
    const scores = tracInScores(influenceInputOf(log), g.gradient);
    expect(scores.every(Number.isFinite)).toBe(true);
    expect(await engine.answerGradient({ adapterId: beta.id, prompt: 'What rises?', answer: 'The dough.' })).toMatchObject({ available: false });
  });

  it("reproduces the training log's own final-checkpoint gradient of a training example for a ModelFactory adapter", async () => {
    const db = new TributaryDB(`evidence-${crypto.randomUUID()}`);
    await seedData(db);
    const engine = makeTrainingEngine(db);
    const out = await engine.startTraining(REQ);
    expect(out.status).toBe('done');
    const saved = await engine.saveTrainedAdapter(out.runId, { name: 'Bread v1', owner: ALICE, pricePerAnswer: 0n });
    const rec = (await getAdapterRecord(db, saved.id))!;
    const log = readTrainingLog({
      json: new Uint8Array(await rec.trainingFiles![TRAINING_LOG_JSON]!.arrayBuffer()),
      tensors: new Uint8Array(await rec.trainingFiles![TRAINING_LOG_TENSORS]!.arrayBuffer()),
    });
    const last = log.checkpoints.length - 1;
    expect(log.checkpoints[last]!.step).toBe(out.totalSteps); // taken at the final weights
    const D = log.projection.dim;
    let compared = 0;
    for (let i = 0; i < log.examples.length && compared < 3; i++) {
      const src = log.examples[i]!;
      // the examples of one passage follow each other, one per default question
      const first = log.examples.findIndex((e) => e.contributionId === src.contributionId && e.passageIndex === src.passageIndex);
      const passage = (await db.chunks.get([src.contributionId as `0x${string}`, src.passageIndex]))!;
      const title = (await db.contributions.get(src.contributionId as `0x${string}`))!.title;
      const question = defaultQuestions({ contributionId: src.contributionId, passageIndex: src.passageIndex, text: passage.text, title })[i - first]!;
      const g = await engine.answerGradient({ adapterId: saved.id, prompt: question, answer: passage.text });
      if (!g.available) throw new Error(g.reason);
      expect(g.projection).toMatchObject({ seed: log.projection.seed, dim: D });
      const logged = log.gradients[last]!.subarray(i * D, (i + 1) * D);
      // the log is stored in f16 and the adapter's weights as exported: equal up to that rounding
      expect(cosine(g.gradient, logged)).toBeGreaterThan(0.999);
      // and not merely any example's: another passage's logged gradient points elsewhere
      const other = log.examples.findIndex((e) => e.contributionId !== src.contributionId);
      expect(cosine(g.gradient, log.gradients[last]!.subarray(other * D, (other + 1) * D))).toBeLessThan(0.99);
      compared++;
    }
    expect(compared).toBe(3);
  }, 120_000);
});
