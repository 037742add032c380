/**
 * The ModelFactory part of the engine worker's surface (implemented by `services/engine/training/`): plan a run
 * (examples and tokens the chosen Datanets give with the loaded model's tokenizer), start / resume / pause / cancel
 * it with a stream of progress events, evaluate it (held-out perplexity before vs after, sample answers base vs
 * adapter), save the adapter into the OpenLoRA registry, export it in PEFT layout with its training log.
 *
 * Runs and their checkpoints live in IndexedDB (`store/trainingRuns`); the page reads them for display, the worker
 * writes them. A run interrupted by a reload or a killed tab is resumed from its last checkpoint.
 *
 * Device sharing: training steps and chat answers take turns on the engine (a step runs between answers, an answer
 * waits for the step in progress); both slow down while a run trains.
 */
import type { TrainSettings } from '../core/trainSettings.ts';
import type { Address } from '../core/types.ts';
import type { AdapterSummary } from '../store/adapters.ts';
import type { RunDatanet, TrainingRunStatus } from '../store/trainingRuns.ts';

export interface TrainingPlanRequest {
  datanetIds: string[];
  settings: TrainSettings;
}

export interface TrainingPlan {
  baseModel: { id: string; label: string; signature: string; hash: string };
  datanets: (RunDatanet & { examples: number; tokens: number })[];
  examples: { train: number; heldOut: number };
  /** tokens of the training examples (one epoch) */
  tokens: number;
  stepsPerEpoch: number;
  totalSteps: number;
  /** which backend trains (WebGPU where the trainer runs there, else the CPU) */
  backend: string;
  /**
   * prior preservation: general questions the base model will answer before training (each answer one more training
   * example, counted in `totalSteps`; an empty answer gives none), or why it is skipped for this model
   */
  prior: { questions: number; skipped: string | null };
}

export interface StartTrainingRequest extends TrainingPlanRequest {
  name: string;
  owner: Address | null;
  /** price per answer in token base units */
  pricePerAnswer: bigint;
}

export type TrainingEvent =
  /** the phase before training: the base model answers the run's general questions (prior preservation); `skipped` says why it does not */
  | { type: 'prior'; runId: string; answered: number; total: number; skipped: string | null }
  | { type: 'started'; runId: string; totalSteps: number; resumedFrom: number | null; backend: string }
  | { type: 'baseline'; runId: string; heldOutLoss: number }
  | { type: 'step'; runId: string; step: number; epoch: number; loss: number; tokens: number; lr: number; gradNorm: number; tokensPerSecond: number; etaMs: number | null }
  | { type: 'heldout'; runId: string; step: number; loss: number }
  | { type: 'checkpoint'; runId: string; step: number }
  | { type: 'stopped'; runId: string; status: TrainingRunStatus; step: number; error?: string };

export interface TrainingOutcome {
  runId: string;
  status: TrainingRunStatus;
  step: number;
  totalSteps: number;
}

export interface EvaluationSample {
  prompt: string;
  base: string;
  adapter: string;
}

export interface TrainingEvaluation {
  runId: string;
  heldOut: { before: { loss: number; perplexity: number }; after: { loss: number; perplexity: number }; examples: number };
  samples: EvaluationSample[];
}

export interface SaveAdapterRequest {
  name: string;
  owner: Address | null;
  pricePerAnswer: bigint;
}

export interface ExportedTrainedAdapter {
  name: string;
  /** PEFT layout (adapter_config.json, adapter_model.safetensors) plus training_log.json and tributary_training.json */
  files: Record<string, Uint8Array>;
}

export interface TrainingApi {
  planTraining(req: TrainingPlanRequest): Promise<TrainingPlan>;
  /** Starts a run; resolves when it stops (done, paused, cancelled or failed). */
  startTraining(req: StartTrainingRequest, onEvent?: (e: TrainingEvent) => void): Promise<TrainingOutcome>;
  /** Resumes a paused or interrupted run from its last checkpoint; resolves when it stops. */
  resumeTraining(runId: string, onEvent?: (e: TrainingEvent) => void): Promise<TrainingOutcome>;
  /** Asks the running run to stop after its current step and checkpoint; false when it is not running here. */
  pauseTraining(runId: string): Promise<boolean>;
  /** Stops a run for good and drops its checkpoint. */
  cancelTraining(runId: string): Promise<void>;
  /** The run this worker is training now, if any. */
  activeTraining(): Promise<string | null>;
  evaluateTraining(runId: string, prompts: string[]): Promise<TrainingEvaluation>;
  /** Installs the trained adapter (OpenLoRA registry + adapters table); chat can use it at once. */
  saveTrainedAdapter(runId: string, info: SaveAdapterRequest): Promise<AdapterSummary>;
  exportTrainedAdapter(runId: string): Promise<ExportedTrainedAdapter>;
}
