import { describe, expect, it } from 'vitest';
import { randomModel } from '../model/randomModel.ts';
import { cpuTensorData, createCpuTrainOps } from './cpu/cpuTrainOps.ts';
import { fdError, randn } from './cpu/gradCheck.testutil.ts';
import { createTrainableLlama, type TrainableLlama } from './trainableLlama.ts';

const D = cpuTensorData;
const { config, weights } = randomModel({ seed: 3, vocabSize: 23, hiddenSize: 16, intermediateSize: 24, numLayers: 2, numHeads: 4, numKvHeads: 2, attentionBias: true, tieWordEmbeddings: false });
const B = 2;
const S = 5;
const tokens = Int32Array.from({ length: B * S }, (_, i) => (i * 7 + 3) % 23);
const targets = Int32Array.from({ length: B * S }, (_, i) => (i % S === S - 1 ? -1 : tokens[i + 1]!));
const w = Float32Array.from({ length: B * S }, (_, i) => (i % S === S - 1 ? 0 : 1 / (B * (S - 1))));

function lossFn(m: TrainableLlama, dropoutSeed: number | null): () => number {
  return () => {
    m.forward(tokens, B, S, targets, w, dropoutSeed);
    const l = D(m.loss());
    let s = 0;
    for (let i = 0; i < l.length; i++) s += l[i]! * w[i]!;
    return s;
  };
}

function check(m: TrainableLlama, dropoutSeed: number | null, names: RegExp): number {
  const L = lossFn(m, dropoutSeed);
  m.zeroGrads();
  L();
  m.backward();
  let worst = 0;
  let checked = 0;
  for (const p of m.params) {
    if (!names.test(p.name)) continue;
    const err = fdError(L, D(p.value), D(p.grad).slice(), 5e-3, 60);
    worst = Math.max(worst, err);
    checked++;
  }
  expect(checked).toBeGreaterThan(0);
  return worst;
}

describe('trainable Llama: whole-model gradients match finite differences', () => {
  it('LoRA on all seven modules (with q/k/v biases in the frozen base), with and without dropout', () => {
    const ops = createCpuTrainOps();
    const m = createTrainableLlama(ops, config, weights, { mode: 'lora', rank: 3, alpha: 6, dropout: 0.2, targetModules: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], baseQuant: 'none', seed: 5 });
    // B starts at zero (PEFT init): give it values so A's gradient is not trivially zero
    m.params.forEach((p, i) => {
      if (p.name.endsWith('lora_B')) D(p.value).set(randn(p.value.size, 100 + i, 0.3));
    });
    expect(m.params.length).toBe(2 * 7 * 2);
    expect(check(m, null, /lora/)).toBeLessThan(2e-2);
    expect(check(m, 1234, /lora/)).toBeLessThan(2e-2);
    m.dispose();
  });

  it('full training: embeddings, norms, every projection, LM head', () => {
    const { config: c2, weights: w2 } = randomModel({ seed: 4, vocabSize: 23, hiddenSize: 16, intermediateSize: 24, numLayers: 2, numHeads: 4, numKvHeads: 2 });
    const ops = createCpuTrainOps();
    const m = createTrainableLlama(ops, c2, w2, { mode: 'full', rank: 1, alpha: 1, dropout: 0, targetModules: [], baseQuant: 'none', seed: 1 });
    expect(check(m, null, /./)).toBeLessThan(2e-2);
    m.dispose();
  });

  it('full training with tied embeddings sums the head and embedding gradients', () => {
    const { config: c3, weights: w3 } = randomModel({ seed: 6, vocabSize: 23, hiddenSize: 16, intermediateSize: 24, numLayers: 1, numHeads: 2, numKvHeads: 1, tieWordEmbeddings: true });
    const ops = createCpuTrainOps();
    const m = createTrainableLlama(ops, c3, w3, { mode: 'full', rank: 1, alpha: 1, dropout: 0, targetModules: [], baseQuant: 'none', seed: 1 });
    expect(m.params.some((p) => p.name === 'lmHead')).toBe(false);
    expect(check(m, null, /^embed$/)).toBeLessThan(2e-2);
    m.dispose();
  });
});
