/** The engine service's tests share this: a small generated demo folder served by a fake fetch, and an engine over it. */
import 'fake-indexeddb/auto';
import { sha256Hex } from '../../core/hash.ts';
import { modelConfigToHfJson } from '../../engine/formats/config.ts';
import { memoryByteCache } from '../../engine/formats/byteCache.ts';
import { writeSafetensors } from '../../engine/formats/safetensors.ts';
import { hfTensorsFromWeights } from '../../engine/formats/weights.ts';
import { createPeftAdapter, writePeftAdapter } from '../../engine/lora/peft.ts';
import { randomAdapter, randomModel } from '../../engine/model/randomModel.ts';
import { BYTE_TO_CHAR } from '../../engine/tokenizer/byteLevel.ts';
import { TributaryDB } from '../../store/db.ts';
import { EngineService } from './EngineService.ts';
import type { GpuBackendHandle } from './backendChoice.ts';

export const BASE = 'https://app.test/';
export const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** A demo folder in the layout scripts/train-demo.ts writes, small: a byte-level tokenizer without merges and a random model. */
export function demoFolder(): Map<string, Uint8Array> {
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

export const FOLDER = demoFolder();

export function makeEngine(opts: { webgpu?: () => Promise<GpuBackendHandle>; folder?: Map<string, Uint8Array> } = {}) {
  const folder = opts.folder ?? FOLDER;
  const db = new TributaryDB(`engine-test-${crypto.randomUUID()}`);
  const requests: string[] = [];
  const fakeFetch = async (url: string): Promise<Response> => {
    requests.push(url);
    const path = url.startsWith(BASE + 'models/tributary-demo/') ? url.slice((BASE + 'models/tributary-demo/').length).replace(/\?.*$/, '') : null;
    const bytes = path !== null ? folder.get(path) : undefined;
    if (!bytes) return new Response('not found', { status: 404 });
    return new Response(bytes.slice(), { status: 200, headers: { 'content-length': String(bytes.length) } });
  };
  let t = 1_000;
  const engine = new EngineService({ db, now: () => ++t, fetch: fakeFetch, cache: memoryByteCache(), ...(opts.webgpu ? { webgpu: opts.webgpu } : {}) });
  return { engine, db, requests };
}

export const ask = [{ role: 'user' as const, content: 'How do I proof dough?' }];
