/**
 * LoRA training speed on WebGPU vs the CPU TrainOps, the same Trainer, model, data and settings in the same run.
 * `npm run bench -- train-webgpu` → bench/results/train-webgpu.json.
 *
 * - `small`: a random Llama (hidden 256, 4 layers, 4 / 2 heads, FFN 768, vocabulary 4096), LoRA r = 8 on all seven
 *   modules, batch 2 × 32 tokens; BENCH_TRAIN_WEBGPU_STEPS timed steps (default 3) after one warm-up step (pipeline
 *   creation). Both runs must agree (loss of every step within 1e-4 · (1 + loss)) before the speeds are reported.
 * - `smollm2_135m`: the SmolLM2-135M architecture (30 layers, hidden 576, vocabulary 49,152) with random weights,
 *   LoRA r = 8 on all seven modules over the frozen f32 base, batch 1 × BENCH_TRAIN_WEBGPU_SEQ tokens (default 16),
 *   one warm-up step and one timed step per backend; device bytes (frozen base, trainable + activations, peak) from
 *   `TrainOps.memory()`, and everything the WebGPU ops hold, scratch included (`WebGpuTrainOps.deviceBytes()`). Skipped with BENCH_TRAIN_WEBGPU_FULL=0.
 * Keys: `webgpu_lora_train_tokens_per_s`, `cpu_lora_train_tokens_per_s`, `ratio_lora_train_webgpu_vs_cpu` (small shape),
 * the same three with a `_smollm2_135m` suffix, and `details`. Here WebGPU is Dawn over SwiftShader, a CPU rasteriser
 * (adapter info recorded): its figures say how the WGSL path runs on a CPU, nothing about a real GPU. Throws if WebGPU
 * cannot start or the two runs disagree.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomModel } from '../src/engine/model/randomModel.ts';
import { SMOLLM2_135M } from '../src/engine/model/modelShapes.ts';
import type { LlamaConfig, LlamaWeights } from '../src/engine/model/types.ts';
import { createCpuTrainOps } from '../src/engine/train/cpu/cpuTrainOps.ts';
import { createTrainer } from '../src/engine/train/trainer.ts';
import type { TrainOps } from '../src/engine/train/trainOps.ts';
import type { TrainConfig, TrainExample } from '../src/engine/train/types.ts';
import { WebGpuTrainOps } from '../src/engine/webgpu/train/webgpuTrainOps.ts';
import { GpuRuntime } from '../src/engine/webgpu/runtime.ts';
import { ensureGpuEnv } from '../tests/gpu/env.ts';

const here = dirname(fileURLToPath(import.meta.url));
const env = (k: string, d: number): number => (process.env[k] !== undefined ? Number(process.env[k]) : d);

interface Run {
  losses: number[];
  /** trained (unmasked) tokens per second over the timed steps */
  tokensPerS: number;
  secondsPerStep: number;
  memory: { tensors: number; frozen: number; peak: number };
  /** WebGPU only: every device byte held at the end of the run, scratch included */
  deviceBytes?: { tensors: number; frozen: number; scratch: number; total: number };
}

/** Sequences of `len` tokens cycling through a few patterns (a tiny repeated set). */
function examples(n: number, len: number, vocab: number): TrainExample[] {
  return Array.from({ length: n }, (_, k) => {
    const tokens = Int32Array.from({ length: len }, (_, i) => (1 + ((i * (k + 7) * 131 + k * 977) % (vocab - 1))) | 0);
    return { tokens, lossMask: Uint8Array.from(tokens, (_, i) => (i > 0 ? 1 : 0)), source: { contributionId: `c${k}`, passageIndex: 0 } };
  });
}

async function train(ops: TrainOps, config: LlamaConfig, weights: LlamaWeights, exs: TrainExample[], train: Partial<TrainConfig>, timed: number): Promise<Run> {
  const t = await createTrainer({ ops, config, weights, train: { ...train, epochs: Math.ceil(((1 + timed) * (train.batchSize ?? 1)) / exs.length) }, examples: exs, padId: 0, log: false });
  const losses: number[] = [(await t.step()).loss];
  let tokens = 0;
  const start = performance.now();
  for (let i = 0; i < timed; i++) {
    const r = await t.step();
    losses.push(r.loss);
    tokens += r.tokens;
  }
  const seconds = (performance.now() - start) / 1000;
  const memory = ops.memory();
  const deviceBytes = ops instanceof WebGpuTrainOps ? ops.deviceBytes() : undefined;
  t.dispose();
  return { losses, tokensPerS: tokens / seconds, secondsPerStep: seconds / timed, memory, ...(deviceBytes ? { deviceBytes } : {}) };
}

function checkAgree(gpu: Run, cpu: Run, what: string): number {
  let worst = 0;
  gpu.losses.forEach((g, i) => {
    const c = cpu.losses[i]!;
    if (!Number.isFinite(g)) throw new Error(`${what}: WebGPU loss ${g} at step ${i + 1}`);
    worst = Math.max(worst, Math.abs(g - c) / (1 + Math.abs(c)));
  });
  if (!(worst <= 1e-4)) throw new Error(`${what}: WebGPU and CPU losses differ by ${worst.toExponential(2)} × (1 + loss) (limit 1e-4): ${gpu.losses} vs ${cpu.losses}`);
  return worst;
}

