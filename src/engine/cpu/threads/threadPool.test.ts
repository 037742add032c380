import { afterAll, describe, expect, it } from 'vitest';
import { cpuThreads, startCpuThreads, stopCpuThreads, threadsUnavailableReason, workerSource } from './threadPool.ts';
import { matmul, matmulOptions } from '../kernels/matmul.ts';
import { simdRuntime } from '../simd/simdRuntime.ts';
import { createCpuBackend } from '../cpuBackend.ts';
import { createModel } from '../../model/llama.ts';
import { randomModel } from '../../model/randomModel.ts';
import { quantizeQ4, quantizeQ8, type Matrix } from '../../quant.ts';
import { createRng } from '../../sampling/rng.ts';

const rt = simdRuntime();

describe('workerSource', () => {
  it('is plain JS for both environments', () => {
    for (const env of ['node', 'browser'] as const) expect(() => new Function(workerSource(env))).not.toThrow();
  });
});

describe.runIf(rt !== null && threadsUnavailableReason(rt) === null)('CPU threads over shared WebAssembly memory', () => {
  afterAll(() => stopCpuThreads());

  it('matmul on 3 threads gives the same bits as on one: f32 (packed), int8, int4; decode and prefill; odd row counts', async () => {
    const r = createRng(9);
    const cases: [Matrix['kind'], number, number][] = [['f32', 96, 64], ['f32', 1040, 96], ['q8', 212, 96], ['q4', 212, 96], ['q8', 1024, 128], ['q4', 1024, 128], ['q8', 37 * 4 + 2, 64]];
    const weights = cases.map(([kind, N, K]) => {
      const d = Float32Array.from({ length: N * K }, () => r.normal() * 0.1);
      const m: Matrix = kind === 'f32' ? { kind, rows: N, cols: K, data: d } : kind === 'q8' ? quantizeQ8(d, N, K) : quantizeQ4(d, N, K);
      return rt!.toHeapPacked(m);
    });
    const runAll = (): Float32Array[] =>
      weights.flatMap((w) =>
        [1, 2, 7].map((T) => {
          const x = Float32Array.from({ length: T * w.cols }, (_, i) => Math.sin(i * 0.37 + T));
          const out = new Float32Array(T * w.rows);
          matmul(x, T, w, out);
          return out;
        }),
      );
    for (const q8Int of [false, true]) {
      // the integer decode path (opt-in) too, for int8 and int4 weights
      matmulOptions.intActivations = q8Int;
      matmulOptions.intActivationsQ8 = q8Int;
      stopCpuThreads();
      const one = runAll();
      const pool = await startCpuThreads(3);
      expect(pool?.count).toBe(3);
      const three = runAll();
      expect(three.map((a) => Array.from(a))).toEqual(one.map((a) => Array.from(a)));
    }
    matmulOptions.intActivationsQ8 = false;
    matmulOptions.intActivations = false;
    for (const w of weights) rt!.release(w);
  });

  it('a whole model decodes the same bits on 1 and 2 threads (f32, int8, int4)', async () => {
    const { config, weights } = randomModel({ seed: 5, hiddenSize: 128, intermediateSize: 256, numHeads: 4, numKvHeads: 2, headDim: 32, numLayers: 2, vocabSize: 512 });
    for (const quant of ['f32', 'q8', 'q4'] as const) {
      const run = async (threads: number): Promise<number[][]> => {
        if (threads > 1) expect((await startCpuThreads(threads))?.count).toBe(threads);
        else stopCpuThreads();
        const m = createModel(createCpuBackend(), config, weights, { quant });
        const s = m.createSequence(32);
        const out = [Array.from(await m.prefill([1, 5, 9, 2, 7, 3, 8, 4], s))];
        for (const t of [13, 21, 40]) out.push(Array.from(await m.decodeStep(t, s)));
        m.dispose();
        return out;
      };
      expect(await run(2)).toEqual(await run(1));
      expect(cpuThreads()).toBeNull();
    }
  });
});
