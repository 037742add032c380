/**
 * The ModelFactory form's hyper-parameters: what a person types (strings), checked field by field into numbers the
 * trainer takes, with a message per field that says what is wrong and what is allowed. Pure: the page shows the
 * messages beside the inputs, and the engine worker checks again (`assertTrainSettings`) before it trains, so a
 * settings object that did not come from the form is refused the same way.
 */
import type { AdapterTarget } from './adapter.ts';
import { TributaryError } from './errors.ts';

export const ADAPTER_TARGETS: readonly AdapterTarget[] = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];

/** The largest LoRA rank the engine serves (services/engine MAX_ADAPTER_RANK). */
export const MAX_TRAIN_RANK = 32;

/**
 * How many distinct general questions prior preservation can ask: what engine/train/priorPreservation's
 * `priorPrompts` gives (its topics × its question forms). Core cannot import the engine, so the number is kept here
 * and a test of the training set checks the two agree.
 */
export const MAX_PRIOR_PROMPTS = 360;

/** The longest greedy answer of the base model to a prior-preservation question, in new tokens. */
export const PRIOR_ANSWER_TOKENS = 64;

/** Checked hyper-parameters of a LoRA training run. */
export interface TrainSettings {
  rank: number;
  alpha: number;
  /** LoRA dropout on the adapter's input, in [0, 0.9] */
  dropout: number;
  targets: AdapterTarget[];
  learningRate: number;
  epochs: number;
  batchSize: number;
  /** tokens per example (longer passages are cut into windows) */
  seqLen: number;
  /** warmup steps of the learning-rate schedule (cosine after) */
  warmupSteps: number;
  weightDecay: number;
  /** gradient-norm clip; 0 = no clipping */
  clip: number;
  gradAccum: number;
  seed: number;
  /** share of the examples kept out of training to measure held-out loss, in [0.05, 0.5] */
  heldOutFraction: number;
  /**
   * prior preservation: how many general questions (no Datanet is about them) the base model answers before
   * training, its answers trained alongside the Datanet's examples so the adapter answers what its Datanets do not
   * cover as the base does, instead of reciting passages; 0 turns it off
   */
  priorPrompts: number;
}

/** The form's fields as typed. */
export type TrainSettingsDraft = { [K in Exclude<keyof TrainSettings, 'targets'>]: string } & { targets: AdapterTarget[] };

export type TrainSettingsField = keyof TrainSettings;

/** Defaults for a small model and a small Datanet: a few hundred steps at most, a rank that serves in every slot. */
export const DEFAULT_TRAIN_SETTINGS: TrainSettings = {
  rank: 8,
  alpha: 16,
  dropout: 0.05,
  targets: ['q', 'v'],
  learningRate: 2e-3,
  epochs: 3,
  batchSize: 4,
  seqLen: 128,
  warmupSteps: 5,
  weightDecay: 0,
  clip: 1,
  gradAccum: 1,
  seed: 42,
  heldOutFraction: 0.1,
  priorPrompts: 48,
};

export function draftOf(s: TrainSettings): TrainSettingsDraft {
  return {
    rank: String(s.rank),
    alpha: String(s.alpha),
    dropout: String(s.dropout),
    targets: [...s.targets],
    learningRate: String(s.learningRate),
    epochs: String(s.epochs),
    batchSize: String(s.batchSize),
    seqLen: String(s.seqLen),
    warmupSteps: String(s.warmupSteps),
    weightDecay: String(s.weightDecay),
    clip: String(s.clip),
    gradAccum: String(s.gradAccum),
    seed: String(s.seed),
    heldOutFraction: String(s.heldOutFraction),
    priorPrompts: String(s.priorPrompts),
  };
}

/** What bounds depend on the model: its context (sequence length) and the rank its adapter slots serve. */
export interface TrainLimits {
  contextLength: number;
  maxRank: number;
}

export type TrainSettingsResult = { ok: true; settings: TrainSettings } | { ok: false; errors: Partial<Record<TrainSettingsField, string>> };

interface NumRule {
  label: string;
  integer: boolean;
  min: number;
  max: number;
  /** the minimum itself is not allowed (e.g. a learning rate > 0) */
  minExclusive?: boolean;
  hint?: string;
}