export async function main(): Promise<void> {
  ensureGpuEnv();
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const rt = await GpuRuntime.create({ gpu: create([]), timeoutMs: 30 * 60_000 });
  const gpuOps = new WebGpuTrainOps(rt);
  const adapter = { vendor: rt.info.vendor, architecture: rt.info.architecture, description: rt.info.description, isFallbackAdapter: rt.info.isFallbackAdapter, kernels: rt.kernels };
  const lora: Partial<TrainConfig> = { rank: 8, alpha: 16, lr: 1e-3, warmup: 0, targetModules: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], seed: 5 };
  const result: Record<string, unknown> = {};
  const details: Record<string, unknown> = { adapter, note: 'WebGPU here is Dawn over SwiftShader (CPU): not a GPU speed' };
  const t0 = performance.now();

  // small shape
  const small = randomModel({ seed: 2, vocabSize: 4096, hiddenSize: 256, intermediateSize: 768, numLayers: 4, numHeads: 4, numKvHeads: 2 });
  const smallEx = examples(4, 32, 4096);
  const steps = env('BENCH_TRAIN_WEBGPU_STEPS', 3);
  const sCfg = { ...lora, batchSize: 2, seqLen: 32 };
  const sGpu = await train(gpuOps, small.config, small.weights, smallEx, sCfg, steps);
  const sCpu = await train(createCpuTrainOps(), small.config, small.weights, smallEx, sCfg, steps);
  const sWorst = checkAgree(sGpu, sCpu, 'small shape');
  result.webgpu_lora_train_tokens_per_s = sGpu.tokensPerS;
  result.cpu_lora_train_tokens_per_s = sCpu.tokensPerS;
  result.ratio_lora_train_webgpu_vs_cpu = sGpu.tokensPerS / sCpu.tokensPerS;
  details.small = { shape: { hidden: 256, layers: 4, vocab: 4096, batch: 2, seqLen: 32 }, timedSteps: steps, webgpu: sGpu, cpu: sCpu, worstLossDiff: sWorst };
  console.log(`small: WebGPU ${sGpu.tokensPerS.toFixed(1)} tok/s, CPU ${sCpu.tokensPerS.toFixed(1)} tok/s (ratio ${(sGpu.tokensPerS / sCpu.tokensPerS).toFixed(3)}), losses agree within ${sWorst.toExponential(2)}`);

  if (env('BENCH_TRAIN_WEBGPU_FULL', 1) !== 0) {
    const seq = env('BENCH_TRAIN_WEBGPU_SEQ', 16);
    const m = randomModel({ ...SMOLLM2_135M, seed: 3 });
    const ex = examples(1, seq, SMOLLM2_135M.vocabSize);
    const cfg = { ...lora, batchSize: 1, seqLen: seq };
    const g = await train(gpuOps, m.config, m.weights, ex, cfg, 1);
    const c = await train(createCpuTrainOps(), m.config, m.weights, ex, cfg, 1);
    const worst = checkAgree(g, c, 'SmolLM2-135M shape');
    result.webgpu_lora_train_tokens_per_s_smollm2_135m = g.tokensPerS;
    result.cpu_lora_train_tokens_per_s_smollm2_135m = c.tokensPerS;
    result.ratio_lora_train_webgpu_vs_cpu_smollm2_135m = g.tokensPerS / c.tokensPerS;
    result.webgpu_train_peak_device_bytes_smollm2_135m = g.memory.peak;
    result.webgpu_train_device_bytes_smollm2_135m = g.deviceBytes?.total;
    details.smollm2_135m = { shape: 'SmolLM2-135M (30 layers, random weights), LoRA r=8 on 7 modules, f32 base', batch: 1, seqLen: seq, webgpu: g, cpu: c, worstLossDiff: worst };
    console.log(
      `SmolLM2-135M shape: WebGPU ${g.tokensPerS.toFixed(2)} tok/s (${g.secondsPerStep.toFixed(1)} s/step), CPU ${c.tokensPerS.toFixed(2)} tok/s; device bytes peak ${(g.memory.peak / 2 ** 20).toFixed(0)} MiB (frozen ${(g.memory.frozen / 2 ** 20).toFixed(0)} MiB)`,
    );
  }
  gpuOps.destroy();
  rt.destroy();
  details.total_s = (performance.now() - t0) / 1000;
  const dir = process.env['BENCH_RESULTS_DIR'] ?? join(here, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'train-webgpu.json');
  let previous: Record<string, unknown> = {};
  try {
    previous = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // first run
  }
  writeFileSync(file, JSON.stringify({ ...previous, ...result, details, measured_at: new Date().toISOString() }, null, 2) + '\n');
  console.log(`wrote bench/results/train-webgpu.json (${(details.total_s as number).toFixed(0)} s)`);
}
