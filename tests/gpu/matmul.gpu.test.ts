/**
 * matmul / gemv (shaders/matmul.wgsl, shaders/gemv.wgsl, and the coarse family's shaders/matmul_coarse.wgsl
 * entries `main` and `gemv`; all four with their residual / SwiGLU epilogues against cpu/kernels/add and siluMul) vs
 * cpu/kernels/matmul on f32, f16, int8 and int4 weights. Tolerance: |gpu - cpu| <= 1e-5 · sqrt(K) · (1 + |cpu|) — both sides see the same dequantised
 * weights (f16: the CPU computes with the f16-rounded values, `fromF16`); only the order and precision of the sums
 * differ (f32 on the GPU, f64 on the CPU). Split output (`opts.split`, the fused q/k/v projection): every kernel and
 * format against the CPU twin run once per part on that part's rows of W (and bias), split points off the kernels'
 * column blocks (8 for gemv, 64 for the tiled matmul, 4 and 128 for the coarse kernels).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { matmul as cpuMatmul } from '../../src/engine/cpu/kernels/matmul.ts';
import { siluMul as cpuSiluMul } from '../../src/engine/cpu/kernels/siluMul.ts';
import { toF16Matrix } from '../../src/engine/f16.ts';
import { f32Matrix, quantizeQ8, type Matrix } from '../../src/engine/quant.ts';
import type { GpuRuntime } from '../../src/engine/webgpu/runtime.ts';
import { uploadMatrix } from '../../src/engine/webgpu/matrix.ts';
import { matmul, matmulVariant, type MatmulVariant } from '../../src/engine/webgpu/ops/matmul.ts';
import { createTestRuntime, describeGpu } from './gpu.ts';
import { cpuView, expectClose, makeMatrix, randn, rng } from './check.ts';

/** every kernel, whatever T: the coarse ones too (they need K % 4 == 0) */
const VARIANTS: readonly MatmulVariant[] = ['gemv', 'tiled', 'coarse-gemv', 'coarse'];

const tol = (K: number) => ({ abs: 1e-5 * Math.sqrt(K), rel: 1e-5 * Math.sqrt(K) });

// [T, K, N]: T = 1 (decode), small batches, and prefill sizes off the 64-tile grid
const SHAPES: [number, number, number][] = [
  [1, 64, 37],
  [3, 96, 130],
  [4, 32, 8],
  [5, 128, 70],
  [67, 128, 129],
  [130, 96, 65],
  [9, 36, 5], // K % 32 != 0 (f32 only below), a partial 8-token block and a partial 4-column block
];

