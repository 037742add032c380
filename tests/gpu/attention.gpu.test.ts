/**
 * Causal GQA attention over the KV cache (shaders/attention.wgsl and the coarse family's
 * shaders/attention_coarse.wgsl) vs cpu/kernels/attention, prefill and decode, GQA ratios 1, 3 and 4, head
 * sizes 16..128, more keys than one 256-key chunk, key counts that are not a multiple of the coarse kernel's
 * 4-key blocks.
 * Tolerance: |gpu - cpu| <= 2e-6 + 2e-5·|cpu| (|q|, |k|, |v| ≤ 1: f32 dot products and online softmax on
 * the GPU, f64 softmax on the CPU).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { attention as cpuAttention } from '../../src/engine/cpu/kernels/attention.ts';
import type { GpuRuntime } from '../../src/engine/webgpu/runtime.ts';
import { attention, attentionVariant } from '../../src/engine/webgpu/ops/attention.ts';
import { kvWrite } from '../../src/engine/webgpu/ops/kvWrite.ts';
import { createTestRuntime, describeGpu } from './gpu.ts';
import { expectClose, randn, rng } from './check.ts';

const TOL = { abs: 2e-6, rel: 2e-5 };

interface Case {
  T: number;
  startPos: number;
  nH: number;
  nKv: number;
  hd: number;
}

const CASES: Case[] = [
  { T: 1, startPos: 0, nH: 4, nKv: 4, hd: 16 }, // first decode step, ratio 1
  { T: 1, startPos: 7, nH: 6, nKv: 2, hd: 64 }, // decode, ratio 3
  { T: 1, startPos: 300, nH: 8, nKv: 2, hd: 64 }, // decode over 301 keys (two chunks), ratio 4
  { T: 19, startPos: 0, nH: 6, nKv: 2, hd: 32 }, // prefill, ratio 3
  { T: 5, startPos: 260, nH: 4, nKv: 1, hd: 128 }, // chunked prefill past a chunk boundary, ratio 4
  { T: 3, startPos: 2, nH: 2, nKv: 2, hd: 80 }, // head size not a power of two
];

describeGpu('attention on WebGPU vs the CPU twin', () => {
  let rt: GpuRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime();
  });
  afterAll(() => rt?.destroy());

  for (const c of CASES) {
    it(`T=${c.T} startPos=${c.startPos} heads ${c.nH}/${c.nKv} headDim ${c.hd}: wg and coarse`, async () => {
      const maxSeq = c.startPos + c.T + 3;
      const rand = rng(c.T * 31 + c.startPos + c.hd);
      const q = randn(rand, c.T * c.nH * c.hd);
      const kc = randn(rand, maxSeq * c.nKv * c.hd);
      const vc = randn(rand, maxSeq * c.nKv * c.hd);
      const want = new Float32Array(q.length);
      cpuAttention(q, kc, vc, c.T, c.startPos, c.nH, c.nKv, c.hd, want);
      const [gq, gk, gv] = [rt.upload(q), rt.upload(kc), rt.upload(vc)];
      for (const variant of ['wg', 'coarse'] as const) {
        const out = rt.createBuffer(q.length * 4);
        attention(rt, gq, gk, gv, c.T, c.startPos, c.nH, c.nKv, c.hd, out, 0, variant);
        expectClose(await rt.readF32(out, q.length), want, TOL, `attention ${variant} ${JSON.stringify(c)}`);
      }
    });
  }

  it('prefill then token-by-token decode through kvWrite equals attention over the full sequence', async () => {
    const [nH, nKv, hd, maxSeq, P, D] = [6, 2, 32, 24, 9, 4];
    const rowLen = nKv * hd;
    const rand = rng(5);
    const S = P + D;
    const q = randn(rand, S * nH * hd);
    const k = randn(rand, S * rowLen);
    const v = randn(rand, S * rowLen);
    // reference: the CPU twin over the whole sequence at once
    const kcFull = new Float32Array(maxSeq * rowLen);
    const vcFull = new Float32Array(maxSeq * rowLen);
    kcFull.set(k);
    vcFull.set(v);
    const want = new Float32Array(S * nH * hd);
    cpuAttention(q, kcFull, vcFull, S, 0, nH, nKv, hd, want);
    // GPU: prefill P tokens, then decode D tokens one by one, appending to the cache each time
    const kc = rt.createBuffer(maxSeq * rowLen * 4);
    const vc = rt.createBuffer(maxSeq * rowLen * 4);
    const got = new Float32Array(S * nH * hd);
    const steps: [number, number][] = [[0, P], ...Array.from({ length: D }, (_, i): [number, number] => [P + i, 1])];
    for (const [start, T] of steps) {
      kvWrite(rt, rt.upload(k.subarray(start * rowLen, (start + T) * rowLen)), rt.upload(v.subarray(start * rowLen, (start + T) * rowLen)), T, rowLen, kc, vc, start, maxSeq);
      const out = rt.createBuffer(T * nH * hd * 4);
      attention(rt, rt.upload(q.subarray(start * nH * hd, (start + T) * nH * hd)), kc, vc, T, start, nH, nKv, hd, out);
      got.set(await rt.readF32(out, T * nH * hd), start * nH * hd);
    }
    expectClose(got, want, TOL, 'prefill + decode');
  });

  it('refuses heads that do not group and head sizes over 256', () => {
    const b = rt.createBuffer(4096 * 4);
    expect(() => attention(rt, b, b, b, 1, 0, 6, 4, 16, rt.createBuffer(4096 * 4))).toThrow(/cannot be grouped/);
    expect(() => attention(rt, b, b, b, 1, 0, 1, 1, 512, rt.createBuffer(4096 * 4))).toThrow(/headDim must be an integer in 1..256/);
    expect(() => attention(rt, b, b, b, 1, 0, 1, 1, 132, rt.createBuffer(4096 * 4), 0, 'coarse')).toThrow(/coarse kernel needs headDim/);
    // the coarse family falls back to the workgroup kernel where its registers do not fit
    expect([64, 128, 132, 18].map((hd) => attentionVariant(hd, 'coarse'))).toEqual(['coarse', 'coarse', 'wg', 'wg']);
    expect(attentionVariant(64, 'gpu')).toBe('wg');
  });
});
