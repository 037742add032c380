import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../cpu/cpuBackend.ts';
import { createPeftAdapter, type PeftAdapter } from '../lora/peft.ts';
import { AdapterPool, modelSlotTarget } from '../lora/pool.ts';
import { AdapterRegistry, MemoryAdapterStore } from '../lora/registry.ts';
import { generate, type GenerateOptions, type GenerateResult } from '../model/generate.ts';
import { createModel, type Model } from '../model/llama.ts';
import { randomAdapter, randomModel } from '../model/randomModel.ts';
import { Scheduler, type GenerationRequest } from './scheduler.ts';

const { config, weights } = randomModel({ seed: 12 });
const MAX_RANK = 8;
const adapters: PeftAdapter[] = [
  createPeftAdapter(randomAdapter(config, { seed: 31, rank: 8, strength: 1 }), config, { name: 'a0' }),
  createPeftAdapter(randomAdapter(config, { seed: 32, rank: 2, targets: ['q', 'v'], strength: 1.5 }), config, { name: 'a1' }),
  createPeftAdapter(randomAdapter(config, { seed: 33, rank: 4, targets: ['gate', 'up', 'down'], strength: 1 }), config, { name: 'a2' }),
  createPeftAdapter(randomAdapter(config, { seed: 34, rank: 6, targets: ['o', 'k'], strength: 1.5 }), config, { name: 'a3' }),
  createPeftAdapter(randomAdapter(config, { seed: 35, rank: 3, strength: 1 }), config, { name: 'a4' }),
];
const rank0 = createPeftAdapter({ rank: 0, alpha: 0, layers: Array.from({ length: config.numLayers }, () => ({ q: { A: new Float32Array(0), B: new Float32Array(0) } })) }, config, { name: 'zero' });
const greedy = { greedy: true } as const;

async function served(slots: number, budgetSlots = slots) {
  const registry = new AdapterRegistry(new MemoryAdapterStore(), config);
  for (const a of [...adapters, rank0]) await registry.add(a);
  const model = createModel(createCpuBackend(), config, weights, { lora: { slots, maxRank: MAX_RANK }, maxSeq: 64 });
  const target = modelSlotTarget(model, { maxRank: MAX_RANK });
  const pool = new AdapterPool(registry, target, { budgetBytes: budgetSlots * target.slotBytes });
  return { model, pool, registry };
}

/** The request run alone through generate() on its own model (the adapter in slot 0). */
async function alone(req: GenerationRequest): Promise<GenerateResult> {
  const model = createModel(createCpuBackend(), config, weights, { lora: { slots: 1, maxRank: MAX_RANK }, maxSeq: 64 });
  const a = [...adapters, rank0].find((x) => x.meta.id === req.adapterId);
  if (a) model.setLoraSlot(0, a.weights);
  const { prompt, adapterId: _a, onToken: _o, maxSeq: _m, ...o } = req;
  return drain(generate(model, prompt, { ...(o as GenerateOptions), adapterSlot: a ? 0 : -1 }));
}

async function drain(it: AsyncGenerator<number, GenerateResult>): Promise<GenerateResult> {
  const seen: number[] = [];
  for (;;) {
    const s = await it.next();
    if (s.done) {
      expect(s.value.tokens).toEqual(seen);
      return s.value;
    }
    seen.push(s.value);
  }
}

const prompts = [
  [1, 2, 3, 4, 5, 6, 7, 8, 9],
  [200, 100],
  [42, 42, 42, 42, 42],
  [299],
  [7, 8, 7, 8],
  [150, 151, 152],
];

