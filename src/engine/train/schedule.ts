/**
 * Learning-rate schedule and data order of a training run, both pure functions of the config (so a resumed run
 * takes the same steps as an uninterrupted one).
 */
import { createRng } from '../sampling/rng.ts';
import type { TrainConfig } from './types.ts';

/** Linear warm-up over `warmup` steps to `lr`, then cosine decay to `minLrRatio · lr` at `totalSteps`. `step` is 0-based. */
export function learningRate(cfg: Pick<TrainConfig, 'lr' | 'warmup' | 'minLrRatio'>, step: number, totalSteps: number): number {
  if (step < cfg.warmup) return (cfg.lr * (step + 1)) / cfg.warmup;
  const span = Math.max(1, totalSteps - cfg.warmup);
  const p = Math.min(1, (step - cfg.warmup) / span);
  const min = cfg.lr * cfg.minLrRatio;
  return min + (cfg.lr - min) * 0.5 * (1 + Math.cos(Math.PI * p));
}

/** Optimiser steps for `n` examples: `ceil(epochs · n / (batchSize · gradAccum))`. */
export function totalSteps(cfg: Pick<TrainConfig, 'epochs' | 'batchSize' | 'gradAccum'>, n: number): number {
  return Math.max(1, Math.ceil((cfg.epochs * n) / (cfg.batchSize * cfg.gradAccum)));
}

/**
 * The example order: an endless stream where epoch `e` is a seeded shuffle of `0 .. n-1` (Fisher–Yates with
 * `createRng(seed + e · 7919)`); stream position `i` is example `perm_{floor(i / n)}[i mod n]`.
 */
export function createExampleStream(n: number, seed: number): (i: number) => number {
  const perms = new Map<number, Int32Array>();
  return (i) => {
    const e = Math.floor(i / n);
    let p = perms.get(e);
    if (!p) {
      p = Int32Array.from({ length: n }, (_, k) => k);
      const rng = createRng((seed + e * 7919) >>> 0);
      for (let k = n - 1; k > 0; k--) {
        const j = rng.int(k + 1);
        const t = p[k]!;
        p[k] = p[j]!;
        p[j] = t;
      }
      if (perms.size > 4) perms.clear();
      perms.set(e, p);
    }
    return p[i % n]!;
  };
}
