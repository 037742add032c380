import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { recordFileFromJson } from '../core/attribution/recordFile.ts';
import { attributionRecordHash } from '../core/attribution/record.ts';
import { sampleRecord } from '../core/attribution/record.testkit.ts';
import { sha256Text } from '../core/hash.ts';
import type { Hex } from '../core/types.ts';
import { putIndexFile } from './attributionIndexes.ts';
import { TributaryDB } from './db.ts';
import { exportRecordFile } from './recordExport.ts';

const ENCODER_HASH = sha256Text('encoder');

function recordWithEmbedding() {
  const r = { ...sampleRecord(), recordVersion: 2 };
  r.methods = [...r.methods, { method: 'embedding', version: '2', params: JSON.stringify({ encoder: 'enc', encoderHash: ENCODER_HASH, query: sha256Text('q'), topK: 64, vectors: {} }) }];
  return r;
}

async function stored(withVectors: boolean, withInfluence = false) {
  const db = new TributaryDB(`test-${crypto.randomUUID()}`);
  const record = recordWithEmbedding();
  if (withInfluence) record.methods.push({ method: 'influence', version: '2', params: JSON.stringify({ kind: 'tracin', log: sha256Text('log') }) });
  const d = record.datanets[0]!;
  await db.datanets.add({ id: d.datanetId, currentVersion: d.version } as never);
  await db.versions.add({ datanetId: d.datanetId, version: d.version, merkleRoot: d.merkleRoot, contributionIds: [], addedIds: [], createdAt: 0 });
  if (withVectors) await putIndexFile(db, { datanetId: d.datanetId, version: d.version, merkleRoot: d.merkleRoot, kind: 'embeddings', encoder: { id: 'enc', hash: ENCODER_HASH, dims: 4 }, source: 'local', bytes: Uint8Array.of(1, 2, 3), createdAt: 0 });
  const hash = attributionRecordHash(record);
  await db.attributionRecords.put({ hash, record, answerId: 'a', prompt: 'Where was Tilda Marrow born?', answer: 'Tilda Marrow was born in Quenby Harbour.', datanetIds: [], contributionIds: [], contributors: [], createdAt: 0, embeddingQuery: { int8: Int8Array.of(1, -2, 3, 127), scale: Math.fround(0.5) }, ...(withInfluence ? { influenceGradient: Float32Array.of(0.25, -1.5, 0) } : {}) });
  return { db, hash, record };
}

describe('exportRecordFile', () => {
  it('writes the record with its prompt, answer, answer vector and the stored passage-vector files', async () => {
    const { db, hash } = await stored(true);
    const f = await exportRecordFile(db, hash);
    expect(f.fileName).toBe(`attribution-record-${hash.slice(2, 14)}.json`);
    expect(f.missingVectors).toEqual([]);
    const back = recordFileFromJson(f.text);
    expect(back.hash).toBe(hash);
    expect(back.answer).toBe('Tilda Marrow was born in Quenby Harbour.');
    expect(Array.from(back.evidence!.embedding!.query.int8)).toEqual([1, -2, 3, 127]);
    expect(Array.from(back.evidence!.embedding!.indexFiles[0]!.bytes)).toEqual([1, 2, 3]);
    expect(f.verifyCommand).toBe(`npm run cli -- verify-record ${f.fileName} --pack <the Datanet's pack> --adapter <the adapter's folder>`);
  });

  it('tells a record with gradient influence to give the adapter folder with its training log', async () => {
    const { db, hash } = await stored(true, true);
    const f = await exportRecordFile(db, hash);
    expect(f.verifyCommand).toBe(`npm run cli -- verify-record ${f.fileName} --pack <the Datanet's pack> --adapter <the adapter's folder with its training log>`);
    // with the projected answer gradient its influence scores came from
    expect(Array.from(recordFileFromJson(f.text).evidence!.influence!.gradient)).toEqual([0.25, -1.5, 0]);
  });

  it('says which Datanets no longer keep their vectors, and refuses an unknown record', async () => {
    const { db, hash, record } = await stored(false);
    const f = await exportRecordFile(db, hash);
    expect(f.missingVectors).toEqual([record.datanets[0]!.datanetId]);
    expect(recordFileFromJson(f.text).evidence!.embedding!.indexFiles).toEqual([]);
    await expect(exportRecordFile(db, `0x${'00'.repeat(32)}` as Hex)).rejects.toThrow(/There is no attribution record/);
  });
});