describe('Scheduler', () => {
  it('4 requests on 4 different adapters + 1 without, batched one pass per step, give the tokens each gets alone', async () => {
    const { model, pool } = await served(4);
    const s = new Scheduler(model, { pool });
    const reqs: GenerationRequest[] = [0, 1, 2, 3, -1].map((a, i) => ({
      prompt: prompts[i]!,
      adapterId: a >= 0 ? adapters[a]!.meta.id : null,
      maxNewTokens: 8 + i,
      sampling: greedy,
    }));
    const handles = reqs.map((r) => s.submit(r));
    const streamed = await Promise.all(
      handles.map(async (h) => {
        const got: number[] = [];
        for await (const id of h) got.push(id);
        return got;
      }),
    );
    const results = await Promise.all(handles.map((h) => h.result));
    const want = await Promise.all(reqs.map(alone));
    for (let i = 0; i < reqs.length; i++) {
      expect(results[i], `request ${i}`).toEqual(want[i]);
      expect(streamed[i]).toEqual(want[i]!.tokens);
    }
    // the adapters really differ
    expect(new Set(want.map((w) => w.tokens.join(','))).size).toBe(5);
    // one prefill pass for all five, then one decode pass per step with every running request in it
    const st = s.stats();
    expect(st.maxRows).toBe(5);
    expect(st.steps).toBe(Math.max(...reqs.map((r) => r.maxNewTokens)));
    expect(st).toMatchObject({ running: 0, queued: 0, completed: 5 });
    expect(pool.stats().pinned).toBe(0);
  });

  it('stop tokens, stop sequences, stop strings, max tokens and seeded sampling behave as in generate()', async () => {
    const { model, pool } = await served(4);
    const base = await alone({ prompt: prompts[0]!, adapterId: adapters[0]!.meta.id, maxNewTokens: 10, sampling: greedy });
    const t = base.tokens;
    const decode = (ids: readonly number[]): string => ids.map((x) => String.fromCharCode(65 + (x % 26))).join('');
    const reqs: GenerationRequest[] = [
      { prompt: prompts[0]!, adapterId: adapters[0]!.meta.id, maxNewTokens: 10, sampling: greedy, stopTokens: [t[3]!] },
      { prompt: prompts[0]!, adapterId: adapters[0]!.meta.id, maxNewTokens: 10, sampling: greedy, stopSequences: [[t[4]!, t[5]!]] },
      { prompt: prompts[0]!, adapterId: adapters[0]!.meta.id, maxNewTokens: 10, sampling: greedy, stopStrings: [decode(t.slice(2, 4))], decode },
      { prompt: prompts[1]!, adapterId: adapters[1]!.meta.id, maxNewTokens: 12, sampling: { temperature: 0.9, topK: 50, seed: 7 } },
      { prompt: prompts[2]!, maxNewTokens: 0, sampling: greedy },
      { prompt: prompts[3]!, adapterId: adapters[2]!.meta.id, maxNewTokens: 6, sampling: { temperature: 1.2, topP: 0.9, repetitionPenalty: 1.3, seed: 3 } },
    ];
    const s = new Scheduler(model, { pool });
    const got = await Promise.all(reqs.map((r) => s.submit(r).result));
    const want = await Promise.all(reqs.map(alone));
    expect(got).toEqual(want);
    expect(got.map((g) => g.finishReason)).toEqual(['eos', 'stop', 'stop', 'length', 'length', 'length']);
    expect(got[0]!.tokens).toEqual(t.slice(0, 3));
  });

  it('cancel: a signal, cancel() or leaving the for-await stops a request at the next step; the others are unaffected', async () => {
    const { model, pool } = await served(4);
    const s = new Scheduler(model, { pool });
    const ctrl = new AbortController();
    const seen: number[] = [];
    const a = s.submit({ prompt: prompts[0]!, adapterId: adapters[0]!.meta.id, maxNewTokens: 20, sampling: greedy, signal: ctrl.signal, onToken: (id) => (seen.push(id), seen.length === 3 && ctrl.abort()) });
    const b = s.submit({ prompt: prompts[1]!, adapterId: adapters[1]!.meta.id, maxNewTokens: 20, sampling: greedy });
    const c = s.submit({ prompt: prompts[2]!, maxNewTokens: 20, sampling: greedy });
    const d = s.submit({ prompt: prompts[3]!, adapterId: adapters[3]!.meta.id, maxNewTokens: 20, sampling: greedy });
    let n = 0;
    for await (const _ of c) if (++n === 2) break; // leaving early cancels
    d.cancel();
    const ra = await a.result;
    expect(ra.finishReason).toBe('abort');
    expect(ra.tokens.length).toBeGreaterThanOrEqual(3);
    expect(ra.tokens.length).toBeLessThanOrEqual(4);
    expect((await c.result).finishReason).toBe('abort');
    const rd = await d.result;
    expect(rd.finishReason).toBe('abort');
    const rb = await b.result;
    expect(rb).toEqual(await alone({ prompt: prompts[1]!, adapterId: adapters[1]!.meta.id, maxNewTokens: 20, sampling: greedy }));
    // already aborted / cancelled while queued
    const pre = new AbortController();
    pre.abort();
    expect(await s.submit({ prompt: [1], maxNewTokens: 5, signal: pre.signal }).result).toEqual({ finishReason: 'abort', tokens: [] });
    expect(pool.stats().pinned).toBe(0);
    expect(s.stats().running).toBe(0);
  });

  it('eviction under a tiny budget (2 slots, 5 adapters at once): requests wait for a slot and every output stays right', async () => {
    const { model, pool } = await served(4, 2);
    expect(pool.capacity).toBe(2);
    const s = new Scheduler(model, { pool });
    const reqs: GenerationRequest[] = adapters.map((a, i) => ({ prompt: prompts[i]!, adapterId: a.meta.id, maxNewTokens: 5 + i, sampling: greedy }));
    reqs.push({ prompt: prompts[5]!, maxNewTokens: 4, sampling: greedy }, { prompt: prompts[5]!, adapterId: adapters[0]!.meta.id, maxNewTokens: 7, sampling: greedy });
    const got = await Promise.all(reqs.map((r) => s.submit(r).result));
    const want = await Promise.all(reqs.map(alone));
    expect(got).toEqual(want);
    const ps = pool.stats();
    expect(ps.evictions).toBeGreaterThanOrEqual(3);
    expect(ps.pinned).toBe(0);
    expect(ps.resident).toBe(2);
  });

  it('a rank-0 adapter gives exactly the base output (logits and tokens)', async () => {
    const { model, pool } = await served(2);
    const slot = (await pool.acquire([rank0.meta.id])).get(rank0.meta.id)!;
    const base = createModel(createCpuBackend(), config, weights);
    const want = await base.prefill(prompts[0]!, base.createSequence(16), { allLogits: true });
    expect(await model.prefill(prompts[0]!, model.createSequence(16), { adapterSlot: slot, allLogits: true })).toEqual(want);
    pool.release([rank0.meta.id]);
    const s = new Scheduler(model, { pool });
    const [z, b] = await Promise.all([
      s.submit({ prompt: prompts[0]!, adapterId: rank0.meta.id, maxNewTokens: 8, sampling: greedy }).result,
      s.submit({ prompt: prompts[0]!, maxNewTokens: 8, sampling: greedy }).result,
    ]);
    expect(z).toEqual(b);
  });

  it('continues a conversation on a given sequence like generate() does', async () => {
    const { model, pool } = await served(2);
    const s = new Scheduler(model, { pool });
    const seq = model.createSequence(64);
    const id = adapters[4]!.meta.id;
    const t1 = await s.submit({ prompt: prompts[0]!, adapterId: id, maxNewTokens: 4, sampling: greedy, seq }).result;
    const t2 = await s.submit({ prompt: [5, 6], adapterId: id, maxNewTokens: 4, sampling: greedy, seq }).result;
    expect(seq.length).toBe(prompts[0]!.length + 3 + 2 + 3);
    const ref: Model = createModel(createCpuBackend(), config, weights, { lora: { slots: 1, maxRank: MAX_RANK } });
    ref.setLoraSlot(0, adapters[4]!.weights);
    const rs = ref.createSequence(64);
    expect(t1).toEqual(await drain(generate(ref, prompts[0]!, { maxNewTokens: 4, sampling: greedy, seq: rs, adapterSlot: 0 })));
    expect(t2).toEqual(await drain(generate(ref, [5, 6], { maxNewTokens: 4, sampling: greedy, seq: rs, adapterSlot: 0 })));
  });

  it('limits the batch (maxBatch, maxBatchTokens) without changing outputs', async () => {
    const { model, pool } = await served(4);
    const s = new Scheduler(model, { pool, maxBatch: 2, maxBatchTokens: 10 });
    const reqs: GenerationRequest[] = [0, 1, 2, -1, 3].map((a, i) => ({ prompt: prompts[i]!, adapterId: a >= 0 ? adapters[a]!.meta.id : null, maxNewTokens: 5, sampling: greedy }));
    const got = await Promise.all(reqs.map((r) => s.submit(r).result));
    expect(got).toEqual(await Promise.all(reqs.map(alone)));
    expect(s.stats().maxRows).toBeLessThanOrEqual(2);
  });

  it('refuses bad requests clearly; an adapter that cannot load fails only its own request', async () => {
    const { model, pool, registry } = await served(2);
    const s = new Scheduler(model, { pool });
    expect(() => s.submit({ prompt: [1, 300], maxNewTokens: 2 })).toThrow(/outside the vocabulary/);
    expect(() => new Scheduler(model).submit({ prompt: [1], adapterId: adapters[0]!.meta.id, maxNewTokens: 2 })).toThrow(/no adapter pool/);
    const missing = s.submit({ prompt: [1], adapterId: '0xdeadbeef', maxNewTokens: 2 });
    const fine = s.submit({ prompt: [1], adapterId: adapters[1]!.meta.id, maxNewTokens: 3, sampling: greedy });
    await expect(missing.result).rejects.toMatchObject({ code: 'lora/not-found' });
    await expect((async () => {
      for await (const _ of missing) void _;
    })()).rejects.toMatchObject({ code: 'lora/not-found' });
    expect((await fine.result).tokens.length).toBe(3);
    const seq = model.createSequence(8);
    const long = s.submit({ prompt: [1, 2, 3, 4, 5, 6, 7, 8, 9], maxNewTokens: 2, seq });
    await expect(long.result).rejects.toMatchObject({ code: 'engine/context-full' });
    const ctxEnd = await s.submit({ prompt: [1, 2, 3, 4, 5, 6], maxNewTokens: 10, maxSeq: 8, sampling: greedy }).result;
    expect(ctxEnd.finishReason).toBe('context');
    const busy = s.submit({ prompt: [1], maxNewTokens: 50, seq });
    expect(() => s.submit({ prompt: [2], maxNewTokens: 1, seq })).toThrow(/already has a request/);
    s.close();
    expect((await busy.result).finishReason).toBe('abort');
    expect(() => s.submit({ prompt: [1], maxNewTokens: 1 })).toThrow(expect.objectContaining({ code: 'serving/closed' }));
    expect(registry.size).toBe(6);
  });
  it('a failing batched pass is retried row by row, so only the failing request fails', async () => {
    const real = createModel(createCpuBackend(), config, weights, { maxSeq: 64 });
    const bad = (rows: readonly { tokens: ArrayLike<number> }[]): boolean => rows.some((r) => Array.from(r.tokens).includes(299));
    const poisoned: Model = {
      ...real,
      forward: (rows, fo) => (bad(rows) ? Promise.reject(new Error('device lost')) : real.forward(rows, fo)),
      forwardCandidates: (rows, k) => (bad(rows) ? Promise.reject(new Error('device lost')) : real.forwardCandidates(rows, k)),
    };
    const s = new Scheduler(poisoned);
    const good = [prompts[0]!, prompts[1]!].map((p) => s.submit({ prompt: p, maxNewTokens: 4, sampling: greedy }));
    const failing = s.submit({ prompt: [299, 1], maxNewTokens: 4, sampling: greedy });
    await expect(failing.result).rejects.toThrow('device lost');
    const got = await Promise.all(good.map((h) => h.result));
    expect(got).toEqual(await Promise.all([prompts[0]!, prompts[1]!].map((p) => alone({ prompt: p, maxNewTokens: 4, sampling: greedy }))));
  });

  it('a full KV cache parks rows until a running request gives pages back; every output stays right', async () => {
    // 6 pages of 4 tokens: three requests of 9-token prompts + 4 new tokens (≤ 12 tokens fed, 3 pages each): the third
    // waits for one of the first two to finish
    const pageBytes = 4 * 2 * 4 * config.numLayers * config.numKvHeads * config.headDim;
    const model = createModel(createCpuBackend(), config, weights, { maxSeq: 64, kvCache: { bytes: 6 * pageBytes, pageSize: 4 } });
    const s = new Scheduler(model);
    const reqs: GenerationRequest[] = [prompts[0]!, [10, 11, 12, 13, 14, 15, 16, 17, 18], [20, 21, 22, 23, 24, 25, 26, 27, 28]].map((p, i) => ({ prompt: p, maxNewTokens: 4 - (i >> 1), sampling: greedy }));
    const handles = reqs.map((r) => s.submit(r));
    const got = await Promise.all(handles.map((h) => h.result));
    expect(got).toEqual(await Promise.all(reqs.map(alone)));
    expect(model.memory().kvPages.used).toBe(0);
    // a request that cannot fit even alone fails with the error, not a hang
    const big = s.submit({ prompt: Array.from({ length: 30 }, (_, i) => i + 1), maxNewTokens: 2, sampling: greedy });
    await expect(big.result).rejects.toMatchObject({ code: 'engine/kv-full' });
  });
});