describeGpu('matmul on WebGPU vs the CPU twin', () => {
  let rt: GpuRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime();
  });
  afterAll(() => rt?.destroy());

  for (const kind of ['f32', 'f16', 'q8', 'q4'] as const) {
    for (const [T, K, N] of SHAPES) {
      if ((kind === 'q8' || kind === 'q4') && K % 32 !== 0) continue;
      it(`${kind} T=${T} K=${K} N=${N}: gemv, tiled, coarse-gemv, coarse`, async () => {
        const rand = rng(T * 1000 + K * 7 + N);
        const x = randn(rand, T * K);
        const w = makeMatrix(kind, randn(rand, N * K, 0.5), N, K);
        const want = new Float32Array(T * N);
        cpuMatmul(x, T, cpuView(w), want);
        const gx = rt.upload(x);
        const gw = uploadMatrix(rt, w);
        for (const variant of VARIANTS) {
          const out = rt.createBuffer(T * N * 4);
          matmul(rt, gx, T, gw, out, { variant });
          expectClose(await rt.readF32(out, T * N), want, tol(K), `${kind} ${variant}`);
        }
      });
    }
  }

  it('f32 with K not a multiple of 4 or 32 (K = 33, 70)', async () => {
    for (const [T, K, N] of [
      [2, 33, 9],
      [70, 70, 66],
    ] as const) {
      const rand = rng(K);
      const x = randn(rand, T * K);
      const w: Matrix = { kind: 'f32', rows: N, cols: K, data: randn(rand, N * K) };
      const want = new Float32Array(T * N);
      cpuMatmul(x, T, w, want);
      const gx = rt.upload(x);
      const gw = uploadMatrix(rt, w);
      for (const variant of ['gemv', 'tiled'] as const) {
        const out = rt.createBuffer(T * N * 4);
        matmul(rt, gx, T, gw, out, { variant });
        expectClose(await rt.readF32(out, T * N), want, tol(K), `K=${K} ${variant}`);
      }
      // the coarse family falls back to these kernels when K % 4 != 0, and refuses to be forced
      expect(matmulVariant(T, gw, 'coarse')).toBe(T <= 4 ? 'gemv' : 'tiled');
      expect(() => matmul(rt, gx, T, gw, rt.createBuffer(T * N * 4), { variant: 'coarse' })).toThrow(/K % 4 == 0/);
    }
  });

  it('f16 with K % 4 == 2 (gemv and tiled; the coarse family falls back to them), and odd K refused', async () => {
    for (const [T, K, N] of [
      [3, 34, 9],
      [70, 70, 66],
    ] as const) {
      const rand = rng(K + 5);
      const x = randn(rand, T * K);
      const w = toF16Matrix(f32Matrix(randn(rand, N * K), N, K));
      const want = new Float32Array(T * N);
      cpuMatmul(x, T, cpuView(w), want);
      const gx = rt.upload(x);
      const gw = uploadMatrix(rt, w);
      for (const variant of ['gemv', 'tiled'] as const) {
        const out = rt.createBuffer(T * N * 4);
        matmul(rt, gx, T, gw, out, { variant });
        expectClose(await rt.readF32(out, T * N), want, tol(K), `f16 K=${K} ${variant}`);
      }
      expect(matmulVariant(T, gw, 'coarse')).toBe(T <= 4 ? 'gemv' : 'tiled');
    }
    expect(() => uploadMatrix(rt, toF16Matrix(f32Matrix(new Float32Array(6), 2, 3)))).toThrow(/f16 weights need an even input size \(got 3\); keep this matrix in f32/);
  });

  it('picks the kernel from the family and T', () => {
    const w = { cols: 64 };
    expect([1, 4, 5].map((T) => matmulVariant(T, w, 'gpu'))).toEqual(['gemv', 'gemv', 'tiled']);
    expect([1, 4, 5].map((T) => matmulVariant(T, w, 'coarse'))).toEqual(['coarse-gemv', 'coarse-gemv', 'coarse']);
  });

  it('adds a bias and accumulates into out', async () => {
    const [T, K, N] = [6, 64, 40];
    const rand = rng(99);
    const x = randn(rand, T * K);
    const wData = randn(rand, N * K);
    const bias = randn(rand, N);
    const prior = randn(rand, T * N);
    for (const w of [quantizeQ8(wData, N, K), toF16Matrix(f32Matrix(wData, N, K))]) {
      const want = new Float32Array(T * N);
      cpuMatmul(x, T, cpuView(w), want, bias);
      for (let i = 0; i < want.length; i++) want[i] = want[i]! + prior[i]!;
      const gx = rt.upload(x);
      const gw = uploadMatrix(rt, w);
      const gb = rt.upload(bias);
      for (const variant of VARIANTS) {
        const out = rt.upload(prior);
        matmul(rt, gx, T, gw, out, { variant, bias: gb, accumulate: true });
        expectClose(await rt.readF32(out, T * N), want, tol(K), `${w.kind} bias+accumulate ${variant}`);
      }
    }
  });

  it('epilogues on every kernel and weight format: residual (aux += y) and SwiGLU (aux = silu(aux)·y), y written too', async () => {
    const rand = rng(123);
    for (const [T, K, N] of [
      [1, 64, 37],
      [3, 96, 130],
      [11, 96, 70],
      [67, 128, 129],
    ] as const) {
      const x = randn(rand, T * K);
      const wData = randn(rand, N * K, 0.5);
      const aux = randn(rand, T * N, 3);
      for (const kind of ['f32', 'f16', 'q8', 'q4'] as const) {
        const w = makeMatrix(kind, wData, N, K);
        const y = new Float32Array(T * N);
        cpuMatmul(x, T, cpuView(w), y);
        const wantRes = aux.map((a, i) => a + y[i]!);
        const wantSilu = new Float32Array(T * N);
        cpuSiluMul(aux, y, wantSilu);
        const gx = rt.upload(x);
        const gw = uploadMatrix(rt, w);
        const bias = randn(rand, N);
        const yb = y.map((v, i) => v + bias[i % N]!);
        const gb = rt.upload(bias);
        for (const variant of VARIANTS) {
          for (const [epi, want] of [
            ['residual', wantRes],
            ['swiglu', wantSilu],
          ] as const) {
            const out = rt.createBuffer(T * N * 4);
            const gaux = rt.upload(aux);
            matmul(rt, gx, T, gw, out, { variant, epilogue: { kind: epi, aux: gaux } });
            expectClose(await rt.readF32(out, T * N), y, tol(K), `${w.kind} ${variant} ${epi} y`);
            expectClose(await rt.readF32(gaux, T * N), want, { abs: tol(K).abs * 4, rel: tol(K).rel * 4 }, `${w.kind} ${variant} ${epi} aux`);
          }
          // with a bias, the epilogue sees the biased result
          const out = rt.createBuffer(T * N * 4);
          const gaux = rt.upload(aux);
          matmul(rt, gx, T, gw, out, { variant, bias: gb, epilogue: { kind: 'residual', aux: gaux } });
          expectClose(await rt.readF32(gaux, T * N), aux.map((a, i) => a + yb[i]!), { abs: tol(K).abs * 4, rel: tol(K).rel * 4 }, `${w.kind} ${variant} bias+residual aux`);
        }
      }
      const gx = rt.upload(x);
      const gw = uploadMatrix(rt, quantizeQ8(wData, N, K));
      const out = rt.createBuffer(T * N * 4);
      expect(() => matmul(rt, gx, T, gw, out, { variant: 'tiled', epilogue: { kind: 'residual', aux: out } })).toThrow(/aux must not be x, out or bias/);
    }
  });

  it('epilogues with K not a multiple of 4 (f32 K = 33, f16 K = 34: gemv and tiled only)', async () => {
    const rand = rng(321);
    for (const [T, K, N, kind] of [
      [2, 33, 9, 'f32'],
      [70, 33, 66, 'f32'],
      [3, 34, 9, 'f16'],
    ] as const) {
      const x = randn(rand, T * K);
      const w = makeMatrix(kind, randn(rand, N * K, 0.5), N, K);
      const aux = randn(rand, T * N, 3);
      const y = new Float32Array(T * N);
      cpuMatmul(x, T, cpuView(w), y);
      const wantSilu = new Float32Array(T * N);
      cpuSiluMul(aux, y, wantSilu);
      const gx = rt.upload(x);
      const gw = uploadMatrix(rt, w);
      for (const variant of ['gemv', 'tiled'] as const) {
        const gaux = rt.upload(aux);
        matmul(rt, gx, T, gw, rt.createBuffer(T * N * 4), { variant, epilogue: { kind: 'swiglu', aux: gaux } });
        expectClose(await rt.readF32(gaux, T * N), wantSilu, { abs: tol(K).abs * 4, rel: tol(K).rel * 4 }, `${kind} K=${K} ${variant} swiglu aux`);
      }
    }
  });

  /** The rows [r0, r1) of a weight in the CPU twin's view, as their own matrix. */
  function rowsOf(w: Matrix, r0: number, r1: number): Matrix {
    const K = w.cols;
    if (w.kind === 'f32') return f32Matrix(w.data.slice(r0 * K, r1 * K), r1 - r0, K);
    const g = K / w.groupSize;
    const scales = w.scales.slice(r0 * g, r1 * g);
    if (w.kind === 'q8') return { ...w, rows: r1 - r0, q: w.q.slice(r0 * K, r1 * K), scales };
    return { ...w, rows: r1 - r0, q: w.q.slice((r0 * K) / 2, (r1 * K) / 2), scales };
  }

  it('split output on every kernel and weight format: columns to out / out2 / out3 at their own widths, bias by column, accumulate', async () => {
    const rand = rng(77);
    // [T, K, widths]: q/k/v-like 40/24/24 and 64/16/16, odd widths, parts off every kernel's column blocks, an empty middle part
    const cases: [number, number, readonly number[]][] = [
      [1, 64, [40, 24, 24]],
      [3, 96, [64, 16, 16]],
      [4, 32, [7, 13, 5]],
      [5, 128, [129, 3, 61]],
      [67, 64, [40, 24, 24]],
      [70, 96, [65, 1, 130]],
      [9, 36, [5, 7, 9]], // K % 32 != 0: f32 and f16 only
      [3, 33, [5, 6, 7]], // K odd: f32 on gemv and tiled only
      [2, 64, [10, 0, 22]],
      [6, 64, [17, 30, 0]],
    ];
    for (const [T, K, widths] of cases) {
      const N = widths.reduce((a, n) => a + n, 0);
      const at = [widths[0]!, widths[0]! + widths[1]!] as const;
      const x = randn(rand, T * K);
      const wData = randn(rand, N * K, 0.5);
      const bias = randn(rand, N);
      for (const kind of ['f32', 'f16', 'q8', 'q4'] as const) {
        if ((kind === 'q8' || kind === 'q4') && K % 32 !== 0) continue;
        if (kind === 'f16' && K % 2 !== 0) continue;
        const variants = VARIANTS.filter((v) => K % 4 === 0 || v === 'gemv' || v === 'tiled');
        const w = makeMatrix(kind, wData, N, K);
        const cw = cpuView(w);
        const gx = rt.upload(x);
        const gw = uploadMatrix(rt, w);
        const gb = rt.upload(bias);
        for (const withBias of [false, true]) {
          // the CPU twin per part: that part's rows of W and of the bias
          const bounds = [0, at[0], at[1], N];
          const want = [0, 1, 2].map((i) => {
            const n = bounds[i + 1]! - bounds[i]!;
            const y = new Float32Array(T * n);
            if (n > 0) cpuMatmul(x, T, rowsOf(cw, bounds[i]!, bounds[i + 1]!), y, withBias ? bias.slice(bounds[i]!, bounds[i + 1]!) : undefined);
            return y;
          });
          for (const variant of variants) {
            const outs = want.map((y) => rt.createBuffer(Math.max(4, y.length * 4)));
            matmul(rt, gx, T, gw, outs[0]!, { variant, ...(withBias ? { bias: gb } : {}), split: { at, out2: outs[1]!, out3: outs[2]! } });
            for (let i = 0; i < 3; i++) {
              if (want[i]!.length) expectClose(await rt.readF32(outs[i]!, want[i]!.length), want[i]!, tol(K), `${kind} ${variant} [${widths.join('/')}] T=${T} part ${i}${withBias ? ' +bias' : ''}`);
            }
          }
        }
        // accumulate into the three parts
        if (kind === 'q8') {
          const prior = want3(widths, T, rand);
          for (const variant of variants) {
            const outs = prior.map((p) => rt.upload(p.length ? p : new Float32Array(1)));
            matmul(rt, gx, T, gw, outs[0]!, { variant, accumulate: true, split: { at, out2: outs[1]!, out3: outs[2]! } });
            const bounds = [0, at[0], at[1], N];
            for (let i = 0; i < 3; i++) {
              const n = bounds[i + 1]! - bounds[i]!;
              if (!n) continue;
              const y = new Float32Array(T * n);
              cpuMatmul(x, T, rowsOf(cw, bounds[i]!, bounds[i + 1]!), y);
              expectClose(await rt.readF32(outs[i]!, T * n), y.map((v, j) => v + prior[i]![j]!), tol(K), `${kind} ${variant} accumulate part ${i}`);
            }
          }
        }
      }
    }
  });

  function want3(widths: readonly number[], T: number, rand: () => number): Float32Array[] {
    return widths.map((n) => randn(rand, T * n));
  }

  it('split output: refused with an epilogue, bad split points, missing or shared outputs', () => {
    const w = uploadMatrix(rt, { kind: 'f32', rows: 12, cols: 8, data: new Float32Array(96) });
    const x = rt.createBuffer(2 * 8 * 4);
    const [a, b, c, aux] = [rt.createBuffer(2 * 4 * 4), rt.createBuffer(2 * 4 * 4), rt.createBuffer(2 * 4 * 4), rt.createBuffer(2 * 12 * 4)];
    expect(() => matmul(rt, x, 2, w, a, { split: { at: [4, 8], out2: b, out3: c }, epilogue: { kind: 'residual', aux } })).toThrow(/cannot carry an epilogue/);
    expect(() => matmul(rt, x, 2, w, a, { split: { at: [0, 8], out2: b, out3: c } })).toThrow(/split points/);
    expect(() => matmul(rt, x, 2, w, a, { split: { at: [8, 4], out2: b, out3: c } })).toThrow(/split points/);
    expect(() => matmul(rt, x, 2, w, a, { split: { at: [4, 13], out2: b, out3: c } })).toThrow(/split points/);
    expect(() => matmul(rt, x, 2, w, a, { split: { at: [4, 8], out2: b } })).toThrow(/out3 is missing/);
    expect(() => matmul(rt, x, 2, w, a, { split: { at: [4, 8], out2: b, out3: b } })).toThrow(/distinct/);
    expect(() => matmul(rt, x, 2, w, a, { split: { at: [4, 8], out2: b, out3: x } })).toThrow(/must not be x/);
    expect(() => matmul(rt, x, 2, w, a, { split: { at: [5, 8], out2: b, out3: c } })).toThrow(/out needs 10 values/);
  });

  it('refuses mismatched buffers with a clear error', () => {
    const w = uploadMatrix(rt, { kind: 'f32', rows: 4, cols: 8, data: new Float32Array(32) });
    const x = rt.createBuffer(8 * 4);
    const out = rt.createBuffer(3 * 4);
    expect(() => matmul(rt, x, 1, w, out)).toThrow(/out needs 4 values/);
    expect(() => matmul(rt, x, 2, w, rt.createBuffer(64))).toThrow(/x needs 16 values/);
  });
});
