import { prebuiltAppConfig } from '@mlc-ai/web-llm';
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../core/errors.ts';
import { webLlmError } from './webLlmErrors.ts';
import { WEBLLM_MODELS, webLlmAvailability } from './webLlmModels.ts';

describe('WebLLM model list', () => {
  it('only offers ids of the installed prebuiltAppConfig, none needing shader-f16', () => {
    const records = new Map(prebuiltAppConfig.model_list.map((m) => [m.model_id, m]));
    expect(WEBLLM_MODELS.length).toBeGreaterThan(0);
    for (const m of WEBLLM_MODELS) {
      const r = records.get(m.id);
      expect(r, m.id).toBeDefined();
      expect(r?.required_features ?? []).not.toContain('shader-f16');
      expect(m.id).toMatch(/f32/);
      expect(Math.round(r?.vram_required_MB ?? 0)).toBeCloseTo(m.vramMB, -1);
    }
    expect(new Set(WEBLLM_MODELS.map((m) => m.id)).size).toBe(WEBLLM_MODELS.length);
  });
});

describe('webLlmAvailability', () => {
  it('is available only when the WebGPU probe found an adapter', () => {
    expect(webLlmAvailability({ status: 'ok' })).toEqual({ ok: true });
    expect(webLlmAvailability(undefined).ok).toBe(false);
    const missing = webLlmAvailability({ status: 'unavailable', reason: 'navigator.gpu is missing.' });
    expect(missing).toEqual({ ok: false, reason: 'WebLLM needs WebGPU, which is not available here. navigator.gpu is missing.' });
    expect(webLlmAvailability({ status: 'no-adapter', reason: 'x' }).ok).toBe(false);
    expect(webLlmAvailability({ status: 'error', reason: 'x' }).ok).toBe(false);
  });
});

describe('webLlmError', () => {
  it('says what kind of failure it was', () => {
    expect(webLlmError(new TypeError('Failed to fetch'), 'M').code).toBe('model/fetch');
    expect(webLlmError(new Error('This model requires WebGPU extension shader-f16'), 'M').code).toBe('webgpu/unavailable');
    expect(webLlmError(new Error('Device was lost'), 'M').code).toBe('webgpu/device-lost');
    expect(webLlmError(new Error('OOM while allocating'), 'M').code).toBe('webgpu/device-lost');
    const other = webLlmError(new Error('boom'), 'M');
    expect(isTributaryError(other) && other.code === 'webgpu/error' && other.subject === 'M').toBe(true);
  });
});
