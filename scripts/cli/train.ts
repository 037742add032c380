/**
 * `npm run cli -- train [--base <dir>] --datanet <pack.zip | records.jsonl> --out <dir> [options]`: trains a LoRA
 * adapter on a Datanet's accepted contributions with the same engine the ModelFactory page runs, on the CPU, and
 * writes the adapter in PEFT layout plus its training log (`training_log.json` / `.safetensors`). The base defaults to
 * the bundled demo model. jsonl records are `{"id", "contributor", "text"}` (each chunked in 500-character passages).
 *
 * Options: --rank 8 --alpha 16 --dropout 0 --targets q,k,v,o,gate,up,down --lr 0.004 --epochs 2 --batch-size 8
 * --seq-len 192 --warmup 10 --weight-decay 0 --clip 1 --grad-accum 1 --seed 1 --base-quant none|int8|int4
 * --format chat|lm --held-out 0.1 --name <adapter name> --log-dim 8 --prior-prompts 48
 *
 * Prior preservation (as the ModelFactory page does it): before training, the base model answers `--prior-prompts`
 * general questions no Datanet is about (greedy, its system prompt and chat template, at most 64 new tokens each) and
 * the adapter trains on those answers beside the Datanet's examples, so it answers what the Datanet does not cover as
 * the base does instead of reciting passages. 0 turns it off; a model without a chat template (or --format lm) skips
 * it and says why. The questions and answers are written to `tributary_training.json` with the hyper-parameters.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TributaryError } from '../../src/core/errors.ts';
import { DEFAULT_TRAIN_SETTINGS, parsePriorPrompts } from '../../src/core/trainSettings.ts';
import type { LoraTarget } from '../../src/engine/model/types.ts';
import { createCpuTrainOps } from '../../src/engine/train/cpu/cpuTrainOps.ts';
import { buildExamples } from '../../src/engine/train/examples.ts';
import { createTrainer } from '../../src/engine/train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG, type BaseQuant, type TrainConfig } from '../../src/engine/train/types.ts';
import { priorPlanOf, withPriorExamples } from '../../src/services/engine/training/trainingSet.ts';
import { basePriorAnswers } from '../lib/basePriorAnswers.ts';
import { loadDatanetPassages } from '../lib/datanetPassages.ts';
import { loadBaseModel } from '../lib/loadBaseModel.ts';

export const summary = 'train a LoRA adapter on a Datanet (pack or jsonl) on the CPU: PEFT files + training log';

const FLAGS = ['base', 'datanet', 'out', 'rank', 'alpha', 'dropout', 'targets', 'lr', 'epochs', 'batch-size', 'seq-len', 'warmup', 'weight-decay', 'clip', 'grad-accum', 'seed', 'base-quant', 'format', 'held-out', 'name', 'log-dim', 'prior-prompts'];

export function parseTrainArgs(args: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw new TributaryError('train/config', `unexpected argument "${a}"; options start with --.`);
    const [k, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    if (!FLAGS.includes(k)) throw new TributaryError('train/config', `unknown option --${k}; known: ${FLAGS.map((f) => '--' + f).join(' ')}.`);
    const v = inline ?? args[++i];
    if (v === undefined) throw new TributaryError('train/config', `--${k} needs a value.`);
    o[k] = v;
  }
  if (!o.datanet) throw new TributaryError('train/config', '--datanet <pack.zip | records.jsonl> is required.');
  if (!o.out) throw new TributaryError('train/config', '--out <dir> is required.');
  if (o['prior-prompts'] !== undefined) {
    const r = parsePriorPrompts(o['prior-prompts']);
    if ('error' in r) throw new TributaryError('train/config', `--prior-prompts: ${r.error}`);
  }
  return o;
}

const num = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new TributaryError('train/config', `--${flag} must be a number (got "${v}").`);
  return n;
};

export async function run(args: string[]): Promise<void> {
  const o = parseTrainArgs(args);
  const datanetPath = o.datanet!;
  const outDir = o.out!;
  const train: Partial<TrainConfig> = { mode: 'lora', epochs: 2, lr: 4e-3, batchSize: 8, seqLen: 192, warmup: 10 };
  const set = <K extends keyof TrainConfig>(k: K, v: TrainConfig[K] | undefined): void => {
    if (v !== undefined) train[k] = v;
  };
  set('rank', num(o.rank, 'rank'));
  set('alpha', num(o.alpha, 'alpha'));
  set('dropout', num(o.dropout, 'dropout'));
  set('lr', num(o.lr, 'lr'));
  set('epochs', num(o.epochs, 'epochs'));
  set('batchSize', num(o['batch-size'], 'batch-size'));
  set('seqLen', num(o['seq-len'], 'seq-len'));
  set('warmup', num(o.warmup, 'warmup'));
  set('weightDecay', num(o['weight-decay'], 'weight-decay'));
  set('clip', num(o.clip, 'clip'));
  set('gradAccum', num(o['grad-accum'], 'grad-accum'));
  set('seed', num(o.seed, 'seed'));
  if (o.targets) set('targetModules', o.targets.split(',').map((s) => s.trim().replace(/_proj$/, '')) as LoraTarget[]);
  if (o['base-quant']) set('baseQuant', o['base-quant'] as BaseQuant);
  const format = o.format ?? 'chat';
  if (format !== 'chat' && format !== 'lm') throw new TributaryError('train/config', `--format must be chat or lm (got "${format}").`);
  const heldFrac = num(o['held-out'], 'held-out') ?? 0.1;
  if (!(heldFrac >= 0 && heldFrac < 1)) throw new TributaryError('train/config', `--held-out must be from 0 to below 1 (got ${heldFrac}).`);

  const base = await loadBaseModel(o.base ?? join('public', 'models', 'tributary-demo'));
  const dn = await loadDatanetPassages(datanetPath);
  console.log(`base ${base.id}: ${base.config.numLayers} layers × ${base.config.hiddenSize}; Datanet ${dn.name}: ${dn.passages.length} passages of accepted contributions`);
  const every = heldFrac > 0 ? Math.max(2, Math.round(1 / heldFrac)) : 0;
  const trainP = dn.passages.filter((_, i) => !every || i % every !== every - 1);
  const heldP = dn.passages.filter((_, i) => every && i % every === every - 1);
  const seqLen = train.seqLen ?? 192;
  const exOpts = { kind: format, seqLen, system: base.systemPrompt } as const;
  const datanetExamples = buildExamples(trainP, base.tokenizer, base.tokenizerConfig, exOpts);
  const held = heldP.length ? buildExamples(heldP, base.tokenizer, base.tokenizerConfig, exOpts) : [];
  // prior preservation: the base's own answers to general questions, trained beside the Datanet's examples
  const nPrior = o['prior-prompts'] !== undefined ? Number(o['prior-prompts']) : DEFAULT_TRAIN_SETTINGS.priorPrompts;
  const seed = train.seed ?? DEFAULT_TRAIN_CONFIG.seed;
  const model = { tokenizer: base.tokenizer, tokenizerConfig: base.tokenizerConfig, systemPrompt: base.systemPrompt };
  let prior = priorPlanOf(format === 'lm' ? { tokenizerConfig: null } : model, { priorPrompts: nPrior, seed });
  if (prior?.skipped && format === 'lm') prior = { ...prior, skipped: '--format lm trains on plain text windows; prior preservation needs question-and-answer turns and is skipped' };
  if (prior?.skipped) console.log(`prior preservation skipped: ${prior.skipped}`);
  if (prior && prior.prompts.length > 0) {
    console.log(`prior preservation: the base answers ${prior.prompts.length} general questions (at most ${prior.maxTokens} tokens each)`);
    const t = Date.now();
    prior.answers = await basePriorAnswers(base, prior.prompts, prior.maxTokens, (n, total) => {
      if (n % 8 === 0 || n === total) console.log(`answered ${n}/${total} general questions with the base (${((Date.now() - t) / 1000).toFixed(0)} s)`);
    });
  }
  const withPrior = withPriorExamples({ datanets: [], contributionIds: [], train: datanetExamples, heldOut: held, tokens: 0, prior: { examples: 0, tokens: 0 } }, model, prior, { seqLen });
  const examples = withPrior.train;
  if (prior && prior.skipped === null) console.log(`prior preservation: ${withPrior.prior.examples} examples from the base's answers beside ${datanetExamples.length} from the Datanet`);
  const pad = base.config.padTokenId ?? base.config.eosTokenIds[0] ?? 0;
  const trainer = await createTrainer({ ops: createCpuTrainOps(), config: base.config, weights: base.weights, train, examples, padId: pad, log: { dimPerModule: num(o['log-dim'], 'log-dim') ?? 8 } });
  const c = trainer.config;
  console.log(`${examples.length} examples, ${trainer.totalSteps} steps (rank ${c.rank}, alpha ${c.alpha}, targets ${c.targetModules.join(',')}, lr ${c.lr}, batch ${c.batchSize}×${c.gradAccum}, base ${c.baseQuant})`);
  const before = held.length ? await trainer.evaluate(held) : null;
  if (before) console.log(`held-out perplexity before: ${before.perplexity.toFixed(2)} (${held.length} examples)`);
  const t0 = Date.now();
  let tokens = 0;
  while (!trainer.done) {
    const r = await trainer.step();
    tokens += r.tokens;
    const s = (Date.now() - t0) / 1000;
    if (r.step % 10 === 0 || trainer.done) console.log(`step ${r.step}/${r.totalSteps} loss ${r.loss.toFixed(3)} lr ${r.lr.toExponential(2)} |g| ${r.gradNorm.toFixed(2)} ${(tokens / s).toFixed(0)} tok/s ETA ${((s / r.step) * (r.totalSteps - r.step)).toFixed(0)} s`);
  }
  if (held.length) {
    const after = await trainer.evaluate(held);
    console.log(`held-out perplexity after: ${after.perplexity.toFixed(2)} (before ${before!.perplexity.toFixed(2)})`);
  }
  const files = await trainer.exportPeft({ name: o.name ?? dn.name, datanets: [dn.datanetId], baseModel: base.id, ...(dn.owner?.startsWith('0x') ? { owner: dn.owner as `0x${string}` } : {}) });
  mkdirSync(outDir, { recursive: true });
  // provenance beside the PEFT files, as the ModelFactory page's export writes it: hyper-parameters (with the number
  // of general questions) and the base's answers the adapter trained on
  const training = {
    baseModel: { id: base.id },
    datanets: [{ id: dn.datanetId, name: dn.name }],
    hyperParameters: { ...c, targetModules: [...c.targetModules], format, heldOut: heldFrac, priorPrompts: nPrior },
    steps: trainer.stepIndex,
    priorPreservation: { questions: prior?.prompts.length ?? 0, examples: withPrior.prior.examples, skipped: prior?.skipped ?? null },
    priorAnswers: (prior?.prompts ?? []).map((prompt, i) => ({ prompt, answer: prior!.answers[i] ?? '' })),
  };
  files['tributary_training.json'] = new TextEncoder().encode(JSON.stringify(training, null, 2) + '\n');
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(outDir, name), bytes);
  const logInfo = trainer.trainingLog().projection;
  console.log(`wrote ${Object.keys(files).join(', ')} to ${outDir} (training log: ${examples.length} examples × ${logInfo.dim} dims, ${logInfo.bytesPerExample} bytes each)`);
  trainer.dispose();
}
