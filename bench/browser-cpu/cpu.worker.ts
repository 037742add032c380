// The engine side of `npm run bench -- cpu-peers`, in a dedicated module worker of a cross-origin isolated page:
// the CPU backend (WASM SIMD, shared heap) on random 135M-shape Llama weights (`randomModel`, seed from
// bench-config.json), f32 / int8 / int4, on 1 thread and on all threads; prefill then greedy decode, best round.
// Also the prompt's last-token logits per format (compared with wllama's top log-probabilities by the driver).
import { createCpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { simdRuntime } from '../../src/engine/cpu/simd/simdRuntime.ts';
import { startCpuThreads, stopCpuThreads } from '../../src/engine/cpu/threads/threadPool.ts';
import { createModel } from '../../src/engine/model/llama.ts';
import { randomModel } from '../../src/engine/model/randomModel.ts';
import type { LlamaConfig } from '../../src/engine/model/types.ts';

export interface CpuBenchConfig {
  seed: number;
  shape: Partial<LlamaConfig>;
  prompt: number[];
  decode: number;
  rounds: number;
  threads: number[];
}

export interface Speed {
  prefill_tokens_per_s: number;
  decode_tokens_per_s: number;
}

export interface CpuBenchReport {
  ok: boolean;
  error?: string;
  userAgent?: string;
  crossOriginIsolated?: boolean;
  hardwareConcurrency?: number;
  fma?: boolean;
  /** format → threads → best speed */
  speeds?: Record<string, Record<string, Speed>>;
  /** format → the prompt's last-token logits and the greedy tokens decoded (first round, first thread count) */
  logits?: Record<string, { logits: number[]; greedy: number[] }>;
}

export interface PeerReport {
  ok: true;
  version: string;
  speeds: Record<string, Record<string, Speed>>;
  /** format → the first generated token's top log-probabilities: [token id, logprob] */
  toplogprobs: Record<string, [number, number][]>;
  greedy: Record<string, number[]>;
}

export type CpuBenchMessage = { type: 'log'; message: string } | { type: 'result'; report: CpuBenchReport };

const log = (message: string): void => postMessage({ type: 'log', message } satisfies CpuBenchMessage);

function argmax(a: Float32Array): number {
  let b = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[b]!) b = i;
  return b;
}

async function run(): Promise<CpuBenchReport> {
  const cfg = (await (await fetch(new URL('/bench-config.json', location.origin))).json()) as CpuBenchConfig;
  const rt = simdRuntime();
  if (!rt) return { ok: false, error: 'no WebAssembly SIMD in this worker' };
  if (!rt.shared) return { ok: false, error: 'the heap is not shared: the page is not cross-origin isolated' };
  log(`generating random weights (seed ${cfg.seed})…`);
  const { config, weights } = randomModel({ seed: cfg.seed, ...cfg.shape });
  const speeds: Record<string, Record<string, Speed>> = {};
  const logits: NonNullable<CpuBenchReport['logits']> = {};
  for (const quant of ['f32', 'q8', 'q4'] as const) {
    const model = createModel(createCpuBackend({ threads: 1 }), config, weights, { quant });
    speeds[quant] = {};
    for (const threads of cfg.threads) {
      if (threads > 1) {
        const pool = await startCpuThreads(threads);
        if (pool?.count !== threads) throw new Error(`could not start ${threads} threads`);
      } else stopCpuThreads();
      let best: Speed = { prefill_tokens_per_s: 0, decode_tokens_per_s: 0 };
      for (let r = 0; r < cfg.rounds; r++) {
        const seq = model.createSequence(cfg.prompt.length + cfg.decode + 1);
        let t0 = performance.now();
        let l = await model.prefill(cfg.prompt, seq);
        const pre = (performance.now() - t0) / 1000;
        const greedy = [argmax(l)];
        if (r === 0 && threads === cfg.threads[0]) {
          logits[quant] = { logits: Array.from(l), greedy };
        }
        t0 = performance.now();
        for (let i = 0; i < cfg.decode; i++) {
          l = await model.decodeStep(greedy[greedy.length - 1]!, seq);
          greedy.push(argmax(l));
        }
        const dec = (performance.now() - t0) / 1000;
        if (r === 0 && threads === cfg.threads[0]) logits[quant]!.greedy = greedy;
        seq.dispose();
        best = { prefill_tokens_per_s: Math.max(best.prefill_tokens_per_s, cfg.prompt.length / pre), decode_tokens_per_s: Math.max(best.decode_tokens_per_s, cfg.decode / dec) };
        log(`engine ${quant} ${threads} thread(s) round ${r + 1}: prefill ${(cfg.prompt.length / pre).toFixed(1)} tok/s, decode ${(cfg.decode / dec).toFixed(1)} tok/s`);
      }
      speeds[quant][String(threads)] = best;
    }
    stopCpuThreads();
    model.dispose();
  }
  return { ok: true, userAgent: navigator.userAgent, crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency, fma: rt.fma, speeds, logits };
}

onmessage = () => {
  run().then(
    (report) => postMessage({ type: 'result', report } satisfies CpuBenchMessage),
    (e: unknown) => postMessage({ type: 'result', report: { ok: false, error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) } } satisfies CpuBenchMessage),
  );
};
