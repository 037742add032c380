/**
 * ModelFactory's action in the engine worker (contract: workerApi/trainingApi.ts): plans a run, trains it step by step
 * with progress events, checkpoints it into IndexedDB (store/trainingRuns), pauses / resumes / cancels it, evaluates
 * it, saves the adapter into the OpenLoRA registry and exports it in PEFT layout with its training log.
 *
 * - **Device sharing.** Each optimiser step (and each held-out evaluation) runs inside the engine's `exclusive`
 *   section: a step starts once the answers running now have finished, and a new answer waits for the step in
 *   progress. So chat still answers while a run trains; both go slower.
 * - **Checkpoints.** After the base model's held-out loss (step 0), at every held-out evaluation, at least every
 *   `CHECKPOINT_MS` of training, on pause and at the end, the trainer's `state()` is written with the curve up to it
 *   in one transaction. Resuming (after a pause, a reload, a killed tab) rebuilds the same examples (the run keeps
 *   its contributions and seed), `restore`s the state and goes on: the trainer continues bit for bit, so the curve
 *   continues as if uninterrupted.
 * - **Prior preservation.** Before its first step a run asks the BASE model (no adapter, greedy, its system prompt and
 *   chat template) its general questions (`settings.priorPrompts` of them; trainingSet.ts) and trains on the answers
 *   beside the Datanets' examples. Each answer is stored with the run as it comes (store/trainingRuns
 *   `savePriorAnswers`): a resumed run trains on the stored answers, never new ones, and its checkpoint's examples
 *   hash (checked by `restore`) proves the examples are the same. A run interrupted while answering goes on with the
 *   questions left. A model without a chat template skips it, and the run says why.
 * - One run trains at a time per worker (`factory/busy` otherwise).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { AdapterTraining } from '../../../core/adapter.ts';
import { PRIOR_ANSWER_TOKENS } from '../../../core/trainSettings.ts';
import { TributaryError } from '../../../core/errors.ts';
import { assertTrainSettings, type TrainSettings } from '../../../core/trainSettings.ts';
import type { Address, Hex } from '../../../core/types.ts';
import type {
  ExportedTrainedAdapter,
  SaveAdapterRequest,
  StartTrainingRequest,
  TrainingEvaluation,
  TrainingEvent,
  TrainingOutcome,
  TrainingPlan,
  TrainingPlanRequest,
} from '../../../workerApi/trainingApi.ts';
import type { ModelInfo } from '../../../workerApi/engineApi.ts';
import type { TokenizerConfig } from '../../../engine/chat/chatTemplate.ts';
import type { ModelConfig } from '../../../engine/formats/config.ts';
import { loadModelWeights, type TensorSource } from '../../../engine/formats/weights.ts';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, parsePeftAdapter, type PeftAdapter } from '../../../engine/lora/peft.ts';
import type { LlamaWeights } from '../../../engine/model/types.ts';
import type { Tokenizer } from '../../../engine/tokenizer/tokenizer.ts';
import { defaultQuestions, firstSentence } from '../../../engine/train/examples.ts';
import type { Trainer, TrainerInit } from '../../../engine/train/trainerApi.ts';
import type { TrainerState } from '../../../engine/train/types.ts';
import type { AdapterSummary } from '../../../store/adapters.ts';
import { getContribution, listPassages } from '../../../store/contributions.ts';
import type { TributaryDB } from '../../../store/db.ts';
import { getTrainingRun, putTrainingRun, savePriorAnswers, saveCheckpoint, updateTrainingRun, type LossPoint, type RunPrior, type TrainingRunRecord } from '../../../store/trainingRuns.ts';
import { withRunLock } from './runLock.ts';
import { buildTrainingSet, priorPlanOf, trainConfigOf, totalStepsOf, unansweredPrompts, withPriorExamples, type TrainingSet } from './trainingSet.ts';

/** Longest stretch of training between two checkpoints. */
export const CHECKPOINT_MS = 3000;
/** Held-out evaluations per run (plus the base model's at step 0). */
export const HELD_OUT_POINTS = 10;

