import { describe, expect, it } from 'vitest';
import { randomModel } from '../engine/model/randomModel.ts';
import { createCpuTrainOps } from '../engine/train/cpu/cpuTrainOps.ts';
import { projectLoraGradient } from '../engine/train/projectLoraGradient.ts';
import { createTrainer } from '../engine/train/trainer.ts';
import type { TrainExample } from '../engine/train/types.ts';
import { dampedInverseScores, tracInScores } from './influence.ts';
import { influenceInputOf, scoresByContribution } from './influenceFromLog.ts';

const { config, weights } = randomModel({ seed: 3, vocabSize: 40, hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2 });

function examples(): TrainExample[] {
  return [0, 1, 2, 3, 4, 5].map((k) => {
    const tokens = Int32Array.from({ length: 10 + (k % 3) }, (_, i) => (i < 3 ? 30 + (k % 4) : (i * (k + 2) + 3 * k) % 29) + 1);
    const lossMask = Uint8Array.from(tokens, (_, i) => (i >= 3 ? 1 : 0));
    return { tokens, lossMask, source: { contributionId: `0x${String(k % 3).padStart(64, '0')}`, passageIndex: k } };
  });
}

describe('influence from the training log on a tiny model', () => {
  it('logged gradients, TracIn and the damped inverse equal a direct recomputation from the trainer', async () => {
    const ex = examples();
    const t = await createTrainer({
      ops: createCpuTrainOps(),
      config,
      weights,
      train: { rank: 4, alpha: 8, lr: 1e-2, epochs: 4, batchSize: 2, seqLen: 16, warmup: 1, seed: 5, targetModules: ['q', 'v'] },
      examples: ex,
      padId: 0,
      log: { dimPerModule: 16 },
    });
    while (!t.done) await t.step();
    const log = t.trainingLog();
    expect(log.checkpoints).toHaveLength(1); // default: after the last step, at the final weights
    const D = log.projection.dim;
    // direct: every example's gradient at the final weights, projected with the log's spec
    // (one at a time: the trainer's gradient buffers are shared)
    const direct: Float32Array[] = [];
    for (const e of ex) direct.push(projectLoraGradient(await t.exampleGradient(e), log.projection));
    direct.forEach((g, i) => {
      const logged = log.gradients[0]!.subarray(i * D, (i + 1) * D);
      // the log stores F16: compare at f16 precision
      for (let j = 0; j < D; j++) expect(Math.abs(logged[j]! - g[j]!)).toBeLessThanOrEqual(2e-3 * Math.max(1, Math.abs(g[j]!)));
    });
    // the "answer" is training example 4 itself
    const g = direct[4]!;
    const input = influenceInputOf(log);
    const lr = log.checkpoints[0]!.lr;
    const trac = tracInScores(input, g);
    direct.forEach((gi, i) => {
      let dot = 0;
      for (let j = 0; j < D; j++) dot += g[j]! * log.gradients[0]![i * D + j]!;
      expect(trac[i]).toBeCloseTo(lr * dot, 9);
    });
    // an example is most influential on itself (largest TracIn score), and its contribution leads the sum
    expect(Array.from(trac).indexOf(Math.max(...trac))).toBe(4);
    const byC = scoresByContribution(log, trac);
    expect(byC.size).toBe(3);
    const damped = dampedInverseScores(input, g, 0.1);
    expect(damped.every(Number.isFinite)).toBe(true);
    t.dispose();
  });
});
