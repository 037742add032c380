import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { listAdapters } from '../../store/adapters.ts';
import { BASE, makeEngine, ask } from './engine.testkit.ts';

describe('EngineService (CPU backend, generated demo folder)', () => {
  it('keeps answers right under a tiny adapter budget (eviction), and reports the pool', async () => {
    const { engine, db } = makeEngine();
    await engine.init({ appBaseUrl: BASE });
    await engine.ensureModel();
    const ids = (await listAdapters(db)).map((a) => a.id);
    const before = [];
    for (const id of ids) before.push((await engine.chat(`x-${id}`, ask, { maxTokens: 6, temperature: 0, adapterId: id })).text);
    const first = await engine.stats();
    expect(first.model!.maxAdapterRank).toBe(32);
    // one rank-8 slot (a slot's bytes grow with its rank)
    const stats = await engine.setPrefs({ adapterBudgetBytes: first.pool!.slotBytes / 4 });
    expect(stats.pool!.capacity).toBe(1);
    expect(stats.model!.maxAdapterRank).toBe(8);
    const after = [];
    for (const id of ids) after.push((await engine.chat(`y-${id}`, ask, { maxTokens: 6, temperature: 0, adapterId: id })).text);
    expect(after).toEqual(before);
    const s = await engine.stats();
    expect(s.pool!.evictions).toBeGreaterThanOrEqual(ids.length - 1);
    expect(s.pool!.resident).toBe(1);
    // with so small a budget the slots hold rank 8 at most: a rank-12 merge is refused with what to do
    const [, beta, gamma] = await listAdapters(db);
    const big = await engine.mergeAdapters(
      [
        { id: beta!.id, weight: 1 },
        { id: gamma!.id, weight: 1 },
      ],
      { name: 'Big' },
    );
    expect(big.rank).toBe(12);
    await expect(engine.chat('big', ask, { maxTokens: 2, adapterId: big.id })).rejects.toMatchObject({ code: 'engine/lora-slot', message: expect.stringMatching(/Raise the budget/) });
    // int4 on load: less memory
    const q4 = await engine.setPrefs({ quant: 'q4' });
    expect(q4.model!.quant).toBe('q4');
    expect(q4.model!.memory.weights).toBeLessThan(stats.model!.memory.weights);
    // f16 on the CPU backend: accepted, stored as f32, and the memory report says so
    const f16 = await engine.setPrefs({ quant: 'f16' });
    expect(f16.model!.quant).toBe('f16');
    expect(Object.keys(f16.model!.memory.byFormat)).toEqual(['f32']);
    expect(f16.model!.memory.weights).toBe(f16.model!.memory.weightsF32);
    expect(f16.model!.memory.keptF32).toEqual([]);
    await expect(engine.setPrefs({ quant: 'f8' as 'f16' })).rejects.toMatchObject({ code: 'engine/bad-config', message: expect.stringMatching(/Unknown weight format f8/) });
  });
});
