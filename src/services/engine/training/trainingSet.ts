/**
 * A ModelFactory run's data: the accepted passages of the chosen Datanets (store/trainingData), split by passage into
 * train and held-out (core/heldOutSplit, seeded), turned into examples with the model's tokenizer and chat template
 * (engine/train/examples: a question about the passage, the passage as the answer, loss on the answer only; plain
 * language-model windows for a model without a chat template). Each example keeps its contribution and passage, which
 * the training log records for attribution.
 *
 * Prior preservation (engine/train/priorPreservation): general questions no Datanet is about, answered by the BASE
 * model (greedy, before training), join the TRAINING examples (never the held-out ones), so the adapter answers what
 * its Datanets do not cover as the base does instead of reciting passages. Their source names no contribution.
 */
import { TributaryError } from '../../../core/errors.ts';
import { splitHeldOut } from '../../../core/heldOutSplit.ts';
import { PRIOR_ANSWER_TOKENS, type TrainSettings } from '../../../core/trainSettings.ts';
import type { Hex } from '../../../core/types.ts';
import type { TokenizerConfig } from '../../../engine/chat/chatTemplate.ts';
import type { Tokenizer } from '../../../engine/tokenizer/tokenizer.ts';
import { buildExamples, type TrainPassage } from '../../../engine/train/examples.ts';
import { priorExamples, priorPrompts } from '../../../engine/train/priorPreservation.ts';
import type { TrainConfig, TrainExample } from '../../../engine/train/types.ts';
import type { TributaryDB } from '../../../store/db.ts';
import { readTrainingData } from '../../../store/trainingData.ts';
import type { RunDatanet, RunPrior } from '../../../store/trainingRuns.ts';
import { hasChatTemplate } from '../prompt.ts';

export interface ExampleModel {
  tokenizer: Tokenizer;
  tokenizerConfig: TokenizerConfig | null;
  systemPrompt: string | null;
}

export interface TrainingSet {
  datanets: (RunDatanet & { examples: number; tokens: number })[];
  contributionIds: Hex[];
  train: TrainExample[];
  heldOut: TrainExample[];
  /** tokens of the training examples */
  tokens: number;
  /** the prior-preservation examples among `train` (general questions answered by the base) */
  prior: { examples: number; tokens: number };
}

/** What a model without a chat template is told (its examples are plain text windows, not question and answer). */
export const NO_TEMPLATE_REASON = 'this model has no chat template, so it trains on plain text windows; prior preservation needs question-and-answer turns and is skipped';

/**
 * A new run's prior preservation: the questions to ask the base (seeded by the run's seed), or why there are none
 * for this model; null when the settings turn it off (0 questions).
 */
export function priorPlanOf(model: Pick<ExampleModel, 'tokenizerConfig'>, s: Pick<TrainSettings, 'priorPrompts' | 'seed'>): RunPrior | null {
  if (s.priorPrompts <= 0) return null;
  if (model.tokenizerConfig === null || !hasChatTemplate(model.tokenizerConfig)) return { prompts: [], answers: [], maxTokens: PRIOR_ANSWER_TOKENS, skipped: NO_TEMPLATE_REASON };
  return { prompts: priorPrompts(s.priorPrompts, s.seed), answers: [], maxTokens: PRIOR_ANSWER_TOKENS, skipped: null };
}

/** The questions of a run's prior preservation that the base has not answered yet. */
export function unansweredPrompts(prior: RunPrior | null): string[] {
  return prior && prior.skipped === null ? prior.prompts.slice(prior.answers.length) : [];
}

/**
 * The training set with the run's prior-preservation examples added to its training examples (after the Datanets'
 * examples; the trainer shuffles by seed). A question whose prompt alone fills the sequence length, or whose answer
 * is empty, gives no example.
 */
