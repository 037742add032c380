/**
 * Gradient influence of a fine-tuned adapter's training data on one answer, per contribution: the answer's loss
 * gradient w.r.t. the LoRA parameters (the trainer's `exampleGradient`, on the answer tokenized exactly as training
 * examples are), projected with the training log's own spec (`projectLoraGradient`), scored against every logged
 * example (influence.ts: TracIn-style or damped inverse), summed over each contribution's examples.
 */
import type { Hex } from '../core/types.ts';
import type { TokenizerConfig } from '../engine/chat/chatTemplate.ts';
import { buildExamples } from '../engine/train/examples.ts';
import { projectLoraGradient } from '../engine/train/projectLoraGradient.ts';
import type { TrainingLog } from '../engine/train/trainingLog.ts';
import type { Trainer } from '../engine/train/trainerApi.ts';
import type { TrainExample } from '../engine/train/types.ts';
import type { Tokenizer } from '../engine/tokenizer/index.ts';
import type { InfluenceEvidence } from './attribute.ts';
import { dampedInverseScores, tracInScores, type InfluenceInput } from './influence.ts';

export type InfluenceKind = InfluenceEvidence['kind'];

export function influenceInputOf(log: TrainingLog): InfluenceInput {
  return {
    dim: log.projection.dim,
    examples: log.examples.length,
    checkpoints: log.checkpoints.map((c, i) => ({ lr: c.lr, gradients: log.gradients[i]! })),
  };
}

/** Per-example scores summed per contribution (`ExampleSource.contributionId`, lower-cased). */
export function scoresByContribution(log: TrainingLog, scores: Float64Array): Map<Hex, number> {
  const out = new Map<Hex, number>();
  log.examples.forEach((e, i) => {
    const c = e.contributionId.toLowerCase() as Hex;
    out.set(c, (out.get(c) ?? 0) + scores[i]!);
  });
  return out;
}

type AnswerTokenizing = { tokenizer: Tokenizer; tokenizerConfig: TokenizerConfig; seqLen: number; system?: string | null };

/** The answer as a training example: the assistant turn after the prompt, loss on the answer's tokens only. */
export function answerExample(tok: AnswerTokenizing, prompt: string, answer: string): TrainExample | null {
  if (answer.trim() === '') return null;
  const [example] = buildExamples([{ contributionId: 'answer', passageIndex: 0, text: answer }], tok.tokenizer, tok.tokenizerConfig, { kind: 'chat', seqLen: tok.seqLen, system: tok.system ?? null, questions: () => [prompt] });
  return example ?? null;
}

/** The projected gradient of the answer's loss (the answer as the assistant turn after the prompt). */
export async function answerGradient(trainer: Pick<Trainer, 'exampleGradient'>, log: TrainingLog, tok: AnswerTokenizing, prompt: string, answer: string): Promise<Float32Array | null> {
  const example = answerExample(tok, prompt, answer);
  if (!example) return null;
  return projectLoraGradient(await trainer.exampleGradient(example), log.projection);
}

export async function influenceEvidence(
  trainer: Pick<Trainer, 'exampleGradient'>,
  log: TrainingLog,
  tok: AnswerTokenizing,
  prompt: string,
  answer: string,
  kind: InfluenceKind = 'tracin',
  dampingRatio = 0.1,
): Promise<InfluenceEvidence | null> {
  const g = await answerGradient(trainer, log, tok, prompt, answer);
  if (!g || log.checkpoints.length === 0) return null;
  const input = influenceInputOf(log);
  const scores = kind === 'tracin' ? tracInScores(input, g) : dampedInverseScores(input, g, dampingRatio);
  return {
    kind,
    byContribution: scoresByContribution(log, scores),
    params: { projectionDim: log.projection.dim, projectionSeed: log.projection.seed, checkpoints: log.checkpoints.length, ...(kind === 'damped-inverse' ? { dampingRatio } : {}) },
  };
}
