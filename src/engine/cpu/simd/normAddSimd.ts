/**
 * RMSNorm and the residual add with the WASM `rmsNorm` / `add` kernels. Arrays that are views on the heap (the CPU
 * backend's tensors) are used where they are; others are copied onto the heap and the result back (cheaper than the
 * JS loops even with the copies). Same contracts as `kernels/rmsNorm.ts` and `kernels/add.ts`; false (nothing done)
 * when a size is not a multiple of 4, the shapes do not match, or the heap cannot grow for scratch — then the JS
 * kernels run (on views taken afresh: growing a non-shared heap detaches the old ones). RMSNorm sums squares in f32
 * (the JS kernel in f64): within ~1e-6 relative.
 *
 * @example
 * if (!tryRmsNormSimd(rt, x, T, d, weight, eps, out)) rmsNorm(x, T, d, weight, eps, out);
 */
import type { SimdRuntime } from './simdRuntime.ts';

/** Heap byte offsets of `views` where they live there, else of scratch slots `slots[i]` holding their first `sizes[i]` values (copied in); null when the heap cannot grow. */
export function onHeap(rt: SimdRuntime, views: Float32Array[], sizes: number[], slots: number[]): { at: number[]; off: number[] } | null {
  const at = views.map((v) => rt.heapAt(v));
  const off: number[] = [];
  try {
    for (let i = 0; i < views.length; i++) off.push(at[i]! >= 0 ? at[i]! : rt.scratch(slots[i]!, sizes[i]! * 4));
  } catch {
    return null;
  }
  for (let i = 0; i < views.length; i++) if (at[i]! < 0 && sizes[i]! > 0) rt.stageIn(views[i]!, -1, 0, sizes[i]!, off[i]!);
  return { at, off };
}

/** Where a kernel writes: `out` in place (heap offset `outAt`), else the first input's scratch copy, else scratch slot 0 (the first input lives on the heap and must not be overwritten); null when the heap cannot grow. */
export function outOnHeap(rt: SimdRuntime, outAt: number, h: { at: number[]; off: number[] }, n: number): number | null {
  if (outAt >= 0) return outAt;
  if (h.at[0]! < 0) return h.off[0]!;
  try {
    return rt.scratch(0, n * 4);
  } catch {
    return null;
  }
}

export function tryRmsNormSimd(rt: SimdRuntime, x: Float32Array, T: number, d: number, weight: Float32Array, eps: number, out: Float32Array): boolean {
  const n = T * d;
  if (d % 4 !== 0 || d === 0 || x.length < n || out.length < n || weight.length !== d) return false;
  const outAt = rt.heapAt(out);
  // slots 0 and 1 are matmul's staging, 9 is free: none is live across calls
  const h = onHeap(rt, [x, weight], [n, d], [0, 9]);
  if (!h) return false;
  const [xOff, wOff] = h.off as [number, number];
  const dst = outOnHeap(rt, outAt, h, n);
  if (dst === null) return false;
  rt.kernels.rmsNorm(xOff, wOff, dst, T, d, eps);
  if (outAt < 0) out.set(rt.f32().subarray(dst >> 2, (dst >> 2) + n));
  return true;
}

export function tryAddSimd(rt: SimdRuntime, a: Float32Array, b: Float32Array, out: Float32Array): boolean {
  const n = a.length;
  if (n % 4 !== 0 || b.length !== n || out.length < n) return false;
  const outAt = rt.heapAt(out);
  const h = onHeap(rt, [a, b], [n, n], [0, 1]);
  if (!h) return false;
  const [aOff, bOff] = h.off as [number, number];
  const dst = outOnHeap(rt, outAt, h, n);
  if (dst === null) return false;
  rt.kernels.add(aOff, bOff, dst, n);
  if (outAt < 0) out.set(rt.f32().subarray(dst >> 2, (dst >> 2) + n));
  return true;
}
