import { expect } from 'vitest';
import { fromF16, roundToF16, toF16Matrix, type F16Matrix } from '../../src/engine/f16.ts';
import type { LlamaWeights } from '../../src/engine/model/types.ts';
import { f32Matrix, quantizeQ4, quantizeQ8, type F32Matrix, type Matrix } from '../../src/engine/quant.ts';

/** Deterministic random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values uniform in [-scale, scale). */
export function randn(rand: () => number, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}

export interface Tolerance {
  abs: number;
  rel: number;
}

/**
 * Asserts |gpu[i] - cpu[i]| <= abs + rel * |cpu[i]| for every i, reporting the worst element, and
 * returns the largest error seen relative to the allowance (≤ 1 passes).
 */
export function expectClose(gpu: ArrayLike<number>, cpu: ArrayLike<number>, tol: Tolerance, what: string): number {
  expect(gpu.length, `${what}: length`).toBe(cpu.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < cpu.length; i++) {
    const g = gpu[i]!;
    const c = cpu[i]!;
    const ratio = Number.isFinite(g) ? Math.abs(g - c) / (tol.abs + tol.rel * Math.abs(c)) : Infinity;
    if (!(ratio <= worst)) {
      worst = ratio;
      at = i;
    }
  }
  if (process.env.GPU_PARITY_VERBOSE) console.log(`${what}: worst error ${worst.toExponential(2)} of the tolerance`);
  if (!(worst <= 1)) {
    expect.fail(`${what}: element ${at} is ${gpu[at]} on the GPU and ${cpu[at]} on the CPU (error ${worst.toFixed(2)}× the tolerance abs ${tol.abs} + rel ${tol.rel}).`);
  }
  return worst;
}

/** Asserts bit-for-bit equal values (a loop: vitest's toEqual is far too slow on millions of elements). */
export function expectSame(gpu: ArrayLike<number>, cpu: ArrayLike<number>, what: string): void {
  expect(gpu.length, `${what}: length`).toBe(cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    if (!Object.is(gpu[i], cpu[i])) expect.fail(`${what}: element ${i} is ${gpu[i]} on the GPU and ${cpu[i]} on the CPU (expected exactly equal).`);
  }
}

/** The weights an f16 model computes with: every matrix rounded to f16 (norms and biases stay f32). */
export function roundMatricesToF16(w: LlamaWeights): LlamaWeights {
  const r = (m: F32Matrix): F32Matrix => ({ ...m, data: roundToF16(m.data) });
  return {
    embed: r(w.embed),
    finalNorm: w.finalNorm,
    ...(w.lmHead ? { lmHead: r(w.lmHead) } : {}),
    layers: w.layers.map((L) => ({ ...L, q: r(L.q), k: r(L.k), v: r(L.v), o: r(L.o), gate: r(L.gate), up: r(L.up), down: r(L.down) })),
  };
}

export type WeightKind = 'f32' | 'f16' | 'q8' | 'q4';

/** `data` ([N, K]) as a weight of `kind` (int8 / int4 quantised with the default groups, f16 rounded). */
export function makeMatrix(kind: WeightKind, data: Float32Array, N: number, K: number): Matrix | F16Matrix {
  if (kind === 'q8') return quantizeQ8(data, N, K);
  if (kind === 'q4') return quantizeQ4(data, N, K);
  if (kind === 'f16') return toF16Matrix(f32Matrix(data, N, K));
  return { kind: 'f32', rows: N, cols: K, data };
}

/** The CPU twin's view of a weight: f16 halves widened to f32 (exactly what the GPU computes with). */
export function cpuView(w: Matrix | F16Matrix): Matrix {
  return w.kind === 'f16' ? f32Matrix(fromF16(w.data), w.rows, w.cols) : w;
}
