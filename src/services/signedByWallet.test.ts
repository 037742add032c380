/**
 * Contributions and votes signed by a wallet (an account whose key is NOT in this browser): the worker
 * prepares the EIP-712 payload, the wallet signs it, the worker verifies and stores it exactly like a
 * locally signed one.
 */
import { describe, expect, it } from 'vitest';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { contributionTypedData, validationTypedData, verifyContribution, verifyValidation } from '../core/signing.ts';
import { contribute, draft, makeCast, makeEnv, rejection, text } from './services.testkit.ts';

const wallet = () => privateKeyToAccount(generatePrivateKey());

describe('wallet-signed contributions', () => {
  it('prepares, verifies and stores a contribution signed by a wallet account', async () => {
    const env = makeEnv();
    const cast = await makeCast(env);
    const dn = await env.svc.createDatanet(draft(cast.owner));
    const w = wallet();
    const [preview] = await env.svc.previewContributions(dn.id, w.address, [{ kind: 'text', title: 'From my wallet', text: text(1) }]);
    if (!preview?.ok) throw new Error('preview failed');
    const { prepared, failed } = await env.svc.prepareContributions([preview.previewId], w.address);
    expect(failed).toEqual([]);
    const item = prepared[0]!;
    // Nothing written yet.
    expect(await env.db.contributions.count()).toBe(0);
    const signature = await w.signTypedData(contributionTypedData(item.payload));
    const res = await env.svc.submitSignedContributions([{ ...item, signature }]);
    expect(res.failed).toEqual([]);
    const c = res.submitted[0]!;
    expect(c.contributor).toBe(w.address);
    expect(await verifyContribution(c, c.signature)).toBe(true);
    expect((await env.db.chunks.where('contributionId').equals(c.id).count()) > 0).toBe(true);
  });

  it('refuses a forged signature, a tampered payload and a stale preview, writing nothing', async () => {
    const env = makeEnv();
    const cast = await makeCast(env);
    const dn = await env.svc.createDatanet(draft(cast.owner));
    const w = wallet();
    const [preview] = await env.svc.previewContributions(dn.id, w.address, [{ kind: 'text', title: 'Mine', text: text(2) }]);
    if (!preview?.ok) throw new Error('preview failed');
    const { prepared } = await env.svc.prepareContributions([preview.previewId], w.address);
    const item = prepared[0]!;
    const forged = await wallet().signTypedData(contributionTypedData(item.payload));
    const tampered = { ...item.payload, chunkCount: item.payload.chunkCount + 1 };
    const tamperedSig = await w.signTypedData(contributionTypedData(tampered));
    const res = await env.svc.submitSignedContributions([
      { ...item, signature: forged },
      { ...item, payload: tampered, signature: tamperedSig },
    ]);
    expect(res.failed.map((f) => f.error.code)).toEqual(['signature/invalid', 'contribution/not-found']);
    expect(await env.db.contributions.count()).toBe(0);
    // A preview made for someone else cannot be prepared as the wallet account.
    const other = await env.svc.prepareContributions([preview.previewId], cast.alice);
    expect(other.failed[0]?.error.code).toBe('identity/not-found');
  });
});

describe('wallet-signed votes', () => {
  it('counts a vote signed by a wallet validator like a local one, and refuses a forged one', async () => {
    const env = makeEnv();
    const cast = await makeCast(env);
    const dn = await env.svc.createDatanet(draft(cast.owner, 'owner'));
    const c = await contribute(env, dn.id, cast.alice, text(3));
    const w = wallet();
    // The wallet is not the owner of this owner-moderated Datanet.
    expect((await rejection(env.svc.prepareVote(c.id, w.address, 'approve', ''))).code).toBe('validation/not-owner');

    const dn2 = await env.svc.createDatanet(draft(cast.owner, 'quorum', 'Second'));
    const c2 = await contribute(env, dn2.id, cast.alice, text(4));
    const payload = await env.svc.prepareVote(c2.id, w.address, 'reject', '  off topic  ');
    expect(payload.reason).toBe('off topic');
    const forged = await wallet().signTypedData(validationTypedData(payload));
    expect((await rejection(env.svc.castSignedVote(payload, forged))).code).toBe('signature/invalid');
    const signature = await w.signTypedData(validationTypedData(payload));
    const result = await env.svc.castSignedVote(payload, signature);
    expect(result.validation.validator).toBe(w.address);
    expect(await verifyValidation(result.validation, result.validation.signature)).toBe(true);
    expect((await rejection(env.svc.castSignedVote(payload, signature))).code).toBe('validation/already-voted');
  });
});
