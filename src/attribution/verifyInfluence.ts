/**
 * Recomputes a record's gradient-influence evidence from the adapter's files and its training log (docs/ATTRIBUTION.md
 * "Verifying a record"): the part of `verifyAttributionRecord` that needs the adapter.
 *
 * 1. The record's influence method (version 2) names the training log by content hash, the kind (TracIn or damped
 *    inverse, with its damping), the projection, and how the answer was made an example (form, seqLen, system
 *    prompt). A version-1 record names none of that and is refused.
 * 2. The log must be there (`attribution/training-log-missing`), readable and the very log the record names
 *    (`attribution/training-log-corrupt`), and able to support the method — gradient checkpoints, the record's
 *    projection, the base's layers, the adapter's modules, a positive definite damped Fisher
 *    (`attribution/influence-unsupported`). Each refusal is thrown before anything is computed.
 * 3. The answer's gradient is taken on the adapter's weights (attribution/adapterGradient, what the app's engine
 *    worker takes), projected with the log's spec, scored against every logged example and summed per contribution.
 * 4. The record commits to the exact projected gradient it scored with (`gradient`: its hash). Floats differ in the
 *    last bits between JavaScript engines (Chromium's and Node's `Math`), so a file exported by the app carries that
 *    gradient (`evidence.influence`): it must hash to the commitment and agree with the verifier's own within
 *    `INFLUENCE_GRADIENT_TOLERANCE`; without it, the verifier's own must hash to the commitment (records made in Node).
 * 5. Every logged example is scored with the committed gradient; each score the record states (its credits'
 *    `influence` values, in micro-units) must agree with the recomputed one within `INFLUENCE_SCORE_TOLERANCE`, and the
 *    scores go through the combination again (the caller's `attributeAnswer`), so weights are checked in ppm exactly
 *    and the whole record by its hash. With a carried gradient, a note says how far the verifier's own gradient would
 *    move the scores.
 */
import { TributaryError } from '../core/errors.ts';
import type { AttributionRecord, MethodInfo } from '../core/attribution/types.ts';
import type { Hex } from '../core/types.ts';
import type { TokenizerConfig } from '../engine/chat/chatTemplate.ts';
import type { ModelConfig } from '../engine/formats/config.ts';
import { parsePeftAdapter, type PeftFiles } from '../engine/lora/peft.ts';
import type { LlamaWeights } from '../engine/model/types.ts';
import type { Tokenizer } from '../engine/tokenizer/index.ts';
import { readTrainingLog, trainingLogHash, type TrainingLog } from '../engine/train/trainingLog.ts';
import { adapterAnswerGradient } from './adapterGradient.ts';
import type { InfluenceEvidence } from './attribute.ts';
import { prepareDampedInverse, type PreparedInverse } from './influence.ts';
import { answerExample, influenceByContribution, influenceInputOf, influenceParams, INFLUENCE_KINDS, projectedGradientHash, type AnswerTokenizing, type InfluenceParams } from './influenceFromLog.ts';

/**
 * A stated score agrees with the recomputed one (from the committed gradient) when `|stated − recomputed| ≤ 2·10⁻⁶`:
 * the record rounds scores to micro-units (½·10⁻⁶); scoring the same floats is otherwise exact (IEEE double sums and
 * products in a fixed order, in any engine). Engine-to-engine float noise lives in the GRADIENT, checked below.
 */
export const INFLUENCE_SCORE_TOLERANCE = 2e-6;

/**
 * The answer gradient a record file carries agrees with the verifier's own when every value is within
 * `INFLUENCE_GRADIENT_TOLERANCE × max_i |own_i|` of it: another engine's float arithmetic moves the last bits, a
 * gradient of another answer, adapter or tokenization moves them by orders of magnitude more.
 */
export const INFLUENCE_GRADIENT_TOLERANCE = 1e-4;

