import { describe, expect, it } from 'vitest';
import { sha256Text } from '../hash.ts';
import { diffRecords } from './recordDiff.ts';
import { recordFileFromJson, recordFileToJson, type RecordEvidence } from './recordFile.ts';
import { attributionRecordHash } from './record.ts';
import { sampleRecord } from './record.testkit.ts';
import type { AttributionRecord } from './types.ts';

const evidence = (): RecordEvidence => ({
  embedding: {
    query: { int8: Int8Array.from([-127, 0, 5, 127]), scale: Math.fround(0.0123) },
    indexFiles: [{ datanetId: 'dn-0123456789abcdef', version: 3, merkleRoot: sha256Text('root'), bytes: Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256) }],
  },
  influence: { gradient: Float32Array.from([0.1, -2.5e-7, 0, -0, 3.4e38, Math.fround(1 / 3)]) },
});

describe('the attribution record file', () => {
  it('round-trips the record, prompt, answer and the exact evidence bytes', () => {
    const text = recordFileToJson({ record: sampleRecord(), prompt: 'Where was Tilda Marrow born?', answer: 'Tilda Marrow was born in Quenby Harbour.', evidence: evidence(), inputs: { packs: ['a.zip'] } });
    const f = recordFileFromJson(text);
    expect(f.hash).toBe(attributionRecordHash(sampleRecord()));
    expect(f.prompt).toBe('Where was Tilda Marrow born?');
    expect(Array.from(f.evidence!.embedding!.query.int8)).toEqual([-127, 0, 5, 127]);
    expect(f.evidence!.embedding!.query.scale).toBe(Math.fround(0.0123));
    expect(f.evidence!.embedding!.indexFiles[0]!.bytes).toEqual(evidence().embedding!.indexFiles[0]!.bytes);
    // the answer gradient bit for bit (negative zero and the largest float included)
    expect(new Uint32Array(f.evidence!.influence!.gradient.buffer)).toEqual(new Uint32Array(evidence().influence!.gradient.buffer));
    expect(f.inputs).toEqual({ packs: ['a.zip'] });
    expect(recordFileToJson({ ...f })).toBe(text);
    // influence evidence alone (a record without embeddings)
    const alone = recordFileFromJson(recordFileToJson({ record: sampleRecord(), evidence: { influence: evidence().influence! } }));
    expect(alone.evidence).toEqual({ influence: evidence().influence });
  });

  it('refuses broken evidence with a clear error', () => {
    const base = JSON.parse(recordFileToJson({ record: sampleRecord(), evidence: evidence() })) as { evidence: { embedding: { query: { scale: unknown; int8: unknown } }; influence: { gradient: unknown } } };
    const bad = (mutate: (f: typeof base) => void): string => {
      const f = structuredClone(base);
      mutate(f);
      try {
        recordFileFromJson(JSON.stringify(f));
        return 'accepted';
      } catch (e) {
        return `${(e as { code: string }).code}: ${(e as Error).message}`;
      }
    };
    expect(bad((f) => (f.evidence.embedding.query.scale = 0.1))).toMatch(/^attribution\/invalid-record: .*32-bit float/);
    expect(bad((f) => (f.evidence.embedding.query.int8 = 'not base64!'))).toMatch(/^attribution\/invalid-record: the answer vector is not base64/);
    expect(bad((f) => (f.evidence = 'x' as never))).toMatch(/"evidence" must be an object/);
    expect(bad((f) => (f.evidence.influence.gradient = 'AAAA='))).toMatch(/^attribution\/invalid-record: the answer gradient is not base64/);
    expect(bad((f) => (f.evidence.influence.gradient = 'AAAAAAA='))).toMatch(/^attribution\/invalid-record: the answer gradient must be a non-empty list of 32-bit floats/);
    expect(bad((f) => (f.evidence.influence.gradient = 'AADAfw=='))).toMatch(/the answer gradient holds a value that is not a finite number/);
    expect(bad((f) => (f.evidence.influence = 'x' as never))).toMatch(/"evidence.influence" must be an object/);
  });

  it('a record version 1 (old stored records) is still read and keeps its hash; an unknown version is refused', () => {
    const v1 = sampleRecord();
    expect(v1.recordVersion).toBe(1);
    expect(recordFileFromJson(recordFileToJson({ record: v1 })).hash).toBe(attributionRecordHash(v1));
    const v2 = { ...v1, recordVersion: 2 };
    expect(attributionRecordHash(v2)).not.toBe(attributionRecordHash(v1));
    expect(() => attributionRecordHash({ ...v1, recordVersion: 3 })).toThrow(/recordVersion is 3; this version of Tributary reads 1 and 2/);
  });
});

describe('diffRecords names what differs', () => {
  const r = sampleRecord();
  const c1 = r.credits[1]!;
  const edit = (f: (x: AttributionRecord) => void): AttributionRecord => {
    const x = structuredClone(r);
    f(x);
    return x;
  };
  it('nothing for the same record in another order', () => {
    expect(diffRecords(r, edit((x) => x.credits.reverse()))).toEqual([]);
  });
  it('a weight, a span, an adapter, a score, a method', () => {
    const changed = edit((x) => {
      x.credits[1]!.weightPpm -= 1000;
      x.unattributedPpm += 1000;
      x.credits[1]!.evidence.spans[0]!.answerStart = 14;
      x.credits[1]!.evidence.spans[0]!.text = 'as born in Quenby Harbour';
      x.adapter = { id: 'ad-2', hash: sha256Text('other adapter') };
      x.credits[0]!.evidence.scores[0]!.valueMicro = 1_250_001;
      x.methods[0]!.params = '{"minWords":4}';
    });
    const d = diffRecords(changed, r);
    const cid = `${c1.contributionId.slice(0, 10)}…`;
    expect(d).toContain(`credit ${cid}: weight 699000 ppm stated, 700000 ppm recomputed`);
    expect(d).toContain('unattributed share 151000 ppm stated, 150000 ppm recomputed');
    expect(d.some((l) => l.startsWith(`credit ${cid}: span [14,39) "as born in Quenby Harbour"`) && l.endsWith('is stated but not found'))).toBe(true);
    expect(d.some((l) => l.startsWith(`credit ${cid}: span [13,39)`) && l.endsWith('is found but not stated'))).toBe(true);
    expect(d.some((l) => l.startsWith('adapter: ad-2 (') && l.includes('stated, ad-1 ('))).toBe(true);
    expect(d.some((l) => /bm25 score 1250001e-6 stated, 1250000e-6 recomputed/.test(l))).toBe(true);
    expect(d).toContain('method span: version 1 {"minWords":4} stated, version 1 {"minWords":3} recomputed');
  });
  it('a credit only on one side, the model and the Datanets', () => {
    const d = diffRecords(
      edit((x) => {
        x.credits.pop();
        x.model.hash = sha256Text('other weights');
        x.datanets[0]!.version = 4;
        x.unattributedPpm = 850_000;
      }),
      r,
    );
    expect(d.some((l) => l.startsWith('credit ') && l.endsWith('not stated, 700000 ppm recomputed'))).toBe(true);
    expect(d.some((l) => l.startsWith(`model: demo-llama ${sha256Text('other weights')} stated`))).toBe(true);
    expect(d.some((l) => l.startsWith('Datanets: dn-0123456789abcdef v4'))).toBe(true);
  });
});
