/**
 * Checks training hyper-parameters and fills defaults: every bad value is refused with a `train/config` error that
 * names the field, the value and the allowed range, so the ModelFactory form and the CLI can show it as is.
 *
 * @example
 * const cfg = validateTrainConfig({ rank: 8, lr: 1e-3 });   // the rest from DEFAULT_TRAIN_CONFIG
 */
import { TributaryError } from '../../core/errors.ts';
import { LORA_TARGETS, type LoraTarget } from '../model/types.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from './types.ts';

function bad(field: string, message: string): TributaryError {
  return new TributaryError('train/config', message, field);
}

function int(o: Partial<TrainConfig>, field: keyof TrainConfig, min: number, max: number): number {
  const v = o[field] ?? DEFAULT_TRAIN_CONFIG[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw bad(field, `must be a whole number from ${min} to ${max} (got ${String(v)}).`);
  }
  return v;
}

function num(o: Partial<TrainConfig>, field: keyof TrainConfig, min: number, max: number, open: 'min' | 'max' | 'none' = 'none'): number {
  const v = o[field] ?? DEFAULT_TRAIN_CONFIG[field];
  const ok = typeof v === 'number' && Number.isFinite(v) && (open === 'min' ? v > min : v >= min) && (open === 'max' ? v < max : v <= max);
  if (!ok) {
    const range = `${open === 'min' ? 'above' : 'from'} ${min} ${open === 'max' ? 'and below' : 'to'} ${max}`;
    throw bad(field, `must be a number ${range} (got ${String(v)}).`);
  }
  return v as number;
}

export function validateTrainConfig(o: Partial<TrainConfig> = {}, limits: { maxSeqLen?: number } = {}): TrainConfig {
  if (typeof o !== 'object' || o === null) throw bad('config', 'Training settings must be an object.');
  const mode = o.mode ?? DEFAULT_TRAIN_CONFIG.mode;
  if (mode !== 'lora' && mode !== 'full') throw bad('mode', `must be "lora" or "full" (got ${String(mode)}).`);
  const baseQuant = o.baseQuant ?? DEFAULT_TRAIN_CONFIG.baseQuant;
  if (baseQuant !== 'none' && baseQuant !== 'int8' && baseQuant !== 'int4') throw bad('baseQuant', `must be "none", "int8" or "int4" (got ${String(baseQuant)}).`);
  if (mode === 'full' && baseQuant !== 'none') throw bad('baseQuant', 'Full training updates the base weights, so they cannot be quantised: use baseQuant "none" or mode "lora".');
  const targets = o.targetModules ?? DEFAULT_TRAIN_CONFIG.targetModules;
  if (!Array.isArray(targets) || (mode === 'lora' && targets.length === 0)) throw bad('targetModules', `Pick at least one target module of ${LORA_TARGETS.join(', ')}.`);
  for (const t of targets) if (!LORA_TARGETS.includes(t)) throw bad('targetModules', `"${String(t)}" is not a target module; use any of ${LORA_TARGETS.join(', ')}.`);
  if (new Set(targets).size !== targets.length) throw bad('targetModules', 'A target module is listed twice.');
  const maxSeq = limits.maxSeqLen ?? 8192;
  const cfg: TrainConfig = {
    mode,
    baseQuant,
    targetModules: LORA_TARGETS.filter((t): t is LoraTarget => targets.includes(t)),
    rank: int(o, 'rank', 1, 256),
    alpha: num(o, 'alpha', 0, 1e4, 'min'),
    dropout: num(o, 'dropout', 0, 1, 'max'),
    lr: num(o, 'lr', 0, 1, 'min'),
    epochs: num(o, 'epochs', 0, 1000, 'min'),
    batchSize: int(o, 'batchSize', 1, 1024),
    seqLen: int(o, 'seqLen', 2, maxSeq),
    warmup: int(o, 'warmup', 0, 1e7),
    weightDecay: num(o, 'weightDecay', 0, 1),
    clip: num(o, 'clip', 0, 1e6),
    gradAccum: int(o, 'gradAccum', 1, 1024),
    seed: int(o, 'seed', 0, 2 ** 32 - 1),
    minLrRatio: num(o, 'minLrRatio', 0, 1),
    beta1: num(o, 'beta1', 0, 1, 'max'),
    beta2: num(o, 'beta2', 0, 1, 'max'),
    eps: num(o, 'eps', 0, 1, 'min'),
  };
  return cfg;
}
