import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../cpu/cpuBackend.ts';
import { createModel } from '../model/llama.ts';
import { loraTargetDims } from '../model/loraTargetDims.ts';
import { randomAdapter, randomModel } from '../model/randomModel.ts';
import type { LoraAdapterWeights } from '../model/types.ts';
import { createPeftAdapter, type PeftAdapter } from './peft.ts';
import { AdapterPool, backendSlotTarget, loraSlotBytes, modelSlotTarget, slotsForBudget, type SlotTarget } from './pool.ts';
import { AdapterRegistry, MemoryAdapterStore } from './registry.ts';

const { config, weights } = randomModel({ seed: 4 });

function adapters(n: number, o: { rank?: number; seed?: number; targets?: readonly ('q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down')[] } = {}): PeftAdapter[] {
  return Array.from({ length: n }, (_, i) =>
    createPeftAdapter(randomAdapter(config, { seed: (o.seed ?? 100) + i, rank: o.rank ?? 4, ...(o.targets ? { targets: o.targets } : {}) }), config, { name: `a${i}` }),
  );
}

/** A slot target that records writes. */
function spyTarget(nSlots: number, maxRank = 8): SlotTarget & { writes: [number, LoraAdapterWeights | null][] } {
  const writes: [number, LoraAdapterWeights | null][] = [];
  return { nSlots, maxRank, slotBytes: 1000, writes, write: (s, w) => void writes.push([s, w]) };
}

async function setup(n: number, slots: number, budgetBytes?: number) {
  const list = adapters(n, { rank: 2, targets: ['q'] });
  const store = new MemoryAdapterStore();
  const registry = new AdapterRegistry(store, config);
  for (const a of list) await registry.add(a);
  const target = spyTarget(slots);
  const pool = new AdapterPool(registry, target, budgetBytes === undefined ? {} : { budgetBytes });
  return { ids: list.map((a) => a.meta.id), store, registry, target, pool, list };
}

