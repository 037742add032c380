import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createPeftAdapter, writePeftAdapter } from '../../engine/lora/peft.ts';
import { randomAdapter, randomModel } from '../../engine/model/randomModel.ts';
import { listAdapters } from '../../store/adapters.ts';
import { BASE, FOLDER, makeEngine, ask } from './engine.testkit.ts';

describe('EngineService (CPU backend, generated demo folder)', () => {
  it('imports PEFT files, refuses malformed ones naming the file, exports the same bytes and merges', async () => {
    const { engine, db } = makeEngine();
    await engine.init({ appBaseUrl: BASE });
    await engine.ensureModel();
    const cfg = FOLDER.get('adapters/alpha/adapter_config.json')!;
    const w = FOLDER.get('adapters/alpha/adapter_model.safetensors')!;
    await expect(engine.importAdapterFiles([{ name: 'adapter_config.json', bytes: cfg }, { name: 'broken.safetensors', bytes: w.slice(0, 40) }])).rejects.toMatchObject({
      code: 'lora/weights',
      subject: 'broken.safetensors',
    });
    await expect(engine.importAdapterFiles([{ name: 'adapter_config.json', bytes: new TextEncoder().encode('{"r": "four"}') }, { name: 'adapter_model.safetensors', bytes: w }])).rejects.toMatchObject({
      code: 'lora/config',
      subject: 'adapter_config.json',
    });
    await expect(engine.importAdapterFiles([{ name: 'adapter_config.json', bytes: cfg }])).rejects.toMatchObject({ code: 'lora/weights' });
    // another base model's adapter
    const other = randomModel({ seed: 1, hiddenSize: 32, numHeads: 2, numKvHeads: 1 }).config;
    const foreign = writePeftAdapter(createPeftAdapter(randomAdapter({ ...other, numLayers: 2 }, { rank: 2 }), { ...other, numLayers: 2 }));
    await expect(
      engine.importAdapterFiles([
        { name: 'adapter_config.json', bytes: foreign['adapter_config.json'] },
        { name: 'adapter_model.safetensors', bytes: foreign['adapter_model.safetensors'] },
      ]),
    ).rejects.toMatchObject({ code: 'lora/mismatch', subject: 'adapter_model.safetensors' });

    const [alpha, beta] = await listAdapters(db);
    const exported = await engine.exportAdapter(alpha!.id);
    expect(exported.files['adapter_model.safetensors']).toEqual(w);
    await engine.removeAdapter(alpha!.id);
    const back = await engine.importAdapterFiles(
      [
        { name: 'my-adapter/adapter_config.json', bytes: exported.files['adapter_config.json'] },
        { name: 'my-adapter/adapter_model.safetensors', bytes: exported.files['adapter_model.safetensors'] },
      ],
      {},
    );
    expect(back.id).toBe(alpha!.id);
    expect(back.origin).toBe('files');

    const merged = await engine.mergeAdapters(
      [
        { id: alpha!.id, weight: 0.5 },
        { id: beta!.id, weight: 0.5 },
      ],
      { name: 'Alpha+Beta' },
    );
    expect(merged.rank).toBe(alpha!.rank + beta!.rank);
    expect(merged.datanets.sort()).toEqual(['dn-alpha', 'dn-beta']);
    expect(merged.origin).toBe('merge');
    const r = await engine.chat('m', ask, { maxTokens: 4, temperature: 0, adapterId: merged.id });
    expect(r.adapterName).toBe('Alpha+Beta');
  });
});
