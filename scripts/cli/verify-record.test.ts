/**
 * verify-record over real inputs: the demo model (Node, CPU) and the planted-fact Datanet. A record made here matches;
 * a record whose embedding vectors differ from Node's by the last bits (what Chromium computes, see
 * tests/e2e/attributionRecord.e2e.ts for the real thing) matches when its file carries the vectors it committed to;
 * and a changed record — a weight, a span, other weights — is a mismatch that names what differs, and another adapter than
 * the record names is refused (attribution/adapter-mismatch).
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { attributeAnswer } from '../../src/attribution/attribute.ts';
import { buildDatanetIndex, type DatanetIndex, type EmbeddingIndex } from '../../src/attribution/datanetIndex.ts';
import type { QueryVector } from '../../src/attribution/embeddingEvidence.ts';
import { encodeEmbeddingIndex } from '../../src/attribution/indexFiles.ts';
import { quantizeVector, type Int8Vectors } from '../../src/attribution/int8Vectors.ts';
import { parseDataJsonl, sourceFromDataLines } from '../../src/attribution/jsonlSource.ts';
import { Int8VectorSearch } from '../../src/attribution/vectorTopK.ts';
import { recordFileFromJson, recordFileToJson, type RecordEvidence } from '../../src/core/attribution/recordFile.ts';
import type { AttributionRecord } from '../../src/core/attribution/types.ts';
import { DEMO_MODEL_DIR, loadModelDir, type LoadedModel } from './_model.ts';
import { jsonlDatanetId } from './_sources.ts';
import { verifyRecordFile } from './verify-record.ts';

const DATA = 'bench/data/planted/data.jsonl';
const lines = parseDataJsonl(readFileSync(DATA, 'utf8'));
const fact = lines[0]!.text.split('. ')[0]! + '.';
const PROMPT = 'Tell me about the windmill.';

let model: LoadedModel;
let index: DatanetIndex;

/** Vectors a step or an ulp away from `v` (what another JS engine may compute): every 7th scale an ulp up, every 97th value one step. */
function nudged(v: Int8Vectors): Int8Vectors {
  const data = Int8Array.from(v.data);
  for (let i = 0; i < data.length; i += 97) data[i] = data[i]! >= 127 ? 126 : data[i]! + 1;
  const scales = Float32Array.from(v.scales);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < scales.length; i += 7) {
    f[0] = scales[i]!;
    u[0]! += 1;
    scales[i] = f[0]!;
  }
  return { ...v, data, scales };
}

async function nodeQuery(answer: string): Promise<QueryVector> {
  const [v] = await model.encoder.embed([answer]);
  const int8 = new Int8Array(model.encoder.ref.dims);
  return { int8, scale: quantizeVector(v!, int8) };
}

/** A record made the way the app makes one, with the given passage vectors and answer vector. */
async function recordWith(embeddings: EmbeddingIndex, query: QueryVector, answer = fact): Promise<{ record: AttributionRecord; evidence: RecordEvidence }> {
  const ix = { ...index, embeddings };
  const r = await attributeAnswer({ prompt: PROMPT, answer, model: { id: model.id, hash: model.hash }, adapter: null, indexes: [ix], encoder: model.encoder, embeddingQuery: query });
  return {
    record: r.record,
    evidence: { embedding: { query, indexFiles: [{ datanetId: ix.datanetId, version: ix.version, merkleRoot: ix.merkleRoot, bytes: encodeEmbeddingIndex(ix, ix.corpus, embeddings) }] } },
  };
}

const fileOf = (record: AttributionRecord, evidence?: RecordEvidence, answer = fact): string => recordFileToJson({ record, prompt: PROMPT, answer, ...(evidence ? { evidence } : {}), inputs: { datanets: [DATA] } });

beforeAll(async () => {
  model = await loadModelDir(DEMO_MODEL_DIR);
  const { source } = sourceFromDataLines(lines, jsonlDatanetId(DATA));
  index = await buildDatanetIndex(source, { encoder: model.encoder });
}, 120_000);

