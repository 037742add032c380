import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { modelEncoder } from '../../attribution/modelEncoder.ts';
import { projectedGradientHash } from '../../attribution/influenceFromLog.ts';
import { getAdapterRecord } from '../../store/adapters.ts';
import { TRAINING_LOG_JSON, TRAINING_LOG_TENSORS, trainingLogHash } from '../../engine/train/trainingLog.ts';
import { EMBEDDINGS_FILE, SPANS_FILE } from '../../attribution/indexFiles.ts';
import { buildIndexFiles, sourceFromPack } from '../../attribution/packIndexes.ts';
import { sha256Text } from '../../core/hash.ts';
import { readPackArchive } from '../../core/pack/readPack.ts';
import { writePack } from '../../core/pack/writePack.ts';
import { createCpuBackend } from '../../engine/cpu/cpuBackend.ts';
import { createModel } from '../../engine/model/llama.ts';
import { randomModel } from '../../engine/model/randomModel.ts';
import { listIndexFiles } from '../../store/attributionIndexes.ts';
import { TributaryDB } from '../../store/db.ts';
import type { EmbedTextsFn } from '../../workerApi/attributionApi.ts';
import { contribute, draft, makeCast, makeEnv } from '../services.testkit.ts';
import { ALICE, REQ, makeEngine as makeTrainingEngine, seedData } from '../engine/training/training.testkit.ts';
import { AttributionService } from './AttributionService.ts';

const FACT = 'The Quenby lighthouse was rebuilt in 1874 by the stonemason Hollis Drave after the great storm.';
const OTHER = 'The Lintwick mill was rebuilt in 1881 by the carpenter Amos Venn after a fire destroyed the roof.';
const modelRef = async (id: string) => ({ id, hash: sha256Text(id) });

/** A small model's own encoder standing in for the engine worker's `embedTexts` (counts the texts it embeds). */
function fakeEngineEmbed(seed: number): { embed: EmbedTextsFn; embedded: string[] } {
  const { config, weights } = randomModel({ seed, vocabSize: 259, hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, maxPositionEmbeddings: 256 });
  const enc = modelEncoder(createModel(createCpuBackend(), config, weights), { encode: (t) => [...new TextEncoder().encode(t)] }, { id: `m${seed}`, hash: sha256Text(`model ${seed}`) });
  const embedded: string[] = [];
  return {
    embedded,
    embed: async (texts) => {
      embedded.push(...texts);
      return { encoder: { ...enc.ref }, vectors: await enc.embed(texts) };
    },
  };
}

async function twoFacts() {
  const env = makeEnv();
  const cast = await makeCast(env);
  const dn = await env.svc.createDatanet(draft(cast.owner, 'owner'));
  const a = await contribute(env, dn.id, cast.alice, FACT, 'Lighthouse');
  const b = await contribute(env, dn.id, cast.bob, OTHER, 'Mill');
  await env.svc.castVote(a.id, cast.owner, 'approve', '');
  await env.svc.castVote(b.id, cast.owner, 'approve', '');
  const version = (await env.db.datanets.get(dn.id))!.currentVersion;
  return { env, cast, dn, a, b, version };
}

const ASK = { prompt: 'Who rebuilt the Quenby lighthouse?', answer: 'It was rebuilt in 1874 by the stonemason Hollis Drave.', modelId: 'demo' };

