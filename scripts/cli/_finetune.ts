/**
 * The evaluation's fine-tuning step: a LoRA adapter trained on the Datanet's passages with the project's trainer
 * (src/engine/train, CPU), instruction examples (`recallQuestions`: the default questions, one per named thing and
 * the opening words of its sentences to complete, each answered with the passage) plus language-model examples of each passage, with the attribution training log (projected
 * per-example gradients at the middle and at the end of training). The trainer stays alive to take answer
 * gradients for influence.
 */
import { sha256Hex } from '../../src/core/hash.ts';
import type { InfluenceEvidence } from '../../src/attribution/attribute.ts';
import type { DatanetSource } from '../../src/attribution/datanetIndex.ts';
import { answerExample, influenceEvidence, type InfluenceKind } from '../../src/attribution/influenceFromLog.ts';
import { createCpuTrainOps } from '../../src/engine/train/cpu/cpuTrainOps.ts';
import { buildExamples, recallQuestions, type TrainPassage } from '../../src/engine/train/examples.ts';
import { priorExamples, priorPrompts } from '../../src/engine/train/priorPreservation.ts';
import { createTrainer } from '../../src/engine/train/trainer.ts';
import { readTrainingLog, TRAINING_LOG_JSON, TRAINING_LOG_TENSORS, trainingLogHash } from '../../src/engine/train/trainingLog.ts';
import type { TrainConfig } from '../../src/engine/train/types.ts';
import { loadModelDir, type LoadedModel } from './_model.ts';

export interface FineTuned {
  model: LoadedModel;
  /** `kind`: TracIn or the damped inverse (default: `opts.influenceKind`, else TracIn) */
  influence(prompt: string, answer: string, kind?: InfluenceKind): Promise<InfluenceEvidence | null>;
  /** mean loss of the adapter on the answer's tokens after the prompt (the LDS benchmark's measured outcome) */
  answerLoss(prompt: string, answer: string): Promise<number | null>;
  losses: number[];
}

export const EVAL_TRAIN: Partial<TrainConfig> = { rank: 8, alpha: 16, lr: 3e-3, epochs: 6, batchSize: 8, seqLen: 96, warmup: 5, seed: 1, targetModules: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] };

/** general questions answered by the base and trained alongside (src/engine/train/priorPreservation.ts) */
export const EVAL_PRIOR_PROMPTS = 48;

export async function fineTuneIfAvailable(
  base: LoadedModel,
  source: DatanetSource,
  log: (s: string) => void,
  opts: { train?: Partial<TrainConfig>; influenceKind?: InfluenceKind; trainingLog?: boolean; quiet?: boolean; priorPrompts?: number } = {},
): Promise<FineTuned | null> {
  const train = { ...EVAL_TRAIN, ...opts.train };
  const passages: TrainPassage[] = source.passages.map((p) => ({ contributionId: p.contributionId, passageIndex: p.index, datanetId: source.datanetId, text: p.text }));
  const examples = [
    ...buildExamples(passages, base.tokenizer, base.tokenizerConfig, { kind: 'chat', seqLen: train.seqLen!, system: null, questions: recallQuestions }),
    ...buildExamples(passages, base.tokenizer, base.tokenizerConfig, { kind: 'lm', seqLen: train.seqLen! }),
  ];
  const nPrior = opts.priorPrompts ?? EVAL_PRIOR_PROMPTS;
  if (nPrior > 0) {
    const pairs = [];
    for (const prompt of priorPrompts(nPrior, train.seed ?? 1)) pairs.push({ prompt, answer: await base.answer(prompt, 48) });
    examples.push(...priorExamples(pairs, base.tokenizer, base.tokenizerConfig, { seqLen: train.seqLen!, system: null }));
  }
  const padId = base.config.padTokenId ?? base.config.eosTokenIds[0] ?? 0;
  const steps = Math.ceil((train.epochs! * examples.length) / train.batchSize!);
  const keepLog = opts.trainingLog ?? true;
  const trainer = await createTrainer({ ops: createCpuTrainOps(), config: base.config, weights: base.weights, train, examples, padId, log: keepLog ? { checkpoints: [Math.ceil(steps / 2), steps], dimPerModule: 8 } : false });
  if (!opts.quiet) log(`fine-tuning: ${examples.length} examples, ${trainer.totalSteps} steps`);
  const losses: number[] = [];
  const t0 = performance.now();
  while (!trainer.done) {
    const r = await trainer.step();
    losses.push(r.loss);
    if (!opts.quiet && (r.step % 20 === 0 || trainer.done)) log(`step ${r.step}/${trainer.totalSteps} loss ${r.loss.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const files = await trainer.exportPeft({ name: 'eval-attribution', datanets: [source.datanetId] });
  const adapterBytes = files['adapter_model.safetensors']!;
  const weights = await trainer.loraWeights();
  const model = await loadModelDir(base.dir, { adapter: { id: `eval-lora-${sha256Hex(adapterBytes).slice(2, 10)}`, hash: sha256Hex(adapterBytes), weights, rank: train.rank! } });
  // influence scores against the log AS EXPORTED (F16 gradients), the log a record names by hash and a verifier reads
  const logFiles = keepLog ? { json: files[TRAINING_LOG_JSON]!, tensors: files[TRAINING_LOG_TENSORS]! } : null;
  const trainingLog = logFiles ? readTrainingLog(logFiles) : null;
  const logHash = logFiles ? trainingLogHash(logFiles) : null;
  const tok = { tokenizer: base.tokenizer, tokenizerConfig: base.tokenizerConfig, seqLen: train.seqLen!, system: null };
  return {
    model,
    losses,
    influence: async (prompt, answer, kind) => (trainingLog && logHash ? influenceEvidence(trainer, trainingLog, logHash, tok, prompt, answer, kind ?? opts.influenceKind ?? 'tracin') : null),
    async answerLoss(prompt, answer) {
      const ex = answerExample(tok, prompt, answer);
      return ex ? (await trainer.evaluate([ex])).loss : null;
    },
  };
}