describe('verify-record', () => {
  it('a record made in Node, with embeddings, matches (with or without its evidence in the file)', async () => {
    const { record, evidence } = await recordWith(index.embeddings!, await nodeQuery(fact));
    expect(record.recordVersion).toBe(2);
    expect(record.methods.map((m) => m.method)).toEqual(['span', 'bm25', 'embedding']);
    expect(record.credits.length).toBeGreaterThan(0);
    const params = JSON.parse(record.methods[2]!.params) as { query: string; vectors: Record<string, string> };
    expect(params.query).toMatch(/^0x[0-9a-f]{64}$/);
    expect(Object.keys(params.vectors)).toEqual([index.datanetId]);
    for (const ev of [evidence, undefined]) {
      const v = await verifyRecordFile(fileOf(record, ev));
      expect(v.problems).toEqual([]);
      expect(v.match).toBe(true);
    }
  }, 120_000);

  it('a record whose vectors are an ulp or a step from Node’s matches when its file carries them, and says why not when it does not', async () => {
    const theirs = nudged(index.embeddings!.vectors);
    const q = await nodeQuery(fact);
    const query = { int8: nudged({ dims: q.int8.length, count: 1, data: q.int8, scales: Float32Array.of(q.scale) }).data, scale: q.scale };
    const { record, evidence } = await recordWith({ ...index.embeddings!, vectors: theirs, search: new Int8VectorSearch(theirs) }, query);
    const v = await verifyRecordFile(fileOf(record, evidence));
    expect(v.problems).toEqual([]);
    expect(v.notes.some((n) => /passage vectors of dn-.*agree with this model's \(\d+ of \d+ values one step apart/.test(n))).toBe(true);
    const bare = await verifyRecordFile(fileOf(record));
    expect(bare.match).toBe(false);
    expect(bare.problems.join('\n')).toMatch(/embedding: the answer vector computed here hashes to 0x[0-9a-f]{64}, the record commits to 0x[0-9a-f]{64}, and the file carries no vectors/);
  }, 120_000);

  it('committed vectors that are not the model’s (beyond one step) are refused, naming them', async () => {
    const far = Int8Array.from(index.embeddings!.vectors.data);
    for (let i = 0; i < far.length; i += 5) far[i] = -far[i]!;
    const vectors = { ...index.embeddings!.vectors, data: far };
    const { record, evidence } = await recordWith({ ...index.embeddings!, vectors, search: new Int8VectorSearch(vectors) }, await nodeQuery(fact));
    const v = await verifyRecordFile(fileOf(record, evidence));
    expect(v.match).toBe(false);
    expect(v.problems.join('\n')).toMatch(/the passage vectors of dn-[0-9a-f]+ in the file are not what tributary-demo#mean-hidden@128 gives for its passages: an int8 value is \d+ steps from this model's/);
  }, 120_000);

  it('a changed record — a weight, a span — is a mismatch naming what differs; another adapter is refused', async () => {
    const { record, evidence } = await recordWith(index.embeddings!, await nodeQuery(fact));
    const top = record.credits[0]!;
    const changed = (f: (r: AttributionRecord) => void): string => {
      const r = structuredClone(record);
      f(r);
      return fileOf(r, evidence); // re-hashed: internally consistent, only recomputation can tell
    };
    const weight = await verifyRecordFile(
      changed((r) => {
        r.credits[0]!.weightPpm -= 1000;
        r.unattributedPpm += 1000;
      }),
    );
    expect(weight.match).toBe(false);
    expect(weight.problems).toContain(`credit ${top.contributionId.slice(0, 10)}…: weight ${top.weightPpm - 1000} ppm stated, ${top.weightPpm} ppm recomputed`);

    expect(top.evidence.spans.length).toBeGreaterThan(0);
    const span = await verifyRecordFile(
      changed((r) => {
        const s = r.credits[0]!.evidence.spans[0]!;
        s.answerStart += 1;
        s.text = fact.slice(s.answerStart, s.answerEnd);
      }),
    );
    expect(span.match).toBe(false);
    expect(span.problems.some((p) => p.startsWith(`credit ${top.contributionId.slice(0, 10)}…: span [`) && p.endsWith('is stated but not found'))).toBe(true);

    const adapterDir = join(DEMO_MODEL_DIR, 'adapters', readdirSync(join(DEMO_MODEL_DIR, 'adapters'))[0]!);
    const adapted = changed((r) => (r.adapter = { id: 'some-adapter', hash: `0x${'ab'.repeat(32)}` }));
    await expect(verifyRecordFile(adapted)).rejects.toThrow(/the record names adapter some-adapter: give its folder with --adapter/);
    // another adapter than the record names: refused with a typed error before anything is recomputed
    await expect(verifyRecordFile(adapted, ['--adapter', adapterDir])).rejects.toMatchObject({
      code: 'attribution/adapter-mismatch',
      message: expect.stringMatching(new RegExp(`^The record names adapter some-adapter \\(0x${'ab'.repeat(32)}\\), the adapter given hashes to 0x[0-9a-f]{64}`)),
    });
    // a file edited without re-hashing is refused before anything is recomputed
    const text = fileOf(record, evidence).replace(/"valueMicro":(-?\d+)/, (_, n: string) => `"valueMicro":${Number(n) + 1}`);
    expect(() => recordFileFromJson(text)).toThrow(/its content hashes to 0x[0-9a-f]{64}: it was changed after it was made/);
  }, 180_000);

  it('other weight files are a clear model mismatch', async () => {
    const { record, evidence } = await recordWith(index.embeddings!, await nodeQuery(fact));
    const dir = mkdtempSync(join(tmpdir(), 'tributary-other-weights-'));
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) copyFileSync(join(DEMO_MODEL_DIR, f), join(dir, f));
    const w = new Uint8Array(readFileSync(join(DEMO_MODEL_DIR, 'model.safetensors')));
    w[w.length - 2]! ^= 0x01; // one bit of the last tensor's last value
    writeFileSync(join(dir, 'model.safetensors'), w);
    const v = await verifyRecordFile(fileOf(record, evidence), ['--base', dir]);
    expect(v.match).toBe(false);
    expect(v.problems[0]).toMatch(new RegExp(`^model: the weights loaded here hash to 0x[0-9a-f]{64}, the record names ${model.id} ${model.hash}$`));
  }, 120_000);
});
