/**
 * The f16 arithmetic prefill matmul (shaders/matmul_f16.wgsl, variant `tiled-f16`) on lavapipe, the software adapter
 * with `shader-f16`, against the f32 CPU twin (cpu/kernels/matmul) fed the same f16-rounded weights.
 * Tolerance: |gpu - cpu| <= F16_C · s · √K (+ 1e-5·√K·|cpu| for the f32 part), s = max|x| · max|w|. Why: the kernel
 * rounds x to f16 (relative 2^-11 per element), multiplies in f16 (another 2^-11 per product) and sums 4 products in
 * f16 (up to 3 roundings of a partial sum ≤ 4s) before the f32 accumulation; each of the K/4 partial sums is off by at
 * most ~5·2^-11·4s, and the errors are independent with mean ~0, so the total grows like √K·s·2^-11·(a few), not like K.
 * Measured worst over the shapes below: see shaders/README.md (worst 9.0e-4 at K = 32; F16_C = 3e-3). Epilogue
 * targets: 4× that (SwiGLU multiplies by silu(aux), |aux| ≤ 3 here).
 * A whole random Llama model in quant 'f16' on the `gpu` family (prefill through tiled-f16, decode through gemv in f32)
 * vs the CPU backend on the f16-rounded weights: max |Δlogit| ≤ 2e-3 · (the CPU's logit range), the bound the f16 model
 * already meets against the f32 model (backend.gpu.test.ts): rounding x to f16 at each prefill matmul is an error of
 * the same size as rounding the weights (2^-11 relative per term); and the same greedy tokens over 8 decode steps.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Backend } from '../../src/engine/backend.ts';
import { createCpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { matmul as cpuMatmul } from '../../src/engine/cpu/kernels/matmul.ts';
import { siluMul as cpuSiluMul } from '../../src/engine/cpu/kernels/siluMul.ts';
import { fromF16, toF16Matrix } from '../../src/engine/f16.ts';
import { createModel } from '../../src/engine/model/llama.ts';
import { randomModel } from '../../src/engine/model/randomModel.ts';
import type { LlamaWeights } from '../../src/engine/model/types.ts';
import { f32Matrix, quantizeQ8 } from '../../src/engine/quant.ts';
import { uploadMatrix } from '../../src/engine/webgpu/matrix.ts';
import { matmul, matmulVariant } from '../../src/engine/webgpu/ops/matmul.ts';
import type { GpuRuntime } from '../../src/engine/webgpu/runtime.ts';
import { WebGpuBackend } from '../../src/engine/webgpu/webgpuBackend.ts';
import { createF16TestRuntime, describeF16 } from './gpu.ts';
import { cpuView, expectClose, randn, rng, roundMatricesToF16 } from './check.ts';

/** f16 error per √K per unit of max|x|·max|w| (see the header; measured worst in shaders/README.md) */
const F16_C = 3e-3;

const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const tol = (K: number, s: number, times = 1) => ({ abs: times * F16_C * s * Math.sqrt(K), rel: times * 1e-5 * Math.sqrt(K) });

/** worst |gpu - cpu| / (s·√K) seen per K, for the README (GPU_PARITY_VERBOSE=1 prints it) */
const worstC = new Map<number, number>();
function measure(got: Float32Array, want: Float32Array, K: number, s: number): void {
  let c = worstC.get(K) ?? 0;
  for (let i = 0; i < want.length; i++) c = Math.max(c, Math.abs(got[i]! - want[i]!) / (s * Math.sqrt(K)));
  worstC.set(K, c);
}


