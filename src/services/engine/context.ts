/**
 * The engine service's context: its dependencies and state, shared by the actions in this folder (the way
 * services/context.ts serves DataService).
 */
import type { ModelInfo } from '../../workerApi/engineApi.ts';
import { TributaryError } from '../../core/errors.ts';
import type { SpeedFigure } from '../../core/speedFigure.ts';
import type { TokenizerConfig } from '../../engine/chat/chatTemplate.ts';
import type { ByteCache } from '../../engine/formats/byteCache.ts';
import type { ModelConfig } from '../../engine/formats/config.ts';
import { type FetchLike } from '../../engine/formats/download.ts';
import { type TensorSource } from '../../engine/formats/weights.ts';
import type { AdapterPool } from '../../engine/lora/pool.ts';
import type { AdapterRegistry } from '../../engine/lora/registry.ts';
import { type Model } from '../../engine/model/llama.ts';
import type { Scheduler } from '../../engine/serving/scheduler.ts';
import type { Tokenizer } from '../../engine/tokenizer/tokenizer.ts';
import type { TributaryDB } from '../../store/db.ts';
import { type ChosenBackend, type GpuBackendFactory } from './backendChoice.ts';
import type { Trainer, TrainerInit } from '../../engine/train/trainerApi.ts';

export interface EngineDeps {
  db: TributaryDB;
  now: () => number;
  fetch: FetchLike;
  /** where downloaded model files are kept for offline use (Cache Storage in the browser); null: nowhere */
  cache: ByteCache | null;
  /** builds the WebGPU backend; absent where there is none (Node tests) */
  webgpu?: GpuBackendFactory;
  /** a fresh random seed (default: crypto) */
  randomSeed?: () => number;
  /** high-resolution clock for speed figures (default performance.now) */
  clock?: () => number;
  /** makes a ModelFactory trainer on the engine's backend (default: training/engineTrainer.ts) */
  createTrainer?: (init: Omit<TrainerInit, 'ops'>, backend: ChosenBackend) => Promise<{ trainer: Trainer; backend: string }>;
}

/** A model loaded on the current backend, with what answers need (tokenizer, template, adapters, scheduler). */
export interface Loaded {
  info: ModelInfo;
  config: ModelConfig;
  tokenizer: Tokenizer;
  tokenizerConfig: TokenizerConfig | null;
  stopTokens: number[];
  checkpoint: TensorSource;
  model: Model;
  registry: AdapterRegistry;
  pool: AdapterPool;
  scheduler: Scheduler;
  systemPrompt: string | null;
  maxSeq: number;
  generationDefaults: { temperature?: number; topP?: number; topK?: number; repetitionPenalty?: number };
}

/** An answer in flight, so it can be cancelled. */
export interface Job {
  requestId: string;
  ctrl: AbortController;
}

/**
 * The engine worker's state, shared by its actions (one file per action beside this one): the chosen backend, the
 * loaded model, the reader/writer lock that keeps a rebuild from pulling the model from under an answer, the
 * answers in flight and the last speed figure.
 */
export interface EngineContext {
  readonly deps: EngineDeps;
  /** high-resolution clock for speed figures */
  readonly clock: () => number;
  readonly randomSeed: () => number;
  appBaseUrl: string | null;
  chosen: ChosenBackend | null;
  choosing: Promise<ChosenBackend> | null;
  loaded: Loaded | null;
  loadingCount: number;
  /** answers running on the current model (readers) */
  readers: number;
  drained: (() => void) | null;
  /** exclusive operations queued or running (writers) */
  writers: number;
  writerTail: Promise<unknown>;
  readonly jobs: Map<string, Job>;
  /** the last answer's decode speed, with the backend that wrote it */
  lastSpeed: SpeedFigure | null;
}

export function createEngineContext(deps: EngineDeps): EngineContext {
  return {
    deps,
    clock: deps.clock ?? (() => (typeof performance !== 'undefined' ? performance.now() : Date.now())),
    randomSeed: deps.randomSeed ?? (() => crypto.getRandomValues(new Uint32Array(1))[0]! >>> 1),
    appBaseUrl: null,
    chosen: null,
    choosing: null,
    loaded: null,
    loadingCount: 0,
    readers: 0,
    drained: null,
    writers: 0,
    writerTail: Promise.resolve(),
    jobs: new Map(),
    lastSpeed: null,
  };
}

export function appBase(ctx: EngineContext): string {
  if (ctx.appBaseUrl) return ctx.appBaseUrl;
  const loc = (globalThis as { location?: { origin?: string } }).location;
  if (loc?.origin && loc.origin !== 'null') return loc.origin + '/';
  throw new TributaryError('engine/bad-config', 'The engine does not know where the app is served from; call init first.');
}
