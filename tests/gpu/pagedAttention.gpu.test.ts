/**
 * The paged KV cache on WebGPU vs the CPU twins: shaders/kv_write_paged.wgsl (exact: a copy) and
 * shaders/paged_attention.wgsl (`wg`) / shaders/paged_attention_coarse.wgsl (`coarse`) vs
 * cpu/kernels/pagedAttention. Batches mixing decode rows and prefill segments of several sequences whose pages are
 * shuffled over the pool, GQA ratios 1..4, head sizes 16..128, page sizes 16, 4 and 7 (not a power of two), a
 * sequence past one 256-key chunk. Pool rows no sequence owns hold NaN: reading one would show.
 * Tolerance: |gpu - cpu| <= 2e-6 + 2e-5·|cpu| (as attention.wgsl: |q|, |k|, |v| ≤ 1, f32 dot products and online
 * softmax on the GPU, f64 softmax on the CPU).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PagedRows } from '../../src/engine/backend.ts';
import { kvWritePaged as cpuKvWritePaged } from '../../src/engine/cpu/kernels/kvWritePaged.ts';
import { pagedAttention as cpuPagedAttention } from '../../src/engine/cpu/kernels/pagedAttention.ts';
import type { GpuRuntime } from '../../src/engine/webgpu/runtime.ts';
import { kvWritePaged, pagedAttention } from '../../src/engine/webgpu/ops/pagedAttention.ts';
import { createTestRuntime, describeGpu } from './gpu.ts';
import { expectClose, randn, rng } from './check.ts';

const TOL = { abs: 2e-6, rel: 2e-5 };

interface Case {
  /** per sequence: first position of its rows and how many rows (T = 1: a decode row) */
  segs: { start: number; T: number }[];
  nH: number;
  nKv: number;
  hd: number;
  pageSize: number;
}

const CASES: Case[] = [
  { segs: [{ start: 0, T: 1 }], nH: 4, nKv: 4, hd: 16, pageSize: 16 },
  { segs: [{ start: 7, T: 1 }, { start: 40, T: 1 }, { start: 0, T: 9 }, { start: 15, T: 1 }], nH: 6, nKv: 2, hd: 64, pageSize: 16 },
  { segs: [{ start: 300, T: 1 }, { start: 3, T: 5 }], nH: 8, nKv: 2, hd: 128, pageSize: 16 },
  { segs: [{ start: 3, T: 5 }, { start: 30, T: 1 }, { start: 1, T: 1 }], nH: 4, nKv: 1, hd: 32, pageSize: 4 },
  { segs: [{ start: 0, T: 20 }, { start: 2, T: 3 }], nH: 2, nKv: 2, hd: 80, pageSize: 7 },
];

describeGpu('paged KV cache on WebGPU vs the CPU twins', () => {
  let rt: GpuRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime();
  });
  afterAll(() => rt?.destroy());

  for (const c of CASES) {
    it(`${c.segs.map((s) => `${s.start}+${s.T}`).join(', ')}; heads ${c.nH}/${c.nKv} headDim ${c.hd} pages of ${c.pageSize}: write, then wg and coarse attention`, async () => {
      const rand = rng(c.hd * 7 + c.pageSize + c.segs.length);
      const kvDim = c.nKv * c.hd;
      const lens = c.segs.map((s) => s.start + s.T);
      const pagesPerSeq = Math.max(...lens.map((l) => Math.ceil(l / c.pageSize)));
      const nPages = c.segs.length * pagesPerSeq + 2;
      const poolRows = nPages * c.pageSize;
      const order = Array.from({ length: nPages }, (_, i) => i).sort((a, b) => ((a * 7919 + 13) % nPages) - ((b * 7919 + 13) % nPages));
      const pageTable = Int32Array.from({ length: c.segs.length * pagesPerSeq }, (_, i) => order[i]!);
      // every key of every sequence, as kvWritePaged sources, and their pool rows
      const total = lens.reduce((a, b) => a + b, 0);
      const k = randn(rand, total * kvDim);
      const v = randn(rand, total * kvDim);
      const dst = new Int32Array(total);
      let o = 0;
      lens.forEach((L, i) => {
        for (let j = 0; j < L; j++) dst[o++] = pageTable[i * pagesPerSeq + Math.floor(j / c.pageSize)]! * c.pageSize + (j % c.pageSize);
      });
      const kPool = new Float32Array(poolRows * kvDim).fill(Number.NaN);
      const vPool = new Float32Array(poolRows * kvDim).fill(Number.NaN);
      cpuKvWritePaged(k, v, total, kvDim, kPool, vPool, dst);
      const gk = rt.upload(new Float32Array(poolRows * kvDim).fill(Number.NaN));
      const gv = rt.upload(new Float32Array(poolRows * kvDim).fill(Number.NaN));
      kvWritePaged(rt, rt.upload(k), rt.upload(v), total, kvDim, gk, gv, rt.upload(dst), poolRows);
      expect(Array.from(await rt.readF32(gk, poolRows * kvDim)).map(String)).toEqual(Array.from(kPool).map(String));
      expect(Array.from(await rt.readF32(gv, poolRows * kvDim)).map(String)).toEqual(Array.from(vPool).map(String));

      const T = c.segs.reduce((a, s) => a + s.T, 0);
      const paged: PagedRows = { pageSize: c.pageSize, pagesPerSeq, pageTable, positions: new Int32Array(T), rowSeq: new Int32Array(T) };
      const rows = new Int32Array(2 * T);
      let t = 0;
      c.segs.forEach((s, i) => {
        for (let j = 0; j < s.T; j++, t++) {
          paged.positions[t] = s.start + j;
          paged.rowSeq[t] = i;
          rows[2 * t] = s.start + j;
          rows[2 * t + 1] = i;
        }
      });
      const q = randn(rand, T * c.nH * c.hd);
      const want = new Float32Array(q.length);
      cpuPagedAttention(q, kPool, vPool, T, c.nH, c.nKv, c.hd, want, paged);
      const bufs = { rows: rt.upload(rows), pageTable: rt.upload(pageTable), pageSize: c.pageSize, pagesPerSeq, poolRows };
      const gq = rt.upload(q);
      for (const variant of ['wg', 'coarse'] as const) {
        if (variant === 'coarse' && c.hd > 128) continue;
        const out = rt.createBuffer(q.length * 4);
        pagedAttention(rt, gq, gk, gv, T, c.nH, c.nKv, c.hd, out, bufs, variant);
        expectClose(await rt.readF32(out, q.length), want, TOL, `pagedAttention ${variant} ${JSON.stringify(c)}`);
      }
    });
  }

  it('refuses heads that do not group, a coarse head size over 128 and short buffers', () => {
    const b = rt.createBuffer(4096 * 4);
    const p = { rows: b, pageTable: b, pageSize: 16, pagesPerSeq: 1, poolRows: 16 };
    expect(() => pagedAttention(rt, b, b, b, 1, 6, 4, 16, rt.createBuffer(4096 * 4), p)).toThrow(/cannot be grouped/);
    expect(() => pagedAttention(rt, b, b, b, 1, 1, 1, 132, rt.createBuffer(4096 * 4), p, 'coarse')).toThrow(/coarse kernel needs headDim/);
    expect(() => kvWritePaged(rt, b, b, 1, 64, b, b, b, 4096)).toThrow();
  });
});
