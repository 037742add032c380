import { describe, expect, it } from 'vitest';
import { randomModel } from '../../src/engine/model/randomModel.ts';
import { createRng } from '../../src/engine/sampling/rng.ts';
import { createCpuTrainOps } from '../../src/engine/train/cpu/cpuTrainOps.ts';
import { createTrainer } from '../../src/engine/train/trainer.ts';
import type { LlamaWeights } from '../../src/engine/model/types.ts';
import { initInductionCircuit } from './inductionInit.ts';
import { repeatExamples } from './repeatExamples.ts';

// the demo base's shape (scripts/train-demo.ts), with a smaller vocabulary to keep the test fast
const shape = { vocabSize: 512, hiddenSize: 128, intermediateSize: 384, numLayers: 4, numHeads: 4, numKvHeads: 2, headDim: 32, ropeTheta: 1e6, tieWordEmbeddings: true };

async function repeatLoss(weights: LlamaWeights, config: ReturnType<typeof randomModel>['config']): Promise<number> {
  const held = repeatExamples(8, createRng(3), { ids: Array.from({ length: 511 }, (_, i) => i + 1), windowLength: 96, minLength: 4, maxLength: 24 });
  const tr = await createTrainer({ ops: createCpuTrainOps(), config, weights, train: { mode: 'full', lr: 1e-3, batchSize: 4, seqLen: 96, epochs: 1, seed: 1 }, examples: held, padId: 0, log: false });
  const r = await tr.evaluate(held);
  tr.dispose();
  return Math.log(r.perplexity);
}

function model(): ReturnType<typeof randomModel> {
  const m = randomModel({ ...shape, seed: 11 });
  // the demo's small-embedding start, so both models begin near uniform
  const rng = createRng(12);
  for (let i = 0; i < m.weights.embed.data.length; i++) m.weights.embed.data[i] = rng.normal() * 0.05;
  for (const l of m.weights.layers) {
    l.inputNorm.fill(1);
    l.postAttentionNorm.fill(1);
  }
  m.weights.finalNorm.fill(1);
  delete m.weights.lmHead;
  return m;
}

describe('initInductionCircuit', () => {
  it('makes an untrained model copy: loss on repeated random tokens well below a random start', async () => {
    const plain = model();
    const lossPlain = await repeatLoss(plain.weights, plain.config);
    const set = model();
    initInductionCircuit(set.config, set.weights, createRng(2));
    const lossSet = await repeatLoss(set.weights, set.config);
    expect(lossPlain).toBeGreaterThan(Math.log(511) - 0.5);
    expect(lossSet).toBeLessThan(lossPlain - 1.5);
  }, 60_000);

  it('keeps the constant channel equal for every token and leaves the previous-token subspace empty', () => {
    const m = model();
    initInductionCircuit(m.config, m.weights, createRng(2));
    const d = m.config.hiddenSize;
    const e = m.weights.embed.data;
    for (let t = 0; t < m.config.vocabSize; t++) {
      expect(e[t * d + d - 1]).toBe(e[d - 1]);
      for (let j = d - 1 - m.config.headDim; j < d - 1; j++) expect(e[t * d + j]).toBe(0);
    }
  });

  it('refuses a shape it cannot lay out', () => {
    const m = randomModel({ numLayers: 1, hiddenSize: 64, headDim: 16, numHeads: 4 });
    expect(() => initInductionCircuit(m.config, m.weights, createRng(1))).toThrow(/needs/);
  });
});