/** The loaded model, as training sees it. */
export interface TrainingModel {
  info: ModelInfo;
  config: ModelConfig;
  tokenizer: Tokenizer;
  tokenizerConfig: TokenizerConfig | null;
  checkpoint: TensorSource;
  systemPrompt: string | null;
}

/** What the action needs from the engine (EngineService implements it). */
export interface TrainingHost {
  db: TributaryDB;
  now(): number;
  clock(): number;
  /** the loaded model (the demo model is loaded when none is) */
  model(): Promise<TrainingModel>;
  /** a trainer on the engine's device (WebGPU where its trainer runs, else the CPU) */
  createTrainer(init: Omit<TrainerInit, 'ops'>): Promise<{ trainer: Trainer; backend: string }>;
  /** runs `fn` while no answer runs (chat waits for it, it waits for running answers) */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** one greedy answer of the loaded model to a question, with an adapter not (yet) installed, or none */
  answer(question: string, adapter: PeftAdapter | null, maxTokens: number): Promise<string>;
  /**
   * the BASE model's own answer (no adapter; greedy with no repetition penalty: the most likely tokens, which is what
   * prior preservation keeps), with its system prompt and chat template as chat uses them
   */
  baseAnswer(question: string, maxTokens: number): Promise<string>;
  /** installs a trained adapter (registry + adapters table) */
  install(adapter: PeftAdapter, files: Record<string, Uint8Array>, extra: { training: AdapterTraining; pricePerAnswer: bigint }): Promise<AdapterSummary>;
}

interface Prepared {
  runId: string;
  trainer: Trainer;
  backend: string;
  set: TrainingSet;
  model: TrainingModel;
}

interface Active {
  runId: string;
  stop: 'pause' | 'cancel' | null;
}

const lossOf = (p: LossPoint[]): number | null => p.at(-1)?.loss ?? null;

export class TrainingAction {
  private active: Active | null = null;
  /** the trainer of the last run trained or evaluated (kept for evaluate / save / export) */
  private ready: Prepared | null = null;
  private weights: { modelId: string; weights: LlamaWeights; hash: string } | null = null;

  constructor(private readonly host: TrainingHost) {}

  activeTraining(): Promise<string | null> {
    return Promise.resolve(this.active?.runId ?? null);
  }

  private limits(m: TrainingModel): { contextLength: number; maxRank: number } {
    return { contextLength: m.info.contextLength, maxRank: m.info.maxAdapterRank };
  }

  private async baseWeights(m: TrainingModel): Promise<{ weights: LlamaWeights; hash: string }> {
    if (this.weights?.modelId === m.info.id) return this.weights;
    this.weights = null;
    const weights = await loadModelWeights(m.config, m.checkpoint);
    // the base model's identity: SHA-256 over its f32 weights in load order (what the adapter was trained against)
    const h = sha256.create();
    const add = (a: Float32Array) => h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    add(weights.embed.data);
    for (const l of weights.layers) {
      for (const k of ['inputNorm', 'postAttentionNorm', 'qBias', 'kBias', 'vBias'] as const) if (l[k]) add(l[k]);
      for (const k of ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const) add(l[k].data);
    }
    add(weights.finalNorm);
    if (weights.lmHead) add(weights.lmHead.data);
    this.weights = { modelId: m.info.id, weights, hash: `0x${bytesToHex(h.digest())}` };
    return this.weights;
  }

