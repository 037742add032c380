import { describe, expect, it } from 'vitest';
import { ropeInvFreq } from '../../cpu/kernels/rope.ts';
import { dequantize, quantizeQ8 } from '../../quant.ts';
import { dropoutKeep, type AttentionShape, type TrainTensor } from '../trainOps.ts';
import { cpuTensorData, createCpuTrainOps } from './cpuTrainOps.ts';
import { dot, fdError, randn } from './gradCheck.testutil.ts';

const ops = createCpuTrainOps();
const D = cpuTensorData;
const TOL = 1e-2;

/** forward `run()` writes `out`; returns L = Σ out·R */
function lossOf(run: () => void, out: TrainTensor, R: Float32Array): () => number {
  return () => {
    run();
    return dot(D(out), R);
  };
}

describe('cpu training ops: gradients match finite differences', () => {
  it('matmul: grad input and grad weight (trainable and frozen f32; int8 grad input = dequantised)', () => {
    const [T, N, K] = [5, 6, 8];
    const x = ops.upload(randn(T * K, 1), [T, K]);
    const w = ops.upload(randn(N * K, 2), [N, K]);
    const y = ops.alloc([T, N]);
    const R = randn(T * N, 3);
    const dy = ops.upload(R, [T, N]);
    const dx = ops.alloc([T, K]);
    const dw = ops.alloc([N, K]);
    ops.matmulGradInput(dy, T, w, dx);
    ops.matmulGradWeight(dy, x, T, dw);
    const L = lossOf(() => ops.matmul(x, T, w, y), y, R);
    expect(fdError(L, D(x), D(dx))).toBeLessThan(TOL);
    expect(fdError(L, D(w), D(dw))).toBeLessThan(TOL);
    // frozen f32 weight: same forward and grad input
    const fw = ops.uploadFrozen({ kind: 'f32', rows: N, cols: K, data: D(w).slice() });
    const y2 = ops.alloc([T, N]);
    ops.matmul(x, T, fw, y2);
    ops.matmul(x, T, w, y);
    for (let i = 0; i < T * N; i++) expect(D(y2)[i]).toBeCloseTo(D(y)[i]!, 4);
    const dx2 = ops.alloc([T, K]);
    ops.matmulGradInput(dy, T, fw, dx2);
    for (let i = 0; i < T * K; i++) expect(D(dx2)[i]).toBeCloseTo(D(dx)[i]!, 4);
    // int8: the gradient is that of the dequantised weight
    const q = quantizeQ8(randn(N * 32, 4), N, 32);
    const x32 = ops.upload(randn(T * 32, 5), [T, 32]);
    const dq = ops.alloc([T, 32]);
    ops.matmulGradInput(dy, T, ops.uploadFrozen(q), dq);
    const ref = ops.alloc([T, 32]);
    ops.matmulGradInput(dy, T, ops.upload(dequantize(q), [N, 32]), ref);
    for (let i = 0; i < T * 32; i++) expect(D(dq)[i]).toBeCloseTo(D(ref)[i]!, 4);
    // accumulate flag adds
    const y3 = ops.upload(new Float32Array(T * N).fill(1), [T, N]);
    ops.matmul(x32, T, ops.uploadFrozen(q), y3, true);
    const y4 = ops.alloc([T, N]);
    ops.matmul(x32, T, ops.uploadFrozen(q), y4);
    for (let i = 0; i < T * N; i++) expect(D(y3)[i]).toBeCloseTo(D(y4)[i]! + 1, 4);
  });

  it('LoRA shrink + expand: grads of x, A and B', () => {
    const [T, K, r, N, scale] = [4, 8, 3, 5, 1.7];
    const x = ops.upload(randn(T * K, 11), [T, K]);
    const a = ops.upload(randn(r * K, 12), [r, K]);
    const b = ops.upload(randn(N * r, 13), [N, r]);
    const h = ops.alloc([T, r]);
    const y = ops.alloc([T, N]);
    const R = randn(T * N, 14);
    const L = lossOf(() => {
      ops.fill(y, 0);
      ops.loraShrink(x, T, a, h);
      ops.loraExpand(h, T, b, scale, y);
    }, y, R);
    L();
    const dy = ops.upload(R, [T, N]);
    const [dh, dx, dA, dB] = [ops.alloc([T, r]), ops.alloc([T, K]), ops.alloc([r, K]), ops.alloc([N, r])];
    ops.loraExpandBackward(dy, h, T, b, scale, dh, dB);
    ops.loraShrinkBackward(dh, x, T, a, dx, dA);
    expect(fdError(L, D(x), D(dx))).toBeLessThan(TOL);
    expect(fdError(L, D(a), D(dA))).toBeLessThan(TOL);
    expect(fdError(L, D(b), D(dB))).toBeLessThan(TOL);
  });

  it('dropout: seeded mask, backward uses the same mask, about p dropped', () => {
    const n = 4000;
    const x = ops.upload(randn(n, 21), [n]);
    const y = ops.alloc([n]);
    const R = randn(n, 22);
    const L = lossOf(() => ops.dropout(x, 0.25, 99, y), y, R);
    L();
    const dx = ops.alloc([n]);
    ops.dropoutBackward(ops.upload(R), 0.25, 99, dx);
    expect(fdError(L, D(x), D(dx))).toBeLessThan(TOL);
    let dropped = 0;
    for (let i = 0; i < n; i++) if (!dropoutKeep(99, i, 0.25)) dropped++;
    expect(Math.abs(dropped / n - 0.25)).toBeLessThan(0.03);
  });

  it('rmsNorm: grads of x and weight', () => {
    const [T, d] = [3, 16];
    const x = ops.upload(randn(T * d, 31), [T, d]);
    const w = ops.upload(randn(d, 32, 0.3).map((v) => 1 + v), [d]);
    const y = ops.alloc([T, d]);
    const rstd = ops.alloc([T]);
    const R = randn(T * d, 33);
    const L = lossOf(() => ops.rmsNorm(x, T, d, w, 1e-5, y, rstd), y, R);
    L();
    const [dx, dw] = [ops.alloc([T, d]), ops.alloc([d])];
    ops.rmsNormBackward(x, T, d, w, rstd, ops.upload(R), dx, dw);
    expect(fdError(L, D(x), D(dx))).toBeLessThan(TOL);
    expect(fdError(L, D(w), D(dw))).toBeLessThan(TOL);
  });

  it('rope: backward is the inverse rotation', () => {
    const [T, H, hd] = [4, 2, 8];
    const pos = Int32Array.of(0, 1, 5, 9);
    const inv = ropeInvFreq(hd, 10000);
    const x = ops.upload(randn(T * H * hd, 41), [T, H * hd]);
    const y = ops.alloc([T, H * hd]);
    const R = randn(T * H * hd, 42);
    const L = lossOf(() => ops.rope(x, T, H, hd, pos, inv, y), y, R);
    const dx = ops.alloc([T, H * hd]);
    ops.ropeBackward(ops.upload(R), T, H, hd, pos, inv, dx);
    expect(fdError(L, D(x), D(dx))).toBeLessThan(TOL);
  });

  it('siluMul and add', () => {
    const n = 40;
    const g = ops.upload(randn(n, 51, 2));
    const u = ops.upload(randn(n, 52));
    const y = ops.alloc([n]);
    const R = randn(n, 53);
    const L = lossOf(() => ops.siluMul(g, u, y), y, R);
    const [dg, du] = [ops.alloc([n]), ops.alloc([n])];
    ops.siluMulBackward(g, u, ops.upload(R), dg, du);
    expect(fdError(L, D(g), D(dg))).toBeLessThan(TOL);
    expect(fdError(L, D(u), D(du))).toBeLessThan(TOL);
    ops.add(g, u, y);
    expect(D(y)[3]).toBeCloseTo(D(g)[3]! + D(u)[3]!, 6);
  });

  it('causal GQA attention: grads of q, k, v; causal and per-sequence', () => {
    const s: AttentionShape = { batch: 2, seqLen: 5, nHeads: 4, nKvHeads: 2, headDim: 4 };
    const T = s.batch * s.seqLen;
    const q = ops.upload(randn(T * 16, 61), [T, 16]);
    const k = ops.upload(randn(T * 8, 62), [T, 8]);
    const v = ops.upload(randn(T * 8, 63), [T, 8]);
    const out = ops.alloc([T, 16]);
    const lse = ops.alloc([T, 4]);
    const R = randn(T * 16, 64);
    const L = lossOf(() => ops.attention(q, k, v, s, out, lse), out, R);
    L();
    const [dq, dk, dv] = [ops.alloc([T, 16]), ops.alloc([T, 8]), ops.alloc([T, 8])];
    ops.attentionBackward(q, k, v, out, lse, ops.upload(R), s, dq, dk, dv);
    expect(fdError(L, D(q), D(dq))).toBeLessThan(TOL);
    expect(fdError(L, D(k), D(dk))).toBeLessThan(TOL);
    expect(fdError(L, D(v), D(dv))).toBeLessThan(TOL);
    // the first row of each sequence attends only to itself: its output is its own v (per KV head)
    for (let h = 0; h < 4; h++) for (let e = 0; e < 4; e++) expect(D(out)[5 * 16 + h * 4 + e]).toBeCloseTo(D(v)[5 * 8 + Math.floor(h / 2) * 4 + e]!, 5);
  });

  it('embedding gather + scatter-add grad (repeated ids add up)', () => {
    const [V, d] = [7, 4];
    const table = ops.upload(randn(V * d, 71), [V, d]);
    const tokens = Int32Array.of(3, 1, 3, 6);
    const y = ops.alloc([4, d]);
    const R = randn(4 * d, 72);
    const L = lossOf(() => ops.embedding(tokens, table, y), y, R);
    const dt = ops.alloc([V, d]);
    ops.embeddingBackward(tokens, ops.upload(R), dt);
    expect(fdError(L, D(table), D(dt))).toBeLessThan(TOL);
    expect(() => ops.embedding(Int32Array.of(7), table, y)).toThrow(/outside the vocabulary/);
  });

  it('cross-entropy with a loss mask: gradient of Σ weight·loss; masked rows get zero gradient', () => {
    const [T, V] = [4, 9];
    const logits = ops.upload(randn(T * V, 81, 2), [T, V]);
    const targets = Int32Array.of(2, 8, -1, 0);
    const weights = Float32Array.of(0.5, 0.25, 0, 1);
    const loss = ops.alloc([T]);
    const dl = ops.alloc([T, V]);
    const L = (): number => {
      ops.crossEntropy(logits, T, V, targets, weights, loss, dl);
      return dot(D(loss), weights);
    };
    L();
    const analytic = D(dl).slice();
    expect(fdError(L, D(logits), analytic)).toBeLessThan(TOL);
    for (let i = 0; i < V; i++) expect(analytic[2 * V + i]).toBe(0);
    // loss = −log softmax
    const row = D(logits).subarray(0, V);
    const z = row.reduce((a, b) => a + Math.exp(b), 0);
    expect(D(loss)[0]).toBeCloseTo(Math.log(z) - row[2]!, 5);
  });

  it('AdamW with clipping matches the formula; sumSquares is Σ‖g‖²', () => {
    const p = ops.upload(Float32Array.of(1, -2, 0.5));
    const g = ops.upload(Float32Array.of(3, 4, 0));
    const g2 = ops.upload(Float32Array.of(0, 0, 12));
    const [m, v, ns] = [ops.alloc([3]), ops.alloc([3]), ops.alloc([1])];
    ops.sumSquares([g, g2], ns);
    expect(D(ns)[0]).toBeCloseTo(169, 4);
    ops.adamw(p, g, m, v, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 1, clip: { maxNorm: 1.3, normSq: ns } });
    // clip scale 1.3 / 13 = 0.1; first step: update = lr · sign(g) (bias-corrected), decay 1 − lr·wd
    const want = [1 * 0.999 - 0.1, -2 * 0.999 - 0.1, 0.5 * 0.999];
    want.forEach((w, i) => expect(D(p)[i]).toBeCloseTo(w, 5));
    expect(D(m)[0]).toBeCloseTo(0.1 * 0.3, 6);
  });

  it('refuses wrong shapes and disposed tensors', () => {
    const a = ops.alloc([2, 3]);
    expect(() => ops.matmul(a, 2, ops.alloc([4, 5]), ops.alloc([2, 4]))).toThrow(/needs/);
    ops.dispose(a);
    expect(() => ops.fill(a, 0)).toThrow(/disposed/);
  });
});
