/**
 * The CPU engine vs llama.cpp in WebAssembly (`@wllama/wllama`, its own wasm from node_modules, served here: no
 * download), in the same runtime — headless Chromium (playwright-core + /usr/bin/chromium), one cross-origin isolated
 * page (COOP/COEP from scripts/serve.mjs, so both get SharedArrayBuffer and threads) — on the same random weights of
 * the SmolLM2-135M shape (`randomModel`, seed below): the engine from the f32 weights (quantising them itself to
 * int8/int4 on load), wllama from GGUF files written here from the same weights (bench/gguf.ts: f32, q8_0, q4_0 built
 * from the project's own quantisation, scales stored as f16). `npm run bench -- cpu-peers`.
 *
 * - Logits first: the prompt's next-token log-probabilities, engine vs wllama's top 8 (llama.cpp's `logprobs`), per
 *   format (the formats differ by the f16 rounding of the scales, and the engine's decode quantises activations to
 *   int8 while llama.cpp's q8_0/q4_0 matmuls do the same to q8_0 — prefill logits on the engine side are f32-activation).
 * - Speeds: prefill (one pass over the prompt) and decode (greedy, BENCH_CPU_DECODE tokens), 1 thread and all threads,
 *   best of BENCH_CPU_ROUNDS rounds; the engine timed in its worker, wllama from llama.cpp's own timings.
 * Writes bench/results/cpu-peers.json (ratios first). The machine is shared: `load_average_1min` is recorded.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { randomModel } from '../src/engine/model/randomModel.ts';
import { serveStatic } from '../scripts/serve.mjs';
import { CHROMIUM, openProfile, type BrowserProfile } from '../tests/e2e/browser.ts';
import { writeGguf } from './gguf.ts';
import type { CpuBenchConfig, CpuBenchReport, PeerReport, Speed } from './browser-cpu/cpu.worker.ts';

const SHAPE = {
  vocabSize: 49152,
  hiddenSize: 576,
  intermediateSize: 1536,
  numLayers: 30,
  numHeads: 9,
  numKvHeads: 3,
  headDim: 64,
  rmsNormEps: 1e-5,
  ropeTheta: 100000,
  maxPositionEmbeddings: 2048,
  tieWordEmbeddings: true,
  attentionBias: false,
};
/** BENCH_CPU_SHAPE=small: a small model (hidden 256, 4 layers, vocab 4096) for a quick check of the harness */
const SMALL = { ...SHAPE, vocabSize: 4096, hiddenSize: 256, intermediateSize: 768, numLayers: 4, numHeads: 4, numKvHeads: 2 };
const MODEL_SHAPE = process.env['BENCH_CPU_SHAPE'] === 'small' ? SMALL : SHAPE;
const SEED = 135;
const PROMPT_LEN = Number(process.env['BENCH_CPU_PREFILL'] ?? 64);
const DECODE = Number(process.env['BENCH_CPU_DECODE'] ?? 16);
const ROUNDS = Number(process.env['BENCH_CPU_ROUNDS'] ?? 2);
const PAGE_TIMEOUT_MS = 1_500_000;

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

function logSoftmaxAt(logits: number[], ids: number[]): number[] {
  let m = -Infinity;
  for (const v of logits) m = Math.max(m, v);
  let s = 0;
  for (const v of logits) s += Math.exp(v - m);
  const lse = m + Math.log(s);
  return ids.map((i) => logits[i]! - lse);
}

