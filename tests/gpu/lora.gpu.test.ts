/**
 * Multi-LoRA kernels — BGMV for decode (shaders/bgmv.wgsl), SGMV-style segments for prefill
 * (shaders/sgmv.wgsl) and the coarse family's row-block kernel (shaders/lora_coarse.wgsl) — vs cpu/kernels/loraApply, with adapters mixed per row (incl. -1 and a rank-0
 * slot), ranks 4..72, sizes off the tile grid, A/B scattered through one pool buffer.
 * Each also with a matmul epilogue fused into the expand (residual aux += out, SwiGLU aux = silu(aux)·out, on every
 * row) against cpu/kernels/loraApply then add / siluMul.
 * Tolerance: |gpu - cpu| <= 1e-5·sqrt(inDim)·(1 + |cpu|) (the epilogue's aux: 4× that); rows with adapter -1 and
 * rank-0 rows must be bit-for-bit the base output (and their residual aux + base exact).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loraApply, type LoraSlotView } from '../../src/engine/cpu/kernels/loraApply.ts';
import { siluMul as cpuSiluMul } from '../../src/engine/cpu/kernels/siluMul.ts';
import type { Epilogue } from '../../src/engine/webgpu/ops/matmul.ts';
import type { GpuRuntime } from '../../src/engine/webgpu/runtime.ts';
import { loraBgmv } from '../../src/engine/webgpu/ops/loraBgmv.ts';
import { loraSgmv } from '../../src/engine/webgpu/ops/loraSgmv.ts';
import { loraCoarse, loraCoarseBlocks } from '../../src/engine/webgpu/ops/loraCoarse.ts';
import { loraSegments, packLoraSlots, type LoraGpuSlot } from '../../src/engine/webgpu/ops/loraSlots.ts';
import { createTestRuntime, describeGpu } from './gpu.ts';
import { expectClose, expectSame, randn, rng } from './check.ts';

interface Adapters {
  views: LoraSlotView[];
  gpuSlots: LoraGpuSlot[];
  pool: Float32Array;
  maxRank: number;
}

/** Random adapters of the given ranks, packed into one pool with `gap` values before each matrix (B before A for odd slots). */
function makeAdapters(rand: () => number, ranks: number[], inDim: number, outDim: number, gap = 13): Adapters {
  const views: LoraSlotView[] = [];
  const gpuSlots: LoraGpuSlot[] = [];
  const parts: Float32Array[] = [];
  let off = 0;
  const place = (m: Float32Array): number => {
    off += gap;
    parts.push(new Float32Array(gap), m);
    const at = off;
    off += m.length;
    return at;
  };
  ranks.forEach((r, s) => {
    const A = randn(rand, r * inDim, 0.5);
    const B = randn(rand, outDim * r, 0.5);
    const scale = 16 / Math.max(r, 1);
    let aOffset: number;
    let bOffset: number;
    if (s % 2) {
      bOffset = place(B);
      aOffset = place(A);
    } else {
      aOffset = place(A);
      bOffset = place(B);
    }
    views.push({ rank: r, scale, A, B });
    gpuSlots.push({ aOffset, bOffset, rank: r, scale });
  });
  const pool = new Float32Array(off + 5);
  let at = 0;
  for (const p of parts) {
    pool.set(p, at);
    at += p.length;
  }
  return { views, gpuSlots, pool, maxRank: Math.max(1, ...ranks) };
}

