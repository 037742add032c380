/**
 * The runtime's failure paths on a real device: WebGPU validation errors surface as `webgpu/error` at the
 * next read (not silently wrong numbers), a destroyed backend says `engine/disposed`, the uniform arena
 * rolls over after 256 dispatches in one batch, and the WGSL loader bundles every file under shaders/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { GpuRuntime } from '../../src/engine/webgpu/runtime.ts';
import { add } from '../../src/engine/webgpu/ops/add.ts';
import { bundledShaderNames, readShaderFromDisk, wgsl } from '../../src/engine/webgpu/shaders.ts';
import { createTestRuntime, describeGpu, withTimeout } from './gpu.ts';

describeGpu('GpuRuntime on Dawn + SwiftShader', () => {
  let rt: GpuRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime();
  });
  afterAll(() => rt?.destroy());

  it('reports the adapter (SwiftShader: a fallback adapter without shader-f16)', () => {
    expect(rt.info.limits.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16384);
    expect(rt.info.hasF16).toBe(rt.info.features.includes('shader-f16'));
  });

  it('turns a WebGPU validation error into webgpu/error at the next read', async () => {
    const buf = rt.createBuffer(16);
    // binding 2 ('b') missing: createBindGroup fails validation
    rt.run({ name: 'broken', shader: ['add'], uniforms: [{ u32: 4 }, { u32: 0 }, { u32: 0 }, { u32: 0 }], bindings: [{ binding: 1, buffer: buf }, { binding: 3, buffer: rt.createBuffer(16) }], dispatch: [1, 1, 1] });
    await expect(withTimeout(rt.readF32(buf, 4))).rejects.toMatchObject({ code: 'webgpu/error' });
    // the runtime keeps working afterwards
    const a = rt.upload(Float32Array.of(1, 2, 3, 4));
    const out = rt.createBuffer(16);
    add(rt, a, a, out, 4);
    expect([...(await rt.readF32(out, 4))]).toEqual([2, 4, 6, 8]);
  });

  it('runs more dispatches than the uniform arena holds in one batch', async () => {
    const acc = rt.upload(new Float32Array(8));
    const one = rt.upload(new Float32Array(8).fill(1));
    for (let i = 0; i < 600; i++) add(rt, acc, one, acc, 8);
    expect([...(await rt.readF32(acc, 8))]).toEqual(new Array(8).fill(600));
  });

  it('bundles every shader file, identical to the file on disk', () => {
    const names: string[] = [];
    const walk = (dir: string, prefix: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name), `${prefix}${e.name}/`);
        else if (e.name.endsWith('.wgsl')) names.push(prefix + e.name.slice(0, -5));
      }
    };
    walk('shaders', '');
    expect(names.length).toBeGreaterThanOrEqual(15);
    // under vitest the Vite glob import is live, as in the app's build
    expect(bundledShaderNames()).toEqual([...names].sort());
    for (const n of names) {
      const disk = readFileSync(join('shaders', `${n}.wgsl`), 'utf8');
      expect(wgsl(n), n).toBe(disk);
      expect(readShaderFromDisk(n), n).toBe(disk);
    }
    expect(() => wgsl('no-such-kernel')).toThrow(/missing/);
  });

  it('refuses work after destroy', async () => {
    const other = await createTestRuntime();
    other.destroy();
    expect(() => other.createBuffer(4)).toThrow(expect.objectContaining({ code: 'engine/disposed' }));
  });
});
