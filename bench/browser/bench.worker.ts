/// <reference types="@webgpu/types" />
// Dedicated module worker of the WebGPU bench page (bench/webgpu.ts builds and drives it): the project's WebGPU
// backend vs onnxruntime-web's WebGPU execution provider on the same random Llama weights, in this one worker.
// - weights: `randomModel` from the seed in bench-config.json (the engine side); the same weights as the ONNX graph
//   `model.onnx` that bench/webgpu.ts wrote with buildLlamaOnnx (the ORT side). Logits parity is checked first.
// - both decode with a KV cache on the GPU: the engine its own; ORT's present_k/v outputs stay on the GPU
//   (`preferredOutputLocation: 'gpu-buffer'`) and are fed back as past_k/v. Logits are read back to the host on
//   both sides every step (what sampling in the page needs).
// - rounds alternate ORT and engine; bench/webgpu.ts takes the best round per side.
import * as ort from 'onnxruntime-web/webgpu';
import { createModel, type Model } from '../../src/engine/model/llama.ts';
import { randomModel } from '../../src/engine/model/randomModel.ts';
import type { LlamaConfig } from '../../src/engine/model/types.ts';
import { ropeInvFreq } from '../../src/engine/cpu/kernels/rope.ts';
import { ropeAndMaskInputs } from '../../src/node/engine/reference/llamaOnnx.ts';
import { WebGpuBackend } from '../../src/engine/webgpu/webgpuBackend.ts';

export interface BenchConfig {
  seed: number;
  shape: Partial<LlamaConfig>;
  prefill: number;
  decode: number;
  rounds: number;
  /** max |Δlogit| allowed between the two before timing */
  tolerance: number;
}

export interface Speed {
  prefill_tokens_per_s: number;
  decode_tokens_per_s: number;
}

export interface BenchReport {
  ok: boolean;
  error?: string;
  /** the engine's adapter */
  adapter?: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter: boolean; hasF16: boolean };
  /** the engine's kernel family on this adapter (`coarse` on software adapters such as SwiftShader) */
  engineKernels?: string;
  /** navigator.gpu's default adapter as ORT would see it */
  ortAdapter?: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter: boolean } | null;
  userAgent?: string;
  ortVersion?: string;
  ortKvLocation?: 'gpu-buffer' | 'cpu';
  params?: number;
  parity?: { prefill_max_abs_diff: number; decode_max_abs_diff: number; max_abs_logit: number; argmax_engine: number[]; argmax_ort: number[] };
  load_s?: { engine: number; ort: number };
  rounds?: { ort: Speed; engine: Speed }[];
}

export type BenchMessage = { type: 'log'; message: string } | { type: 'result'; report: BenchReport };

const log = (message: string): void => postMessage({ type: 'log', message } satisfies BenchMessage);

function argmaxOf(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Math.abs(a[i]! - b[i]!);
    if (!(x <= d)) d = x; // NaN sticks
  }
  return d;
}

interface OrtKv {
  length: number;
  past: Record<string, ort.Tensor>;
}

