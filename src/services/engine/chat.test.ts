import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../workerApi/engineApi.ts';
import { TributaryError } from '../../core/errors.ts';
import { createCpuBackend } from '../../engine/cpu/cpuBackend.ts';
import { listAdapters } from '../../store/adapters.ts';
import type { GpuBackendHandle } from './backendChoice.ts';
import { BASE, makeEngine, ask } from './engine.testkit.ts';

describe('EngineService (CPU backend, generated demo folder)', () => {
  it('streams an answer; the same seed gives the same answer, an adapter a different one, labelled', async () => {
    const { engine, db } = makeEngine();
    await engine.init({ appBaseUrl: BASE });
    await engine.ensureModel();
    const events: ChatEvent[] = [];
    const a = await engine.chat('r1', ask, { maxTokens: 12, temperature: 0.8, seed: 7 }, (e) => events.push(e));
    expect(a.generated).toBeGreaterThan(0);
    expect(a.adapterId).toBeNull();
    expect(a.backend).toBe('cpu');
    expect(a.seed).toBe(7);
    expect(events[0]!.type).toBe('start');
    const streamed = events.filter((e): e is Extract<ChatEvent, { type: 'token' }> => e.type === 'token');
    expect(streamed.map((e) => e.text).join('')).toBe(a.text);
    expect(streamed.at(-1)!.generated).toBe(a.generated);
    if (a.generated > 1) expect(a.tokensPerSecond).toBeGreaterThan(0);
    const again = await engine.chat('r2', ask, { maxTokens: 12, temperature: 0.8, seed: 7 });
    expect(again.text).toBe(a.text);
    const [alpha] = await listAdapters(db);
    const withAdapter = await engine.chat('r3', ask, { maxTokens: 12, temperature: 0.8, seed: 7, adapterId: alpha!.id });
    expect(withAdapter.adapterName).toBe('Alpha');
    expect(withAdapter.text).not.toBe(a.text);
    const stats = await engine.stats();
    expect(stats.pool!.residentIds).toEqual([alpha!.id]);
    // the speed figure names the backend that produced it
    expect(stats.lastSpeed).toEqual({ tokensPerSecond: withAdapter.tokensPerSecond ?? again.tokensPerSecond, backend: withAdapter.backend });
  });

  it('batches concurrent answers on different adapters, each as it would be alone (greedy)', async () => {
    const { engine, db } = makeEngine();
    await engine.init({ appBaseUrl: BASE });
    await engine.ensureModel();
    const ids = (await listAdapters(db)).map((a) => a.id);
    const opts = (adapterId: string | null) => ({ maxTokens: 8, temperature: 0, adapterId });
    const alone = [];
    for (const id of [null, ...ids]) alone.push((await engine.chat(`a-${id}`, ask, opts(id))).text);
    const together = await Promise.all([null, ...ids].map((id) => engine.chat(`b-${id}`, ask, opts(id))));
    expect(together.map((r) => r.text)).toEqual(alone);
    expect(new Set(alone).size).toBeGreaterThan(1);
  });

  it('cancels a running answer', async () => {
    const { engine } = makeEngine();
    await engine.init({ appBaseUrl: BASE });
    await engine.ensureModel();
    const p = engine.chat('long', ask, { maxTokens: 150, temperature: 1, seed: 1 }, (e) => {
      if (e.type === 'token' && e.generated === 3) void engine.cancel('long');
    });
    const r = await p;
    expect(r.finishReason).toBe('abort');
    expect(r.generated).toBeLessThan(150);
    expect(await engine.cancel('long')).toBe(false);
  });

  it('answers again on the CPU when WebGPU fails before the first token, and fails an answer it had begun', async () => {
    let failReads = false;
    const fakeGpu = async (): Promise<GpuBackendHandle> => {
      const cpu = createCpuBackend();
      const backend = {
        ...cpu,
        name: 'webgpu' as const,
        read: (t: Parameters<typeof cpu.read>[0], o?: number, n?: number) =>
          failReads ? Promise.reject(new TributaryError('webgpu/device-lost', 'The GPU device was lost (test).')) : cpu.read(t, o, n),
      };
      return { backend, gpu: { vendor: 'test', architecture: '', device: '', description: '', isFallbackAdapter: false, hasF16: false }, lost: new Promise<string>(() => {}), destroy: () => undefined, loseDevice: () => undefined };
    };
    const { engine } = makeEngine({ webgpu: fakeGpu });
    await engine.init({ appBaseUrl: BASE });
    await engine.ensureModel();
    const onGpu = await engine.chat('e1', ask, { maxTokens: 5, temperature: 0 });
    expect(onGpu.generated).toBeGreaterThan(1);
    expect((await engine.stats()).lastSpeed).toEqual({ tokensPerSecond: onGpu.tokensPerSecond, backend: 'webgpu' });
    failReads = true;
    const retried = await engine.chat('e2', ask, { maxTokens: 5, temperature: 0 });
    expect(retried.backend).toBe('cpu');
    expect(retried.text).toBe(onGpu.text);
    const s = await engine.stats();
    expect(s.backend!.fallback!.reason).toMatch(/WebGPU failed while answering/);
    // the CPU's figure is the CPU's, never WebGPU's
    expect(s.lastSpeed).toEqual({ tokensPerSecond: retried.tokensPerSecond, backend: 'cpu' });

    // a second engine fails mid-answer: the answer is refused (its start was shown), the next one runs on the CPU
    failReads = false;
    const second = makeEngine({ webgpu: fakeGpu });
    await second.engine.init({ appBaseUrl: BASE });
    await second.engine.ensureModel();
    await expect(
      second.engine.chat('e3', ask, { maxTokens: 8, temperature: 0 }, (e) => {
        if (e.type === 'token' && e.generated === 2) failReads = true;
      }),
    ).rejects.toMatchObject({ code: 'webgpu/device-lost', message: expect.stringMatching(/Regenerate/) });
    failReads = false;
    expect((await second.engine.chat('e4', ask, { maxTokens: 5, temperature: 0 })).backend).toBe('cpu');
  });
});
