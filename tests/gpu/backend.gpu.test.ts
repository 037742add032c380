/**
 * WebGpuBackend vs the CPU backend through the `Backend` interface: memory ops, aliasing (in-place rmsNorm,
 * siluMul into gate, add into a or b, overlapping copyRows), rowOffset on rope/attention, LoRA pools and
 * their errors, and a whole random Llama model (f32, int8, int4; GQA; q/k/v bias; several sequences with
 * different adapters in one batch; prefill then decode), on both kernel families (`coarse`, SwiftShader's
 * default, and `gpu`, what real GPUs get).
 * Tolerance for the model's logits: |gpu - cpu| <= 1e-4 + 1e-4·|cpu| (several layers of f32 kernels, each
 * within its own parity tolerance). An f16 model is compared with the CPU running the same weights rounded to f16
 * (`roundToF16`), at that tolerance; against the f32 model with the original weights, its logits stay within
 * 2e-3 · (the logit range) (measured: see shaders/README.md) and give the same greedy tokens. On WebGPU the model runs
 * q/k/v as one split matmul (`matmulSplit`); a Qwen2-style model (q/k/v bias) checks that against the CPU backend and
 * against the same backend with `matmulSplit` hidden (three matmuls): same logits within tolerance, same bytes.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Backend, Tensor } from '../../src/engine/backend.ts';
import { createCpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { ropeInvFreq } from '../../src/engine/cpu/kernels/rope.ts';
import { createModel } from '../../src/engine/model/llama.ts';
import { createModelBuilder } from '../../src/engine/model/modelBuilder.ts';
import { randomAdapter, randomModel } from '../../src/engine/model/randomModel.ts';
import { quantizeQ4 } from '../../src/engine/quant.ts';
import { WebGpuBackend } from '../../src/engine/webgpu/webgpuBackend.ts';
import { createTestRuntime, describeGpu } from './gpu.ts';
import { expectClose, expectSame, randn, rng, roundMatricesToF16 } from './check.ts';

describeGpu('WebGpuBackend vs the CPU backend', () => {
  let gpu: WebGpuBackend;
  let gpuFamily: WebGpuBackend;
  // f32 decode activations, as the WGSL kernels compute (the CPU's default int8 decode differs from them by the bound
  // checked in cpuIntDecode.gpu.test.ts)
  const cpu: Backend = createCpuBackend({ decodeActivations: 'f32' });
  beforeAll(async () => {
    gpu = new WebGpuBackend(await createTestRuntime());
    gpuFamily = new WebGpuBackend(await createTestRuntime('gpu'));
  });
  afterAll(() => {
    gpu?.destroy();
    gpuFamily?.destroy();
  });

  it('picks the coarse kernel family on SwiftShader (a software adapter)', () => {
    expect(gpu.rt.kernels).toBe('coarse');
    expect(gpuFamily.rt.kernels).toBe('gpu');
  });

  /** Runs `fn` on both backends with the same inputs and compares the listed outputs. */
  async function both(fn: (b: Backend, up: (a: Float32Array, shape?: number[]) => Tensor) => Record<string, Tensor>, tol = { abs: 2e-6, rel: 2e-5 }, g: Backend = gpu) {
    const outs = await Promise.all(
      [cpu, g].map(async (b) => {
        const made = fn(b, (a, shape) => b.upload(a, shape));
        const host: Record<string, Float32Array> = {};
        for (const [k, t] of Object.entries(made)) host[k] = await b.read(t);
        return host;
      }),
    );
    for (const k of Object.keys(outs[0]!)) expectClose(outs[1]![k]!, outs[0]![k]!, tol, k);
  }

  it('allocates zeroed tensors, writes, reads slices, accounts and disposes', async () => {
    const t = gpu.alloc([2, 3]);
    expect(t.size).toBe(6);
    gpu.write(t, Float32Array.of(1, 2), 4);
    expect([...(await gpu.read(t))]).toEqual([0, 0, 0, 0, 1, 2]);
    expect([...(await gpu.read(t, 3, 2))]).toEqual([0, 1]);
    const before = gpu.memory();
    const w = gpu.uploadWeight(quantizeQ4(new Float32Array(64), 2, 32));
    expect(gpu.memory().weights - before.weights).toBe(32 + 8);
    gpu.dispose(t);
    gpu.dispose(t);
    gpu.dispose(w);
    expect(gpu.memory().weights).toBe(before.weights);
    expect(() => gpu.write(t, Float32Array.of(1))).toThrow(/disposed/);
    expect(() => gpu.upload(new Float32Array(5), [2, 3])).toThrow(/upload/);
    await expect(gpu.read(gpu.alloc([2]), 1, 5)).rejects.toThrow(/read/);
    expect(() => gpu.matmul(cpu.alloc([1, 4]), 1, w, gpu.alloc([1, 2]))).toThrow(/another backend/);
  });

  it('in place and aliased ops match the CPU backend', async () => {
    const r = rng(1);
    const [T, d] = [3, 40];
    const x = randn(r, T * d, 2);
    const y = randn(r, T * d, 2);
    const w = randn(r, d);
    await both((b, up) => {
      const a = up(x, [T, d]);
      b.rmsNorm(a, T, d, up(w), 1e-5, a); // in place
      const g = up(x, [T, d]);
      b.siluMul(g, up(y, [T, d]), g); // into gate
      const s = up(x, [T, d]);
      const s2 = up(y, [T, d]);
      b.add(s, s2, s2); // into b
      const s3 = up(x, [T, d]);
      b.add(s3, s3, s3); // all three the same
      const c = up(Float32Array.from({ length: 12 }, (_, i) => i), [6, 2]);
      b.copyRows(c, 0, c, 2, 3, 2); // overlapping, same tensor
      return { rmsInPlace: a, siluIntoGate: g, addIntoB: s2, addSelf: s3, copyOverlap: c };
    });
  });

  it('a matmul followed by a residual add or SwiGLU (fused into the matmul) matches the CPU backend', async () => {
    const r = rng(7);
    const [T, K, N] = [5, 32, 24];
    const x = randn(r, T * K);
    const res = randn(r, T * N);
    const gate = randn(r, T * N, 3);
    const wm = { kind: 'f32' as const, rows: N, cols: K, data: randn(r, N * K, 0.3) };
    const wq = quantizeQ4(randn(r, N * K, 0.3), N, K);
    const bias = randn(r, N);
    for (const b of [gpu, gpuFamily]) {
      const dispatches = b.rt.dispatches;
      await both((be2, up) => {
        const w1 = be2.uploadWeight(wm);
        const w2 = be2.uploadWeight(wq);
        const xs = up(x, [T, K]);
        const o = be2.alloc([T, N]);
        const a = up(res, [T, N]);
        be2.matmul(xs, T, w1, o, up(bias)); // o = x·W1ᵀ + bias; a += o
        be2.add(a, o, a);
        const u = be2.alloc([T, N]);
        const g = up(gate, [T, N]);
        be2.matmul(xs, T, w2, u); // u = x·W2ᵀ; g = silu(g)·u
        be2.siluMul(g, u, g);
        const o2 = be2.alloc([T, N]);
        const a2 = up(res, [T, N]);
        be2.matmul(xs, T, w1, o2); // a2 = o2 + a2 (out is b)
        be2.add(o2, a2, a2);
        const o3 = be2.alloc([T, N]);
        be2.matmul(xs, 1, w1, o3); // only the first row: not fusable (sizes differ), runs unfused
        be2.add(o3, o3, o3);
        return { matmulOut: o, residual: a, up: u, swiglu: g, matmulOut2: o2, residualIntoB: a2, partial: o3 };
      }, { abs: 1e-5, rel: 1e-5 }, b);
      // on both families three of the adds / SwiGLU rode along with their matmuls
      expect(b.rt.dispatches - dispatches).toBe(5);
    }
  });

  it('matmul + loraApply + residual add / SwiGLU: the epilogue rides on the LoRA expand (BGMV, SGMV, coarse), every row, = the CPU backend', async () => {
    const r = rng(11);
    const [K, N, maxRank] = [32, 24, 8];
    const wm = quantizeQ4(randn(r, N * K, 0.3), N, K);
    const slots = [
      { rank: 8, scale: 2, A: randn(r, 8 * K, 0.3), B: randn(r, N * 8, 0.3) },
      { rank: 3, scale: 0.5, A: randn(r, 3 * K, 0.3), B: randn(r, N * 3, 0.3) },
      { rank: 0, scale: 1, A: new Float32Array(0), B: new Float32Array(0) },
    ];
    const fill = (n: number, v: number) => new Array<number>(n).fill(v);
    for (const rowAdapter of [
      Int32Array.of(0, 1, -1, 2), // decode: BGMV (gpu), one-row blocks (coarse)
      Int32Array.from([...fill(70, 0), ...fill(10, -1), ...fill(70, 1), 2]), // prefill: SGMV (gpu), 8-row blocks (coarse)
    ]) {
      const T = rowAdapter.length;
      const x = randn(r, T * K);
      const res = randn(r, T * N);
      const gate = randn(r, T * N, 3);
      for (const b of [gpu, gpuFamily]) {
        const dispatches = b.rt.dispatches;
        await both((be2, up) => {
          const pool = be2.createLoraPool(3, maxRank, K, N);
          slots.forEach((s, i) => be2.writeLoraSlot(pool, i, s));
          const w = be2.uploadWeight(wm);
          const xs = up(x, [T, K]);
          const o = be2.alloc([T, N]);
          const a = up(res, [T, N]);
          be2.matmul(xs, T, w, o);
          be2.loraApply(xs, T, pool, rowAdapter, o);
          be2.add(a, o, a);
          const u = be2.alloc([T, N]);
          const g = up(gate, [T, N]);
          be2.matmul(xs, T, w, u);
          be2.loraApply(xs, T, pool, rowAdapter, u);
          be2.siluMul(g, u, g);
          const o2 = be2.alloc([T, N]);
          be2.matmul(xs, T, w, o2);
          be2.loraApply(xs, T, pool, rowAdapter, o2); // then something else: settled without an epilogue
          return { out: o, residual: a, up: u, swiglu: g, plain: o2 };
        }, { abs: 1e-5, rel: 1e-5 }, b);
        // 3 × (matmul, shrink, expand): the add and the SwiGLU rode along
        expect(b.rt.dispatches - dispatches).toBe(9);
      }
    }
  });

  it('rope and attention on a row segment (rowOffset) of a concatenated batch', async () => {
    const r = rng(2);
    const [nH, nKv, hd, rows, off, T, start, maxSeq] = [6, 2, 16, 7, 2, 3, 4, 10];
    const q = randn(r, rows * nH * hd);
    const kc = randn(r, maxSeq * nKv * hd);
    const vc = randn(r, maxSeq * nKv * hd);
    const inv = ropeInvFreq(hd, 10000);
    await both((b, up) => {
      const qt = up(q, [rows, nH, hd]);
      b.rope(qt, T, nH, hd, Int32Array.of(start, start + 1, start + 2), up(inv), off);
      const out = b.alloc([rows, nH, hd]);
      b.attention(qt, up(kc), up(vc), T, start, nH, nKv, hd, out, off);
      return { roped: qt, attn: out };
    });
  });

  it('LoRA pools: mixed slots per row, empty slots refused, rank 0 exact, disposal', async () => {
    const r = rng(3);
    const [T, inDim, outDim, maxRank] = [6, 48, 40, 8];
    const x = randn(r, T * inDim);
    const base = randn(r, T * outDim);
    const slots = [
      { rank: 8, scale: 2, A: randn(r, 8 * inDim), B: randn(r, outDim * 8) },
      { rank: 3, scale: 0.5, A: randn(r, 3 * inDim), B: randn(r, outDim * 3) },
      { rank: 0, scale: 1, A: new Float32Array(0), B: new Float32Array(0) },
    ];
    for (const rowAdapter of [Int32Array.of(0, 1, -1, 2, 1, 0), Int32Array.of(1, 1, 1, 1, 0, 0)]) {
      await both((b, up) => {
        const pool = b.createLoraPool(4, maxRank, inDim, outDim);
        slots.forEach((s, i) => b.writeLoraSlot(pool, i, s));
        const out = up(base, [T, outDim]);
        b.loraApply(up(x, [T, inDim]), T, pool, rowAdapter, out);
        return { out };
      }, { abs: 1e-5, rel: 1e-5 });
    }
    const pool = gpu.createLoraPool(4, maxRank, inDim, outDim);
    slots.forEach((s, i) => gpu.writeLoraSlot(pool, i, s));
    const out = gpu.upload(base, [T, outDim]);
    gpu.loraApply(gpu.upload(x, [T, inDim]), T, pool, Int32Array.of(2, -1, 2, -1, 2, 2), out);
    expectSame(await gpu.read(out), base, 'rank 0 and -1 rows leave the base output');
    expect(() => gpu.loraApply(gpu.upload(x, [T, inDim]), T, pool, Int32Array.of(3, -1, -1, -1, -1, -1), out)).toThrow(/slot 3, which is empty/);
    gpu.writeLoraSlot(pool, 0, null);
    expect(() => gpu.loraApply(gpu.upload(x, [T, inDim]), T, pool, Int32Array.of(0, -1, -1, -1, -1, -1), out)).toThrow(/slot 0, which is empty/);
    expect(() => gpu.writeLoraSlot(pool, 1, { rank: 9, scale: 1, A: new Float32Array(9 * inDim), B: new Float32Array(9 * outDim) })).toThrow(/rank 9 does not fit/);
    const lora = gpu.memory().lora;
    gpu.dispose(pool);
    expect(gpu.memory().lora).toBeLessThan(lora);
  });

  it('argmax on the GPU equals the host argmax of the logits', async () => {
    const r = rng(4);
    const logits = randn(r, 3 * 517, 5);
    const ids = await gpu.argmax(gpu.upload(logits, [3, 517]), 3, 517);
    for (let t = 0; t < 3; t++) {
      const row = logits.subarray(t * 517, (t + 1) * 517);
      expect(ids[t]).toBe(row.indexOf(Math.max(...row)));
    }
  });

  for (const [quant, family] of [
    ['f32', 'coarse'],
    ['q8', 'coarse'],
    ['q4', 'coarse'],
    ['f16', 'coarse'],
    ['f32', 'gpu'],
    ['q4', 'gpu'],
    ['f16', 'gpu'],
  ] as const) {
    it(`a random Llama model (${quant}, GQA, q/k/v bias, ${family} kernels) gives the CPU backend's logits: batched prefill with mixed adapters, then decode`, async () => {
      const { config, weights } = randomModel({ seed: 3, hiddenSize: 64, numHeads: 4, numKvHeads: 1, intermediateSize: 96, numLayers: 2, vocabSize: 130, attentionBias: true });
      const adapters = [randomAdapter(config, { seed: 1, rank: 4 }), randomAdapter(config, { seed: 2, rank: 8 })];
      // the CPU backend has no f16 storage: it computes with the f16-rounded weights in f32 instead
      const run = async (b: Backend, w = weights) => {
        const model = createModel(b, config, w, { quant, lora: { slots: 2, maxRank: 8 }, maxSeq: 32 });
        if (quant === 'f16') expect(Object.keys(model.memory().byFormat)).toEqual([b === cpu ? 'f32' : 'f16']);
        adapters.forEach((a, i) => model.setLoraSlot(i, a));
        const seqs = [model.createSequence(), model.createSequence(), model.createSequence()];
        const logits: Float32Array[] = [];
        logits.push(
          ...(await model.forward([
            { seq: seqs[0]!, tokens: [1, 5, 9, 14, 3, 7, 2], adapterSlot: 0 },
            { seq: seqs[1]!, tokens: [4, 4, 8, 100, 11] },
            { seq: seqs[2]!, tokens: [120, 6, 2], adapterSlot: 1 },
          ])),
        );
        for (let step = 0; step < 3; step++) {
          logits.push(
            ...(await model.forward([
              { seq: seqs[0]!, tokens: [10 + step], adapterSlot: 0 },
              { seq: seqs[1]!, tokens: [20 + step], adapterSlot: 1 },
              { seq: seqs[2]!, tokens: [30 + step], adapterSlot: -1 },
            ])),
          );
        }
        model.dispose();
        return logits;
      };
      const want = await run(cpu, quant === 'f16' ? roundMatricesToF16(weights) : weights);
      const got = await run(family === 'gpu' ? gpuFamily : gpu);
      expect(got.length).toBe(want.length);
      got.forEach((g, i) => expectClose(g, want[i]!, { abs: 1e-4, rel: 1e-4 }, `${quant} ${family} logits #${i}`));
    });
  }

  /** The backend with `matmulSplit` hidden: the model then keeps q/k/v apart and runs three matmuls. */
  const withoutSplit = (g: WebGpuBackend): Backend => new Proxy(g, { get: (t, p) => (p === 'matmulSplit' ? undefined : Reflect.get(t, p)) as unknown });

  for (const quant of ['q8', 'f16'] as const) {
    it(`q/k/v fused into one split matmul (Qwen2-style q/k/v bias, ${quant}, both kernel families): the CPU backend's logits, the bytes of three weights`, async () => {
      // q/k/v widths 48/24/24: off the tiled (64) and coarse (128) column blocks; o_proj's input 48 keeps it f32 in q8
      const { config, weights } = randomModel({ seed: 11, hiddenSize: 64, numHeads: 4, numKvHeads: 2, headDim: 12, intermediateSize: 96, numLayers: 2, vocabSize: 130, attentionBias: true });
      const adapter = randomAdapter(config, { seed: 4, rank: 4 });
      const run = async (b: Backend, w = weights) => {
        const model = createModel(b, config, w, { quant, maxSeq: 32, lora: { slots: 1, maxRank: 4 } });
        model.setLoraSlot(0, adapter);
        const seqs = [model.createSequence(), model.createSequence()];
        const out = await model.forward([
          { seq: seqs[0]!, tokens: [1, 5, 9, 14, 3, 7, 2] },
          { seq: seqs[1]!, tokens: [4, 8, 100], adapterSlot: 0 },
        ], { allLogits: true });
        for (const t of [10, 20, 30]) {
          out.push(...(await model.forward([
            { seq: seqs[0]!, tokens: [t] },
            { seq: seqs[1]!, tokens: [t + 1], adapterSlot: 0 },
          ])));
        }
        const mem = model.memory();
        model.dispose();
        return { out, mem };
      };
      const want = await run(cpu, quant === 'f16' ? roundMatricesToF16(weights) : weights);
      for (const g of [gpu, gpuFamily]) {
        const spy = vi.spyOn(g, 'matmulSplit');
        const fused = await run(g);
        // one split matmul per layer and pass (a prefill, three decode steps)
        expect(spy).toHaveBeenCalledTimes(4 * config.numLayers);
        spy.mockRestore();
        const apart = await run(withoutSplit(g));
        expect(fused.out.length).toBe(want.out.length);
        fused.out.forEach((x, i) => expectClose(x, want.out[i]!, { abs: 1e-4, rel: 1e-4 }, `${quant} ${g.rt.kernels} fused vs CPU #${i}`));
        fused.out.forEach((x, i) => expectClose(x, apart.out[i]!, { abs: 1e-4, rel: 1e-4 }, `${quant} ${g.rt.kernels} fused vs three matmuls #${i}`));
        expect(fused.mem.weights).toBe(apart.mem.weights);
        expect(fused.mem.weightsF32).toBe(apart.mem.weightsF32);
        expect(fused.mem.byFormat).toEqual(apart.mem.byFormat);
        expect(fused.mem.byFormat[quant]).toBeGreaterThan(0);
        expect(fused.mem.keptF32).toEqual([]);
      }
      if (quant !== 'f16') return;
      // a value past ±65504 in one layer's k_proj keeps that matrix f32: that layer's q/k/v stay three weights
      const big = { ...weights, layers: weights.layers.map((L) => ({ ...L })) };
      big.layers[1]!.k = { ...big.layers[1]!.k, data: big.layers[1]!.k.data.slice() };
      big.layers[1]!.k.data[3] = 1e5;
      const rounded = roundMatricesToF16(big);
      const wantBig = await run(cpu, { ...rounded, layers: rounded.layers.map((L, i) => (i === 1 ? { ...L, k: big.layers[1]!.k } : L)) });
      const spy = vi.spyOn(gpu, 'matmulSplit');
      const got = await run(gpu);
      expect(spy).toHaveBeenCalledTimes(4 * config.numLayers);
      spy.mockRestore();
      const spy2 = vi.spyOn(gpu, 'matmulSplit');
      const gotBig = await run(gpu, big);
      expect(spy2).toHaveBeenCalledTimes(4 * (config.numLayers - 1));
      spy2.mockRestore();
      expect(gotBig.mem.keptF32).toEqual([{ name: 'layers.1.k_proj', reason: "it holds 100000, beyond f16's ±65504" }]);
      expect(gotBig.mem.weights).toBe(got.mem.weights + (config.numKvHeads * config.headDim * config.hiddenSize) * 2);
      gotBig.out.forEach((x, i) => expectClose(x, wantBig.out[i]!, { abs: 1e-4, rel: 1e-4 }, `f16 with an f32 k_proj #${i}`));
    });
  }

  it('the streaming builder holds q/k/v until the last of them (any order), names a part given twice or missing, and abort frees it all', () => {
    const { config, weights } = randomModel({ seed: 12, numLayers: 1, attentionBias: true });
    const L = weights.layers[0]!;
    const builder = createModelBuilder(gpu, config, { quant: 'q8' });
    const before = gpu.memory().weights;
    builder.put({ layer: 0, part: 'vBias' }, L.vBias!);
    builder.put({ layer: 0, part: 'v' }, L.v);
    builder.put({ layer: 0, part: 'q' }, L.q);
    expect(() => builder.put({ layer: 0, part: 'q' }, L.q)).toThrow(/layers\.0\.q_proj was given twice/);
    expect(() => builder.put({ layer: 0, part: 'k' }, L.q)).toThrow(/layers\.0\.k_proj is \d+×\d+, expected/);
    expect(() => builder.put({ layer: 0, part: 'kBias' }, L.qBias!)).toThrow(/layers\.0\.k_proj\.bias has \d+ values, expected/);
    builder.put({ layer: 0, part: 'k' }, L.k);
    builder.put({ layer: 0, part: 'qBias' }, L.qBias!);
    expect(gpu.memory().weights).toBe(before); // still held: the k bias is missing
    for (const part of ['inputNorm', 'postAttentionNorm', 'o', 'gate', 'up', 'down'] as const) builder.put({ layer: 0, part }, L[part]);
    builder.put({ layer: null, part: 'embed' }, weights.embed);
    builder.put({ layer: null, part: 'finalNorm' }, weights.finalNorm);
    expect(() => builder.finish()).toThrow(/layers\.0\.k_proj\.bias is missing/);
    builder.abort();
    expect(gpu.memory().weights).toBe(before);
  });

  for (const family of ['coarse', 'gpu'] as const) {
    it(`a decode step's dispatches (${family} kernels): the residual adds and SwiGLU ride along with o/up/down_proj, k's rope and the kv write with q's rope, with or without LoRA rows; a mixed batch = each request alone`, async () => {
      const L = 3;
      const { config, weights } = randomModel({ seed: 5, hiddenSize: 64, numHeads: 4, numKvHeads: 2, intermediateSize: 96, numLayers: L, vocabSize: 130 });
      const b = family === 'gpu' ? gpuFamily : gpu;
      const model = createModel(b, config, weights, { quant: 'q8', lora: { slots: 2, maxRank: 8 }, maxSeq: 32 });
      [randomAdapter(config, { seed: 1, rank: 4 }), randomAdapter(config, { seed: 2, rank: 8 })].forEach((a, i) => model.setLoraSlot(i, a));
      const prompts = [
        [1, 5, 9],
        [4, 8],
        [120, 6, 2, 7],
      ];
      const step = async (slots: number[], tokens: number[], each = false): Promise<{ n: number; logits: Float32Array[] }> => {
        const seqs = prompts.map(() => model.createSequence());
        const run = async (idx: number[]) => {
          // each prompt alone (a prefill's kernels depend on its row count), then one decode step of the rows together
          for (const i of idx) await model.forward([{ seq: seqs[i]!, tokens: prompts[i]!, adapterSlot: slots[i]! }]);
          const before = b.rt.dispatches;
          const logits = await model.forward(idx.map((i) => ({ seq: seqs[i]!, tokens: [tokens[i]!], adapterSlot: slots[i]! })));
          return { n: b.rt.dispatches - before, logits };
        };
        if (!each) {
          const r = await run([0, 1, 2]);
          seqs.forEach((q) => q.dispose());
          return r;
        }
        const logits: Float32Array[] = [];
        for (const i of [0, 1, 2]) logits.push(...(await run([i])).logits);
        seqs.forEach((q) => q.dispose());
        return { n: 0, logits };
      };
      // per layer: rmsNorm ×2, q/k/v fused (one split matmul), o/gate/up/down, rope of q and k with the paged kv
      // write (one dispatch), attention = 9; + embedding, final norm, LM head
      // (the tiled family also folds each RMSNorm into the matmul after it: 7L+2; the coarse family does not: 9L+3)
      const base = await step([-1, -1, -1], [10, 20, 30]);
      expect(base.n).toBe(family === 'gpu' ? 7 * L + 2 : 9 * L + 3);
      // every target has LoRA: shrink + expand for each of the 7 modules, the adds / SwiGLU still fused (into the expand)
      const mixed = await step([0, 1, -1], [10, 20, 30]);
      expect(mixed.n).toBe(family === 'gpu' ? 21 * L + 2 : 23 * L + 3);
      const alone = await step([0, 1, -1], [10, 20, 30], true);
      mixed.logits.forEach((g, i) => expectSame(g, alone.logits[i]!, `${family}: request ${i} in the mixed batch vs alone`));
      model.dispose();
    });
  }

  it('a pending rmsNorm: folded into the matmul on its out (with an epilogue too, not onto its own x), else run alone; the results = the norms run alone and the CPU backend', async () => {
    const r = rng(17);
    const [T, K, N] = [3, 32, 32]; // N = K: a matmul's output can be added onto the norm's x
    const x = randn(r, T * K, 2);
    const nw = randn(r, K, 0.2).map((v) => 1 + v);
    const wq = quantizeQ4(randn(r, N * K, 0.3), N, K);
    const res = randn(r, T * N);
    const gate = randn(r, T * N, 3);
    const bias = randn(r, N);
    const x5 = randn(r, 5 * K);
    const ops = (b: Backend): Record<string, Tensor> => {
      const w = b.uploadWeight(wq);
      const wn = b.upload(nw);
      const bs = b.upload(bias);
      const xs = b.upload(x, [T, K]);
      const xs2 = b.upload(x, [T, K]);
      const xs3 = b.upload(x, [T, K]);
      const big = b.upload(x5, [5, K]);
      const [h1, h2, h3, h4, h5] = [b.alloc([T, K]), b.alloc([T, K]), b.alloc([T, K]), b.alloc([T, K]), b.alloc([T, K])];
      const [o1, o2, o3, o4, o5] = [b.alloc([T, N]), b.alloc([T, N]), b.alloc([T, N]), b.alloc([T, N]), b.alloc([T, N])];
      const hBig = b.alloc([5, K]);
      const oBig = b.alloc([5, N]);
      const a = b.upload(res, [T, N]);
      const g = b.upload(gate, [T, N]);
      const eps = 1e-5;
      b.rmsNorm(xs, T, K, wn, eps, h1); // folded, its matmul's residual epilogue onto another tensor (h in out2)
      b.matmul(h1, T, w, o1, bs);
      b.add(a, o1, a);
      b.rmsNorm(xs2, T, K, wn, eps, h2); // folded; the add onto the norm's own x runs alone
      b.matmul(h2, T, w, o2);
      b.add(xs2, o2, xs2);
      b.rmsNorm(xs, T, K, wn, eps, h3); // folded, SwiGLU epilogue
      b.matmul(h3, T, w, o3);
      b.siluMul(g, o3, g);
      b.rmsNorm(xs, T, K, wn, eps, h4); // another norm next: runs alone
      b.rmsNorm(xs3, T, K, wn, eps, xs3); // in place: alone
      b.matmul(xs3, T, w, o4);
      b.rmsNorm(xs, T, K, wn, eps, h5); // a matmul on another tensor: alone
      b.matmul(h4, T, w, o5);
      b.rmsNorm(big, 5, K, wn, eps, hBig); // prefill size: alone
      b.matmul(hBig, 5, w, oBig);
      return { h1: h1, o1: o1, a, h2: h2, o2: o2, xs2, h3: h3, o3: o3, g, h4: h4, xs3, o4: o4, h5: h5, o5: o5, hBig: hBig, oBig: oBig };
    };
    for (const b of [gpu, gpuFamily]) {
      const run = async (fold: boolean) => {
        const prev = b.foldNorms;
        b.foldNorms = fold;
        try {
          const before = b.rt.dispatches;
          const made = ops(b);
          await b.sync(); // encodes the last (pending) matmul
          const n = b.rt.dispatches;
          const host: Record<string, Float32Array> = {};
          for (const [k, t] of Object.entries(made)) host[k] = await b.read(t);
          return { host, n: n - before };
        } finally {
          b.foldNorms = prev;
        }
      };
      const apart = await run(false);
      const folded = await run(true);
      for (const k of Object.keys(apart.host)) expectSame(folded.host[k]!, apart.host[k]!, `${b.rt.kernels} ${k}: folded vs apart`);
      // apart: 7 norms + 6 matmuls (the adds and the SwiGLU ride along) = 13; folded: 3 norms fewer, but the add onto
      // the norm's own x then runs alone: 11
      expect(apart.n).toBe(13);
      expect(folded.n).toBe(11);
    }
    await both((b) => ops(b), { abs: 1e-5, rel: 1e-5 }, gpuFamily);
  });

  it('RMSNorm folded into the next decode matmul (norm prologue): logits and every later reader of h bit for bit = the norms run alone, 2 dispatches fewer per layer and 1 for the final norm; q8 with a bias past the storage-buffer limit runs it alone', async () => {
    const L = 2;
    for (const attentionBias of [false, true]) {
      const { config, weights } = randomModel({ seed: 21, hiddenSize: 64, numHeads: 4, numKvHeads: 2, intermediateSize: 96, numLayers: L, vocabSize: 130, attentionBias });
      const adapter = randomAdapter(config, { seed: 6, rank: 4 });
      for (const b of [gpu, gpuFamily]) {
        for (const quant of ['q8', 'f32'] as const) {
          const run = async (fold: boolean, limit?: number) => {
            const prev = b.foldNorms;
            b.foldNorms = fold;
            const limits = b.rt.info.limits;
            const saved = limits.maxStorageBuffersPerShaderStage;
            if (limit !== undefined) limits.maxStorageBuffersPerShaderStage = limit;
            try {
              const model = createModel(b, config, weights, { quant, maxSeq: 32, lora: { slots: 1, maxRank: 4 } });
              model.setLoraSlot(0, adapter);
              const seqs = [model.createSequence(), model.createSequence()];
              await model.forward([
                { seq: seqs[0]!, tokens: [1, 5, 9, 14, 3] },
                { seq: seqs[1]!, tokens: [4, 8, 100], adapterSlot: 0 },
              ]);
              const out: Float32Array[] = [];
              const n: number[] = [];
              for (const [t, slot] of [[10, -1], [20, 0]] as const) {
                const before = b.rt.dispatches;
                out.push(...(await model.forward([{ seq: seqs[0]!, tokens: [t] }, { seq: seqs[1]!, tokens: [t + 1], adapterSlot: slot }])));
                n.push(b.rt.dispatches - before);
              }
              model.dispose();
              return { out, n };
            } finally {
              b.foldNorms = prev;
              if (saved !== undefined) limits.maxStorageBuffersPerShaderStage = saved;
            }
          };
          const what = `${b.rt.kernels} ${quant}${attentionBias ? ' +bias' : ''}`;
          const apart = await run(false);
          const folded = await run(true);
          folded.out.forEach((x, i) => expectSame(x, apart.out[i]!, `${what}: folded vs apart #${i}`));
          // without LoRA rows, then with them (q/k/v, o, gate, up, down each get shrink + expand)
          expect(apart.n).toEqual([9 * L + 3, 23 * L + 3]);
          expect(folded.n).toEqual([7 * L + 2, 21 * L + 2]);
          if (quant === 'q8' && attentionBias) {
            // int8 + bias + norm weight = 9 storage buffers: at WebGPU's guaranteed 8 the input norms run alone
            const tight = await run(true, 8);
            tight.out.forEach((x, i) => expectSame(x, apart.out[i]!, `${what}: limit 8 vs apart #${i}`));
            expect(tight.n).toEqual([8 * L + 2, 22 * L + 2]);
          }
        }
      }
    }
  });

  it('an f16 model on WebGPU: logits close to the f32 model, same greedy tokens, half the matrix bytes; a matrix beyond f16 stays f32', async () => {
    const { config, weights } = randomModel({ seed: 8, hiddenSize: 128, numHeads: 4, numKvHeads: 2, intermediateSize: 256, numLayers: 3, vocabSize: 500, tieWordEmbeddings: false });
    const tokens = [3, 141, 59, 26, 5, 35, 89, 79, 32, 38, 46, 26, 43, 480, 7, 7];
    const V = config.vocabSize;
    const f32 = createModel(gpu, config, weights, { maxSeq: 32 });
    const f16 = createModel(gpu, config, weights, { quant: 'f16', maxSeq: 32 });
    const want = await f32.prefill(tokens, f32.createSequence(), { allLogits: true });
    const got = await f16.prefill(tokens, f16.createSequence(), { allLogits: true });
    let spread = 0;
    let worst = 0;
    for (let t = 0; t < tokens.length; t++) {
      const w = want.subarray(t * V, (t + 1) * V);
      const g = got.subarray(t * V, (t + 1) * V);
      spread = Math.max(spread, Math.max(...w) - Math.min(...w));
      for (let i = 0; i < V; i++) worst = Math.max(worst, Math.abs(g[i]! - w[i]!));
      expect(g.indexOf(Math.max(...g)), `greedy token after ${t + 1} tokens`).toBe(w.indexOf(Math.max(...w)));
    }
    if (process.env.GPU_PARITY_VERBOSE) console.log(`f16 vs f32 model: max |Δlogit| ${worst.toExponential(3)}, logit range ${spread.toFixed(3)}, ratio ${(worst / spread).toExponential(3)}`);
    expect(worst).toBeLessThanOrEqual(2e-3 * spread);

    // memory: every matrix at 2 bytes per weight, norms at 4
    const m32 = f32.memory();
    const m16 = f16.memory();
    const d = config.hiddenSize;
    const qkvo = 2 * d * d + 2 * d * (config.numKvHeads * config.headDim);
    const matrices = 2 * V * d + config.numLayers * (qkvo + 3 * d * config.intermediateSize);
    const norms = (2 * config.numLayers + 1) * d * 4;
    expect(m32.byFormat).toEqual({ f32: matrices * 4 });
    expect(m16.byFormat).toEqual({ f16: matrices * 2 });
    expect(m16.weights).toBe(matrices * 2 + norms);
    expect(m16.weightsF32).toBe(m32.weights);
    expect(m16.keptF32).toEqual([]);
    f32.dispose();
    f16.dispose();

    // a value past ±65504 (possible in a bf16 checkpoint) keeps that one matrix in f32, named in the report
    const big = { ...weights, layers: weights.layers.map((L) => ({ ...L })) };
    const down = big.layers[1]!.down;
    big.layers[1]!.down = { ...down, data: down.data.slice() };
    big.layers[1]!.down.data[5] = 1e5;
    const mixed = createModel(gpu, config, big, { quant: 'f16', maxSeq: 32 });
    const mm = mixed.memory();
    expect(mm.keptF32).toEqual([{ name: 'layers.1.down_proj', reason: "it holds 100000, beyond f16's ±65504" }]);
    expect(mm.byFormat).toEqual({ f16: (matrices - d * config.intermediateSize) * 2, f32: d * config.intermediateSize * 4 });
    const cpuModel = createModel(cpu, config, { ...roundMatricesToF16(big), layers: roundMatricesToF16(big).layers.map((L, i) => (i === 1 ? { ...L, down: big.layers[1]!.down } : L)) }, { maxSeq: 32 });
    const a = await mixed.prefill(tokens.slice(0, 5), mixed.createSequence());
    const b = await cpuModel.prefill(tokens.slice(0, 5), cpuModel.createSequence());
    expectClose(a, b, { abs: 1e-4, rel: 1e-4 }, 'f16 model with one f32 matrix');
    mixed.dispose();
    cpuModel.dispose();
  });
});
