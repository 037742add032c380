/**
 * The page's handle on the WebLLM worker (`workers/webllm.worker.ts`), supervised like the other workers: an
 * optional second engine for larger adapter-less models, downloaded from the model host (Hugging Face) and run on
 * WebGPU by `@mlc-ai/web-llm`. Nothing here runs until `loadWebLlmModel` is called; then the worker (and web-llm)
 * are fetched. A crashed worker is restarted without a model, so the panel loads it again.
 */
import type { WebLlmApi, WebLlmMessage, WebLlmProgress, WebLlmReply } from '../workerApi/webLlmApi.ts';
import { webLlmError } from '../workerApi/webLlmErrors.ts';
import { workerEvents } from './dataClient.ts';
import { createSupervisedWorker, type SupervisedWorker } from './supervisedWorker.ts';

export type { WebLlmMessage, WebLlmProgress, WebLlmReply };

let worker: SupervisedWorker<WebLlmApi> | undefined;
let loadedId: string | undefined;

function getApi(): WebLlmApi {
  worker ??= createSupervisedWorker<WebLlmApi>(
    () => new Worker(new URL('../../workers/webllm.worker.ts', import.meta.url), { type: 'module', name: 'webllm' }),
    {
      name: 'webllm',
      onEvent: (e) => {
        if (e.type === 'restarted') loadedId = undefined;
        workerEvents.emit(e);
      },
    },
  );
  return worker.api;
}

/** Download (or read from web-llm's cache) and initialise `modelId` on WebGPU. */
export async function loadWebLlmModel(modelId: string, onProgress: (p: WebLlmProgress) => void): Promise<void> {
  try {
    loadedId = undefined;
    await getApi().load(modelId, onProgress);
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
    return await getApi().chat(messages, onDelta);
  } catch (e) {
    throw webLlmError(e, id);
  }
}

/** Stop the answer being generated (the pending `webLlmChat` resolves with what was written so far). */
export function interruptWebLlm(): void {
  void worker?.api.interrupt();
}

/** End the worker and free its GPU memory. */
export function stopWebLlm(): void {
  worker?.dispose();
  worker = undefined;
  loadedId = undefined;
}