export function gradientsAgree(theirs: Float32Array, own: Float32Array): { ok: true; maxDiff: number; scale: number } | { ok: false; why: string } {
  if (theirs.length !== own.length) return { ok: false, why: `it has ${theirs.length} values, the training log's projection ${own.length}` };
  let scale = 0;
  let maxDiff = 0;
  for (let i = 0; i < own.length; i++) {
    scale = Math.max(scale, Math.abs(own[i]!));
    maxDiff = Math.max(maxDiff, Math.abs(theirs[i]! - own[i]!));
  }
  if (!(maxDiff <= INFLUENCE_GRADIENT_TOLERANCE * scale)) return { ok: false, why: `a value is ${maxDiff.toExponential(2)} from this verifier's, beyond ${INFLUENCE_GRADIENT_TOLERANCE} × its largest value ${scale.toExponential(2)}` };
  return { ok: true, maxDiff, scale };
}

/** What verification needs for a record with gradient influence: the adapter's files and the base it fits. */
export interface InfluenceVerifyInputs {
  /** where the files came from (an adapter folder), named in messages */
  subject: string;
  adapter: PeftFiles;
  /** `training_log.json` and `training_log.safetensors`, null when the adapter carries none */
  trainingLog: { json: Uint8Array; tensors: Uint8Array } | null;
  base: { config: ModelConfig; weights: LlamaWeights; tokenizer: Tokenizer; tokenizerConfig: TokenizerConfig };
}

export interface InfluenceCheck {
  /** the recomputed evidence, to combine again (null when the answer gradient itself does not check out) */
  evidence: InfluenceEvidence | null;
  problems: string[];
  notes: string[];
}

// the messages name the adapter folder themselves (no `subject` prefix)
const unsupported = (why: string): never => {
  throw new TributaryError('attribution/influence-unsupported', why);
};

/** The influence method's parameters, checked (`attribution/influence-unsupported` when they cannot be recomputed). */
export function readInfluenceParams(m: MethodInfo): InfluenceParams {
  let p: Partial<InfluenceParams>;
  try {
    p = JSON.parse(m.params) as Partial<InfluenceParams>;
  } catch {
    return unsupported(`The record's influence parameters are not JSON (${m.params.slice(0, 80)}).`);
  }
  if (m.version === '1') {
    return unsupported("The record's gradient influence is method version 1, which names neither the training log it scored against nor how the answer was tokenized: it cannot be recomputed. Attribute the answer again with this version of Tributary.");
  }
  if (m.version !== '2') unsupported(`The record's influence method is version ${m.version}; this verifier knows version 2.`);
  if (!INFLUENCE_KINDS.includes(p.kind as InfluenceParams['kind'])) unsupported(`The record names influence method "${String(p.kind)}"; a training log supports ${INFLUENCE_KINDS.join(' and ')}.`);
  const count = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) > 0;
  if (!count(p.projectionDim) || !Number.isSafeInteger(p.projectionSeed) || !count(p.checkpoints) || !count(p.seqLen)) unsupported("The record's influence parameters lack a projection (dim, seed), a checkpoint count or a sequence length.");
  if (p.example !== 'chat' && p.example !== 'lm') unsupported(`The record makes the answer a "${String(p.example)}" example; the trainer makes "chat" or "lm" ones.`);
  if (typeof p.system !== 'string') unsupported("The record's influence parameters lack the system prompt ('' for none).");
  if (typeof p.log !== 'string' || !/^0x[0-9a-f]{64}$/.test(p.log)) unsupported("The record's influence parameters do not name the training log's hash.");
  if (typeof p.gradient !== 'string' || !/^0x[0-9a-f]{64}$/.test(p.gradient)) unsupported("The record's influence parameters do not name the answer gradient's hash.");
  if (p.kind === 'damped-inverse' && !(typeof p.dampingRatio === 'number' && p.dampingRatio > 0 && Number.isFinite(p.dampingRatio))) unsupported('The record uses the damped inverse without a positive damping ratio.');
  return p as InfluenceParams;
}

