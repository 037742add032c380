/**
 * ModelFactory training runs and their checkpoints (the `trainingRuns` table, reserved in schema version 1 with a
 * plain `id` key). One record per run: what it trains (base model, Datanets at their versions, hyper-parameters),
 * where it stands (status, step), the loss curve up to its last checkpoint, and that checkpoint (the trainer's
 * `state()`: adapter weights, optimizer moments, data order and random state). The engine worker writes; the
 * ModelFactory page reads for display.
 *
 * A checkpoint and the curve it ends are written in ONE transaction (`saveCheckpoint`), so after a reload or a killed
 * tab the run resumes from a step whose curve and state agree: the curve continues exactly where the state does.
 * Points measured after the last checkpoint are shown live but not kept; resuming measures them again (same seed,
 * same data order, same values).
 */
import type { EntityTable } from 'dexie';
import { TributaryError } from '../core/errors.ts';
import type { TrainSettings } from '../core/trainSettings.ts';
import type { Address, Hex } from '../core/types.ts';
import type { TributaryDB } from './db.ts';

export type TrainingRunStatus = 'running' | 'paused' | 'done' | 'cancelled' | 'failed';

/** One point of a loss curve: after `step` optimizer steps, having seen `tokens` training tokens. */
export interface LossPoint {
  step: number;
  loss: number;
  tokens: number;
}

/** A Datanet a run trains on, at the version it was read at. */
export interface RunDatanet {
  id: string;
  name: string;
  version: number;
  contributions: number;
  passages: number;
}

export interface RunCheckpoint {
  step: number;
  /** the trainer's `state()`: structured-clonable (typed arrays, numbers), opaque here */
  state: unknown;
  savedAt: number;
}

/**
 * Prior preservation of a run: the general questions asked and the base model's greedy answers to them, kept so a
 * resumed run (after a pause, a reload, a killed tab) trains on exactly the same examples instead of generating them
 * again. The answers are stored one by one as the base gives them; a run interrupted while answering goes on with
 * the questions still unanswered.
 */
export interface RunPrior {
  /** the questions (engine/train/priorPreservation `priorPrompts(settings.priorPrompts, settings.seed)`) */
  prompts: string[];
  /** the base model's answers so far, in the order of `prompts` */
  answers: string[];
  /** most new tokens per answer */
  maxTokens: number;
  /** why the run trains without them (the model has no chat template), in words; null when it uses them */
  skipped: string | null;
}

export interface TrainingRunRecord {
  id: string;
  /** the adapter's name when saved */
  name: string;
  status: TrainingRunStatus;
  baseModel: { id: string; label: string; signature: string; hash: string };
  datanets: RunDatanet[];
  /** the accepted contributions read when the run started (a resumed run trains on exactly these) */
  contributionIds: Hex[];
  settings: TrainSettings;
  /** prior preservation (general questions answered by the base); null when off (0 questions, or a run from before it) */
  prior: RunPrior | null;
  owner: Address | null;
  /** price per answer in the token's base units */
  pricePerAnswer: bigint;
  examples: { train: number; heldOut: number; tokens: number };
  totalSteps: number;
  /** steps done as of the last checkpoint */
  step: number;
  train: LossPoint[];
  heldOut: LossPoint[];
  /** held-out loss of the base model (before any step) */
  baseHeldOutLoss: number | null;
  checkpoint: RunCheckpoint | null;
  createdAt: number;
  updatedAt: number;
  /** why it failed, in words */
  error: string | null;
  /** the installed adapter's id once saved */
  adapterId: string | null;
}

/** What the page lists: a run without its checkpoint state. */
export type TrainingRunSummary = Omit<TrainingRunRecord, 'checkpoint'> & { checkpointStep: number | null };

export function trainingRunsTable(db: TributaryDB): EntityTable<TrainingRunRecord, 'id'> {
  // the table is declared with the reserved record type in db.ts; this module owns its shape
  return db.trainingRuns as unknown as EntityTable<TrainingRunRecord, 'id'>;
}

const summary = (r: TrainingRunRecord): TrainingRunSummary => {
  const { checkpoint, ...rest } = r;
  return { ...rest, checkpointStep: checkpoint?.step ?? null };
};

const noRun = (id: string): TributaryError => new TributaryError('factory/no-run', `No training run ${id} is stored (it was deleted, or this browser's data was cleared).`);

