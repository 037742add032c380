import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { minhashSignature } from '../core/minhash.ts';
import type { Address, Passage, Contribution, ContributionStatus, Datanet, Hex } from '../core/types.ts';
import { listPassages, listContributions, listValidations } from './contributions.ts';
import { getDatanet, listDatanets } from './datanets.ts';
import { TributaryDB } from './db.ts';
import { findPassageDuplicates, findNearDuplicate, findTextDuplicate } from './duplicates.ts';
import { getIdentity, listIdentities } from './identities.ts';
import { getReputation, getReputations, listReputations } from './reputations.ts';
import { getSetting, setSetting } from './settings.ts';
import { storageSummary } from './storageSummary.ts';
import { uploadsToday } from './uploads.ts';
import { getVersion, listVersions } from './versions.ts';

const freshDb = () => new TributaryDB(`test-${crypto.randomUUID()}`);
const hex = (n: number, bytes = 32): Hex => `0x${n.toString(16).padStart(bytes * 2, '0')}`;
const ALICE = '0x00000000000000000000000000000000000A11CE' as Address;
const BOB = '0x0000000000000000000000000000000000000B0B' as Address;

function datanet(id: string, createdAt: number): Datanet {
  return {
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
    createdAt,
    currentVersion: 0,
    origin: { kind: 'local' },
  };
}

function contribution(n: number, datanetId: string, status: ContributionStatus, body: string, createdAt = n): Contribution {
  return {
    id: hex(n),
    datanetId,
    contributor: ALICE,
    title: `C${n}`,
    mediaType: 'text/plain',
    textHash: hex(1000 + n),
    chunksHash: hex(2000 + n),
    chunkCount: 1,
    createdAt,
    signature: '0x',
    sourceBytes: body.length,
    status,
    minhash: minhashSignature(body),
  };
}

/** A stored passage; its exact-text `hash` is made distinct from its `dedupeHash` (`dedupeHash + 50_000`). */
const chunk = (contributionId: Hex, datanetId: string, index: number, dedupeHash: Hex): Passage => ({
  hash: hex(Number(BigInt(dedupeHash)) + 50_000),
  dedupeHash,
  contributionId,
  datanetId,
  index,
  text: `passage ${index}`,
  start: 0,
  end: 9,
});

const words = (seed: number, n = 120) => Array.from({ length: n }, (_, i) => `w${(seed * 7919 + i * 104729) % 100003}`).join(' ');