  async planTraining(req: TrainingPlanRequest): Promise<TrainingPlan> {
    const m = await this.host.model();
    const s = assertTrainSettings(req.settings, this.limits(m));
    const set = await buildTrainingSet(this.host.db, m, req.datanetIds, s);
    const perStep = s.batchSize * s.gradAccum;
    const prior = priorPlanOf(m, s);
    // each general question answered gives one more training example (an empty answer none): counted as one each
    const questions = prior?.prompts.length ?? 0;
    return {
      baseModel: { id: m.info.id, label: m.info.label, signature: m.info.signature, hash: this.weights?.modelId === m.info.id ? this.weights.hash : '' },
      datanets: set.datanets,
      examples: { train: set.train.length, heldOut: set.heldOut.length },
      tokens: set.tokens,
      stepsPerEpoch: Math.max(1, Math.ceil((set.train.length + questions) / perStep)),
      totalSteps: totalStepsOf(set.train.length + questions, s),
      backend: '',
      prior: { questions, skipped: prior?.skipped ?? null },
    };
  }

  private busy(): void {
    if (this.active) throw new TributaryError('factory/busy', 'An adapter is training already; pause or cancel it before starting another.');
  }

  async startTraining(req: StartTrainingRequest, onEvent?: (e: TrainingEvent) => void): Promise<TrainingOutcome> {
    this.busy();
    const m = await this.host.model();
    const settings = assertTrainSettings(req.settings, this.limits(m));
    const name = req.name.trim();
    if (!name) throw new TributaryError('factory/bad-settings', 'Give the adapter a name.');
    if (typeof req.pricePerAnswer !== 'bigint' || req.pricePerAnswer < 0n) throw new TributaryError('factory/bad-settings', 'The price per answer must be a whole number of token base units, 0 or more.');
    const set = await buildTrainingSet(this.host.db, m, req.datanetIds, settings);
    const prior = priorPlanOf(m, settings);
    const now = this.host.now();
    const runId = `run-${now.toString(36)}-${bytesToHex(crypto.getRandomValues(new Uint8Array(4)))}`;
    const run: TrainingRunRecord = {
      id: runId,
      name,
      status: 'running',
      baseModel: { id: m.info.id, label: m.info.label, signature: m.info.signature, hash: '' },
      datanets: set.datanets.map(({ examples: _e, tokens: _t, ...d }) => d),
      contributionIds: set.contributionIds,
      settings,
      prior,
      owner: req.owner,
      pricePerAnswer: req.pricePerAnswer,
      examples: { train: set.train.length, heldOut: set.heldOut.length, tokens: set.tokens },
      // until the base has answered its general questions: one example each (made exact before the first step)
      totalSteps: totalStepsOf(set.train.length + (prior?.prompts.length ?? 0), settings),
      step: 0,
      train: [],
      heldOut: [],
      baseHeldOutLoss: null,
      checkpoint: null,
      createdAt: now,
      updatedAt: now,
      error: null,
      adapterId: null,
    };
    await putTrainingRun(this.host.db, run);
    return withRunLock(run.id, run.name, () => this.run(run, set, m, onEvent));
  }

  async resumeTraining(runId: string, onEvent?: (e: TrainingEvent) => void): Promise<TrainingOutcome> {
    this.busy();
    const run = await getTrainingRun(this.host.db, runId);
    if (!run) throw new TributaryError('factory/no-run', `No training run ${runId} is stored.`);
    if (run.status === 'done' || run.status === 'cancelled') throw new TributaryError('factory/no-run', `The run "${run.name}" is ${run.status}; it cannot be resumed.`);
    const m = await this.host.model();
    this.sameModel(run, m);
    const set = await buildTrainingSet(this.host.db, m, run.datanets.map((d) => d.id), run.settings, run.contributionIds);
    return withRunLock(run.id, run.name, async () => {
      await updateTrainingRun(this.host.db, runId, { status: 'running', error: null }, this.host.now());
      return this.run({ ...run, status: 'running' }, set, m, onEvent);
    });
  }

  private sameModel(run: TrainingRunRecord, m: TrainingModel): void {
    if (run.baseModel.id !== m.info.id || run.baseModel.signature !== m.info.signature) {
      throw new TributaryError('lora/mismatch', `The run "${run.name}" trains on ${run.baseModel.label}, but ${m.info.label} is loaded; load ${run.baseModel.label} first.`);
    }
  }

