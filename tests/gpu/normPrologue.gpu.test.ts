/**
 * The norm prologue of the decode matmul kernels (`opts.norm` of ops/matmul.ts: shaders/gemv.wgsl and
 * shaders/matmul_coarse.wgsl's `gemv` fold the RMSNorm before them in, each workgroup / invocation computing its row's
 * norm itself, the first column block writing h). Each kernel × weight format × (plain, bias, split, split + bias,
 * residual / SwiGLU epilogue, epilogue + bias) against
 * - the unfused GPU pair, rmsNorm (the kernel of the same family: `wg` for gemv, `coarse` for coarse-gemv) then the
 *   same matmul kernel on h: h and every output bit for bit (the prologue repeats rms_norm*.wgsl's reduction order);
 * - the CPU twins rmsNorm + matmul (+ add / siluMul): h within rms_norm's tolerance 1e-6 + 2e-6·|cpu|, the outputs
 *   within the matmul tolerance 1e-5·√K·(1 + |cpu|) (epilogue target: 4× that).
 * A row's results do not depend on the other rows of its batch (rows alone = rows together, bit for bit).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { matmul as cpuMatmul } from '../../src/engine/cpu/kernels/matmul.ts';
import { rmsNorm as cpuRmsNorm } from '../../src/engine/cpu/kernels/rmsNorm.ts';
import { siluMul as cpuSiluMul } from '../../src/engine/cpu/kernels/siluMul.ts';
import { quantizeQ8 } from '../../src/engine/quant.ts';
import type { GpuRuntime } from '../../src/engine/webgpu/runtime.ts';
import { uploadMatrix } from '../../src/engine/webgpu/matrix.ts';
import { matmul, matmulProgram, normPrologueFits, type MatmulOptions } from '../../src/engine/webgpu/ops/matmul.ts';
import { rmsNorm } from '../../src/engine/webgpu/ops/rmsNorm.ts';
import { createTestRuntime, describeGpu } from './gpu.ts';
import { cpuView, expectClose, expectSame, makeMatrix, randn, rng } from './check.ts';

const tol = (K: number) => ({ abs: 1e-5 * Math.sqrt(K), rel: 1e-5 * Math.sqrt(K) });
const tol4 = (K: number) => ({ abs: 4e-5 * Math.sqrt(K), rel: 4e-5 * Math.sqrt(K) });
const HTOL = { abs: 1e-6, rel: 2e-6 };

/** columns [a, b) of a row-major [T, N] */
function cols(y: Float32Array, T: number, N: number, a: number, b: number): Float32Array {
  const out = new Float32Array(T * (b - a));
  for (let t = 0; t < T; t++) out.set(y.subarray(t * N + a, t * N + b), t * (b - a));
  return out;
}

