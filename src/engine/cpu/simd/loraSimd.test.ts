import v8 from 'node:v8';
import { describe, expect, it, vi } from 'vitest';
import { createCpuBackend } from '../cpuBackend.ts';
import { loraApply, type LoraSlotView } from '../kernels/loraApply.ts';
import { createHeapLoraSlots, heapLoraSlotViews, loraAIndex, loraApplySimd, loraBtIndex, releaseHeapLoraSlots, writeHeapLoraSlot } from './loraSimd.ts';
import { simdModuleBytes } from './simdModule.ts';
import { simdRuntime } from './simdRuntime.ts';
import { createRng } from '../../sampling/rng.ts';

const rt = simdRuntime();

function slot(rank: number, inDim: number, outDim: number, seed: number): LoraSlotView {
  const r = createRng(seed);
  return {
    rank,
    scale: rank === 0 ? 0 : 16 / rank,
    A: Float32Array.from({ length: rank * inDim }, () => r.normal()),
    B: Float32Array.from({ length: outDim * rank }, () => r.normal() * 0.1),
  };
}

/**
 * Error of `got` against the f64 twin, as a fraction of the magnitude of the terms summed into each output
 * (`|out₀| + Σ_j |scale · B_nj| · Σ_k |A_jk · x_k|`): f32 sums of a few hundred terms stay well inside 1e-6 of it (~1e-7 here).
 */
function relErr(got: Float32Array, ref: Float32Array, base: Float32Array, x: Float32Array, T: number, inDim: number, outDim: number, rowAdapter: Int32Array, slots: LoraSlotView[]): number {
  let worst = 0;
  for (let t = 0; t < T; t++) {
    const s = slots[rowAdapter[t]!];
    for (let n = 0; n < outDim; n++) {
      let m = Math.abs(base[t * outDim + n]!);
      if (rowAdapter[t]! >= 0 && s) {
        for (let j = 0; j < s.rank; j++) {
          let a = 0;
          for (let k = 0; k < inDim; k++) a += Math.abs(s.A[j * inDim + k]! * x[t * inDim + k]!);
          m += Math.abs(s.scale * s.B[n * s.rank + j]!) * a;
        }
      }
      worst = Math.max(worst, Math.abs(got[t * outDim + n]! - ref[t * outDim + n]!) / m);
    }
  }
  return worst;
}

