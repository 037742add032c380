import { describe, expect, it } from 'vitest';
import { versionMerkleRoot } from '../core/merkle.ts';
import { verifyValidation } from '../core/signing.ts';
import { listValidations } from '../store/contributions.ts';
import { getReputation } from '../store/reputations.ts';
import { listVersions } from '../store/versions.ts';
import { contribute, counts, draft, makeCast, makeEnv, rejection, text } from './services.testkit.ts';

async function setup(moderation: 'quorum' | 'owner' = 'quorum') {
  const env = makeEnv();
  const cast = await makeCast(env);
  const dn = await env.svc.createDatanet(draft(cast.owner, moderation));
  return { env, cast, dn };
}

describe('quorum moderation', () => {
  it('two newcomer approvals accept a contribution and publish version 1', async () => {
    const { env, cast, dn } = await setup();
    const c = await contribute(env, dn.id, cast.alice, text(1));

    env.clock.now += 1000;
    const first = await env.svc.castVote(c.id, cast.bob, 'approve', '');
    expect(first.outcome).toBeUndefined();
    expect(first.pending).toMatchObject({ missing: 'quorum', votesMissing: 1, tally: { votes: 1, total: 0.5 } });
    expect(first.validation).toMatchObject({ validator: cast.bob, verdict: 'approve', weight: 0.5, role: 'validator', datanetId: dn.id });
    const { id: _id, signature, datanetId: _d, weight: _w, role: _r, ...payload } = first.validation;
    expect(await verifyValidation(payload, signature)).toBe(true);
    expect((await env.db.contributions.get(c.id))?.status).toBe('pending');

    env.clock.now += 1000;
    const second = await env.svc.castVote(c.id, cast.carol, 'approve', 'Good notes');
    expect(second.outcome).toBe('accepted');
    const expectedRoot = versionMerkleRoot([{ contributionId: c.id, contributor: cast.alice }]);
    expect(second.version).toEqual({
      datanetId: dn.id,
      version: 1,
      merkleRoot: expectedRoot,
      contributionIds: [c.id],
      addedIds: [c.id],
      createdAt: env.clock.now,
    });
    expect(await env.db.contributions.get(c.id)).toMatchObject({ status: 'accepted', decidedAt: env.clock.now, acceptedInVersion: 1 });
    expect((await env.db.datanets.get(dn.id))?.currentVersion).toBe(1);
    expect(await listVersions(env.db, dn.id)).toEqual([second.version]);
    expect((await listValidations(env.db, c.id)).map((v) => v.validator)).toEqual([cast.bob, cast.carol]);

    expect(await getReputation(env.db, cast.bob)).toMatchObject({ validatorAgreed: 1, validatorDisagreed: 0 });
    expect(await getReputation(env.db, cast.carol)).toMatchObject({ validatorAgreed: 1, validatorDisagreed: 0 });
    expect(await getReputation(env.db, cast.alice)).toMatchObject({ contributionsAccepted: 1, contributionsRejected: 0 });

    // The next acceptance makes version 2 over both contributions.
    const c2 = await contribute(env, dn.id, cast.dave, text(2));
    await env.svc.castVote(c2.id, cast.bob, 'approve', '');
    const v2 = await env.svc.castVote(c2.id, cast.carol, 'approve', '');
    expect(v2.version?.version).toBe(2);
    expect(v2.version?.contributionIds).toEqual([c.id, c2.id]);
    expect(v2.version?.addedIds).toEqual([c2.id]);
    expect(v2.version?.merkleRoot).toBe(
      versionMerkleRoot([
        { contributionId: c.id, contributor: cast.alice },
        { contributionId: c2.id, contributor: cast.dave },
      ]),
    );
    // Bob agreed twice: he now weighs (2 + 1) / (2 + 0 + 2).
    const c3 = await contribute(env, dn.id, cast.alice, text(3));
    expect((await env.svc.castVote(c3.id, cast.bob, 'approve', '')).validation.weight).toBeCloseTo(3 / 4);
  });

  it('a dissenting vote loses reputation', async () => {
    const { env, cast, dn } = await setup();
    const c = await contribute(env, dn.id, cast.alice, text(4));
    await env.svc.castVote(c.id, cast.bob, 'approve', '');
    const split = await env.svc.castVote(c.id, cast.carol, 'reject', 'Copied from a blog');
    expect(split.outcome).toBeUndefined();
    // The weight quorum is reached (1.0): what is missing is the 2/3 majority, and the result says so.
    expect(split.pending).toMatchObject({ missing: 'majority', tally: { votes: 2, total: 1, approve: 0.5, reject: 0.5 } });
    const last = await env.svc.castVote(c.id, cast.dave, 'approve', '');
    expect(last.outcome).toBe('accepted');
    expect(last.pending).toBeUndefined();
    expect(await getReputation(env.db, cast.carol)).toMatchObject({ validatorAgreed: 0, validatorDisagreed: 1 });
    expect(await getReputation(env.db, cast.bob)).toMatchObject({ validatorAgreed: 1 });
    expect(await getReputation(env.db, cast.dave)).toMatchObject({ validatorAgreed: 1 });
  });

  it('two rejections reject it: no version, the contributor loses reputation', async () => {
    const { env, cast, dn } = await setup();
    const c = await contribute(env, dn.id, cast.alice, text(5));
    await env.svc.castVote(c.id, cast.bob, 'reject', 'Spam');
    const r = await env.svc.castVote(c.id, cast.carol, 'reject', 'Spam');
    expect(r.outcome).toBe('rejected');
    expect(r.version).toBeUndefined();
    expect(await env.db.contributions.get(c.id)).toMatchObject({ status: 'rejected', decidedAt: env.clock.now });
    expect(await env.db.versions.count()).toBe(0);
    expect((await env.db.datanets.get(dn.id))?.currentVersion).toBe(0);
    expect(await getReputation(env.db, cast.alice)).toMatchObject({ contributionsAccepted: 0, contributionsRejected: 1 });
  });

  it('refuses own contributions, double votes, closed contributions and bad reasons, writing nothing', async () => {
    const { env, cast, dn } = await setup();
    const c = await contribute(env, dn.id, cast.alice, text(6));
    const before = await counts(env);
    expect((await rejection(env.svc.castVote(c.id, cast.alice, 'approve', ''))).code).toBe('validation/own-contribution');
    expect((await rejection(env.svc.castVote(c.id, cast.bob, 'reject', '   '))).code).toBe('validation/invalid');
    expect((await rejection(env.svc.castVote(c.id, cast.bob, 'approve', 'x'.repeat(501)))).code).toBe('validation/invalid');
    expect((await rejection(env.svc.castVote(c.id, cast.bob, 'maybe' as 'approve', ''))).code).toBe('validation/invalid');
    expect((await rejection(env.svc.castVote(`0x${'00'.repeat(32)}`, cast.bob, 'approve', ''))).code).toBe('contribution/not-found');
    expect((await rejection(env.svc.castVote(c.id, '0x000000000000000000000000000000000000dEaD', 'approve', ''))).code).toBe(
      'identity/not-found',
    );
    expect(await counts(env)).toEqual(before);

    await env.svc.castVote(c.id, cast.bob, 'reject', 'x'.repeat(500));
    expect((await rejection(env.svc.castVote(c.id, cast.bob, 'approve', ''))).code).toBe('validation/already-voted');
    await env.svc.castVote(c.id, cast.carol, 'reject', 'Not about bread');
    const closed = await rejection(env.svc.castVote(c.id, cast.dave, 'approve', ''));
    expect(closed.code).toBe('contribution/closed');
    expect(await env.db.validations.count()).toBe(2);
  });

  it('a vote whose decision fails to write leaves nothing behind', async () => {
    const { env, cast, dn } = await setup();
    const c = await contribute(env, dn.id, cast.alice, text(7));
    await env.svc.castVote(c.id, cast.bob, 'approve', '');
    const before = await counts(env);
    const reps = env.db.reputations;
    const original = reps.bulkPut.bind(reps);
    (reps as { bulkPut: unknown }).bulkPut = () => Promise.reject(new Error('disk full'));
    const err = await rejection(env.svc.castVote(c.id, cast.carol, 'approve', ''));
    expect(err.code).toBe('storage/failed');
    (reps as { bulkPut: unknown }).bulkPut = original;
    expect(await counts(env)).toEqual(before);
    expect((await env.db.contributions.get(c.id))?.status).toBe('pending');
  });
});

describe('owner moderation', () => {
  it('only the owner decides, alone, also on their own contributions', async () => {
    const { env, cast, dn } = await setup('owner');
    const c = await contribute(env, dn.id, cast.alice, text(8));
    expect((await rejection(env.svc.castVote(c.id, cast.bob, 'approve', ''))).code).toBe('validation/not-owner');
    const r = await env.svc.castVote(c.id, cast.owner, 'approve', '');
    expect(r.validation.role).toBe('owner');
    expect(r.outcome).toBe('accepted');
    expect(r.version?.version).toBe(1);
    // Deciding is not judging: the owner's validator counts do not move.
    expect(await getReputation(env.db, cast.owner)).toBeUndefined();
    expect(await getReputation(env.db, cast.alice)).toMatchObject({ contributionsAccepted: 1 });

    const own = await contribute(env, dn.id, cast.owner, text(9));
    expect((await env.db.contributions.get(own.id))?.status).toBe('pending');
    const r2 = await env.svc.castVote(own.id, cast.owner, 'reject', 'Draft, not ready');
    expect(r2.outcome).toBe('rejected');
  });
});
