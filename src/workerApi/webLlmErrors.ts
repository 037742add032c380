import { TributaryError, isTributaryError } from '../core/errors.ts';

/** A WebLLM failure (load or chat, plain Error text from its worker) as a TributaryError saying what to do. */
export function webLlmError(e: unknown, modelId: string): TributaryError {
  if (isTributaryError(e)) return e;
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  if (/fetch|network|cors|404|403|cache/i.test(text)) {
    return new TributaryError('model/fetch', `could not download the model from its host (${text}). WebLLM needs network access to huggingface.co and raw.githubusercontent.com the first time a model is loaded.`, modelId);
  }
  if (/shader-f16|feature|webgpu|adapter|gpu/i.test(text) && !/device\b.*\blost/i.test(text)) {
    return new TributaryError('webgpu/unavailable', `this GPU cannot run the model (${text}). Try a smaller model or another browser/GPU.`, modelId);
  }
  if (/device\b.*\blost|out of memory/i.test(text) || /\bOOM\b/.test(text)) {
    return new TributaryError('webgpu/device-lost', `the GPU gave up (${text}). Try a smaller model, close other GPU-heavy tabs, and load again.`, modelId);
  }
  return new TributaryError('webgpu/error', `WebLLM failed: ${text}`, modelId);
}
