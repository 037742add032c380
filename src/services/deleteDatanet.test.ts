import { describe, expect, it } from 'vitest';
import { SPLIT_ROLE } from '../core/feeSplit.ts';
import type { LedgerEntry } from '../core/ledger.ts';
import type { Address, Hex } from '../core/types.ts';
import { indexFileKey, putIndexFile } from '../store/attributionIndexes.ts';
import { datanetFootprint } from '../store/datanetFootprint.ts';
import type { StoredAttributionRecord, TributaryDB } from '../store/db.ts';
import { contribute, draft, makeCast, makeEnv, rejection, text, type TestEnv } from './services.testkit.ts';

const hex = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;

/** Every row of every table: what "changes nothing" is checked against. */
async function snapshot(db: TributaryDB): Promise<Record<string, unknown[]>> {
  return db.transaction('r', db.tables, async () => Object.fromEntries(await Promise.all(db.tables.map(async (t) => [t.name, await t.toArray()] as const))));
}

/** A fee in the ledger that pays `datanetId` (its splits fixed when it was made, as the ledger service makes them). */
function fee(id: number, datanetId: string, status: LedgerEntry['status'], recipient: Address, payer: Address): LedgerEntry {
  return {
    id: hex(id),
    kind: 'answer',
    subject: hex(id + 1000),
    payer,
    fee: 10n ** 18n,
    deadline: 2_000_000_000n,
    splits: [{ recipient, role: SPLIT_ROLE.contributor, amount: 10n ** 18n }],
    lines: [],
    recipients: [recipient],
    datanetId,
    datanetName: datanetId,
    version: 1,
    datanetIds: [datanetId],
    chainId: 31337,
    settlementContract: '0x0000000000000000000000000000000000000001',
    status,
    createdAt: 1,
    updatedAt: 1,
  };
}

/** Two owner-moderated Datanets of `owner`, each with one accepted contribution of Alice (version 1) and its index files. */
async function twoDatanets(env: TestEnv) {
  const cast = await makeCast(env);
  const made = [];
  for (const [i, name] of ['Tide gauges', 'Wader counts'].entries()) {
    const dn = await env.svc.createDatanet(draft(cast.owner, 'owner', name));
    const c = await contribute(env, dn.id, cast.alice, text(10 + i), `${name} notes`);
    const { version } = await env.svc.castVote(c.id, cast.owner, 'approve', '');
    if (!version) throw new Error('the owner vote did not publish a version');
    for (const kind of ['spans', 'embeddings'] as const) {
      const stored = await putIndexFile(env.db, {
        datanetId: dn.id,
        version: 1,
        merkleRoot: version.merkleRoot,
        kind,
        encoder: kind === 'embeddings' ? { id: 'enc', hash: hex(77), dims: 8 } : null,
        source: 'local',
        bytes: new Uint8Array([i, 1, 2]),
        createdAt: 1,
      });
      if (!stored) throw new Error('the index file was not stored');
    }
    made.push({ dn, contribution: c, version });
  }
  return { cast, a: made[0]!, b: made[1]! };
}

