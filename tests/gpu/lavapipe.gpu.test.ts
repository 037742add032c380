/**
 * The second software adapter: Dawn on Mesa's lavapipe (Mesa 25 from bookworm-backports, fetched by
 * scripts/fetch-lavapipe.sh) offers `shader-f16`, which SwiftShader does not. This file checks the adapter and runs
 * the whole-model comparison with the CPU backend there too (both kernel families), so the engine is known to work on
 * more than one Vulkan implementation; the f16 arithmetic kernels' parity tests run on it (matmulF16.gpu.test.ts).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { createModel } from '../../src/engine/model/llama.ts';
import { randomAdapter, randomModel } from '../../src/engine/model/randomModel.ts';
import { WebGpuBackend } from '../../src/engine/webgpu/webgpuBackend.ts';
import type { Backend } from '../../src/engine/backend.ts';
import { createF16TestRuntime, describeF16 } from './gpu.ts';
import { expectClose } from './check.ts';

describeF16('Dawn on lavapipe (a software adapter with shader-f16)', () => {
  const backends: WebGpuBackend[] = [];
  beforeAll(async () => {
    backends.push(new WebGpuBackend(await createF16TestRuntime('coarse')), new WebGpuBackend(await createF16TestRuntime('gpu')));
  });
  afterAll(() => backends.forEach((b) => b.destroy()));

  it('offers shader-f16 and the device has it enabled', () => {
    for (const b of backends) {
      expect(b.info.hasF16).toBe(true);
      expect(b.info.features).toContain('shader-f16');
    }
  });

  it("a random Llama model with adapters gives the CPU backend's logits on both kernel families", async () => {
    const { config, weights } = randomModel({ seed: 41, hiddenSize: 64, numHeads: 4, numKvHeads: 2, intermediateSize: 96, numLayers: 2, vocabSize: 150, attentionBias: true });
    const adapters = [randomAdapter(config, { seed: 1, rank: 4 })];
    const run = async (b: Backend) => {
      const m = createModel(b, config, weights, { quant: 'q8', lora: { slots: 1, maxRank: 4 }, maxSeq: 32 });
      m.setLoraSlot(0, adapters[0]!);
      const s = [m.createSequence(), m.createSequence()];
      const out = await m.forward([
        { seq: s[0]!, tokens: [1, 2, 3, 4, 5], adapterSlot: 0 },
        { seq: s[1]!, tokens: [6, 7] },
      ]);
      for (let i = 0; i < 3; i++) out.push(...(await m.forward(s.map((seq, j) => ({ seq, tokens: [10 + i + j], adapterSlot: j === 0 ? 0 : -1 })))));
      m.dispose();
      return out;
    };
    const want = await run(createCpuBackend({ decodeActivations: 'f32' })); // as the WGSL kernels (cpuIntDecode.gpu.test.ts)
    for (const b of backends) {
      const got = await run(b);
      got.forEach((g, i) => expectClose(g, want[i]!, { abs: 1e-4, rel: 1e-4 }, `${b.rt.kernels} logits #${i}`));
    }
  });
});
