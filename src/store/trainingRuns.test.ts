import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_SETTINGS } from '../core/trainSettings.ts';
import { TributaryDB } from './db.ts';
import {
  deleteTrainingRun,
  getTrainingRun,
  listTrainingRuns,
  putTrainingRun,
  savePriorAnswers,
  saveCheckpoint,
  updateTrainingRun,
  type TrainingRunRecord,
} from './trainingRuns.ts';

const freshDb = () => new TributaryDB(`test-${crypto.randomUUID()}`);

function run(id: string, createdAt: number): TrainingRunRecord {
  return {
    id,
    name: `adapter ${id}`,
    status: 'running',
    baseModel: { id: 'tributary-demo', label: 'Demo', signature: 'sig', hash: '0xabc' },
    datanets: [{ id: 'dn-1', name: 'Bread', version: 2, contributions: 3, passages: 9 }],
    contributionIds: [],
    settings: DEFAULT_TRAIN_SETTINGS,
    prior: null,
    owner: null,
    pricePerAnswer: 10n ** 15n,
    examples: { train: 8, heldOut: 1, tokens: 900 },
    totalSteps: 6,
    step: 0,
    train: [],
    heldOut: [],
    baseHeldOutLoss: null,
    checkpoint: null,
    createdAt,
    updatedAt: createdAt,
    error: null,
    adapterId: null,
  };
}

