import { describe, expect, it } from 'vitest';
import { topK } from './topK.ts';
import { createRng } from '../../sampling/rng.ts';

/** The reference: a full stable sort of the non-NaN ids by value descending, then id ascending. */
function naive(logits: Float32Array, T: number, V: number, K: number): { ids: number[]; vals: number[] } {
  const ids: number[] = [];
  const vals: number[] = [];
  for (let t = 0; t < T; t++) {
    const row = logits.subarray(t * V, t * V + V);
    const order = Array.from({ length: V }, (_, i) => i)
      .filter((i) => !Number.isNaN(row[i]))
      .sort((a, b) => (row[a]! === row[b]! ? a - b : row[b]! - row[a]!));
    for (let r = 0; r < K; r++) {
      const i = order[r];
      ids.push(i ?? -1);
      vals.push(i === undefined ? -Infinity : row[i]!);
    }
  }
  return { ids, vals };
}

function run(logits: Float32Array, T: number, V: number, K: number): { ids: number[]; vals: number[] } {
  const ids = new Int32Array(T * K).fill(123);
  const vals = new Float32Array(T * K).fill(123);
  topK(logits, T, V, K, ids, vals);
  return { ids: Array.from(ids), vals: Array.from(vals) };
}

function expectSameAsNaive(logits: Float32Array, T: number, V: number, K: number): void {
  const got = run(logits, T, V, K);
  const want = naive(logits, T, V, K);
  expect(got.ids).toEqual(want.ids);
  // Object.is per element: -0 and +0 must come back as stored
  for (let i = 0; i < want.vals.length; i++) expect(Object.is(got.vals[i], want.vals[i]), `vals[${i}]: ${got.vals[i]} vs ${want.vals[i]}`).toBe(true);
}

describe('topK (CPU)', () => {
  it('matches a full sort on random rows for several K', () => {
    const r = createRng(5);
    const [T, V] = [4, 700];
    const logits = Float32Array.from({ length: T * V }, () => r.normal() * 4);
    for (const K of [1, 2, 7, 40, 256, 700]) expectSameAsNaive(logits, T, V, K);
  });

  it('heavy ties: lower id first, also across the K-th place', () => {
    const r = createRng(9);
    const [T, V] = [3, 500];
    const logits = Float32Array.from({ length: T * V }, () => Math.round(r.normal() * 2) / 2);
    for (const K of [1, 5, 64, 499, 500]) expectSameAsNaive(logits, T, V, K);
    const flat = new Float32Array(10).fill(3);
    expect(run(flat, 1, 10, 4).ids).toEqual([0, 1, 2, 3]);
  });

  it('NaN never selected, ±Infinity ordered, -0 ties +0 by id', () => {
    const logits = new Float32Array([NaN, -Infinity, 1, Infinity, NaN, -0, 0, -1, Infinity, -0]);
    expectSameAsNaive(logits, 1, 10, 10);
    expect(run(logits, 1, 10, 5)).toEqual({ ids: [3, 8, 2, 5, 6], vals: [Infinity, Infinity, 1, -0, 0] });
    expect(run(logits, 1, 10, 10).ids).toEqual([3, 8, 2, 5, 6, 9, 7, 1, -1, -1]);
  });

  it('fewer than K selectable values: id -1 and -inf after them', () => {
    const logits = new Float32Array([NaN, 2, NaN, -Infinity, NaN, NaN]);
    expect(run(logits, 1, 6, 4)).toEqual({ ids: [1, 3, -1, -1], vals: [2, -Infinity, -Infinity, -Infinity] });
    expect(run(new Float32Array(3).fill(NaN), 1, 3, 3)).toEqual({ ids: [-1, -1, -1], vals: [-Infinity, -Infinity, -Infinity] });
    const r = createRng(2);
    const mixed = Float32Array.from({ length: 2 * 50 }, () => (r.next() < 0.8 ? NaN : r.normal()));
    expectSameAsNaive(mixed, 2, 50, 50);
  });

  it('K = V returns the whole row sorted', () => {
    const r = createRng(1);
    const logits = Float32Array.from({ length: 33 }, () => r.normal());
    const got = run(logits, 1, 33, 33);
    expect(got.vals).toEqual(Array.from(logits).sort((a, b) => b - a));
    expectSameAsNaive(logits, 1, 33, 33);
  });

  it('refuses bad sizes', () => {
    const l = new Float32Array(8);
    const ok = (K = 2): [Int32Array, Float32Array] => [new Int32Array(2 * K), new Float32Array(2 * K)];
    expect(() => topK(l, 2, 4, 5, ...ok(5))).toThrow(/topK/); // K > V
    expect(() => topK(l, 2, 4, 0, ...ok(0))).toThrow(/topK/);
    expect(() => topK(l, 2, 4, 1.5, ...ok(2))).toThrow(/topK/);
    expect(() => topK(l, 3, 4, 2, ...ok())).toThrow(/topK/); // logits too short
    expect(() => topK(l, 2, 4, 2, new Int32Array(3), new Float32Array(4))).toThrow(/topK/);
    expect(() => topK(l, 2, 4, 2, new Int32Array(4), new Float32Array(3))).toThrow(/topK/);
    expect(() => topK(l, 0, 4, 2, ...ok())).toThrow(expect.objectContaining({ code: 'engine/bad-shape' }));
  });
});