/** Every run, newest first, without checkpoint states. */
export async function listTrainingRuns(db: TributaryDB): Promise<TrainingRunSummary[]> {
  const all = await trainingRunsTable(db).toArray();
  return all.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)).map(summary);
}

export function getTrainingRun(db: TributaryDB, id: string): Promise<TrainingRunRecord | undefined> {
  return trainingRunsTable(db).get(id);
}

export async function putTrainingRun(db: TributaryDB, r: TrainingRunRecord): Promise<void> {
  await trainingRunsTable(db).put(r);
}

/**
 * Stores a checkpoint with the curve up to it, in one transaction. Refused (nothing written) if the run is gone or
 * was cancelled meanwhile, or if the checkpoint would go back in time.
 */
export async function saveCheckpoint(
  db: TributaryDB,
  id: string,
  cp: { step: number; state: unknown; train: LossPoint[]; heldOut: LossPoint[]; baseHeldOutLoss?: number | null; status?: TrainingRunStatus },
  now: number,
): Promise<void> {
  const table = trainingRunsTable(db);
  await db.transaction('rw', table, async () => {
    const r = await table.get(id);
    if (!r) throw noRun(id);
    if (r.status === 'cancelled') throw new TributaryError('factory/no-run', `Training run ${id} was cancelled; its checkpoint is not kept.`);
    if (r.checkpoint && cp.step < r.checkpoint.step) {
      throw new TributaryError('storage/failed', `A checkpoint at step ${cp.step} would replace a later one (step ${r.checkpoint.step}); refused.`);
    }
    const curveEnd = Math.max(cp.train.at(-1)?.step ?? 0, cp.heldOut.at(-1)?.step ?? 0);
    if (curveEnd > cp.step) throw new TributaryError('storage/failed', `The curve goes to step ${curveEnd}, past the checkpoint's step ${cp.step}; refused.`);
    await table.put({
      ...r,
      step: cp.step,
      train: cp.train,
      heldOut: cp.heldOut,
      ...(cp.baseHeldOutLoss !== undefined ? { baseHeldOutLoss: cp.baseHeldOutLoss } : {}),
      ...(cp.status ? { status: cp.status } : {}),
      checkpoint: { step: cp.step, state: cp.state, savedAt: now },
      updatedAt: now,
    });
  });
}

/**
 * Appends the base model's answers to a run's prior-preservation questions (in their order), in one transaction.
 * Refused if the run is gone or cancelled, has no questions, or would get more answers than questions.
 */
export async function savePriorAnswers(db: TributaryDB, id: string, answers: readonly string[], now: number): Promise<RunPrior> {
  const table = trainingRunsTable(db);
  return db.transaction('rw', table, async () => {
    const r = await table.get(id);
    if (!r) throw noRun(id);
    if (r.status === 'cancelled') throw new TributaryError('factory/no-run', `Training run ${id} was cancelled; its answers are not kept.`);
    if (!r.prior) throw new TributaryError('storage/failed', `Training run ${id} asks no general questions; there are no answers to keep.`);
    if (r.prior.answers.length + answers.length > r.prior.prompts.length) {
      throw new TributaryError('storage/failed', `Training run ${id} asks ${r.prior.prompts.length} general questions; ${r.prior.answers.length + answers.length} answers would be too many.`);
    }
    const prior = { ...r.prior, answers: [...r.prior.answers, ...answers] };
    await table.put({ ...r, prior, updatedAt: now });
    return prior;
  });
}

/** Changes a run's fields other than its checkpoint and curve (status, error, adapter id), in one transaction. */
export async function updateTrainingRun(
  db: TributaryDB,
  id: string,
  patch: Partial<Pick<TrainingRunRecord, 'status' | 'error' | 'adapterId' | 'name' | 'owner' | 'pricePerAnswer' | 'examples' | 'totalSteps'>>,
  now: number,
): Promise<TrainingRunRecord> {
  const table = trainingRunsTable(db);
  return db.transaction('rw', table, async () => {
    const r = await table.get(id);
    if (!r) throw noRun(id);
    const next = { ...r, ...patch, updatedAt: now };
    // a cancelled run keeps no state: it cannot be resumed
    if (patch.status === 'cancelled') next.checkpoint = null;
    await table.put(next);
    return next;
  });
}

export async function deleteTrainingRun(db: TributaryDB, id: string): Promise<void> {
  await trainingRunsTable(db).delete(id);
}
