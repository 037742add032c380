// Host-side cost of one WebGPU decode step, the part a real GPU cannot hide: JS time to encode and submit a step
// (forward() until its first await), and how many WebGPU objects / calls a steady-state step makes. Uses a 30-layer
// model with tiny matrices so the adapter's compute time (SwiftShader here) does not blur the host figures.
// Run: XDG_RUNTIME_DIR=... VK_ICD_FILENAMES=... npx tsx bench/device/host-overhead.ts (tests/gpu/env.ts sets these up)
import { create, globals } from 'webgpu';
import { createModel } from '../../src/engine/model/llama.ts';
import { randomModel } from '../../src/engine/model/randomModel.ts';
import { WebGpuBackend } from '../../src/engine/webgpu/webgpuBackend.ts';
import { ensureGpuEnv } from '../../tests/gpu/env.ts';

ensureGpuEnv();
Object.assign(globalThis, globals);
const shape = { vocabSize: 512, hiddenSize: 64, intermediateSize: 128, numLayers: 30, numHeads: 4, numKvHeads: 2, headDim: 16, rmsNormEps: 1e-5, ropeTheta: 10000, maxPositionEmbeddings: 512, tieWordEmbeddings: true, attentionBias: false };
const { config, weights } = randomModel({ seed: 7, ...shape });
const STEPS = 40;
const rowsArg = Number(process.env['ROWS'] ?? 1);
for (const kernels of ['gpu', 'coarse'] as const) {
  const b = await WebGpuBackend.create({ gpu: create([]), kernels, timeoutMs: 120_000 });
  const dev = b.rt.device;
  const counts = { createBuffer: 0, createBindGroup: 0, writeBuffer: 0, submit: 0 };
  const wrap = <K extends 'createBuffer' | 'createBindGroup'>(k: K): void => {
    const f = dev[k].bind(dev) as (...a: unknown[]) => unknown;
    (dev as unknown as Record<string, unknown>)[k] = (...a: unknown[]) => (counts[k]++, f(...a));
  };
  wrap('createBuffer');
  wrap('createBindGroup');
  const q = dev.queue;
  const wb = q.writeBuffer.bind(q) as (...a: unknown[]) => void;
  (q as unknown as Record<string, unknown>)['writeBuffer'] = (...a: unknown[]) => (counts.writeBuffer++, wb(...a));
  const sb = q.submit.bind(q);
  (q as unknown as Record<string, unknown>)['submit'] = (c: GPUCommandBuffer[]) => (counts.submit++, sb(c));
  const m = createModel(b, config, weights, { quant: 'q8' });
  const seqs = Array.from({ length: rowsArg }, () => m.createSequence(STEPS + 16));
  await m.forward(seqs.map((seq, i) => ({ seq, tokens: [1 + i, 2, 3, 4] })));
  let encodeMs = 0;
  let totalMs = 0;
  const before = { ...counts, dispatches: b.rt.dispatches };
  let measured = 0;
  for (let s = 0; s < STEPS; s++) {
    if (s === 5) Object.assign(before, counts, { dispatches: b.rt.dispatches });
    const t0 = performance.now();
    const p = m.forward(seqs.map((seq, i) => ({ seq, tokens: [(s * 31 + i) % 512] })));
    const t1 = performance.now();
    await p;
    const t2 = performance.now();
    if (s >= 5) {
      encodeMs += t1 - t0;
      totalMs += t2 - t0;
      measured++;
    }
  }
  const per = (k: keyof typeof counts | 'dispatches'): number => ((k === 'dispatches' ? b.rt.dispatches : counts[k]) - before[k]) / measured;
  console.log(JSON.stringify({ kernels, rows: rowsArg, adapter: `${b.info.vendor} ${b.info.architecture}`, encode_ms_per_step: +(encodeMs / measured).toFixed(3), step_ms: +(totalMs / measured).toFixed(3), dispatches: per('dispatches'), submits: per('submit'), createBuffer: per('createBuffer'), createBindGroup: per('createBindGroup'), writeBuffer: per('writeBuffer') }));
  m.dispose();
  b.destroy();
}
process.exit(0);