/** The training log given, read and checked against the record's parameters (throws the typed refusals above). */
export function trainingLogFor(params: InfluenceParams, inputs: InfluenceVerifyInputs): { log: TrainingLog; hash: Hex } {
  const where = inputs.subject;
  if (!inputs.trainingLog) {
    throw new TributaryError(
      'attribution/training-log-missing',
      `The record's gradient influence was scored against training log ${params.log}, but ${where} holds no training_log.json and training_log.safetensors: give the adapter folder exported with its training log (ModelFactory's export, or \`npm run cli -- train --out\`).`,
    );
  }
  let log: TrainingLog;
  try {
    log = readTrainingLog(inputs.trainingLog);
    if (!log.projection || !Array.isArray(log.projection.targets) || log.gradients.some((g) => g.some((x) => !Number.isFinite(x)))) throw new Error('its projection or gradients are not usable');
  } catch (e) {
    throw new TributaryError('attribution/training-log-corrupt', `The training log in ${where} cannot be read (${(e as Error).message}); export the adapter with its training log again.`);
  }
  const hash = trainingLogHash(inputs.trainingLog);
  if (hash !== params.log) {
    throw new TributaryError('attribution/training-log-corrupt', `The training log in ${where} hashes to ${hash}, the record was scored against ${params.log}: it was changed or corrupted, or it is another run's log.`);
  }
  if (log.checkpoints.length === 0 || log.examples.length === 0) unsupported(`The training log in ${where} holds no gradient checkpoint: it supports no influence method.`);
  if (log.projection.dim !== params.projectionDim || log.projection.seed !== params.projectionSeed || log.checkpoints.length !== params.checkpoints) {
    unsupported(
      `The record scored in a ${params.projectionDim}-d projection (seed ${params.projectionSeed}) over ${params.checkpoints} checkpoints; the training log in ${where} has ${log.projection.dim}-d (seed ${log.projection.seed}) over ${log.checkpoints.length}.`,
    );
  }
  if (log.projection.numLayers !== inputs.base.config.numLayers) unsupported(`The training log in ${where} was made for a model with ${log.projection.numLayers} layers, the base given has ${inputs.base.config.numLayers}.`);
  return { log, hash };
}

