import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../cpu/cpuBackend.ts';
import { createModel } from './llama.ts';
import { meanHiddenState } from './hiddenStates.ts';
import { randomModel } from './randomModel.ts';

const { config, weights } = randomModel({ seed: 5 });
const tokens = [3, 141, 59, 26, 5, 35];

describe('hidden states', () => {
  it('are what the (tied) LM head turns into the logits', async () => {
    const model = createModel(createCpuBackend(), config, weights);
    const [h] = await model.forward([{ seq: model.createSequence(16), tokens }], { hidden: true });
    const logits = await model.prefill(tokens, model.createSequence(16), { allLogits: true });
    const d = config.hiddenSize;
    const V = config.vocabSize;
    expect(h!.length).toBe(tokens.length * d);
    let worst = 0;
    for (let t = 0; t < tokens.length; t++) {
      for (let v = 0; v < V; v += 7) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += h![t * d + j]! * weights.embed.data[v * d + j]!;
        worst = Math.max(worst, Math.abs(dot - logits[t * V + v]!));
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('mean-pool to one vector per text, the same every time, and leave no sequence behind', async () => {
    const model = createModel(createCpuBackend(), config, weights);
    const a = await meanHiddenState(model, tokens);
    const b = await meanHiddenState(model, tokens);
    expect(a).toEqual(b);
    expect(a.length).toBe(config.hiddenSize);
    expect(model.memory().kvPages.used).toBe(0);
    const other = await meanHiddenState(model, [7, 8, 9]);
    expect(other).not.toEqual(a);
  });
});
