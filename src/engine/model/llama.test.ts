import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../cpu/cpuBackend.ts';
import { createModel, type Model } from './llama.ts';
import { randomAdapter, randomModel } from './randomModel.ts';

const { config, weights } = randomModel({ seed: 11 });
const prompt = [3, 141, 59, 26, 5, 35, 89];
const cont = [79, 32, 38, 46, 26, 43];

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const argmax = (a: Float32Array): number => a.reduce((bi, v, i, arr) => (v > arr[bi]! ? i : bi), 0);

async function kvVsRecompute(model: Model, slot = -1): Promise<number> {
  const full = model.createSequence(32);
  const all = await model.prefill([...prompt, ...cont], full, { allLogits: true, adapterSlot: slot });
  const seq = model.createSequence(32);
  const V = config.vocabSize;
  let worst = maxAbsDiff(await model.prefill(prompt, seq, { adapterSlot: slot }), all.subarray((prompt.length - 1) * V, prompt.length * V));
  for (const [i, t] of cont.entries()) {
    const got = await model.decodeStep(t, seq, { adapterSlot: slot });
    const at = prompt.length + i;
    worst = Math.max(worst, maxAbsDiff(got, all.subarray(at * V, (at + 1) * V)));
  }
  expect(seq.length).toBe(prompt.length + cont.length);
  return worst;
}

