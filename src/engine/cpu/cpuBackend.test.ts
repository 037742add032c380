import { describe, expect, it } from 'vitest';
import { createCpuBackend } from './cpuBackend.ts';
import { quantizeQ8 } from '../quant.ts';
import { createModel } from '../model/llama.ts';
import { randomModel } from '../model/randomModel.ts';

describe('createCpuBackend', () => {
  it('allocates, uploads, writes, reads and accounts memory', async () => {
    const b = createCpuBackend();
    expect(b.name).toBe('cpu');
    const t = b.alloc([2, 3]);
    expect(t.size).toBe(6);
    b.write(t, Float32Array.of(1, 2), 4);
    expect(Array.from(await b.read(t))).toEqual([0, 0, 0, 0, 1, 2]);
    expect(Array.from(await b.read(t, 3, 2))).toEqual([0, 1]);
    const w = b.uploadWeight(quantizeQ8(new Float32Array(64), 2, 32));
    expect(b.memory()).toEqual({ weights: 64 + 8, tensors: 24, lora: 0 });
    b.dispose(t);
    b.dispose(t);
    b.dispose(w);
    expect(b.memory()).toEqual({ weights: 0, tensors: 0, lora: 0 });
    expect(() => b.write(t, Float32Array.of(1))).toThrow(/disposed/);
    expect(() => b.upload(new Float32Array(5), [2, 3])).toThrow(/upload/);
    await expect(b.read(b.alloc([2]), 1, 5)).rejects.toThrow(/read/);
  });

  it('runs ops on row segments (rowOffset) and copies rows', async () => {
    const b = createCpuBackend();
    const src = b.upload(Float32Array.from({ length: 8 }, (_, i) => i), [4, 2]);
    const dst = b.alloc([3, 2]);
    b.copyRows(src, 1, dst, 1, 2, 2);
    expect(Array.from(await b.read(dst))).toEqual([0, 0, 2, 3, 4, 5]);
    expect(() => b.copyRows(src, 3, dst, 0, 2, 2)).toThrow(/copyRows/);
    // rope at rowOffset 1 leaves row 0 alone
    const x = b.upload(Float32Array.of(1, 0, 1, 0), [2, 1, 2]);
    b.rope(x, 1, 1, 2, Int32Array.of(1), b.upload(Float32Array.of(Math.PI / 2)), 1);
    const r = await b.read(x);
    expect(r[0]).toBe(1);
    expect(r[2]).toBeCloseTo(0, 6);
    expect(r[3]).toBeCloseTo(1, 6);
  });

  it.each([false, true])('LoRA pools: slots checked, filled and emptied (simd %s)', async (simd) => {
    const b = createCpuBackend({ simd });
    const p = b.createLoraPool(2, 4, 3, 2);
    // on the WASM heap, dimensions are padded to multiples of 4 (the contract allows more bytes than the minimum)
    expect(p.bytes).toBeGreaterThanOrEqual(4 * (2 * 4 * 3 + 2 * 2 * 4));
    expect(b.memory().lora).toBe(p.bytes);
    expect(() => b.writeLoraSlot(p, 2, null)).toThrow(/slot 2/);
    expect(() => b.writeLoraSlot(p, 0, { rank: 5, scale: 1, A: new Float32Array(15), B: new Float32Array(10) })).toThrow(/rank 5/);
    expect(() => b.writeLoraSlot(p, 0, { rank: 1, scale: 1, A: new Float32Array(2), B: new Float32Array(2) })).toThrow(/A must be/);
    b.writeLoraSlot(p, 1, { rank: 1, scale: 2, A: Float32Array.of(1, 1, 1), B: Float32Array.of(1, -1) });
    const x = b.upload(Float32Array.of(1, 2, 3, 1, 1, 1), [2, 3]);
    const out = b.alloc([2, 2]);
    b.loraApply(x, 2, p, Int32Array.of(1, -1), out);
    expect(Array.from(await b.read(out))).toEqual([12, -12, 0, 0]);
    expect(() => b.loraApply(x, 2, p, Int32Array.of(0, -1), out)).toThrow(/slot 0/);
    b.writeLoraSlot(p, 1, null);
    expect(() => b.loraApply(x, 2, p, Int32Array.of(1, -1), out)).toThrow(/empty/);
  });

  it('refuses handles from another backend', () => {
    const a = createCpuBackend();
    const fake = { shape: [1], size: 1 };
    expect(() => a.add(fake, fake, fake)).toThrow(/another backend/);
  });

  it('the plain-JS backend (simd: false) and the WASM SIMD one agree on a whole model: prefill and decode, f32/int8/int4, with int8 (default) or f32 decode activations', async () => {
    const { config, weights } = randomModel({ seed: 31, hiddenSize: 64, intermediateSize: 128, numHeads: 4, numKvHeads: 2, headDim: 16, numLayers: 2, vocabSize: 96 });
    for (const quant of ['f32', 'q8', 'q4'] as const) {
      const run = async (simd: boolean, decodeActivations?: 'f32' | 'int8'): Promise<Float32Array[]> => {
        const m = createModel(createCpuBackend(decodeActivations ? { simd, decodeActivations } : { simd }), config, weights, { quant });
        const s = m.createSequence(32);
        const out = [await m.prefill([1, 5, 9, 2, 7, 3, 8, 4, 6, 11], s, { allLogits: true })];
        for (const t of [13, 21, 40, 2, 77]) out.push(await m.decodeStep(t, s));
        m.dispose();
        return out;
      };
      const [js, simd, jsInt, simdInt] = [await run(false, 'f32'), await run(true, 'f32'), await run(false), await run(true)];
      js.forEach((a, i) => {
        let d = 0;
        let dInt = 0;
        let spread = 0;
        for (let j = 0; j < a.length; j++) {
          d = Math.max(d, Math.abs(a[j]! - simd[i]![j]!), Math.abs(jsInt[i]![j]! - simdInt[i]![j]!));
          dInt = Math.max(dInt, Math.abs(a[j]! - simdInt[i]![j]!));
          spread = Math.max(spread, Math.abs(a[j]!));
        }
        expect(d).toBeLessThan(1e-4);
        // int8 activations (decode steps of q8/q4 only): within 2% of the largest logit, the same greedy token
        if (quant === 'f32' || i === 0) expect(dInt).toBeLessThan(1e-4);
        else {
          expect(dInt).toBeLessThan(0.02 * spread);
          const argmax = (v: Float32Array): number => v.indexOf(Math.max(...v));
          expect(argmax(simdInt[i]!)).toBe(argmax(a));
        }
      });
    }
  });
});
