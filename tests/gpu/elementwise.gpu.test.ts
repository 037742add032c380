/**
 * rmsNorm, rope, siluMul, add, embeddingGather, argmax and kvWrite on WebGPU vs their CPU twins.
 * Tolerances (|gpu - cpu| <= abs + rel·|cpu|):
 * - add: exact (one f32 addition on both sides);
 * - embeddingGather: exact for f32, int8 and int4 (q·scale is one correctly rounded f32 product on both sides) and
 *   f16 (unpack2x16float against `f16BitsToF32`, subnormal halves, ±0 and ±65504 included);
 * - kvWrite: exact (a copy);
 * - argmax: the same index (first on ties, NaN ignored);
 * - rmsNorm: abs 1e-6, rel 2e-6 (f32 sum of squares on the GPU, f64 on the CPU), both kernels (rms_norm.wgsl,
 *   and rms_norm_coarse.wgsl where d % 4 == 0), out of place and in place;
 * - siluMul: abs 1e-6, rel 2e-6 (GPU exp);
 * - rope: abs 1e-6, rel 1e-6 for positions up to 40,000 (cos/sin from a table computed in f64, rounded to f32
 *   on the GPU side only; |x| ≤ 1).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rmsNorm as cpuRmsNorm } from '../../src/engine/cpu/kernels/rmsNorm.ts';
import { ropeInPlace, ropeInvFreq } from '../../src/engine/cpu/kernels/rope.ts';
import { siluMul as cpuSiluMul } from '../../src/engine/cpu/kernels/siluMul.ts';
import { add as cpuAdd } from '../../src/engine/cpu/kernels/add.ts';
import { embeddingGather as cpuEmbeddingGather } from '../../src/engine/cpu/kernels/embeddingGather.ts';
import { fromF16, toF16Matrix } from '../../src/engine/f16.ts';
import { f32Matrix, quantizeQ4, quantizeQ8, type Matrix } from '../../src/engine/quant.ts';
import type { GpuRuntime } from '../../src/engine/webgpu/runtime.ts';
import { uploadMatrix } from '../../src/engine/webgpu/matrix.ts';
import { rmsNorm, rmsNormVariant } from '../../src/engine/webgpu/ops/rmsNorm.ts';
import { rope, ropeTable } from '../../src/engine/webgpu/ops/rope.ts';
import { siluMul } from '../../src/engine/webgpu/ops/siluMul.ts';
import { add } from '../../src/engine/webgpu/ops/add.ts';
import { embeddingGather, checkTokenIds } from '../../src/engine/webgpu/ops/embeddingGather.ts';
import { argmax } from '../../src/engine/webgpu/ops/argmax.ts';
import { kvWrite } from '../../src/engine/webgpu/ops/kvWrite.ts';
import { createTestRuntime, describeGpu } from './gpu.ts';
import { expectClose, expectSame, randn, rng } from './check.ts';

describeGpu('elementwise and row kernels on WebGPU vs the CPU twins', () => {
  let rt: GpuRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime();
  });
  afterAll(() => rt?.destroy());

  it('rmsNorm (d = 7, 64, 300, 1000; T = 1, 3, 17, 33), workgroup and coarse kernels, in place too', async () => {
    for (const [T, d] of [
      [1, 7],
      [3, 64],
      [17, 300],
      [2, 1000],
      [33, 64],
    ] as const) {
      const rand = rng(d + T);
      const x = randn(rand, T * d, 3);
      const w = randn(rand, d);
      const want = new Float32Array(T * d);
      cpuRmsNorm(x, T, d, w, 1e-5, want);
      const gx = rt.upload(x);
      const gw = rt.upload(w);
      for (const variant of d % 4 === 0 ? (['wg', 'coarse'] as const) : (['wg'] as const)) {
        const out = rt.createBuffer(T * d * 4);
        rmsNorm(rt, gx, T, d, gw, 1e-5, out, variant);
        expectClose(await rt.readF32(out, T * d), want, { abs: 1e-6, rel: 2e-6 }, `rmsNorm ${variant} T=${T} d=${d}`);
        const inplace = rt.upload(x);
        rmsNorm(rt, inplace, T, d, gw, 1e-5, inplace, variant);
        expectClose(await rt.readF32(inplace, T * d), want, { abs: 1e-6, rel: 2e-6 }, `rmsNorm ${variant} in place T=${T} d=${d}`);
      }
    }
    expect([rmsNormVariant(64, 'coarse'), rmsNormVariant(7, 'coarse'), rmsNormVariant(64, 'gpu')]).toEqual(['coarse', 'wg', 'wg']);
    expect(() => rmsNorm(rt, rt.createBuffer(28), 1, 7, rt.createBuffer(28), 1e-5, rt.createBuffer(28), 'coarse')).toThrow(/d % 4 == 0/);
  });

  it('rope (head sizes 16, 64, 128; llama3 scaling; positions up to 40,000)', async () => {
    const cases: { T: number; nH: number; hd: number; theta: number; pos: (t: number) => number; llama3?: boolean }[] = [
      { T: 1, nH: 3, hd: 16, theta: 10000, pos: () => 5 },
      { T: 9, nH: 4, hd: 64, theta: 10000, pos: (t) => t },
      { T: 5, nH: 2, hd: 128, theta: 500000, pos: (t) => 4000 + 997 * t, llama3: true },
      { T: 3, nH: 2, hd: 64, theta: 10000, pos: (t) => 40000 - t },
    ];
    for (const c of cases) {
      const rand = rng(c.hd + c.T);
      const x = randn(rand, c.T * c.nH * c.hd);
      const positions = Int32Array.from({ length: c.T }, (_, t) => c.pos(t));
      const inv = ropeInvFreq(
        c.hd,
        c.theta,
        c.llama3 ? { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } : undefined,
      );
      const want = x.slice();
      ropeInPlace(want, c.T, c.nH, c.hd, positions, inv);
      const gx = rt.upload(x);
      rope(rt, gx, c.T, c.nH, c.hd, rt.upload(positions), ropeTable(rt, inv, Math.max(...positions) + 1));
      expectClose(await rt.readF32(gx, x.length), want, { abs: 1e-6, rel: 1e-6 }, `rope hd=${c.hd} pos≤${Math.max(...positions)}`);
    }
  });

  it('siluMul (n = 1, 257, 70,000; gates up to ±30)', async () => {
    for (const n of [1, 257, 70_000]) {
      const rand = rng(n);
      const g = randn(rand, n, 30);
      const u = randn(rand, n, 2);
      const want = new Float32Array(n);
      cpuSiluMul(g, u, want);
      const out = rt.createBuffer(n * 4);
      siluMul(rt, rt.upload(g), rt.upload(u), out, n);
      expectClose(await rt.readF32(out, n), want, { abs: 1e-6, rel: 2e-6 }, `siluMul n=${n}`);
    }
  });

  it('add, out of place and in place (exact), including n past one 65,535-workgroup row', async () => {
    for (const n of [3, 1000, 256 * 65535 + 7]) {
      const rand = rng(n);
      const a = randn(rand, n);
      const b = randn(rand, n);
      const want = new Float32Array(n);
      cpuAdd(a, b, want);
      const ga = rt.upload(a);
      const gb = rt.upload(b);
      const out = rt.createBuffer(n * 4);
      add(rt, ga, gb, out, n);
      expectSame(await rt.readF32(out, n), want, `add n=${n}`);
      add(rt, ga, gb, ga, n);
      expectSame(await rt.readF32(ga, n), want, `add in place n=${n}`);
    }
  });

  it('embeddingGather over f32, int8 and int4 tables (exact)', async () => {
    const [V, d] = [50, 96];
    const rand = rng(7);
    const data = randn(rand, V * d);
    const tables: Matrix[] = [{ kind: 'f32', rows: V, cols: d, data }, quantizeQ8(data, V, d), quantizeQ4(data, V, d)];
    const tokens = Int32Array.of(0, 49, 7, 7, 23);
    for (const table of tables) {
      const want = new Float32Array(tokens.length * d);
      cpuEmbeddingGather(tokens, table, want);
      const out = rt.createBuffer(want.length * 4);
      embeddingGather(rt, rt.upload(tokens), tokens.length, uploadMatrix(rt, table), out);
      expectSame(await rt.readF32(out, want.length), want, `embedding ${table.kind}`);
    }
    // an f32 table whose width is not a multiple of 4
    const odd: Matrix = { kind: 'f32', rows: 5, cols: 7, data: randn(rand, 35) };
    const want = new Float32Array(2 * 7);
    cpuEmbeddingGather(Int32Array.of(4, 1), odd, want);
    const out = rt.createBuffer(want.length * 4);
    embeddingGather(rt, rt.upload(Int32Array.of(4, 1)), 2, uploadMatrix(rt, odd), out);
    expectSame(await rt.readF32(out, want.length), want, 'embedding f32 d=7');
    expect(() => checkTokenIds(Int32Array.of(3, 50), 50)).toThrow(/token id 50 is outside the vocabulary/);
  });

  it('embeddingGather over an f16 table (exact: the GPU widens each half as the CPU twin does)', async () => {
    // widths 96 (K % 4 == 0) and 6 (the last vec4 is half a word pair); rows hold ordinary values, the extremes of
    // f16 (±65504, ±0) and subnormal halves (2^-24 .. 2^-14), which must not be flushed
    for (const d of [96, 6]) {
      const V = 9;
      const data = randn(rng(d), V * d);
      const special = [65504, -65504, 0, -0, 2 ** -24, -(2 ** -24), 1023 * 2 ** -24, 2 ** -14, 3 * 2 ** -20, 1e-7, -5.96e-8, 0.1];
      special.forEach((v, i) => (data[d + i] = v));
      const table = toF16Matrix(f32Matrix(data, V, d));
      const tokens = Int32Array.of(1, 0, 8, 1, 4);
      const want = new Float32Array(tokens.length * d);
      cpuEmbeddingGather(tokens, f32Matrix(fromF16(table.data), V, d), want);
      const out = rt.createBuffer(want.length * 4);
      embeddingGather(rt, rt.upload(tokens), tokens.length, uploadMatrix(rt, table), out);
      expectSame(await rt.readF32(out, want.length), want, `embedding f16 d=${d}`);
    }
  });

  it('argmax: first index on ties, NaN ignored, vocab not a multiple of 256', async () => {
    const V = 1000;
    const T = 4;
    const rand = rng(3);
    const logits = randn(rand, T * V, 10);
    logits[0 * V + 999] = 50; // last column
    logits[1 * V + 10] = 40;
    logits[1 * V + 700] = 40; // tie: 10 wins
    logits[2 * V + 3] = NaN;
    logits[2 * V + 4] = 30;
    for (let v = 0; v < V; v++) logits[3 * V + v] = -1; // all equal: 0
    const want = [999, 10, 4, 0];
    const out = rt.createBuffer(T * 4);
    argmax(rt, rt.upload(logits), T, V, out);
    expect([...(await rt.readU32(out, T))]).toEqual(want);
  });

  it('kvWrite appends rows, also out of a fused QKV buffer (exact)', async () => {
    const [maxSeq, rowLen, T, start] = [20, 24, 5, 9];
    const rand = rng(11);
    const kc = randn(rand, maxSeq * rowLen);
    const vc = randn(rand, maxSeq * rowLen);
    // fused rows [q(16) | k(24) | v(24)]
    const stride = 16 + 2 * rowLen;
    const qkv = randn(rand, T * stride);
    const gk = rt.upload(kc);
    const gv = rt.upload(vc);
    const src = rt.upload(qkv);
    kvWrite(rt, src, src, T, rowLen, gk, gv, start, maxSeq, { srcStride: stride, kOffset: 16, vOffset: 16 + rowLen });
    const wantK = kc.slice();
    const wantV = vc.slice();
    for (let t = 0; t < T; t++) {
      wantK.set(qkv.subarray(t * stride + 16, t * stride + 16 + rowLen), (start + t) * rowLen);
      wantV.set(qkv.subarray(t * stride + 16 + rowLen, t * stride + 16 + 2 * rowLen), (start + t) * rowLen);
    }
    expectSame(await rt.readF32(gk, kc.length), wantK, 'kvWrite K');
    expectSame(await rt.readF32(gv, vc.length), wantV, 'kvWrite V');
    expect(() => kvWrite(rt, src, src, T, rowLen, gk, gv, 16, maxSeq)).toThrow(/do not fit a cache of 20/);
  });
});
