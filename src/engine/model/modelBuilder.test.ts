import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../core/errors.ts';
import { createCpuBackend } from '../cpu/cpuBackend.ts';
import { createModel } from './llama.ts';
import { createModelBuilder } from './modelBuilder.ts';
import { randomModel } from './randomModel.ts';
import type { LlamaLayerWeights, WeightSlot } from './types.ts';

const { config, weights } = randomModel({ seed: 21, tieWordEmbeddings: false, attentionBias: true });

/** Every weight of the random model with its slot, in the order a checkpoint might hold them (layers last to first). */
function slots(): [WeightSlot, Float32Array | (typeof weights)['embed']][] {
  const out: [WeightSlot, Float32Array | (typeof weights)['embed']][] = [];
  for (let i = weights.layers.length - 1; i >= 0; i--) {
    const L = weights.layers[i]!;
    for (const part of Object.keys(L) as (keyof LlamaLayerWeights)[]) out.push([{ layer: i, part }, L[part]!]);
  }
  out.push([{ layer: null, part: 'finalNorm' }, weights.finalNorm], [{ layer: null, part: 'lmHead' }, weights.lmHead!], [{ layer: null, part: 'embed' }, weights.embed]);
  return out;
}

describe('createModelBuilder', () => {
  it('builds the same model as createModel from weights given one at a time, in any order', async () => {
    for (const quant of ['f32', 'q8', 'q4'] as const) {
      const whole = createModel(createCpuBackend(), config, weights, { quant });
      const b = createModelBuilder(createCpuBackend(), config, { quant });
      for (const [slot, v] of slots()) b.put(slot, v);
      const built = b.finish();
      expect(built.memory()).toEqual(whole.memory());
      const tokens = [5, 17, 99, 3];
      expect(await built.prefill(tokens, built.createSequence(16))).toEqual(await whole.prefill(tokens, whole.createSequence(16)));
    }
  });

  it("f16 on the CPU backend (no f16 storage) loads as f32: the f32 model's logits and bytes, and memory says f32", async () => {
    const f32 = createModel(createCpuBackend(), config, weights);
    const f16 = createModel(createCpuBackend(), config, weights, { quant: 'f16' });
    expect(f16.quant).toBe('f16');
    const mem = f16.memory();
    expect(mem).toEqual(f32.memory());
    let vectors = 0;
    for (const L of weights.layers) for (const v of [L.inputNorm, L.postAttentionNorm, L.qBias, L.kBias, L.vBias]) vectors += v?.byteLength ?? 0;
    vectors += weights.finalNorm.byteLength;
    expect(mem.byFormat).toEqual({ f32: mem.weightsF32 - vectors });
    expect(mem.keptF32).toEqual([]);
    const tokens = [5, 17, 99, 3];
    expect(await f16.prefill(tokens, f16.createSequence(16))).toEqual(await f32.prefill(tokens, f32.createSequence(16)));
  });

  it('names a missing or misshapen weight, and abort frees what was uploaded', () => {
    const backend = createCpuBackend();
    const b = createModelBuilder(backend, config, { quant: 'q8' });
    const all = slots();
    for (const [slot, v] of all.slice(1)) b.put(slot, v);
    expect(backend.memory().weights).toBeGreaterThan(0);
    let err: unknown;
    try {
      b.finish();
    } catch (e) {
      err = e;
    }
    expect(isTributaryError(err) && err.code === 'engine/bad-weights' && /layers\.1\.\w+ is missing/.test(err.message)).toBe(true);
    expect(() => b.put(all[0]![0], weights.embed)).toThrow(/layers\.1\.\w+ must be a matrix|has \d+ values|is \d+×\d+/);
    b.abort();
    expect(backend.memory().weights).toBe(0);
    expect(backend.memory().tensors).toBe(0);

    const c = createModelBuilder(createCpuBackend(), config);
    expect(() => c.put({ layer: 0, part: 'q' }, weights.layers[0]!.k)).toThrow(/layers\.0\.q_proj is \d+×64, expected 64×64/);
    c.put({ layer: 0, part: 'k' }, weights.layers[0]!.k);
    expect(() => c.put({ layer: 0, part: 'k' }, weights.layers[0]!.k)).toThrow(/given twice/);
    expect(() => c.put({ layer: 5, part: 'k' }, weights.layers[0]!.k)).toThrow(/no layer 5/);
  });
});