/** Recomputes the influence evidence and compares it with the scores `record` states. */
export async function recomputeInfluence(record: AttributionRecord, method: MethodInfo, prompt: string, answer: string, inputs: InfluenceVerifyInputs, carried?: Float32Array): Promise<InfluenceCheck> {
  const params = readInfluenceParams(method);
  const { log, hash } = trainingLogFor(params, inputs);
  const where = inputs.subject;
  const adapter = parsePeftAdapter(inputs.adapter, inputs.base.config);
  const missing = log.projection.targets.filter((t) => !adapter.meta.targets.includes(t));
  if (missing.length > 0) unsupported(`The training log in ${where} projects the ${missing.join(', ')} modules, which the adapter does not have: it is not this adapter's log.`);
  let prepared: PreparedInverse | undefined;
  if (params.kind === 'damped-inverse') {
    try {
      prepared = prepareDampedInverse(influenceInputOf(log), params.dampingRatio);
    } catch (e) {
      unsupported(`The training log in ${where} cannot support the damped inverse at damping ${params.dampingRatio}: ${(e as Error).message}`);
    }
  }
  const tok: AnswerTokenizing = { tokenizer: inputs.base.tokenizer, tokenizerConfig: inputs.base.tokenizerConfig, seqLen: params.seqLen, system: params.system === '' ? null : params.system, form: params.example };
  const example = answerExample(tok, prompt, answer);
  if (!example) unsupported('The answer gives no token to take a gradient on, yet the record states gradient influence.');
  const spec = { seed: log.projection.seed, dimPerModule: log.projection.dimPerModule, numLayers: log.projection.numLayers, targets: log.projection.targets };
  const own = await adapterAnswerGradient({ config: inputs.base.config, base: inputs.base.weights, adapter, spec, example: example!, seqLen: params.seqLen, padId: inputs.base.config.eosTokenIds[0] ?? 0, subject: where });
  const problems: string[] = [];
  const notes: string[] = [];

  // the gradient to score with: the file's (checked against this verifier's own), else this verifier's own
  let g = own;
  if (carried) {
    const h = projectedGradientHash(carried);
    if (h !== params.gradient) problems.push(`influence: the answer gradient in the file hashes to ${h}, the record commits to ${params.gradient}`);
    const agree = gradientsAgree(carried, own);
    if (!agree.ok) problems.push(`influence: the answer gradient in the file is not what adapter ${record.adapter?.id ?? ''} gives for the answer: ${agree.why}`);
    else notes.push(`influence: the answer gradient in the file agrees with this adapter's (${own.length} values, largest difference ${agree.maxDiff.toExponential(1)} of ${agree.scale.toExponential(1)})`);
    g = carried;
  } else if (projectedGradientHash(own) !== params.gradient) {
    problems.push(`influence: the answer gradient computed here hashes to ${projectedGradientHash(own)}, the record commits to ${params.gradient}, and the file carries none to compare with (export the record with its evidence)`);
  }
  if (problems.length > 0) return { evidence: null, problems, notes };

  // every logged example scored with the committed gradient; each stated score against it
  const byContribution = influenceByContribution(log, g, params.kind, params.dampingRatio, prepared);
  const tol = INFLUENCE_SCORE_TOLERANCE;
  let compared = 0;
  let worst = 0;
  for (const c of record.credits) {
    const stated = c.evidence.scores.find((s) => s.method === 'influence');
    if (!stated) continue;
    const mine = byContribution.get(c.contributionId.toLowerCase() as Hex);
    const who = `influence: credit ${c.contributionId.slice(0, 10)}…`;
    if (mine === undefined) {
      problems.push(`${who}: score ${stated.valueMicro}e-6 stated, but the training log holds no example of this contribution`);
      continue;
    }
    const diff = Math.abs(stated.valueMicro / 1e6 - mine);
    compared++;
    worst = Math.max(worst, diff);
    if (diff > tol) problems.push(`${who}: ${params.kind} score ${stated.valueMicro}e-6 stated, ${Math.round(mine * 1e6)}e-6 recomputed (tolerance ${tol.toExponential(1)})`);
  }
  const label = params.kind === 'tracin' ? 'TracIn' : `damped inverse (damping ${params.dampingRatio})`;
  notes.unshift(
    `influence: ${label} recomputed from ${where} over ${log.examples.length} logged examples × ${log.checkpoints.length} checkpoint${log.checkpoints.length === 1 ? '' : 's'} (${log.projection.dim}-d projection, training log ${hash.slice(0, 10)}…); ${compared} stated score${compared === 1 ? '' : 's'} ${problems.length === 0 ? 'agree' : 'compared'}, largest difference ${worst.toExponential(1)} (tolerance ${tol.toExponential(1)})`,
  );
  if (g !== own) {
    // what the engines' float difference does to the scores: this verifier's own gradient, scored the same way
    const mineOwn = influenceByContribution(log, own, params.kind, params.dampingRatio, prepared);
    let shift = 0;
    let scale = 0;
    for (const [c, v] of byContribution) {
      shift = Math.max(shift, Math.abs(v - mineOwn.get(c)!));
      scale = Math.max(scale, Math.abs(v));
    }
    notes.push(`influence: with this verifier's own gradient the scores would move by at most ${shift.toExponential(1)} (largest score ${scale.toExponential(1)})`);
  }
  return { evidence: { kind: params.kind, byContribution, params: influenceParams(log, hash, tok, g, params.kind, params.dampingRatio), gradient: g }, problems, notes };
}