describeF16('the f16 arithmetic prefill matmul (tiled-f16) on lavapipe vs the CPU twin', () => {
  let rt: GpuRuntime;
  beforeAll(async () => {
    rt = await createF16TestRuntime('gpu');
  });
  afterAll(() => {
    if (process.env.GPU_PARITY_VERBOSE) console.log(`tiled-f16: worst |gpu - cpu| / (max|x|·max|w|·√K) by K: ${[...worstC].map(([K, c]) => `${K}: ${c.toExponential(2)}`).join(', ')}`);
    rt?.destroy();
  });

  for (const T of [5, 64, 130]) {
    for (const K of [32, 96, 576]) {
      it(`T=${T} K=${K}, N in {64, 129, 200}: plain, bias + accumulate`, async () => {
        for (const N of [64, 129, 200]) {
          const rand = rng(T * 1000 + K * 7 + N);
          const x = randn(rand, T * K);
          const w = toF16Matrix(f32Matrix(randn(rand, N * K, 0.5), N, K));
          const s = maxAbs(x) * maxAbs(fromF16(w.data));
          const want = new Float32Array(T * N);
          cpuMatmul(x, T, cpuView(w), want);
          const gx = rt.upload(x);
          const gw = uploadMatrix(rt, w);
          expect(matmulVariant(T, gw, 'gpu', true)).toBe('tiled-f16');
          const out = rt.createBuffer(T * N * 4);
          matmul(rt, gx, T, gw, out);
          const got = await rt.readF32(out, T * N);
          measure(got, want, K, s);
          expectClose(got, want, tol(K, s), `T=${T} K=${K} N=${N}`);
          // bias + accumulate
          const bias = randn(rand, N);
          const prior = randn(rand, T * N);
          const wantBA = new Float32Array(T * N);
          cpuMatmul(x, T, cpuView(w), wantBA, bias);
          for (let i = 0; i < wantBA.length; i++) wantBA[i] = wantBA[i]! + prior[i]!;
          const outBA = rt.upload(prior);
          matmul(rt, gx, T, gw, outBA, { bias: rt.upload(bias), accumulate: true });
          const gotBA = await rt.readF32(outBA, T * N);
          measure(gotBA, wantBA, K, s);
          expectClose(gotBA, wantBA, tol(K, s), `T=${T} K=${K} N=${N} bias+accumulate`);
        }
      });
    }
  }

  it('K % 4 == 2 and K % 32 != 0 (K = 34, 70): the tile tail reads zeros', async () => {
    for (const [T, K, N] of [
      [9, 34, 70],
      [70, 70, 66],
    ] as const) {
      const rand = rng(K + 5);
      const x = randn(rand, T * K);
      const w = toF16Matrix(f32Matrix(randn(rand, N * K, 0.5), N, K));
      const s = maxAbs(x) * 0.5;
      const want = new Float32Array(T * N);
      cpuMatmul(x, T, cpuView(w), want);
      const out = rt.createBuffer(T * N * 4);
      matmul(rt, rt.upload(x), T, uploadMatrix(rt, w), out, { variant: 'tiled-f16' });
      const got = await rt.readF32(out, T * N);
      measure(got, want, K, s);
      expectClose(got, want, tol(K, s), `K=${K}`);
    }
  });

  it('epilogues: residual (aux += y) and SwiGLU (aux = silu(aux)·y), y written too, with a bias', async () => {
    const rand = rng(123);
    for (const [T, K, N] of [
      [11, 96, 70],
      [67, 576, 129],
    ] as const) {
      const x = randn(rand, T * K);
      const w = toF16Matrix(f32Matrix(randn(rand, N * K, 0.5), N, K));
      const s = maxAbs(x) * 0.5;
      const aux = randn(rand, T * N, 3);
      const bias = randn(rand, N);
      const y = new Float32Array(T * N);
      cpuMatmul(x, T, cpuView(w), y, bias);
      const wantRes = aux.map((a, i) => a + y[i]!);
      const wantSilu = new Float32Array(T * N);
      cpuSiluMul(aux, y, wantSilu);
      const gx = rt.upload(x);
      const gw = uploadMatrix(rt, w);
      const gb = rt.upload(bias);
      for (const [epi, want] of [
        ['residual', wantRes],
        ['swiglu', wantSilu],
      ] as const) {
        const out = rt.createBuffer(T * N * 4);
        const gaux = rt.upload(aux);
        matmul(rt, gx, T, gw, out, { bias: gb, epilogue: { kind: epi, aux: gaux } });
        expectClose(await rt.readF32(out, T * N), y, tol(K, s), `${epi} y`);
        expectClose(await rt.readF32(gaux, T * N), want, tol(K, s, 4), `${epi} aux`);
      }
    }
  });

  it('split output: columns to out / out2 / out3 at their own widths, bias by column, accumulate', async () => {
    const rand = rng(77);
    for (const [T, K, widths] of [
      [67, 96, [40, 24, 24]],
      [70, 576, [65, 1, 130]],
      [6, 64, [17, 30, 0]],
    ] as const) {
      const N = widths[0] + widths[1] + widths[2];
      const at = [widths[0], widths[0] + widths[1]] as const;
      const x = randn(rand, T * K);
      const w = toF16Matrix(f32Matrix(randn(rand, N * K, 0.5), N, K));
      const s = maxAbs(x) * 0.5;
      const bias = randn(rand, N);
      const bounds = [0, at[0], at[1], N];
      const prior = widths.map((n) => randn(rand, T * n));
      const gx = rt.upload(x);
      const gw = uploadMatrix(rt, w);
      for (const accumulate of [false, true]) {
        const outs = prior.map((p) => (accumulate ? rt.upload(p.length ? p : new Float32Array(1)) : rt.createBuffer(Math.max(4, p.length * 4))));
        matmul(rt, gx, T, gw, outs[0]!, { bias: rt.upload(bias), accumulate, split: { at, out2: outs[1]!, out3: outs[2]! } });
        for (let i = 0; i < 3; i++) {
          const [r0, r1] = [bounds[i]!, bounds[i + 1]!];
          if (r1 === r0) continue;
          const y = new Float32Array(T * (r1 - r0));
          cpuMatmul(x, T, f32Matrix(fromF16(w.data).slice(r0 * K, r1 * K), r1 - r0, K), y, bias.slice(r0, r1));
          if (accumulate) for (let j = 0; j < y.length; j++) y[j] = y[j]! + prior[i]![j]!;
          const got = await rt.readF32(outs[i]!, y.length);
          measure(got, y, K, s);
          expectClose(got, y, tol(K, s), `[${widths.join('/')}] part ${i}${accumulate ? ' accumulate' : ''}`);
        }
      }
    }
  });

  it('matmulVariant picks tiled-f16 only for prefill on f16 weights with shader-f16 on the gpu family; forcing it elsewhere is refused', () => {
    const f16 = { cols: 64, kind: 'f16' } as const;
    expect([1, 4, 5, 300].map((T) => matmulVariant(T, f16, 'gpu', true))).toEqual(['gemv', 'gemv', 'tiled-f16', 'tiled-f16']);
    expect(matmulVariant(5, f16, 'gpu', false)).toBe('tiled');
    expect(matmulVariant(5, f16, 'gpu')).toBe('tiled');
    expect(matmulVariant(5, f16, 'coarse', true)).toBe('coarse');
    for (const kind of ['f32', 'q8', 'q4'] as const) expect(matmulVariant(5, { cols: 64, kind }, 'gpu', true)).toBe('tiled');
    const [T, K, N] = [8, 64, 16];
    const gx = rt.createBuffer(T * K * 4);
    const q8 = uploadMatrix(rt, quantizeQ8(new Float32Array(N * K), N, K));
    expect(() => matmul(rt, gx, T, q8, rt.createBuffer(T * N * 4), { variant: 'tiled-f16' })).toThrow(/takes f16 weights \(got q8\)/);
    const f16w = uploadMatrix(rt, toF16Matrix(f32Matrix(new Float32Array(N * K), N, K)));
    expect(() => matmul(rt, gx, T, f16w, rt.createBuffer(T * N * 4), { variant: 'tiled-f16', hasF16: false })).toThrow(/needs a device with shader-f16/);
  });
});

