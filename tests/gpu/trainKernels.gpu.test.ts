/**
 * The training kernels (shaders/train/*.wgsl) on WebGPU vs their CPU twins (src/engine/webgpu/train/cpuTwins.ts).
 * Tolerances (|gpu − cpu| ≤ abs + rel·|cpu|), as in shaders/README.md:
 * - gemm, matmulDx (f32 / f16 / int8 / int4 weights), LoRA forward and backward: 1e-5·√K·(1 + |cpu|), K the summed
 *   length (f32 sums in order on the GPU, f64 on the CPU) — the inference matmul's tolerance;
 * - rmsNorm backward: dx 1e-5·(1 + |cpu|) (two f32 sums over d), dw 1e-5·√T·(1 + |cpu|);
 * - siluMul backward: 1e-6 + 4e-6·|cpu| (GPU exp);
 * - embedding backward: 1e-6·(number of repeats) + 1e-6·|cpu|, and bit-identical on a second run;
 * - cross-entropy: loss 1e-6·(1 + log V), dlogits 1e-7 + 1e-5·|cpu|;
 * - attention forward: out 2e-6 + 2e-5·|cpu| (the inference attention's), lse 1e-5·(1 + |cpu|);
 *   backward: 1e-5 + 1e-4·|cpu| (exp of a recomputed score: each probability within ~1e-6 relative);
 * - RoPE backward: 1e-6 + 1e-6·|cpu| (rope.wgsl against ropeInPlace at negated positions); forward then backward
 *   gives back the input within 2e-6;
 * - AdamW: 1e-6·(1 + |cpu|) after 3 steps; gradient norm 1e-5 relative; clip factor 1e-5 relative.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ropeInPlace, ropeInvFreq } from '../../src/engine/cpu/kernels/rope.ts';
import type { GpuRuntime } from '../../src/engine/webgpu/runtime.ts';
import { uploadMatrix } from '../../src/engine/webgpu/matrix.ts';
import { rope, ropeTable } from '../../src/engine/webgpu/ops/rope.ts';
import { gemm } from '../../src/engine/webgpu/train/gemm.ts';
import { matmulDx } from '../../src/engine/webgpu/train/matmulDx.ts';
import { rmsNormBackward, rmsNormForward } from '../../src/engine/webgpu/train/rmsNormTrain.ts';
import { rmsNorm as cpuRmsNorm } from '../../src/engine/cpu/kernels/rmsNorm.ts';
import { dropout, dropoutBackward } from '../../src/engine/webgpu/train/dropout.ts';
import { dropoutKeep } from '../../src/engine/train/trainOps.ts';
import { siluMulBackward } from '../../src/engine/webgpu/train/siluMulBackward.ts';
import { embeddingBackward, groupRowsByToken } from '../../src/engine/webgpu/train/embeddingBackward.ts';
import { crossEntropy, lossRowWeights } from '../../src/engine/webgpu/train/crossEntropy.ts';
import { attentionBackward, attentionTrainForward } from '../../src/engine/webgpu/train/attentionTrain.ts';
import { adamw } from '../../src/engine/webgpu/train/adamw.ts';
import { clipByNorm, fill, gradNormAdd, scale } from '../../src/engine/webgpu/train/gradNorm.ts';
import { ropeBackward, ropeBackwardTable } from '../../src/engine/webgpu/train/ropeBackward.ts';
import { loraBackward, loraForward } from '../../src/engine/webgpu/train/loraTrain.ts';
import {
  adamwCpu,
  attentionBackwardCpu,
  attentionForwardCpu,
  clipFactorCpu,
  crossEntropyCpu,
  embeddingBackwardCpu,
  gemmCpu,
  gradNormSqCpu,
  loraBackwardCpu,
  loraForwardCpu,
  matmulDxCpu,
  rmsNormBackwardCpu,
  siluMulBackwardCpu,
} from '../../src/engine/webgpu/train/cpuTwins.ts';
import { createTestRuntime, describeGpu } from './gpu.ts';
import { cpuView, expectClose, expectSame, makeMatrix, randn, rng } from './check.ts';

const mmTol = (K: number) => ({ abs: 1e-5 * Math.sqrt(K), rel: 1e-5 * Math.sqrt(K) });

describeGpu('training kernels on WebGPU vs their CPU twins', () => {
  let rt: GpuRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime();
  });
  afterAll(() => rt?.destroy());

  const zeros = (n: number) => rt.upload(new Float32Array(n));

  it('gemm: every transpose, alpha, accumulate, edge sizes', async () => {
    for (const [M, N, K] of [
      [1, 1, 1],
      [5, 7, 3],
      [17, 33, 64],
      [64, 8, 130],
    ] as const) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const rand = rng(M * 1000 + N * 10 + K + (transA ? 1 : 0) + (transB ? 2 : 0));
          const a = randn(rand, M * K);
          const b = randn(rand, K * N);
          const c0 = randn(rand, M * N);
          const want = c0.slice();
          gemmCpu(a, b, want, M, N, K, { transA, transB, alpha: 0.75, accumulate: true });
          const gc = rt.upload(c0);
          gemm(rt, { a: rt.upload(a), b: rt.upload(b), c: gc, M, N, K, transA, transB, alpha: 0.75, accumulate: true });
          expectClose(await rt.readF32(gc, M * N), want, mmTol(K), `gemm ${M}x${N}x${K} tA=${transA} tB=${transB}`);
        }
      }
    }
    expect(() => gemm(rt, { a: zeros(4), b: zeros(4), c: zeros(4), M: 2, N: 2, K: 2, alpha: NaN })).toThrow(/alpha/);
  });

  it('matmulDx through f32, f16, int8 and int4 weights (QLoRA), overwrite and accumulate', async () => {
    for (const kind of ['f32', 'f16', 'q8', 'q4'] as const) {
      for (const [T, N, K] of [
        [1, 8, 64],
        [7, 40, 96],
        [13, 129, 64],
      ] as const) {
        const rand = rng(T + N + K);
        const w = makeMatrix(kind, randn(rand, N * K, 0.5), N, K);
        const dy = randn(rand, T * N);
        const base = randn(rand, T * K);
        const want = new Float32Array(T * K);
        matmulDxCpu(dy, T, cpuView(w), want);
        const gw = uploadMatrix(rt, w);
        const gdy = rt.upload(dy);
        const dx = zeros(T * K);
        matmulDx(rt, gdy, T, gw, dx);
        expectClose(await rt.readF32(dx, T * K), want, mmTol(N), `matmulDx ${kind} T=${T} N=${N} K=${K}`);
        const acc = rt.upload(base);
        matmulDx(rt, gdy, T, gw, acc, true);
        const wantAcc = base.map((b, i) => b + want[i]!);
        expectClose(await rt.readF32(acc, T * K), wantAcc, mmTol(N), `matmulDx accumulate ${kind}`);
      }
    }
  });

  it('LoRA forward and backward (dA, dB, dx through the adapter, scale alpha/r)', async () => {
    for (const [T, inDim, outDim, rank] of [
      [5, 64, 32, 4],
      [16, 96, 160, 8],
    ] as const) {
      const rand = rng(T * inDim + rank);
      const m = { x: randn(rand, T * inDim), T, inDim, outDim, rank, scale: 16 / rank, A: randn(rand, rank * inDim, 0.2), B: randn(rand, outDim * rank, 0.2) };
      const y0 = randn(rand, T * outDim);
      const dy = randn(rand, T * outDim);
      const dx0 = randn(rand, T * inDim);
      const u = new Float32Array(T * rank);
      const y = y0.slice();
      loraForwardCpu(m, u, y);
      const dA = new Float32Array(rank * inDim);
      const dB = new Float32Array(outDim * rank);
      const dx = dx0.slice();
      loraBackwardCpu(m, u, dy, dA, dB, dx);
      const g = { ...m, x: rt.upload(m.x), A: rt.upload(m.A), B: rt.upload(m.B) };
      const gu = zeros(T * rank);
      const gy = rt.upload(y0);
      loraForward(rt, g, gu, gy);
      const gdA = zeros(rank * inDim);
      const gdB = zeros(outDim * rank);
      const gdx = rt.upload(dx0);
      loraBackward(rt, g, gu, rt.upload(dy), zeros(T * rank), gdA, gdB, gdx);
      const K = Math.max(inDim, outDim, T);
      expectClose(await rt.readF32(gu, T * rank), u, mmTol(inDim), 'lora u');
      expectClose(await rt.readF32(gy, T * outDim), y, mmTol(inDim), 'lora y');
      expectClose(await rt.readF32(gdA, rank * inDim), dA, mmTol(K), 'lora dA');
      expectClose(await rt.readF32(gdB, outDim * rank), dB, mmTol(K), 'lora dB');
      expectClose(await rt.readF32(gdx, T * inDim), dx, mmTol(K), 'lora dx');
    }
  });

  it('rmsNorm forward keeping rstd, backward: dx (accumulate) and dweight', async () => {
    for (const [T, d] of [
      [1, 8],
      [9, 64],
      [33, 300],
    ] as const) {
      const rand = rng(T * d);
      const x = randn(rand, T * d, 2);
      const w = randn(rand, d);
      const dy = randn(rand, T * d);
      const dx0 = randn(rand, T * d);
      const dw0 = randn(rand, d);
      const want = dx0.slice();
      const wantW = dw0.slice();
      rmsNormBackwardCpu(x, T, d, w, 1e-5, dy, want, wantW, true);
      const wantY = new Float32Array(T * d);
      cpuRmsNorm(x, T, d, w, 1e-5, wantY);
      const gdx = rt.upload(dx0);
      const gdw = rt.upload(dw0);
      const [gx, gw, gy, rstd] = [rt.upload(x), rt.upload(w), zeros(T * d), zeros(T)];
      rmsNormForward(rt, gx, T, d, gw, 1e-5, gy, rstd);
      expectClose(await rt.readF32(gy, T * d), wantY, { abs: 1e-6, rel: 2e-6 }, `rmsNorm forward T=${T} d=${d}`);
      rmsNormBackward(rt, { x: gx, T, d, weight: gw, eps: 1e-5, dy: rt.upload(dy), dx: gdx, rstd, accumulate: true, dw: gdw });
      expectClose(await rt.readF32(gdx, T * d), want, { abs: 1e-5, rel: 1e-5 }, `rmsNorm dx T=${T} d=${d}`);
      expectClose(await rt.readF32(gdw, d), wantW, mmTol(T), `rmsNorm dw T=${T} d=${d}`);
    }
  });

  it('siluMul backward, adding (gates up to ±30)', async () => {
    const n = 5000;
    const rand = rng(n);
    const g = randn(rand, n, 30);
    const u = randn(rand, n, 2);
    const dy = randn(rand, n);
    const dG = randn(rand, n);
    const dU = randn(rand, n);
    const [gdG, gdU] = [rt.upload(dG), rt.upload(dU)];
    siluMulBackwardCpu(g, u, dy, dG, dU);
    siluMulBackward(rt, rt.upload(g), rt.upload(u), rt.upload(dy), gdG, gdU, n);
    expectClose(await rt.readF32(gdG, n), dG, { abs: 1e-6, rel: 4e-6 }, 'siluMul dGate');
    expectClose(await rt.readF32(gdU, n), dU, { abs: 1e-6, rel: 4e-6 }, 'siluMul dUp');
  });

  it('embedding backward: repeated tokens summed in a fixed order, the same bits twice', async () => {
    const V = 50;
    const d = 37;
    const tokens = Int32Array.from([3, 7, 3, 49, 0, 3, 7, 12, 12, 12, 12, 5, 3, 0]);
    const T = tokens.length;
    const rand = rng(7);
    const dy = randn(rand, T * d);
    const table0 = randn(rand, V * d);
    const want = table0.slice();
    embeddingBackwardCpu(tokens, dy, d, want);
    const grp = groupRowsByToken(tokens, V);
    expect(grp.U).toBe(new Set(tokens).size);
    const g = { U: grp.U, groups: rt.upload(grp.groups), starts: rt.upload(grp.starts), rows: rt.upload(grp.rows) };
    const runs: Float32Array[] = [];
    for (let r = 0; r < 2; r++) {
      const tab = rt.upload(table0);
      embeddingBackward(rt, rt.upload(dy), d, g, tab, V);
      runs.push(await rt.readF32(tab, V * d));
    }
    expectClose(runs[0]!, want, { abs: 5e-6, rel: 1e-6 }, 'embedding backward');
    expectSame(runs[1]!, runs[0]!, 'embedding backward twice');
    expect(() => groupRowsByToken(Int32Array.of(1, 50), V)).toThrow(/outside the vocabulary/);
  });

  it('cross-entropy with a loss mask: loss and dlogits', async () => {
    for (const [T, V] of [
      [1, 5],
      [12, 300],
      [5, 4099],
    ] as const) {
      const rand = rng(T + V);
      const logits = randn(rand, T * V, 6);
      const targets = Int32Array.from({ length: T }, (_, t) => (t === 3 ? -100 : Math.floor(rand() * V)));
      const mask = Float32Array.from({ length: T }, (_, t) => (T > 1 && t === 0 ? 0 : 1));
      const weights = lossRowWeights(mask, targets);
      const dl = new Float32Array(T * V);
      const rows = new Float32Array(T);
      const loss = crossEntropyCpu(logits, T, V, targets, weights, dl, rows);
      const gl = zeros(T * V);
      const gloss = zeros(1);
      const grows = zeros(T);
      crossEntropy(rt, { logits: rt.upload(logits), T, V, targets: rt.upload(targets), rowWeight: rt.upload(weights), lse: zeros(T), lossRows: grows, dlogits: gl, loss: gloss });
      const [got] = await rt.readF32(gloss, 1);
      expectClose(await rt.readF32(grows, T), rows, { abs: 1e-6 * (1 + Math.log(V)), rel: 1e-6 }, `loss rows T=${T} V=${V}`);
      expect(Math.abs(got! - loss), `loss T=${T} V=${V}: ${got} vs ${loss}`).toBeLessThanOrEqual(1e-6 * (1 + Math.log(V)) * (1 + Math.abs(loss)));
      expectClose(await rt.readF32(gl, T * V), dl, { abs: 1e-7, rel: 1e-5 }, `dlogits T=${T} V=${V}`);
    }
    expect(lossRowWeights([0, 0], Int32Array.of(1, 2))).toEqual(new Float32Array(2));
  });

  it('attention forward (lse kept) and backward (adding): GQA, several sequences', async () => {
    for (const s of [
      { T: 6, S: 6, nHeads: 2, nKv: 1, hd: 8 },
      { T: 24, S: 8, nHeads: 4, nKv: 2, hd: 16 },
      { T: 10, S: 10, nHeads: 3, nKv: 3, hd: 64 },
    ]) {
      const rand = rng(s.T * s.hd);
      const qn = s.T * s.nHeads * s.hd;
      const kn = s.T * s.nKv * s.hd;
      const q = randn(rand, qn, 1.5);
      const k = randn(rand, kn, 1.5);
      const v = randn(rand, kn);
      const dout = randn(rand, qn);
      const out = new Float32Array(qn);
      const lse = new Float32Array(s.T * s.nHeads);
      attentionForwardCpu(s, q, k, v, out, lse);
      const [dq, dk, dv] = [randn(rand, qn), randn(rand, kn), randn(rand, kn)];
      const [gdq, gdk, gdv] = [rt.upload(dq), rt.upload(dk), rt.upload(dv)];
      attentionBackwardCpu(s, q, k, v, dout, dq, dk, dv);
      const [gq, gk, gv] = [rt.upload(q), rt.upload(k), rt.upload(v)];
      const [gout, glse] = [zeros(qn), zeros(s.T * s.nHeads)];
      attentionTrainForward(rt, s, gq, gk, gv, gout, glse);
      attentionBackward(rt, s, gq, gk, gv, gout, glse, rt.upload(dout), zeros(s.T * s.nHeads), gdq, gdk, gdv);
      const what = `T=${s.T} S=${s.S} heads ${s.nHeads}/${s.nKv} hd=${s.hd}`;
      expectClose(await rt.readF32(gout, qn), out, { abs: 2e-6, rel: 2e-5 }, `attention out ${what}`);
      expectClose(await rt.readF32(glse, s.T * s.nHeads), lse, { abs: 1e-5, rel: 1e-5 }, `attention lse ${what}`);
      expectClose(await rt.readF32(gdq, qn), dq, { abs: 1e-5, rel: 1e-4 }, `attention dq ${what}`);
      expectClose(await rt.readF32(gdk, kn), dk, { abs: 1e-5, rel: 1e-4 }, `attention dk ${what}`);
      expectClose(await rt.readF32(gdv, kn), dv, { abs: 1e-5, rel: 1e-4 }, `attention dv ${what}`);
    }
    expect(() => attentionTrainForward(rt, { T: 5, S: 2, nHeads: 2, nKv: 1, hd: 8 }, zeros(80), zeros(40), zeros(40), zeros(80), zeros(10))).toThrow(/whole number/);
  });

  it('RoPE backward = rope.wgsl over the transposed table; forward then backward is the identity', async () => {
    const T = 9;
    const nH = 3;
    const hd = 32;
    const inv = ropeInvFreq(hd, 10000);
    const positions = Int32Array.from({ length: T }, (_, t) => t * 3);
    const rand = rng(5);
    const g = randn(rand, T * nH * hd);
    const want = g.slice();
    ropeInPlace(want, T, nH, hd, positions.map((p) => -p), inv);
    const gp = rt.upload(positions);
    const back = ropeBackwardTable(rt, inv, 64);
    const gg = rt.upload(g);
    ropeBackward(rt, gg, T, nH, hd, gp, back);
    expectClose(await rt.readF32(gg, g.length), want, { abs: 1e-6, rel: 1e-6 }, 'rope backward');
    const x = rt.upload(g);
    rope(rt, x, T, nH, hd, gp, ropeTable(rt, inv, 64));
    ropeBackward(rt, x, T, nH, hd, gp, back);
    expectClose(await rt.readF32(x, g.length), g, { abs: 2e-6, rel: 0 }, 'rope then its backward');
  });

  it('gradient norm over several tensors, scale / fill / clip, AdamW clipping from the device-held norm', async () => {
    const rand = rng(11);
    const grads = [randn(rand, 1000), randn(rand, 70_001), randn(rand, 3)];
    const normSq = zeros(1);
    const partials = zeros(Math.ceil(70_001 / 256));
    rt.clear(normSq);
    grads.forEach((g) => gradNormAdd(rt, rt.upload(g), g.length, partials, normSq));
    const [sq] = await rt.readF32(normSq, 1);
    const wantSq = gradNormSqCpu(grads);
    expect(Math.abs(sq! - wantSq) / wantSq).toBeLessThan(1e-5);
    const f = clipFactorCpu(sq!, 10);
    expect(f).toBeLessThan(1);
    expect(clipFactorCpu(wantSq, 1e6)).toBe(1);

    const x = rt.upload(grads[0]!);
    scale(rt, x, 1000, 0.25);
    expectSame(await rt.readF32(x, 1000), grads[0]!.map((v) => v * 0.25), 'scale');
    clipByNorm(rt, x, 1000, 10, normSq);
    expectClose(await rt.readF32(x, 1000), grads[0]!.map((v) => v * 0.25 * f), { abs: 0, rel: 1e-6 }, 'clip by norm');
    fill(rt, x, 1000, -1.5);
    expectSame(await rt.readF32(x, 1000), new Float32Array(1000).fill(-1.5), 'fill');

    const n = 1000;
    const h = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };
    const p = randn(rand, n);
    const m = new Float32Array(n);
    const v = new Float32Array(n);
    const [gp, gm, gv] = [rt.upload(p), zeros(n), zeros(n)];
    for (let step = 1; step <= 3; step++) {
      const g = randn(rand, n);
      adamwCpu(p, g, m, v, h, step, step === 2 ? 1 : f);
      adamw(rt, { param: gp, grad: rt.upload(g), m: gm, v: gv, n }, h, step, step === 2 ? null : { maxNorm: 10, normSq });
    }
    expectClose(await rt.readF32(gp, n), p, { abs: 1e-6, rel: 1e-6 }, 'adamw param');
    expectClose(await rt.readF32(gm, n), m, { abs: 1e-6, rel: 1e-6 }, 'adamw m');
    expectClose(await rt.readF32(gv, n), v, { abs: 1e-6, rel: 1e-6 }, 'adamw v');
    expect(() => adamw(rt, { param: gp, grad: x, m: gm, v: gv, n }, { ...h, beta1: 1 }, 1)).toThrow(/hyper-parameters/);
  });

  it('dropout: the mask of dropoutKeep (bit for bit), backward adds with the same mask', async () => {
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
      const got = await rt.readF32(y, n);
      const want = x.map((v, i) => (dropoutKeep(seed, i, p) ? v * Math.fround(1 / (1 - p)) : 0));
      expectSame(got, want, `dropout p=${p}`);
      const dx0 = randn(rand, n);
      const dx = rt.upload(dx0);
      dropoutBackward(rt, rt.upload(x), dx, n, p, seed);
      expectSame(await rt.readF32(dx, n), dx0.map((d, i) => Math.fround(d + want[i]!)), `dropout backward p=${p}`);
    }
  });
});
