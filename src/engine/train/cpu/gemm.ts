/**
 * The three products training needs, all as `out = a · Bᵀ` on the CPU matmul kernel (`src/engine/cpu/kernels/
 * matmul.ts`): with WASM SIMD the `B` operand is packed onto the heap for the call (O(N·K), small next to the
 * O(T·N·K) product) and `gemmp16` runs; without SIMD the kernel's register-blocked JS path.
 *
 * - forward `y = x · Wᵀ`               → `gemmABt(x, T, W, N, K)`
 * - grad input `dx = dy · W`           → `gemmABt(dy, T, Wᵀ, K, N)` (W transposed first)
 * - grad weight `dW = dyᵀ · x`         → `gemmABt(dyᵀ, N, xᵀ, K, T)` (both transposed)
 */
import { matmul } from '../../cpu/kernels/matmul.ts';
import { simdRuntime, type CpuMatrix } from '../../cpu/simd/simdRuntime.ts';

/** `out[M, N] = a[M, K] · b[N, K]ᵀ` (`accumulate`: `out +=`). */
export function gemmABt(a: Float32Array, M: number, b: Float32Array, N: number, K: number, out: Float32Array, accumulate = false): void {
  if (M === 0 || N === 0) return;
  const rt = simdRuntime();
  let w: CpuMatrix = { kind: 'f32', rows: N, cols: K, data: b.length === N * K ? b : b.subarray(0, N * K) };
  const onHeap = rt !== null && N % 4 === 0 && K % 4 === 0 && M * N * K >= 4096;
  if (onHeap) w = N % 16 === 0 ? rt.toHeapPacked(w) : rt.toHeap(w);
  try {
    if (!accumulate) matmul(a, M, w, out);
    else {
      const tmp = scratch(M * N);
      matmul(a, M, w, tmp);
      for (let i = 0; i < M * N; i++) out[i] = out[i]! + tmp[i]!;
    }
  } finally {
    if (onHeap) rt.release(w);
  }
}

/** `out[K, N] = aᵀ` for `a [N, K]`. */
export function transpose(a: Float32Array, N: number, K: number, out: Float32Array): Float32Array {
  const B = 32;
  for (let n0 = 0; n0 < N; n0 += B) {
    const n1 = Math.min(N, n0 + B);
    for (let k0 = 0; k0 < K; k0 += B) {
      const k1 = Math.min(K, k0 + B);
      for (let n = n0; n < n1; n++) for (let k = k0; k < k1; k++) out[k * N + n] = a[n * K + k]!;
    }
  }
  return out;
}

const pool: Float32Array[] = [];
let poolNext = 0;
/** A temporary array of at least `n` floats from a small rotating pool (valid until 4 more calls). */
export function scratch(n: number): Float32Array {
  const i = poolNext;
  poolNext = (poolNext + 1) % 4;
  if (!pool[i] || pool[i].length < n) pool[i] = new Float32Array(Math.max(n, Math.ceil((pool[i]?.length ?? 0) * 1.5)));
  return pool[i].subarray(0, n);
}

/** `dx[T, K] += dy[T, N] · W[N, K]`. */
export function gemmGradInput(dy: Float32Array, T: number, w: Float32Array, N: number, K: number, dx: Float32Array): void {
  const wt = transpose(w, N, K, scratch(N * K));
  gemmABt(dy, T, wt, K, N, dx, true);
}

/** `dW[N, K] += dy[T, N]ᵀ · x[T, K]`. */
export function gemmGradWeight(dy: Float32Array, x: Float32Array, T: number, N: number, K: number, dw: Float32Array): void {
  const dyT = transpose(dy, T, N, scratch(T * N));
  const xT = transpose(x, T, K, scratch(T * K));
  gemmABt(dyT, N, xT, K, T, dw, true);
}
