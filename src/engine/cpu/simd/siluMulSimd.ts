/**
 * SwiGLU gate `out = silu(gate) · up` with the WASM `siluMul` kernel (a SIMD polynomial `exp`, ~2 ulp): the inputs are
 * copied onto the heap, the result back. Same contract as `kernels/siluMul.ts`; false (nothing done) when the length
 * is not a multiple of 4, the shapes differ, or the heap cannot grow for scratch — then the JS kernel runs.
 *
 * @example
 * if (!trySiluMulSimd(rt, gate, up, out)) siluMul(gate, up, out);
 */
import type { SimdRuntime } from './simdRuntime.ts';

export function trySiluMulSimd(rt: SimdRuntime, gate: Float32Array, up: Float32Array, out: Float32Array): boolean {
  const n = gate.length;
  if (n % 4 !== 0 || up.length !== n || out.length < n) return false;
  let gOff: number, uOff: number;
  try {
    // slots 0 and 1 are matmul's x/out staging: reused here (never live at the same time)
    gOff = rt.scratch(0, n * 4);
    uOff = rt.scratch(1, n * 4);
  } catch {
    return false;
  }
  const heap = rt.f32();
  heap.set(gate, gOff >> 2);
  heap.set(up, uOff >> 2);
  rt.kernels.siluMul(gOff, uOff, gOff, n);
  out.set(heap.subarray(gOff >> 2, (gOff >> 2) + n));
  return true;
}