  pauseTraining(runId: string): Promise<boolean> {
    if (this.active?.runId !== runId) return Promise.resolve(false);
    this.active.stop ??= 'pause';
    return Promise.resolve(true);
  }

  async cancelTraining(runId: string): Promise<void> {
    if (this.active?.runId === runId) {
      this.active.stop = 'cancel';
      return;
    }
    const run = await getTrainingRun(this.host.db, runId);
    if (!run) throw new TributaryError('factory/no-run', `No training run ${runId} is stored.`);
    if (this.ready?.runId === runId) this.dropReady();
    await updateTrainingRun(this.host.db, runId, { status: 'cancelled' }, this.host.now());
  }

  private dropReady(): void {
    try {
      this.ready?.trainer.dispose();
    } catch {
      // already gone
    }
    this.ready = null;
  }

  /** A trainer for the run: a new one, then (when the run has a checkpoint) restored to it. */
  private async prepare(run: TrainingRunRecord, set: TrainingSet, m: TrainingModel): Promise<Prepared> {
    if (this.ready?.runId === run.id && run.checkpoint && this.ready.trainer.stepIndex === run.checkpoint.step) return this.ready;
    this.dropReady();
    const { weights, hash } = await this.baseWeights(m);
    if (run.baseModel.hash && run.baseModel.hash !== hash) {
      throw new TributaryError('lora/mismatch', `The weights of ${m.info.label} changed since the run "${run.name}" started (another build of the model); it cannot resume. Start a new run.`);
    }
    if (!run.baseModel.hash) {
      run.baseModel.hash = hash;
      await putTrainingRun(this.host.db, { ...((await getTrainingRun(this.host.db, run.id)) ?? run), baseModel: run.baseModel });
    }
    const padId = m.config.eosTokenIds[0] ?? 0;
    // gradient sketches for attribution half-way and at the end (TracIn sums over checkpoints); they are in the
    // trainer's checkpoints, so a resumed run logs the same
    const steps = totalStepsOf(set.train.length, run.settings);
    const log = { checkpoints: [...new Set([Math.ceil(steps / 2), steps])] };
    const { trainer, backend } = await this.host.createTrainer({ config: m.config, weights, train: trainConfigOf(run.settings), examples: set.train, padId, log });
    if (run.checkpoint) {
      try {
        await trainer.restore(run.checkpoint.state as TrainerState);
      } catch (e) {
        trainer.dispose();
        throw e;
      }
    }
    this.ready = { runId: run.id, trainer, backend, set, model: m };
    return this.ready;
  }