describe('AdapterPool', () => {
  it('loads just in time, hits resident adapters without uploading, evicts the least recently used', async () => {
    const { ids, store, target, pool } = await setup(5, 2);
    const [a, b, c] = ids as [string, string, string];
    expect((await pool.acquire([a])).get(a)).toBe(0);
    pool.release([a]);
    expect(target.writes.length).toBe(1);
    expect((await pool.acquire([a, a])).get(a)).toBe(0);
    pool.release([a, a]);
    expect(target.writes.length).toBe(1); // hit: nothing uploaded
    expect((await pool.acquire([b])).get(b)).toBe(1);
    pool.release([b]);
    await pool.acquire([a]); // a becomes most recent
    pool.release([a]);
    expect((await pool.acquire([c])).get(c)).toBe(1); // evicts b, the least recently used
    pool.release([c]);
    expect(pool.residentIds()).toEqual([a, c]);
    expect(pool.isResident(b)).toBe(false);
    // b was loaded and then evicted; the others of the five were never loaded: only b counts as evicted
    expect(pool.evictedIds()).toEqual([b]);
    expect(pool.loadingIds()).toEqual([]);
    expect(pool.slotOf(c)).toBe(1);
    expect(pool.stats()).toMatchObject({ capacity: 2, resident: 2, pinned: 0, hits: 2, misses: 3, evictions: 1, slotBytes: 1000, residentBytes: 2000 });
    expect(store.gets).toBe(3);
    // loading b again takes it off the evicted list (and evicts a, the least recently used now)
    const loading = pool.acquire([b]);
    expect(pool.loadingIds()).toEqual([b]);
    await loading;
    pool.release([b]);
    expect(pool.evictedIds()).toEqual([a]);
    expect(pool.loadingIds()).toEqual([]);
  });

  it('never evicts a pinned adapter; refuses batches that need more slots than exist, leaving nothing pinned', async () => {
    const { ids, pool } = await setup(5, 2);
    const [a, b, c, d] = ids as [string, string, string, string];
    await pool.acquire([a, b]);
    await expect(pool.acquire([c])).rejects.toMatchObject({ code: 'lora/pool-full', message: expect.stringMatching(/All 2 adapter slots are in use/) });
    await expect(pool.acquire([a, c, d])).rejects.toMatchObject({ code: 'lora/pool-full', message: expect.stringMatching(/needs 3 different adapters/) });
    expect(pool.stats()).toMatchObject({ pinned: 2, resident: 2 });
    // a failed batch un-pins what it pinned: b is pinned twice only if the failing acquire kept its pin
    await expect(pool.acquire([b, c])).rejects.toMatchObject({ code: 'lora/pool-full' });
    pool.release([b]);
    expect((await pool.acquire([c])).get(c)).toBe(1); // b (unpinned) is evicted, a (pinned) stays
    expect(pool.isResident(a)).toBe(true);
    expect(() => pool.release([d])).toThrow(/not pinned/);
    pool.release([a]);
    pool.release([c]);
    expect(pool.stats().pinned).toBe(0);
  });

  it('shares one load between concurrent acquires, frees the slot of a failed load, refuses too-large ranks before evicting', async () => {
    const { ids, store, pool, registry, target } = await setup(3, 2);
    const [a, b] = ids as [string, string];
    const [m1, m2] = await Promise.all([pool.acquire([a]), pool.acquire([a])]);
    expect(m1.get(a)).toBe(m2.get(a));
    expect(store.gets).toBe(1);
    pool.release([a]);
    pool.release([a]);
    // the store loses b: the load fails, the error reaches the caller, a's pin from the same batch is undone
    await store.delete(b);
    await expect(pool.acquire([a, b])).rejects.toMatchObject({ code: 'lora/not-found' });
    expect(pool.stats()).toMatchObject({ pinned: 0, resident: 1, loading: 0 });
    // unknown ids fail before anything happens
    await expect(pool.acquire(['0xnope'])).rejects.toMatchObject({ code: 'lora/not-found' });
    // rank above maxRank
    const big = createPeftAdapter(randomAdapter(config, { seed: 1, rank: 16, targets: ['q'] }), config, { name: 'big' });
    await registry.add(big);
    const before = target.writes.length;
    await expect(pool.acquire([big.meta.id])).rejects.toMatchObject({ code: 'engine/lora-slot', message: expect.stringMatching(/rank 16.*maximum 8/) });
    expect(target.writes.length).toBe(before);
    expect(pool.stats().evictions).toBe(0);
  });

  it('honours the byte budget and drops uninstalled adapters (not while in use)', async () => {
    const { ids, pool: _p, registry } = await setup(3, 4, 2500);
    expect(_p.capacity).toBe(2);
    expect(_p.stats().budgetBytes).toBe(2500);
    expect(() => new AdapterPool(registry, spyTarget(4), { budgetBytes: 999 })).toThrow(/holds no adapter slot/);
    const [a] = ids as [string];
    await _p.acquire([a]);
    await expect(registry.remove(a)).rejects.toMatchObject({ code: 'lora/in-use' });
    _p.release([a]);
    await registry.remove(a);
    expect(_p.isResident(a)).toBe(false);
    expect(registry.has(a)).toBe(false);
    await expect(_p.acquire([a])).rejects.toMatchObject({ code: 'lora/not-found' });
  });

  it('eviction under a tiny budget (2 slots, 5 adapters in turn) keeps outputs right', async () => {
    const list = adapters(5, { rank: 4 });
    const registry = new AdapterRegistry(new MemoryAdapterStore(), config);
    for (const a of list) await registry.add(a);
    // the model reserves 4 slots, the budget allows 2
    const model = createModel(createCpuBackend(), config, weights, { lora: { slots: 4, maxRank: 8 } });
    const target = modelSlotTarget(model, { maxRank: 8 });
    const pool = new AdapterPool(registry, target, { budgetBytes: 2 * target.slotBytes });
    expect(pool.capacity).toBe(2);
    // reference: each adapter alone in its own model
    const prompt = [11, 22, 33, 44];
    const want = await Promise.all(
      list.map(async (a) => {
        const m = createModel(createCpuBackend(), config, weights, { lora: { slots: 1, maxRank: 8 } });
        m.setLoraSlot(0, a.weights);
        return m.prefill(prompt, m.createSequence(16), { adapterSlot: 0, allLogits: true });
      }),
    );
    const order = [0, 1, 2, 3, 4, 0, 3, 3, 1, 4, 2, 0];
    for (const i of order) {
      const id = list[i]!.meta.id;
      const slot = (await pool.acquire([id])).get(id)!;
      expect(slot).toBeLessThan(2);
      const got = await model.prefill(prompt, model.createSequence(16), { adapterSlot: slot, allLogits: true });
      expect(got).toEqual(want[i]);
      pool.release([id]);
    }
    // two adapters in one batch, both resident at once
    const ids = [list[1]!.meta.id, list[2]!.meta.id];
    const slots = await pool.acquire(ids);
    const out = await model.forward(ids.map((id) => ({ seq: model.createSequence(16), tokens: prompt, adapterSlot: slots.get(id)! })), { allLogits: true });
    // a batch may sum in another order than a single row (tiled vs row-streaming matmul): the model's batch tolerance
    const maxDiff = (x: Float32Array, y: Float32Array): number => x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);
    expect(maxDiff(out[0]!, want[1]!)).toBeLessThanOrEqual(1e-4);
    expect(maxDiff(out[1]!, want[2]!)).toBeLessThanOrEqual(1e-4);
    pool.release(ids);
    expect(pool.stats()).toMatchObject({ resident: 2, evictions: expect.any(Number) });
    expect(pool.stats().evictions).toBeGreaterThanOrEqual(8);
    expect(pool.stats().slotBytes).toBe(loraSlotBytes(config, 8));
    expect(slotsForBudget(config, 8, 2 * target.slotBytes + 1)).toBe(2);
    expect(() => modelSlotTarget(model, { maxRank: 4 })).toThrow(/maxRank and targets/);
  });

  it('backendSlotTarget writes one LoraPool per layer and module; rank < maxRank gives the exact rank-r result', async () => {
    const backend = createCpuBackend();
    const target = backendSlotTarget(backend, config, { slots: 2, maxRank: 8, targets: ['q', 'down'] });
    expect(target.pools.length).toBe(config.numLayers);
    expect(target.slotBytes).toBe(loraSlotBytes(config, 8, ['q', 'down']));
    expect(backend.memory().lora).toBe(2 * target.slotBytes);
    const [a] = adapters(1, { rank: 3, targets: ['q'] });
    const registry = new AdapterRegistry(new MemoryAdapterStore([a!]), config, [a!.meta]);
    const pool = new AdapterPool(registry, target);
    const slot = (await pool.acquire([a!.meta.id])).get(a!.meta.id)!;
    const { inDim, outDim } = loraTargetDims(config, 'q');
    const x = Float32Array.from({ length: 2 * inDim }, (_, i) => Math.sin(i));
    const out = backend.alloc([2, outDim]);
    backend.loraApply(backend.upload(x, [2, inDim]), 2, target.pools[1]!.q!, Int32Array.of(slot, -1), out);
    const got = await backend.read(out);
    const m = a!.weights.layers[1]!.q!;
    for (let o = 0; o < outDim; o++) {
      let s = 0;
      for (let j = 0; j < 3; j++) {
        let h = 0;
        for (let k = 0; k < inDim; k++) h += m.A[j * inDim + k]! * x[k]!;
        s += m.B[o * 3 + j]! * h;
      }
      expect(got[o]).toBeCloseTo(a!.weights.scale! * s, 5);
      expect(got[outDim + o]).toBe(0);
    }
    // a module the slots do not cover is refused
    const [bad] = adapters(1, { targets: ['k'] });
    await registry.add(bad!);
    await expect(pool.acquire([bad!.meta.id])).rejects.toThrow(/slots cover only q, down/);
    target.dispose();
    expect(backend.memory().lora).toBe(0);
  });

  it('switching to a resident adapter with 1,000 registered is O(1): p50 < 5 ms (CPU)', async () => {
    const n = 1000;
    const list = adapters(n, { rank: 2, targets: ['q', 'v'] });
    const store = new MemoryAdapterStore();
    const registry = new AdapterRegistry(store, config);
    for (const a of list) await registry.add(a);
    expect(registry.size).toBe(n);
    const model = createModel(createCpuBackend(), config, weights, { lora: { slots: 8, maxRank: 4, targets: ['q', 'v'] } });
    const pool = new AdapterPool(registry, modelSlotTarget(model, { maxRank: 4, targets: ['q', 'v'] }));
    const ids = list.map((a) => a.meta.id);
    const hot = ids.slice(0, 8);
    for (const id of hot) pool.release((await pool.acquire([id])).keys());
    const pct = (xs: number[], p: number): number => [...xs].sort((x, y) => x - y)[Math.floor(p * (xs.length - 1))]!;
    const hit: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const id = hot[(i * 7) % 8]!;
      const t0 = performance.now();
      const m = await pool.acquire([id]);
      hit.push(performance.now() - t0);
      pool.release(m.keys());
    }
    const miss: number[] = [];
    for (let i = 0; i < 200; i++) {
      const id = ids[8 + ((i * 37) % (n - 8))]!;
      const t0 = performance.now();
      const m = await pool.acquire([id]);
      miss.push(performance.now() - t0);
      pool.release(m.keys());
    }
    const s = pool.stats();
    if (process.env['POOL_VERBOSE']) console.log(`resident switch p50 ${pct(hit, 0.5).toFixed(4)} ms p99 ${pct(hit, 0.99).toFixed(4)} ms; miss (one upload) p50 ${pct(miss, 0.5).toFixed(4)} ms`, s);
    expect(pct(hit, 0.5)).toBeLessThan(5);
    expect(s.misses).toBe(8 + 200);
    expect(store.gets).toBe(s.misses);
    expect(s.resident).toBe(8);
  });
});
