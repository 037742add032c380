import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { TrainingEvent } from '../../../client/trainingApi.ts';
import { sha256Hex } from '../../../core/hash.ts';
import { DEFAULT_TRAIN_SETTINGS, type TrainSettings } from '../../../core/trainSettings.ts';
import type { Address, Chunk, Contribution, ContributionStatus, Datanet, Hex } from '../../../core/types.ts';
import { memoryByteCache } from '../../../engine/formats/byteCache.ts';
import { modelConfigToHfJson } from '../../../engine/formats/config.ts';
import { writeSafetensors } from '../../../engine/formats/safetensors.ts';
import { hfTensorsFromWeights } from '../../../engine/formats/weights.ts';
import { randomModel } from '../../../engine/model/randomModel.ts';
import { BYTE_TO_CHAR } from '../../../engine/tokenizer/byteLevel.ts';
import { getAdapterRecord, listAdapters } from '../../../store/adapters.ts';
import { TributaryDB } from '../../../store/db.ts';
import { getTrainingRun, listTrainingRuns } from '../../../store/trainingRuns.ts';
import { EngineService } from '../EngineService.ts';

const BASE = 'https://app.test/';
const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const ALICE = '0x00000000000000000000000000000000000A11CE' as Address;

/** A tiny demo folder: byte-level tokenizer with ChatML, a random 2-layer model, no adapters. */
function demoFolder(): Map<string, Uint8Array> {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const vocab: Record<string, number> = {};
  for (let b = 0; b < 256; b++) vocab[BYTE_TO_CHAR[b]!] = b;
  const special = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
  const tokenizer = {
    version: '1.0',
    added_tokens: special.map((content, i) => ({ id: 256 + i, content, special: true, normalized: false })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel' },
    model: { type: 'BPE', vocab, merges: [] },
  };
  const { config, weights } = randomModel({ seed: 7, vocabSize: 259, hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, maxPositionEmbeddings: 256 });
  const files = new Map<string, Uint8Array>();
  files.set('config.json', enc(JSON.stringify(modelConfigToHfJson({ ...config, eosTokenIds: [258] }))));
  files.set('tokenizer.json', enc(JSON.stringify(tokenizer)));
  files.set('tokenizer_config.json', enc(JSON.stringify({ chat_template: CHATML, eos_token: '<|im_end|>', bos_token: null })));
  files.set('model.safetensors', writeSafetensors(hfTensorsFromWeights(config, weights, 'F32')));
  const manifest = {
    id: 'tributary-demo',
    name: 'Test demo model',
    generated: true,
    notice: 'Generated, not trained.',
    systemPrompt: null,
    files: [...files.keys()].map((path) => ({ path, size: files.get(path)!.length, sha256: sha256Hex(files.get(path)!).slice(2) })),
    adapters: [],
  };
  files.set('demo.json', enc(JSON.stringify(manifest)));
  return files;
}

const FOLDER = demoFolder();
const hex = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;

const TEXTS = [
  'Knead the dough ten minutes.',
  'Let it rise until doubled.',
  'Bake at two hundred degrees.',
  'Cool the loaf on a rack.',
  'Feed the starter each day.',
  'Salt slows the yeast down.',
];

async function seedData(db: TributaryDB): Promise<void> {
  const dn = (id: string, name: string, currentVersion: number): Datanet => ({
    id,
    name,
    summary: '',
    descriptionMd: '',
    tags: [],
    dataType: 'text',
    licence: 'CC-BY-4.0',
    owner: ALICE,
    rewardPolicy: { contributorsBps: 10_000, ownerBps: 0 },
    moderation: 'quorum',
    chunking: { unit: 'chars', size: 400, overlap: 0 },
    createdAt: 1,
    currentVersion,
    origin: { kind: 'local' },
  });
  const contribution = (n: number, datanetId: string, status: ContributionStatus): Contribution => ({
    id: hex(n),
    datanetId,
    contributor: ALICE,
    title: `Bread ${n}`,
    mediaType: 'text/plain',
    textHash: hex(1000 + n),
    chunksHash: hex(2000 + n),
    chunkCount: 1,
    createdAt: n,
    signature: '0x',
    sourceBytes: 10,
    status,
    minhash: [],
  });
  const chunk = (n: number, datanetId: string, text: string): Chunk => ({ hash: hex(3000 + n), dedupeHash: hex(4000 + n), contributionId: hex(n), datanetId, index: 0, text, start: 0, end: text.length });
  await db.datanets.bulkAdd([dn('dn-bread', 'Bread', 1), dn('dn-empty', 'Empty', 0)]);
  await db.contributions.bulkAdd([...TEXTS.map((_, i) => contribution(i + 1, 'dn-bread', 'accepted')), contribution(50, 'dn-bread', 'pending'), contribution(60, 'dn-empty', 'pending')]);
  await db.chunks.bulkAdd([...TEXTS.map((t, i) => chunk(i + 1, 'dn-bread', t)), chunk(50, 'dn-bread', 'A pending passage never trains.'), chunk(60, 'dn-empty', 'Nor this one.')]);
  await db.versions.add({ datanetId: 'dn-bread', version: 1, merkleRoot: hex(9), contributionIds: TEXTS.map((_, i) => hex(i + 1)), addedIds: [], createdAt: 1 });
}

function makeEngine(db: TributaryDB): EngineService {
  const fakeFetch = async (url: string): Promise<Response> => {
    const path = url.startsWith(BASE + 'models/tributary-demo/') ? url.slice((BASE + 'models/tributary-demo/').length).replace(/\?.*$/, '') : null;
    const bytes = path !== null ? FOLDER.get(path) : undefined;
    if (!bytes) return new Response('not found', { status: 404 });
    return new Response(bytes.slice(), { status: 200, headers: { 'content-length': String(bytes.length) } });
  };
  let t = 1_000;
  const engine = new EngineService({ db, now: () => ++t, fetch: fakeFetch, cache: memoryByteCache() });
  void engine.init({ appBaseUrl: BASE });
  return engine;
}

const SETTINGS: TrainSettings = { ...DEFAULT_TRAIN_SETTINGS, rank: 4, alpha: 8, dropout: 0, targets: ['q', 'v', 'o'], learningRate: 1e-2, epochs: 3, batchSize: 2, seqLen: 96, warmupSteps: 1, seed: 3, heldOutFraction: 0.2 };
const REQ = { datanetIds: ['dn-bread'], settings: SETTINGS, name: 'Bread adapter', owner: ALICE, pricePerAnswer: 10n ** 15n };

describe('ModelFactory training action (engine worker, CPU)', () => {
  it('plans from accepted contributions only and refuses a Datanet without any, or bad settings', async () => {
    const db = new TributaryDB(`train-${crypto.randomUUID()}`);
    await seedData(db);
    const engine = makeEngine(db);
    const plan = await engine.planTraining({ datanetIds: ['dn-bread'], settings: SETTINGS });
    // 6 accepted passages (the pending one never counts): 1 held out (20 %), 5 train × 2 questions each
    expect(plan.datanets).toEqual([expect.objectContaining({ id: 'dn-bread', version: 1, contributions: 6, passages: 6, examples: 10 })]);
    expect(plan.examples).toEqual({ train: 10, heldOut: 2 });
    expect(plan.tokens).toBeGreaterThan(10 * 40);
    expect(plan.totalSteps).toBe(15);
    await expect(engine.planTraining({ datanetIds: ['dn-bread', 'dn-empty'], settings: SETTINGS })).rejects.toMatchObject({
      code: 'factory/no-data',
      message: expect.stringMatching(/"Empty" has no accepted contributions/),
    });
    await expect(engine.startTraining({ ...REQ, settings: { ...SETTINGS, learningRate: 0, rank: 64 } })).rejects.toMatchObject({
      code: 'factory/bad-settings',
      message: expect.stringMatching(/Rank must be .*Learning rate must be above 0/s),
    });
    expect(await listTrainingRuns(db)).toEqual([]); // nothing was written
  });

  it('trains with progress events, pauses, resumes in a new engine (a reload) on the same curve as an uninterrupted run; evaluates, saves, chats, exports', async () => {
    // the uninterrupted run
    const dbA = new TributaryDB(`train-${crypto.randomUUID()}`);
    await seedData(dbA);
    const a = makeEngine(dbA);
    const eventsA: TrainingEvent[] = [];
    const outA = await a.startTraining(REQ, (e) => eventsA.push(e));
    expect(outA).toMatchObject({ status: 'done', step: 15, totalSteps: 15 });
    const runA = (await getTrainingRun(dbA, outA.runId))!;
    expect(runA.train.map((p) => p.step)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(runA.heldOut[0]).toMatchObject({ step: 0 });
    expect(runA.heldOut.at(-1)).toMatchObject({ step: 15 });
    expect(runA.heldOut.at(-1)!.loss).toBeLessThan(runA.baseHeldOutLoss!);
    expect(runA.train.at(-1)!.loss).toBeLessThan(runA.train[0]!.loss);
    const steps = eventsA.filter((e) => e.type === 'step');
    expect(steps).toHaveLength(15);
    expect(steps.every((e) => e.type === 'step' && e.tokensPerSecond > 0)).toBe(true);
    expect(steps.at(-1)).toMatchObject({ etaMs: 0 });
    expect(eventsA.at(-1)).toMatchObject({ type: 'stopped', status: 'done' });

    // the same run, paused at step 6, then resumed by a fresh engine over the same database (a reloaded tab)
    const dbB = new TributaryDB(`train-${crypto.randomUUID()}`);
    await seedData(dbB);
    const b1 = makeEngine(dbB);
    let runId = '';
    const outB1 = await b1.startTraining(REQ, (e) => {
      if (e.type === 'started') runId = e.runId;
      if (e.type === 'step' && e.step === 6) void b1.pauseTraining(runId);
    });
    expect(outB1).toMatchObject({ status: 'paused', step: 6 });
    expect((await getTrainingRun(dbB, runId))?.checkpoint?.step).toBe(6);
    const b2 = makeEngine(dbB);
    const eventsB: TrainingEvent[] = [];
    const outB2 = await b2.resumeTraining(runId, (e) => eventsB.push(e));
    expect(outB2).toMatchObject({ status: 'done', step: 15 });
    expect(eventsB[0]).toMatchObject({ type: 'started', resumedFrom: 6 });
    const runB = (await getTrainingRun(dbB, runId))!;
    expect(runB.train.map((p) => p.loss)).toEqual(runA.train.map((p) => p.loss));
    expect(runB.heldOut).toEqual(runA.heldOut);

    // evaluate: held-out perplexity before vs after, greedy answers base vs adapter
    const ev = await b2.evaluateTraining(runId, []);
    expect(ev.heldOut.before.perplexity).toBeCloseTo(Math.exp(runA.baseHeldOutLoss!), 6);
    expect(ev.heldOut.after.perplexity).toBeLessThan(ev.heldOut.before.perplexity);
    expect(ev.samples.length).toBeGreaterThan(0);
    expect(ev.samples[0]!.prompt).toMatch(/Bread|What do you know/);
    expect(await listAdapters(dbB)).toEqual([]); // evaluation installs nothing

    // save: installed with its provenance and price; chat uses it at once
    const saved = await b2.saveTrainedAdapter(runId, { name: 'Bread v1', owner: ALICE, pricePerAnswer: 2n * 10n ** 15n });
    expect(saved).toMatchObject({ name: 'Bread v1', origin: 'training', owner: ALICE, datanets: ['dn-bread'], rank: 4, targets: ['q', 'v', 'o'], pricePerAnswer: 2n * 10n ** 15n });
    const rec = (await getAdapterRecord(dbB, saved.id))!;
    expect(rec.training).toMatchObject({
      runId,
      baseModel: { id: 'tributary-demo' },
      datanets: [{ id: 'dn-bread', name: 'Bread', version: 1 }],
      steps: 15,
      hyperParameters: expect.objectContaining({ rank: 4, learningRate: 1e-2 }),
    });
    expect(rec.training!.baseModel.hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(rec.training!.contributions).toHaveLength(6);
    expect(Object.keys(rec.trainingFiles ?? {})).toEqual(expect.arrayContaining(['training_log.json']));
    const answer = await b2.chat('after-save', [{ role: 'user', content: 'Tell me about Bread 1.' }], { adapterId: saved.id, maxTokens: 8, temperature: 0 });
    expect(answer.adapterName).toBe('Bread v1');
    expect((await getTrainingRun(dbB, runId))?.adapterId).toBe(saved.id);

    // export: PEFT layout + training log + provenance
    const out = await b2.exportTrainedAdapter(runId);
    expect(Object.keys(out.files)).toEqual(expect.arrayContaining(['adapter_config.json', 'adapter_model.safetensors', 'training_log.json', 'training_log.safetensors', 'tributary_training.json']));
    const prov = JSON.parse(new TextDecoder().decode(out.files['tributary_training.json'])) as { pricePerAnswer: string; contributions: string[] };
    expect(prov.contributions).toHaveLength(6);
  }, 120_000);

  it('cancel stops a run and drops its checkpoint; it cannot resume', async () => {
    const db = new TributaryDB(`train-${crypto.randomUUID()}`);
    await seedData(db);
    const engine = makeEngine(db);
    let runId = '';
    const out = await engine.startTraining(REQ, (e) => {
      if (e.type === 'started') runId = e.runId;
      if (e.type === 'step' && e.step === 2) void engine.cancelTraining(runId);
    });
    expect(out.status).toBe('cancelled');
    const run = (await getTrainingRun(db, runId))!;
    expect(run.status).toBe('cancelled');
    expect(run.checkpoint).toBeNull();
    await expect(engine.resumeTraining(runId)).rejects.toMatchObject({ code: 'factory/no-run' });
    expect(await engine.activeTraining()).toBeNull();
  }, 60_000);
});
