/**
 * The optional ONNX sentence encoder in Node, on the project's own tiny encoder (nothing downloaded): its vectors
 * against an independent f64 CPU computation of the same graph, the graph's own in-graph mean pooling, the index it
 * makes (encoder recorded, refused for another encoder), and clear typed errors for missing, bad and mismatched files.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { isTributaryError } from '../../core/errors.ts';
import type { Address, Hex } from '../../core/types.ts';
import { loadTokenizer, type Tokenizer } from '../../engine/tokenizer/index.ts';
import { configureOrtForNode } from '../../node/engine/reference/ortReference.ts';
import { loadOnnxEncoderNode } from '../../node/attribution/onnxEncoderNode.ts';
import { buildTinyEncoderOnnx, tinyEncoderFolder, tinyEncoderWeights, type TinyEncoderWeights } from '../../node/attribution/tinySentenceEncoder.ts';
import { BERT_TOKENIZER_JSON, BERT_VOCAB } from '../../engine/tokenizer/bertTokenizer.testkit.ts';
import { attributeAnswer } from '../attribute.ts';
import { buildDatanetIndex, corpusOf, type DatanetSource } from '../datanetIndex.ts';
import type { PassageEncoder } from '../encoder.ts';
import { decodeEmbeddingIndex, encodeEmbeddingIndex } from '../indexFiles.ts';
import { readEncoderFolder } from './encoderFolder.ts';
import type { OnnxPassageEncoder } from './onnxEncoder.ts';

const TOKENIZER = readFileSync('public/models/tributary-demo/tokenizer.json', 'utf8');
/** the stated tolerance: ORT's f32 graph against an f64 computation of the same weights */
const TOLERANCE = 2e-6;

const tokenizer: Tokenizer = loadTokenizer(TOKENIZER);
const tiny = tinyEncoderFolder(TOKENIZER, tokenizer.vocabSize, { maxLength: 12 });
let encoder: OnnxPassageEncoder;

const read = (files: Map<string, Uint8Array>) => async (path: string) => files.get(path) ?? null;

/** Independent reference: tokens → Gather → tanh(e·W + b) → mean → L2, all in f64. */
function referenceVector(w: TinyEncoderWeights, ids: number[]): Float64Array {
  const H = w.hidden;
  const acc = new Float64Array(H);
  for (const id of ids) {
    for (let j = 0; j < H; j++) {
      let s = w.b[j]!;
      for (let k = 0; k < H; k++) s += w.embed[id * H + k]! * w.w[k * H + j]!;
      acc[j]! += Math.tanh(s);
    }
  }
  let n = 0;
  for (let j = 0; j < H; j++) {
    acc[j]! /= ids.length;
    n += acc[j]! * acc[j]!;
  }
  return acc.map((x) => x / Math.sqrt(n));
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isTributaryError(e)) return e.code;
    throw e;
  }
  return 'no error';
}

const TEXTS = ['Sourdough starter needs daily feeding with equal flour and water.', 'A strong password is long and unique for every site.', 'Compost needs greens, browns, air and water.', 'x'];

beforeAll(async () => {
  encoder = await loadOnnxEncoderNode(await readEncoderFolder(read(tiny.files), 'tiny'));
}, 60_000);

describe('the ONNX sentence encoder (tiny graph, onnxruntime-web in Node)', () => {
  it(`equals an independent f64 CPU computation of the same graph within ${TOLERANCE}`, async () => {
    expect(encoder.ref).toMatchObject({ id: 'onnx:tributary-tiny-encoder#mean-norm@12', dims: 32 });
    const got = await encoder.embed(TEXTS);
    for (const [i, t] of TEXTS.entries()) {
      const ids = tokenizer.encode(t, { addSpecialTokens: true, splitSpecialTokens: true }).slice(0, 12);
      expect(ids.length).toBeGreaterThan(0);
      const want = referenceVector(tiny.weights, ids);
      expect(got[i]).toHaveLength(32);
      expect(maxAbsDiff(got[i]!, want)).toBeLessThan(TOLERANCE);
    }
    // the first text is longer than maxLength: it was cut, not refused
    expect(tokenizer.encode(TEXTS[0]!).length).toBeGreaterThan(12);
  });

  it("pooling in JS matches the graph's own masked mean pooling (sentence_embedding), and a padded batch row", async () => {
    configureOrtForNode();
    const session = await ort.InferenceSession.create(tiny.files.get('model.onnx')!);
    const short = ['A long unique password.', 'Compost needs air.'];
    const a = tokenizer.encode(short[0]!);
    const b = tokenizer.encode(short[1]!);
    expect(a.length).not.toBe(b.length);
    expect(Math.max(a.length, b.length)).toBeLessThanOrEqual(12);
    const T = Math.max(a.length, b.length);
    const pad = (x: number[]): number[] => [...x, ...new Array<number>(T - x.length).fill(0)];
    const mask = (x: number[]): number[] => [...x.map(() => 1), ...new Array<number>(T - x.length).fill(0)];
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from([...pad(a), ...pad(b)], BigInt), [2, T]),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from([...mask(a), ...mask(b)], BigInt), [2, T]),
    });
    const pooled = out['sentence_embedding']!.data as Float32Array;
    const [va, vb] = await encoder.embed(short);
    for (const [row, v] of [va!, vb!].entries()) {
      const g = pooled.subarray(row * 32, row * 32 + 32);
      const n = Math.hypot(...g);
      expect(maxAbsDiff(Array.from(g, (x) => x / n), v)).toBeLessThan(TOLERANCE);
    }
    await session.release();
  });

  it('gives the same vectors for the same text however it is batched, and a different seed gives another encoder', async () => {
    const [one] = await encoder.embed([TEXTS[2]!]);
    const all = await encoder.embed(TEXTS);
    expect(Array.from(all[2]!)).toEqual(Array.from(one!));
    const other = tinyEncoderFolder(TOKENIZER, tokenizer.vocabSize, { maxLength: 12, seed: 13 });
    const enc2 = await loadOnnxEncoderNode(await readEncoderFolder(read(other.files), 'tiny'));
    expect(enc2.ref.id).toBe(encoder.ref.id);
    expect(enc2.ref.hash).not.toBe(encoder.ref.hash);
    await enc2.release();
  });
});

