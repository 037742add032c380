/**
 * The CPU backend's default decode (int8/int4 weights, fewer than 4 tokens) quantises activations to int8 per group of
 * 32 (`src/engine/cpu/kernels/quantDot.ts`); the WGSL matmuls keep f32 activations. This file states and checks how far
 * apart that lets the two backends be (docs/CPU-ENGINE.md):
 * - per matmul: |gpu − cpu| ≤ Σ_g (max_g|x| / 254) · Σ_{k∈g} |ŵ_k| (`activationErrorBound`) + f32 rounding
 *   (2e-5 · Σ|x·ŵ| + 2e-6), for q8 and q4, T = 1..3, group counts with every tail of the kernels' blocks of four;
 * - whole model (prefill, whose last-token head matmul is a decode matmul too, then decode steps): logits within 2 % of
 *   the largest logit, the same greedy token.
 * With `decodeActivations: 'f32'` the CPU backend matches the WGSL kernels at the usual parity tolerance
 * (backend.gpu.test.ts); that it is not the same computation by default is checked too (the difference is not zero).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { activationErrorBound } from '../../src/engine/cpu/kernels/quantDot.ts';
import { createModel } from '../../src/engine/model/llama.ts';
import { randomModel } from '../../src/engine/model/randomModel.ts';
import { dequantize, quantizeQ4, quantizeQ8 } from '../../src/engine/quant.ts';
import { WebGpuBackend } from '../../src/engine/webgpu/webgpuBackend.ts';
import { createTestRuntime, describeGpu } from './gpu.ts';
import { randn, rng } from './check.ts';

describeGpu('CPU int8-activation decode vs the WGSL matmuls (f32 activations)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = new WebGpuBackend(await createTestRuntime());
  });
  afterAll(() => gpu?.destroy());

  it('every matmul: within the activation bound (q8, q4; T 1–3; 1, 3, 5, 18 groups; odd row counts)', async () => {
    const cpu = createCpuBackend();
    const r = rng(7);
    let worstUse = 0;
    let anyDiff = 0;
    for (const kind of ['q8', 'q4'] as const) {
      for (const [N, G] of [[7, 1], [16, 3], [36, 5], [20, 18]] as const) {
        const K = 32 * G;
        const m = kind === 'q8' ? quantizeQ8(randn(r, N * K, 0.1), N, K) : quantizeQ4(randn(r, N * K, 0.1), N, K);
        const wd = dequantize(m);
        for (const T of [1, 2, 3]) {
          // activations of uneven size across groups, as after an RMSNorm with outliers
          const x = Float32Array.from(randn(r, T * K), (v, i) => v * (1 + 4 * Number(i % 37 === 0)));
          const run = async (b: typeof cpu | WebGpuBackend): Promise<Float32Array> => {
            const w = b.uploadWeight(m);
            const xt = b.upload(x, [T, K]);
            const out = b.alloc([T, N]);
            b.matmul(xt, T, w, out);
            const got = await b.read(out);
            for (const t of [w, xt, out]) b.dispose(t);
            return got;
          };
          const [c, g] = [await run(cpu), await run(gpu)];
          for (let t = 0; t < T; t++) {
            const bound = activationErrorBound(x.subarray(t * K, (t + 1) * K), m);
            for (let n = 0; n < N; n++) {
              let mag = 0;
              for (let k = 0; k < K; k++) mag += Math.abs(x[t * K + k]! * wd[n * K + k]!);
              const d = Math.abs(c[t * N + n]! - g[t * N + n]!);
              const allowed = bound[n]! + 2e-5 * mag + 2e-6;
              expect(d, `${kind} N ${N} K ${K} T ${T} row ${n}`).toBeLessThanOrEqual(allowed);
              worstUse = Math.max(worstUse, d / allowed);
              anyDiff = Math.max(anyDiff, d);
            }
          }
        }
      }
    }
    expect(anyDiff).toBeGreaterThan(1e-4); // the CPU really quantised the activations
    expect(worstUse).toBeLessThanOrEqual(1);
  });

  it('a whole model: logits within 2 % of the largest logit and the same greedy token at every decode step (q8, q4)', async () => {
    const { config, weights } = randomModel({ seed: 17, hiddenSize: 64, intermediateSize: 160, numHeads: 4, numKvHeads: 2, headDim: 16, numLayers: 2, vocabSize: 128 });
    for (const quant of ['q8', 'q4'] as const) {
      const run = async (b: ReturnType<typeof createCpuBackend> | WebGpuBackend): Promise<Float32Array[]> => {
        const m = createModel(b, config, weights, { quant, maxSeq: 32 });
        const s = m.createSequence(32);
        const out = [await m.prefill([3, 1, 4, 1, 5, 9, 2, 6], s)];
        for (const t of [5, 35, 8, 97, 9]) out.push(await m.decodeStep(t, s));
        m.dispose();
        return out;
      };
      const [c, g] = [await run(createCpuBackend()), await run(gpu)];
      const argmax = (v: Float32Array): number => v.indexOf(Math.max(...v));
      c.forEach((cl, i) => {
        const gl = g[i]!;
        let d = 0;
        let scale = 0;
        for (let j = 0; j < cl.length; j++) {
          d = Math.max(d, Math.abs(cl[j]! - gl[j]!));
          scale = Math.max(scale, Math.abs(gl[j]!));
        }
        expect(d, `${quant} step ${i}`).toBeLessThanOrEqual(0.02 * scale);
        expect(argmax(cl), `${quant} step ${i}`).toBe(argmax(gl));
      });
    }
  });
});
