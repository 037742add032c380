/**
 * Kernel-level decode microbench of the CPU engine's WASM SIMD matvecs, in one process: every matmul of one
 * SmolLM2-135M-shape token (30 layers of q/k/v/o/gate/up/down + the tied 49152×576 head; weights in DRAM, each matrix
 * its own region of one memory) with f32 packed weights (`gemvp2`), int8 and int4 weights with f32 activations
 * (`gemvq8`/`gemvq4`, `decodeActivations: 'f32'`) and with int8 activations (`qx*` + `gemvi8`/`gemvi8p`/`gemvi4`/
 * `gemvi4r`/`gemvi4p`, the CPU backend's default decode; int8 weights are kept as `PackedQ8` panels and run `gemvi8p`
 * (`gemvi8` on the stored layout kept for comparison); where relaxed SIMD is on and passes the runtime's self-check the backend
 * keeps int4 weights as `PackedQ4` panels and runs `gemvi4p`, else `gemvi4pm` on the same panels; `gemvi4r` / `gemvi4`
 * on the stored layout are kept for comparison).
 * Weights are random bytes (speed does not depend on values). Rounds alternate the kernels; each round times one
 * token's matmuls by this process's CPU time (`process.cpuUsage`, less disturbed by other load than wall time); the
 * median over BENCH_ROUNDS (default 41) rounds counts. Ratios are f32 time ÷ kernel time in the same run.
 * `npm run bench -- cpu-kernels` → bench/results/cpu-kernels.json (`ratio_decode_q8_vs_f32`, `ratio_decode_q4_vs_f32`:
 * the default decode kernels). Relaxed SIMD is on by default, as in Chromium; BENCH_RELAXED_SIMD=0 keeps Node 20's
 * relaxed SIMD off (no FMA, no `gemvi4r`), as the engine runs in plain Node.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import v8 from 'node:v8';
import { relaxedDotSelfCheck } from '../src/engine/cpu/simd/relaxedDotCheck.ts';
import { simdModuleBytes } from '../src/engine/cpu/simd/simdModule.ts';
import { packedQ4Bytes, packQ4 } from '../src/engine/cpu/kernels/packQ4.ts';
import { packedQ8Bytes, packQ8 } from '../src/engine/cpu/kernels/packQ8.ts';

type Kernel = (...args: number[]) => void;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 41);
const RELAXED = process.env['BENCH_RELAXED_SIMD'] !== '0';
const H = 576;
const I = 1536;
const KV = 192;
const LAYERS = Number(process.env['BENCH_LAYERS'] ?? 30);
const VOCAB = 49152;

/** [rows, cols] of every matmul of one token */
function shapes(): [number, number][] {
  const out: [number, number][] = [];
  for (let l = 0; l < LAYERS; l++) out.push([H, H], [KV, H], [KV, H], [H, H], [I, H], [I, H], [H, I]);
  out.push([VOCAB, H]);
  return out;
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (a: number[]): number => {
  const s = [...a].sort((p, q) => p - q);
  return s[s.length >> 1]!;
};

export async function main(): Promise<void> {
  if (RELAXED && !WebAssembly.validate(simdModuleBytes({ fma: true }))) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  const fma = RELAXED && WebAssembly.validate(simdModuleBytes({ fma: true }));
  const mats = shapes();
  const macs = mats.reduce((a, [n, k]) => a + n * k, 0);
  // layout: scratch (x, xq, xs, corr, out), then f32 weights, then q8 (bytes + scales), then q4
  let top = 1 << 20;
  const place = (bytes: number): number => {
    const at = top;
    top += Math.ceil(bytes / 64) * 64;
    return at;
  };
  const f32At = mats.map(([n, k]) => place(n * k * 4));
  const q8At = mats.map(([n, k]) => [place(n * k), place((n * k) / 8)] as const);
  const q4At = mats.map(([n, k]) => [place((n * k) / 2), place((n * k) / 8)] as const);
  // the same int4 weights in the CPU backend's packed panels (PackedQ4, what `toHeapPacked` makes with relaxed SIMD)
  const q4pAt = mats.map(([n, k]) => place(packedQ4Bytes(n, k)));
  // and the int8 weights in packed panels (PackedQ8, what `toHeapPacked` makes)
  const q8pAt = mats.map(([n, k]) => place(packedQ8Bytes(n, k)));
  const mem = new WebAssembly.Memory({ initial: Math.ceil(top / 65536) + 1 });
  const k = new WebAssembly.Instance(new WebAssembly.Module(simdModuleBytes({ fma })), { env: { mem } }).exports as Record<string, Kernel>;
  const bytes = new Uint8Array(mem.buffer);
  for (let i = 0; i < bytes.length; i += 4096) crypto.getRandomValues(bytes.subarray(i, Math.min(bytes.length, i + 4096)));
  // scales and x: small finite floats (random bytes could be NaN/denormal and slow the float units)
  const f = new Float32Array(mem.buffer);
  const fill = (at: number, n: number): void => {
    for (let i = 0; i < n; i++) f[(at >> 2) + i] = (Math.random() - 0.5) * 0.02;
  };
  mats.forEach(([n, kk], m) => {
    fill(f32At[m]!, n * kk);
    fill(q8At[m]![1], (n * kk) / 32);
    fill(q4At[m]![1], (n * kk) / 32);
    const stored = { kind: 'q4' as const, rows: n, cols: kk, groupSize: 32, q: new Uint8Array(mem.buffer, q4At[m]![0], (n * kk) / 2), scales: new Float32Array(mem.buffer, q4At[m]![1], (n * kk) / 32) };
    packQ4(stored, new Uint8Array(mem.buffer, q4pAt[m]!, packedQ4Bytes(n, kk)));
    const stored8 = { kind: 'q8' as const, rows: n, cols: kk, groupSize: 32, q: new Int8Array(mem.buffer, q8At[m]![0], n * kk), scales: new Float32Array(mem.buffer, q8At[m]![1], (n * kk) / 32) };
    packQ8(stored8, new Uint8Array(mem.buffer, q8pAt[m]!, packedQ8Bytes(n, kk)));
  });
  const X = 1024, XQ = 65536, XS = 131072, XC = 196608, OUT = 262144;
  fill(X, I);
  // the q4 kernel the engine's runtime picks: gemvi4r where relaxed SIMD is on and its i8 dot passes the self-check
  const relaxedOk = fma && relaxedDotSelfCheck(mem, k, 327680);
  const q4kernel = relaxedOk ? 'gemvi4p' : 'gemvi4pm';
  const q4int = (kernel: string, qx: string) => (): void =>
    mats.forEach(([n, kk], m) => {
      k[qx]!(X, XQ, XS, XC, kk / 32);
      k[kernel]!(XQ, XS, XC, q4At[m]![0], q4At[m]![1], OUT, n, kk);
    });
  const runs: Record<string, () => void> = {
    f32_gemvp2: () => mats.forEach(([n, kk], m) => k['gemvp2']!(X, f32At[m]!, OUT, n, kk)),
    q8_gemvq8: () => mats.forEach(([n, kk], m) => k['gemvq8']!(X, q8At[m]![0], q8At[m]![1], OUT, n, kk)),
    q4_gemvq4: () => mats.forEach(([n, kk], m) => k['gemvq4']!(X, q4At[m]![0], q4At[m]![1], OUT, n, kk)),
    q8_gemvi8: () =>
      mats.forEach(([n, kk], m) => {
        k['qxNat16']!(X, XQ, XS, XC, kk / 32);
        k['gemvi8']!(XQ, XS, XC, q8At[m]![0], q8At[m]![1], OUT, n, kk);
      }),
    q8_gemvi8p: () =>
      mats.forEach(([n, kk], m) => {
        k['qxNat16p']!(X, XQ, XS, XC, kk / 32);
        k['gemvi8p']!(XQ, XS, XC, q8pAt[m]!, OUT, n / 4, kk);
      }),
    q4_gemvi4: q4int('gemvi4', 'qxMod16'),
    q4_gemvi4pm: (): void =>
      mats.forEach(([n, kk], m) => {
        k['qxMod16p']!(X, XQ, XS, XC, kk / 32);
        k['gemvi4pm']!(XQ, XS, XC, q4pAt[m]!, OUT, n / 4, kk);
      }),
    ...(relaxedOk
      ? {
          q4_gemvi4r: q4int('gemvi4r', 'qxEo8'),
          q4_gemvi4p: (): void =>
            mats.forEach(([n, kk], m) => {
              k['qxIlv8']!(X, XQ, XS, XC, kk / 32);
              k['gemvi4p']!(XQ, XS, XC, q4pAt[m]!, OUT, n / 4, kk);
            }),
        }
      : {}),
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(runs).map((name) => [name, []]));
  for (const run of Object.values(runs)) run(); // warm-up (tier-up, page faults)
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, run] of Object.entries(runs)) {
      const t0 = cpuMs();
      run();
      times[name]!.push(cpuMs() - t0);
    }
  }
  const ms = Object.fromEntries(Object.entries(times).map(([name, t]) => [name, median(t)]));
  const f32 = ms['f32_gemvp2']!;
  const result = {
    what: 'all matmuls of one 135M-shape decode token, median CPU ms per token over rounds; ratio = f32 ms ÷ kernel ms (same run)',
    rounds: ROUNDS,
    layers: LAYERS,
    relaxed_simd: fma,
    node: process.version,
    load_average_1m: os.loadavg()[0],
    macs_per_token: macs,
    ms_per_token: ms,
    gb_per_s: Object.fromEntries(
      Object.keys(ms).map((name) => {
        const perWeight = name.startsWith('f32') ? 4 : name.startsWith('q8') ? 1 + 1 / 8 : 0.5 + 1 / 8;
        return [name, (macs * perWeight) / (ms[name]! * 1e6)];
      }),
    ),
    ratio_vs_f32: Object.fromEntries(Object.keys(ms).map((name) => [name, f32 / ms[name]!])),
    // the CPU backend's default decode kernels (int8 activations) vs f32, this run
    default_decode_kernels: { f32: 'gemvp2', q8: 'gemvi8p', q4: q4kernel },
    ratio_decode_q8_vs_f32: f32 / ms['q8_gemvi8p']!,
    ratio_decode_q4_vs_f32: f32 / ms[`q4_${q4kernel}`]!,
    relaxed_dot_self_check_passed: relaxedOk,
    // the packed int4 kernel against the one it replaced (same weights, same bits out), this run
    ratio_q4_gemvi4pm_vs_gemvi4: ms['q4_gemvi4']! / ms['q4_gemvi4pm']!,
    // the packed int8 kernel against the row-layout one (same weights, same bits out), this run
    ratio_q8_gemvi8p_vs_gemvi8: ms['q8_gemvi8']! / ms['q8_gemvi8p']!,
    ...(relaxedOk ? { ratio_q4_gemvi4p_vs_gemvi4r: ms['q4_gemvi4r']! / ms['q4_gemvi4p']! } : {}),
  };
  console.log(JSON.stringify(result, null, 2));
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'cpu-kernels.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
}
