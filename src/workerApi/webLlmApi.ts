/**
 * What the WebLLM worker (`workers/webllm.worker.ts`, hosting `services/webLlmService`) offers the page: an
 * optional second engine for larger adapter-less models, run on WebGPU by `@mlc-ai/web-llm`.
 */
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

export interface WebLlmMessage {
  role: 'user' | 'assistant' | 'system';
  content: string;
}

export interface WebLlmApi {
  /** Download (or read from web-llm's cache) and initialise `modelId`. */
  load(modelId: string, onProgress: (p: WebLlmProgress) => void): Promise<void>;
  /** Stream an answer to `messages`; `onDelta` gets each piece of text. */
  chat(messages: WebLlmMessage[], onDelta: (text: string) => void): Promise<WebLlmReply>;
  /** Stop the answer being generated. */
  interrupt(): Promise<void>;
  unload(): Promise<void>;
}
