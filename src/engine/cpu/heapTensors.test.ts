// A non-shared WASM memory (as in a page that is not cross-origin isolated): growing it detaches every view, so
// this file checks that heap-resident tensors and the in-place kernels survive growth. Set before the runtime exists.
(globalThis as { TRIBUTARY_NO_THREADS?: boolean }).TRIBUTARY_NO_THREADS = true;

import { describe, expect, it } from 'vitest';
import type { CpuTensor} from './cpuBackend.ts';
import { createCpuBackend } from './cpuBackend.ts';
import { simdRuntime } from './simd/simdRuntime.ts';
import { createModel } from '../model/llama.ts';
import { randomModel } from '../model/randomModel.ts';

const rt = simdRuntime();

describe.runIf(rt !== null)('CPU tensors on the WASM heap (non-shared memory)', () => {
  it('live on the heap, keep their values when the heap grows, and give their bytes back on dispose', async () => {
    expect(rt!.shared).toBe(false);
    const b = createCpuBackend();
    const t = b.upload(Float32Array.of(1, 2, 3, 4, 5), [5]) as CpuTensor;
    expect(t.heapAt).toBeGreaterThan(0);
    const before = t.data;
    const used = rt!.bytesInUse();
    const big = b.alloc([(rt!.memory.buffer.byteLength / 4) | 0]); // more than the heap holds: it grows
    expect(before.length).toBe(0); // the old view was detached by the growth
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5]);
    b.add(t, t, t);
    expect(Array.from(await b.read(t))).toEqual([2, 4, 6, 8, 10]);
    b.dispose(big);
    expect(rt!.bytesInUse()).toBe(used);
    b.dispose(t);
    expect(rt!.bytesInUse()).toBe(used - 32);
  });

  it('a whole model (prefill, decode, a second sequence, the KV pool growing) gives the plain-JS backend its logits within 1e-4', async () => {
    const { config, weights } = randomModel({ seed: 7, hiddenSize: 64, intermediateSize: 128, numHeads: 4, numKvHeads: 2, headDim: 16, numLayers: 2, vocabSize: 96 });
    for (const quant of ['f32', 'q4'] as const) {
      const run = async (simd: boolean): Promise<Float32Array[]> => {
        const m = createModel(createCpuBackend({ simd, decodeActivations: 'f32' }), config, weights, { quant, maxSeq: 16 });
        const [s1, s2] = [m.createSequence(64), m.createSequence(64)];
        const out = [await m.prefill([1, 5, 9, 2, 7, 3, 8, 4, 6, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], s1)];
        for (const tok of [13, 21, 40, 2]) out.push(await m.decodeStep(tok, s1));
        // a longer second sequence: more pages than the first pool held (it grows: pools copied, old ones freed)
        out.push(await m.prefill(Array.from({ length: 40 }, (_, i) => (i * 7) % 96), s2));
        for (const tok of [3, 77]) out.push(await m.decodeStep(tok, s2), await m.decodeStep(tok, s1));
        m.dispose();
        return out;
      };
      const heapBefore = rt!.memory.buffer.byteLength;
      const [js, simd] = [await run(false), await run(true)];
      expect(rt!.memory.buffer.byteLength).toBeGreaterThanOrEqual(heapBefore);
      js.forEach((a, i) => {
        let d = 0;
        for (let j = 0; j < a.length; j++) d = Math.max(d, Math.abs(a[j]! - simd[i]![j]!));
        expect(d).toBeLessThan(1e-4);
      });
    }
  });
});
