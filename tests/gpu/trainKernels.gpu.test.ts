/**
 * What the training kernels (shaders/train/*.wgsl) do beyond the `TrainOps` interface (whose every op is compared
 * with the CPU TrainOps in trainOps.gpu.test.ts): gemm's transposes / alpha / overwrite, both matmul_dx kernels
 * through every weight format (f16 included), the embedding scatter-add's bits on a second run, the cross-entropy's weighted total, RoPE backward as the
 * inverse rotation, dropout's mask bit for bit, and the scale / fill / clip helpers. Tolerances as in
 * shaders/README.md: products 1e-5·√K·(1 + |ref|).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ropeInvFreq } from '../../src/engine/cpu/kernels/rope.ts';
import { createCpuTrainOps } from '../../src/engine/train/cpu/cpuTrainOps.ts';
import { dropoutKeep } from '../../src/engine/train/trainOps.ts';
import type { GpuRuntime } from '../../src/engine/webgpu/runtime.ts';
import { uploadMatrix } from '../../src/engine/webgpu/matrix.ts';
import { rope, ropeTable } from '../../src/engine/webgpu/ops/rope.ts';
import { gemm } from '../../src/engine/webgpu/train/gemm.ts';
import { matmulDx, matmulDxVariant } from '../../src/engine/webgpu/train/matmulDx.ts';
import { embeddingBackward, groupRowsByToken } from '../../src/engine/webgpu/train/embeddingBackward.ts';
import { crossEntropy, lossRowWeights } from '../../src/engine/webgpu/train/crossEntropy.ts';
import { clipByNorm, fill, gradNormAdd, scale } from '../../src/engine/webgpu/train/gradNorm.ts';
import { dropout, dropoutBackward } from '../../src/engine/webgpu/train/dropout.ts';
import { ropeBackward, ropeBackwardTable } from '../../src/engine/webgpu/train/ropeBackward.ts';
import { createTestRuntime, describeGpu } from './gpu.ts';
import { cpuView, expectClose, expectSame, makeMatrix, randn, rng } from './check.ts';

const mmTol = (K: number) => ({ abs: 1e-5 * Math.sqrt(K), rel: 1e-5 * Math.sqrt(K) });

describeGpu('training kernels: what TrainOps does not reach', () => {
  let rt: GpuRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime();
  });
  afterAll(() => rt?.destroy());

  const zeros = (n: number) => rt.upload(new Float32Array(n));

  it('gemm: every transpose, alpha, accumulate and overwrite, edge sizes', async () => {
    for (const [M, N, K] of [
      [1, 1, 1],
      [5, 7, 3],
      [17, 33, 64],
      [64, 8, 130],
    ] as const) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const accumulate of [false, true]) {
            const rand = rng(M * 1000 + N * 10 + K + (transA ? 1 : 0) + (transB ? 2 : 0));
            const a = randn(rand, M * K);
            const b = randn(rand, K * N);
            const c0 = randn(rand, M * N);
            // the reference: op(a)[m, k] · op(b)[k, n] summed in f64
            const want = new Float32Array(M * N);
            for (let m = 0; m < M; m++) {
              for (let n = 0; n < N; n++) {
                let s = 0;
                for (let k = 0; k < K; k++) s += (transA ? a[k * M + m]! : a[m * K + k]!) * (transB ? b[n * K + k]! : b[k * N + n]!);
                want[m * N + n] = (accumulate ? c0[m * N + n]! : 0) + 0.75 * s;
              }
            }
            const gc = rt.upload(c0);
            gemm(rt, { a: rt.upload(a), b: rt.upload(b), c: gc, M, N, K, transA, transB, alpha: 0.75, accumulate });
            expectClose(await rt.readF32(gc, M * N), want, mmTol(K), `gemm ${M}x${N}x${K} tA=${transA} tB=${transB} acc=${accumulate}`);
          }
        }
      }
    }
    expect(() => gemm(rt, { a: zeros(4), b: zeros(4), c: zeros(4), M: 2, N: 2, K: 2, alpha: NaN })).toThrow(/alpha/);
  });

  it('matmulDx, both kernels (vec4, scalar), through f32 / f16 / int8 / int4 weights, overwrite and accumulate', async () => {
    const cpu = createCpuTrainOps();
    for (const kind of ['f32', 'f16', 'q8', 'q4'] as const) {
      for (const [T, N, K] of [
        [1, 8, 64],
        [13, 132, 96],
        [9, 129, 64],
      ] as const) {
        const rand = rng(T + N + K);
        const w = makeMatrix(kind, randn(rand, N * K, 0.5), N, K);
        const dy = randn(rand, T * N);
        const base = randn(rand, T * K);
        // the CPU TrainOps on the same weights (f16 halves widened to f32: what the GPU computes with)
        const ref = cpu.upload(base.slice(), [T, K]);
        cpu.matmulGradInput(cpu.upload(dy, [T, N]), T, cpu.uploadFrozen(cpuView(w)), ref);
        const want = await cpu.read(ref);
        const gw = uploadMatrix(rt, w);
        for (const variant of N % 4 === 0 ? (['vec4', 'scalar'] as const) : (['scalar'] as const)) {
          const acc = rt.upload(base);
          matmulDx(rt, rt.upload(dy), T, gw, acc, true, variant);
          expectClose(await rt.readF32(acc, T * K), want, mmTol(N), `matmulDx ${variant} ${kind} accumulate T=${T} N=${N}`);
          const dx = rt.upload(randn(rand, T * K));
          matmulDx(rt, rt.upload(dy), T, gw, dx, false, variant);
          const got = await rt.readF32(dx, T * K);
          expectClose(got.map((v, i) => v + base[i]!), want, mmTol(N), `matmulDx ${variant} ${kind} T=${T} N=${N}`);
        }
      }
    }
    expect(matmulDxVariant({ rows: 129, cols: 64 })).toBe('scalar');
    expect(() => matmulDx(rt, zeros(129), 1, uploadMatrix(rt, makeMatrix('f32', new Float32Array(129 * 64), 129, 64)), zeros(64), false, 'vec4')).toThrow(/multiples of 4/);
  });

  it('embedding backward: rows grouped on the host, the same bits on a second run', async () => {
    const V = 50;
    const d = 37;
    const tokens = Int32Array.from([3, 7, 3, 49, 0, 3, 7, 12, 12, 12, 12, 5, 3, 0]);
    const grp = groupRowsByToken(tokens, V);
    expect(grp.U).toBe(new Set(tokens).size);
    expect(Array.from(grp.groups)).toEqual([0, 3, 5, 7, 12, 49]);
    expect(Array.from(grp.rows.subarray(grp.starts[1]!, grp.starts[2]!))).toEqual([0, 2, 5, 12]);
    const rand = rng(7);
    const dy = randn(rand, tokens.length * d);
    const table0 = randn(rand, V * d);
    const g = { U: grp.U, groups: rt.upload(grp.groups), starts: rt.upload(grp.starts), rows: rt.upload(grp.rows) };
    const runs: Float32Array[] = [];
    for (let r = 0; r < 2; r++) {
      const tab = rt.upload(table0);
      embeddingBackward(rt, rt.upload(dy), d, g, tab, V);
      runs.push(await rt.readF32(tab, V * d));
    }
    expectSame(runs[1]!, runs[0]!, 'embedding backward twice');
    expect(() => groupRowsByToken(Int32Array.of(1, 50), V)).toThrow(/outside the vocabulary/);
  });

  it('cross-entropy total: Σ weight · row loss on the device (the masked mean with lossRowWeights)', async () => {
    const [T, V] = [9, 4099];
    const rand = rng(T + V);
    const logits = randn(rand, T * V, 6);
    const targets = Int32Array.from({ length: T }, (_, t) => (t === 3 ? -100 : Math.floor(rand() * V)));
    const mask = Float32Array.from({ length: T }, (_, t) => (t === 0 ? 0 : 1));
    const weights = lossRowWeights(mask, targets);
    expect(weights[0]).toBe(0);
    expect(weights[3]).toBe(0);
    expect(weights[1]).toBeCloseTo(1 / 7, 7);
    const rows = zeros(T);
    const total = zeros(1);
    crossEntropy(rt, { logits: rt.upload(logits), T, V, targets: rt.upload(targets), rowWeight: rt.upload(weights), lse: zeros(T), lossRows: rows, dlogits: zeros(T * V), loss: total });
    const r = await rt.readF32(rows, T);
    const [got] = await rt.readF32(total, 1);
    let want = 0;
    for (let t = 0; t < T; t++) want += weights[t]! * r[t]!;
    expect(Math.abs(got! - want)).toBeLessThanOrEqual(1e-6 * Math.abs(want));
    expect(lossRowWeights([0, 0], Int32Array.of(1, 2))).toEqual(new Float32Array(2));
  });

  it('RoPE backward (rope.wgsl over the transposed table) undoes the forward rotation', async () => {
    const [T, nH, hd] = [9, 3, 32];
    const inv = ropeInvFreq(hd, 10000);
    const gp = rt.upload(Int32Array.from({ length: T }, (_, t) => t * 3));
    const g = randn(rng(5), T * nH * hd);
    const x = rt.upload(g);
    rope(rt, x, T, nH, hd, gp, ropeTable(rt, inv, 64));
    const rotated = await rt.readF32(x, g.length);
    expect(Math.max(...rotated.map((v, i) => Math.abs(v - g[i]!)))).toBeGreaterThan(0.1);
    ropeBackward(rt, x, T, nH, hd, gp, ropeBackwardTable(rt, inv, 64));
    expectClose(await rt.readF32(x, g.length), g, { abs: 2e-6, rel: 0 }, 'rope then its backward');
  });

  it('dropout: the mask of dropoutKeep bit for bit (p = 0, 0.1, 0.5), backward adds through the same mask', async () => {
    const n = 20_000;
    const rand = rng(3);
    const x = randn(rand, n);
    for (const [p, seed] of [
      [0.1, 7],
      [0.5, 123456789],
      [0, 1],
    ] as const) {
      const y = zeros(n);
      dropout(rt, rt.upload(x), y, n, p, seed);
      const want = x.map((v, i) => (dropoutKeep(seed, i, p) ? v * Math.fround(1 / (1 - p)) : 0));
      expectSame(await rt.readF32(y, n), want, `dropout p=${p}`);
      const dx0 = randn(rand, n);
      const dx = rt.upload(dx0);
      dropoutBackward(rt, rt.upload(x), dx, n, p, seed);
      expectSame(await rt.readF32(dx, n), dx0.map((d, i) => Math.fround(d + want[i]!)), `dropout backward p=${p}`);
    }
    expect(() => dropout(rt, zeros(4), zeros(4), 4, 1, 0)).toThrow(/\[0, 1\)/);
  });

  it('scale, fill and clip by the device-held squared norm', async () => {
    const rand = rng(11);
    const g = randn(rand, 1000);
    const normSq = zeros(1);
    const partials = zeros(4);
    gradNormAdd(rt, rt.upload(g), 1000, partials, normSq);
    const [sq] = await rt.readF32(normSq, 1);
    const x = rt.upload(g);
    scale(rt, x, 1000, 0.25);
    expectSame(await rt.readF32(x, 1000), g.map((v) => v * 0.25), 'scale');
    clipByNorm(rt, x, 1000, 10, normSq);
    const f = Math.min(1, 10 / (Math.sqrt(sq!) + 1e-6));
    expect(f).toBeLessThan(1);
    expectClose(await rt.readF32(x, 1000), g.map((v) => v * 0.25 * f), { abs: 0, rel: 1e-6 }, 'clip by norm');
    fill(rt, x, 1000, -1.5);
    expectSame(await rt.readF32(x, 1000), new Float32Array(1000).fill(-1.5), 'fill');
  });
});
