/**
 * Gradient influence of a fine-tuned adapter's training data on one answer, per contribution: the answer's loss
 * gradient w.r.t. the LoRA parameters (the trainer's `exampleGradient`, on the answer tokenized exactly as training
 * examples are), projected with the training log's own spec (`projectLoraGradient`), scored against every logged
 * example (influence.ts: TracIn-style or damped inverse), summed over each contribution's examples.
 *
 * What the record states (`influenceParams`, method version 2) is everything a verifier needs to take the same
 * gradient and score it the same way: the kind (and damping), the projection, the training log's content hash, and
 * how the answer was made an example (`example`: chat turn or plain text, `seqLen`, the system prompt, '' for none).
 */
import { TributaryError } from '../core/errors.ts';
import { sha256Hex } from '../core/hash.ts';
import type { Hex } from '../core/types.ts';
import type { TokenizerConfig } from '../engine/chat/chatTemplate.ts';
import { buildExamples } from '../engine/train/examples.ts';
import { projectLoraGradient } from '../engine/train/projectLoraGradient.ts';
import type { TrainingLog } from '../engine/train/trainingLog.ts';
import type { Trainer } from '../engine/train/trainerApi.ts';
import type { TrainExample } from '../engine/train/types.ts';
import type { Tokenizer } from '../engine/tokenizer/index.ts';
import type { InfluenceEvidence } from './attribute.ts';
import { dampedInverseScores, dampedInverseScoresPrepared, tracInScores, type InfluenceInput, type PreparedInverse } from './influence.ts';

export type InfluenceKind = InfluenceEvidence['kind'];
export const INFLUENCE_KINDS: readonly InfluenceKind[] = ['tracin', 'damped-inverse'];
/** DataInf-style damping: λ = ratio × the mean eigenvalue of the projected Fisher */
export const DEFAULT_DAMPING_RATIO = 0.1;

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

/** How the answer becomes a training example: a chat turn (models with a chat template) or plain text. */
export type AnswerExampleForm = 'chat' | 'lm';

export type AnswerTokenizing = { tokenizer: Tokenizer; tokenizerConfig: TokenizerConfig; seqLen: number; system?: string | null; form?: AnswerExampleForm };

/**
 * The answer as a training example, loss on the answer's tokens only: the assistant turn after the prompt (`chat`,
 * the default), or, for a model without a chat template (trained on plain text), `prompt\nanswer` as plain text.
 */
export function answerExample(tok: AnswerTokenizing, prompt: string, answer: string): TrainExample | null {
  if (answer.trim() === '') return null;
  if (tok.form === 'lm') return buildExamples([{ contributionId: 'answer', passageIndex: 0, text: `${prompt}\n${answer}` }], tok.tokenizer, tok.tokenizerConfig, { kind: 'lm', seqLen: tok.seqLen })[0] ?? null;
  const [example] = buildExamples([{ contributionId: 'answer', passageIndex: 0, text: answer }], tok.tokenizer, tok.tokenizerConfig, { kind: 'chat', seqLen: tok.seqLen, system: tok.system ?? null, questions: () => [prompt] });
  return example ?? null;
}

/** The projected gradient of the answer's loss (the answer as the assistant turn after the prompt). */
export async function answerGradient(trainer: Pick<Trainer, 'exampleGradient'>, log: TrainingLog, tok: AnswerTokenizing, prompt: string, answer: string): Promise<Float32Array | null> {
  const example = answerExample(tok, prompt, answer);
  if (!example) return null;
  return projectLoraGradient(await trainer.exampleGradient(example), log.projection);
}

/**
 * The content hash of a projected answer gradient, what the record's influence params commit to (`gradient`):
 * SHA-256 of its length (u32 LE) and its values (f32 LE).
 */
export function projectedGradientHash(g: Float32Array): Hex {
  const bytes = new Uint8Array(4 + g.length * 4);
  const dv = new DataView(bytes.buffer);
  dv.setUint32(0, g.length, true);
  g.forEach((x, i) => dv.setFloat32(4 + i * 4, x, true));
  return sha256Hex(bytes);
}

/** What an influence method's record parameters say (`influenceParams`), read back. */
export interface InfluenceParams {
  kind: InfluenceKind;
  projectionDim: number;
  projectionSeed: number;
  checkpoints: number;
  dampingRatio?: number;
  example: AnswerExampleForm;
  /** the projected answer gradient's hash (projectedGradientHash): the exact floats the scores came from */
  gradient: Hex;
  /** the training log's content hash (trainingLogHash) */
  log: Hex;
  seqLen: number;
  /** the system prompt of a chat example ('' for none) */
  system: string;
}

/** The influence method's parameters as the record states them (key order fixed: the record hashes the string). */
export function influenceParams(log: TrainingLog, logHash: Hex, tok: Pick<AnswerTokenizing, 'seqLen' | 'system' | 'form'>, gradient: Float32Array, kind: InfluenceKind, dampingRatio = DEFAULT_DAMPING_RATIO): InfluenceEvidence['params'] {
  return {
    projectionDim: log.projection.dim,
    projectionSeed: log.projection.seed,
    checkpoints: log.checkpoints.length,
    ...(kind === 'damped-inverse' ? { dampingRatio } : {}),
    example: tok.form ?? 'chat',
    gradient: projectedGradientHash(gradient),
    log: logHash,
    seqLen: tok.seqLen,
    system: tok.form === 'lm' ? '' : (tok.system ?? ''),
  };
}

/** Scores every logged example against the projected answer gradient `g` and sums them per contribution. */
export function influenceByContribution(log: TrainingLog, g: Float32Array, kind: InfluenceKind, dampingRatio = DEFAULT_DAMPING_RATIO, prepared?: PreparedInverse): Map<Hex, number> {
  if (!INFLUENCE_KINDS.includes(kind)) throw new TributaryError('attribution/invalid-input', `"${String(kind)}" is not an influence method (${INFLUENCE_KINDS.join(', ')}).`);
  const input = influenceInputOf(log);
  const scores = kind === 'tracin' ? tracInScores(input, g) : prepared ? dampedInverseScoresPrepared(prepared, g) : dampedInverseScores(input, g, dampingRatio);
  return scoresByContribution(log, scores);
}

/**
 * Influence evidence from a live trainer (the CLI's fine-tuning, the LDS benchmark): the trainer's own gradient at
 * its current (final) weights. `logHash` names the log as exported beside the adapter (trainingLogHash).
 */
export async function influenceEvidence(
  trainer: Pick<Trainer, 'exampleGradient'>,
  log: TrainingLog,
  logHash: Hex,
  tok: AnswerTokenizing,
  prompt: string,
  answer: string,
  kind: InfluenceKind = 'tracin',
  dampingRatio = DEFAULT_DAMPING_RATIO,
): Promise<InfluenceEvidence | null> {
  const g = await answerGradient(trainer, log, tok, prompt, answer);
  if (!g || log.checkpoints.length === 0) return null;
  return { kind, byContribution: influenceByContribution(log, g, kind, dampingRatio), params: influenceParams(log, logHash, tok, g, kind, dampingRatio), gradient: g };
}