async function run(cfg: BenchConfig): Promise<BenchReport> {
  const report: BenchReport = { ok: false, userAgent: navigator.userAgent, ortVersion: ort.env.versions.web };
  const { config, weights } = randomModel({ seed: cfg.seed, ...cfg.shape });
  report.params = weights.embed.data.length + weights.finalNorm.length + weights.layers.reduce((n, l) => n + l.inputNorm.length + l.postAttentionNorm.length + [l.q, l.k, l.v, l.o, l.gate, l.up, l.down].reduce((m, w) => m + w.data.length, 0), 0);
  const P = cfg.prefill;
  const D = cfg.decode;
  const prompt = Array.from({ length: P + D }, (_, i) => (i * 7919 + 13) % config.vocabSize);
  const p = prompt.slice(0, P);
  const next = prompt.slice(P);

  // ---- ORT WebGPU EP (its own device); its wasm/mjs files are served beside this page under ort/
  const probe = await navigator.gpu?.requestAdapter();
  report.ortAdapter = probe ? { vendor: probe.info.vendor, architecture: probe.info.architecture, device: probe.info.device, description: probe.info.description, isFallbackAdapter: (probe.info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false } : null;
  ort.env.wasm.wasmPaths = new URL('/ort/', location.origin).href;
  ort.env.wasm.numThreads = 1; // no cross-origin isolation here; the engine is single-threaded on the host too
  ort.env.logLevel = 'error';
  let t = performance.now();
  const bytes = new Uint8Array(await (await fetch(new URL('/model.onnx', location.origin))).arrayBuffer());
  const L = config.numLayers;
  const presentNames = Array.from({ length: L }, (_, i) => [`present_k${i}`, `present_v${i}`]).flat();
  const makeSession = (kvOnGpu: boolean): Promise<ort.InferenceSession> =>
    ort.InferenceSession.create(bytes, {
      executionProviders: ['webgpu'],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      ...(kvOnGpu ? { preferredOutputLocation: Object.fromEntries(presentNames.map((n) => [n, 'gpu-buffer' as const])) } : {}),
    });
  log('creating the ORT WebGPU session');
  const session = await makeSession(true);
  report.ortKvLocation = 'gpu-buffer';
  const invFreq = ropeInvFreq(config.headDim, config.ropeTheta, config.ropeScaling);
  const hd = config.headDim;
  const newOrtKv = (): OrtKv => {
    const past: Record<string, ort.Tensor> = {};
    for (let i = 0; i < L; i++) {
      past[`past_k${i}`] = new ort.Tensor('float32', new Float32Array(0), [config.numKvHeads, 0, hd]);
      past[`past_v${i}`] = new ort.Tensor('float32', new Float32Array(0), [config.numKvHeads, 0, hd]);
    }
    return { length: 0, past };
  };
  const ortStep = async (tokens: readonly number[], s: OrtKv): Promise<Float32Array> => {
    const T = tokens.length;
    const { cos, sin, mask } = ropeAndMaskInputs(invFreq, T, s.length);
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(tokens.map((x) => BigInt(x))), [T]),
      cos: new ort.Tensor('float32', cos, [T, hd]),
      sin: new ort.Tensor('float32', sin, [T, hd]),
      mask: new ort.Tensor('float32', mask, [T, s.length + T]),
      ...s.past,
    });
    for (let i = 0; i < L; i++) {
      for (const kv of ['k', 'v']) {
        s.past[`past_${kv}${i}`]!.dispose();
        s.past[`past_${kv}${i}`] = out[`present_${kv}${i}`]!;
      }
    }
    s.length += T;
    return out['logits']!.data as Float32Array; // logits stay on 'cpu' (the default)
  };
  const releaseOrtKv = (s: OrtKv): void => {
    for (const x of Object.values(s.past)) x.dispose();
  };
  const ortLoad = (performance.now() - t) / 1000;

  // ---- the engine (its own device), f32 weights like the ONNX graph
  t = performance.now();
  log('creating the engine WebGPU backend');
  const gpu = await WebGpuBackend.create({ timeoutMs: 120_000 });
  const info = gpu.info;
  report.adapter = { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, isFallbackAdapter: info.isFallbackAdapter, hasF16: info.hasF16 };
  report.engineKernels = gpu.rt.kernels;
  const model: Model = createModel(gpu, config, weights, { quant: 'f32', maxSeq: P + D + 8 });
  await gpu.sync();
  report.load_s = { engine: (performance.now() - t) / 1000, ort: ortLoad };

  // ---- parity: the prompt's last logits and one decode step, and the greedy tokens
  log('checking parity');
  {
    const s = newOrtKv();
    const seq = model.createSequence();
    const want = await ortStep(p, s);
    const got = await model.prefill(p, seq);
    const want2 = await ortStep([argmaxOf(want)], s);
    const got2 = await model.decodeStep(argmaxOf(got), seq);
    seq.dispose();
    releaseOrtKv(s);
    let maxAbs = 0;
    for (const x of want) maxAbs = Math.max(maxAbs, Math.abs(x));
    report.parity = {
      prefill_max_abs_diff: maxAbsDiff(got, want),
      decode_max_abs_diff: maxAbsDiff(got2, want2),
      max_abs_logit: maxAbs,
      argmax_engine: [argmaxOf(got), argmaxOf(got2)],
      argmax_ort: [argmaxOf(want), argmaxOf(want2)],
    };
    const pr = report.parity;
    if (!(pr.prefill_max_abs_diff <= cfg.tolerance && pr.decode_max_abs_diff <= cfg.tolerance) || pr.argmax_engine.join() !== pr.argmax_ort.join()) {
      throw new Error(`engine and ORT WebGPU disagree on this model (${JSON.stringify(pr)}); not timing apples against oranges`);
    }
  }

  const timed = async (prefill: () => Promise<unknown>, decode: () => Promise<unknown>): Promise<Speed> => {
    let w = performance.now();
    await prefill();
    const pw = (performance.now() - w) / 1000;
    w = performance.now();
    await decode();
    const dw = (performance.now() - w) / 1000;
    return { prefill_tokens_per_s: P / pw, decode_tokens_per_s: D / dw };
  };
  const timeOrt = async (): Promise<Speed> => {
    const s = newOrtKv();
    const r = await timed(
      () => ortStep(p, s),
      async () => {
        for (const id of next) await ortStep([id], s);
      },
    );
    releaseOrtKv(s);
    return r;
  };
  const timeEngine = async (): Promise<Speed> => {
    const seq = model.createSequence();
    const r = await timed(
      () => model.prefill(p, seq),
      async () => {
        for (const id of next) await model.decodeStep(id, seq);
      },
    );
    seq.dispose();
    return r;
  };
  log('warm-up round');
  await timeOrt();
  await timeEngine();
  report.rounds = [];
  for (let r = 0; r < cfg.rounds; r++) {
    const o = await timeOrt();
    const e = await timeEngine();
    report.rounds.push({ ort: o, engine: e });
    log(`round ${r + 1}/${cfg.rounds}: ORT webgpu prefill ${o.prefill_tokens_per_s.toFixed(1)} / decode ${o.decode_tokens_per_s.toFixed(2)} tok/s; engine webgpu prefill ${e.prefill_tokens_per_s.toFixed(1)} / decode ${e.decode_tokens_per_s.toFixed(2)} tok/s`);
  }
  model.dispose();
  gpu.destroy();
  await session.release();
  report.ok = true;
  return report;
}

self.onmessage = async () => {
  let cfg: BenchConfig;
  try {
    cfg = (await (await fetch(new URL('/bench-config.json', location.origin))).json()) as BenchConfig;
  } catch (e) {
    postMessage({ type: 'result', report: { ok: false, error: `bench-config.json: ${String(e)}` } } satisfies BenchMessage);
    return;
  }
  run(cfg).then(
    (report) => postMessage({ type: 'result', report } satisfies BenchMessage),
    (e: unknown) => postMessage({ type: 'result', report: { ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) } } satisfies BenchMessage),
  );
};
