import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { TrainingEvent } from '../../../workerApi/trainingApi.ts';
import { getAdapterRecord, listAdapters } from '../../../store/adapters.ts';
import { TributaryDB } from '../../../store/db.ts';
import { getTrainingRun, listTrainingRuns, putTrainingRun } from '../../../store/trainingRuns.ts';
import { PRIOR_SOURCE, priorPrompts } from '../../../engine/train/priorPreservation.ts';
import { NO_TEMPLATE_REASON } from './trainingSet.ts';
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

  describe('prior preservation', () => {
    const PRIOR = { ...REQ, settings: { ...SETTINGS, priorPrompts: 4 } };
    const priorEvents = (ev: TrainingEvent[]) => ev.filter((e) => e.type === 'prior').map((e) => (e.type === 'prior' ? `${e.answered}/${e.total}` : ''));

    it("answers the general questions with the base first (a phase with progress), trains on them beside the Datanet's examples, and says so in the adapter", async () => {
      const db = new TributaryDB(`train-${crypto.randomUUID()}`);
      await seedData(db);
      const engine = makeEngine(db);
      const plan = await engine.planTraining(PRIOR);
      expect(plan.prior).toEqual({ questions: 4, skipped: null });
      expect(plan.examples).toEqual({ train: 10, heldOut: 2 });
      expect(plan.totalSteps).toBe(Math.ceil((3 * 14) / 2));
      const events: TrainingEvent[] = [];
      const out = await engine.startTraining(PRIOR, (e) => events.push(e));
      expect(out.status).toBe('done');
      // the phase comes before training starts
      expect(priorEvents(events)).toEqual(['0/4', '1/4', '2/4', '3/4', '4/4']);
      expect(events.findIndex((e) => e.type === 'started')).toBeGreaterThan(events.findLastIndex((e) => e.type === 'prior'));
      const run = (await getTrainingRun(db, out.runId))!;
      expect(run.prior).toMatchObject({ prompts: priorPrompts(4, SETTINGS.seed), maxTokens: 64, skipped: null });
      expect(run.prior!.answers).toHaveLength(4);
      // each non-empty answer is one more training example (the held-out ones are the Datanet's only)
      const kept = run.prior!.answers.filter((a) => a.trim() !== '').length;
      expect(kept).toBeGreaterThan(0);
      expect(run.examples.train).toBe(10 + kept);
      expect(run.examples.heldOut).toBe(2);
      expect(out.totalSteps).toBe(Math.ceil((3 * (10 + kept)) / 2));
      expect(run.totalSteps).toBe(out.totalSteps);
      // the training log lists them, naming no contribution; the adapter's metadata says how many
      const saved = await engine.saveTrainedAdapter(out.runId, { name: 'Bread prior', owner: ALICE, pricePerAnswer: 0n });
      const rec = (await getAdapterRecord(db, saved.id))!;
      expect(rec.training!.hyperParameters).toMatchObject({ priorPrompts: 4 });
      expect(rec.training!.priorPreservation).toEqual({ questions: 4, examples: kept, skipped: null });
      expect(rec.training!.contributions).toHaveLength(6);
      const exp = await engine.exportTrainedAdapter(out.runId);
      const log = JSON.parse(new TextDecoder().decode(exp.files['training_log.json'])) as { examples: { contributionId: string }[] };
      expect(log.examples.filter((e) => e.contributionId === PRIOR_SOURCE)).toHaveLength(kept);
      expect(log.examples).toHaveLength(10 + kept);
      const prov = JSON.parse(new TextDecoder().decode(exp.files['tributary_training.json'])) as { hyperParameters: { priorPrompts: number }; priorAnswers: { prompt: string; answer: string }[] };
      expect(prov.hyperParameters.priorPrompts).toBe(4);
      expect(prov.priorAnswers).toEqual(run.prior!.prompts.map((prompt, i) => ({ prompt, answer: run.prior!.answers[i] })));
    }, 120_000);

    it('resuming trains on the stored answers (asks nothing again), on the same curve; answers changed in storage are refused by the examples hash', async () => {
      // uninterrupted
      const dbA = new TributaryDB(`train-${crypto.randomUUID()}`);
      await seedData(dbA);
      const outA = await makeEngine(dbA).startTraining(PRIOR);
      const runA = (await getTrainingRun(dbA, outA.runId))!;

      // paused while the base answers (after 2 of 4), resumed by a fresh engine (a reload): it asks only the 2 left
      const dbB = new TributaryDB(`train-${crypto.randomUUID()}`);
      await seedData(dbB);
      const b1 = makeEngine(dbB);
      let runId = '';
      const outB1 = await b1.startTraining(PRIOR, (e) => {
        if (e.type === 'prior' && e.answered === 2) void b1.pauseTraining((runId = e.runId));
      });
      expect(outB1).toMatchObject({ status: 'paused', step: 0 });
      expect((await getTrainingRun(dbB, runId))!.prior!.answers).toEqual(runA.prior!.answers.slice(0, 2));
      const b2 = makeEngine(dbB);
      const eventsB2: TrainingEvent[] = [];
      const outB2 = await b2.resumeTraining(runId, (e) => {
        eventsB2.push(e);
        if (e.type === 'step' && e.step === 5) void b2.pauseTraining(runId);
      });
      expect(outB2).toMatchObject({ status: 'paused', step: 5 });
      expect(priorEvents(eventsB2)).toEqual(['2/4', '3/4', '4/4']);
      expect((await getTrainingRun(dbB, runId))!.prior!.answers).toEqual(runA.prior!.answers);

      // paused mid-training: a second reload asks the base nothing and continues the same curve
      const b3 = makeEngine(dbB);
      const eventsB3: TrainingEvent[] = [];
      const outB3 = await b3.resumeTraining(runId, (e) => eventsB3.push(e));
      expect(outB3).toMatchObject({ status: 'done', totalSteps: runA.totalSteps });
      expect(priorEvents(eventsB3)).toEqual([]);
      expect(eventsB3[0]).toMatchObject({ type: 'started', resumedFrom: 5 });
      const runB = (await getTrainingRun(dbB, runId))!;
      expect(runB.train.map((p) => p.loss)).toEqual(runA.train.map((p) => p.loss));
      expect(runB.heldOut).toEqual(runA.heldOut);

      // a paused run whose stored answers were changed cannot resume: its checkpoint was made on other examples
      const dbC = new TributaryDB(`train-${crypto.randomUUID()}`);
      await seedData(dbC);
      const c1 = makeEngine(dbC);
      const outC1 = await c1.startTraining(PRIOR, (e) => {
        if (e.type === 'step' && e.step === 3) void c1.pauseTraining(e.runId);
      });
      expect(outC1).toMatchObject({ status: 'paused', step: 3 });
      const stored = (await getTrainingRun(dbC, outC1.runId))!;
      await putTrainingRun(dbC, { ...stored, prior: { ...stored.prior!, answers: stored.prior!.answers.map((a, i) => (i === 0 ? `Edited: ${a}` : a)) } });
      const c2Events: TrainingEvent[] = [];
      await expect(makeEngine(dbC).resumeTraining(outC1.runId, (e) => c2Events.push(e))).rejects.toMatchObject({ code: 'train/state', message: expect.stringMatching(/other examples/) });
      expect(priorEvents(c2Events)).toEqual([]);
      expect((await getTrainingRun(dbC, outC1.runId))!.checkpoint?.step).toBe(3);
    }, 180_000);

    it('a model without a chat template skips it and says why; the run trains on its Datanet alone', async () => {
      const db = new TributaryDB(`train-${crypto.randomUUID()}`);
      await seedData(db);
      const engine = makeEngine(db, undefined, { chatTemplate: false });
      const plan = await engine.planTraining(PRIOR);
      expect(plan.prior).toEqual({ questions: 0, skipped: NO_TEMPLATE_REASON });
      const events: TrainingEvent[] = [];
      const out = await engine.startTraining({ ...PRIOR, settings: { ...PRIOR.settings, epochs: 0.5 } }, (e) => events.push(e));
      expect(out.status).toBe('done');
      expect(events.filter((e) => e.type === 'prior')).toEqual([{ type: 'prior', runId: out.runId, answered: 0, total: 0, skipped: NO_TEMPLATE_REASON }]);
      const run = (await getTrainingRun(db, out.runId))!;
      expect(run.prior).toMatchObject({ prompts: [], answers: [], skipped: NO_TEMPLATE_REASON });
      expect(run.examples.train).toBe(plan.examples.train);
    }, 120_000);
  });
});
