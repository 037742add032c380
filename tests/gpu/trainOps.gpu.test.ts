/**
 * Every `TrainOps` op on WebGPU (`WebGpuTrainOps`, shaders/train/*.wgsl + the inference kernels it reuses) against
 * the CPU implementation (`createCpuTrainOps`, itself checked against finite differences in
 * src/engine/train/cpu/cpuTrainOps.test.ts): the same inputs through the interface, outputs compared within the
 * tolerances of shaders/README.md (|gpu − cpu| ≤ abs + rel·|cpu|):
 * - products (matmul on f32 / int8 / int4 and trainable weights, matmulGradInput, matmulGradWeight, the four LoRA ops):
 *   1e-5·√K·(1 + |cpu|), K the summed length (f32 in order on the GPU, f64 or SIMD f32 on the CPU);
 * - rmsNorm: y 1e-6 + 2e-6·|cpu|, rstd 1e-6 relative; its backward: dx 1e-5·(1 + |cpu|), dw 1e-5·√T·(1 + |cpu|);
 * - rope forward / backward: 1e-6 + 1e-6·|cpu| (a table from the CPU's f64 angles); siluMul (backward): 1e-6 + 4e-6·|cpu|;
 *   add, addBias, copy, fill, embedding (forward): exact; dropout: 1e-7 relative (the same mask; x·(1/(1−p)) in f32 vs f64),
 *   its backward 4e-7 + 1e-7·|cpu| (an add); embeddingBackward: 1e-6·(1 + |cpu|);
 * - attention: out 2e-6 + 2e-5·|cpu|, lse 1e-5·(1 + |cpu|); backward 1e-5 + 1e-4·|cpu|;
 * - crossEntropy: per-row loss 1e-6·(1 + log V)·(1 + |cpu|), dLogits 1e-7 + 1e-5·|cpu|;
 * - sumSquares: 1e-5 relative; AdamW (3 steps, clipped and not): 1e-6·(1 + |cpu|).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCpuTrainOps } from '../../src/engine/train/cpu/cpuTrainOps.ts';
import type { LinearWeight, TrainOps, TrainTensor } from '../../src/engine/train/trainOps.ts';
import { ropeInvFreq } from '../../src/engine/cpu/kernels/rope.ts';
import { quantizeQ4, quantizeQ8, type Matrix } from '../../src/engine/quant.ts';
import { WebGpuTrainOps } from '../../src/engine/webgpu/train/webgpuTrainOps.ts';
import { createTestRuntime, describeGpu } from './gpu.ts';
import { expectClose, expectSame, randn, rng, type Tolerance } from './check.ts';

const mm = (K: number): Tolerance => ({ abs: 1e-5 * Math.sqrt(K), rel: 1e-5 * Math.sqrt(K) });

describeGpu('TrainOps on WebGPU vs the CPU TrainOps', () => {
  let gpu: WebGpuTrainOps;
  const cpu: TrainOps = createCpuTrainOps();
  beforeAll(async () => {
    gpu = new WebGpuTrainOps(await createTestRuntime(), true);
  });
  afterAll(() => gpu?.destroy());

  /** The same data on both backends. */
  const both = (data: Float32Array, shape: readonly number[] = [data.length]): [TrainTensor, TrainTensor] => [cpu.upload(data, shape), gpu.upload(data, shape)];
  const zeros = (shape: readonly number[]): [TrainTensor, TrainTensor] => [cpu.alloc(shape), gpu.alloc(shape)];
  const compare = async (pair: [TrainTensor, TrainTensor], tol: Tolerance | 'exact', what: string): Promise<void> => {
    const [c, g] = [await cpu.read(pair[0]), await gpu.read(pair[1])];
    if (tol === 'exact') expectSame(g, c, what);
    else expectClose(g, c, tol, what);
  };

  it('matmul, matmulGradInput (frozen f32 / int8 / int4 and trainable weights), matmulGradWeight', async () => {
    for (const [T, N, K] of [
      [3, 40, 64],
      [17, 72, 96],
    ] as const) {
      const rand = rng(T * N + K);
      const wData = randn(rand, N * K, 0.3);
      const x = both(randn(rand, T * K), [T, K]);
      const dy = both(randn(rand, T * N), [T, N]);
      const weights: [string, LinearWeight, LinearWeight][] = [];
      for (const [kind, m] of [
        ['f32', { kind: 'f32', rows: N, cols: K, data: wData }],
        ['q8', quantizeQ8(wData, N, K)],
        ['q4', quantizeQ4(wData, N, K)],
      ] as [string, Matrix][]) weights.push([`frozen ${kind}`, cpu.uploadFrozen(m), gpu.uploadFrozen(m)]);
      const trainable = both(wData, [N, K]);
      weights.push(['trainable', trainable[0], trainable[1]]);
      for (const [what, wc, wg] of weights) {
        const y = both(randn(rand, T * N), [T, N]);
        cpu.matmul(x[0], T, wc, y[0], true);
        gpu.matmul(x[1], T, wg, y[1], true);
        await compare(y, mm(K), `matmul accumulate ${what} T=${T}`);
        cpu.matmul(x[0], T, wc, y[0]);
        gpu.matmul(x[1], T, wg, y[1]);
        await compare(y, mm(K), `matmul ${what} T=${T}`);
        const dx = both(randn(rand, T * K), [T, K]);
        cpu.matmulGradInput(dy[0], T, wc, dx[0]);
        gpu.matmulGradInput(dy[1], T, wg, dx[1]);
        await compare(dx, mm(N), `matmulGradInput ${what} T=${T}`);
      }
      const dw = both(randn(rand, N * K), [N, K]);
      cpu.matmulGradWeight(dy[0], x[0], T, dw[0]);
      gpu.matmulGradWeight(dy[1], x[1], T, dw[1]);
      await compare(dw, mm(T), `matmulGradWeight T=${T}`);
    }
  });

  it('LoRA shrink / expand and their backward; dropout forward and backward (the same mask)', async () => {
    const [T, K, N, r, scale] = [12, 64, 48, 8, 2];
    const rand = rng(21);
    const x = both(randn(rand, T * K), [T, K]);
    const A = both(randn(rand, r * K, 0.2), [r, K]);
    const B = both(randn(rand, N * r, 0.2), [N, r]);
    const h = zeros([T, r]);
    cpu.loraShrink(x[0], T, A[0], h[0]);
    gpu.loraShrink(x[1], T, A[1], h[1]);
    await compare(h, mm(K), 'loraShrink');
    const y = both(randn(rand, T * N), [T, N]);
    cpu.loraExpand(h[0], T, B[0], scale, y[0]);
    gpu.loraExpand(h[1], T, B[1], scale, y[1]);
    await compare(y, mm(K), 'loraExpand');
    const dy = both(randn(rand, T * N), [T, N]);
    const dh = both(randn(rand, T * r), [T, r]);
    const dB = both(randn(rand, N * r), [N, r]);
    cpu.loraExpandBackward(dy[0], h[0], T, B[0], scale, dh[0], dB[0]);
    gpu.loraExpandBackward(dy[1], h[1], T, B[1], scale, dh[1], dB[1]);
    await compare(dh, mm(N), 'loraExpandBackward dh');
    await compare(dB, mm(K), 'loraExpandBackward dB');
    const dx = both(randn(rand, T * K), [T, K]);
    const dA = both(randn(rand, r * K), [r, K]);
    cpu.loraShrinkBackward(dh[0], x[0], T, A[0], dx[0], dA[0]);
    gpu.loraShrinkBackward(dh[1], x[1], T, A[1], dx[1], dA[1]);
    await compare(dx, mm(N), 'loraShrinkBackward dx');
    await compare(dA, mm(K), 'loraShrinkBackward dA');

    const xd = zeros([T, K]);
    cpu.dropout(x[0], 0.3, 99, xd[0]);
    gpu.dropout(x[1], 0.3, 99, xd[1]);
    await compare(xd, { abs: 0, rel: 1e-7 }, 'dropout');
    const dxd = both(randn(rand, T * K), [T, K]);
    cpu.dropoutBackward(x[0], 0.3, 99, dxd[0]);
    gpu.dropoutBackward(x[1], 0.3, 99, dxd[1]);
    await compare(dxd, { abs: 4e-7, rel: 1e-7 }, 'dropoutBackward');
  });

  it('rmsNorm (rstd kept) and its backward, with and without dw; siluMul and add and their backward', async () => {
    const [T, d] = [9, 72];
    const rand = rng(5);
    const x = both(randn(rand, T * d, 2), [T, d]);
    const w = both(randn(rand, d), [d]);
    const [y, rstd] = [zeros([T, d]), zeros([T])];
    cpu.rmsNorm(x[0], T, d, w[0], 1e-5, y[0], rstd[0]);
    gpu.rmsNorm(x[1], T, d, w[1], 1e-5, y[1], rstd[1]);
    await compare(y, { abs: 1e-6, rel: 2e-6 }, 'rmsNorm y');
    await compare(rstd, { abs: 0, rel: 1e-6 }, 'rmsNorm rstd');
    const dy = both(randn(rand, T * d), [T, d]);
    for (const withDw of [true, false]) {
      const dx = both(randn(rand, T * d), [T, d]);
      const dw = both(randn(rand, d), [d]);
      cpu.rmsNormBackward(x[0], T, d, w[0], rstd[0], dy[0], dx[0], withDw ? dw[0] : null);
      gpu.rmsNormBackward(x[1], T, d, w[1], rstd[1], dy[1], dx[1], withDw ? dw[1] : null);
      await compare(dx, { abs: 1e-5, rel: 1e-5 }, `rmsNormBackward dx (dw ${withDw})`);
      await compare(dw, mm(T), `rmsNormBackward dw (dw ${withDw})`);
    }

    const n = 3000;
    const g = both(randn(rand, n, 12));
    const u = both(randn(rand, n, 2));
    const s = zeros([n]);
    cpu.siluMul(g[0], u[0], s[0]);
    gpu.siluMul(g[1], u[1], s[1]);
    await compare(s, { abs: 1e-6, rel: 4e-6 }, 'siluMul');
    const ds = both(randn(rand, n));
    const [dg, du] = [both(randn(rand, n)), both(randn(rand, n))];
    cpu.siluMulBackward(g[0], u[0], ds[0], dg[0], du[0]);
    gpu.siluMulBackward(g[1], u[1], ds[1], dg[1], du[1]);
    await compare(dg, { abs: 1e-6, rel: 4e-6 }, 'siluMulBackward dGate');
    await compare(du, { abs: 1e-6, rel: 4e-6 }, 'siluMulBackward dUp');
    cpu.add(g[0], u[0], g[0]);
    gpu.add(g[1], u[1], g[1]);
    await compare(g, 'exact', 'add in place');
    const bias = both(randn(rand, 30));
    cpu.addBias(g[0], 100, bias[0]);
    gpu.addBias(g[1], 100, bias[1]);
    await compare(g, 'exact', 'addBias');
  });

  it('rope (in place and into another tensor) and its backward', async () => {
    const [T, nH, hd] = [10, 3, 32];
    const inv = ropeInvFreq(hd, 10000);
    const positions = Int32Array.from({ length: T }, (_, t) => (t * 7) % 23);
    const rand = rng(8);
    const x = both(randn(rand, T * nH * hd));
    const y = zeros([T * nH * hd]);
    cpu.rope(x[0], T, nH, hd, positions, inv, y[0]);
    gpu.rope(x[1], T, nH, hd, positions, inv, y[1]);
    await compare(y, { abs: 1e-6, rel: 1e-6 }, 'rope into y');
    cpu.rope(x[0], T, nH, hd, positions, inv, x[0]);
    gpu.rope(x[1], T, nH, hd, positions, inv, x[1]);
    await compare(x, { abs: 1e-6, rel: 1e-6 }, 'rope in place');
    const dx = both(randn(rand, T * nH * hd));
    cpu.ropeBackward(y[0], T, nH, hd, positions, inv, dx[0]);
    gpu.ropeBackward(y[1], T, nH, hd, positions, inv, dx[1]);
    await compare(dx, { abs: 2e-6, rel: 1e-6 }, 'ropeBackward');
    expect(() => gpu.rope(x[1], T, nH, hd, Int32Array.from({ length: T }, () => -1), inv, y[1])).toThrow(/positions/);
  });

  it('attention (lse kept) and its backward over several sequences, GQA', async () => {
    for (const s of [
      { batch: 1, seqLen: 7, nHeads: 4, nKvHeads: 2, headDim: 16 },
      { batch: 3, seqLen: 5, nHeads: 2, nKvHeads: 1, headDim: 64 },
    ]) {
      const T = s.batch * s.seqLen;
      const rand = rng(T * s.headDim);
      const qn = T * s.nHeads * s.headDim;
      const kn = T * s.nKvHeads * s.headDim;
      const [q, k, v] = [both(randn(rand, qn, 1.5)), both(randn(rand, kn, 1.5)), both(randn(rand, kn))];
      const [out, lse] = [zeros([qn]), zeros([T * s.nHeads])];
      cpu.attention(q[0], k[0], v[0], s, out[0], lse[0]);
      gpu.attention(q[1], k[1], v[1], s, out[1], lse[1]);
      const what = `B=${s.batch} S=${s.seqLen} hd=${s.headDim}`;
      await compare(out, { abs: 2e-6, rel: 2e-5 }, `attention out ${what}`);
      await compare(lse, { abs: 1e-5, rel: 1e-5 }, `attention lse ${what}`);
      const dOut = both(randn(rand, qn));
      const [dq, dk, dv] = [both(randn(rand, qn)), both(randn(rand, kn)), both(randn(rand, kn))];
      cpu.attentionBackward(q[0], k[0], v[0], out[0], lse[0], dOut[0], s, dq[0], dk[0], dv[0]);
      gpu.attentionBackward(q[1], k[1], v[1], out[1], lse[1], dOut[1], s, dq[1], dk[1], dv[1]);
      await compare(dq, { abs: 1e-5, rel: 1e-4 }, `attention dq ${what}`);
      await compare(dk, { abs: 1e-5, rel: 1e-4 }, `attention dk ${what}`);
      await compare(dv, { abs: 1e-5, rel: 1e-4 }, `attention dv ${what}`);
    }
    // inputs may share a buffer (read-only bindings); an output may not be an input or another output
    const s = { batch: 1, seqLen: 4, nHeads: 2, nKvHeads: 1, headDim: 8 };
    const [q, k, out] = [gpu.upload(randn(rng(1), 64)), gpu.upload(randn(rng(2), 32)), gpu.alloc([64])];
    const lse = gpu.alloc([8]);
    gpu.attention(q, k, k, s, out, lse);
    const [dq, dk, dv] = [gpu.alloc([64]), gpu.alloc([32]), gpu.alloc([32])];
    gpu.attentionBackward(q, k, k, out, lse, out, s, dq, dk, dv);
    expect((await gpu.read(dq)).every(Number.isFinite)).toBe(true);
    expect(() => gpu.attentionBackward(q, k, k, out, lse, out, s, dq, dk, dk)).toThrow(/dk and dv must be different/);
    expect(() => gpu.attentionBackward(q, k, k, out, lse, out, s, out, dk, dv)).toThrow(/dq must not also be one of the inputs/);
  });

  it('embedding (frozen and trainable table) and its deterministic scatter-add; masked cross-entropy', async () => {
    const [V, d] = [40, 24];
    const rand = rng(13);
    const tableData = randn(rand, V * d);
    const tokens = Int32Array.from([5, 9, 5, 0, 39, 5, 9, 12]);
    const T = tokens.length;
    const frozen: [LinearWeight, LinearWeight] = [cpu.uploadFrozen({ kind: 'f32', rows: V, cols: d, data: tableData }), gpu.uploadFrozen({ kind: 'f32', rows: V, cols: d, data: tableData })];
    const table = both(tableData, [V, d]);
    for (const [what, tc, tg] of [
      ['frozen', frozen[0], frozen[1]],
      ['trainable', table[0], table[1]],
    ] as const) {
      const y = zeros([T, d]);
      cpu.embedding(tokens, tc, y[0]);
      gpu.embedding(tokens, tg, y[1]);
      await compare(y, 'exact', `embedding ${what}`);
    }
    const dy = both(randn(rand, T * d), [T, d]);
    const dTable = both(randn(rand, V * d), [V, d]);
    cpu.embeddingBackward(tokens, dy[0], dTable[0]);
    gpu.embeddingBackward(tokens, dy[1], dTable[1]);
    await compare(dTable, { abs: 1e-6, rel: 1e-6 }, 'embeddingBackward');
    expect(() => gpu.embedding(Int32Array.of(40), frozen[1], zeros([1, d])[1])).toThrow(/outside the vocabulary/);

    const Vc = 301;
    const logits = both(randn(rand, T * Vc, 5), [T, Vc]);
    const targets = Int32Array.from([3, 300, -1, 0, 17, 17, 250, 1]);
    const weights = Float32Array.from([0.2, 0.2, 0, 0, 0.2, 0.2, 0.2, 0]);
    const [loss, dl] = [zeros([T]), both(randn(rand, T * Vc), [T, Vc])];
    cpu.crossEntropy(logits[0], T, Vc, targets, weights, loss[0], dl[0]);
    gpu.crossEntropy(logits[1], T, Vc, targets, weights, loss[1], dl[1]);
    await compare(loss, { abs: 1e-6 * (1 + Math.log(Vc)), rel: 1e-6 * (1 + Math.log(Vc)) }, 'crossEntropy loss rows');
    await compare(dl, { abs: 1e-7, rel: 1e-5 }, 'crossEntropy dLogits');
    expect(() => gpu.crossEntropy(logits[1], T, Vc, targets, weights.map(() => 1), loss[1], dl[1])).toThrow(/outside the vocabulary/);
  });

  it('sumSquares and AdamW (clipped by the device-held norm, and not); fill, copy, write, read, dispose', async () => {
    const rand = rng(17);
    const grads = [both(randn(rand, 1000)), both(randn(rand, 70_001)), both(randn(rand, 5))];
    const normSq = zeros([1]);
    cpu.sumSquares(grads.map((g) => g[0]), normSq[0]);
    gpu.sumSquares(grads.map((g) => g[1]), normSq[1]);
    await compare(normSq, { abs: 0, rel: 1e-5 }, 'sumSquares');
    const n = 1000;
    const p = both(randn(rand, n));
    const [m, v] = [zeros([n]), zeros([n])];
    for (let step = 1; step <= 3; step++) {
      const g = both(randn(rand, n));
      const h = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step, clip: step === 2 ? null : { maxNorm: 5, normSq: normSq[0] } };
      cpu.adamw(p[0], g[0], m[0], v[0], h);
      gpu.adamw(p[1], g[1], m[1], v[1], { ...h, clip: h.clip ? { maxNorm: 5, normSq: normSq[1] } : null });
    }
    await compare(p, { abs: 1e-6, rel: 1e-6 }, 'adamw param');
    await compare(m, { abs: 1e-6, rel: 1e-6 }, 'adamw m');
    await compare(v, { abs: 1e-6, rel: 1e-6 }, 'adamw v');

    const t = gpu.alloc([4, 5]);
    gpu.fill(t, 2.5);
    gpu.write(t, Float32Array.of(-1, -2), 3);
    expectSame(await gpu.read(t, 2, 4), Float32Array.of(2.5, -1, -2, 2.5), 'fill + write + read');
    const c = gpu.alloc([20]);
    gpu.copy(t, c);
    expectSame(await gpu.read(c), await gpu.read(t), 'copy');
    gpu.fill(t, 0);
    expectSame(await gpu.read(t), new Float32Array(20), 'fill 0');
    const before = gpu.memory();
    gpu.dispose(c);
    expect(gpu.memory().tensors).toBe(before.tensors - 80);
    expect(gpu.memory().peak).toBe(before.peak);
    await expect(gpu.read(c)).rejects.toThrow(/disposed/);
    expect(() => gpu.write(t, new Float32Array(3), 18)).toThrow(/do not fit/);
  });
});
