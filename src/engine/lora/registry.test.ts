import { describe, expect, it } from 'vitest';
import { randomAdapter, randomConfig } from '../model/randomModel.ts';
import { createPeftAdapter, type PeftAdapter } from './peft.ts';
import { AdapterRegistry, MemoryAdapterStore, type AdapterStore } from './registry.ts';

const config = randomConfig();
const ALICE = '0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' as const;
const mk = (seed: number, info: Parameters<typeof createPeftAdapter>[2] = {}): PeftAdapter =>
  createPeftAdapter(randomAdapter(config, { seed, rank: 2, targets: ['q'] }), config, { name: `a${seed}`, ...info });

describe('AdapterRegistry', () => {
  it('keeps metadata in memory, writes to a writable store, filters, and opens from a store', async () => {
    const store = new MemoryAdapterStore();
    const r = new AdapterRegistry(store, config);
    const a = mk(1, { owner: ALICE, datanets: ['dn-law'], baseModel: 'smol' });
    const b = mk(2, { datanets: ['dn-med', 'dn-law'] });
    expect(await r.add(a)).toBe(a.meta);
    await r.add(b);
    await r.add(a); // same id: no-op
    expect(r.size).toBe(2);
    expect(r.meta(a.meta.id).name).toBe('a1');
    expect(r.list({ datanet: 'dn-law' }).map((m) => m.name)).toEqual(['a1', 'a2']);
    expect(r.list({ owner: ALICE.toUpperCase().replace('0X', '0x') }).map((m) => m.name)).toEqual(['a1']);
    expect(r.list({ baseModel: 'smol' }).length).toBe(1);
    expect((await r.load(b.meta.id)).weights).toBe(b.weights);
    expect(r.loads).toBe(1);
    const again = await AdapterRegistry.open(store);
    expect(again.list().map((m) => m.id).sort()).toEqual([a.meta.id, b.meta.id].sort());
    await r.remove(a.meta.id);
    expect((await store.list()).length).toBe(1);
    await expect(r.remove(a.meta.id)).rejects.toMatchObject({ code: 'lora/not-found' });
    expect(() => r.meta(a.meta.id)).toThrow(/No adapter with id/);
  });

  it('refuses adapters of another base model and a store that returns the wrong adapter', async () => {
    const r = new AdapterRegistry(new MemoryAdapterStore(), randomConfig({ numLayers: 3 }));
    await expect(r.add(mk(3))).rejects.toMatchObject({ code: 'lora/mismatch' });
    const a = mk(4);
    const b = mk(5);
    const liar: AdapterStore = { get: () => Promise.resolve(b), list: () => Promise.resolve([a.meta]) };
    const r2 = await AdapterRegistry.open(liar);
    await expect(r2.load(a.meta.id)).rejects.toMatchObject({ code: 'storage/failed' });
    // a read-only store: add only indexes
    await r2.add(b);
    expect(r2.size).toBe(2);
  });
});
