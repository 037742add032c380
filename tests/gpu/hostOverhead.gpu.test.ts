/**
 * What a decode step costs the host on WebGPU, the part a real GPU cannot hide (measured on an H100: a step of
 * the 30-layer SmolLM2-135M shape was 13.8 ms of host time for 4.5 ms of GPU work). In steady state a step must
 * create no buffers and no bind groups, upload no uniforms, and submit once; its logits must still be right.
 * Counted by wrapping the real device's methods, on both kernel families.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { createModel } from '../../src/engine/model/llama.ts';
import { randomAdapter, randomModel } from '../../src/engine/model/randomModel.ts';
import { WebGpuBackend } from '../../src/engine/webgpu/webgpuBackend.ts';
import type { KernelFamily } from '../../src/engine/webgpu/runtime.ts';
import { createTestRuntime, describeGpu } from './gpu.ts';
import { expectClose } from './check.ts';

interface Counts {
  createBuffer: number;
  createBindGroup: number;
  writeBuffer: number;
  submit: number;
}

/** Counts calls to the device's object-creating methods and the queue's writes and submits. */
function countCalls(device: GPUDevice): Counts {
  const counts: Counts = { createBuffer: 0, createBindGroup: 0, writeBuffer: 0, submit: 0 };
  const wrap = (obj: object, name: keyof Counts): void => {
    const o = obj as Record<string, (...a: unknown[]) => unknown>;
    const f = o[name]!.bind(obj);
    o[name] = (...a: unknown[]) => {
      counts[name]++;
      return f(...a);
    };
  };
  wrap(device, 'createBuffer');
  wrap(device, 'createBindGroup');
  wrap(device.queue, 'writeBuffer');
  wrap(device.queue, 'submit');
  return counts;
}

describeGpu('WebGPU decode steps in steady state', () => {
  const backends: Partial<Record<KernelFamily, WebGpuBackend>> = {};
  const counts: Partial<Record<KernelFamily, Counts>> = {};
  beforeAll(async () => {
    for (const family of ['coarse', 'gpu'] as const) {
      const b = new WebGpuBackend(await createTestRuntime(family));
      counts[family] = countCalls(b.rt.device);
      backends[family] = b;
    }
  });
  afterAll(() => {
    for (const b of Object.values(backends)) b.destroy();
  });

  for (const family of ['coarse', 'gpu'] as const) {
    it(`create no buffers or bind groups, upload no uniforms and submit once (${family} kernels; 3 sequences, 2 adapters), with the CPU's logits`, async () => {
      const { config, weights } = randomModel({ seed: 21, hiddenSize: 64, numHeads: 4, numKvHeads: 2, intermediateSize: 96, numLayers: 3, vocabSize: 200 });
      const adapters = [randomAdapter(config, { seed: 4, rank: 4 }), randomAdapter(config, { seed: 5, rank: 8 })];
      const run = async (b: WebGpuBackend | ReturnType<typeof createCpuBackend>, c?: Counts) => {
        const model = createModel(b, config, weights, { quant: 'q8', lora: { slots: 2, maxRank: 8 }, maxSeq: 64 });
        adapters.forEach((a, i) => model.setLoraSlot(i, a));
        const seqs = [model.createSequence(), model.createSequence(), model.createSequence()];
        const logits = await model.forward(seqs.map((seq, i) => ({ seq, tokens: [3 + i, 9, 27, 81 % 200], adapterSlot: i - 1 })));
        const perStep: Counts[] = [];
        for (let step = 0; step < 8; step++) {
          const before = c ? { ...c } : undefined;
          // positions, KV rows and tokens change every step; the page table when a sequence crosses a page
          logits.push(...(await model.forward(seqs.map((seq, i) => ({ seq, tokens: [(step * 17 + i * 5) % 200], adapterSlot: i - 1 })))));
          if (c && before) perStep.push({ createBuffer: c.createBuffer - before.createBuffer, createBindGroup: c.createBindGroup - before.createBindGroup, writeBuffer: c.writeBuffer - before.writeBuffer, submit: c.submit - before.submit });
        }
        model.dispose();
        return { logits, perStep };
      };
      const want = await run(createCpuBackend({ decodeActivations: 'f32' })); // as the WGSL kernels (cpuIntDecode.gpu.test.ts)
      const got = await run(backends[family]!, counts[family]);
      got.logits.forEach((g, i) => expectClose(g, want.logits[i]!, { abs: 1e-4, rel: 1e-4 }, `${family} logits #${i}`));
      // the first decode steps may still meet new shapes (the first decode batch, a page table growing past a page)
      for (const s of got.perStep.slice(2)) {
        expect(s.createBuffer, 'buffers created per step').toBe(0);
        expect(s.createBindGroup, 'bind groups created per step').toBe(0);
        expect(s.submit, 'submits per step').toBe(1);
        // tokens, positions, KV destination rows, attention rows (+ the page table when it changes); no uniforms
        expect(s.writeBuffer, 'queue writes per step').toBeLessThanOrEqual(5);
      }
    });
  }
});
