/**
 * Decode and prefill speed of the CPU backend vs onnxruntime-web (wasm EP, SIMD, in Node) on the same SmolLM2-135M-shape
 * Llama weights (hidden 576, 30 layers, 9 heads / 3 KV heads, intermediate 1536, vocab 49152, tied), generated here
 * from a seed (never committed). `npm run bench -- decode`.
 *
 * - Both sides single-threaded (this machine has 2 cores; ORT's threaded wasm needs workers + COOP/COEP in browsers).
 * - Both sides decode with a KV cache: ORT runs the reference graph with past/present inputs (src/engine/reference),
 *   fed back every step; the engine uses its own KV cache.
 * - Prefill: one pass over a PREFILL-token prompt. Decode: DECODE steps after it; tokens/s = steps / time.
 * - The two agree on the first logits (checked: max |Δ| ≤ 1e-3 on this model) before anything is timed.
 * - The engine is also timed with int8 and int4 weights (ORT runs f32; those rows are context, not the ratio).
 * Writes `ratio_cpu_vs_ort_wasm` (f32 decode tokens/s, engine ÷ ORT) and details into bench/results/decode.json,
 * keeping keys other benchmarks wrote there (`ratio_webgpu_vs_ort_webgpu`). Throws (exit ≠ 0) if it could not measure.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { createCpuBackend } from '../src/engine/cpu/cpuBackend.ts';
import { createModel } from '../src/engine/model/llama.ts';
import { randomModel } from '../src/engine/model/randomModel.ts';
import { createOrtReference } from '../src/engine/reference/ortReference.ts';
import type { QuantKind } from '../src/engine/quant.ts';

const PREFILL = Number(process.env['BENCH_PREFILL'] ?? 64);
const DECODE = Number(process.env['BENCH_DECODE'] ?? 16);
const SMOLLM2_135M = {
  vocabSize: 49152,
  hiddenSize: 576,
  intermediateSize: 1536,
  numLayers: 30,
  numHeads: 9,
  numKvHeads: 3,
  headDim: 64,
  rmsNormEps: 1e-5,
  ropeTheta: 100000,
  maxPositionEmbeddings: 8192,
  tieWordEmbeddings: true,
  attentionBias: false,
};

interface Speed {
  prefill_tokens_per_s: number;
  decode_tokens_per_s: number;
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

function prompt(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7919 + 13) % SMOLLM2_135M.vocabSize);
}

export async function main(): Promise<void> {
  const t0 = performance.now();
  const { config, weights } = randomModel({ seed: 135, ...SMOLLM2_135M });
  const genS = (performance.now() - t0) / 1000;
  const p = prompt(PREFILL);
  const next = prompt(PREFILL + DECODE).slice(PREFILL);
  console.log(`weights generated in ${genS.toFixed(1)} s; prefill ${PREFILL} tokens, decode ${DECODE} steps`);

  // ---- onnxruntime-web (wasm)
  const t1 = performance.now();
  const ref = await createOrtReference(config, weights, { withPast: true, threads: 1 });
  const ortLoadS = (performance.now() - t1) / 1000;
  let state = ref.newState();
  await ref.step(p.slice(0, 8), state); // warm-up
  state = ref.newState();
  let t = performance.now();
  const ortFirst = await ref.step(p, state);
  const ortPrefillS = (performance.now() - t) / 1000;
  t = performance.now();
  for (const id of next) await ref.step([id], state);
  const ortDecodeS = (performance.now() - t) / 1000;
  const ort: Speed = { prefill_tokens_per_s: PREFILL / ortPrefillS, decode_tokens_per_s: DECODE / ortDecodeS };
  const V = config.vocabSize;
  const ortLast = ortFirst.slice((PREFILL - 1) * V, PREFILL * V);
  await ref.release();
  console.log(`ORT wasm f32: session ${ortLoadS.toFixed(1)} s, prefill ${ort.prefill_tokens_per_s.toFixed(1)} tok/s, decode ${ort.decode_tokens_per_s.toFixed(2)} tok/s`);

  // ---- engine, CPU backend
  const engine: Partial<Record<QuantKind, Speed & { weight_bytes: number }>> = {};
  let parity = NaN;
  for (const quant of ['f32', 'q8', 'q4'] as const) {
    const model = createModel(createCpuBackend(), config, weights, { quant, maxSeq: PREFILL + DECODE + 8 });
    const warm = model.createSequence();
    await model.prefill(p.slice(0, 8), warm);
    await model.decodeStep(1, warm);
    warm.dispose();
    const seq = model.createSequence();
    t = performance.now();
    const first = await model.prefill(p, seq);
    const prefillS = (performance.now() - t) / 1000;
    if (quant === 'f32') {
      parity = 0;
      for (let i = 0; i < V; i++) parity = Math.max(parity, Math.abs(first[i]! - ortLast[i]!));
      if (!(parity <= 1e-3)) throw new Error(`engine and ORT disagree on this model (max |Δlogit| ${parity}); not timing apples against oranges`);
    }
    t = performance.now();
    for (const id of next) await model.decodeStep(id, seq);
    const decodeS = (performance.now() - t) / 1000;
    engine[quant] = { prefill_tokens_per_s: PREFILL / prefillS, decode_tokens_per_s: DECODE / decodeS, weight_bytes: model.memory().weights };
    console.log(
      `engine cpu ${quant}: prefill ${engine[quant].prefill_tokens_per_s.toFixed(1)} tok/s, decode ${engine[quant].decode_tokens_per_s.toFixed(2)} tok/s, weights ${(model.memory().weights / 2 ** 20).toFixed(0)} MiB`,
    );
    model.dispose();
  }

  const f32 = engine.f32!;
  const ratio = f32.decode_tokens_per_s / ort.decode_tokens_per_s;
  const ratioPrefill = f32.prefill_tokens_per_s / ort.prefill_tokens_per_s;
  if (!Number.isFinite(ratio) || ratio <= 0) throw new Error('could not measure the decode ratio');
  const flopsPerToken = 2 * (config.numLayers * (2 * 576 * 576 + 2 * 576 * 192 + 3 * 576 * 1536) + V * 576);
  const result = {
    ratio_cpu_vs_ort_wasm: round(ratio, 3),
    ratio_cpu_vs_ort_wasm_prefill: round(ratioPrefill, 3),
    ratio_cpu_vs_ort_wasm_note:
      'decode tokens/s, f32 weights on both sides, single thread each, KV cache on both sides (ORT: past/present graph inputs). Goal ≥1.0×; 1.5× would need the engine ' +
      `${round(1.5 / ratio, 1)}× faster than now.`,
    measuredAt: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores), Node ${process.version}`,
    model: { shape: 'SmolLM2-135M (random weights, seed 135)', ...SMOLLM2_135M, params: 134_515_008 },
    prefill_tokens: PREFILL,
    decode_steps: DECODE,
    logits_max_abs_diff_engine_vs_ort: parity,
    gflops_per_decode_token: round(flopsPerToken / 1e9, 3),
    ort_wasm_f32: { ...ort, prefill_tokens_per_s: round(ort.prefill_tokens_per_s), decode_tokens_per_s: round(ort.decode_tokens_per_s) },
    engine_cpu: Object.fromEntries(
      Object.entries(engine).map(([k, v]) => [k, { prefill_tokens_per_s: round(v.prefill_tokens_per_s), decode_tokens_per_s: round(v.decode_tokens_per_s), weight_bytes: v.weight_bytes }]),
    ),
  };
  const here = dirname(fileURLToPath(import.meta.url));
  const file = join(here, 'results', 'decode.json');
  mkdirSync(dirname(file), { recursive: true });
  const prev = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(file, JSON.stringify({ ...prev, ...result }, null, 2) + '\n');
  console.log(`ratio_cpu_vs_ort_wasm (decode) = ${result.ratio_cpu_vs_ort_wasm}×, prefill ${result.ratio_cpu_vs_ort_wasm_prefill}× → ${file}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
