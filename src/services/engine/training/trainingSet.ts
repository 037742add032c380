/**
 * A ModelFactory run's data: the accepted passages of the chosen Datanets (store/trainingData), split by passage into
 * train and held-out (core/heldOutSplit, seeded), turned into examples with the model's tokenizer and chat template
 * (engine/train/examples: a question about the passage, the passage as the answer, loss on the answer only; plain
 * language-model windows for a model without a chat template). Each example keeps its contribution and passage, which
 * the training log records for attribution.
 */
import { TributaryError } from '../../../core/errors.ts';
import { splitHeldOut } from '../../../core/heldOutSplit.ts';
import type { TrainSettings } from '../../../core/trainSettings.ts';
import type { Hex } from '../../../core/types.ts';
import type { TokenizerConfig } from '../../../engine/chat/chatTemplate.ts';
import type { Tokenizer } from '../../../engine/tokenizer/tokenizer.ts';
import { buildExamples, type TrainPassage } from '../../../engine/train/examples.ts';
import type { TrainConfig, TrainExample } from '../../../engine/train/types.ts';
import type { TributaryDB } from '../../../store/db.ts';
import { readTrainingData } from '../../../store/trainingData.ts';
import type { RunDatanet } from '../../../store/trainingRuns.ts';
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
  };
}
