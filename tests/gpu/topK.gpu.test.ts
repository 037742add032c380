/**
 * topK (shaders/topk.wgsl) on WebGPU vs its CPU twin (src/engine/cpu/kernels/topK.ts).
 * Tolerance: exact — ids and vals bit-for-bit equal (vals compared with Object.is, so -0 / +0 and the -inf
 * fill count), covering a 49,152 vocabulary, 32 rows at once, V < 256 with K = V, V not a multiple of 256,
 * heavy ties, NaN / ±Infinity / -0 / subnormal entries, rows with fewer than K non-NaN values, and K = 1
 * against argmax.wgsl.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { topK as cpuTopK } from '../../src/engine/cpu/kernels/topK.ts';
import type { GpuRuntime } from '../../src/engine/webgpu/runtime.ts';
import { topK } from '../../src/engine/webgpu/ops/topK.ts';
import { argmax } from '../../src/engine/webgpu/ops/argmax.ts';
import { createTestRuntime, describeGpu } from './gpu.ts';
import { expectSame, randn, rng } from './check.ts';

describeGpu('topK on WebGPU vs the CPU twin (exact)', () => {
  let rt: GpuRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime();
  });
  afterAll(() => rt?.destroy());

  async function check(logits: Float32Array, T: number, V: number, K: number, what: string): Promise<Int32Array> {
    const wantIds = new Int32Array(T * K);
    const wantVals = new Float32Array(T * K);
    cpuTopK(logits, T, V, K, wantIds, wantVals);
    const ids = rt.createBuffer(T * K * 4);
    const vals = rt.createBuffer(T * K * 4);
    topK(rt, rt.upload(logits), T, V, K, ids, vals);
    const [gotIds, gotVals] = await Promise.all([rt.readI32(ids, T * K), rt.readF32(vals, T * K)]);
    expectSame(gotIds, wantIds, `${what} ids`);
    expectSame(gotVals, wantVals, `${what} vals`);
    return gotIds;
  }

  it('T=1 V=49152 K=64', async () => {
    await check(randn(rng(1), 49152, 10), 1, 49152, 64, 'T=1 V=49152 K=64');
  });

  it('T=32 V=4096 K=40', async () => {
    await check(randn(rng(2), 32 * 4096, 5), 32, 4096, 40, 'T=32 V=4096 K=40');
  });

  it('V < 256 (V = K = 100), V not a multiple of 256 (V = 1000, 257)', async () => {
    await check(randn(rng(3), 3 * 100), 3, 100, 100, 'V=100 K=100');
    await check(randn(rng(4), 3 * 100), 3, 100, 7, 'V=100 K=7');
    await check(randn(rng(5), 4 * 1000), 4, 1000, 64, 'V=1000 K=64');
    await check(randn(rng(6), 2 * 257), 2, 257, 257 - 1, 'V=257 K=256');
  });

  it('heavy ties (values on a few levels, whole rows equal)', async () => {
    const rand = rng(7);
    const [T, V] = [6, 3000];
    const logits = Float32Array.from({ length: T * V }, () => Math.round(rand() * 4) - 2);
    logits.fill(1.5, 5 * V, 6 * V); // a row of equal values: ids 0..K-1
    const ids = await check(logits, T, V, 64, 'ties K=64');
    expect(Array.from(ids.subarray(5 * 64, 6 * 64))).toEqual(Array.from({ length: 64 }, (_, i) => i));
    await check(logits, T, V, 256, 'ties K=256');
  });

  it('NaN, ±Infinity, -0 / +0, subnormals; rows with fewer than K non-NaN values', async () => {
    const rand = rng(8);
    const [T, V, K] = [5, 600, 48];
    const logits = randn(rand, T * V, 3);
    for (let i = 0; i < T * V; i++) {
      const u = rand();
      if (u < 0.1) logits[i] = NaN;
      else if (u < 0.15) logits[i] = -Infinity;
      else if (u < 0.16) logits[i] = Infinity;
      else if (u < 0.2) logits[i] = rand() < 0.5 ? -0 : 0;
      else if (u < 0.22) logits[i] = (rand() - 0.5) * 1e-40; // subnormal
    }
    // row 3: 10 NaN-free values only (of which 3 are -inf); row 4: all NaN
    for (let v = 0; v < V; v++) logits[3 * V + v] = NaN;
    for (let j = 0; j < 10; j++) logits[3 * V + j * 37] = j < 3 ? -Infinity : j - 5;
    logits.fill(NaN, 4 * V, 5 * V);
    const ids = await check(logits, T, V, K, 'special values');
    expect(ids[3 * K + 10]).toBe(-1);
    expect(Array.from(ids.subarray(4 * K, 5 * K)).every((i) => i === -1)).toBe(true);
    // ±0 at the top, then subnormals: -0 and +0 tie (lower id first, each keeps its sign), subnormals ordered
    const levels = [-0, 0, -1e-42, -2e-42, -1];
    const zeros = Float32Array.from({ length: 2 * V }, () => levels[Math.floor(rand() * levels.length)]!);
    zeros.fill(1e-42, V + 500, 2 * V); // row 1: positive subnormals first
    const zIds = await check(zeros, 2, V, 4 * K, '±0 and subnormals');
    const top = Array.from(zIds.subarray(0, 4 * K), (i) => zeros[i]!);
    expect(top.some((x) => Object.is(x, -0)) && top.some((x) => Object.is(x, 0))).toBe(true);
    expect(Array.from(zIds.subarray(4 * K, 4 * K + 100))).toEqual(Array.from({ length: 100 }, (_, i) => 500 + i));
  });

  it('K = 1 agrees with argmax.wgsl', async () => {
    const rand = rng(9);
    const [T, V] = [8, 5000];
    const logits = Float32Array.from({ length: T * V }, () => Math.round(rand() * 20));
    logits[2 * V + 7] = NaN;
    logits[3 * V + 4999] = 100;
    const g = rt.upload(logits);
    const ids = await check(logits, T, V, 1, 'K=1');
    const out = rt.createBuffer(T * 4);
    argmax(rt, g, T, V, out);
    expect(Array.from(ids)).toEqual(Array.from(await rt.readU32(out, T)));
  });

  it('refuses K > min(256, V) and short buffers', () => {
    const l = rt.createBuffer(4 * 300);
    expect(() => topK(rt, l, 1, 300, 257, rt.createBuffer(4 * 257), rt.createBuffer(4 * 257))).toThrow(/K must be/);
    expect(() => topK(rt, l, 1, 100, 101, rt.createBuffer(4 * 101), rt.createBuffer(4 * 101))).toThrow(/K must be/);
    expect(() => topK(rt, l, 1, 300, 0, rt.createBuffer(4), rt.createBuffer(4))).toThrow(/K must be/);
    expect(() => topK(rt, l, 1, 300, 8, rt.createBuffer(4 * 7), rt.createBuffer(4 * 8))).toThrow(/ids/);
    expect(() => topK(rt, l, 2, 300, 8, rt.createBuffer(4 * 16), rt.createBuffer(4 * 16))).toThrow(/logits/);
  });
});
