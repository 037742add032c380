/**
 * Startup self-check of relaxed SIMD's `i16x8.relaxed_dot_i8x16_i7x16_s` as `gemvi4r` uses it. Relaxed instructions
 * may differ between engines, and one engine here got a sibling wrong (Node 20's V8 returns twice the dot and drops
 * the addend of `i32x4.relaxed_dot_i8x16_i7x16_add_s`), so the runtime uses `gemvi4r` only where it returns the exact
 * integer sums on this machine: 4 rows × 128 columns of every nibble against integer activations that quantise to
 * themselves (each group holds ±127, so every scale is 1 and every result is an integer below 2^24: exact in f32 in
 * any order). Anything else — a wrong value, a trap — and the plain-SIMD `gemvi4` runs instead.
 */
type Kernel = (...args: number[]) => void;

const N = 4;
const K = 128;
/** bytes of heap the check needs at `at` */
export const RELAXED_CHECK_BYTES = 2048;

/** True when `gemvi4r` (with `qxEo8`) computes the exact int4 × int8 dot products of the check. */
export function relaxedDotSelfCheck(memory: WebAssembly.Memory, kernels: Record<string, Kernel | undefined>, at: number): boolean {
  const qx = kernels['qxEo8'];
  const gemv = kernels['gemvi4r'];
  if (!qx || !gemv) return false;
  const [xO, xq, xs, xc, qO, sO, oO] = [at, at + 512, at + 640, at + 672, at + 704, at + 960, at + 1024];
  const x = new Float32Array(memory.buffer, xO, K);
  let seed = 0x9e3779b9;
  const next = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed >>> 8;
  };
  for (let k = 0; k < K; k++) x[k] = (next() % 255) - 127;
  for (let g = 0; g < K / 32; g++) x[g * 32 + (next() % 32)] = g % 2 === 0 ? 127 : -127;
  const q = new Uint8Array(memory.buffer, qO, (N * K) / 2);
  for (let i = 0; i < q.length; i++) q[i] = i < 16 ? i * 17 : next() & 255; // nibbles 0..15 on both halves first
  new Float32Array(memory.buffer, sO, (N * K) / 32).fill(1);
  try {
    qx(xO, xq, xs, xc, K / 32);
    gemv(xq, xs, xc, qO, sO, oO, N, K);
  } catch {
    return false;
  }
  const out = new Float32Array(memory.buffer, oO, N);
  const xv = new Float32Array(memory.buffer, xO, K);
  const qv = new Uint8Array(memory.buffer, qO, (N * K) / 2);
  for (let n = 0; n < N; n++) {
    let want = 0;
    for (let k = 0; k < K; k++) {
      const b = qv[(n * K + k) >> 1]!;
      want += xv[k]! * (((k & 1) === 0 ? b & 15 : b >> 4) - 8);
    }
    if (out[n] !== want) return false;
  }
  return true;
}
