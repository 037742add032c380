import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { Address, Datanet, DatanetVersion, Hex } from '../core/types.ts';
import { indexFileKey, listIndexFiles, putIndexFile } from './attributionIndexes.ts';
import { deleteDatanet, getDatanet, setCurrentVersion } from './datanets.ts';
import { TributaryDB, type StoredIndexFile } from './db.ts';
import { getSetting } from './settings.ts';

const freshDb = () => new TributaryDB(`test-${crypto.randomUUID()}`);
const hex = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;
const ALICE = '0x00000000000000000000000000000000000A11CE' as Address;

const datanet = (id: string, currentVersion: number): Datanet => ({
  id,
  name: id,
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
const version = (datanetId: string, v: number, root: Hex): DatanetVersion => ({ datanetId, version: v, merkleRoot: root, contributionIds: [], addedIds: [], createdAt: v });
const file = (v: { datanetId: string; version: number; merkleRoot: Hex }, kind: 'spans' | 'embeddings', encoder = hex(77)): Omit<StoredIndexFile, 'key'> => ({
  ...v,
  kind,
  encoder: kind === 'embeddings' ? { id: 'enc', hash: encoder, dims: 4 } : null,
  source: 'local',
  bytes: new Uint8Array([v.version, kind.length]),
  createdAt: 0,
});

/** Datanet `a` at v1 (root 0x…a1) with both index kinds, and an unrelated Datanet `b` at v1 with its own. */
async function seeded() {
  const db = freshDb();
  const a1 = version('dn-a', 1, hex(0xa1));
  const b1 = version('dn-b', 1, hex(0xb1));
  await db.datanets.bulkAdd([datanet('dn-a', 1), datanet('dn-b', 1)]);
  await db.versions.bulkAdd([a1, b1]);
  for (const f of [file(a1, 'spans'), file(a1, 'embeddings'), file(a1, 'embeddings', hex(78)), file(b1, 'spans'), file(b1, 'embeddings')]) expect(await putIndexFile(db, f)).not.toBeNull();
  return { db, a1, b1 };
}

const keys = async (db: TributaryDB): Promise<string[]> => (await db.attributionIndexes.toArray()).map((r) => r.key).sort();

describe('stored attribution indexes follow the current version', () => {
  it('moving a Datanet to a new version drops the old version’s files in the same transaction, and only those', async () => {
    const { db, a1, b1 } = await seeded();
    expect(await keys(db)).toHaveLength(5);
    const a2 = version('dn-a', 2, hex(0xa2));
    await db.transaction('rw', [db.datanets, db.versions, db.attributionIndexes], async () => {
      await db.versions.add(a2);
      await setCurrentVersion(db, 'dn-a', a2);
    });
    expect((await getDatanet(db, 'dn-a'))?.currentVersion).toBe(2);
    expect(await listIndexFiles(db, 'dn-a', 1)).toEqual([]);
    expect(await keys(db)).toEqual([indexFileKey(b1, 'embeddings', hex(77)), indexFileKey(b1, 'spans')].sort());
    // the new version's files are stored; the old version's are refused from now on (a build that raced the vote)
    expect(await putIndexFile(db, file(a2, 'spans'))).not.toBeNull();
    expect(await putIndexFile(db, file(a1, 'spans'))).toBeNull();
    expect((await listIndexFiles(db, 'dn-a', 2)).map((r) => r.kind)).toEqual(['spans']);
    expect(await db.versions.count()).toBe(3); // versions themselves are history: kept
  });

  it('a failed transaction that moved the version keeps every file (nothing half-done)', async () => {
    const { db } = await seeded();
    const before = await keys(db);
    await expect(
      db.transaction('rw', [db.datanets, db.attributionIndexes], async () => {
        await setCurrentVersion(db, 'dn-a', { version: 2, merkleRoot: hex(0xa2) });
        throw new Error('the vote failed after');
      }),
    ).rejects.toThrow('the vote failed after');
    expect(await keys(db)).toEqual(before);
    expect((await getDatanet(db, 'dn-a'))?.currentVersion).toBe(1);
  });

  it('a file of a version that is not current, or whose root differs, is not stored', async () => {
    const { db } = await seeded();
    expect(await putIndexFile(db, file({ datanetId: 'dn-a', version: 1, merkleRoot: hex(0xbad) }, 'spans'))).toBeNull();
    expect(await putIndexFile(db, file({ datanetId: 'dn-a', version: 3, merkleRoot: hex(0xa1) }, 'spans'))).toBeNull();
    expect(await putIndexFile(db, file({ datanetId: 'dn-x', version: 1, merkleRoot: hex(0xa1) }, 'spans'))).toBeNull();
    expect(await keys(db)).toHaveLength(5);
  });

  it('deleting a Datanet removes its files and everything only it owns, and leaves other Datanets and history alone', async () => {
    const { db, b1 } = await seeded();
    await db.contributions.bulkAdd(
      (['dn-a', 'dn-b'] as const).map((d, i) => ({
        id: hex(100 + i),
        datanetId: d,
        contributor: ALICE,
        title: d,
        mediaType: 'text/plain',
        textHash: hex(200 + i),
        chunksHash: hex(300 + i),
        chunkCount: 1,
        createdAt: 1,
        signature: '0x' as Hex,
        sourceBytes: 1,
        status: 'accepted' as const,
        minhash: [],
      })),
    );
    await db.chunks.bulkAdd((['dn-a', 'dn-b'] as const).map((d, i) => ({ hash: hex(400 + i), dedupeHash: hex(500 + i), contributionId: hex(100 + i), datanetId: d, index: 0, text: d, start: 0, end: 4 })));
    await db.uploads.bulkAdd((['dn-a', 'dn-b'] as const).map((d, i) => ({ datanetId: d, contributor: ALICE, day: '2026-12-07', bytes: 1, contributionId: hex(100 + i), createdAt: 1 })));
    await db.packs.bulkAdd((['dn-a', 'dn-b'] as const).map((d, i) => ({ manifestHash: hex(600 + i), datanetId: d, version: 1, source: 'x', importedAt: 1 })));
    await db.settings.bulkPut([
      { key: 'datanetSignature:dn-a', value: '0x01' },
      { key: 'versionSignature:dn-a:1', value: '0x02' },
      { key: 'datanetSignature:dn-b', value: '0x03' },
      { key: 'versionSignature:dn-b:1', value: '0x04' },
      { key: 'versionSignature:dn-ab:1', value: '0x05' }, // a Datanet whose id starts like dn-a's
    ]);
    await db.attributionRecords.put({ hash: hex(900), record: {} as never, answerId: 'ans', prompt: 'p', answer: 'a', datanetIds: ['dn-a'], contributionIds: [hex(100)], contributors: [ALICE], createdAt: 1 });

    expect(await deleteDatanet(db, 'dn-a')).toBe(true);
    expect(await getDatanet(db, 'dn-a')).toBeUndefined();
    expect(await keys(db)).toEqual([indexFileKey(b1, 'embeddings', hex(77)), indexFileKey(b1, 'spans')].sort());
    for (const t of [db.versions, db.contributions, db.chunks, db.uploads, db.packs] as const) {
      expect((await (t as unknown as { toArray(): Promise<{ datanetId: string }[]> }).toArray()).map((r) => r.datanetId)).toEqual(['dn-b']);
    }
    expect((await db.settings.toArray()).map((s) => s.key).sort()).toEqual(['datanetSignature:dn-b', 'versionSignature:dn-ab:1', 'versionSignature:dn-b:1']);
    expect(await getSetting(db, 'versionSignature:dn-b:1')).toBe('0x04');
    expect(await db.attributionRecords.count()).toBe(1); // the answers' records are history
    expect(await deleteDatanet(db, 'dn-a')).toBe(false);
  });
});
