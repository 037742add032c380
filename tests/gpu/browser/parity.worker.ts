// Dedicated module worker: the WebGPU backend on navigator.gpu (WorkerNavigator) against the CPU backend,
// on a few ops and a whole random Llama model with adapters (int4 weights). Posts a WorkerReport.
import type { Backend } from '../../../src/engine/backend.ts';
import { createCpuBackend } from '../../../src/engine/cpu/cpuBackend.ts';
import { createModel } from '../../../src/engine/model/llama.ts';
import { randomAdapter, randomModel } from '../../../src/engine/model/randomModel.ts';
import { quantizeQ8 } from '../../../src/engine/quant.ts';
import { WebGpuBackend } from '../../../src/engine/webgpu/webgpuBackend.ts';

export interface WorkerReport {
  ok: boolean;
  error?: string;
  adapter?: { vendor: string; architecture: string; isFallbackAdapter: boolean; hasF16: boolean };
  /** max |gpu - cpu| / (abs + rel·|cpu|) per check (≤ 1 passes) */
  checks: { name: string; worst: number }[];
}

function worstRatio(g: Float32Array, c: Float32Array, abs: number, rel: number): number {
  if (g.length !== c.length) return Infinity;
  let w = 0;
  for (let i = 0; i < c.length; i++) {
    const r = Math.abs(g[i]! - c[i]!) / (abs + rel * Math.abs(c[i]!));
    if (!(r <= w)) w = r; // NaN → NaN, which fails ok
  }
  return w;
}

async function run(): Promise<WorkerReport> {
  const gpu = await WebGpuBackend.create({ timeoutMs: 60_000 });
  // the WGSL twins keep f32 activations (tests/gpu/cpuIntDecode.gpu.test.ts bounds the CPU's int8-activation difference)
  const cpu = createCpuBackend({ decodeActivations: 'f32' });
  const checks: WorkerReport['checks'] = [];
  // matmul int8, decode and prefill shapes
  let seed = 1;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648 - 0.5;
  };
  const [K, N] = [96, 70];
  const w = quantizeQ8(Float32Array.from({ length: N * K }, rand), N, K);
  for (const T of [1, 9]) {
    const x = Float32Array.from({ length: T * K }, rand);
    const outs = await Promise.all(
      ([cpu, gpu] as Backend[]).map(async (b) => {
        const out = b.alloc([T, N]);
        b.matmul(b.upload(x, [T, K]), T, b.uploadWeight(w), out);
        return b.read(out);
      }),
    );
    checks.push({ name: `matmul q8 T=${T}`, worst: worstRatio(outs[1]!, outs[0]!, 1e-5 * Math.sqrt(K), 1e-5 * Math.sqrt(K)) });
  }
  // a whole model: int4 weights, two adapters and the base in one batch, then a decode step
  const { config, weights } = randomModel({ seed: 5, hiddenSize: 64, numHeads: 4, numKvHeads: 2, intermediateSize: 96, numLayers: 2, vocabSize: 100 });
  const adapters = [randomAdapter(config, { seed: 1, rank: 4 }), randomAdapter(config, { seed: 2, rank: 8 })];
  const logitsOf = async (b: Backend): Promise<Float32Array[]> => {
    const model = createModel(b, config, weights, { quant: 'q4', lora: { slots: 2, maxRank: 8 }, maxSeq: 16 });
    adapters.forEach((a, i) => model.setLoraSlot(i, a));
    const s = [model.createSequence(), model.createSequence(), model.createSequence()];
    const out = await model.forward([
      { seq: s[0]!, tokens: [1, 2, 3, 4], adapterSlot: 0 },
      { seq: s[1]!, tokens: [5, 6] },
      { seq: s[2]!, tokens: [7, 8, 9], adapterSlot: 1 },
    ]);
    out.push(...(await model.forward(s.map((seq, i) => ({ seq, tokens: [10 + i], adapterSlot: i - 1 })))));
    model.dispose();
    return out;
  };
  const want = await logitsOf(cpu);
  const got = await logitsOf(gpu);
  want.forEach((c, i) => checks.push({ name: `model q4 + LoRA logits #${i}`, worst: worstRatio(got[i] ?? new Float32Array(0), c, 1e-4, 1e-4) }));
  // the real-GPU kernel family in the browser too (forced: SwiftShader would get the coarse one), and its candidate
  // read-back: each row's top 64 selected on the GPU must be the top 64 of the row read whole
  const tiled = await WebGpuBackend.create({ timeoutMs: 60_000, kernels: 'gpu' });
  const gotTiled = await logitsOf(tiled);
  want.forEach((c, i) => checks.push({ name: `gpu family: model q4 + LoRA logits #${i}`, worst: worstRatio(gotTiled[i] ?? new Float32Array(0), c, 1e-4, 1e-4) }));
  const model = createModel(tiled, config, weights, { quant: 'q8', maxSeq: 16 });
  const seqs = [model.createSequence(), model.createSequence()];
  const rows = await model.forwardCandidates(
    [
      { seq: seqs[0]!, tokens: [3, 1, 4] },
      { seq: seqs[1]!, tokens: [1, 5] },
    ],
    64,
  );
  for (const [i, row] of rows.entries()) {
    let mismatches = 64;
    if (!(row instanceof Float32Array)) {
      const whole = await row.full();
      const top = Array.from(whole.keys()).sort((a, b) => whole[b]! - whole[a]! || a - b).slice(0, 64);
      mismatches = top.filter((id, j) => row.ids[j] !== id || row.vals[j] !== whole[id]).length;
    }
    // passes only with no mismatch (worst ≤ 1 passes)
    checks.push({ name: `gpu family: top-64 candidates of row ${i} (${mismatches} mismatches)`, worst: mismatches === 0 ? 0 : 2 + mismatches });
  }
  model.dispose();
  tiled.destroy();
  const info = gpu.info;
  gpu.destroy();
  return {
    ok: checks.every((c) => c.worst <= 1),
    adapter: { vendor: info.vendor, architecture: info.architecture, isFallbackAdapter: info.isFallbackAdapter, hasF16: info.hasF16 },
    checks,
  };
}

run().then(
  (r) => postMessage(r),
  (e: unknown) => postMessage({ ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), checks: [] } satisfies WorkerReport),
);
