/**
 * RMSNorm and the residual add with the WASM `rmsNorm` / `add` kernels: inputs copied onto the heap, results back
 * (cheaper than the JS loops even with the copies). Same contracts as `kernels/rmsNorm.ts` and `kernels/add.ts`;
 * false (nothing done) when a size is not a multiple of 4, the shapes do not match, or the heap cannot grow for
 * scratch — then the JS kernels run. RMSNorm sums squares in f32 (the JS kernel in f64): within ~1e-6 relative.
 *
 * @example
 * if (!tryRmsNormSimd(rt, x, T, d, weight, eps, out)) rmsNorm(x, T, d, weight, eps, out);
 */
import type { SimdRuntime } from './simdRuntime.ts';

/** Scratch offsets for the given sizes (in f32 values), or null when the heap cannot grow. */
function slots(rt: SimdRuntime, sizes: [number, number][]): number[] | null {
  try {
    return sizes.map(([slot, n]) => rt.scratch(slot, n * 4));
  } catch {
    return null;
  }
}

export function tryRmsNormSimd(rt: SimdRuntime, x: Float32Array, T: number, d: number, weight: Float32Array, eps: number, out: Float32Array): boolean {
  const n = T * d;
  if (d % 4 !== 0 || d === 0 || x.length < n || out.length < n || weight.length !== d) return false;
  // slots 0 and 1 are matmul's staging, 9 is free: none is live across calls
  const offs = slots(rt, [
    [0, n],
    [9, d],
  ]);
  if (!offs) return false;
  const [xOff, wOff] = offs as [number, number];
  const heap = rt.f32();
  heap.set(x.subarray(0, n), xOff >> 2);
  heap.set(weight, wOff >> 2);
  rt.kernels.rmsNorm(xOff, wOff, xOff, T, d, eps);
  out.set(heap.subarray(xOff >> 2, (xOff >> 2) + n));
  return true;
}

export function tryAddSimd(rt: SimdRuntime, a: Float32Array, b: Float32Array, out: Float32Array): boolean {
  const n = a.length;
  if (n % 4 !== 0 || b.length !== n || out.length < n) return false;
  const offs = slots(rt, [
    [0, n],
    [1, n],
  ]);
  if (!offs) return false;
  const [aOff, bOff] = offs as [number, number];
  const heap = rt.f32();
  heap.set(a, aOff >> 2);
  heap.set(b, bOff >> 2);
  rt.kernels.add(aOff, bOff, aOff, n);
  out.set(heap.subarray(aOff >> 2, (aOff >> 2) + n));
  return true;
}