describe('an index made by the ONNX encoder', () => {
  const src: DatanetSource = {
    datanetId: 'dn-onnx',
    version: 1,
    merkleRoot: `0x${'ab'.repeat(32)}` as Hex,
    contributions: TEXTS.slice(0, 3).map((_, i) => ({ id: `0x${String(i + 1).padStart(64, '0')}` as Hex, contributor: `0x${String(i + 1).padStart(40, '0')}` as Address })),
    passages: TEXTS.slice(0, 3).map((text, i) => ({ contributionId: `0x${String(i + 1).padStart(64, '0')}` as Hex, index: 0, text })),
  };

  it('records the encoder (id + content hash), keeps it through its file, ranks the right passage, and is refused to another encoder', async () => {
    const index = await buildDatanetIndex(src, { encoder });
    expect(index.embeddings!.encoder).toEqual(encoder.ref);
    expect(index.embeddings!.vectors.data.length).toBe(3 * 32);
    const bytes = encodeEmbeddingIndex(src, index.corpus, index.embeddings!);
    expect(decodeEmbeddingIndex(bytes, src, corpusOf(src)).encoder).toEqual(encoder.ref);

    const model = { id: 'm', hash: `0x${'00'.repeat(32)}` as Hex };
    const r = await attributeAnswer({ prompt: 'how to compost?', answer: 'Compost needs greens, browns, air and water.', model, adapter: null, indexes: [index], encoder });
    expect(r.rankings.embedding[0]!.contributionId).toBe(src.contributions[2]!.id);
    expect(r.record.methods.find((m) => m.method === 'embedding')!.params).toContain(encoder.ref.hash);

    const other = tinyEncoderFolder(TOKENIZER, tokenizer.vocabSize, { maxLength: 12, seed: 99 });
    const stranger = await loadOnnxEncoderNode(await readEncoderFolder(read(other.files), 'tiny'));
    const modelEncoder: PassageEncoder = { ref: { id: 'tributary-demo#mean-hidden@128', hash: model.hash, dims: 32 }, embed: async (t) => t.map(() => new Float32Array(32).fill(1)) };
    for (const wrong of [stranger, modelEncoder]) {
      await expect(attributeAnswer({ prompt: 'q', answer: 'Compost needs air.', model, adapter: null, indexes: [index], encoder: wrong })).rejects.toMatchObject({ code: 'attribution/encoder-mismatch' });
    }
    await stranger.release();
  });
});

