/**
 * A dedicated worker for WebLLM (`@mlc-ai/web-llm`), started only when the Chat page's WebLLM panel
 * loads a model; web-llm itself is imported lazily, so it is its own chunk.
 */
import * as Comlink from 'comlink';
import type { ChatCompletionMessageParam, MLCEngine } from '@mlc-ai/web-llm';

let engine: MLCEngine | undefined;

export interface WebLlmProgress {
  /** 0..1 */
  progress: number;
  text: string;
}

export interface WebLlmReply {
  text: string;
  finishReason: string | null;
  decodeTokensPerSecond: number | null;
}

const api = {
  async load(modelId: string, onProgress: (p: WebLlmProgress) => void): Promise<void> {
    const webllm = await import('@mlc-ai/web-llm');
    const initProgressCallback = (r: { progress: number; text: string }) => void onProgress({ progress: r.progress, text: r.text });
    if (engine) {
      engine.setInitProgressCallback(initProgressCallback);
      await engine.reload(modelId);
    } else {
      engine = await webllm.CreateMLCEngine(modelId, { initProgressCallback });
    }
  },

  async chat(messages: ChatCompletionMessageParam[], onDelta: (text: string) => void): Promise<WebLlmReply> {
    if (!engine) throw new Error('No WebLLM model is loaded.');
    const chunks = await engine.chat.completions.create({ messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finishReason: string | null = null;
    let decodeTokensPerSecond: number | null = null;
    for await (const c of chunks) {
      const delta = c.choices[0]?.delta.content ?? '';
      if (delta) {
        text += delta;
        void onDelta(delta);
      }
      finishReason = c.choices[0]?.finish_reason ?? finishReason;
      if (c.usage?.extra?.decode_tokens_per_s !== undefined) decodeTokensPerSecond = c.usage.extra.decode_tokens_per_s;
    }
    return { text, finishReason, decodeTokensPerSecond };
  },

  interrupt(): void {
    engine?.interruptGenerate();
  },

  async unload(): Promise<void> {
    await engine?.unload();
    engine = undefined;
  },
};

export type WebLlmWorkerApi = typeof api;
Comlink.expose(api);
