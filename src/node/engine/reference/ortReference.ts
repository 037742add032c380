/**
 * Runs the ONNX reference model (`buildLlamaOnnx`) with onnxruntime-web's wasm execution provider, in Node (tests,
 * benchmarks) with its wasm files served from node_modules. Node only: it resolves the wasm folder with `createRequire`.
 *
 * @example
 * const ref = await createOrtReference(config, weights);
 * const logits = await ref.logits([1, 2, 3]);   // [3, vocab], full recompute (no cache)
 * const kv = await createOrtReference(config, weights, { withPast: true });
 * const state = kv.newState();
 * await kv.step([1, 2, 3], state);              // prefill, then
 * await kv.step([4], state);                    // one decode step on ORT's own KV cache
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-web';
import { ropeInvFreq } from '../../../engine/cpu/kernels/rope.ts';
import type { LlamaConfig, LlamaWeights } from '../../../engine/model/types.ts';
import { buildLlamaOnnx, ropeAndMaskInputs } from './llamaOnnx.ts';

let configured = false;

/** Points onnxruntime-web at its own wasm files in node_modules (self-hosted, no network); single-threaded by default. */
export function configureOrtForNode(threads = 1): typeof ort {
  if (!configured) {
    const require = createRequire(import.meta.url);
    ort.env.wasm.wasmPaths = path.dirname(require.resolve('onnxruntime-web')) + path.sep;
    ort.env.wasm.numThreads = threads;
    ort.env.logLevel = 'error';
    configured = true;
  }
  return ort;
}

/** ORT-side KV cache: `past_k{i}`/`past_v{i}` tensors `[nKv, length, headDim]`. */
export interface OrtKvState {
  length: number;
  past: Record<string, ort.Tensor>;
}

export interface OrtReference {
  session: ort.InferenceSession;
  /** logits `[T, vocab]` for `tokens` at positions 0..T-1 (full recompute) */
  logits(tokens: readonly number[]): Promise<Float32Array>;
  /** an empty KV cache (only with `withPast`) */
  newState(): OrtKvState;
  /** runs `tokens` after the cached ones, updates `state`, returns `[T, vocab]` logits (only with `withPast`) */
  step(tokens: readonly number[], state: OrtKvState): Promise<Float32Array>;
  release(): Promise<void>;
}

export interface OrtReferenceOptions {
  withPast?: boolean;
  /** logits of the last token only (`[1, vocab]`) */
  lastOnly?: boolean;
  threads?: number;
}

export async function createOrtReference(config: LlamaConfig, weights: LlamaWeights, opts: OrtReferenceOptions = {}): Promise<OrtReference> {
  configureOrtForNode(opts.threads);
  const withPast = opts.withPast ?? false;
  const bytes = buildLlamaOnnx(config, weights, { withPast, lastOnly: opts.lastOnly ?? false });
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  const invFreq = ropeInvFreq(config.headDim, config.ropeTheta, config.ropeScaling);
  const hd = config.headDim;
  const L = config.numLayers;
  const emptyKv = (): ort.Tensor => new ort.Tensor('float32', new Float32Array(0), [config.numKvHeads, 0, hd]);
  const newState = (): OrtKvState => {
    const past: Record<string, ort.Tensor> = {};
    for (let i = 0; i < L; i++) {
      past[`past_k${i}`] = emptyKv();
      past[`past_v${i}`] = emptyKv();
    }
    return { length: 0, past };
  };
  const feeds = (tokens: readonly number[], pastLen: number): Record<string, ort.Tensor> => {
    const T = tokens.length;
    const { cos, sin, mask } = ropeAndMaskInputs(invFreq, T, pastLen);
    return {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(tokens.map((t) => BigInt(t))), [T]),
      cos: new ort.Tensor('float32', cos, [T, hd]),
      sin: new ort.Tensor('float32', sin, [T, hd]),
      mask: new ort.Tensor('float32', mask, [T, pastLen + T]),
    };
  };
  const step = async (tokens: readonly number[], state: OrtKvState): Promise<Float32Array> => {
    const out = await session.run({ ...feeds(tokens, state.length), ...state.past });
    for (let i = 0; i < L; i++) {
      state.past[`past_k${i}`] = out[`present_k${i}`]!;
      state.past[`past_v${i}`] = out[`present_v${i}`]!;
    }
    state.length += tokens.length;
    return out['logits']!.data as Float32Array;
  };
  return {
    session,
    logits: async (tokens) => {
      if (withPast) return step(tokens, newState());
      const out = await session.run(feeds(tokens, 0));
      return out['logits']!.data as Float32Array;
    },
    newState,
    step,
    release: () => session.release(),
  };
}
