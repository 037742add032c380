/**
 * Sampling from candidates on WebGPU: with the real-GPU kernel family the model hands back each row's top 64
 * logits (shaders/topk.wgsl) instead of the whole row, and generation through the scheduler gives exactly the
 * tokens of sampling whole rows of the same logits (same backend, `topK` hidden), for greedy, top-k/top-p with a
 * seed, a repetition penalty, and settings the candidates cannot decide (top-p alone, a penalty < 1: whole rows).
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Backend } from '../../src/engine/backend.ts';
import { createModel } from '../../src/engine/model/llama.ts';
import { randomModel } from '../../src/engine/model/randomModel.ts';
import { Scheduler, type GenerationRequest } from '../../src/engine/serving/scheduler.ts';
import { WebGpuBackend } from '../../src/engine/webgpu/webgpuBackend.ts';
import { createTestRuntime, describeGpu } from './gpu.ts';

describeGpu('candidate logits on WebGPU (gpu kernel family)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = new WebGpuBackend(await createTestRuntime('gpu'));
  });
  afterAll(() => gpu?.destroy());

  const { config, weights } = randomModel({ seed: 31, hiddenSize: 64, numHeads: 4, numKvHeads: 2, intermediateSize: 96, numLayers: 2, vocabSize: 700 });

  /** the same backend without `topK`: rows come back whole */
  const whole = (b: WebGpuBackend): Backend => new Proxy(b, { get: (t, k) => (k === 'topK' ? undefined : Reflect.get(t, k, t)) });

  it('the software-adapter family reads whole rows; the gpu family selects on the device', async () => {
    const coarse = new WebGpuBackend(await createTestRuntime('coarse'));
    expect(coarse.topK).toBeUndefined();
    coarse.destroy();
    expect(typeof gpu.topK).toBe('function');
  });

  it('a row of candidates: the top 64 of the whole row; full() reads the row back until the next pass', async () => {
    const m = createModel(gpu, config, weights, { quant: 'q8', maxSeq: 32 });
    const [a, b] = [m.createSequence(), m.createSequence()];
    const rows = await m.forwardCandidates(
      [
        { seq: a, tokens: [5, 6, 7] },
        { seq: b, tokens: [9] },
      ],
      64,
    );
    const [rowA, rowB] = rows;
    if (!rowA || !rowB || rowA instanceof Float32Array || rowB instanceof Float32Array) throw new Error('expected candidates');
    const fullA = await rowA.full();
    const fullB = await rowB.full();
    for (const [row, full] of [
      [rowA, fullA],
      [rowB, fullB],
    ] as const) {
      expect(full.length).toBe(config.vocabSize);
      const want = Array.from(full.keys()).sort((x, y) => full[y]! - full[x]! || x - y).slice(0, 64);
      expect(Array.from(row.ids)).toEqual(want);
      expect(Array.from(row.vals)).toEqual(want.map((i) => full[i]!));
    }
    // the same tokens as a whole-row pass of the same model
    const c = m.createSequence();
    const [plain] = await m.forward([{ seq: c, tokens: [5, 6, 7] }]);
    expect(Array.from(plain!)).toEqual(Array.from(fullA));
    await expect(rowA.full()).rejects.toMatchObject({ code: 'engine/stale-logits' });
    await expect(m.forwardCandidates([{ seq: a, tokens: [1] }], 0)).rejects.toMatchObject({ code: 'engine/bad-config' });
    m.dispose();
  });

  it('the scheduler samples from candidates and gets the tokens of whole rows, reading back a few logits per row', async () => {
    const reqs: GenerationRequest[] = [
      { prompt: [1, 2, 3], maxNewTokens: 12, sampling: { temperature: 0 } },
      { prompt: [4, 5], maxNewTokens: 12, sampling: { temperature: 0.7, topK: 40, topP: 0.9, seed: 3 } },
      { prompt: [6, 7, 8, 9], maxNewTokens: 12, sampling: { temperature: 1, topK: 8, repetitionPenalty: 1.3, seed: 4 } },
      { prompt: [10], maxNewTokens: 12, sampling: { temperature: 0, repetitionPenalty: 2 } },
      { prompt: [11, 12], maxNewTokens: 8, sampling: { temperature: 0.8, topP: 0.9, seed: 5 } }, // top-p alone: whole rows
      { prompt: [13], maxNewTokens: 8, sampling: { temperature: 0.8, topK: 20, repetitionPenalty: 0.8, seed: 6 } }, // penalty < 1: whole rows
    ];
    const run = async (b: Backend) => {
      const m = createModel(b, config, weights, { quant: 'q8', maxSeq: 64 });
      const s = new Scheduler(m);
      const out = await Promise.all(reqs.map((r) => s.submit(r).result));
      m.dispose();
      return out.map((o) => o.tokens);
    };
    const want = await run(whole(gpu));
    const selected = vi.fn();
    const original = gpu.topK!;
    Object.assign(gpu, { topK: (...a: Parameters<typeof original>) => (selected(), original(...a)) });
    const readParts = vi.spyOn(gpu.rt, 'readParts');
    const got = await run(gpu);
    expect(got).toEqual(want);
    expect(got.every((t) => t.length > 0)).toBe(true);
    expect(selected).toHaveBeenCalled();
    // per pass with candidates: 6 rows × 64 × (id + value) = 3 KB instead of 6 × 700 × 4 = 16.8 KB
    const sizes = readParts.mock.calls.map((c) => c[0].reduce((n, p) => n + p.byteLength, 0));
    expect(Math.min(...sizes)).toBeLessThanOrEqual(6 * 64 * 8);
    Object.assign(gpu, { topK: original });
    readParts.mockRestore();
  });
});