  private async run(run: TrainingRunRecord, set: TrainingSet, m: TrainingModel, onEvent?: (e: TrainingEvent) => void): Promise<TrainingOutcome> {
    const active: Active = { runId: run.id, stop: null };
    this.active = active;
    const emit = (e: TrainingEvent): void => {
      try {
        const r = onEvent?.(e) as unknown;
        if (r instanceof Promise) r.catch(() => undefined); // the page went away; training goes on
      } catch {
        // idem
      }
    };
    const db = this.host.db;
    // the curve as of the checkpoint (points measured after it are measured again)
    const cpStep = run.checkpoint?.step ?? 0;
    const train = run.train.filter((p) => p.step <= cpStep);
    const heldOut = run.heldOut.filter((p) => p.step <= cpStep);
    let baseHeldOutLoss = run.baseHeldOutLoss;
    let prepared: Prepared | null = null;
    let lastCheckpoint = this.host.clock();
    const checkpoint = async (status?: 'paused' | 'done'): Promise<void> => {
      const t = prepared!.trainer;
      const state = await this.host.exclusive(() => t.state());
      await saveCheckpoint(db, run.id, { step: t.stepIndex, state, train: [...train], heldOut: [...heldOut], baseHeldOutLoss, ...(status ? { status } : {}) }, this.host.now());
      lastCheckpoint = this.host.clock();
      emit({ type: 'checkpoint', runId: run.id, step: t.stepIndex });
    };
    try {
      if (run.prior?.skipped) emit({ type: 'prior', runId: run.id, answered: 0, total: 0, skipped: run.prior.skipped });
      if (unansweredPrompts(run.prior).length > 0) {
        run = { ...run, prior: await this.answerPrior(run, run.prior!, active, emit) };
        if (active.stop !== null) {
          const status = active.stop === 'cancel' ? 'cancelled' : 'paused';
          await updateTrainingRun(db, run.id, { status }, this.host.now());
          emit({ type: 'stopped', runId: run.id, status, step: 0 });
          return { runId: run.id, status, step: 0, totalSteps: run.totalSteps };
        }
      }
      set = withPriorExamples(set, m, run.prior, run.settings);
      prepared = await this.prepare(run, set, m);
      const trainer = prepared.trainer;
      const total = trainer.totalSteps;
      const examples = { train: set.train.length, heldOut: set.heldOut.length, tokens: set.tokens };
      if (total !== run.totalSteps || examples.train !== run.examples.train || examples.tokens !== run.examples.tokens) {
        await updateTrainingRun(db, run.id, { totalSteps: total, examples }, this.host.now());
      }
      const evalEvery = Math.max(1, Math.round(total / HELD_OUT_POINTS));
      emit({ type: 'started', runId: run.id, totalSteps: total, resumedFrom: run.checkpoint ? cpStep : null, backend: prepared.backend });
      if (baseHeldOutLoss === null || !run.checkpoint) {
        const base = await this.host.exclusive(() => trainer.evaluate(set.heldOut));
        baseHeldOutLoss = base.loss;
        heldOut.splice(0, heldOut.length, { step: 0, loss: base.loss, tokens: 0 });
        emit({ type: 'baseline', runId: run.id, heldOutLoss: base.loss });
        emit({ type: 'heldout', runId: run.id, step: 0, loss: base.loss });
        await checkpoint();
      }
      let tokens = train.at(-1)?.tokens ?? 0;
      const t0 = this.host.clock();
      let tokensSince = 0;
      while (!trainer.done && active.stop === null) {
        const r = await this.host.exclusive(() => trainer.step());
        tokens += r.tokens;
        tokensSince += r.tokens;
        train.push({ step: r.step, loss: r.loss, tokens });
        const elapsed = Math.max(1, this.host.clock() - t0);
        const stepsDone = r.step - cpStep;
        const etaMs = stepsDone > 0 ? ((total - r.step) * elapsed) / stepsDone : null;
        emit({ type: 'step', runId: run.id, step: r.step, epoch: r.epoch, loss: r.loss, tokens, lr: r.lr, gradNorm: r.gradNorm, tokensPerSecond: (tokensSince * 1000) / elapsed, etaMs });
        const evalNow = r.step % evalEvery === 0 || trainer.done;
        if (evalNow) {
          const ev = await this.host.exclusive(() => trainer.evaluate(set.heldOut));
          heldOut.push({ step: r.step, loss: ev.loss, tokens });
          emit({ type: 'heldout', runId: run.id, step: r.step, loss: ev.loss });
        }
        if (trainer.done) break;
        if (evalNow || this.host.clock() - lastCheckpoint >= CHECKPOINT_MS) await checkpoint();
      }
      if (active.stop === 'cancel') {
        await updateTrainingRun(db, run.id, { status: 'cancelled' }, this.host.now());
        this.dropReady();
        emit({ type: 'stopped', runId: run.id, status: 'cancelled', step: trainer.stepIndex });
        return { runId: run.id, status: 'cancelled', step: trainer.stepIndex, totalSteps: total };
      }
      const status = trainer.done ? 'done' : 'paused';
      await checkpoint(status);
      if (status === 'paused') this.dropReady(); // free the device; resume restores the checkpoint
      emit({ type: 'stopped', runId: run.id, status, step: trainer.stepIndex });
      return { runId: run.id, status, step: trainer.stepIndex, totalSteps: total };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      // the last checkpoint stays: the run can be resumed once the cause is fixed
      await updateTrainingRun(db, run.id, { status: 'failed', error: message }, this.host.now()).catch(() => undefined);
      this.dropReady();
      emit({ type: 'stopped', runId: run.id, status: 'failed', step: run.checkpoint?.step ?? 0, error: message });
      throw e;
    } finally {
      if (this.active === active) this.active = null;
    }
  }

