import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isTributaryError } from '../errors.ts';
import { attributionRecordHash, canonicalizeRecord } from './record.ts';
import { recordFromJson, recordToJson } from './recordJson.ts';
import { sharesToPpm } from './ppm.ts';
import { sampleRecord } from './record.testkit.ts';
import { PPM, type AttributionRecord } from './types.ts';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isTributaryError(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('attributionRecordHash', () => {
  it('is a fixed value for a fixed record (stable across runs, Node and browser alike)', () => {
    // the literal below was produced by this function; any change of encoding shows up here
    expect(attributionRecordHash(sampleRecord())).toMatchInlineSnapshot(`"0x7d7bb0b40508399b1c1ad0b09e46a09970fdfd2d171408b985dccf1063f273fb"`);
  });

  it('does not depend on the order of credits, spans, scores, methods or the case of hex', () => {
    const r = sampleRecord();
    const shuffled: AttributionRecord = {
      ...r,
      credits: [...r.credits].reverse().map((c) => ({ ...c, contributor: c.contributor.toUpperCase().replace('0X', '0x') as `0x${string}`, evidence: { ...c.evidence, scores: [...c.evidence.scores].reverse() } })),
      methods: [...r.methods].reverse(),
    };
    expect(attributionRecordHash(shuffled)).toBe(attributionRecordHash(r));
  });

  it('changes when any field is tampered with', () => {
    const base = attributionRecordHash(sampleRecord());
    const tampers: ((r: AttributionRecord) => void)[] = [
      (r) => (r.model.id = 'other'),
      (r) => (r.adapter = null),
      (r) => (r.promptHash = r.answerHash),
      (r) => (r.datanets[0]!.version = 4),
      (r) => {
        r.credits[0]!.weightPpm -= 1;
        r.credits[1]!.weightPpm += 1;
      },
      (r) => {
        r.credits[1]!.weightPpm -= 1;
        r.unattributedPpm += 1;
      },
      (r) => (r.credits[1]!.evidence.spans[0]!.passage.passageIndex = 1),
      (r) => (r.credits[1]!.evidence.scores[0]!.valueMicro += 1),
      (r) => (r.credits[0]!.contributor = '0x00000000000000000000000000000000000000b3'),
      (r) => (r.methods[0]!.params = '{"minWords":4}'),
    ];
    const hashes = tampers.map((t) => {
      const r = sampleRecord();
      t(r);
      return attributionRecordHash(r);
    });
    for (const h of hashes) expect(h).not.toBe(base);
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it('refuses records whose weights do not sum to exactly 1_000_000 ppm', () => {
    const r = sampleRecord();
    r.unattributedPpm += 1;
    expect(codeOf(() => attributionRecordHash(r))).toBe('attribution/invalid-record');
  });

  it('refuses a credit naming an unlisted Datanet, a duplicate credit and a span whose text does not fit its offsets', () => {
    const a = sampleRecord();
    a.credits[0]!.datanetId = 'dn-ffffffffffffffff';
    expect(codeOf(() => attributionRecordHash(a))).toBe('attribution/invalid-record');
    const b = sampleRecord();
    b.credits[0]!.contributionId = b.credits[1]!.contributionId;
    expect(codeOf(() => attributionRecordHash(b))).toBe('attribution/invalid-record');
    const c = sampleRecord();
    c.credits[1]!.evidence.spans[0]!.text = 'x';
    expect(codeOf(() => attributionRecordHash(c))).toBe('attribution/invalid-record');
  });
});

describe('record JSON', () => {
  it('round-trips through canonical JSON with the same hash', () => {
    const r = sampleRecord();
    const text = recordToJson(r);
    const back = recordFromJson(text);
    expect(back.hash).toBe(attributionRecordHash(r));
    expect(back.record).toEqual(canonicalizeRecord(r));
    expect(recordToJson(back.record)).toBe(text);
  });

  it('refuses a file whose record was edited after export (hash mismatch)', () => {
    const text = recordToJson(sampleRecord()).replace('"weightPpm":700000', '"weightPpm":690000').replace('"unattributedPpm":150000', '"unattributedPpm":160000');
    expect(codeOf(() => recordFromJson(text))).toBe('attribution/hash-mismatch');
  });

  it('refuses non-JSON, a wrong format, unknown fields and missing fields', () => {
    expect(codeOf(() => recordFromJson('{'))).toBe('attribution/invalid-record');
    expect(codeOf(() => recordFromJson('{"format":"x","formatVersion":1}'))).toBe('attribution/invalid-record');
    const file = JSON.parse(recordToJson(sampleRecord())) as { record: Record<string, unknown> };
    expect(codeOf(() => recordFromJson(JSON.stringify({ ...file, record: { ...file.record, extra: 1 } })))).toBe('attribution/invalid-record');
    const { methods: _m, ...missing } = file.record;
    expect(codeOf(() => recordFromJson(JSON.stringify({ ...file, record: missing })))).toBe('attribution/invalid-record');
  });
});

describe('sharesToPpm', () => {
  it('gives integers that sum to exactly 1_000_000 for any non-negative shares (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 60 }), (shares) => {
        fc.pre(shares.some((s) => s > 0));
        const ppm = sharesToPpm(shares);
        expect(ppm.reduce((a, b) => a + b, 0)).toBe(PPM);
        const total = shares.reduce((a, b) => a + b, 0);
        ppm.forEach((p, i) => {
          expect(Number.isInteger(p) && p >= 0).toBe(true);
          expect(Math.abs(p - (shares[i]! / total) * PPM)).toBeLessThanOrEqual(1 + 1e-6);
        });
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses negative, non-finite and all-zero shares', () => {
    expect(codeOf(() => sharesToPpm([1, -1]))).toBe('attribution/invalid-input');
    expect(codeOf(() => sharesToPpm([Number.NaN]))).toBe('attribution/invalid-input');
    expect(codeOf(() => sharesToPpm([0, 0]))).toBe('attribution/invalid-input');
  });
});