describe.runIf(rt !== null)('WASM SIMD multi-LoRA (loraShrink / loraExpand on heap slots)', () => {
  // segments of several rows, single rows, −1 rows inside and at both ends, rank 0
  const rowAdapter = Int32Array.of(-1, 0, 0, 0, 1, 2, 2, -1, 3, 3, 0, 4, -1, 1, 1, 1, 1, 1, -1);
  const T = rowAdapter.length;

  for (const [inDim, outDim] of [
    [64, 48],
    [13, 7],
    [200, 96],
    [4, 5],
  ] as const) {
    it(`matches the plain-JS twin within 1e-6 of the terms' magnitude: ranks 1/4/8/16/64, mixed rows, ${inDim}→${outDim}`, async () => {
      const slots = [slot(8, inDim, outDim, 1), slot(1, inDim, outDim, 2), slot(16, inDim, outDim, 3), slot(64, inDim, outDim, 4), slot(4, inDim, outDim, 5)];
      const zeroRank = slot(0, inDim, outDim, 6);
      const r = createRng(9);
      const x = Float32Array.from({ length: T * inDim }, () => r.normal());
      const base = Float32Array.from({ length: T * outDim }, () => r.normal());
      const ref = base.slice();
      loraApply(x, T, inDim, outDim, rowAdapter, slots, ref);

      const b = createCpuBackend();
      const pool = b.createLoraPool(6, 64, inDim, outDim);
      // each slot held a rank-64 adapter first: nothing of it may leak into the padding of the one written over it
      slots.forEach((s, i) => {
        b.writeLoraSlot(pool, i, slot(64, inDim, outDim, 50 + i));
        b.writeLoraSlot(pool, i, s);
      });
      b.writeLoraSlot(pool, 5, zeroRank);
      const out = b.upload(base);
      b.loraApply(b.upload(x), T, pool, rowAdapter, out);
      const got = await b.read(out);
      expect(relErr(got, ref, base, x, T, inDim, outDim, rowAdapter, slots)).toBeLessThan(1e-6);
      // rows with −1 (and a rank-0 slot) are untouched, bit for bit
      const untouched = Int32Array.of(5, -1, 5);
      const o2 = b.upload(base.subarray(0, 3 * outDim));
      b.loraApply(b.upload(x.subarray(0, 3 * inDim)), 3, pool, untouched, o2);
      expect(Array.from(await b.read(o2))).toEqual(Array.from(base.subarray(0, 3 * outDim)));
      for (let t = 0; t < T; t++) {
        if (rowAdapter[t]! >= 0) continue;
        expect(Array.from(got.subarray(t * outDim, (t + 1) * outDim))).toEqual(Array.from(base.subarray(t * outDim, (t + 1) * outDim)));
      }
      // a batch equals its rows run alone, bit for bit (segments and tiles never change a row's sums)
      for (let t = 0; t < T; t++) {
        const one = b.upload(base.subarray(t * outDim, (t + 1) * outDim));
        b.loraApply(b.upload(x.subarray(t * inDim, (t + 1) * inDim)), 1, pool, rowAdapter.subarray(t, t + 1), one);
        expect(Array.from(await b.read(one))).toEqual(Array.from(got.subarray(t * outDim, (t + 1) * outDim)));
      }
      b.dispose(pool);
    });
  }

  it('keeps the slots on the heap (exact copies, B transposed back on request), empties and frees them', () => {
    const [inDim, outDim] = [13, 7];
    const before = rt!.bytesInUse();
    const p = createHeapLoraSlots(rt!, 3, 8, inDim, outDim)!;
    expect(p.bytes).toBe(3 * 8 * (16 + 8) * 4);
    const s = slot(5, inDim, outDim, 11);
    writeHeapLoraSlot(rt!, p, 2, s);
    const views = heapLoraSlotViews(rt!, p);
    expect(views[0]).toBeNull();
    expect(Array.from(views[2]!.A)).toEqual(Array.from(s.A));
    expect(Array.from(views[2]!.B)).toEqual(Array.from(s.B));
    expect(views[2]!.scale).toBe(s.scale);
    const x = new Float32Array(2 * inDim).fill(1);
    expect(() => loraApplySimd(rt!, x, 2, Int32Array.of(2, 1), p, new Float32Array(2 * outDim))).toThrow(/slot 1, which is empty/);
    expect(() => loraApplySimd(rt!, x, 2, Int32Array.of(2, 7), p, new Float32Array(2 * outDim))).toThrow(/slot 7/);
    expect(() => loraApplySimd(rt!, x, 3, Int32Array.of(2, 2, 2), p, new Float32Array(3 * outDim))).toThrow(/x needs/);
    writeHeapLoraSlot(rt!, p, 2, null);
    expect(() => loraApplySimd(rt!, x, 1, Int32Array.of(2), p, new Float32Array(outDim))).toThrow(/empty/);
    releaseHeapLoraSlots(rt!, p);
    expect(rt!.bytesInUse()).toBe(before);
  });

  it('falls back to the plain-JS twin on copies of the heap slots when scratch cannot grow (same bits as the twin)', async () => {
    const [inDim, outDim, T] = [12, 8, 3];
    const slots = [slot(4, inDim, outDim, 21), slot(3, inDim, outDim, 22)];
    const rowAdapter = Int32Array.of(1, -1, 0);
    const r = createRng(23);
    const x = Float32Array.from({ length: T * inDim }, () => r.normal());
    const base = Float32Array.from({ length: T * outDim }, () => r.normal());
    const ref = base.slice();
    loraApply(x, T, inDim, outDim, rowAdapter, slots, ref);
    const b = createCpuBackend();
    const pool = b.createLoraPool(2, 4, inDim, outDim);
    slots.forEach((s, i) => b.writeLoraSlot(pool, i, s));
    const out = b.upload(base);
    const scratch = rt!.scratch;
    const spy = vi.spyOn(rt!, 'scratch').mockImplementation(() => {
      throw new RangeError('no room');
    });
    try {
      b.loraApply(b.upload(x), T, pool, rowAdapter, out);
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
    expect(rt!.scratch).toBe(scratch);
    expect(Array.from(await b.read(out))).toEqual(Array.from(ref));
  });

  it('the SIMD and plain-JS backends report their pools (the SIMD one pads dimensions to 4 on the heap)', () => {
    expect(createCpuBackend({ simd: false }).createLoraPool(2, 4, 3, 2).bytes).toBe(4 * (2 * 4 * 3 + 2 * 2 * 4));
    expect(createCpuBackend().createLoraPool(2, 4, 3, 2).bytes).toBe(4 * (2 * 4 * 4 + 2 * 4 * 4));
  });
});

describe('loraShrink / loraExpand kernels, plain SIMD and relaxed-SIMD FMA', () => {
  const fmaBytes = simdModuleBytes({ fma: true });
  if (!WebAssembly.validate(fmaBytes)) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  const haveFma = WebAssembly.validate(fmaBytes);
  for (const fma of [false, true]) {
    it.runIf(!fma || haveFma)(`${fma ? 'FMA' : 'plain'}: a segment equals the naive f64 sums within 1e-5; each row alone gives the same bits`, () => {
      const mem = new WebAssembly.Memory({ initial: 32 });
      const k = new WebAssembly.Instance(new WebAssembly.Module(simdModuleBytes({ fma })), { env: { mem } }).exports as Record<string, (...a: number[]) => void>;
      const heap = new Float32Array(mem.buffer);
      const r = createRng(fma ? 3 : 4);
      for (const [rows, K, N, rank] of [
        [7, 36, 52, 6],
        [1, 8, 4, 1],
        [4, 64, 20, 16],
        [3, 20, 36, 7],
      ] as const) {
        const [xO, aO, bO, hO, oO, h1O, o1O] = [0, 1, 2, 3, 4, 5, 6].map((i) => 1024 + i * 65536);
        const x = Float32Array.from({ length: rows * K }, () => r.normal());
        const A = Float32Array.from({ length: rank * K }, () => r.normal());
        const Bt = Float32Array.from({ length: rank * N }, () => r.normal());
        const o0 = Float32Array.from({ length: rows * N }, () => r.normal());
        heap.set(x, xO! >> 2);
        // in the kernels' layouts (row-major A [rank, K] and Bᵀ [rank, N] here)
        for (let j = 0; j < rank; j++) for (let i = 0; i < K; i++) heap[(aO! >> 2) + loraAIndex(j, i, rank, K)] = A[j * K + i]!;
        for (let j = 0; j < rank; j++) for (let n = 0; n < N; n++) heap[(bO! >> 2) + loraBtIndex(j, n, rank, N)] = Bt[j * N + n]!;
        heap.set(o0, oO! >> 2);
        k['loraShrink']!(xO!, aO!, hO!, rows, K, rank, 0.5);
        k['loraExpand']!(hO!, bO!, oO!, rows, N, rank);
        for (let t = 0; t < rows; t++) {
          for (let n = 0; n < N; n++) {
            let s = o0[t * N + n]!;
            for (let j = 0; j < rank; j++) {
              let d = 0;
              for (let i = 0; i < K; i++) d += x[t * K + i]! * A[j * K + i]!;
              s += 0.5 * d * Bt[j * N + n]!;
            }
            expect(Math.abs(heap[(oO! >> 2) + t * N + n]! - s)).toBeLessThan(1e-5 * Math.max(1, Math.abs(s)) * Math.sqrt(K * rank));
          }
          heap.set(o0.subarray(t * N, (t + 1) * N), o1O! >> 2);
          k['loraShrink']!(xO! + t * K * 4, aO!, h1O!, 1, K, rank, 0.5);
          k['loraExpand']!(h1O!, bO!, o1O!, 1, N, rank);
          expect(Array.from(heap.subarray(o1O! >> 2, (o1O! >> 2) + N))).toEqual(Array.from(heap.subarray((oO! >> 2) + t * N, (oO! >> 2) + (t + 1) * N)));
        }
      }
    });
  }
});

describe('LoRA heap layout', () => {
  it('loraAIndex and loraBtIndex place every element of a slot once, inside the slot', () => {
    for (const [r, kp] of [
      [1, 4],
      [7, 20],
      [8, 36],
      [64, 8],
    ] as const) {
      const a = new Set<number>();
      const bt = new Set<number>();
      for (let j = 0; j < r; j++) for (let k = 0; k < kp; k++) a.add(loraAIndex(j, k, r, kp));
      for (let j = 0; j < r; j++) for (let n = 0; n < kp; n++) bt.add(loraBtIndex(j, n, r, kp));
      for (const s of [a, bt]) {
        expect(s.size).toBe(r * kp);
        expect(Math.min(...s)).toBe(0);
        expect(Math.max(...s)).toBe(r * kp - 1);
      }
    }
  });
});
