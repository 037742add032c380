import { describe, expect, it } from 'vitest';
import type { PagedRows } from '../../backend.ts';
import { createRng } from '../../sampling/rng.ts';
import { attentionSimd, canAttentionSimd, pagedAttentionSimd } from '../simd/attentionSimd.ts';
import { simdRuntime } from '../simd/simdRuntime.ts';
import { attention } from './attention.ts';
import { kvWritePaged } from './kvWritePaged.ts';
import { pagedAttention } from './pagedAttention.ts';

const rt = simdRuntime();

interface Seg {
  start: number;
  T: number;
}

/**
 * Sequences with contiguous caches, the same keys scattered over a shuffled page pool through kvWritePaged, and a
 * batch whose rows are each sequence's segment (positions start .. start+T-1).
 */
function build(segs: Seg[], nH: number, nKv: number, hd: number, pageSize: number, seed: number) {
  const r = createRng(seed);
  const kvDim = nKv * hd;
  const lens = segs.map((s) => s.start + s.T);
  const pagesPerSeq = Math.max(...lens.map((l) => Math.ceil(l / pageSize)));
  const nPages = segs.length * pagesPerSeq + 3;
  const order = Array.from({ length: nPages }, (_, i) => i);
  for (let i = nPages - 1; i > 0; i--) {
    const j = Math.floor(r.next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const kPool = new Float32Array(nPages * pageSize * kvDim).fill(Number.NaN); // unused rows must never be read
  const vPool = new Float32Array(nPages * pageSize * kvDim).fill(Number.NaN);
  const pageTable = new Int32Array(segs.length * pagesPerSeq);
  const caches = segs.map((_, i) => {
    const L = lens[i]!;
    const k = Float32Array.from({ length: L * kvDim }, () => r.normal());
    const v = Float32Array.from({ length: L * kvDim }, () => r.normal());
    for (let p = 0; p < pagesPerSeq; p++) pageTable[i * pagesPerSeq + p] = order[i * pagesPerSeq + p]!;
    const dst = Int32Array.from({ length: L }, (_, j) => pageTable[i * pagesPerSeq + Math.floor(j / pageSize)]! * pageSize + (j % pageSize));
    kvWritePaged(k, v, L, kvDim, kPool, vPool, dst);
    return { k, v };
  });
  const T = segs.reduce((a, s) => a + s.T, 0);
  const q = Float32Array.from({ length: T * nH * hd }, () => r.normal());
  const paged: PagedRows = { pageSize, pagesPerSeq, pageTable, positions: new Int32Array(T), rowSeq: new Int32Array(T) };
  let t = 0;
  segs.forEach((s, i) => {
    for (let j = 0; j < s.T; j++, t++) {
      paged.positions[t] = s.start + j;
      paged.rowSeq[t] = i;
    }
  });
  return { q, kPool, vPool, paged, caches, T };
}

const CASES: { segs: Seg[]; nH: number; nKv: number; hd: number; pageSize: number }[] = [
  { segs: [{ start: 0, T: 1 }], nH: 4, nKv: 2, hd: 16, pageSize: 16 },
  { segs: [{ start: 7, T: 1 }, { start: 40, T: 1 }, { start: 0, T: 9 }, { start: 15, T: 1 }], nH: 6, nKv: 2, hd: 32, pageSize: 16 },
  { segs: [{ start: 3, T: 5 }, { start: 30, T: 1 }], nH: 4, nKv: 1, hd: 64, pageSize: 4 },
  { segs: [{ start: 0, T: 20 }, { start: 2, T: 3 }], nH: 2, nKv: 2, hd: 48, pageSize: 7 },
];

describe('pagedAttention (CPU twin)', () => {
  it('gives each row the bits the contiguous kernel gives its sequence (decode and prefill rows mixed, odd page sizes)', () => {
    for (const [n, c] of CASES.entries()) {
      const { q, kPool, vPool, paged, caches, T } = build(c.segs, c.nH, c.nKv, c.hd, c.pageSize, n + 1);
      const got = new Float32Array(T * c.nH * c.hd);
      pagedAttention(q, kPool, vPool, T, c.nH, c.nKv, c.hd, got, paged);
      const row = c.nH * c.hd;
      let t = 0;
      c.segs.forEach((s, i) => {
        const want = new Float32Array(s.T * row);
        attention(q.subarray(t * row, (t + s.T) * row), caches[i]!.k, caches[i]!.v, s.T, s.start, c.nH, c.nKv, c.hd, want);
        expect(got.subarray(t * row, (t + s.T) * row)).toEqual(want);
        t += s.T;
      });
    }
  });

  it('refuses page tables that point outside the pool and positions beyond the table', () => {
    const { q, kPool, vPool, paged, T } = build([{ start: 5, T: 1 }], 2, 1, 16, 4, 9);
    const out = new Float32Array(T * 32);
    expect(() => pagedAttention(q, kPool, vPool, T, 2, 1, 16, out, { ...paged, pageTable: Int32Array.from(paged.pageTable, () => 99) })).toThrow(/outside/);
    expect(() => pagedAttention(q, kPool, vPool, T, 2, 1, 16, out, { ...paged, positions: Int32Array.of(50) })).toThrow(/beyond its page table/);
    expect(() => kvWritePaged(q, q, 1, 16, kPool, vPool, Int32Array.of(-1))).toThrow(/outside/);
  });
});

describe.runIf(rt !== null)('pagedAttentionSimd', () => {
  it('gives each row the bits attentionSimd gives its contiguous sequence', () => {
    for (const [n, c] of CASES.entries()) {
      if (!canAttentionSimd(rt, c.hd)) continue;
      const { q, kPool, vPool, paged, caches, T } = build(c.segs, c.nH, c.nKv, c.hd, c.pageSize, n + 11);
      const got = new Float32Array(T * c.nH * c.hd);
      pagedAttentionSimd(rt!, q, kPool, vPool, T, c.nH, c.nKv, c.hd, got, paged);
      const row = c.nH * c.hd;
      let t = 0;
      c.segs.forEach((s, i) => {
        const want = new Float32Array(s.T * row);
        attentionSimd(rt!, q.subarray(t * row, (t + s.T) * row), caches[i]!.k, caches[i]!.v, s.T, s.start, c.nH, c.nKv, c.hd, want);
        expect(got.subarray(t * row, (t + s.T) * row)).toEqual(want);
        t += s.T;
      });
    }
  });
});

describe.runIf(rt !== null)('pagedAttentionSimd on pools that live on the heap (attnp, read in place)', () => {
  /** a copy of `a` on the heap, and how to free it */
  const onHeap = (a: Float32Array): { view: () => Float32Array; free: () => void } => {
    const at = rt!.alloc(a.byteLength)!;
    new Float32Array(rt!.f32().buffer, at, a.length).set(a);
    return { view: () => new Float32Array(rt!.f32().buffer, at, a.length), free: () => rt!.free(at, a.byteLength) };
  };
  it('gives the bits of the copying path, with q and out on the heap or not (every key count mod 4, odd page sizes)', () => {
    const cases = [
      ...CASES,
      { segs: [{ start: 0, T: 1 }, { start: 1, T: 1 }, { start: 2, T: 1 }, { start: 3, T: 2 }, { start: 60, T: 3 }], nH: 3, nKv: 1, hd: 16, pageSize: 5 },
      { segs: [{ start: 33, T: 1 }, { start: 0, T: 13 }], nH: 9, nKv: 3, hd: 64, pageSize: 16 },
    ];
    for (const [n, c] of cases.entries()) {
      const { q, kPool, vPool, paged, T } = build(c.segs, c.nH, c.nKv, c.hd, c.pageSize, n + 21);
      const want = new Float32Array(T * c.nH * c.hd);
      pagedAttentionSimd(rt!, q, kPool, vPool, T, c.nH, c.nKv, c.hd, want, paged); // pools off the heap: gathered copies
      const [kh, vh] = [onHeap(kPool), onHeap(vPool)];
      for (const qOnHeap of [false, true]) {
        const qh = onHeap(q);
        const oh = onHeap(new Float32Array(want.length));
        const out = qOnHeap ? oh.view() : new Float32Array(want.length);
        pagedAttentionSimd(rt!, qOnHeap ? qh.view() : q, kh.view(), vh.view(), T, c.nH, c.nKv, c.hd, out, paged);
        expect(qOnHeap ? oh.view() : out).toEqual(want);
        oh.free();
        qh.free();
      }
      vh.free();
      kh.free();
    }
  });
});