describe('a missing, bad or mismatched encoder file is a clear typed error', () => {
  const withFiles = (patch: Record<string, Uint8Array | null>): Map<string, Uint8Array> => {
    const m = new Map(tiny.files);
    for (const [k, v] of Object.entries(patch)) {
      if (v) m.set(k, v);
      else m.delete(k);
    }
    return m;
  };
  const config = (patch: object): Uint8Array => new TextEncoder().encode(JSON.stringify({ ...tiny.config, ...patch }));
  const load = async (files: Map<string, Uint8Array>) => (await loadOnnxEncoderNode(await readEncoderFolder(read(files), 'tiny'))).embed(['a test text']);

  it.each([
    ['no encoder.json (nor a sentence-transformers layout)', { 'encoder.json': null }, 'encoder/missing-file'],
    ['no model', { 'model.onnx': null }, 'encoder/missing-file'],
    ['no tokenizer', { 'tokenizer.json': null }, 'encoder/missing-file'],
    ['a config that is not JSON', { 'encoder.json': new TextEncoder().encode('{nope') }, 'encoder/bad-file'],
    ['a config with cls+max pooling', { 'encoder.json': config({ pooling: 'max' }) }, 'encoder/bad-file'],
    ['a config escaping its folder', { 'encoder.json': config({ model: '../secret.onnx' }) }, 'encoder/bad-file'],
    ['a model that is not ONNX', { 'model.onnx': new TextEncoder().encode('this is not an onnx protobuf at all') }, 'encoder/bad-file'],
    ['a tokenizer that is not a tokenizer', { 'tokenizer.json': new TextEncoder().encode('{"model": 3}') }, 'tokenizer/invalid'],
    ['the wrong dimension', { 'encoder.json': config({ dimension: 384 }) }, 'encoder/mismatch'],
    ['an output the graph lacks', { 'encoder.json': config({ output: 'pooler_output' }) }, 'encoder/mismatch'],
  ] as const)('%s', async (_what, patch, code) => {
    expect(await codeOf(load(withFiles(patch)))).toBe(code);
  });

  it('a tokenizer whose ids run past the model’s vocabulary', async () => {
    const small = tinyEncoderFolder(TOKENIZER, 64, { maxLength: 12 });
    const files = withFiles({ 'model.onnx': small.files.get('model.onnx')! });
    expect(await codeOf(load(files))).toBe('encoder/mismatch');
  });

  it('reads a sentence-transformers folder (1_Pooling/config.json, onnx/model.onnx) without encoder.json', async () => {
    const st = new Map<string, Uint8Array>([
      ['1_Pooling/config.json', new TextEncoder().encode(JSON.stringify({ word_embedding_dimension: 32, pooling_mode_cls_token: false, pooling_mode_mean_tokens: true }))],
      ['sentence_bert_config.json', new TextEncoder().encode(JSON.stringify({ max_seq_length: 12, do_lower_case: false }))],
      ['modules.json', new TextEncoder().encode(JSON.stringify([{ type: 'sentence_transformers.models.Transformer' }, { type: 'sentence_transformers.models.Pooling' }, { type: 'sentence_transformers.models.Normalize' }]))],
      ['tokenizer.json', tiny.files.get('tokenizer.json')!],
      ['onnx/model.onnx', tiny.files.get('model.onnx')!],
    ]);
    const files = await readEncoderFolder(read(st), 'tributary-tiny-encoder');
    expect(files.config).toMatchObject({ pooling: 'mean', normalize: true, dimension: 32, maxLength: 12, model: 'onnx/model.onnx' });
    const enc = await loadOnnxEncoderNode(files);
    expect(enc.ref).toEqual(encoder.ref);
    await enc.release();
  });
});

describe('a BERT-shaped encoder: WordPiece tokenizer, token_type_ids, CLS pooling', () => {
  it('feeds [CLS] … [SEP] with token types and pools the [CLS] state, equal to an f64 computation', async () => {
    const bert = JSON.stringify(BERT_TOKENIZER_JSON);
    const weights = tinyEncoderWeights(BERT_VOCAB.length, 16, 5);
    const files = new Map<string, Uint8Array>([
      ['model.onnx', buildTinyEncoderOnnx(weights, { tokenTypes: true })],
      ['tokenizer.json', new TextEncoder().encode(bert)],
      ['encoder.json', new TextEncoder().encode(JSON.stringify({ format: 'tributary-sentence-encoder', name: 'tiny-bert', pooling: 'cls', normalize: true, dimension: 16, maxLength: 4 }))],
    ]);
    const enc = await loadOnnxEncoderNode(await readEncoderFolder(read(files), 'tiny-bert'));
    expect(enc.ref.id).toBe('onnx:tiny-bert#cls-norm@4');
    const [v] = await enc.embed(['Hello, World!']);
    // [CLS]'s state: tanh((embed[CLS] + types[0])·W + b), normalised; the rest of the text does not reach it here
    const H = 16;
    const cls = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      let s = weights.b[j]!;
      for (let k = 0; k < H; k++) s += (weights.embed[2 * H + k]! + weights.types[k]!) * weights.w[k * H + j]!;
      cls[j] = Math.tanh(s);
    }
    const n = Math.hypot(...cls);
    expect(maxAbsDiff(v!, Array.from(cls, (x) => x / n))).toBeLessThan(TOLERANCE);
    await enc.release();
    // mean pooling over the WordPiece ids [CLS] hello , world ! [SEP] = [2, 5, 7, 6, 8, 3]
    files.set('encoder.json', new TextEncoder().encode(JSON.stringify({ format: 'tributary-sentence-encoder', name: 'tiny-bert', pooling: 'mean', normalize: true, dimension: 16, maxLength: 16 })));
    const mean = await loadOnnxEncoderNode(await readEncoderFolder(read(files), 'tiny-bert'));
    const [m] = await mean.embed(['Hello, World!']);
    const shifted = { ...weights, embed: weights.embed.map((x, i) => x + weights.types[i % H]!) }; // token type 0 everywhere
    expect(maxAbsDiff(m!, referenceVector(shifted, [2, 5, 7, 6, 8, 3]))).toBeLessThan(TOLERANCE);
    await mean.release();
  });
});
