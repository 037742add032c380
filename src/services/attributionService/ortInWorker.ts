/**
 * onnxruntime-web in the attribution worker, loaded only when an ONNX encoder is chosen (its chunk and its ~14 MB
 * wasm are optional: not precached, cached on first use). The wasm is self-hosted (bundled by Vite), single-threaded
 * (the worker is already off the page's thread, and one thread keeps the summation order fixed), never proxied.
 */
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import type { OrtRuntime } from '../../attribution/onnxEncoder/onnxEncoder.ts';

export async function loadOrtInWorker(): Promise<OrtRuntime> {
  const ort = await import('onnxruntime-web/wasm');
  ort.env.wasm.wasmPaths = { wasm: wasmUrl };
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  return ort;
}
