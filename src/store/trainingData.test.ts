import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { Address, Passage, Contribution, ContributionStatus, Datanet, Hex } from '../core/types.ts';
import { TributaryDB } from './db.ts';
import { listTrainingSources, readTrainingData } from './trainingData.ts';

const freshDb = () => new TributaryDB(`test-${crypto.randomUUID()}`);
const hex = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;
const ALICE = '0x00000000000000000000000000000000000A11CE' as Address;

const datanet = (id: string, name: string, currentVersion: number): Datanet => ({
  id,
  name,
  summary: '',
  descriptionMd: '',
  tags: [],
  dataType: 'text',
  licence: 'CC0-1.0',
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
  title: `C${n}`,
  mediaType: 'text/plain',
  textHash: hex(1000 + n),
  chunksHash: hex(2000 + n),
  chunkCount: 2,
  createdAt: n,
  signature: '0x',
  sourceBytes: 10,
  status,
  minhash: [],
});

const chunk = (c: number, datanetId: string, index: number): Passage => ({
  hash: hex(c * 100 + index),
  dedupeHash: hex(c * 100 + index + 50),
  contributionId: hex(c),
  datanetId,
  index,
  text: `contribution ${c} passage ${index}`,
  start: 0,
  end: 10,
});

async function seed(db: TributaryDB): Promise<void> {
  await db.datanets.bulkAdd([datanet('dn-a', 'Bread', 1), datanet('dn-b', 'Empty', 0)]);
  await db.contributions.bulkAdd([contribution(1, 'dn-a', 'accepted'), contribution(2, 'dn-a', 'pending'), contribution(3, 'dn-a', 'accepted'), contribution(4, 'dn-a', 'rejected'), contribution(5, 'dn-b', 'pending')]);
  await db.chunks.bulkAdd([1, 2, 3, 4].flatMap((c) => [chunk(c, 'dn-a', 1), chunk(c, 'dn-a', 0)]));
  await db.versions.add({ datanetId: 'dn-a', version: 1, merkleRoot: hex(9), contributionIds: [hex(3), hex(1)], addedIds: [hex(3), hex(1)], createdAt: 1 });
}

describe('readTrainingData', () => {
  it('reads only accepted contributions, in the published version order, passages in order', async () => {
    const db = freshDb();
    await seed(db);
    const [a] = await readTrainingData(db, ['dn-a', 'dn-a']);
    expect(a?.version).toBe(1);
    expect(a?.contributionIds).toEqual([hex(3), hex(1)]);
    expect(a?.passages.map((p) => p.text)).toEqual(['contribution 3 passage 0', 'contribution 3 passage 1', 'contribution 1 passage 0', 'contribution 1 passage 1']);
  });

  it('refuses a Datanet without accepted contributions by name, an unknown one, and an empty choice', async () => {
    const db = freshDb();
    await seed(db);
    await expect(readTrainingData(db, ['dn-a', 'dn-b'])).rejects.toMatchObject({ code: 'factory/no-data', message: expect.stringMatching(/"Empty" has no accepted contributions/) });
    await expect(readTrainingData(db, ['dn-x'])).rejects.toMatchObject({ code: 'datanet/not-found' });
    await expect(readTrainingData(db, [])).rejects.toMatchObject({ code: 'factory/no-data' });
  });
});

describe('listTrainingSources', () => {
  it('counts accepted contributions and only their passages per Datanet', async () => {
    const db = freshDb();
    await seed(db);
    const rows = await listTrainingSources(db);
    const a = rows.find((r) => r.id === 'dn-a');
    const b = rows.find((r) => r.id === 'dn-b');
    expect(a).toMatchObject({ name: 'Bread', version: 1, accepted: 2, passages: 4 });
    expect(a?.chars).toBe(4 * 'contribution 1 passage 0'.length);
    expect(b).toMatchObject({ accepted: 0, passages: 0, chars: 0 });
  });
});
