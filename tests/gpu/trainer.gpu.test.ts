/**
 * The Trainer (src/engine/train/trainer.ts) on WebGPU (`WebGpuTrainOps`, Dawn + SwiftShader) against the same Trainer
 * on the CPU TrainOps: a tiny random Llama trained a few steps on a small repeated set, LoRA (f32, int8 and int4 base)
 * and full training. Tolerance: each step's loss within 1e-4 · (1 + loss) of the CPU's and the gradient norm within
 * 1e-3 relative (f32 GPU sums in order vs f64 / SIMD on the CPU; AdamW's first steps move every weight by ≈ lr
 * whatever the gradient's size, so the runs drift apart slowly — measured worst in shaders/README.md). A fixed seed
 * gives the same run twice on WebGPU, bit for bit (losses and trained weights), also when inference (WebGpuBackend,
 * its peephole fuser on) shares the device between steps; the adapter it trains gives the inference engine the same
 * logits on WebGPU as on the CPU backend (1e-4 · (1 + |logit|)).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomModel } from '../../src/engine/model/randomModel.ts';
import { createCpuTrainOps } from '../../src/engine/train/cpu/cpuTrainOps.ts';
import { createTrainer } from '../../src/engine/train/trainer.ts';
import type { StepResult, TrainConfig, TrainExample } from '../../src/engine/train/types.ts';
import type { TrainOps } from '../../src/engine/train/trainOps.ts';
import { WebGpuTrainOps } from '../../src/engine/webgpu/train/webgpuTrainOps.ts';
import { WebGpuBackend } from '../../src/engine/webgpu/index.ts';
import { createCpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { createModel } from '../../src/engine/model/llama.ts';
import type { LoraAdapterWeights } from '../../src/engine/model/types.ts';
import { createTestRuntime, describeGpu, withTimeout } from './gpu.ts';
import { expectSame } from './check.ts';

const { config, weights } = randomModel({ seed: 11, vocabSize: 40, hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2 });

/** Four repeated patterns: a 4-token prompt (no loss), then the answer. */
function examples(): TrainExample[] {
  return [0, 1, 2, 3].map((k) => {
    const tokens = Int32Array.from({ length: 12 + k }, (_, i) => (i < 4 ? 30 + k : (i * (k + 3) + k) % 29) + 1);
    const lossMask = Uint8Array.from(tokens, (_, i) => (i >= 4 ? 1 : 0));
    return { tokens, lossMask, source: { contributionId: `c${k}`, passageIndex: k } };
  });
}

const base: Partial<TrainConfig> = { rank: 4, alpha: 8, lr: 1e-2, epochs: 3, batchSize: 2, seqLen: 32, warmup: 2, seed: 7, targetModules: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] };

async function run(ops: TrainOps, train: Partial<TrainConfig>): Promise<{ steps: StepResult[]; before: number; after: number; lora: Float32Array[] }> {
  const t = await createTrainer({ ops, config, weights, train, examples: examples(), padId: 0, log: false });
  const before = (await t.evaluate(examples())).loss;
  const steps: StepResult[] = [];
  while (!t.done) steps.push(await withTimeout(t.step(), 60_000, 'a training step'));
  const after = (await t.evaluate(examples())).loss;
  const lora: Float32Array[] = [];
  if (t.config.mode === 'lora') for (const m of (await t.loraWeights()).layers) for (const ab of Object.values(m)) lora.push(ab.A, ab.B);
  else lora.push((await t.modelWeights()).layers[0]!.q.data);
  t.dispose();
  return { steps, before, after, lora };
}

function expectSameRun(gpu: StepResult[], cpu: StepResult[], what: string): void {
  expect(gpu.length).toBe(cpu.length);
  gpu.forEach((g, i) => {
    const c = cpu[i]!;
    if (process.env.GPU_PARITY_VERBOSE) console.log(`${what} step ${g.step}: loss ${g.loss} vs ${c.loss} (Δ ${Math.abs(g.loss - c.loss).toExponential(2)}), grad norm ${g.gradNorm} vs ${c.gradNorm}`);
    expect(Number.isFinite(g.loss), `${what} step ${g.step}: finite loss`).toBe(true);
    expect(Math.abs(g.loss - c.loss), `${what} step ${g.step}: loss ${g.loss} on WebGPU, ${c.loss} on the CPU`).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(c.loss)));
    expect(Math.abs(g.gradNorm - c.gradNorm), `${what} step ${g.step}: grad norm ${g.gradNorm} vs ${c.gradNorm}`).toBeLessThanOrEqual(1e-3 * c.gradNorm);
    expect(g.tokens).toBe(c.tokens);
    expect(g.lr).toBe(c.lr);
  });
}

