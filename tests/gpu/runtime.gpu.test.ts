/**
 * The runtime on a real device: WebGPU validation errors surface as `webgpu/error` at the next read (not
 * silently wrong numbers), a destroyed backend says `engine/disposed`, the uniform arena starts over when its
 * slots run out, cached bind groups and deduplicated uniforms give the same results as fresh ones, host writes
 * stay ordered after the commands that use the buffer, and the WGSL loader bundles every file under shaders/.
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

  it('runs more distinct uniform contents than the arena has slots, across and within batches', async () => {
    const one = rt.upload(new Float32Array(8).fill(1));
    const acc = rt.upload(new Float32Array(8));
    // add.wgsl reads only P.n; the unused fields make each dispatch's uniforms distinct (2,500 > 1,024 slots)
    for (let i = 0; i < 2500; i++) {
      rt.run({ name: 'add', shader: ['add'], entryPoint: 'inplace', uniforms: [{ u32: 1 + (i % 8) }, { u32: i }, { u32: 0 }, { u32: 0 }], bindings: [{ binding: 2, buffer: one }, { binding: 3, buffer: acc }], dispatch: [1, 1, 1] });
      if (i === 1700) await rt.sync();
    }
    // element e is added to by every dispatch with n > e
    const want = Array.from({ length: 8 }, (_, e) => Array.from({ length: 2500 }, (_, i) => (1 + (i % 8) > e ? 1 : 0) as number).reduce((a, b) => a + b, 0));
    expect([...(await rt.readF32(acc, 8))]).toEqual(want);
  });

  it('reuses bind groups and uniform slots: a repeated sequence of dispatches creates nothing the second time', async () => {
    const a = rt.upload(Float32Array.of(1, 2, 3, 4));
    const b = rt.upload(Float32Array.of(10, 20, 30, 40));
    const out = rt.createBuffer(16);
    const step = (): void => {
      add(rt, a, b, out, 4);
      add(rt, out, b, a, 4);
    };
    step();
    await rt.sync();
    const created = rt.bindGroupsCreated;
    step();
    expect(rt.bindGroupsCreated).toBe(created);
    expect([...(await rt.readF32(a, 4))]).toEqual([41, 82, 123, 164]);
  });

  it('a host write waits for unsubmitted commands that use the buffer, and does not submit for others', async () => {
    const a = rt.upload(Float32Array.of(1, 2, 3, 4));
    const out = rt.createBuffer(16);
    const spare = rt.createBuffer(16);
    add(rt, a, a, out, 4);
    const submits = rt.submits;
    rt.write(spare, Float32Array.of(5, 5, 5, 5));
    expect(rt.submits).toBe(submits); // spare is not in the batch: no submit needed
    rt.write(a, Float32Array.of(100, 100, 100, 100)); // a is: the add must see the old values
    expect(rt.submits).toBe(submits + 1);
    expect([...(await rt.readF32(out, 4))]).toEqual([2, 4, 6, 8]);
    expect([...(await rt.readF32(spare, 4))]).toEqual([5, 5, 5, 5]);
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
