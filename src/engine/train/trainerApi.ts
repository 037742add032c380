/**
 * The Trainer: trains a LoRA adapter (or, `mode: 'full'`, every weight of a small model) on a `TrainOps` backend.
 * Made by `createTrainer` (`trainer.ts`). The ModelFactory page drives it from the engine worker, the CLI and
 * `npm run train:demo` from Node; all three get the same numbers for the same inputs on the same backend.
 *
 * @example
 * const trainer = await createTrainer({ ops: createCpuTrainOps(), config, weights, train: { rank: 8, lr: 2e-3 }, examples, padId });
 * while (!trainer.done) {
 *   const r = await trainer.step();               // { step, loss, tokens, lr, gradNorm, ... }
 *   if (r.step % 50 === 0) await idb.put('ckpt', await trainer.state());
 * }
 * const files = await trainer.exportPeft({ name: 'my adapter', datanets: [id] });   // PEFT + training log files
 */
import type { AdapterInfo } from '../lora/peft.ts';
import type { LlamaConfig, LlamaWeights, LoraAdapterWeights } from '../model/types.ts';
import type { TrainOps } from './trainOps.ts';
import type { TrainingLog, TrainingLogOptions } from './trainingLog.ts';
import type { EvalResult, StepResult, TrainConfig, TrainExample, TrainerState } from './types.ts';

export interface TrainerInit {
  ops: TrainOps;
  /** the base model (f32 weights; quantised on upload when `train.baseQuant` says so) */
  config: LlamaConfig;
  weights: LlamaWeights;
  /** hyper-parameters (validated; defaults from DEFAULT_TRAIN_CONFIG) */
  train: Partial<TrainConfig>;
  /** the training set (refused when empty) */
  examples: readonly TrainExample[];
  /** token id used to pad sequences (never trained on) */
  padId: number;
  /** the attribution log: when to project per-example LoRA gradients (default: at the end; false: no log) */
  log?: TrainingLogOptions | false;
}

export interface Trainer {
  readonly config: TrainConfig;
  readonly totalSteps: number;
  /** optimiser steps taken so far */
  readonly stepIndex: number;
  readonly done: boolean;
  /** one optimiser step (`gradAccum` micro-batches) */
  step(): Promise<StepResult>;
  /** mean loss / perplexity over `examples` (their masks), no update */
  evaluate(examples: readonly TrainExample[]): Promise<EvalResult>;
  /** a checkpoint (trainable parameters, AdamW moments, step, loss history) */
  state(): Promise<TrainerState>;
  /** continue from a checkpoint of a run with the same config and examples (`train/state` otherwise) */
  restore(state: TrainerState): Promise<void>;
  /** the adapter as trained so far (LoRA mode) */
  loraWeights(): Promise<LoraAdapterWeights>;
  /** the model's weights as trained so far (full mode: updated; LoRA mode: the base) */
  modelWeights(): Promise<LlamaWeights>;
  /** the per-example LoRA gradient of the loss on `example` at the current weights (attribution queries use it) */
  exampleGradient(example: TrainExample): Promise<LoraAdapterWeights>;
  /** the attribution log so far (sources of every example, projected gradients at the checkpoints taken) */
  trainingLog(): TrainingLog;
  /**
   * The adapter in PEFT layout plus the training log: `adapter_config.json`, `adapter_model.safetensors`,
   * `training_log.json`, `training_log.safetensors` (takes the log's final gradient checkpoint first if none was taken).
   */
  exportPeft(info: AdapterInfo): Promise<Record<string, Uint8Array>>;
  dispose(): void;
}
