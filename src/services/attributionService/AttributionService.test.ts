import { describe, expect, it } from 'vitest';
import { attributionRecordHash } from '../../core/attribution/record.ts';
import { sha256Text } from '../../core/hash.ts';
import { contribute, draft, makeCast, makeEnv, rejection } from '../services.testkit.ts';
import { AttributionService } from './AttributionService.ts';

const FACT = 'The Quenby lighthouse was rebuilt in 1874 by the stonemason Hollis Drave after the great storm.';
const OTHER = 'The Lintwick mill was rebuilt in 1881 by the carpenter Amos Venn after a fire destroyed the roof.';

describe('AttributionService (store-backed indexes)', () => {
  it('credits the accepted contribution the answer quotes, builds the index once with progress, and refuses bad requests', async () => {
    const env = makeEnv();
    const cast = await makeCast(env);
    const dn = await env.svc.createDatanet(draft(cast.owner, 'owner'));
    const a = await contribute(env, dn.id, cast.alice, FACT, 'Lighthouse');
    const b = await contribute(env, dn.id, cast.bob, OTHER, 'Mill');
    await env.svc.castVote(a.id, cast.owner, 'approve', '');
    await env.svc.castVote(b.id, cast.owner, 'approve', '');
    const svc = new AttributionService({ db: env.db, modelRef: async (id) => ({ id, hash: sha256Text(id) }) });
    const phases: string[] = [];
    const [summary] = await svc.ensureIndexes([dn.id], (p) => phases.push(p.phase));
    expect(summary!.passages).toBeGreaterThanOrEqual(2);
    expect(phases).toContain('suffix-array');
    const { record, methods } = await svc.attributeAnswer({ prompt: 'Who rebuilt the Quenby lighthouse?', answer: 'It was rebuilt in 1874 by the stonemason Hollis Drave.', modelId: 'demo', datanetIds: [dn.id] });
    expect(record.credits[0]!.contributionId).toBe(a.id.toLowerCase());
    expect(record.credits[0]!.contributor).toBe(cast.alice.toLowerCase());
    expect(record.credits[0]!.evidence.spans[0]!.text).toContain('Hollis Drave');
    expect(() => attributionRecordHash(record)).not.toThrow();
    // no engine was given: the report says which methods ran and why the others could not
    expect(methods.map((m) => [m.method, m.status])).toEqual([['span', 'used'], ['bm25', 'used'], ['embedding', 'unavailable'], ['influence', 'unavailable']]);
    expect(methods[3]!.detail).toMatch(/base model answered/);
    expect((await rejection(svc.attributeAnswer({ prompt: 'x', answer: 'y', modelId: 'demo', datanetIds: [] }))).code).toBe('attribution/invalid-input');
    expect((await rejection(svc.attributeAnswer({ prompt: 'x', answer: 'y', modelId: 'demo', datanetIds: ['dn-ffffffffffffffff'] }))).code).toBe('datanet/not-found');
  });
});