export function withPriorExamples(set: TrainingSet, model: ExampleModel, prior: RunPrior | null, s: Pick<TrainSettings, 'seqLen'>): TrainingSet {
  if (!prior || prior.skipped !== null || prior.answers.length === 0) return set;
  if (prior.answers.length < prior.prompts.length) {
    throw new TributaryError('factory/training', `The base model answered ${prior.answers.length} of ${prior.prompts.length} general questions; answer the rest before training.`);
  }
  const pairs = prior.prompts.map((prompt, i) => ({ prompt, answer: prior.answers[i]! }));
  const opts = { seqLen: s.seqLen, system: model.systemPrompt };
  const tc = model.tokenizerConfig ?? {};
  let examples: TrainExample[];
  try {
    examples = priorExamples(pairs, model.tokenizer, tc, opts);
  } catch (e) {
    if (!(e instanceof TributaryError) || e.code !== 'train/no-examples') throw e;
    // some question does not fit the sequence length: keep the ones that do, each at its own index (an empty answer
    // is skipped by priorExamples, so the others are blanked one question at a time)
    examples = pairs.flatMap((p, i) => {
      try {
        return priorExamples(pairs.map((q, j) => (j === i ? q : { prompt: q.prompt, answer: '' })), model.tokenizer, tc, opts);
      } catch (err) {
        if (err instanceof TributaryError && err.code === 'train/no-examples') return [];
        throw err;
      }
    });
  }
  const tokens = examples.reduce((n, e) => n + e.tokens.length, 0);
  return { ...set, train: [...set.train, ...examples], tokens: set.tokens + tokens, prior: { examples: examples.length, tokens } };
}

/** The trainer's hyper-parameters for the form's settings (LoRA on a frozen f32 base). */
export function trainConfigOf(s: TrainSettings): Partial<TrainConfig> {
  return {
    mode: 'lora',
    rank: s.rank,
    alpha: s.alpha,
    dropout: s.dropout,
    targetModules: [...s.targets],
    lr: s.learningRate,
    epochs: s.epochs,
    batchSize: s.batchSize,
    seqLen: s.seqLen,
    warmup: s.warmupSteps,
    weightDecay: s.weightDecay,
    clip: s.clip,
    gradAccum: s.gradAccum,
    seed: s.seed,
    baseQuant: 'none',
  };
}

/** Optimiser steps of a run (as the trainer counts them). */
export function totalStepsOf(examples: number, s: Pick<TrainSettings, 'epochs' | 'batchSize' | 'gradAccum'>): number {
  return Math.max(1, Math.ceil((s.epochs * examples) / (s.batchSize * s.gradAccum)));
}

/**
 * Reads and builds a run's examples. `only`: the contributions a run started with (a resumed run trains on exactly
 * those, even if more were accepted since).
 */
export async function buildTrainingSet(db: TributaryDB, model: ExampleModel, datanetIds: readonly string[], s: TrainSettings, only?: readonly Hex[]): Promise<TrainingSet> {
  const data = await readTrainingData(db, datanetIds);
  const keep = only ? new Set(only) : null;
  const passages: TrainPassage[] = [];
  const contributionIds: Hex[] = [];
  for (const d of data) {
    for (const c of d.contributionIds) if (!keep || keep.has(c)) contributionIds.push(c);
    for (const p of d.passages) {
      if (keep && !keep.has(p.contributionId)) continue;
      const title = d.titles[p.contributionId];
      passages.push({ contributionId: p.contributionId, passageIndex: p.index, datanetId: d.id, text: p.text, ...(title ? { title } : {}) });
    }
  }
  if (keep && contributionIds.length < keep.size) {
    throw new TributaryError('factory/no-data', `${keep.size - contributionIds.length} of the contributions this run trained on are no longer accepted or stored; it cannot resume. Start a new run.`);
  }
  const split = splitHeldOut(passages, (p) => `${p.contributionId}:${p.passageIndex}`, s.seed, s.heldOutFraction);
  const chat = model.tokenizerConfig !== null && hasChatTemplate(model.tokenizerConfig);
  const opts = { kind: chat ? ('chat' as const) : ('lm' as const), seqLen: s.seqLen, system: model.systemPrompt };
  const tc = model.tokenizerConfig ?? {};
  const train = buildExamples(split.train, model.tokenizer, tc, opts);
  const heldOut = buildExamples(split.heldOut, model.tokenizer, tc, opts);
  const per = new Map<string, { examples: number; tokens: number }>();
  let tokens = 0;
  for (const e of train) {
    tokens += e.tokens.length;
    const k = e.source.datanetId ?? '';
    const c = per.get(k) ?? { examples: 0, tokens: 0 };
    c.examples++;
    c.tokens += e.tokens.length;
    per.set(k, c);
  }
  return {
    datanets: data.map((d) => {
      const used = d.contributionIds.filter((c) => !keep || keep.has(c));
      const usedSet = new Set(used);
      return {
        id: d.id,
        name: d.name,
        version: d.version,
        contributions: used.length,
        passages: d.passages.filter((p) => usedSet.has(p.contributionId)).length,
        ...(per.get(d.id) ?? { examples: 0, tokens: 0 }),
      };
    }),
    contributionIds,
    train,
    heldOut,
    tokens,
    prior: { examples: 0, tokens: 0 },
  };
}