describeGpu('Trainer on WebGPU vs the CPU', () => {
  let gpu: WebGpuTrainOps;
  beforeAll(async () => {
    gpu = new WebGpuTrainOps(await createTestRuntime(), true);
  });
  afterAll(() => gpu?.destroy());

  it('LoRA on all seven modules: the same losses as the CPU step by step, the loss falls, and the same run twice bit for bit', async () => {
    const cfg = { ...base, dropout: 0.1, clip: 0.5 };
    const cpu = await run(createCpuTrainOps(), cfg);
    const a = await run(gpu, cfg);
    expectSameRun(a.steps, cpu.steps, 'lora');
    expect(a.after).toBeLessThan(a.before);
    expect(Math.abs(a.after - cpu.after)).toBeLessThanOrEqual(1e-4 * (1 + cpu.after));
    const b = await run(gpu, cfg);
    expectSame(
      b.steps.map((s) => s.loss),
      a.steps.map((s) => s.loss),
      'losses of a second WebGPU run',
    );
    b.lora.forEach((w, i) => expectSame(w, a.lora[i]!, `trained LoRA tensor ${i}, second run`));
    expect(gpu.memory().peak).toBeGreaterThan(0);
  });

  it('QLoRA: int8 and int4 frozen bases on WebGPU match the CPU', async () => {
    // hidden 32 is the int8/int4 group size: every projection but down (in 64) is quantised
    for (const baseQuant of ['int8', 'int4'] as const) {
      const cfg = { ...base, epochs: 2, baseQuant };
      const cpu = await run(createCpuTrainOps(), cfg);
      const g = await run(gpu, cfg);
      expectSameRun(g.steps, cpu.steps, `qlora ${baseQuant}`);
    }
  });

  it('full training (embedding scatter-add, weight gradients, norm weights, tied head) matches the CPU and the loss falls', async () => {
    const cfg: Partial<TrainConfig> = { ...base, mode: 'full', lr: 3e-3, gradAccum: 2, batchSize: 1, clip: 0.5, weightDecay: 0.01, epochs: 2 };
    const cpu = await run(createCpuTrainOps(), cfg);
    const g = await run(gpu, cfg);
    expectSameRun(g.steps, cpu.steps, 'full');
    expect(g.after).toBeLessThan(g.before);
  });

  it('sharing the device with inference (the fuser on) between steps changes no bit; the trained adapter serves on WebGPU as on the CPU', async () => {
    const cfg = { ...base, epochs: 2 };
    const alone = await run(gpu, cfg);
    const backend = new WebGpuBackend(await createTestRuntime());
    const shared = new WebGpuTrainOps(backend.rt);
    const model = createModel(backend, config, weights, { lora: { slots: 1, maxRank: 8 }, maxSeq: 32 });
    const t = await createTrainer({ ops: shared, config, weights, train: cfg, examples: examples(), padId: 0, log: false });
    const losses: number[] = [];
    let adapter: LoraAdapterWeights | undefined;
    while (!t.done) {
      losses.push((await withTimeout(t.step(), 60_000, 'a training step')).loss);
      // chat between steps on the same device: prefill + decode with the adapter trained so far
      adapter = await t.loraWeights();
      model.setLoraSlot(0, adapter);
      const seq = model.createSequence();
      await withTimeout(model.prefill([31, 5, 9, 2], seq, { adapterSlot: 0 }), 60_000, 'an inference prefill');
      await withTimeout(model.decodeStep(7, seq, { adapterSlot: 0 }), 60_000, 'an inference decode step');
      seq.dispose();
    }
    expectSame(losses, alone.steps.map((r) => r.loss), 'losses with inference interleaved vs alone');
    const trained: Float32Array[] = [];
    for (const m of adapter!.layers) for (const ab of Object.values(m)) trained.push(ab.A, ab.B);
    trained.forEach((w, i) => expectSame(w, alone.lora[i]!, `trained LoRA tensor ${i} (shared device)`));
    // the adapter trained on WebGPU, served by the inference engine on WebGPU (fused) and on the CPU
    const cpuModel = createModel(createCpuBackend(), config, weights, { lora: { slots: 1, maxRank: 8 }, maxSeq: 32 });
    cpuModel.setLoraSlot(0, adapter!);
    const prompt = [31, 5, 9, 2, 14, 3];
    const g = await model.prefill(prompt, model.createSequence(), { adapterSlot: 0 });
    const c = await cpuModel.prefill(prompt, cpuModel.createSequence(), { adapterSlot: 0 });
    g.forEach((v, i) => expect(Math.abs(v - c[i]!), `logit ${i}: ${v} on WebGPU, ${c[i]} on the CPU`).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(c[i]!))));
    t.dispose();
    model.dispose();
    cpuModel.dispose();
    shared.destroy();
    backend.destroy();
  });
});
