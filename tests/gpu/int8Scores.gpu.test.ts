/**
 * int8 vector scores (shaders/int8_scores.wgsl) and their exact top-k (topk.wgsl) on WebGPU vs the CPU twin
 * (src/attribution/int8Vectors.ts `int8Scores` + the CPU topK). Tolerance: exact (bit for bit): the dot is an
 * integer and the one f32 multiply is the same on both sides.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { GpuRuntime } from '../../src/engine/webgpu/runtime.ts';
import { int8Scores, quantizeVector, quantizeVectors } from '../../src/attribution/int8Vectors.ts';
import { Int8VectorSearch } from '../../src/attribution/vectorTopK.ts';
import { gpuInt8Scores, gpuInt8TopK, uploadVectors } from '../../src/attribution/gpu/int8ScoresOp.ts';
import { createTestRuntime, describeGpu } from './gpu.ts';
import { expectSame, rng } from './check.ts';

describeGpu('int8 scores and top-k on WebGPU vs the CPU twin (exact)', () => {
  let rt: GpuRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime();
  });
  afterAll(() => rt?.destroy());

  for (const [count, dims, k] of [
    [1000, 384, 10],
    [257, 64, 257 - 1],
    [70_000, 32, 50],
    [5, 4, 5],
  ] as const) {
    it(`N=${count} dims=${dims} k=${k}`, async () => {
      const rand = rng(count + dims);
      // a few repeated vectors so that ties are exercised
      const f = Float32Array.from({ length: count * dims }, (_, i) => (Math.floor(i / dims) % 7 === 0 ? Math.sin(i % dims) : rand() - 0.5));
      const v = quantizeVectors(f, dims);
      const q = new Int8Array(dims);
      quantizeVector(Float32Array.from({ length: dims }, () => rand() - 0.5), q);
      const want = new Float32Array(count);
      int8Scores(q, v, want);
      const g = uploadVectors(rt, v);
      expectSame(await gpuInt8Scores(rt, g, q), want, 'scores');
      const cpu = new Int8VectorSearch(v).topK(q, k);
      const gpu = await gpuInt8TopK(rt, g, q, k);
      expect(Array.from(gpu.ids)).toEqual(Array.from(cpu.ids));
      expectSame(gpu.scores, cpu.scores, 'top-k scores');
    });
  }
});
