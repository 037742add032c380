import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../../engine/cpu/cpuBackend.ts';
import type { GpuBackendHandle } from './backendChoice.ts';
import { BASE, makeEngine, ask } from './engine.testkit.ts';

describe('EngineService (CPU backend, generated demo folder)', () => {
  it('falls back to the CPU when the WebGPU device is lost, and says so', async () => {
    let lose!: (reason: string) => void;
    const fakeGpu = async (): Promise<GpuBackendHandle> => ({
      backend: createCpuBackend(),
      gpu: { vendor: 'test', architecture: 'swiftshader', device: '', description: '', isFallbackAdapter: true, hasF16: false },
      lost: new Promise<string>((r) => (lose = r)),
      destroy: () => undefined,
      loseDevice: () => lose('destroyed'),
    });
    const { engine } = makeEngine({ webgpu: fakeGpu });
    const info = await engine.init({ appBaseUrl: BASE });
    expect(info.name).toBe('webgpu');
    expect(info.reason).toMatch(/swiftshader.*fallback adapter/);
    await engine.ensureModel();
    const onGpu = await engine.chat('g1', ask, { maxTokens: 6, temperature: 0 });
    expect(onGpu.backend).toBe('webgpu');
    lose('unknown: the driver was reset');
    await new Promise((r) => setTimeout(r, 20));
    const s = await engine.stats();
    expect(s.backend!.name).toBe('cpu');
    expect(s.backend!.fallback!.reason).toMatch(/driver was reset/);
    expect(s.backend!.reason).toMatch(/switched to the CPU/);
    const onCpu = await engine.chat('g2', ask, { maxTokens: 6, temperature: 0 });
    expect(onCpu.backend).toBe('cpu');
    expect(onCpu.text).toBe(onGpu.text);
  });

  it('reports a WebGPU that cannot be used, and the CPU preference', async () => {
    const { engine } = makeEngine({
      webgpu: () => Promise.reject(Object.assign(new Error('no adapter'), {})),
    });
    const info = await engine.init({ appBaseUrl: BASE });
    expect(info.name).toBe('cpu');
    expect(info.reason).toMatch(/WebGPU could not be used: no adapter/);
    const s = await engine.setPrefs({ forceCpu: true });
    expect(s.backend!.reason).toMatch(/CPU was chosen in the engine settings/);
  });
});
