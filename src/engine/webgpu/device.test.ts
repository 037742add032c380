/// <reference types="@webgpu/types" />
import { describe, expect, it } from 'vitest';
import { acquireGpu } from './device.ts';

const fakeGpu = (requestAdapter: () => Promise<unknown>) => ({ requestAdapter }) as unknown as GPU;

describe('acquireGpu', () => {
  it('says WebGPU is unavailable when there is no navigator.gpu (the UI then uses the CPU backend)', async () => {
    await expect(acquireGpu()).rejects.toMatchObject({ code: 'webgpu/unavailable', message: expect.stringMatching(/CPU backend will be used/) });
  });

  it('says so when there is no adapter, or asking for one fails', async () => {
    await expect(acquireGpu({ gpu: fakeGpu(async () => null) })).rejects.toMatchObject({ code: 'webgpu/unavailable', message: expect.stringMatching(/no adapter/) });
    await expect(acquireGpu({ gpu: fakeGpu(async () => Promise.reject(new Error('boom'))) })).rejects.toMatchObject({ code: 'webgpu/unavailable', message: expect.stringMatching(/boom/) });
  });

  it('says so when the adapter refuses a device', async () => {
    const adapter = { limits: { maxBufferSize: 1 << 30 }, features: new Set<string>(), info: {}, requestDevice: async () => Promise.reject(new Error('no device')) };
    await expect(acquireGpu({ gpu: fakeGpu(async () => adapter) })).rejects.toMatchObject({ code: 'webgpu/unavailable', message: expect.stringMatching(/no device/) });
  });
});