describe('store queries', () => {
  it('lists Datanets newest first and gets one', async () => {
    const db = freshDb();
    await db.datanets.bulkAdd([datanet('dn-a', 1), datanet('dn-b', 3), datanet('dn-c', 2)]);
    expect((await listDatanets(db)).map((d) => d.id)).toEqual(['dn-b', 'dn-c', 'dn-a']);
    expect((await getDatanet(db, 'dn-c'))?.id).toBe('dn-c');
    expect(await getDatanet(db, 'dn-x')).toBeUndefined();
  });

  it('lists contributions by Datanet and status, chunks in order, validations oldest first', async () => {
    const db = freshDb();
    await db.contributions.bulkAdd([
      contribution(1, 'dn-a', 'pending', 'a'),
      contribution(2, 'dn-a', 'accepted', 'b'),
      contribution(3, 'dn-a', 'pending', 'c'),
      contribution(4, 'dn-b', 'pending', 'd'),
    ]);
    expect((await listContributions(db, 'dn-a')).map((c) => c.title)).toEqual(['C3', 'C2', 'C1']);
    expect((await listContributions(db, 'dn-a', 'pending')).map((c) => c.title)).toEqual(['C3', 'C1']);
    expect(await listContributions(db, 'dn-a', 'rejected')).toEqual([]);

    await db.chunks.bulkAdd([chunk(hex(1), 'dn-a', 2, hex(52)), chunk(hex(1), 'dn-a', 0, hex(50)), chunk(hex(1), 'dn-a', 1, hex(51)), chunk(hex(2), 'dn-a', 0, hex(60))]);
    expect((await listPassages(db, hex(1))).map((c) => c.index)).toEqual([0, 1, 2]);

    const v = (id: number, createdAt: number) => ({
      id: hex(id),
      contributionId: hex(1),
      datanetId: 'dn-a',
      validator: BOB,
      verdict: 'approve' as const,
      reason: '',
      createdAt,
      signature: '0x' as Hex,
      weight: 0.5,
      role: 'validator' as const,
    });
    await db.validations.bulkAdd([v(90, 20), v(91, 10)]);
    expect((await listValidations(db, hex(1))).map((x) => x.createdAt)).toEqual([10, 20]);
  });

  it('finds duplicates only among pending and accepted contributions of the same Datanet', async () => {
    const db = freshDb();
    await db.contributions.bulkAdd([
      contribution(1, 'dn-a', 'accepted', words(1)),
      contribution(2, 'dn-a', 'rejected', words(2)),
      contribution(3, 'dn-b', 'pending', words(3)),
      contribution(4, 'dn-a', 'pending', words(4)),
    ]);
    await db.chunks.bulkAdd([
      chunk(hex(1), 'dn-a', 0, hex(100)),
      chunk(hex(2), 'dn-a', 0, hex(200)),
      chunk(hex(3), 'dn-b', 0, hex(300)),
      chunk(hex(4), 'dn-a', 0, hex(400)),
    ]);
    const chunkDups = await findPassageDuplicates(db, 'dn-a', [hex(100), hex(200), hex(300), hex(400), hex(999)]);
    expect(Object.fromEntries(chunkDups)).toEqual({
      [hex(100)]: { contributionId: hex(1), title: 'C1' },
      [hex(400)]: { contributionId: hex(4), title: 'C4' },
    });
    expect(await findPassageDuplicates(db, 'dn-a', [])).toEqual(new Map());
    // Lookups go by dedupeHash only, never by the exact-text hash.
    expect(await findPassageDuplicates(db, 'dn-a', [hex(50_100), hex(50_400)])).toEqual(new Map());

    expect((await findTextDuplicate(db, 'dn-a', hex(1001)))?.id).toBe(hex(1));
    expect(await findTextDuplicate(db, 'dn-a', hex(1002))).toBeUndefined(); // rejected
    expect(await findTextDuplicate(db, 'dn-a', hex(1003))).toBeUndefined(); // other Datanet

    const near = await findNearDuplicate(db, 'dn-a', minhashSignature(`${words(4)} tail`));
    expect(near?.contribution.id).toBe(hex(4));
    expect(near!.similarity).toBeGreaterThanOrEqual(0.8);
    expect(await findNearDuplicate(db, 'dn-a', minhashSignature(words(2)))).toBeUndefined(); // rejected
    expect(await findNearDuplicate(db, 'dn-a', minhashSignature(words(3)))).toBeUndefined(); // other Datanet
    expect(await findNearDuplicate(db, 'dn-a', minhashSignature(words(99)))).toBeUndefined();
  });

  it('counts uploads per contributor, Datanet and day', async () => {
    const db = freshDb();
    const rec = (contributor: Address, datanetId: string, day: string, bytes: number) => ({
      datanetId,
      contributor,
      day,
      bytes,
      contributionId: hex(1),
      createdAt: 0,
    });
    await db.uploads.bulkAdd([
      rec(ALICE, 'dn-a', '2026-03-10', 100),
      rec(ALICE, 'dn-a', '2026-03-10', 50),
      rec(ALICE, 'dn-a', '2026-03-09', 7),
      rec(BOB, 'dn-a', '2026-03-10', 7),
      rec(ALICE, 'dn-b', '2026-03-10', 7),
    ]);
    expect(await uploadsToday(db, 'dn-a', ALICE, '2026-03-10')).toEqual({ files: 2, bytes: 150 });
    expect(await uploadsToday(db, 'dn-c', ALICE, '2026-03-10')).toEqual({ files: 0, bytes: 0 });
  });

  it('reads identities without keys, reputations, versions and settings', async () => {
    const db = freshDb();
    await db.identities.add({ address: ALICE, label: 'Alice', kind: 'local', privateKey: hex(7), createdAt: 1 });
    expect(await listIdentities(db)).toEqual([{ address: ALICE, label: 'Alice', kind: 'local', createdAt: 1 }]);
    expect(await getIdentity(db, ALICE)).not.toHaveProperty('privateKey');

    const rep = (address: Address, updatedAt: number) => ({ address, validatorAgreed: 1, validatorDisagreed: 0, contributionsAccepted: 0, contributionsRejected: 0, updatedAt });
    await db.reputations.bulkAdd([rep(ALICE, 1), rep(BOB, 2)]);
    expect((await listReputations(db)).map((r) => r.address)).toEqual([BOB, ALICE]);
    expect((await getReputation(db, ALICE))?.validatorAgreed).toBe(1);
    expect([...(await getReputations(db, [ALICE, hex(5, 20) as Address])).keys()]).toEqual([ALICE]);

    const version = (n: number) => ({ datanetId: 'dn-a', version: n, merkleRoot: hex(n), contributionIds: [], addedIds: [], createdAt: n });
    await db.versions.bulkAdd([version(1), version(2)]);
    expect((await listVersions(db, 'dn-a')).map((v) => v.version)).toEqual([2, 1]);
    expect((await getVersion(db, 'dn-a', 1))?.merkleRoot).toBe(hex(1));

    expect(await getSetting(db, 'activeIdentity')).toBeUndefined();
    await setSetting(db, 'activeIdentity', ALICE);
    expect(await getSetting<Address>(db, 'activeIdentity')).toBe(ALICE);
  });

  it('summarises every table', async () => {
    const db = freshDb();
    await db.datanets.add(datanet('dn-a', 1));
    const summary = await storageSummary(db);
    expect(Object.keys(summary).sort()).toEqual(db.tables.map((t) => t.name).sort());
    expect(summary.datanets).toBe(1);
    expect(summary.contributions).toBe(0);
  });
});
