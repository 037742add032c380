/**
 * Fixtures for ModelFactory's engine tests (Node and GPU): a tiny demo folder (byte-level tokenizer with ChatML, a
 * random 2-layer model), a Datanet of six accepted passages (plus a pending one and an empty Datanet), an engine over
 * them, and small training settings.
 */
import { sha256Hex } from '../../../core/hash.ts';
import { DEFAULT_TRAIN_SETTINGS, type TrainSettings } from '../../../core/trainSettings.ts';
import type { Address, Passage, Contribution, ContributionStatus, Datanet, Hex } from '../../../core/types.ts';
import { memoryByteCache } from '../../../engine/formats/byteCache.ts';
import { modelConfigToHfJson } from '../../../engine/formats/config.ts';
import { writeSafetensors } from '../../../engine/formats/safetensors.ts';
import { hfTensorsFromWeights } from '../../../engine/formats/weights.ts';
import { randomModel } from '../../../engine/model/randomModel.ts';
import { BYTE_TO_CHAR } from '../../../engine/tokenizer/byteLevel.ts';
import type { TributaryDB } from '../../../store/db.ts';
import type { GpuBackendHandle } from '../backendChoice.ts';
import { EngineService } from '../EngineService.ts';

const BASE = 'https://app.test/';
const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
export const ALICE = '0x00000000000000000000000000000000000A11CE' as Address;

/** A tiny demo folder: byte-level tokenizer with ChatML (or no chat template), a random 2-layer model, no adapters. */
function demoFolder(chatTemplate: boolean): Map<string, Uint8Array> {
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
  const { config, weights } = randomModel({ seed: 7, vocabSize: 259, hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, maxPositionEmbeddings: 256 });
  const files = new Map<string, Uint8Array>();
  files.set('config.json', enc(JSON.stringify(modelConfigToHfJson({ ...config, eosTokenIds: [258] }))));
  files.set('tokenizer.json', enc(JSON.stringify(tokenizer)));
  files.set('tokenizer_config.json', enc(JSON.stringify({ ...(chatTemplate ? { chat_template: CHATML } : {}), eos_token: '<|im_end|>', bos_token: null })));
  files.set('model.safetensors', writeSafetensors(hfTensorsFromWeights(config, weights, 'F32')));
  const manifest = {
    id: 'tributary-demo',
    name: 'Test demo model',
    generated: true,
    notice: 'Generated, not trained.',
    systemPrompt: null,
    files: [...files.keys()].map((path) => ({ path, size: files.get(path)!.length, sha256: sha256Hex(files.get(path)!).slice(2) })),
    adapters: [],
  };
  files.set('demo.json', enc(JSON.stringify(manifest)));
  return files;
}

const FOLDER = demoFolder(true);
let noTemplateFolder: Map<string, Uint8Array> | null = null;
const hex = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;

const TEXTS = [
  'Knead the dough ten minutes.',
  'Let it rise until doubled.',
  'Bake at two hundred degrees.',
  'Cool the loaf on a rack.',
  'Feed the starter each day.',
  'Salt slows the yeast down.',
];

export async function seedData(db: TributaryDB): Promise<void> {
  const dn = (id: string, name: string, currentVersion: number): Datanet => ({
    id,
    name,
    summary: '',
    descriptionMd: '',
    tags: [],
    dataType: 'text',
    licence: 'CC-BY-4.0',
    owner: ALICE,
    rewardPolicy: { contributorsBps: 10_000, ownerBps: 0 },
    moderation: 'quorum',
    chunking: { unit: 'chars', size: 400, overlap: 0 },
    createdAt: 1,
    currentVersion,
    origin: { kind: 'local' },
  });
  const contribution = (n: number, datanetId: string, status: ContributionStatus): Contribution => ({
    id: hex(n),
    datanetId,
    contributor: ALICE,
    title: `Bread ${n}`,
    mediaType: 'text/plain',
    textHash: hex(1000 + n),
    chunksHash: hex(2000 + n),
    chunkCount: 1,
    createdAt: n,
    signature: '0x',
    sourceBytes: 10,
    status,
    minhash: [],
  });
  const chunk = (n: number, datanetId: string, text: string): Passage => ({ hash: hex(3000 + n), dedupeHash: hex(4000 + n), contributionId: hex(n), datanetId, index: 0, text, start: 0, end: text.length });
  await db.datanets.bulkAdd([dn('dn-bread', 'Bread', 1), dn('dn-empty', 'Empty', 0)]);
  await db.contributions.bulkAdd([...TEXTS.map((_, i) => contribution(i + 1, 'dn-bread', 'accepted')), contribution(50, 'dn-bread', 'pending'), contribution(60, 'dn-empty', 'pending')]);
  await db.chunks.bulkAdd([...TEXTS.map((t, i) => chunk(i + 1, 'dn-bread', t)), chunk(50, 'dn-bread', 'A pending passage never trains.'), chunk(60, 'dn-empty', 'Nor this one.')]);
  await db.versions.add({ datanetId: 'dn-bread', version: 1, merkleRoot: hex(9), contributionIds: TEXTS.map((_, i) => hex(i + 1)), addedIds: [], createdAt: 1 });
}

/** An engine over the tiny demo folder; `chatTemplate: false` serves it without a chat template. */
export function makeEngine(db: TributaryDB, webgpu?: () => Promise<GpuBackendHandle>, o: { chatTemplate?: boolean } = {}): EngineService {
  const folder = o.chatTemplate === false ? (noTemplateFolder ??= demoFolder(false)) : FOLDER;
  const fakeFetch = async (url: string): Promise<Response> => {
    const path = url.startsWith(BASE + 'models/tributary-demo/') ? url.slice((BASE + 'models/tributary-demo/').length).replace(/\?.*$/, '') : null;
    const bytes = path !== null ? folder.get(path) : undefined;
    if (!bytes) return new Response('not found', { status: 404 });
    return new Response(bytes.slice(), { status: 200, headers: { 'content-length': String(bytes.length) } });
  };
  let t = 1_000;
  const engine = new EngineService({ db, now: () => ++t, fetch: fakeFetch, cache: memoryByteCache(), ...(webgpu ? { webgpu } : {}) });
  void engine.init({ appBaseUrl: BASE });
  return engine;
}

export const SETTINGS: TrainSettings = { ...DEFAULT_TRAIN_SETTINGS, rank: 4, alpha: 8, dropout: 0, targets: ['q', 'v', 'o'], learningRate: 1e-2, epochs: 3, batchSize: 2, seqLen: 96, warmupSteps: 1, seed: 3, heldOutFraction: 0.2, priorPrompts: 0 };
export const REQ = { datanetIds: ['dn-bread'], settings: SETTINGS, name: 'Bread adapter', owner: ALICE, pricePerAnswer: 10n ** 15n };

