import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../cpu/cpuBackend.ts';
import { createModel } from '../model/llama.ts';
import { loraTargetDims } from '../model/loraTargetDims.ts';
import { randomAdapter, randomModel } from '../model/randomModel.ts';
import { LORA_TARGETS, type LlamaConfig, type LoraAdapterWeights, type LoraTarget } from '../model/types.ts';
import { mergeAdapters, mergeAdapterWeights } from './merge.ts';
import { createPeftAdapter, loraScale, parsePeftAdapter, writePeftAdapter } from './peft.ts';

const { config, weights } = randomModel({ seed: 3 });

/** ΔW = s · B · A as [out, in] in f64 (zeros when the module is not adapted). */
function delta(w: LoraAdapterWeights, c: LlamaConfig, l: number, t: LoraTarget): Float64Array {
  const { inDim, outDim } = loraTargetDims(c, t);
  const d = new Float64Array(outDim * inDim);
  const m = w.layers[l]![t];
  if (!m) return d;
  const s = w.scale ?? w.alpha / w.rank;
  for (let o = 0; o < outDim; o++) for (let i = 0; i < inDim; i++) {
    let acc = 0;
    for (let j = 0; j < w.rank; j++) acc += m.B[o * w.rank + j]! * m.A[j * inDim + i]!;
    d[o * inDim + i] = s * acc;
  }
  return d;
}

describe('mergeAdapters', () => {
  it("the merged adapter's delta equals the weighted sum of the inputs' deltas (different ranks, targets, rsLoRA)", () => {
    const a = createPeftAdapter(randomAdapter(config, { seed: 1, rank: 4, alpha: 8 }), config, { name: 'a', datanets: ['dn-a'] });
    const bw = randomAdapter(config, { seed: 2, rank: 2, alpha: 3, targets: ['q', 'v', 'down'] });
    const b = createPeftAdapter({ ...bw, scale: loraScale(2, 3, true) }, config, { name: 'b', datanets: ['dn-b', 'dn-a'], useRslora: true });
    const cw = randomAdapter(config, { seed: 3, rank: 8, targets: ['o'] });
    const parts = [
      { adapter: a, weight: 0.7 },
      { adapter: b, weight: -0.25 },
      { adapter: cw, weight: 1.5 },
    ];
    const m = mergeAdapters(parts, config);
    expect(m.meta).toMatchObject({ rank: 14, alpha: 14, scale: 1, useRslora: false, name: 'merge of a + b', datanets: ['dn-a', 'dn-b'], targets: LORA_TARGETS });
    let worst = 0;
    for (let l = 0; l < config.numLayers; l++) {
      for (const t of LORA_TARGETS) {
        const got = delta(m.weights, config, l, t);
        const want = new Float64Array(got.length);
        for (const p of parts) delta('meta' in p.adapter ? p.adapter.weights : p.adapter, config, l, t).forEach((x, i) => (want[i] = want[i]! + p.weight * x));
        let scale = 0;
        for (let i = 0; i < got.length; i++) {
          worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
          scale = Math.max(scale, Math.abs(want[i]!));
        }
        expect(scale).toBeGreaterThan(0);
      }
    }
    expect(worst).toBeLessThan(1e-6);
    // the merge is an ordinary PEFT adapter
    const f = writePeftAdapter(m);
    const back = parsePeftAdapter({ config: f['adapter_config.json'], weights: f['adapter_model.safetensors'] }, config);
    expect(back.meta).toEqual(m.meta);
    expect(back.weights).toEqual(m.weights);
  });

  it('one input at weight 1 behaves like that input; weight 0 and rank 0 inputs drop out; the model accepts the merge', async () => {
    const w = randomAdapter(config, { seed: 9, rank: 4 });
    const one = mergeAdapterWeights([{ adapter: w, weight: 1 }, { adapter: randomAdapter(config, { seed: 10 }), weight: 0 }, { adapter: { rank: 0, alpha: 0, layers: [{}, {}] }, weight: 2 }], config);
    expect(one.rank).toBe(4);
    const model = createModel(createCpuBackend(), config, weights, { lora: { slots: 2, maxRank: 8 } });
    model.setLoraSlot(0, w);
    model.setLoraSlot(1, one);
    const prompt = [5, 6, 7, 8, 9];
    const x = await model.prefill(prompt, model.createSequence(16), { adapterSlot: 0, allLogits: true });
    const y = await model.prefill(prompt, model.createSequence(16), { adapterSlot: 1, allLogits: true });
    let d = 0;
    for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
    expect(d).toBeLessThan(1e-4);
    const none = mergeAdapterWeights([{ adapter: w, weight: 0 }], config);
    expect(none).toEqual({ rank: 0, alpha: 0, scale: 0, layers: [{}, {}] });
  });

  it('refuses empty merges, non-finite weights and adapters of another model', () => {
    expect(() => mergeAdapterWeights([], config)).toThrow(/at least one/);
    expect(() => mergeAdapterWeights([{ adapter: randomAdapter(config), weight: NaN }], config)).toThrow(/finite/);
    const other = randomModel({ seed: 1, numLayers: 3 }).config;
    expect(() => mergeAdapterWeights([{ adapter: randomAdapter(other), weight: 1 }], config)).toThrow(expect.objectContaining({ code: 'lora/mismatch' }));
    const wide = randomModel({ seed: 1, hiddenSize: 32, numHeads: 2, numKvHeads: 1 }).config;
    expect(() => mergeAdapterWeights([{ adapter: randomAdapter(wide), weight: 1 }], config)).toThrow(/another base model/);
  });
});