describeF16('an f16 Llama model on lavapipe (gpu kernels: prefill in f16 arithmetic) vs the CPU backend', () => {
  let backend: WebGpuBackend;
  beforeAll(async () => {
    backend = new WebGpuBackend(await createF16TestRuntime('gpu'));
  });
  afterAll(() => backend?.destroy());

  it('prefill runs through tiled-f16 (pipeline names), logits within 2e-3 of the logit range, the same greedy tokens over 8 steps', async () => {
    const { config, weights } = randomModel({ seed: 8, hiddenSize: 128, numHeads: 4, numKvHeads: 2, intermediateSize: 256, numLayers: 3, vocabSize: 500, tieWordEmbeddings: false });
    const tokens = [3, 141, 59, 26, 5, 35, 89, 79, 32, 38, 46, 26, 43, 480, 7, 7, 12, 300];
    const V = config.vocabSize;
    const names = new Set<string>();
    const spy = vi.spyOn(backend.rt, 'pipeline');
    const run = async (b: Backend, w: LlamaWeights) => {
      const m = createModel(b, config, w, { quant: 'f16', maxSeq: 64 });
      const seq = m.createSequence();
      const logits = [await m.prefill(tokens, seq, { allLogits: true })];
      const greedy: number[] = [];
      for (let step = 0; step < 8; step++) {
        const last = logits[logits.length - 1]!;
        const row = last.subarray(last.length - V);
        const tok = row.indexOf(Math.max(...row));
        greedy.push(tok);
        logits.push((await m.forward([{ seq, tokens: [tok] }]))[0]!);
      }
      m.dispose();
      return { logits, greedy };
    };
    const got = await run(backend, weights);
    for (const c of spy.mock.calls) names.add(c[0].name);
    spy.mockRestore();
    const want = await run(createCpuBackend(), roundMatricesToF16(weights));
    expect([...names].filter((n) => n.startsWith('matmul-'))).toEqual(expect.arrayContaining(['matmul-tiled-f16-f16', 'matmul-gemv-f16']));
    // `matmul-tiled-f16` would be the f32 tiled kernel on f16 weights: not used when the device has shader-f16
    expect([...names]).not.toContain('matmul-tiled-f16');
    expect(got.greedy).toEqual(want.greedy);
    let spread = 0;
    let worst = 0;
    got.logits.forEach((g, i) => {
      const w = want.logits[i]!;
      expect(g.length).toBe(w.length);
      for (let r = 0; r < w.length / V; r++) {
        const wr = w.subarray(r * V, (r + 1) * V);
        spread = Math.max(spread, Math.max(...wr) - Math.min(...wr));
      }
      for (let j = 0; j < w.length; j++) worst = Math.max(worst, Math.abs(g[j]! - w[j]!));
    });
    if (process.env.GPU_PARITY_VERBOSE) console.log(`f16 model (tiled-f16 prefill) vs CPU on f16-rounded weights: max |Δlogit| ${worst.toExponential(3)}, logit range ${spread.toFixed(3)}, ratio ${(worst / spread).toExponential(3)}`);
    expect(worst).toBeLessThanOrEqual(2e-3 * spread);
  });
});
