/**
 * The WebLLM engine (`@mlc-ai/web-llm`) as the WebLLM worker hosts it; started only when the Chat page's WebLLM
 * panel loads a model. web-llm itself is imported lazily, so it is its own chunk.
 */
import type { MLCEngine } from '@mlc-ai/web-llm';
import type { WebLlmApi, WebLlmMessage, WebLlmProgress, WebLlmReply } from '../workerApi/webLlmApi.ts';

export function createWebLlmService(): WebLlmApi {
  let engine: MLCEngine | undefined;
  return {
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

    async chat(messages: WebLlmMessage[], onDelta: (text: string) => void): Promise<WebLlmReply> {
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

    async interrupt(): Promise<void> {
      engine?.interruptGenerate();
    },

    async unload(): Promise<void> {
      await engine?.unload();
      engine = undefined;
    },
  };
}