describe('AttributionService: the model’s embeddings, stored indexes', () => {
  it('uses the engine’s embeddings, stores the built indexes, and a fresh worker loads them instead of rebuilding', async () => {
    const { env, dn, a, version } = await twoFacts();
    const m1 = fakeEngineEmbed(1);
    const svc = new AttributionService({ db: env.db, modelRef });
    const phases: string[] = [];
    const r = await svc.attributeAnswer({ ...ASK, datanetIds: [dn.id] }, (p) => phases.push(p.phase), m1.embed);
    expect(phases).toEqual(expect.arrayContaining(['suffix-array', 'embedding']));
    expect(r.methods.find((m) => m.method === 'embedding')).toMatchObject({ status: 'used', detail: expect.stringMatching(/hidden states \(m1#mean-hidden@128, 32-d, int8\) over an index built here, exact top-k on one CPU thread/) });
    expect(r.record.methods.map((m) => m.method)).toContain('embedding');
    expect(r.record.credits[0]!.contributionId).toBe(a.id.toLowerCase());
    expect(r.record.credits[0]!.evidence.scores.map((s) => s.method)).toContain('embedding');
    const stored = await listIndexFiles(env.db, dn.id, version);
    expect(stored.map((f) => [f.kind, f.source, f.encoder?.id ?? null]).sort()).toEqual([
      ['embeddings', 'local', 'm1#mean-hidden@128'],
      ['spans', 'local', null],
    ]);

    // a fresh worker (a reload): loads both from the store, embeds only the answer, same record
    const again = fakeEngineEmbed(1);
    const fresh = new AttributionService({ db: env.db, modelRef });
    const phases2: string[] = [];
    const r2 = await fresh.attributeAnswer({ ...ASK, datanetIds: [dn.id] }, (p) => phases2.push(p.phase), again.embed);
    expect(phases2).not.toContain('suffix-array');
    expect(phases2).not.toContain('embedding');
    expect(again.embedded).toEqual([ASK.answer]);
    expect(r2.record).toEqual(r.record);

    // another encoder (another model loaded): its own index, never the first one's vectors
    const m2 = fakeEngineEmbed(2);
    const r3 = await fresh.attributeAnswer({ ...ASK, datanetIds: [dn.id] }, undefined, m2.embed);
    expect(m2.embedded.length).toBeGreaterThan(1);
    expect(JSON.parse(r3.record.methods.find((m) => m.method === 'embedding')!.params)).toMatchObject({ encoder: 'm2#mean-hidden@128' });
    expect((await listIndexFiles(env.db, dn.id, version)).filter((f) => f.kind === 'embeddings')).toHaveLength(2);
  });

  it('two answers traced at once share one index build (each passage embedded once)', async () => {
    const { env, dn } = await twoFacts();
    const m = fakeEngineEmbed(1);
    const svc = new AttributionService({ db: env.db, modelRef });
    const [r1, r2] = await Promise.all([
      svc.attributeAnswer({ ...ASK, datanetIds: [dn.id] }, undefined, m.embed),
      svc.attributeAnswer({ ...ASK, answer: 'The carpenter Amos Venn rebuilt the mill in 1881.', datanetIds: [dn.id] }, undefined, m.embed),
    ]);
    expect(r1.methods[2]!.status).toBe('used');
    expect(r2.methods[2]!.status).toBe('used');
    const passages = m.embedded.filter((t) => t !== ASK.answer && !t.startsWith('The carpenter Amos Venn rebuilt'));
    expect(passages.length).toBe(new Set(passages).size);
    expect(passages.length).toBeGreaterThan(0);
  });

  it('drops a damaged stored index and rebuilds it', async () => {
    const { env, dn, version } = await twoFacts();
    const svc = new AttributionService({ db: env.db, modelRef });
    await svc.ensureIndexes([dn.id]);
    const [spans] = await listIndexFiles(env.db, dn.id, version);
    const bad = spans!.bytes.slice();
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0x7f;
    await env.db.attributionIndexes.put({ ...spans!, bytes: bad });
    const phases: string[] = [];
    const [summary] = await new AttributionService({ db: env.db, modelRef }).ensureIndexes([dn.id], (p) => phases.push(p.phase));
    expect(phases).toContain('suffix-array');
    expect(summary).toMatchObject({ source: 'local', embeddingsSource: 'none' });
    expect((await listIndexFiles(env.db, dn.id, version))[0]!.bytes).toEqual(spans!.bytes); // rebuilt and stored again
  });

  it("keeps a pack's verified indexes on import and uses them (no local build)", async () => {
    const { env, dn, version } = await twoFacts();
    const m1 = fakeEngineEmbed(1);
    const ref = (await m1.embed([''])).encoder;
    const contents = await readPackArchive((await env.svc.exportPack(dn.id)).bytes);
    const enc = { ref, embed: async (t: readonly string[]) => (await m1.embed([...t])).vectors };
    const files = await buildIndexFiles(sourceFromPack(contents), { encoder: enc });
    expect([...files.keys()].sort()).toEqual([EMBEDDINGS_FILE, SPANS_FILE]);
    const target = makeEnv();
    await target.svc.importPack(writePack(contents, env.clock.now, { indexes: files }).bytes, 'with indexes');
    const stored = await listIndexFiles(target.db, dn.id, version);
    expect(stored.map((f) => [f.kind, f.source]).sort()).toEqual([
      ['embeddings', 'pack'],
      ['spans', 'pack'],
    ]);
    const phases: string[] = [];
    const fresh = fakeEngineEmbed(1);
    const [summary] = await new AttributionService({ db: target.db, modelRef }).ensureIndexes([dn.id], (p) => phases.push(p.phase), fresh.embed);
    expect(summary).toMatchObject({ source: 'pack', embeddingsSource: 'pack', encoder: ref });
    expect(phases).not.toContain('suffix-array');
    expect(phases).not.toContain('embedding');
    expect(fresh.embedded).toEqual(['']); // only the probe that names the encoder
  });
});

describe('AttributionService: gradient influence for a ModelFactory adapter', () => {
  it('scores the answer against the adapter’s training log through the engine’s answerGradient', async () => {
    const db = new TributaryDB(`attr-influence-${crypto.randomUUID()}`);
    await seedData(db);
    const engine = makeTrainingEngine(db);
    const out = await engine.startTraining(REQ);
    const saved = await engine.saveTrainedAdapter(out.runId, { name: 'Bread v1', owner: ALICE, pricePerAnswer: 0n });
    const svc = new AttributionService({ db, modelRef });
    const ask = { prompt: 'Tell me about Bread 3.', answer: 'Bake at two hundred degrees.', modelId: 'tributary-demo', datanetIds: ['dn-bread'] };
    const r = await svc.attributeAnswer({ ...ask, adapterId: saved.id }, undefined, (t) => engine.embedTexts(t), (q) => engine.answerGradient(q));
    const influence = r.methods.find((m) => m.method === 'influence')!;
    expect(influence).toMatchObject({ status: 'used', detail: expect.stringMatching(/^TracIn over \d+ logged examples × \d+ checkpoints?/) });
    expect(r.record.methods.map((m) => m.method)).toEqual(['span', 'bm25', 'embedding', 'influence']);
    expect(r.record.adapter).toEqual({ id: saved.id, hash: saved.id });
    expect(r.record.credits.some((c) => c.evidence.scores.some((s) => s.method === 'influence'))).toBe(true);
    // the record names what verify-record needs to recompute it: the stored training log's hash, the exact projected
    // gradient (returned for export) and how the answer was tokenized
    const files = (await getAdapterRecord(db, saved.id))!.trainingFiles!;
    const logHash = trainingLogHash({ json: new Uint8Array(await files[TRAINING_LOG_JSON]!.arrayBuffer()), tensors: new Uint8Array(await files[TRAINING_LOG_TENSORS]!.arrayBuffer()) });
    const method = r.record.methods.find((m) => m.method === 'influence')!;
    expect(method.version).toBe('2');
    expect(r.influenceGradient).not.toBeNull();
    expect(JSON.parse(method.params)).toMatchObject({ kind: 'tracin', log: logHash, gradient: projectedGradientHash(r.influenceGradient!), example: 'chat', seqLen: expect.any(Number), system: expect.any(String) });
    // the base model's answer: no adapter, so no influence, and the report says why
    const base = await svc.attributeAnswer(ask, undefined, (t) => engine.embedTexts(t), (q) => engine.answerGradient(q));
    expect(base.methods.find((m) => m.method === 'influence')).toMatchObject({ status: 'unavailable', detail: expect.stringMatching(/base model answered/) });
    expect(base.methods.find((m) => m.method === 'embedding')).toMatchObject({ status: 'used' });
    expect(base.influenceGradient).toBeNull();
  }, 120_000);
});
