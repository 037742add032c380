/**
 * "Real model" LoRA training on WebGPU: the SmolLM2-135M architecture (hidden 576, 9 / 3 heads of 64, FFN 1536,
 * vocabulary 49,152, tied head) with random weights (no checkpoint can be downloaded here), cut to 1 of its 30 layers:
 * on SwiftShader one step of the full 30 layers takes minutes (the LM head alone, 49,152 × 576, is most of a 1-layer
 * step), so the full shape runs in `npm run bench -- train-webgpu` (bench/train-webgpu.ts) instead. A few steps on
 * one repeated 8-token sequence: every loss finite, the last below the first, device memory reported.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomModel } from '../../src/engine/model/randomModel.ts';
import { SMOLLM2_135M } from '../../src/engine/model/modelShapes.ts';
import { createTrainer } from '../../src/engine/train/trainer.ts';
import type { TrainExample } from '../../src/engine/train/types.ts';
import { WebGpuTrainOps } from '../../src/engine/webgpu/train/webgpuTrainOps.ts';
import { createTestRuntime, describeGpu, withTimeout } from './gpu.ts';

describeGpu('LoRA training on the SmolLM2-135M shape (1 layer, random weights) on WebGPU', () => {
  let gpu: WebGpuTrainOps;
  beforeAll(async () => {
    gpu = new WebGpuTrainOps(await createTestRuntime(), true);
    gpu.rt.timeoutMs = 120_000;
  });
  afterAll(() => gpu?.destroy());

  it('a few steps on a tiny repeated set: finite loss that falls, memory reported', async () => {
    const { config, weights } = randomModel({ ...SMOLLM2_135M, numLayers: 1, seed: 3 });
    const tokens = Int32Array.from([1, 4523, 88, 31000, 7, 12, 49151, 2]);
    const example: TrainExample = { tokens, lossMask: Uint8Array.from(tokens, (_, i) => (i > 0 ? 1 : 0)), source: { contributionId: 'c0', passageIndex: 0 } };
    const t = await createTrainer({
      ops: gpu,
      config,
      weights,
      train: { rank: 8, alpha: 16, lr: 2e-2, epochs: 3, batchSize: 1, seqLen: 8, warmup: 0, targetModules: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] },
      examples: [example],
      padId: 2,
      log: false,
    });
    const losses: number[] = [];
    while (!t.done) losses.push((await withTimeout(t.step(), 120_000, 'a SmolLM2-shape training step')).loss);
    const mem = gpu.memory();
    const dev = gpu.deviceBytes();
    console.log(
      `SmolLM2-135M shape, 1 layer, LoRA r=8 on 7 modules, WebGPU (SwiftShader): losses ${losses.map((l) => l.toFixed(3)).join(' → ')}; device bytes: frozen ${dev.frozen}, trainable + activations ${dev.tensors}, scratch ${dev.scratch}, total ${dev.total} (peak of tensors + frozen ${mem.peak})`,
    );
    expect(dev.total).toBe(dev.frozen + dev.tensors + dev.scratch);
    expect(dev.scratch).toBeGreaterThan(0);
    expect(losses).toHaveLength(3);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[2]!).toBeLessThan(losses[0]!);
    // the frozen base: the tied 49,152 × 576 embedding and the layer's seven f32 projections
    const layerParams = 576 * 576 * 2 + 576 * 192 * 2 + 576 * 1536 * 3;
    expect(mem.frozen).toBeGreaterThanOrEqual((49152 * 576 + layerParams) * 4);
    expect(mem.peak).toBeGreaterThanOrEqual(mem.frozen + mem.tensors);
    t.dispose();
  });
});