  /**
   * The base model's answers to the run's general questions still unanswered, each stored as it comes (a stop request
   * ends the phase after the answer in progress). Returns the run's prior with the answers so far.
   */
  private async answerPrior(run: TrainingRunRecord, start: RunPrior, active: Active, emit: (e: TrainingEvent) => void): Promise<RunPrior> {
    let prior = start;
    const total = prior.prompts.length;
    emit({ type: 'prior', runId: run.id, answered: prior.answers.length, total, skipped: null });
    while (prior.answers.length < total && active.stop === null) {
      const question = prior.prompts[prior.answers.length]!;
      const answer = (await this.host.baseAnswer(question, prior.maxTokens || PRIOR_ANSWER_TOKENS)).trim();
      prior = await savePriorAnswers(this.host.db, run.id, [answer], this.host.now());
      emit({ type: 'prior', runId: run.id, answered: prior.answers.length, total, skipped: null });
    }
    return prior;
  }

  /** A finished (or paused) run's trainer at its checkpoint, with its data. */
  private async finished(runId: string): Promise<{ run: TrainingRunRecord; p: Prepared }> {
    if (this.active?.runId === runId) throw new TributaryError('factory/busy', 'This run is training; wait for it to finish or pause it first.');
    const run = await getTrainingRun(this.host.db, runId);
    if (!run) throw new TributaryError('factory/no-run', `No training run ${runId} is stored.`);
    if (!run.checkpoint) throw new TributaryError('factory/no-run', `The run "${run.name}" has no checkpoint (it was cancelled, or it never took a step).`);
    const m = await this.host.model();
    this.sameModel(run, m);
    if (this.ready?.runId === runId && this.ready.trainer.stepIndex === run.checkpoint.step) return { run, p: this.ready };
    const set = withPriorExamples(await buildTrainingSet(this.host.db, m, run.datanets.map((d) => d.id), run.settings, run.contributionIds), m, run.prior, run.settings);
    return { run, p: await this.prepare(run, set, m) };
  }

  private async adapterOf(run: TrainingRunRecord, p: Prepared, info: { name: string; owner: Address | null }): Promise<{ adapter: PeftAdapter; files: Record<string, Uint8Array> }> {
    const files = await this.host.exclusive(() =>
      p.trainer.exportPeft({ name: info.name, owner: info.owner, datanets: run.datanets.map((d) => d.id), baseModel: run.baseModel.id }),
    );
    const adapter = parsePeftAdapter({ config: files[PEFT_CONFIG_FILE]!, weights: files[PEFT_WEIGHTS_FILE]! }, p.model.config, { name: info.name, owner: info.owner });
    return { adapter, files };
  }

