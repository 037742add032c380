/**
 * SwiGLU gate `out = silu(gate) · up` with the WASM `siluMul` kernel (a SIMD polynomial `exp`, ~2 ulp): heap views
 * (the CPU backend's tensors) in place, other arrays copied onto the heap and the result back. Same contract as
 * `kernels/siluMul.ts`; false (nothing done) when the length is not a multiple of 4, the shapes differ, or the heap
 * cannot grow for scratch — then the JS kernel runs.
 *
 * @example
 * if (!trySiluMulSimd(rt, gate, up, out)) siluMul(gate, up, out);
 */
import { onHeap, outOnHeap } from './normAddSimd.ts';
import type { SimdRuntime } from './simdRuntime.ts';

export function trySiluMulSimd(rt: SimdRuntime, gate: Float32Array, up: Float32Array, out: Float32Array): boolean {
  const n = gate.length;
  if (n % 4 !== 0 || up.length !== n || out.length < n) return false;
  const outAt = rt.heapAt(out);
  // slots 0 and 1 are matmul's x/out staging: reused here (never live at the same time)
  const h = onHeap(rt, [gate, up], [n, n], [0, 1]);
  if (!h) return false;
  const [gOff, uOff] = h.off as [number, number];
  const dst = outOnHeap(rt, outAt, h, n);
  if (dst === null) return false;
  rt.kernels.siluMul(gOff, uOff, dst, n);
  if (outAt < 0) out.set(rt.f32().subarray(dst >> 2, (dst >> 2) + n));
  return true;
}