export async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}; cannot run the CPU peer bench`);
  const here = dirname(fileURLToPath(import.meta.url));
  const out = mkdtempSync(join(os.tmpdir(), 'tributary-bench-cpu-'));
  let profile: BrowserProfile | undefined;
  let close: (() => Promise<void>) | undefined;
  try {
    const t0 = performance.now();
    await build({
      configFile: false,
      root: join(here, 'browser-cpu'),
      logLevel: 'warn',
      worker: { format: 'es' },
      build: { outDir: out, emptyOutDir: true, target: 'es2022', minify: false, reportCompressedSize: false, chunkSizeWarningLimit: 100_000 },
    });
    const wasm = join(dirname(createRequire(import.meta.url).resolve('@wllama/wllama')), 'wasm', 'wllama.wasm');
    mkdirSync(join(out, 'wllama'));
    copyFileSync(wasm, join(out, 'wllama', 'wllama.wasm'));
    const { config, weights } = randomModel({ seed: SEED, ...MODEL_SHAPE });
    for (const f of ['f32', 'q8_0', 'q4_0'] as const) writeFileSync(join(out, `${f}.gguf`), writeGguf(config, weights, f));
    const all = os.availableParallelism();
    const prompt = Array.from({ length: PROMPT_LEN }, (_, i) => 3 + 97 + ((i * 7) % 26)); // 'a'..'z' as byte tokens
    const cfg: CpuBenchConfig = { seed: SEED, shape: MODEL_SHAPE, prompt, decode: DECODE, rounds: ROUNDS, threads: all > 1 ? [1, all] : [1] };
    writeFileSync(join(out, 'bench-config.json'), JSON.stringify(cfg));
    console.log(`page built, GGUF written in ${((performance.now() - t0) / 1000).toFixed(1)} s; prompt ${PROMPT_LEN}, decode ${DECODE}, ${ROUNDS} rounds, threads ${cfg.threads.join(' and ')}`);

    const served = await serveStatic({ root: out, port: 0 });
    close = () => new Promise((ok) => served.server.close(() => ok()));
    profile = await openProfile({ webgpu: false });
    profile.page.on('console', (m) => {
      if (m.type() === 'log') console.log(`  [page] ${m.text()}`);
    });
    await profile.page.goto(served.url);
    const handle = await profile.page.waitForFunction(() => window.__cpuBench, undefined, { timeout: PAGE_TIMEOUT_MS, polling: 1000 });
    const report = (await handle.jsonValue()) as { engine: CpuBenchReport; wllama: PeerReport | { ok: false; error: string } };
    const eng = report.engine;
    if (!eng.ok || !eng.speeds) throw new Error(`the engine could not be measured: ${eng.error ?? '?'}; page errors: ${profile.errors.join(' | ')}`);
    const peer = report.wllama.ok ? report.wllama : null;
    const hi = String(cfg.threads[cfg.threads.length - 1]);
    const sp = (r: Record<string, Record<string, Speed>>, f: string, t: string): Speed => r[f]![t]!;
    const ratio = (a: number, b: number): number | null => (b > 0 && Number.isFinite(a / b) ? round(a / b, 3) : null);

    // logits: engine log-probs of wllama's top-8 next tokens after the prompt
    const parity: Record<string, unknown> = {};
    for (const f of ['f32', 'q8', 'q4']) {
      const top = peer?.toplogprobs[f]?.filter(([id, v]) => id >= 0 && v > -1e30) ?? [];
      const el = eng.logits?.[f];
      if (!el || top.length === 0) continue;
      const mine = logSoftmaxAt(el.logits, top.map(([id]) => id));
      parity[f] = {
        max_abs_diff_logprob_top8: round(Math.max(...top.map(([, v], i) => Math.abs(v - mine[i]!))), 5),
        compared_tokens: top.length,
        same_top1: top[0]![0] === el.greedy[0],
        greedy_engine: el.greedy.slice(0, 8),
        greedy_wllama: peer?.greedy[f]?.slice(0, 8),
      };
    }
    const result = {
      ratio_decode_q8_vs_f32_engine: ratio(sp(eng.speeds, 'q8', '1').decode_tokens_per_s, sp(eng.speeds, 'f32', '1').decode_tokens_per_s),
      ratio_decode_q4_vs_f32_engine: ratio(sp(eng.speeds, 'q4', '1').decode_tokens_per_s, sp(eng.speeds, 'f32', '1').decode_tokens_per_s),
      ratio_decode_q8_vs_f32_engine_all_threads: ratio(sp(eng.speeds, 'q8', hi).decode_tokens_per_s, sp(eng.speeds, 'f32', hi).decode_tokens_per_s),
      ratio_decode_q4_vs_f32_engine_all_threads: ratio(sp(eng.speeds, 'q4', hi).decode_tokens_per_s, sp(eng.speeds, 'f32', hi).decode_tokens_per_s),
      ratio_decode_q8_all_threads_vs_1_thread: ratio(sp(eng.speeds, 'q8', hi).decode_tokens_per_s, sp(eng.speeds, 'q8', '1').decode_tokens_per_s),
      ratio_decode_q4_all_threads_vs_1_thread: ratio(sp(eng.speeds, 'q4', hi).decode_tokens_per_s, sp(eng.speeds, 'q4', '1').decode_tokens_per_s),
      ratio_decode_f32_all_threads_vs_1_thread: ratio(sp(eng.speeds, 'f32', hi).decode_tokens_per_s, sp(eng.speeds, 'f32', '1').decode_tokens_per_s),
      ratio_decode_q8_vs_wllama_all_threads: peer ? ratio(sp(eng.speeds, 'q8', hi).decode_tokens_per_s, sp(peer.speeds, 'q8', hi).decode_tokens_per_s) : null,
      ratio_decode_q4_vs_wllama_all_threads: peer ? ratio(sp(eng.speeds, 'q4', hi).decode_tokens_per_s, sp(peer.speeds, 'q4', hi).decode_tokens_per_s) : null,
      ratio_decode_f32_vs_wllama_all_threads: peer ? ratio(sp(eng.speeds, 'f32', hi).decode_tokens_per_s, sp(peer.speeds, 'f32', hi).decode_tokens_per_s) : null,
      ratio_prefill_q8_vs_f32_engine: ratio(sp(eng.speeds, 'q8', '1').prefill_tokens_per_s, sp(eng.speeds, 'f32', '1').prefill_tokens_per_s),
      ratio_prefill_q4_vs_f32_engine: ratio(sp(eng.speeds, 'q4', '1').prefill_tokens_per_s, sp(eng.speeds, 'f32', '1').prefill_tokens_per_s),
      note:
        'tokens/s in one headless-Chromium page (cross-origin isolated), same random 135M-shape weights; engine = this project CPU backend (WASM SIMD, relaxed SIMD where Chromium has it), wllama = llama.cpp in WebAssembly (GGUF of the same weights). "all threads" = every hardware thread of this machine. The machine is shared with other work: see load_average_1min; ratios within one run are the figures to read.',
      wllama_error: report.wllama.ok ? null : report.wllama.error,
      details: {
        measuredAt: new Date().toISOString(),
        machine: `${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores), Node ${process.version}`,
        load_average_1min: round(os.loadavg()[0] ?? 0, 2),
        browser: eng.userAgent,
        crossOriginIsolated: eng.crossOriginIsolated,
        engine_relaxed_simd: eng.fma,
        wllama_version: peer?.version ?? null,
        model: { shape: `random Llama (seed ${SEED}), ${MODEL_SHAPE === SHAPE ? 'SmolLM2-135M shape' : 'small check shape'}`, ...MODEL_SHAPE },
        prompt_tokens: PROMPT_LEN,
        decode_tokens: DECODE,
        rounds: ROUNDS,
        threads: cfg.threads,
        engine: eng.speeds,
        wllama: peer?.speeds ?? null,
        logits_vs_wllama: parity,
      },
    };
    const file = join(here, 'results', 'cpu-peers.json');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await profile?.close();
    await close?.();
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