describe('deleting a Datanet (its owner, from its page)', () => {
  it('removes the Datanet with its rows and index files; other Datanets, answers’ records and fees that pay it stay', async () => {
    const env = makeEnv();
    const { cast, a, b } = await twoDatanets(env);
    const record: StoredAttributionRecord = {
      hash: hex(900),
      record: { credits: [{ datanetId: a.dn.id, contributionId: a.contribution.id, contributor: cast.alice, weightPpm: 600_000 }] } as never, // only what is read back
      answerId: 'answer-1',
      prompt: 'How is a tide gauge read?',
      answer: 'Hourly, against a staff.',
      datanetIds: [a.dn.id],
      contributionIds: [a.contribution.id],
      contributors: [cast.alice],
      createdAt: 1,
    };
    await env.db.attributionRecords.put(record);
    const fees = [fee(1, a.dn.id, 'pending', cast.alice, cast.bob), fee(2, a.dn.id, 'settled', cast.alice, cast.bob), fee(3, b.dn.id, 'pending', cast.alice, cast.bob)];
    await env.db.ledgerEntries.bulkPut(fees);
    const before = await snapshot(env.db);

    const removed = await env.svc.deleteDatanet(a.dn.id, cast.owner);

    expect(removed).toEqual({
      id: a.dn.id,
      name: 'Tide gauges',
      removed: { contributions: 1, passages: before.chunks!.filter((p) => (p as { datanetId: string }).datanetId === a.dn.id).length, versions: 1, validations: 1, indexFiles: 2, creditingRecords: 1, unsettledFees: 1 },
    });
    expect(removed.removed.passages).toBeGreaterThan(0);
    const after = await snapshot(env.db);
    // nothing of A is left in the tables that hold a Datanet's own rows; B's rows are exactly as they were
    for (const table of ['contributions', 'chunks', 'versions', 'validations', 'uploads', 'attributionIndexes'] as const) {
      const ofB = (rows: unknown[]) => rows.filter((r) => (r as { datanetId: string }).datanetId === b.dn.id);
      expect(after[table]!.filter((r) => (r as { datanetId: string }).datanetId === a.dn.id), table).toEqual([]);
      expect(ofB(after[table]!), table).toEqual(ofB(before[table]!));
      expect(ofB(after[table]!).length, table).toBeGreaterThan(0);
    }
    expect(after.datanets).toEqual(before.datanets!.filter((d) => (d as { id: string }).id !== a.dn.id));
    expect((await env.db.attributionIndexes.toArray()).map((r) => r.key).sort()).toEqual(
      [indexFileKey(b.version, 'embeddings', hex(77)), indexFileKey(b.version, 'spans')].sort(),
    );
    // history that names A stays as it was: the answer's record, every fee (the pending one still carries its splits)
    expect(after.attributionRecords).toEqual(before.attributionRecords);
    expect(after.ledgerEntries).toEqual(before.ledgerEntries);
    expect(after.identities).toEqual(before.identities);
    expect(after.reputations).toEqual(before.reputations);
  });

  it('deleting it again, by someone else, or with a bad address is a clear error that changes nothing', async () => {
    const env = makeEnv();
    const { cast, a } = await twoDatanets(env);
    const before = await snapshot(env.db);

    const notOwner = await rejection(env.svc.deleteDatanet(a.dn.id, cast.alice));
    expect(notOwner.code).toBe('datanet/not-owner');
    expect(notOwner.message).toMatch(/Only the owner of "Tide gauges"/);
    expect((await rejection(env.svc.deleteDatanet(a.dn.id, 'not-an-address' as Address))).code).toBe('identity/not-found');
    expect((await rejection(env.svc.deleteDatanet('dn-0000000000000000', cast.owner))).code).toBe('datanet/not-found');
    expect(await snapshot(env.db)).toEqual(before);

    await env.svc.deleteDatanet(a.dn.id, cast.owner);
    const once = await snapshot(env.db);
    const twice = await rejection(env.svc.deleteDatanet(a.dn.id, cast.owner));
    expect(twice.code).toBe('datanet/not-found');
    expect(twice.message).toMatch(/deleted already/);
    expect(await snapshot(env.db)).toEqual(once);
  });

  it('an index build that finishes after the delete stores nothing; a contribution previewed before it is refused', async () => {
    const env = makeEnv();
    const { cast, a } = await twoDatanets(env);
    const [preview] = await env.svc.previewContributions(a.dn.id, cast.bob, [{ kind: 'text', title: 'Late notes', text: text(40) }]);
    if (!preview?.ok) throw new Error('preview failed');

    await env.svc.deleteDatanet(a.dn.id, cast.owner);
    const built = await putIndexFile(env.db, { datanetId: a.dn.id, version: 1, merkleRoot: a.version.merkleRoot, kind: 'spans', encoder: null, source: 'local', bytes: new Uint8Array([9]), createdAt: 2 });
    expect(built).toBeNull();
    const result = await env.svc.submitContributions([preview.previewId], cast.bob);
    expect(result.submitted).toEqual([]);
    expect(result.failed[0]?.error.code).toBe('datanet/not-found');
    expect(await datanetFootprint(env.db, a.dn.id)).toEqual({ contributions: 0, passages: 0, versions: 0, validations: 0, indexFiles: 0, creditingRecords: 0, unsettledFees: 0 });
    expect(await env.db.uploads.filter((u) => u.datanetId === a.dn.id).count()).toBe(0);
  });
});