describe('Scheduler: KV cache preemption', () => {
  const pageBytes = 4 * 2 * 4 * config.numLayers * config.numKvHeads * config.headDim;
  /** 8 pages of 4 tokens (32 tokens) in all; the pool starts at 4 pages (2 contexts of maxSeq 8) and grows */
  const small = (): Model => createModel(createCpuBackend(), config, weights, { maxSeq: 8, kvCache: { bytes: 8 * pageBytes, pageSize: 4 } });
  const long = (i: number): number[] => Array.from({ length: 9 }, (_, j) => 10 + 20 * i + j);

  it('requests that outgrow the pool together are preempted and resumed, not failed: every output equals the request run alone', async () => {
    const model = small();
    expect(model.memory().kvPages).toMatchObject({ total: 4, budget: 8 });
    const s = new Scheduler(model, { maxSeq: 64 });
    // each needs up to 9 + 11 = 20 tokens = 5 pages (fits alone); four at once need 20 pages of 8
    const reqs: GenerationRequest[] = [0, 1, 2, 3].map((i) => ({ prompt: long(i), maxNewTokens: 12, sampling: greedy }));
    const handles = reqs.map((r) => s.submit(r));
    const streamed = await Promise.all(
      handles.map(async (h) => {
        const got: number[] = [];
        for await (const id of h) got.push(id);
        return got;
      }),
    );
    const got = await Promise.all(handles.map((h) => h.result));
    const want = await Promise.all(reqs.map(alone));
    expect(got).toEqual(want);
    expect(streamed).toEqual(want.map((w) => w.tokens));
    expect(got.every((g) => g.finishReason === 'length' && g.tokens.length === 12)).toBe(true);
    const st = s.stats();
    if (process.env['SCHED_VERBOSE']) console.log(st);
    expect(st.preemptions).toBeGreaterThan(0);
    expect(st).toMatchObject({ preempted: 0, running: 0, completed: 4 });
    // the pool grew to the budget on the way; no page leaked
    expect(model.memory().kvPages).toMatchObject({ used: 0, total: 8 });
  });

  it('a request that cannot fit even alone fails with engine/kv-full; the others are unaffected', async () => {
    const model = small();
    const s = new Scheduler(model, { maxSeq: 64 });
    // 20 + 19 = 39 tokens = 10 pages > 8: fails when it reaches page 9, after some tokens
    const hugeReq: GenerationRequest = { prompt: Array.from({ length: 20 }, (_, j) => 100 + j), maxNewTokens: 20, sampling: greedy };
    const reqs: GenerationRequest[] = [0, 1].map((i) => ({ prompt: long(i), maxNewTokens: 12, sampling: greedy }));
    const huge = s.submit(hugeReq);
    const others = reqs.map((r) => s.submit(r));
    const seen: number[] = [];
    const err = await (async () => {
      for await (const id of huge) seen.push(id);
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'engine/kv-full' });
    expect(String((err as Error).message)).toMatch(/even alone: it needs 9 pages of 4 tokens, but the budget has 8/);
    expect(seen).toEqual((await alone(hugeReq)).tokens.slice(0, seen.length));
    expect(seen.length).toBeGreaterThan(0);
    expect(await Promise.all(others.map((h) => h.result))).toEqual(await Promise.all(reqs.map(alone)));
    expect(model.memory().kvPages.used).toBe(0);
    // a prompt bigger than the whole budget fails at once
    await expect(s.submit({ prompt: Array.from({ length: 33 }, (_, j) => j), maxNewTokens: 2 }).result).rejects.toMatchObject({ code: 'engine/kv-full' });
    expect(s.stats()).toMatchObject({ running: 0, preempted: 0 });
  });

  it('cancelling a preempted request: it leaves with what it emitted, its pages stay free, the others run on', async () => {
    const model = small();
    const s = new Scheduler(model, { maxSeq: 64 });
    const reqs: GenerationRequest[] = [0, 1].map((i) => ({ prompt: long(i), maxNewTokens: 12, sampling: greedy }));
    const seq = model.createSequence(64); // the newer request continues a conversation of ours
    let b: ReturnType<Scheduler['submit']> | null = null;
    let cancelledAt = -1;
    const a = s.submit({
      ...reqs[0]!,
      onToken: () => {
        if (cancelledAt < 0 && s.stats().preempted === 1) {
          cancelledAt = s.stats().preemptions;
          b!.cancel();
        }
      },
    });
    b = s.submit({ ...reqs[1]!, seq });
    const rb = await b.result;
    expect(rb.finishReason).toBe('abort');
    expect(cancelledAt).toBe(1);
    expect(rb.tokens).toEqual((await alone(reqs[1]!)).tokens.slice(0, rb.tokens.length));
    expect(rb.tokens.length).toBeLessThan(12);
    // the conversation got its history back, as after a cancel at a step: the prompt and every token fed
    expect(seq.length).toBe(9 + rb.tokens.length - 1);
    expect(await a.result).toEqual(await alone(reqs[0]!));
    expect(s.stats()).toMatchObject({ preempted: 0, running: 0, preemptions: 1 });
    seq.dispose();
    expect(model.memory().kvPages.used).toBe(0);
  });
});