describeGpu('multi-LoRA (BGMV / SGMV) on WebGPU vs the CPU twin', () => {
  let rt: GpuRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime();
  });
  afterAll(() => rt?.destroy());

  async function check(kind: 'bgmv' | 'sgmv' | 'coarse', rowAdapter: Int32Array, ranks: number[], inDim: number, outDim: number, seed: number, gap = 13) {
    const T = rowAdapter.length;
    const rand = rng(seed);
    const ad = makeAdapters(rand, ranks, inDim, outDim, gap);
    const x = randn(rand, T * inDim);
    const base = randn(rand, T * outDim);
    const want = base.slice();
    loraApply(x, T, inDim, outDim, rowAdapter, ad.views, want);
    const args = {
      x: rt.upload(x),
      T,
      inDim,
      outDim,
      slots: rt.upload(packLoraSlots(ad.gpuSlots, ad.pool.length, inDim, outDim)),
      pool: rt.upload(ad.pool),
      maxRank: ad.maxRank,
      out: rt.upload(base),
    };
    const run = (a: typeof args & { epilogue?: Epilogue }) => {
      const all = a.epilogue !== undefined;
      if (kind === 'bgmv') loraBgmv(rt, { ...a, rowSlot: rt.upload(rowAdapter) });
      else if (kind === 'coarse') {
        const b = loraCoarseBlocks(rowAdapter, T, all);
        loraCoarse(rt, a, rt.upload(b.rows.data), rt.upload(b.blocks.data), b);
      } else {
        const seg = loraSegments(rowAdapter);
        const allSeg = loraSegments(rowAdapter, T, true);
        loraSgmv(rt, a, rt.upload(seg.data), seg, all ? { buffer: rt.upload(allSeg.data), seg: allSeg } : undefined);
      }
    };
    run(args);
    const got = await rt.readF32(args.out, T * outDim);
    const tol = { abs: 1e-5 * Math.sqrt(inDim), rel: 1e-5 * Math.sqrt(inDim) };
    const what = `${kind} T=${T} in=${inDim} out=${outDim} ranks=${ranks}`;
    expectClose(got, want, tol, what);
    const idle = (t: number) => rowAdapter[t]! < 0 || ranks[rowAdapter[t]!] === 0;
    for (let t = 0; t < T; t++) {
      if (idle(t)) expectSame(got.subarray(t * outDim, (t + 1) * outDim), base.subarray(t * outDim, (t + 1) * outDim), `${kind} row ${t} (adapter ${rowAdapter[t]}) untouched`);
    }
    // the expand with a matmul epilogue: out as above, and aux from every row's final out (rows without LoRA too)
    const aux = randn(rand, T * outDim, 3);
    const wantSilu = new Float32Array(T * outDim);
    cpuSiluMul(aux, want, wantSilu);
    for (const [epi, wantAux] of [
      ['residual', aux.map((a, i) => a + want[i]!)],
      ['swiglu', wantSilu],
    ] as const) {
      const out = rt.upload(base);
      const gaux = rt.upload(aux);
      run({ ...args, out, epilogue: { kind: epi, aux: gaux } });
      const gotOut = await rt.readF32(out, T * outDim);
      const gotAux = await rt.readF32(gaux, T * outDim);
      expectClose(gotOut, want, tol, `${what} ${epi} out`);
      expectClose(gotAux, wantAux, { abs: tol.abs * 4, rel: tol.rel * 4 }, `${what} ${epi} aux`);
      for (let t = 0; t < T; t++) {
        const row = (a: Float32Array) => a.subarray(t * outDim, (t + 1) * outDim);
        if (!idle(t)) continue;
        expectSame(row(gotOut), row(base), `${kind} ${epi} row ${t} out untouched`);
        // an idle row's residual is one f32 add, bit for bit (as the matmul's own epilogue would give)
        if (epi === 'residual') expectSame(row(gotAux), row(wantAux), `${kind} residual row ${t} aux`);
      }
    }
  }

  it('BGMV: decode batch with a different adapter per row, -1 rows and a rank-0 slot', async () => {
    await check('bgmv', Int32Array.of(0, -1, 2, 2, 1, -1, 0, 3), [4, 8, 16, 0], 96, 70, 1);
  });

  it('BGMV: one row, rank 72 (more than one 8-rank workgroup row), in/out off the tile grid', async () => {
    await check('bgmv', Int32Array.of(1), [8, 72], 100, 300, 2);
    await check('bgmv', Int32Array.of(-1), [8], 64, 64, 3);
  });

  it('SGMV: prefill segments (33 rows, 5 without adapter, 32 rows, 3 rows), ranks 4..72', async () => {
    const rows = [...Array(33).fill(1), ...Array(5).fill(-1), ...Array(32).fill(0), ...Array(3).fill(2)] as number[];
    await check('sgmv', Int32Array.from(rows), [16, 72, 4], 100, 130, 4);
  });

  it('SGMV: unsorted rows (many short segments) and a rank-0 slot', async () => {
    await check('sgmv', Int32Array.of(0, 1, 1, -1, 0, 2, 2, 2, 3, 1), [8, 4, 64, 0], 96, 70, 5);
  });

  it('SGMV and BGMV agree on the same batch', async () => {
    const rowAdapter = Int32Array.of(2, 2, 2, 0, -1, 1, 1);
    await check('sgmv', rowAdapter, [4, 8, 16], 64, 96, 6);
    await check('bgmv', rowAdapter, [4, 8, 16], 64, 96, 6);
  });

  it('coarse: decode batch with a different adapter per row, -1 rows and a rank-0 slot', async () => {
    await check('coarse', Int32Array.of(0, -1, 2, 2, 1, -1, 0, 3), [4, 8, 16, 0], 96, 70, 1);
  });

  it('coarse: one row, rank 72 and rank 5 (ranks not a multiple of 4), in/out off the 4-grid', async () => {
    await check('coarse', Int32Array.of(1, 0), [5, 72], 101, 301, 2);
    await check('coarse', Int32Array.of(-1), [8], 64, 64, 3);
  });

  it('coarse: prefill segments cut into 8-row blocks (33 rows, 5 without adapter, 32 rows, 3 rows), ranks 4..72', async () => {
    const rows = [...Array(33).fill(1), ...Array(5).fill(-1), ...Array(32).fill(0), ...Array(3).fill(2)] as number[];
    await check('coarse', Int32Array.from(rows), [16, 72, 4], 100, 130, 4);
  });

  it('coarse: a 32-row decode on one adapter, and unsorted rows with a rank-0 slot', async () => {
    await check('coarse', new Int32Array(32).fill(1), [8, 8], 64, 96, 7);
    await check('coarse', Int32Array.of(0, 1, 1, -1, 0, 2, 2, 2, 3, 1), [8, 4, 64, 0], 96, 70, 5);
  });

  it('coarse: vec4 paths (4-aligned pool, in_dim and max_rank multiples of 4) beside scalar ones (rank 6), decode and prefill', async () => {
    await check('coarse', Int32Array.of(0, -1, 2, 1, 3, 0, 1, 2), [8, 4, 16, 6], 96, 68, 9, 16);
    const rows = [...Array(19).fill(2), ...Array(3).fill(-1), ...Array(9).fill(0), ...Array(8).fill(3)] as number[];
    await check('coarse', Int32Array.from(rows), [8, 4, 16, 6], 128, 72, 10, 16);
  });

  it('coarse, SGMV and BGMV agree on the same batch', async () => {
    await check('coarse', Int32Array.of(2, 2, 2, 0, -1, 1, 1), [4, 8, 16], 64, 96, 6);
  });

  it('coarse: a row gives the same bits in an 8-row block as alone (batched = each request alone)', async () => {
    const inDim = 96;
    const outDim = 70;
    const T = 11;
    const rand = rng(8);
    const ad = makeAdapters(rand, [8, 5], inDim, outDim, 16);
    const rowAdapter = Int32Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
    const x = randn(rand, T * inDim);
    const base = randn(rand, T * outDim);
    const slots = rt.upload(packLoraSlots(ad.gpuSlots, ad.pool.length, inDim, outDim));
    const pool = rt.upload(ad.pool);
    const run = async (rows: Int32Array, xs: Float32Array, b: Float32Array): Promise<Float32Array> => {
      const blk = loraCoarseBlocks(rows);
      const out = rt.upload(b);
      loraCoarse(rt, { x: rt.upload(xs), T: rows.length, inDim, outDim, slots, pool, maxRank: ad.maxRank, out }, rt.upload(blk.rows.data), rt.upload(blk.blocks.data), blk);
      return rt.readF32(out, rows.length * outDim);
    };
    const batched = await run(rowAdapter, x, base);
    expect(loraCoarseBlocks(rowAdapter).blocks.maxLen).toBe(8);
    for (let t = 0; t < T; t++) {
      const alone = await run(rowAdapter.subarray(t, t + 1), x.subarray(t * inDim, (t + 1) * inDim), base.subarray(t * outDim, (t + 1) * outDim));
      expectSame(batched.subarray(t * outDim, (t + 1) * outDim), alone, `row ${t} batched vs alone`);
    }
  });
});
