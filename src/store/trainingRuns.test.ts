import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_SETTINGS } from '../core/trainSettings.ts';
import { TributaryDB } from './db.ts';
import {
  deleteTrainingRun,
  getTrainingRun,
  listTrainingRuns,
  putTrainingRun,
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
});
