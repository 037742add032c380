/** A valid attribution record for tests (two credits, spans, scores, one Datanet). */
import { sha256Text } from '../hash.ts';
import type { AttributionRecord } from './types.ts';

export function sampleRecord(): AttributionRecord {
  const c1 = sha256Text('contribution-1');
  const c2 = sha256Text('contribution-2');
  return {
    recordVersion: 1,
    model: { id: 'demo-llama', hash: sha256Text('model') },
    adapter: { id: 'ad-1', hash: sha256Text('adapter') },
    promptHash: sha256Text('Where was Tilda Marrow born?'),
    answerHash: sha256Text('Tilda Marrow was born in Quenby Harbour.'),
    datanets: [{ datanetId: 'dn-0123456789abcdef', version: 3, merkleRoot: sha256Text('root') }],
    credits: [
      {
        contributionId: c2,
        datanetId: 'dn-0123456789abcdef',
        contributor: '0x00000000000000000000000000000000000000b2',
        weightPpm: 150_000,
        evidence: { spans: [], scores: [{ method: 'bm25', valueMicro: 1_250_000 }] },
      },
      {
        contributionId: c1,
        datanetId: 'dn-0123456789abcdef',
        contributor: '0x00000000000000000000000000000000000000A1',
        weightPpm: 700_000,
        evidence: {
          spans: [{ answerStart: 13, answerEnd: 39, passage: { contributionId: c1, passageIndex: 0 }, text: 'was born in Quenby Harbour' }],
          scores: [
            { method: 'span', valueMicro: 900_000 },
            { method: 'bm25', valueMicro: 3_500_000 },
            { method: 'embedding', valueMicro: -12_000 },
          ],
        },
      },
    ],
    unattributedPpm: 150_000,
    methods: [
      { method: 'span', version: '1', params: '{"minWords":3}' },
      { method: 'bm25', version: '1', params: '{"b":0.75,"k1":1.2}' },
    ],
  };
}
