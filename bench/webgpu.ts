/**
 * Decode and prefill speed of the project's WebGPU backend vs onnxruntime-web's WebGPU execution provider, on the
 * same random Llama weights, in headless Chromium (`/usr/bin/chromium --enable-unsafe-webgpu`, flags from
 * tests/e2e/browser.ts). `npm run bench -- webgpu`.
 *
 * - A small page (bench/browser, built here with Vite into a temp folder) runs both in one dedicated module worker:
 *   the engine from `randomModel(seed)`, ORT from the same weights written as ONNX here (`buildLlamaOnnx`, past/present
 *   KV inputs) and served as model.onnx. ORT's asyncify build (its WebGPU EP) is self-hosted: its .mjs/.wasm are
 *   copied from node_modules into the page's ort/ folder. Nothing comes from the network.
 * - Both keep the KV cache on the GPU (ORT: present_k/v as 'gpu-buffer' fed back as past_k/v) and read the logits
 *   back every step; f32 weights on both sides (ORT's graph is f32).
 * - The two must agree (max |Δlogit| ≤ TOLERANCE on the prompt and on one decode step, same greedy tokens) before
 *   anything is timed. Prefill = one pass over BENCH_WEBGPU_PREFILL tokens; decode = BENCH_WEBGPU_DECODE steps after it.
 *   Rounds alternate ORT and engine after a warm-up round; best round per side (BENCH_WEBGPU_ROUNDS).
 * - Shape: smaller than SmolLM2-135M (hidden 256, 4 layers, vocab 4096) because this machine's WebGPU is SwiftShader
 *   (a CPU rasteriser): its timings say nothing about real GPUs, only about per-dispatch overhead and CPU-side work.
 *   The adapter info (vendor/architecture/isFallbackAdapter) is recorded with the result.
 * Writes `ratio_webgpu_vs_ort_webgpu` (decode tokens/s, engine ÷ ORT), `ratio_webgpu_vs_ort_webgpu_prefill` and
 * `webgpu_vs_ort_webgpu` (details) into bench/results/decode.json, keeping the other keys. Throws if it could not
 * measure (ORT's EP failed to initialise, parity failed, no WebGPU, no Chromium), with the page's error text.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { randomModel } from '../src/engine/model/randomModel.ts';
import { buildLlamaOnnx } from '../src/node/engine/reference/llamaOnnx.ts';
import { serveStatic } from '../scripts/serve.mjs';
import { CHROMIUM, CHROMIUM_ARGS, openProfile, type BrowserProfile } from '../tests/e2e/browser.ts';
import type { BenchConfig, BenchReport, Speed } from './browser/bench.worker.ts';

const SHAPE = {
  vocabSize: 4096,
  hiddenSize: 256,
  intermediateSize: 768,
  numLayers: 4,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 64,
  rmsNormEps: 1e-5,
  ropeTheta: 100000,
  maxPositionEmbeddings: 2048,
  tieWordEmbeddings: true,
  attentionBias: false,
};
const SEED = 256;
const PREFILL = Number(process.env['BENCH_WEBGPU_PREFILL'] ?? 32);
const DECODE = Number(process.env['BENCH_WEBGPU_DECODE'] ?? 16);
const ROUNDS = Number(process.env['BENCH_WEBGPU_ROUNDS'] ?? 5);
const TOLERANCE = 2e-3;
const PAGE_TIMEOUT_MS = 270_000;

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
const roundSpeed = (s: Speed): Speed => ({ prefill_tokens_per_s: round(s.prefill_tokens_per_s), decode_tokens_per_s: round(s.decode_tokens_per_s) });
const best = (xs: Speed[]): Speed => ({
  prefill_tokens_per_s: Math.max(...xs.map((x) => x.prefill_tokens_per_s)),
  decode_tokens_per_s: Math.max(...xs.map((x) => x.decode_tokens_per_s)),
});

export async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (set CHROMIUM_PATH); cannot run the WebGPU bench`);
  const here = dirname(fileURLToPath(import.meta.url));
  const out = mkdtempSync(join(os.tmpdir(), 'tributary-bench-webgpu-'));
  let profile: BrowserProfile | undefined;
  let close: (() => Promise<void>) | undefined;
  try {
    // ---- the page, the ONNX graph of the same weights, ORT's self-hosted runtime files
    const t0 = performance.now();
    await build({
      configFile: false,
      root: join(here, 'browser'),
      logLevel: 'warn',
      worker: { format: 'es' },
      build: { outDir: out, emptyOutDir: true, target: 'es2022', minify: false, reportCompressedSize: false, chunkSizeWarningLimit: 100_000 },
    });
    const { config, weights } = randomModel({ seed: SEED, ...SHAPE });
    writeFileSync(join(out, 'model.onnx'), buildLlamaOnnx(config, weights, { withPast: true, lastOnly: true }));
    const cfg: BenchConfig = { seed: SEED, shape: SHAPE, prefill: PREFILL, decode: DECODE, rounds: ROUNDS, tolerance: TOLERANCE };
    writeFileSync(join(out, 'bench-config.json'), JSON.stringify(cfg));
    const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
    mkdirSync(join(out, 'ort'));
    for (const f of ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm']) copyFileSync(join(ortDist, f), join(out, 'ort', f));
    console.log(`page built, model.onnx written in ${((performance.now() - t0) / 1000).toFixed(1)} s; shape hidden ${SHAPE.hiddenSize}, ${SHAPE.numLayers} layers, vocab ${SHAPE.vocabSize}; prefill ${PREFILL}, decode ${DECODE}, ${ROUNDS} rounds`);

    // ---- run it in headless Chromium
    const served = await serveStatic({ root: out, port: 0 });
    close = () => new Promise((ok) => served.server.close(() => ok()));
    profile = await openProfile({ webgpu: true });
    profile.page.on('console', (m) => {
      if (m.type() === 'log') console.log(`  [page] ${m.text()}`);
    });
    await profile.page.goto(served.url);
    const handle = await profile.page.waitForFunction(() => window.__bench, undefined, { timeout: PAGE_TIMEOUT_MS, polling: 500 });
    const report = (await handle.jsonValue()) as BenchReport;
    if (!report.ok || !report.rounds || report.rounds.length === 0) {
      throw new Error(`could not measure: ${report.error ?? 'no rounds'}${profile.errors.length ? `; page errors: ${profile.errors.join(' | ')}` : ''}`);
    }

    // ---- results
    const ort = best(report.rounds.map((r) => r.ort));
    const eng = best(report.rounds.map((r) => r.engine));
    const ratio = eng.decode_tokens_per_s / ort.decode_tokens_per_s;
    const ratioPrefill = eng.prefill_tokens_per_s / ort.prefill_tokens_per_s;
    if (!Number.isFinite(ratio) || ratio <= 0 || !Number.isFinite(ratioPrefill) || ratioPrefill <= 0) throw new Error('could not measure the ratios');
    const swiftShader = /swiftshader/i.test(`${report.adapter?.vendor} ${report.adapter?.architecture} ${report.adapter?.description}`) || report.adapter?.isFallbackAdapter === true;
    const result = {
      ratio_webgpu_vs_ort_webgpu: round(ratio, 3),
      ratio_webgpu_vs_ort_webgpu_prefill: round(ratioPrefill, 3),
      ratio_webgpu_vs_ort_webgpu_note:
        'decode tokens/s (and prefill), project WebGPU backend ÷ onnxruntime-web WebGPU EP, same random weights, f32 on both sides, KV cache on the GPU on both sides, in one headless-Chromium worker. Goal ≥1.0×.' +
        (swiftShader
          ? ' Measured on SwiftShader (a CPU software rasteriser, fallback adapter): these timings say nothing about real GPUs. The engine picks its coarse kernel family there (no workgroup memory or barriers, see shaders/README.md); real GPUs get its tiled/split-K kernels, which this run does not time.'
          : ''),
      webgpu_vs_ort_webgpu: {
        measuredAt: new Date().toISOString(),
        machine: `${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores), Node ${process.version}`,
        load_average_1min: round(os.loadavg()[0] ?? 0, 2),
        browser: report.userAgent,
        chromium: CHROMIUM,
        chromium_flags: CHROMIUM_ARGS,
        device: { engine_adapter: report.adapter, ort_default_adapter: report.ortAdapter, swiftshader: swiftShader },
        onnxruntime_web: report.ortVersion,
        ort_execution_provider: 'webgpu (asyncify build, self-hosted wasm), numThreads 1',
        ort_kv_location: report.ortKvLocation,
        model: { shape: `random Llama (seed ${SEED}), smaller than SmolLM2-135M because SwiftShader is slow`, ...SHAPE, params: report.params },
        engine_quant: 'f32',
        engine_kernels: report.engineKernels,
        prefill_tokens: PREFILL,
        decode_steps: DECODE,
        rounds: ROUNDS,
        timing: 'warm-up round, then alternating rounds in one worker (ORT, engine), best round per side; prefill = one pass, last-token logits read back; decode = one token per step, logits read back each step',
        parity: { ...report.parity, tolerance_max_abs_diff: TOLERANCE },
        load_s: report.load_s && { engine: round(report.load_s.engine), ort: round(report.load_s.ort) },
        engine_webgpu: roundSpeed(eng),
        ort_webgpu: roundSpeed(ort),
        rounds_detail: report.rounds.map((r) => ({ ort: roundSpeed(r.ort), engine: roundSpeed(r.engine) })),
      },
    };
    const file = join(here, 'results', 'decode.json');
    mkdirSync(dirname(file), { recursive: true });
    const prev = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
    writeFileSync(file, JSON.stringify({ ...prev, ...result }, null, 2) + '\n');
    const a = report.adapter;
    console.log(`device: ${a?.vendor}/${a?.architecture} ${a?.description ?? ''} (isFallbackAdapter ${a?.isFallbackAdapter})${swiftShader ? ' — SwiftShader: says nothing about real GPUs' : ''}`);
    console.log(`parity: max |Δlogit| prefill ${report.parity?.prefill_max_abs_diff.toExponential(2)}, decode ${report.parity?.decode_max_abs_diff.toExponential(2)} (≤ ${TOLERANCE}); greedy tokens ${report.parity?.argmax_engine.join(',')} on both`);
    console.log(`ORT webgpu: prefill ${ort.prefill_tokens_per_s.toFixed(1)} tok/s, decode ${ort.decode_tokens_per_s.toFixed(2)} tok/s (best of ${ROUNDS})`);
    console.log(`engine webgpu: prefill ${eng.prefill_tokens_per_s.toFixed(1)} tok/s, decode ${eng.decode_tokens_per_s.toFixed(2)} tok/s (best of ${ROUNDS})`);
    console.log(`ratio_webgpu_vs_ort_webgpu (decode) = ${result.ratio_webgpu_vs_ort_webgpu}×, prefill ${result.ratio_webgpu_vs_ort_webgpu_prefill}× → ${file}`);
  } finally {
    await profile?.close();
    await close?.();
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
