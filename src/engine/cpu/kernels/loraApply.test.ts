import { describe, expect, it } from 'vitest';
import { loraApply, type LoraSlotView } from './loraApply.ts';
import { createRng } from '../../sampling/rng.ts';

function slot(rank: number, inDim: number, outDim: number, alpha: number, seed: number): LoraSlotView {
  const r = createRng(seed);
  return {
    rank,
    scale: rank === 0 ? 0 : alpha / rank,
    A: Float32Array.from({ length: rank * inDim }, () => r.normal()),
    B: Float32Array.from({ length: outDim * rank }, () => r.normal()),
  };
}

/** Naive: ΔW = scale · B·A as a dense [out, in] matrix, then y += x · ΔWᵀ. */
function naiveDelta(x: Float32Array, inDim: number, outDim: number, s: LoraSlotView): Float32Array {
  const y = new Float32Array(outDim);
  for (let n = 0; n < outDim; n++)
    for (let k = 0; k < inDim; k++) {
      let dw = 0;
      for (let j = 0; j < s.rank; j++) dw += s.B[n * s.rank + j]! * s.A[j * inDim + k]!;
      y[n] = y[n]! + s.scale * dw * x[k]!;
    }
  return y;
}

describe('loraApply', () => {
  const [inDim, outDim, T] = [12, 7, 5];
  const slots = [slot(4, inDim, outDim, 8, 1), slot(2, inDim, outDim, 16, 2), slot(0, inDim, outDim, 8, 3)];
  const r = createRng(7);
  const x = Float32Array.from({ length: T * inDim }, () => r.normal());
  const base = Float32Array.from({ length: T * outDim }, () => r.normal());

  it('adds each row its own adapter (heterogeneous batch); −1 and rank 0 rows are untouched', () => {
    const rowAdapter = Int32Array.of(0, -1, 1, 2, 0);
    const out = base.slice();
    loraApply(x, T, inDim, outDim, rowAdapter, slots, out);
    for (let t = 0; t < T; t++) {
      const got = out.subarray(t * outDim, (t + 1) * outDim);
      const b = base.subarray(t * outDim, (t + 1) * outDim);
      const s = rowAdapter[t]!;
      if (s < 0 || slots[s]!.rank === 0) {
        expect(Array.from(got)).toEqual(Array.from(b));
        continue;
      }
      const d = naiveDelta(x.subarray(t * inDim, (t + 1) * inDim), inDim, outDim, slots[s]!);
      for (let n = 0; n < outDim; n++) expect(got[n]).toBeCloseTo(b[n]! + d[n]!, 4);
    }
  });

  it('a batch equals its rows run one at a time', () => {
    const rowAdapter = Int32Array.of(1, 0, 0, -1, 1);
    const batched = base.slice();
    loraApply(x, T, inDim, outDim, rowAdapter, slots, batched);
    for (let t = 0; t < T; t++) {
      const one = base.slice(t * outDim, (t + 1) * outDim);
      loraApply(x.subarray(t * inDim, (t + 1) * inDim), 1, inDim, outDim, Int32Array.of(rowAdapter[t]!), slots, one);
      expect(Array.from(batched.subarray(t * outDim, (t + 1) * outDim))).toEqual(Array.from(one));
    }
  });

  it('refuses an empty slot', () => {
    expect(() => loraApply(x, 1, inDim, outDim, Int32Array.of(5), slots, base.slice())).toThrow(/slot 5/);
  });
});
