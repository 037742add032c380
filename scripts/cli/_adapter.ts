/**
 * An adapter folder in Node (PEFT export: `adapter_config.json`, `adapter_model.safetensors`, and — for adapters
 * trained by ModelFactory or `npm run cli -- train` — `training_log.json`, `training_log.safetensors`,
 * `tributary_training.json`): its files for influence verification, and gradient influence of an answer the way the
 * app computes it (`attribution/adapterGradient.ts`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { InfluenceEvidence } from '../../src/attribution/attribute.ts';
import { TributaryError } from '../../src/core/errors.ts';
import { adapterAnswerGradient } from '../../src/attribution/adapterGradient.ts';
import { answerExample, influenceByContribution, influenceParams, type AnswerTokenizing, type InfluenceKind } from '../../src/attribution/influenceFromLog.ts';
import type { InfluenceVerifyInputs } from '../../src/attribution/verifyInfluence.ts';
import { parsePeftAdapter } from '../../src/engine/lora/peft.ts';
import { readTrainingLog, TRAINING_LOG_JSON, TRAINING_LOG_TENSORS, trainingLogHash } from '../../src/engine/train/trainingLog.ts';
import { DEFAULT_TRAIN_CONFIG } from '../../src/engine/train/types.ts';
import { hasChatTemplate } from '../../src/services/engine/prompt.ts';
import type { LoadedModel } from './_model.ts';

/** An adapter folder's files for influence verification (the training log null when the folder has none). */
export function influenceInputsOfDir(dir: string, base: LoadedModel): InfluenceVerifyInputs {
  const abs = resolve(dir);
  const read = (name: string): Uint8Array => {
    if (!existsSync(join(abs, name))) throw new TributaryError('attribution/invalid-input', `${abs} holds no ${name}: give the adapter's PEFT folder (adapter_config.json, adapter_model.safetensors, and its training log).`);
    return new Uint8Array(readFileSync(join(abs, name)));
  };
  const hasLog = existsSync(join(abs, TRAINING_LOG_JSON)) && existsSync(join(abs, TRAINING_LOG_TENSORS));
  return {
    subject: abs,
    adapter: { config: read('adapter_config.json'), weights: read('adapter_model.safetensors') },
    trainingLog: hasLog ? { json: read(TRAINING_LOG_JSON), tensors: read(TRAINING_LOG_TENSORS) } : null,
    base: { config: base.config, weights: base.weights, tokenizer: base.tokenizer, tokenizerConfig: base.tokenizerConfig },
  };
}

/** The training run's sequence length (`tributary_training.json`), else the trainer's default; within the model's context. */
function runSeqLen(dir: string, base: LoadedModel): number {
  const file = join(resolve(dir), 'tributary_training.json');
  const hp = existsSync(file) ? ((JSON.parse(readFileSync(file, 'utf8')) as { hyperParameters?: { seqLen?: unknown } }).hyperParameters ?? {}) : {};
  return Math.min(typeof hp.seqLen === 'number' ? hp.seqLen : DEFAULT_TRAIN_CONFIG.seqLen, base.config.maxPositionEmbeddings);
}

/**
 * Gradient influence of `answer` (after `prompt`) for the adapter in `dir`, as the app computes it: the answer made a
 * training example (chat turn without a system prompt — the CLI answers without one — or plain text), its gradient
 * taken on the adapter's weights, projected with the log's spec and scored against the exported log. Null (with the
 * reason) when the folder has no training log or the answer no token.
 */
export async function influenceOfAdapterDir(dir: string, base: LoadedModel, prompt: string, answer: string, kind: InfluenceKind): Promise<{ evidence: InfluenceEvidence } | { evidence: null; reason: string }> {
  const files = influenceInputsOfDir(dir, base);
  if (!files.trainingLog) return { evidence: null, reason: `${files.subject} carries no training log` };
  const log = readTrainingLog(files.trainingLog);
  if (log.checkpoints.length === 0) return { evidence: null, reason: `the training log in ${files.subject} holds no gradient checkpoint` };
  const seqLen = runSeqLen(dir, base);
  const tok: AnswerTokenizing = { tokenizer: base.tokenizer, tokenizerConfig: base.tokenizerConfig, seqLen, system: null, form: hasChatTemplate(base.tokenizerConfig) ? 'chat' : 'lm' };
  const example = answerExample(tok, prompt, answer);
  if (!example) return { evidence: null, reason: 'the answer gives no token to take a gradient on' };
  const spec = { seed: log.projection.seed, dimPerModule: log.projection.dimPerModule, numLayers: log.projection.numLayers, targets: log.projection.targets };
  const adapter = parsePeftAdapter(files.adapter, base.config);
  const g = await adapterAnswerGradient({ config: base.config, base: base.weights, adapter, spec, example, seqLen, padId: base.config.eosTokenIds[0] ?? 0, subject: files.subject });
  return { evidence: { kind, byContribution: influenceByContribution(log, g, kind), params: influenceParams(log, trainingLogHash(files.trainingLog), tok, g, kind), gradient: g } };
}