describeGpu('norm prologue of the decode matmuls vs rmsNorm + matmul', () => {
  let rt: GpuRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime();
  });
  afterAll(() => rt?.destroy());

  const worst = { h: 0, y: 0, aux: 0 };

  // [T, K, N]: K off 256 (the gemv reduction's stride) and of 4 (gemv only), N off 8 and 128 (the column blocks)
  const SHAPES: [number, number, number][] = [
    [1, 64, 37],
    [3, 96, 130],
    [4, 320, 24],
    [2, 36, 9],
    [3, 33, 17], // K odd: f32 on gemv only
  ];

  for (const kind of ['f32', 'f16', 'q8', 'q4'] as const) {
    it(`${kind}: gemv and coarse-gemv, plain / bias / split / epilogues: h and outputs = the unfused pair bit for bit, close to the CPU twins`, async () => {
      for (const [T, K, N] of SHAPES) {
        if ((kind === 'q8' || kind === 'q4') && K % 32 !== 0) continue;
        if (kind === 'f16' && K % 2 !== 0) continue;
        const rand = rng(T * 131 + K * 7 + N);
        const x = randn(rand, T * K, 2);
        x[0] = 40; // a row with a large value
        const nw = randn(rand, K, 0.3).map((v) => 1 + v);
        const eps = 1e-5;
        const w = makeMatrix(kind, randn(rand, N * K, 0.5), N, K);
        const bias = randn(rand, N);
        const aux = randn(rand, T * N, 3);
        const wantH = new Float32Array(T * K);
        cpuRmsNorm(x, T, K, nw, eps, wantH);
        const gx = rt.upload(x);
        const gnw = rt.upload(nw);
        const gw = uploadMatrix(rt, w);
        const gb = rt.upload(bias);
        const at = [Math.ceil(N / 2), Math.ceil(N / 2) + Math.floor(N / 4)] as const;
        const variants = K % 4 === 0 ? (['gemv', 'coarse-gemv'] as const) : (['gemv'] as const);
        for (const variant of variants) {
          for (const mode of ['plain', 'bias', 'split', 'split+bias', 'residual', 'swiglu', 'residual+bias'] as const) {
            const withBias = mode.endsWith('bias');
            const split = mode.startsWith('split');
            const epi = mode.startsWith('residual') ? 'residual' : mode === 'swiglu' ? 'swiglu' : undefined;
            const what = `${kind} ${variant} T=${T} K=${K} N=${N} ${mode}`;
            // CPU twins
            const yCpu = new Float32Array(T * N);
            cpuMatmul(wantH, T, cpuView(w), yCpu, withBias ? bias : undefined);
            // fused and unfused on the GPU, the same options
            const run = (norm: boolean) => {
              const h = rt.createBuffer(T * K * 4);
              const outs = split ? [rt.createBuffer(T * at[0] * 4), rt.createBuffer(T * (at[1] - at[0]) * 4), rt.createBuffer(T * (N - at[1]) * 4)] : [rt.createBuffer(T * N * 4)];
              const gaux = rt.upload(aux);
              const opts: MatmulOptions = {
                variant,
                ...(withBias ? { bias: gb } : {}),
                ...(split ? { split: { at, out2: outs[1]!, out3: outs[2]! } } : {}),
                ...(epi ? { epilogue: { kind: epi, aux: gaux } } : {}),
              };
              if (norm) matmul(rt, gx, T, gw, outs[0]!, { ...opts, norm: { weight: gnw, eps, h } });
              else {
                rmsNorm(rt, gx, T, K, gnw, eps, h, variant === 'gemv' ? 'wg' : 'coarse');
                matmul(rt, h, T, gw, outs[0]!, opts);
              }
              return { h, outs, gaux };
            };
            const fused = run(true);
            const plain = run(false);
            const hF = await rt.readF32(fused.h, T * K);
            expectSame(hF, await rt.readF32(plain.h, T * K), `${what}: h vs unfused`);
            worst.h = Math.max(worst.h, expectClose(hF, wantH, HTOL, `${what}: h vs CPU`));
            const parts = split ? [[0, at[0]], [at[0], at[1]], [at[1], N]] : [[0, N]];
            for (let i = 0; i < parts.length; i++) {
              const [a, b] = parts[i]!;
              const n = T * (b! - a!);
              if (n === 0) continue;
              const yF = await rt.readF32(fused.outs[i]!, n);
              expectSame(yF, await rt.readF32(plain.outs[i]!, n), `${what}: part ${i} vs unfused`);
              worst.y = Math.max(worst.y, expectClose(yF, cols(yCpu, T, N, a!, b!), tol(K), `${what}: part ${i} vs CPU`));
            }
            if (epi) {
              const want = epi === 'residual' ? aux.map((v, i) => v + yCpu[i]!) : new Float32Array(T * N);
              if (epi === 'swiglu') cpuSiluMul(aux, yCpu, want);
              const aF = await rt.readF32(fused.gaux, T * N);
              expectSame(aF, await rt.readF32(plain.gaux, T * N), `${what}: aux vs unfused`);
              worst.aux = Math.max(worst.aux, expectClose(aF, want, tol4(K), `${what}: aux vs CPU`));
            }
          }
          // a row's results do not depend on the rest of its batch
          if (T > 1) {
            const hAll = rt.createBuffer(T * K * 4);
            const yAll = rt.createBuffer(T * N * 4);
            matmul(rt, gx, T, gw, yAll, { variant, norm: { weight: gnw, eps, h: hAll } });
            const yA = await rt.readF32(yAll, T * N);
            const hA = await rt.readF32(hAll, T * K);
            for (let t = 0; t < T; t++) {
              const gx1 = rt.upload(x.slice(t * K, (t + 1) * K));
              const h1 = rt.createBuffer(K * 4);
              const y1 = rt.createBuffer(N * 4);
              matmul(rt, gx1, 1, gw, y1, { variant, norm: { weight: gnw, eps, h: h1 } });
              expectSame(await rt.readF32(y1, N), yA.subarray(t * N, (t + 1) * N), `${kind} ${variant} row ${t} alone vs in the batch: y`);
              expectSame(await rt.readF32(h1, K), hA.subarray(t * K, (t + 1) * K), `${kind} ${variant} row ${t} alone vs in the batch: h`);
            }
          }
        }
      }
    });
  }

  it('reports the worst errors vs the CPU twins (fractions of the tolerance)', () => {
    console.log(`norm prologue, worst error / tolerance: h ${worst.h.toExponential(2)}, y ${worst.y.toExponential(2)}, aux ${worst.aux.toExponential(2)}`);
    expect(worst.y).toBeLessThanOrEqual(1);
  });

  it('refuses a prologue on the tiled kernels, h shared with another buffer, or a binding count past the device limit', () => {
    const T = 5;
    const K = 64;
    const N = 16;
    const gx = rt.createBuffer(T * K * 4);
    const gw = uploadMatrix(rt, quantizeQ8(new Float32Array(N * K), N, K));
    const out = rt.createBuffer(T * N * 4);
    const h = rt.createBuffer(T * K * 4);
    const weight = rt.createBuffer(K * 4);
    const base = { dummy: rt.dummy, dummyOut: rt.dummyOut } as const;
    expect(() => matmulProgram(gx, T, gw, out, { ...base, variant: 'tiled', norm: { weight, eps: 1e-5, h } })).toThrow(/decode kernel/);
    expect(() => matmulProgram(gx, 4, gw, out, { ...base, variant: 'gemv', norm: { weight, eps: 1e-5, h: gx } })).toThrow(/h must be a buffer of its own/);
    expect(() => matmulProgram(gx, 4, gw, out, { ...base, variant: 'gemv', bias: h, norm: { weight, eps: 1e-5, h } })).toThrow(/h must be a buffer of its own/);
    expect(() => matmulProgram(gx, 4, gw, out, { ...base, variant: 'gemv', bias: rt.createBuffer(N * 4), maxStorageBuffers: 8, norm: { weight, eps: 1e-5, h } })).toThrow(/storage buffers/);
    expect(() => matmulProgram(gx, 4, gw, out, { ...base, variant: 'gemv', bias: rt.createBuffer(N * 4), maxStorageBuffers: 9, norm: { weight, eps: 1e-5, h } })).not.toThrow();
    expect(normPrologueFits({ kind: 'q4' }, false, 8)).toBe(true);
    expect(normPrologueFits({ kind: 'q4' }, true, 8)).toBe(false);
    expect(normPrologueFits({ kind: 'f16' }, true, 8)).toBe(true);
  });
});
