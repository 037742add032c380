import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { TrainingEvent } from '../../../workerApi/trainingApi.ts';
import { getAdapterRecord, listAdapters } from '../../../store/adapters.ts';
import { TributaryDB } from '../../../store/db.ts';
import { getTrainingRun, listTrainingRuns } from '../../../store/trainingRuns.ts';
import { ALICE, REQ, SETTINGS, makeEngine, seedData } from './training.testkit.ts';

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

    // the Adapters page's export carries the training log too
    const fromList = await b2.exportAdapter(saved.id);
    expect(Object.keys(fromList.extraFiles ?? {}).sort()).toEqual(['training_log.json', 'training_log.safetensors']);

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
