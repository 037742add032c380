/**
 * The engine worker's service (see workerApi/engineApi.ts for the contract): one backend (WebGPU, else the CPU, with
 * the reason), one loaded model with its tokenizer and chat template, the OpenLoRA registry of installed adapters
 * (IndexedDB) with a device-resident pool under a byte budget (LRU), and a queue of chat requests that stream tokens.
 *
 * Answers run concurrently through the serving `Scheduler` (continuous batching: one forward pass per step over every
 * running answer, each row with its own adapter slot). Whatever replaces the model — loading, rebuilding (budget,
 * quantisation, backend change, GPU loss) — is exclusive: it waits until running answers finish and holds new ones
 * back, so a rebuild never pulls the model from under an answer. A WebGPU device loss (or a WebGPU error during an
 * answer) moves the engine to the CPU: the model is rebuilt from its checkpoint on the CPU backend, adapters reload
 * just in time, and an answer that had not shown a token yet is answered again there.
 *
 * Each method lives in its own module over a shared `EngineContext` (context.ts); this class only binds them to one
 * context, the way DataService does. New jobs are new actions beside these: ModelFactory's training (training/) and attribution evidence (evidence/).
 */
import type {
  AdapterImportInfo,
  BackendInfo,
  ChatEvent,
  ChatMessageIn,
  ChatOptions,
  ChatResult,
  EngineApi,
  EngineStats,
  ExportedAdapter,
  LoadOptions,
  LoadProgress,
  ModelInfo,
  ModelSourceSpec,
} from '../../workerApi/engineApi.ts';
import type { AdapterSummary } from '../../store/adapters.ts';
import type { EnginePrefs } from '../../store/models.ts';
import { init, loseGpuDevice } from './backend.ts';
import { cancel, chat } from './chat.ts';
import { createEngineContext, type EngineContext, type EngineDeps } from './context.ts';
import { exportAdapter } from './exportAdapter.ts';
import { importAdapterFiles, importAdapterUrl } from './importAdapter.ts';
import { ensureModel, loadModel } from './loadModel.ts';
import { mergeAdapters } from './mergeAdapters.ts';
import { removeAdapter } from './removeAdapter.ts';
import { setPrefs } from './setPrefs.ts';
import { stats } from './stats.ts';
import type { ExportedTrainedAdapter, SaveAdapterRequest, StartTrainingRequest, TrainingApi, TrainingEvaluation, TrainingEvent, TrainingOutcome, TrainingPlan, TrainingPlanRequest } from '../../workerApi/trainingApi.ts';
import { TrainingAction } from './training/trainingAction.ts';
import { createTrainingHost } from './training/trainingHost.ts';
import type { AnswerGradient, AnswerGradientRequest, EmbeddedTexts, EvidenceApi } from '../../workerApi/evidenceApi.ts';
import { EvidenceAction } from './evidence/evidenceAction.ts';
import { createEvidenceHost } from './evidence/evidenceHost.ts';

export type { EngineDeps };

export class EngineService implements EngineApi, TrainingApi, EvidenceApi {
  readonly #ctx: EngineContext;
  /** ModelFactory (services/engine/training): plan, train, checkpoint, evaluate, save, export */
  readonly #training: TrainingAction;
  /** attribution evidence (services/engine/evidence): the model's own embeddings, answers' LoRA gradients */
  readonly #evidence: EvidenceAction;

  constructor(deps: EngineDeps) {
    this.#ctx = createEngineContext(deps);
    this.#training = new TrainingAction(createTrainingHost(this.#ctx));
    this.#evidence = new EvidenceAction(createEvidenceHost(this.#ctx));
  }

  ping(): Promise<'pong'> {
    return Promise.resolve('pong');
  }

  init(opts: { appBaseUrl: string }): Promise<BackendInfo> {
    return init(this.#ctx, opts);
  }

  loseGpuDevice(): Promise<boolean> {
    return loseGpuDevice(this.#ctx);
  }

  ensureModel(onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    return ensureModel(this.#ctx, onProgress);
  }

  loadModel(spec: ModelSourceSpec, opts: LoadOptions, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    return loadModel(this.#ctx, spec, opts, onProgress);
  }

  setPrefs(patch: Partial<EnginePrefs>): Promise<EngineStats> {
    return setPrefs(this.#ctx, patch);
  }

  stats(): Promise<EngineStats> {
    return stats(this.#ctx);
  }

  chat(requestId: string, messages: ChatMessageIn[], opts: ChatOptions, onEvent?: (e: ChatEvent) => void): Promise<ChatResult> {
    return chat(this.#ctx, requestId, messages, opts, onEvent);
  }

  cancel(requestId: string): Promise<boolean> {
    return cancel(this.#ctx, requestId);
  }

  importAdapterFiles(files: { name: string; bytes: Uint8Array }[], info: AdapterImportInfo = {}): Promise<AdapterSummary> {
    return importAdapterFiles(this.#ctx, files, info);
  }

  importAdapterUrl(src: { url?: string; repo?: string; host?: string; revision?: string }, info: AdapterImportInfo = {}): Promise<AdapterSummary> {
    return importAdapterUrl(this.#ctx, src, info);
  }

  exportAdapter(id: string): Promise<ExportedAdapter> {
    return exportAdapter(this.#ctx, id);
  }

  mergeAdapters(parts: { id: string; weight: number }[], info: AdapterImportInfo): Promise<AdapterSummary> {
    return mergeAdapters(this.#ctx, parts, info);
  }

  removeAdapter(id: string): Promise<void> {
    return removeAdapter(this.#ctx, id);
  }

  // ---- ModelFactory ---------------------------------------------------------------------------------------------

  planTraining(req: TrainingPlanRequest): Promise<TrainingPlan> {
    return this.#training.planTraining(req);
  }

  startTraining(req: StartTrainingRequest, onEvent?: (e: TrainingEvent) => void): Promise<TrainingOutcome> {
    return this.#training.startTraining(req, onEvent);
  }

  resumeTraining(runId: string, onEvent?: (e: TrainingEvent) => void): Promise<TrainingOutcome> {
    return this.#training.resumeTraining(runId, onEvent);
  }

  pauseTraining(runId: string): Promise<boolean> {
    return this.#training.pauseTraining(runId);
  }

  cancelTraining(runId: string): Promise<void> {
    return this.#training.cancelTraining(runId);
  }

  activeTraining(): Promise<string | null> {
    return this.#training.activeTraining();
  }

  evaluateTraining(runId: string, prompts: string[]): Promise<TrainingEvaluation> {
    return this.#training.evaluateTraining(runId, prompts);
  }

  saveTrainedAdapter(runId: string, info: SaveAdapterRequest): Promise<AdapterSummary> {
    return this.#training.saveTrainedAdapter(runId, info);
  }

  exportTrainedAdapter(runId: string): Promise<ExportedTrainedAdapter> {
    return this.#training.exportTrainedAdapter(runId);
  }

  // ---- attribution evidence -------------------------------------------------------------------------------------

  embedTexts(texts: string[]): Promise<EmbeddedTexts> {
    return this.#evidence.embedTexts(texts);
  }

  answerGradient(req: AnswerGradientRequest): Promise<AnswerGradient> {
    return this.#evidence.answerGradient(req);
  }
}
