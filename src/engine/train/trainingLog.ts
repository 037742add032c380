/**
 * The training log that attribution reads: for every training example, where it came from (contribution, passage),
 * and at a few checkpoints a projection of its per-example LoRA gradient (`projectLoraGradient`). Exported beside
 * the PEFT files as `training_log.json` (sources, projection spec, checkpoints) and `training_log.safetensors` (one
 * F16 tensor `step<N>` of shape `[examples, dim]` per checkpoint). Size per example and checkpoint: `2 · dim` bytes,
 * `dim = numLayers · targets · dimPerModule` (docs/TRAINING.md).
 */
import { TributaryError } from '../../core/errors.ts';
import { sha256Hex, sha256Text } from '../../core/hash.ts';
import type { Hex } from '../../core/types.ts';
import { readSafetensorsSync, writeSafetensors } from '../formats/safetensors.ts';
import type { LoraTarget } from '../model/types.ts';
import { projectionDim, type ProjectionSpec } from './projectLoraGradient.ts';
import type { ExampleSource } from './types.ts';

export const TRAINING_LOG_JSON = 'training_log.json';
export const TRAINING_LOG_TENSORS = 'training_log.safetensors';

export interface TrainingLogOptions {
  /** optimiser steps after which every example's gradient is projected (default: only after the last step) */
  checkpoints?: number[];
  /** projection output per LoRA module (default 8) */
  dimPerModule?: number;
  /** projection seed (default: the training seed) */
  seed?: number;
}

export interface TrainingLogCheckpoint {
  /** optimiser steps taken when the gradients were measured */
  step: number;
  /** learning rate of that step (TracIn weights checkpoints by it) */
  lr: number;
  /** tensor name in training_log.safetensors */
  tensor: string;
}

export interface TrainingLog {
  format: 'tributary-training-log';
  version: 1;
  /** index i = training example i */
  examples: (ExampleSource & { trainedTokens: number })[];
  projection: ProjectionSpec & { method: 'rademacher-per-module-lora'; dim: number; bytesPerExample: number; dtype: 'F16' };
  checkpoints: TrainingLogCheckpoint[];
  /** the projected gradients, one `[examples, dim]` array per checkpoint (not in the JSON file) */
  gradients: Float32Array[];
}

export function createTrainingLog(examples: readonly (ExampleSource & { trainedTokens: number })[], spec: { seed: number; dimPerModule: number; numLayers: number; targets: readonly LoraTarget[] }): TrainingLog {
  const dim = projectionDim(spec);
  return {
    format: 'tributary-training-log',
    version: 1,
    examples: examples.map((e) => ({ ...e })),
    projection: { ...spec, targets: [...spec.targets], method: 'rademacher-per-module-lora', dim, bytesPerExample: 2 * dim, dtype: 'F16' },
    checkpoints: [],
    gradients: [],
  };
}

export function writeTrainingLog(log: TrainingLog): Record<string, Uint8Array> {
  const { gradients, ...json } = log;
  const n = log.examples.length;
  const tensors = gradients.map((g, i) => ({ name: log.checkpoints[i]!.tensor, shape: [n, log.projection.dim], data: g, dtype: 'F16' as const }));
  return {
    [TRAINING_LOG_JSON]: new TextEncoder().encode(JSON.stringify(json) + '\n'),
    [TRAINING_LOG_TENSORS]: writeSafetensors(tensors, { format: 'tributary-training-log' }),
  };
}

export function readTrainingLog(files: { json: Uint8Array | string; tensors: Uint8Array }): TrainingLog {
  let j: Omit<TrainingLog, 'gradients'>;
  try {
    j = JSON.parse(typeof files.json === 'string' ? files.json : new TextDecoder().decode(files.json)) as Omit<TrainingLog, 'gradients'>;
  } catch (e) {
    throw new TributaryError('train/state', `The training log is not JSON (${(e as Error).message}).`, TRAINING_LOG_JSON);
  }
  if (j.format !== 'tributary-training-log' || !Array.isArray(j.examples) || !Array.isArray(j.checkpoints)) throw new TributaryError('train/state', 'Not a Tributary training log.', TRAINING_LOG_JSON);
  const { tensors } = readSafetensorsSync(files.tensors);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const gradients = j.checkpoints.map((c) => {
    const t = byName.get(c.tensor);
    if (!t || t.shape[0] !== j.examples.length || t.shape[1] !== j.projection.dim) throw new TributaryError('train/state', `Checkpoint tensor "${c.tensor}" is missing or has the wrong shape.`, TRAINING_LOG_TENSORS);
    return t.data;
  });
  return { ...j, gradients };
}

/**
 * The content hash of a training log as exported (the bytes of both files): what an attribution record's influence
 * method commits to, so a verifier scores against exactly the log the answer was scored against.
 * `SHA-256("training_log.json <sha256 of its bytes>\ntraining_log.safetensors <sha256 of its bytes>\n")`.
 */
export function trainingLogHash(files: { json: Uint8Array; tensors: Uint8Array }): Hex {
  return sha256Text(`${TRAINING_LOG_JSON} ${sha256Hex(files.json)}\n${TRAINING_LOG_TENSORS} ${sha256Hex(files.tensors)}\n`);
}
