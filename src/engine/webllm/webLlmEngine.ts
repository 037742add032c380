/**
 * The page's handle on the WebLLM worker (`webllm.worker.ts`): an optional second engine for larger
 * adapter-less models, downloaded from the model host (Hugging Face) and run on WebGPU by `@mlc-ai/web-llm`.
 * Nothing here runs until `loadWebLlmModel` is called; then the worker (and web-llm) are fetched.
 */
import * as Comlink from 'comlink';
import { webLlmError } from './errors.ts';
import type { WebLlmProgress, WebLlmReply, WebLlmWorkerApi } from './webllm.worker.ts';

export type { WebLlmProgress, WebLlmReply };

export interface WebLlmMessage {
  role: 'user' | 'assistant' | 'system';
  content: string;
}

let worker: Worker | undefined;
let api: Comlink.Remote<WebLlmWorkerApi> | undefined;
let loadedId: string | undefined;

function getApi(): Comlink.Remote<WebLlmWorkerApi> {
  if (!api) {
    worker = new Worker(new URL('./webllm.worker.ts', import.meta.url), { type: 'module', name: 'webllm' });
    api = Comlink.wrap<WebLlmWorkerApi>(worker);
  }
  return api;
}

/** Download (or read from web-llm's cache) and initialise `modelId` on WebGPU. */
export async function loadWebLlmModel(modelId: string, onProgress: (p: WebLlmProgress) => void): Promise<void> {
  try {
    loadedId = undefined;
    await getApi().load(modelId, Comlink.proxy(onProgress));
    loadedId = modelId;
  } catch (e) {
    throw webLlmError(e, modelId);
  }
}

/** Stream an answer to `messages` from the loaded model; `onDelta` gets each piece of text. */
export async function webLlmChat(messages: WebLlmMessage[], onDelta: (text: string) => void): Promise<WebLlmReply> {
  const id = loadedId;
  if (!id) throw webLlmError(new Error('load a model first'), 'WebLLM');
  try {
    return await getApi().chat(messages, Comlink.proxy(onDelta));
  } catch (e) {
    throw webLlmError(e, id);
  }
}

/** Stop the answer being generated (the pending `webLlmChat` resolves with what was written so far). */
export function interruptWebLlm(): void {
  void api?.interrupt();
}

/** End the worker and free its GPU memory. */
export function stopWebLlm(): void {
  worker?.terminate();
  worker = undefined;
  api = undefined;
  loadedId = undefined;
}