  async evaluateTraining(runId: string, prompts: string[]): Promise<TrainingEvaluation> {
    const { run, p } = await this.finished(runId);
    const after = await this.host.exclusive(() => p.trainer.evaluate(p.set.heldOut));
    const beforeLoss = run.baseHeldOutLoss ?? lossOf(run.heldOut.filter((x) => x.step === 0)) ?? Number.NaN;
    const { adapter } = await this.adapterOf(run, p, { name: run.name, owner: run.owner });
    // questions: the ones asked, else one about each of the first held-out passages (unseen in training)
    let questions = prompts.map((q) => q.trim()).filter((q) => q.length > 0);
    if (questions.length === 0) {
      const seen = new Set<string>();
      for (const ex of p.set.heldOut) {
        const key = `${ex.source.contributionId}:${ex.source.passageIndex}`;
        if (seen.has(key) || seen.size >= 2) continue;
        seen.add(key);
        const chunks = await listPassages(this.host.db, ex.source.contributionId as Hex);
        const c = await getContribution(this.host.db, ex.source.contributionId as Hex);
        const text = chunks.find((x) => x.index === ex.source.passageIndex)?.text ?? '';
        questions.push(defaultQuestions({ ...ex.source, text, ...(c ? { title: c.title } : {}) })[0] ?? `What do you know about this: "${firstSentence(text)}"`);
      }
    }
    questions = questions.slice(0, 4);
    const samples = [];
    for (const q of questions) {
      samples.push({ prompt: q, base: await this.host.answer(q, null, 48), adapter: await this.host.answer(q, adapter, 48) });
    }
    return {
      runId,
      heldOut: {
        before: { loss: beforeLoss, perplexity: Math.exp(beforeLoss) },
        after: { loss: after.loss, perplexity: after.perplexity },
        examples: p.set.heldOut.length,
      },
      samples,
    };
  }

  private trainingInfo(run: TrainingRunRecord, p: Prepared): AdapterTraining {
    return {
      runId: run.id,
      baseModel: { id: run.baseModel.id, label: run.baseModel.label, hash: run.baseModel.hash },
      datanets: run.datanets.map((d) => ({ id: d.id, name: d.name, version: d.version })),
      contributions: [...run.contributionIds],
      hyperParameters: { ...run.settings, targets: [...run.settings.targets] },
      steps: p.trainer.stepIndex,
      tokens: run.train.at(-1)?.tokens ?? 0,
      heldOutLoss: { before: run.baseHeldOutLoss, after: lossOf(run.heldOut) },
      backend: p.backend,
      trainedAt: run.updatedAt,
      priorPreservation: { questions: run.prior?.prompts.length ?? 0, examples: p.set.prior.examples, skipped: run.prior?.skipped ?? null },
    };
  }

  async saveTrainedAdapter(runId: string, info: SaveAdapterRequest): Promise<AdapterSummary> {
    const name = info.name.trim();
    if (!name) throw new TributaryError('factory/bad-settings', 'Give the adapter a name.');
    if (typeof info.pricePerAnswer !== 'bigint' || info.pricePerAnswer < 0n) throw new TributaryError('factory/bad-settings', 'The price per answer must be a whole number of token base units, 0 or more.');
    const { run, p } = await this.finished(runId);
    const { adapter, files } = await this.adapterOf(run, p, { name, owner: info.owner });
    const summary = await this.host.install(adapter, files, { training: this.trainingInfo(run, p), pricePerAnswer: info.pricePerAnswer });
    await updateTrainingRun(this.host.db, runId, { adapterId: summary.id, name, owner: info.owner, pricePerAnswer: info.pricePerAnswer }, this.host.now());
    return summary;
  }

  async exportTrainedAdapter(runId: string): Promise<ExportedTrainedAdapter> {
    const { run, p } = await this.finished(runId);
    const { files } = await this.adapterOf(run, p, { name: run.name, owner: run.owner });
    // the base model's answers it trained on too, so the run can be reproduced from the export
    const priorAnswers = (run.prior?.prompts ?? []).map((prompt, i) => ({ prompt, answer: run.prior!.answers[i] ?? '' }));
    const training = { ...this.trainingInfo(run, p), priorAnswers, pricePerAnswer: run.pricePerAnswer.toString(), owner: run.owner, name: run.name };
    return { name: run.name, files: { ...files, 'tributary_training.json': new TextEncoder().encode(JSON.stringify(training, null, 2) + '\n') } };
  }
}

export type { TrainSettings };
