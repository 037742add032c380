import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dequantizePackedQ8Row, packedQ8Bytes, packQ8, unpackQ8 } from './packQ8.ts';
import { matmul } from './matmul.ts';
import { embeddingGather } from './embeddingGather.ts';
import { dequantizeRow, quantizeQ8, type Q8Matrix } from '../../quant.ts';
import { createRng } from '../../sampling/rng.ts';
import { simdRuntime, type PackedQ8 } from '../simd/simdRuntime.ts';
import { startCpuThreads, stopCpuThreads, threadsUnavailableReason } from '../threads/threadPool.ts';

const rt = simdRuntime();

function q8(N: number, K: number, seed: number): Q8Matrix {
  const r = createRng(seed);
  return quantizeQ8(Float32Array.from({ length: N * K }, () => r.normal() * 0.05), N, K);
}

describe('PackedQ8 in JS', () => {
  it('packs and unpacks to the same bytes and scales; rows dequantise as the stored matrix does (groups 1–9, 18)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 8, 9, 18), fc.nat(), (panels, G, seed) => {
        const N = 4 * panels;
        const K = 32 * G;
        const m = q8(N, K, seed);
        const data = new Uint8Array(packedQ8Bytes(N, K));
        packQ8(m, data);
        const p: PackedQ8 = { kind: 'q8p', rows: N, cols: K, groupSize: 32, data };
        const back = unpackQ8(p);
        expect(Array.from(back.q)).toEqual(Array.from(m.q));
        expect(Array.from(back.scales)).toEqual(Array.from(m.scales));
        const a = new Float32Array(K);
        const b = new Float32Array(K);
        for (let n = 0; n < N; n++) {
          dequantizeRow(m, n, a);
          dequantizePackedQ8Row(p, n, b);
          expect(Array.from(b)).toEqual(Array.from(a));
        }
      }),
      { numRuns: 30 },
    );
  });
});

describe.runIf(rt !== null)('PackedQ8 on the SIMD runtime: every path the same bits as the stored layout', () => {
  afterAll(() => stopCpuThreads());
  const shapes = [[16, 32], [48, 96], [32, 160], [64, 576], [208, 1536]] as const;

  const runAll = (mats: { packed: ReturnType<NonNullable<typeof rt>['toHeapPacked']>; stored: Q8Matrix }[]): { packed: number[][]; stored: number[][] } => {
    const packed: number[][] = [];
    const stored: number[][] = [];
    for (const { packed: p, stored: s } of mats) {
      for (const T of [1, 2, 3, 5]) {
        for (const act of ['int8', 'f32'] as const) {
          if (T >= 4 && act === 'int8') continue;
          const x = Float32Array.from({ length: T * s.cols }, (_, i) => Math.sin(i * 0.37 + T) * (i % 7 === 0 ? 4 : 1));
          const o1 = new Float32Array(T * s.rows);
          const o2 = new Float32Array(T * s.rows);
          matmul(x, T, p, o1, undefined, act);
          matmul(x, T, s, o2, undefined, act);
          packed.push(Array.from(o1));
          stored.push(Array.from(o2));
        }
      }
    }
    return { packed, stored };
  };

  it('toHeapPacked keeps int8 as PackedQ8; int8 and f32 activations, decode and prefill, embedding rows; the JS fallback on it', () => {
    const mats = shapes.map(([N, K], i) => {
      const m = q8(N, K, 100 + i);
      return { packed: rt!.toHeapPacked(m), stored: rt!.toHeap(m) as Q8Matrix };
    });
    for (const { packed } of mats) expect(packed.kind).toBe('q8p');
    const { packed, stored } = runAll(mats);
    expect(packed).toEqual(stored);
    for (const { packed: p, stored: s } of mats) {
      const ids = Int32Array.of(0, 3, s.rows - 1, 5);
      const a = new Float32Array(ids.length * s.cols);
      const b = new Float32Array(ids.length * s.cols);
      embeddingGather(ids, p, a);
      embeddingGather(ids, s, b);
      expect(Array.from(a)).toEqual(Array.from(b));
      rt!.release(p);
      rt!.release(s);
    }
  });

  it.runIf(rt !== null && threadsUnavailableReason(rt) === null)('on 3 threads: the same bits as on one', async () => {
    const mats = shapes.map(([N, K], i) => {
      const m = q8(N, K, 200 + i);
      return { packed: rt!.toHeapPacked(m), stored: rt!.toHeap(m) as Q8Matrix };
    });
    stopCpuThreads();
    const one = runAll(mats).packed;
    expect((await startCpuThreads(3))?.count).toBe(3);
    const three = runAll(mats).packed;
    stopCpuThreads();
    expect(three).toEqual(one);
    for (const m of mats) {
      rt!.release(m.packed);
      rt!.release(m.stored);
    }
  });
});