describe('training runs store', () => {
  it('keeps a checkpoint (typed arrays, bigint price) with its curve and lists runs without the state', async () => {
    const db = freshDb();
    await putTrainingRun(db, run('a', 1));
    await putTrainingRun(db, run('b', 2));
    const state = { step: 3, lora: new Float32Array([1, 2, 3]), moments: [new Float32Array([0.5])], rng: 12345 };
    const train = [1, 2, 3].map((s) => ({ step: s, loss: 4 - s / 10, tokens: s * 100 }));
    await saveCheckpoint(db, 'a', { step: 3, state, train, heldOut: [{ step: 3, loss: 3.9, tokens: 300 }], baseHeldOutLoss: 4.2 }, 50);
    const r = await getTrainingRun(db, 'a');
    expect(r?.step).toBe(3);
    expect(r?.checkpoint?.step).toBe(3);
    expect(r?.checkpoint?.savedAt).toBe(50);
    expect(r?.checkpoint?.state).toEqual(state);
    expect((r?.checkpoint?.state as typeof state).lora).toBeInstanceOf(Float32Array);
    expect(r?.train).toEqual(train);
    expect(r?.baseHeldOutLoss).toBe(4.2);
    expect(r?.pricePerAnswer).toBe(10n ** 15n);
    const list = await listTrainingRuns(db);
    expect(list.map((x) => x.id)).toEqual(['b', 'a']);
    expect(list[1]).not.toHaveProperty('checkpoint');
    expect(list[1]?.checkpointStep).toBe(3);
  });

  it('refuses a checkpoint that goes back in time or whose curve runs past it, and writes nothing', async () => {
    const db = freshDb();
    await putTrainingRun(db, run('a', 1));
    await saveCheckpoint(db, 'a', { step: 4, state: { s: 4 }, train: [{ step: 4, loss: 1, tokens: 4 }], heldOut: [] }, 10);
    await expect(saveCheckpoint(db, 'a', { step: 2, state: { s: 2 }, train: [], heldOut: [] }, 11)).rejects.toThrow(/would replace a later one/);
    await expect(saveCheckpoint(db, 'a', { step: 5, state: { s: 5 }, train: [{ step: 6, loss: 1, tokens: 6 }], heldOut: [] }, 12)).rejects.toThrow(/past the checkpoint/);
    const r = await getTrainingRun(db, 'a');
    expect(r?.checkpoint?.state).toEqual({ s: 4 });
    expect(r?.updatedAt).toBe(10);
  });

  it('cancel drops the state; a later checkpoint of the cancelled run is refused; a missing run is named', async () => {
    const db = freshDb();
    await putTrainingRun(db, run('a', 1));
    await saveCheckpoint(db, 'a', { step: 1, state: { s: 1 }, train: [], heldOut: [] }, 10);
    const c = await updateTrainingRun(db, 'a', { status: 'cancelled' }, 20);
    expect(c.checkpoint).toBeNull();
    await expect(saveCheckpoint(db, 'a', { step: 2, state: { s: 2 }, train: [], heldOut: [] }, 30)).rejects.toMatchObject({ code: 'factory/no-run' });
    expect((await getTrainingRun(db, 'a'))?.checkpoint).toBeNull();
    await expect(updateTrainingRun(db, 'zz', { status: 'paused' }, 1)).rejects.toThrow(/No training run zz/);
    await deleteTrainingRun(db, 'a');
    expect(await getTrainingRun(db, 'a')).toBeUndefined();
  });

  it('keeps the base model\'s answers to the general questions one by one, in order, never more than asked', async () => {
    const db = freshDb();
    await putTrainingRun(db, { ...run('a', 1), prior: { prompts: ['What is a tide?', 'What is a map?', 'What is tea?'], answers: [], maxTokens: 64, skipped: null } });
    await savePriorAnswers(db, 'a', ['The sea rises.'], 5);
    const p = await savePriorAnswers(db, 'a', ['A drawing of land.'], 6);
    expect(p.answers).toEqual(['The sea rises.', 'A drawing of land.']);
    const r = await getTrainingRun(db, 'a');
    expect(r?.prior?.answers).toEqual(['The sea rises.', 'A drawing of land.']);
    expect(r?.updatedAt).toBe(6);
    await expect(savePriorAnswers(db, 'a', ['x', 'y'], 7)).rejects.toThrow(/asks 3 general questions; 4 answers would be too many/);
    expect((await getTrainingRun(db, 'a'))?.prior?.answers).toHaveLength(2);
    // a run without questions, a cancelled one and a missing one keep nothing
    await putTrainingRun(db, run('b', 2));
    await expect(savePriorAnswers(db, 'b', ['x'], 8)).rejects.toThrow(/asks no general questions/);
    await updateTrainingRun(db, 'a', { status: 'cancelled' }, 9);
    await expect(savePriorAnswers(db, 'a', ['x'], 10)).rejects.toMatchObject({ code: 'factory/no-run' });
    await expect(savePriorAnswers(db, 'zz', ['x'], 10)).rejects.toThrow(/No training run zz/);
  });

  it('schema 7: a run stored by version 6 gets priorPrompts 0 and no prior (it trained without), and keeps its checkpoint', async () => {
    const name = `runs-${crypto.randomUUID()}`;
    // the schema as version 6 shipped it (the stores of db.ts versions 1 to 6, flattened)
    const old = new Dexie(name);
    old.version(6).stores({
      datanets: 'id, owner, createdAt, *tags',
      contributions: 'id, datanetId, contributor, status, textHash, [datanetId+status], createdAt',
      chunks: '[contributionId+index], hash, datanetId, [datanetId+dedupeHash]',
      validations: 'id, contributionId, datanetId, validator, [contributionId+validator]',
      reputations: 'address',
      versions: '[datanetId+version], datanetId',
      identities: 'address, createdAt',
      uploads: '++id, [datanetId+contributor+day]',
      packs: 'manifestHash, datanetId',
      settings: 'key',
      models: 'id',
      adapters: 'id',
      trainingRuns: 'id',
      inferences: 'id',
      attributionRecords: 'hash, answerId, createdAt, *datanetIds, *contributionIds, *contributors',
      ledgerEntries: 'id, status, payer, chainId, datanetId, settlementId, createdAt, kind, subject, answerId, *recipients, [chainId+status], [chainId+payer+status]',
      settlements: 'id, status, chainId, payer, createdAt',
      claims: 'id, chainId, account, [chainId+account], createdAt',
      conversations: 'id, updatedAt',
      attributionIndexes: 'key, datanetId, [datanetId+version]',
    });
    const { priorPrompts: _p, ...oldSettings } = DEFAULT_TRAIN_SETTINGS;
    const { prior: _r, ...oldRun } = run('v6', 1);
    await old.table('trainingRuns').put({ ...oldRun, settings: oldSettings, status: 'paused', step: 2, checkpoint: { step: 2, state: { lora: new Float32Array([1, 2]) }, savedAt: 3 } });
    old.close();
    const db = new TributaryDB(name);
    const r = await getTrainingRun(db, 'v6');
    expect(db.verno).toBeGreaterThanOrEqual(7);
    expect(r?.settings).toEqual({ ...DEFAULT_TRAIN_SETTINGS, priorPrompts: 0 });
    expect(r?.prior).toBeNull();
    expect(r?.checkpoint?.state).toEqual({ lora: new Float32Array([1, 2]) });
    expect(r?.pricePerAnswer).toBe(10n ** 15n);
    db.close();
  });
});
