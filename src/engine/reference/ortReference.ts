/**
 * Runs the ONNX reference model (`buildLlamaOnnx`) with onnxruntime-web's wasm execution provider, in Node (tests,
 * benchmarks) with its wasm files served from node_modules. Node only: it resolves the wasm folder with `createRequire`.
 *
 * @example
 * const ref = await createOrtReference(config, weights);
 * const logits = await ref.logits([1, 2, 3]);   // [3, vocab], full recompute (no cache)
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-web';
import { ropeInvFreq } from '../cpu/kernels/rope.ts';
import type { LlamaConfig, LlamaWeights } from '../model/types.ts';
import { buildLlamaOnnx, ropeAndMaskInputs } from './llamaOnnx.ts';

let configured = false;

/** Points onnxruntime-web at its own wasm files in node_modules (self-hosted, no network), single-threaded. */
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

export interface OrtReference {
  session: ort.InferenceSession;
  /** logits `[T, vocab]` for `tokens` at positions 0..T-1 */
  logits(tokens: readonly number[]): Promise<Float32Array>;
  release(): Promise<void>;
}

export async function createOrtReference(config: LlamaConfig, weights: LlamaWeights): Promise<OrtReference> {
  configureOrtForNode();
  const bytes = buildLlamaOnnx(config, weights);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  const invFreq = ropeInvFreq(config.headDim, config.ropeTheta, config.ropeScaling);
  return {
    session,
    async logits(tokens) {
      const T = tokens.length;
      const { cos, sin, mask } = ropeAndMaskInputs(invFreq, T, 0);
      const hd = config.headDim;
      const out = await session.run({
        input_ids: new ort.Tensor('int64', BigInt64Array.from(tokens.map((t) => BigInt(t))), [T]),
        cos: new ort.Tensor('float32', cos, [T, hd]),
        sin: new ort.Tensor('float32', sin, [T, hd]),
        mask: new ort.Tensor('float32', mask, [T, T]),
      });
      return out['logits']!.data as Float32Array;
    },
    release: () => session.release(),
  };
}
