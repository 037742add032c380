import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { simdModuleBytes } from './simdModule.ts';
import { packF32 } from './simdRuntime.ts';
import { createRng } from '../../sampling/rng.ts';

type Kernel = (...args: number[]) => void;

/** Instantiates the module (plain or with relaxed SIMD's FMA) on a fresh memory. */
function instance(fma: boolean): { heap: () => Float32Array; k: Record<string, Kernel> } {
  const mem = new WebAssembly.Memory({ initial: 64 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(simdModuleBytes({ fma })), { env: { mem } });
  return { heap: () => new Float32Array(mem.buffer), k: inst.exports as Record<string, Kernel> };
}

describe('simdModule matmul kernels, plain SIMD and relaxed-SIMD FMA', () => {
  // Node 20 has relaxed SIMD behind a flag (Chromium ships it): switch it on to test the FMA variant here
  const fmaBytes = simdModuleBytes({ fma: true });
  if (!WebAssembly.validate(fmaBytes)) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  const haveFma = WebAssembly.validate(fmaBytes);

  for (const fma of [false, true]) {
    it.runIf(!fma || haveFma)(`${fma ? 'FMA' : 'plain'}: gemmp16 and gemvp2 within 1e-5 of the naive product; one token gives the same bits either way`, () => {
      const r = createRng(fma ? 7 : 8);
      const { heap, k } = instance(fma);
      for (const [T, N, K] of [[1, 32, 64], [3, 48, 20], [7, 64, 576]] as const) {
        const x = Float32Array.from({ length: T * K }, () => r.normal());
        const w = Float32Array.from({ length: N * K }, () => r.normal() * 0.1);
        const [xO, wO, oO, vO] = [1024, 1024 + T * K * 4, 1024 + (T + N) * K * 4, 1024 + (T + N) * K * 4 + T * N * 4];
        const h = heap();
        h.set(x, xO >> 2);
        packF32(w, N, K, h.subarray(wO >> 2, (wO >> 2) + N * K));
        k['gemmp16']!(xO, wO, oO, T, N, K, N);
        k['gemvp2']!(xO + (T - 1) * K * 4, wO, vO, N & ~31, K);
        let d = 0;
        for (let t = 0; t < T; t++)
          for (let n = 0; n < N; n++) {
            let s = 0;
            for (let i = 0; i < K; i++) s += x[t * K + i]! * w[n * K + i]!;
            d = Math.max(d, Math.abs(h[(oO >> 2) + t * N + n]! - s));
          }
        expect(d).toBeLessThan(1e-5);
        const last = Array.from(h.subarray((oO >> 2) + (T - 1) * N, (oO >> 2) + (T - 1) * N + (N & ~31)));
        expect(Array.from(h.subarray(vO >> 2, (vO >> 2) + (N & ~31)))).toEqual(last);
      }
    });
  }
});
