/**
 * The Trainer's public types: hyper-parameters (`TrainConfig`), training examples (token ids + loss mask + where
 * they came from), what a step and an evaluation report, and a checkpoint (`TrainerState`: JSON + bytes, so the UI
 * can keep it in IndexedDB).
 */
import type { LoraTarget } from '../model/types.ts';
import type { TrainingLogCheckpoint } from './trainingLog.ts';

export type TrainMode = 'lora' | 'full';
/** How the frozen base is stored while training LoRA (`int8`/`int4`: QLoRA-style). Full training needs `none`. */
export type BaseQuant = 'none' | 'int8' | 'int4';

export interface TrainConfig {
  mode: TrainMode;
  /** LoRA rank (1–256) */
  rank: number;
  /** LoRA alpha (scale = alpha / rank) */
  alpha: number;
  /** LoRA dropout on the adapter's input, 0 ≤ p < 1 */
  dropout: number;
  /** LoRA target modules (at least one of the seven) */
  targetModules: LoraTarget[];
  /** peak learning rate */
  lr: number;
  /** passes over the examples (≥ 1; total steps = ceil(epochs · examples / (batchSize · gradAccum))) */
  epochs: number;
  /** sequences per micro-batch */
  batchSize: number;
  /** tokens per sequence (longer examples are cut, shorter ones padded) */
  seqLen: number;
  /** linear warm-up steps, then cosine decay to `minLrRatio · lr` */
  warmup: number;
  /** AdamW decoupled weight decay */
  weightDecay: number;
  /** clip the global gradient norm to this (0 = no clipping) */
  clip: number;
  /** micro-batches per optimiser step */
  gradAccum: number;
  /** seeds LoRA init, data order and dropout */
  seed: number;
  /** frozen base storage (LoRA only) */
  baseQuant: BaseQuant;
  /** final learning rate as a fraction of `lr` (default 0.1) */
  minLrRatio: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export const DEFAULT_TRAIN_CONFIG: Readonly<TrainConfig> = {
  mode: 'lora',
  rank: 8,
  alpha: 16,
  dropout: 0,
  targetModules: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'],
  lr: 2e-3,
  epochs: 3,
  batchSize: 4,
  seqLen: 256,
  warmup: 10,
  weightDecay: 0,
  clip: 1,
  gradAccum: 1,
  seed: 1,
  baseQuant: 'none',
  minLrRatio: 0.1,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
};

/** Where a training example came from (for the attribution log). */
export interface ExampleSource {
  contributionId: string;
  /** index of the passage (chunk) inside its contribution */
  passageIndex: number;
  datanetId?: string;
}

/** One training sequence: token ids, and which positions' NEXT-token predictions count in the loss. */
export interface TrainExample {
  tokens: Int32Array;
  /** `lossMask[i] = 1`: the model is trained to predict `tokens[i]` from `tokens[0..i)` (so `lossMask[0]` is ignored) */
  lossMask: Uint8Array;
  source: ExampleSource;
}

export interface StepResult {
  /** 1-based optimiser step just taken */
  step: number;
  totalSteps: number;
  /** mean loss over the step's unmasked tokens */
  loss: number;
  /** unmasked (trained) tokens in the step */
  tokens: number;
  /** learning rate used */
  lr: number;
  /** global gradient norm before clipping */
  gradNorm: number;
  epoch: number;
}

export interface EvalResult {
  /** mean loss per unmasked token */
  loss: number;
  perplexity: number;
  tokens: number;
}

/**
 * A checkpoint: `json` (small, structured: step, config, shapes, the loss history) and `bytes` (a safetensors file of
 * the trainable parameters and the AdamW moments). `restore` of a state continues bit-for-bit like the run it came from.
 */
export interface TrainerState {
  json: TrainerStateJson;
  bytes: Uint8Array;
}

export interface TrainerStateJson {
  format: 'tributary-trainer-state';
  version: 1;
  step: number;
  config: TrainConfig;
  /** hash of the examples' tokens and masks (a checkpoint only resumes the same data) */
  examplesHash: string;
  /** loss per step so far */
  losses: number[];
  /** the training log's gradient checkpoints taken so far (their tensors are `log.<tensor>` in the state's bytes) */
  logCheckpoints?: TrainingLogCheckpoint[];
}