function rules(limits: TrainLimits): Record<Exclude<TrainSettingsField, 'targets'>, NumRule> {
  return {
    rank: { label: 'Rank', integer: true, min: 1, max: Math.min(MAX_TRAIN_RANK, limits.maxRank), hint: 'the adapter slots of this model hold at most this rank' },
    alpha: { label: 'Alpha', integer: false, min: 0, max: 1024, minExclusive: true },
    dropout: { label: 'Dropout', integer: false, min: 0, max: 0.9 },
    learningRate: { label: 'Learning rate', integer: false, min: 0, max: 1, minExclusive: true, hint: 'typical LoRA rates are 1e-4 to 5e-3' },
    epochs: { label: 'Epochs', integer: false, min: 0, max: 100, minExclusive: true, hint: 'a fraction trains on part of the data, e.g. 0.5' },
    batchSize: { label: 'Batch size', integer: true, min: 1, max: 64 },
    seqLen: { label: 'Sequence length', integer: true, min: 8, max: limits.contextLength, hint: "the model's context length is the most" },
    warmupSteps: { label: 'Warmup steps', integer: true, min: 0, max: 10_000 },
    weightDecay: { label: 'Weight decay', integer: false, min: 0, max: 1 },
    clip: { label: 'Gradient clip', integer: false, min: 0, max: 1000, hint: '0 turns clipping off' },
    gradAccum: { label: 'Gradient accumulation', integer: true, min: 1, max: 64 },
    seed: { label: 'Seed', integer: true, min: 0, max: 2 ** 31 - 1 },
    heldOutFraction: { label: 'Held-out share', integer: false, min: 0.05, max: 0.5 },
    priorPrompts: PRIOR_PROMPTS_RULE,
  };
}

const PRIOR_PROMPTS_RULE: NumRule = { label: 'General questions', integer: true, min: 0, max: MAX_PRIOR_PROMPTS, hint: '0 turns prior preservation off' };

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function checkNumber(text: string, r: NumRule): { value: number } | { error: string } {
  const t = text.trim();
  const range = `${r.minExclusive ? `above ${r.min}` : `at least ${r.min}`} and at most ${r.max}`;
  const tail = r.hint ? ` (${r.hint})` : '';
  if (t === '') return { error: `${r.label} is empty; enter ${r.integer ? 'a whole number' : 'a number'} ${range}${tail}.` };
  if (!NUMBER_RE.test(t)) return { error: `${r.label} must be a number, not "${t}".` };
  const v = Number(t);
  if (!Number.isFinite(v)) return { error: `${r.label} must be a finite number, not "${t}".` };
  if (r.integer && !Number.isInteger(v)) return { error: `${r.label} must be a whole number (got ${t}).` };
  if (v < r.min || (r.minExclusive && v === r.min) || v > r.max) return { error: `${r.label} must be ${range}${tail}; got ${t}.` };
  return { value: v };
}

/**
 * The prior-preservation count alone, as typed (the headless trainer's `--prior-prompts`): the same rule and message
 * as the form's field.
 */
export function parsePriorPrompts(text: string): { value: number } | { error: string } {
  return checkNumber(text, PRIOR_PROMPTS_RULE);
}

/** Checks every field of the form; the result has either the settings or one message per bad field. */
export function parseTrainSettings(draft: TrainSettingsDraft, limits: TrainLimits): TrainSettingsResult {
  const errors: Partial<Record<TrainSettingsField, string>> = {};
  const out: Partial<TrainSettings> = {};
  const r = rules(limits);
  for (const key of Object.keys(r) as (keyof typeof r)[]) {
    const res = checkNumber(draft[key], r[key]);
    if ('error' in res) errors[key] = res.error;
    else out[key] = res.value;
  }
  const targets = ADAPTER_TARGETS.filter((t) => draft.targets.includes(t));
  const unknown = draft.targets.filter((t) => !ADAPTER_TARGETS.includes(t));
  if (unknown.length > 0) errors.targets = `Unknown target module ${unknown.map((t) => `"${t}"`).join(', ')}; pick from ${ADAPTER_TARGETS.join(', ')}.`;
  else if (targets.length === 0) errors.targets = 'Pick at least one target module (q and v are a common start).';
  out.targets = targets;
  if (errors.warmupSteps === undefined && errors.epochs === undefined && out.warmupSteps !== undefined && out.warmupSteps > 0 && out.warmupSteps > 1000 * (out.epochs ?? 1)) {
    errors.warmupSteps = `Warmup steps (${out.warmupSteps}) is far more than a run of ${out.epochs} epoch(s) takes; use fewer.`;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, settings: out as TrainSettings };
}

/** The same checks on a settings object (the worker's door): throws `factory/bad-settings` naming every bad field. */
export function assertTrainSettings(s: TrainSettings, limits: TrainLimits): TrainSettings {
  const res = parseTrainSettings(
    { ...draftOf({ ...s, targets: Array.isArray(s.targets) ? s.targets : [] }), targets: Array.isArray(s.targets) ? [...s.targets] : [] },
    limits,
  );
  if (!res.ok) throw new TributaryError('factory/bad-settings', Object.values(res.errors).join(' '));
  return res.settings;
}
