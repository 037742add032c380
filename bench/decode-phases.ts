/**
 * Where a CPU decode step spends its time: the 135M-shape model of `bench/decode.ts` (random weights, seed 135) decoded
 * with f32, int8 and int4 weights on one thread, every backend op wrapped with a timer (wall-clock around the op, the
 * backend runs ops synchronously); what is left of the step (the model's own JS: batch layout, page table, sampling
 * read-back) is `model_js`. Rounds alternate the formats; the median per op over rounds counts, and the step's
 * median by wall-clock and by CPU time gives `ratio_decode_q8_vs_f32` / `ratio_decode_q4_vs_f32` (`*_by_cpu_time`).
 * `npm run bench -- decode-phases` → bench/results/decode-phases.json. BENCH_RELAXED_SIMD=1 as in `decode`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import v8 from 'node:v8';
import type { Backend } from '../src/engine/backend.ts';
import { createCpuBackend } from '../src/engine/cpu/cpuBackend.ts';
import { simdRuntime } from '../src/engine/cpu/simd/simdRuntime.ts';
import { createModel, type Model } from '../src/engine/model/llama.ts';
import { randomModel } from '../src/engine/model/randomModel.ts';
import { SMOLLM2_135M } from '../src/engine/model/modelShapes.ts';

const PREFILL = Number(process.env['BENCH_PREFILL'] ?? 64);
const DECODE = Number(process.env['BENCH_DECODE'] ?? 16);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const RELAXED = process.env['BENCH_RELAXED_SIMD'] === '1';
const SHAPE = SMOLLM2_135M;
const OPS = ['matmul', 'rmsNorm', 'rope', 'kvWritePaged', 'pagedAttention', 'siluMul', 'add', 'embeddingGather', 'alloc', 'dispose', 'read', 'topK'] as const;

/** Wraps the backend's ops with timers that add into `acc` (ms) while `on()` is true. */
function instrument(b: Backend, acc: Record<string, number>, on: () => boolean): void {
  const rec = b as unknown as Record<string, unknown>;
  for (const op of OPS) {
    const f = rec[op];
    if (typeof f !== 'function') continue;
    rec[op] = (...args: unknown[]): unknown => {
      if (!on()) return (f as (...a: unknown[]) => unknown).apply(b, args);
      const t = performance.now();
      const r = (f as (...a: unknown[]) => unknown).apply(b, args);
      acc[op] = (acc[op] ?? 0) + performance.now() - t;
      return r;
    };
  }
}

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1]!;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

export async function main(): Promise<void> {
  if (RELAXED) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  const { config, weights } = randomModel({ seed: 135, ...SHAPE });
  const prompt = Array.from({ length: PREFILL + DECODE }, (_, i) => (i * 7919 + 13) % SHAPE.vocabSize);
  const formats = ['f32', 'q8', 'q4'] as const;
  let timing = false;
  const accs = Object.fromEntries(formats.map((q) => [q, {} as Record<string, number>])) as Record<(typeof formats)[number], Record<string, number>>;
  const models = Object.fromEntries(
    formats.map((quant) => {
      const b = createCpuBackend();
      instrument(b, accs[quant], () => timing);
      return [quant, createModel(b, config, weights, { quant, maxSeq: PREFILL + DECODE + 8 })];
    }),
  ) as Record<(typeof formats)[number], Model>;
  const perRound: Record<string, Record<string, number>[]> = { f32: [], q8: [], q4: [] };
  for (let r = 0; r <= ROUNDS; r++) {
    for (const q of formats) {
      const m = models[q];
      const seq = m.createSequence();
      await m.prefill(prompt.slice(0, PREFILL), seq);
      const acc = accs[q];
      for (const k of Object.keys(acc)) delete acc[k];
      timing = true;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (const id of prompt.slice(PREFILL)) await m.decodeStep(id, seq);
      const total = performance.now() - t0;
      const c1 = process.cpuUsage(c0);
      timing = false;
      seq.dispose();
      const ops = Object.values(acc).reduce((s, x) => s + x, 0);
      const row: Record<string, number> = { step_total: total / DECODE, step_cpu: (c1.user + c1.system) / 1000 / DECODE, model_js: (total - ops) / DECODE };
      for (const [k, v] of Object.entries(acc)) row[k] = v / DECODE;
      if (r > 0) perRound[q]!.push(row); // round 0 warms up
    }
  }
  const ms_per_token = Object.fromEntries(
    formats.map((q) => {
      const rows = perRound[q]!;
      const keys = Object.keys(rows[0]!);
      return [q, Object.fromEntries(keys.map((k) => [k, r3(median(rows.map((x) => x[k] ?? 0)))]))];
    }),
  );
  for (const m of Object.values(models)) m.dispose();
  // whole decode step, int8/int4 vs f32 weights, this run (median step by wall-clock and by CPU time)
  const ratio = (q: 'q8' | 'q4', k: string): number => r3(ms_per_token['f32']![k]! / ms_per_token[q]![k]!);
  const ratios = {
    ratio_decode_q8_vs_f32: ratio('q8', 'step_total'),
    ratio_decode_q4_vs_f32: ratio('q4', 'step_total'),
    ratio_decode_q8_vs_f32_by_cpu_time: ratio('q8', 'step_cpu'),
    ratio_decode_q4_vs_f32_by_cpu_time: ratio('q4', 'step_cpu'),
  };
  const result = {
    ...ratios,
    what: 'ms per decode token by backend op (wall-clock around each op, one thread), median over rounds; model_js = step time not inside any op',
    measuredAt: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores), Node ${process.version}`,
    load_average_1m: r3(os.loadavg()[0] ?? 0),
    relaxed_simd: simdRuntime()?.fma ?? false,
    prefill_tokens: PREFILL,
    decode_steps: DECODE,
    rounds: ROUNDS,
    ms_per_token,
  };
  const file = join(dirname(fileURLToPath(import.meta.url)), 'results', 'decode-phases.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify({ ...ratios, load_average_1m: result.load_average_1m, ms_per_token }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
