/**
 * The few WebLLM prebuilt models the Chat page offers (ids from `prebuiltAppConfig` of the installed
 * `@mlc-ai/web-llm`; a unit test checks they still exist). Only q4f32 builds: the f16 ones need the
 * `shader-f16` WebGPU feature, which many adapters lack. Sizes are web-llm's `vram_required_MB`.
 */
export interface WebLlmModel {
  id: string;
  label: string;
  vramMB: number;
}

export const WEBLLM_MODELS: readonly WebLlmModel[] = [
  { id: 'SmolLM2-360M-Instruct-q4f32_1-MLC', label: 'SmolLM2 360M Instruct (4-bit)', vramMB: 580 },
  { id: 'Qwen2.5-0.5B-Instruct-q4f32_1-MLC', label: 'Qwen2.5 0.5B Instruct (4-bit)', vramMB: 1060 },
  { id: 'Llama-3.2-1B-Instruct-q4f32_1-MLC', label: 'Llama 3.2 1B Instruct (4-bit)', vramMB: 1129 },
];

/** Whether the WebLLM panel can be used, from the page's WebGPU probe (`probeWebGpu`). */
export type WebLlmAvailability = { ok: true } | { ok: false; reason: string };

export function webLlmAvailability(probe: { status: string; reason?: string } | undefined): WebLlmAvailability {
  if (!probe) return { ok: false, reason: 'Checking for WebGPU…' };
  if (probe.status === 'ok') return { ok: true };
  return { ok: false, reason: `WebLLM needs WebGPU, which is not available here. ${probe.reason ?? ''}`.trim() };
}