describe('createModel (CPU backend)', () => {
  it('KV-cache decode equals full recompute (f32: ≤ 1e-5; int8 and int4 with f32 decode activations: ≤ 1e-4; with the default int8 ones: 2% of the largest logit)', async () => {
    const f32Act = createCpuBackend({ decodeActivations: 'f32' });
    expect(await kvVsRecompute(createModel(createCpuBackend(), config, weights))).toBeLessThanOrEqual(1e-5);
    expect(await kvVsRecompute(createModel(f32Act, config, weights, { quant: 'q8' }))).toBeLessThanOrEqual(1e-4);
    expect(await kvVsRecompute(createModel(f32Act, config, weights, { quant: 'q4' }))).toBeLessThanOrEqual(1e-4);
    // the CPU backend's default int8-activation decode of int8/int4 weights (prefill keeps f32 activations): within
    // its stated bound, 2% of the logits' largest magnitude, as in cpuBackend.test.ts
    for (const quant of ['q8', 'q4'] as const) {
      const m = createModel(createCpuBackend(), config, weights, { quant });
      const scale = (await m.prefill([...prompt, ...cont], m.createSequence(32), { allLogits: true })).reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      expect(await kvVsRecompute(m)).toBeLessThanOrEqual(0.02 * scale);
    }
    const lora = createModel(createCpuBackend(), config, weights, { lora: { slots: 1, maxRank: 4 } });
    lora.setLoraSlot(0, randomAdapter(config, { seed: 1 }));
    expect(await kvVsRecompute(lora, 0)).toBeLessThanOrEqual(1e-5);
  });

  it('a rank-0 adapter, an adapter targeting nothing and no adapter give exactly the base output', async () => {
    const model = createModel(createCpuBackend(), config, weights, { lora: { slots: 3, maxRank: 8 } });
    model.setLoraSlot(0, { rank: 0, alpha: 0, layers: Array.from({ length: config.numLayers }, () => ({ q: { A: new Float32Array(0), B: new Float32Array(0) } })) });
    model.setLoraSlot(1, { rank: 4, alpha: 8, layers: Array.from({ length: config.numLayers }, () => ({})) });
    model.setLoraSlot(2, randomAdapter(config, { seed: 3 }));
    const base = createModel(createCpuBackend(), config, weights);
    const want = await base.prefill(prompt, base.createSequence(16), { allLogits: true });
    for (const slot of [-1, 0, 1]) {
      expect(await model.prefill(prompt, model.createSequence(16), { allLogits: true, adapterSlot: slot })).toEqual(want);
    }
    expect(maxAbsDiff(await model.prefill(prompt, model.createSequence(16), { allLogits: true, adapterSlot: 2 }), want)).toBeGreaterThan(0.1);
  });

  it('a heterogeneous batch (different adapters, lengths and positions) equals each request run alone (≤ 1e-4)', async () => {
    const adapters = [randomAdapter(config, { seed: 21, rank: 8 }), randomAdapter(config, { seed: 22, rank: 2, targets: ['q', 'v'] }), randomAdapter(config, { seed: 23, rank: 4 })];
    const mk = (): Model => {
      const m = createModel(createCpuBackend(), config, weights, { lora: { slots: 3, maxRank: 8 } });
      adapters.forEach((a, i) => m.setLoraSlot(i, a));
      return m;
    };
    const requests = [
      { tokens: [1, 2, 3, 4, 5, 6, 7, 8, 9], slot: 0, next: [10, 11, 12] },
      { tokens: [200, 100], slot: -1, next: [7, 8, 9] },
      { tokens: [42, 42, 42, 42, 42], slot: 1, next: [1, 2, 3] },
      { tokens: [299], slot: 2, next: [0, 298, 5] },
      { tokens: [7, 7, 7], slot: 0, next: [8, 9, 10] },
    ];
    // alone
    const alone: Float32Array[][] = [];
    for (const r of requests) {
      const m = mk();
      const s = m.createSequence(32);
      const outs = [await m.prefill(r.tokens, s, { adapterSlot: r.slot })];
      for (const t of r.next) outs.push(await m.decodeStep(t, s, { adapterSlot: r.slot }));
      alone.push(outs);
    }
    // batched: one prefill pass for all, then one decode pass per step
    const m = mk();
    const seqs = requests.map(() => m.createSequence(32));
    const batched: Float32Array[][] = requests.map(() => []);
    (await m.forward(requests.map((r, i) => ({ seq: seqs[i]!, tokens: r.tokens, adapterSlot: r.slot })))).forEach((l, i) => batched[i]!.push(l));
    for (let step = 0; step < 3; step++) {
      const out = await m.forward(requests.map((r, i) => ({ seq: seqs[i]!, tokens: [r.next[step]!], adapterSlot: r.slot })));
      out.forEach((l, i) => batched[i]!.push(l));
    }
    // ≤ 1e-4, the ORT parity tolerance (measured ~1e-5 on logits up to ±45): with the SIMD matmul a batch of ≥ 4 rows
    // runs the tiled kernel and a single row the row-streaming one, which add the same f32 products in another order
    for (let i = 0; i < requests.length; i++) for (let s = 0; s < 4; s++) expect(maxAbsDiff(batched[i]![s]!, alone[i]![s]!)).toBeLessThanOrEqual(1e-4);
    // and the adapters do differ from each other
    expect(maxAbsDiff(alone[0]![0]!, alone[4]![0]!)).toBeGreaterThan(0.1);
  });

  it('int8 and int4 stay close to f32 (int8: max |Δlogit| ≤ 1% of the logit range, int4: ≤ 10%; same greedy tokens for int8) and report memory', async () => {
    const f32 = createModel(createCpuBackend(), config, weights);
    const want = await f32.prefill([...prompt, ...cont], f32.createSequence(32), { allLogits: true });
    const spread = Math.max(...want) - Math.min(...want);
    const V = config.vocabSize;
    for (const [quant, frac] of [['q8', 0.01], ['q4', 0.1]] as const) {
      const m = createModel(createCpuBackend(), config, weights, { quant });
      const got = await m.prefill([...prompt, ...cont], m.createSequence(32), { allLogits: true });
      const d = maxAbsDiff(got, want);
      if (process.env['PARITY_VERBOSE']) console.log(quant, 'max |Δlogit|', d, 'spread', spread);
      expect(d).toBeLessThanOrEqual(frac * spread);
      if (quant === 'q8') {
        for (let t = 0; t < prompt.length + cont.length; t++) expect(argmax(got.subarray(t * V, (t + 1) * V))).toBe(argmax(want.subarray(t * V, (t + 1) * V)));
      }
    }
    const mem = (q: 'f32' | 'q8' | 'q4'): number => createModel(createCpuBackend(), config, weights, { quant: q }).memory().weights;
    expect(mem('f32')).toBe(f32.memory().weightsF32);
    expect(mem('q8') / mem('f32')).toBeLessThan(0.3);
    expect(mem('q4') / mem('f32')).toBeLessThan(0.2);
    // paged KV cache: pages held, not contexts reserved (13 tokens = 1 page of 16; a new sequence holds none)
    const pageBytes = 16 * 2 * 4 * config.numLayers * config.numKvHeads * config.headDim;
    const seq = f32.createSequence(100);
    expect(f32.memory().kvCache).toBe(pageBytes);
    await f32.prefill(Array.from({ length: 40 }, (_, i) => i + 1), seq);
    expect(f32.memory().kvCache).toBe(4 * pageBytes);
    expect(f32.memory().kvPages).toMatchObject({ used: 4, pageSize: 16 });
    expect(f32.memory().kvCacheReserved).toBe(f32.memory().kvPages.total * pageBytes);
    seq.dispose();
    expect(f32.memory().kvCache).toBe(pageBytes);
  });

  it('paged KV cache: pages on demand, reused after dispose and truncate, engine/kv-full when the budget is spent', async () => {
    const pageBytes = 4 * 2 * 4 * config.numLayers * config.numKvHeads * config.headDim;
    // 5 pages of 4 tokens
    const m = createModel(createCpuBackend(), config, weights, { kvCache: { bytes: 5 * pageBytes + 7, pageSize: 4 } });
    expect(m.memory().kvPages).toEqual({ used: 0, total: 5, budget: 5, pageSize: 4 });
    const ref = createModel(createCpuBackend(), config, weights);
    const a = m.createSequence(32);
    const b = m.createSequence(32);
    await m.prefill(prompt, a); // 7 tokens: 2 pages
    await m.prefill([5, 6, 7], b); // 1 page
    expect(m.memory().kvPages.used).toBe(3);
    // 3 + 9 more tokens for a and b: a needs 2 more pages, b 2 more: 4 > 2 free, refused whole, nothing taken
    const err = await m.forward([{ seq: a, tokens: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, { seq: b, tokens: [1, 2, 3, 4, 5, 6] }]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'engine/kv-full' });
    expect(String((err as Error).message)).toMatch(/wait for a running conversation to finish/);
    expect([a.length, b.length, m.memory().kvPages.used]).toEqual([7, 3, 3]);
    // pages interleave between the sequences as they grow: logits still equal a fresh model's
    const ra = ref.createSequence(32);
    await ref.prefill(prompt, ra);
    for (const t of [9, 8, 7, 6, 5]) {
      const [la] = await m.forward([{ seq: a, tokens: [t] }, { seq: b, tokens: [t] }]);
      expect(maxAbsDiff(la!, await ref.decodeStep(t, ra))).toBeLessThanOrEqual(1e-5);
    }
    expect(m.memory().kvPages.used).toBe(5); // a: 12 tokens = 3 pages, b: 8 = 2
    b.truncate(3);
    expect(m.memory().kvPages.used).toBe(4);
    b.dispose();
    expect(m.memory().kvPages.used).toBe(3);
    const c = m.createSequence(32);
    await m.prefill([1, 2, 3, 4, 5, 6, 7, 8], c); // the two freed pages
    expect(m.memory().kvPages.used).toBe(5);
    await expect(m.decodeStep(1, c)).rejects.toMatchObject({ code: 'engine/kv-full' });
    expect(c.length).toBe(8);
    expect(() => createModel(createCpuBackend(), config, weights, { kvCache: { bytes: pageBytes - 1, pageSize: 4 } })).toThrow(/holds no page/);
  });

  it('the KV pool starts small and grows on demand up to the budget; outputs equal a pool big from the start', async () => {
    const pageBytes = 4 * 2 * 4 * config.numLayers * config.numKvHeads * config.headDim;
    const kvCache = { bytes: 12 * pageBytes, pageSize: 4 };
    // maxSeq 8: room for 2 contexts = 16 tokens = 4 pages at load, of a budget of 12
    const m = createModel(createCpuBackend(), config, weights, { maxSeq: 8, kvCache });
    const big = createModel(createCpuBackend(), config, weights, { maxSeq: 64, kvCache });
    expect(m.memory().kvPages).toEqual({ used: 0, total: 4, budget: 12, pageSize: 4 });
    expect(m.memory().kvCacheReserved).toBe(4 * pageBytes);
    expect(m.memory().kvCacheBudget).toBe(12 * pageBytes);
    expect(big.memory().kvPages).toEqual({ used: 0, total: 12, budget: 12, pageSize: 4 });
    const prompts = [prompt, [5, 6, 7, 8, 9], [200, 201, 202, 203, 204, 205]];
    const seqs = prompts.map(() => m.createSequence(32));
    const refs = prompts.map(() => big.createSequence(32));
    // 2 + 2 + 2 pages > 4: the pool doubles to 8; same bits as the big pool's
    expect(await m.forward(prompts.map((p, i) => ({ seq: seqs[i]!, tokens: p })))).toEqual(await big.forward(prompts.map((p, i) => ({ seq: refs[i]!, tokens: p }))));
    expect(m.memory().kvPages).toMatchObject({ used: 6, total: 8 });
    expect(m.memory().kvCacheReserved).toBe(8 * pageBytes);
    for (const t of [11, 12, 13, 14, 15, 16, 17, 18, 19]) {
      const got = await m.forward(seqs.map((seq) => ({ seq, tokens: [t] })));
      expect(got).toEqual(await big.forward(refs.map((seq) => ({ seq, tokens: [t] }))));
    }
    // 16 + 14 + 15 tokens: 4 + 4 + 4 pages, the pool grew to the budget (not past it)
    expect(m.memory().kvPages).toMatchObject({ used: 12, total: 12 });
    expect(m.memory().kvCacheReserved).toBe(m.memory().kvCacheBudget);
    // the budget is spent: kv-full, nothing taken, nothing grown
    const err = await m.decodeStep(1, seqs[0]!).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'engine/kv-full' });
    expect(String((err as Error).message)).toMatch(/budget's 12/);
    expect([seqs[0]!.length, m.memory().kvPages.used, m.memory().kvPages.total]).toEqual([16, 12, 12]);
    // freed pages are reused; logits still equal
    seqs[1]!.dispose();
    refs[1]!.dispose();
    expect(await m.decodeStep(1, seqs[0]!)).toEqual(await big.decodeStep(1, refs[0]!));
    m.dispose();
    big.dispose();
  });

  it('truncate rewinds a sequence (regenerate gives the same logits)', async () => {
    const m = createModel(createCpuBackend(), config, weights);
    const s = m.createSequence(32);
    await m.prefill(prompt, s);
    const a = await m.decodeStep(9, s);
    s.truncate(prompt.length);
    expect(await m.decodeStep(9, s)).toEqual(a);
    expect(() => s.truncate(50)).toThrow(/truncate/);
  });

  it('refuses full contexts, unknown slots, bad tokens, disposed sequences and wrong weights clearly', async () => {
    const m = createModel(createCpuBackend(), config, weights, { lora: { slots: 1, maxRank: 2 } });
    const s = m.createSequence(4);
    await expect(m.prefill([1, 2, 3, 4, 5], s)).rejects.toMatchObject({ code: 'engine/context-full' });
    await expect(m.prefill([1], s, { adapterSlot: 0 })).rejects.toMatchObject({ code: 'engine/lora-slot' });
    await expect(m.prefill([300], s)).rejects.toThrow(/outside the vocabulary/);
    expect(s.length).toBe(0);
    expect(() => m.setLoraSlot(0, randomAdapter(config, { rank: 4 }))).toThrow(/rank 4/);
    expect(() => m.setLoraSlot(1, null)).toThrow(/slot 1/);
    await expect(m.forward([{ seq: s, tokens: [1] }, { seq: s, tokens: [2] }])).rejects.toThrow(/once/);
    s.dispose();
    await expect(m.decodeStep(1, s)).rejects.toMatchObject({ code: 'engine/disposed' });
    const bad = { ...weights, layers: weights.layers.map((l, i) => (i === 1 ? { ...l, k: { ...l.k, rows: 8 } } : l)) };
    expect(() => createModel(createCpuBackend(), config, bad)).toThrow(/layers\.1\.k_proj/);
    expect(() => createModel(createCpuBackend(), { ...config, tieWordEmbeddings: false }, weights)).toThrow(/lm_head/);
    m.dispose();
    expect(() => m.createSequence()).toThrow(/disposed/);
  });
});
