/**
 * Datanets owned by a wallet (an account whose key is NOT in this browser): the worker prepares the
 * record, the wallet signs its EIP-712 typed data, the worker verifies and stores it with the signature;
 * the owner's votes come from the wallet; pack export reuses the stored signature.
 */
import { describe, expect, it } from 'vitest';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { readPackArchive } from '../core/pack/readPack.ts';
import { datanetTypedData, signDatanet, validationTypedData, verifyDatanet } from '../core/signing.ts';
import type { Datanet } from '../core/types.ts';
import { datanetSignatureKey, getSetting } from '../store/settings.ts';
import { SIGNED_DATANET_MAX_AGE_MS } from './datanets.ts';
import { contribute, draft, makeCast, makeEnv, rejection, text, type TestEnv } from './services.testkit.ts';

const wallet = () => privateKeyToAccount(generatePrivateKey());

/** Nothing of a Datanet was written: no record and no kept signature. */
async function nothingWritten(env: TestEnv, id: string) {
  expect(await env.db.datanets.get(id)).toBeUndefined();
  expect(await getSetting(env.db, datanetSignatureKey(id))).toBeUndefined();
}

describe('wallet-owned Datanets', () => {
  it('prepares the record, stores it with the wallet signature, and exports a pack that verifies', async () => {
    const env = makeEnv();
    const key = generatePrivateKey();
    const w = privateKeyToAccount(key);
    const datanetsBefore = await env.db.datanets.count();
    const prepared = await env.svc.prepareDatanet({ ...draft(w.address), name: '  Wallet bread  ', tags: ['Bread', 'bread'] });
    expect(prepared).toMatchObject({ owner: w.address, name: 'Wallet bread', tags: ['bread'], currentVersion: 0, origin: { kind: 'local' } });
    expect(prepared.id).toMatch(/^dn-[0-9a-f]{16}$/);
    // Preparing writes nothing.
    expect(await env.db.datanets.count()).toBe(datanetsBefore);
    await nothingWritten(env, prepared.id);

    const signature = await w.signTypedData(datanetTypedData(prepared));
    // The wallet signs the very typed data the local-key path signs.
    expect(signature).toBe((await signDatanet(prepared, key)).signature);
    const stored = await env.svc.createSignedDatanet(prepared, signature);
    expect(stored).toEqual(prepared);
    expect(await env.db.datanets.get(prepared.id)).toEqual(prepared);
    expect(await getSetting(env.db, datanetSignatureKey(prepared.id))).toBe(signature);
    expect(await verifyDatanet(stored, signature)).toBe(true);

    // A second store of the same record is refused (the id exists), and changes nothing.
    expect((await rejection(env.svc.createSignedDatanet(prepared, signature))).code).toBe('datanet/invalid');
    expect(await getSetting(env.db, datanetSignatureKey(prepared.id))).toBe(signature);

    // Contributions from local identities, accepted by a quorum; the pack carries the wallet's signature.
    const cast = await makeCast(env);
    const c = await contribute(env, stored.id, cast.alice, text(1));
    await env.svc.castVote(c.id, cast.bob, 'approve', '');
    const vote = await env.svc.castVote(c.id, cast.carol, 'approve', '');
    expect(vote.version?.version).toBe(1);
    // Only the owner publishes a version: without the wallet's publication signature there is no pack.
    expect((await rejection(env.svc.exportPack(stored.id))).code).toBe('pack/signature');
    const toSign = await env.svc.versionToSign(stored.id, 1);
    expect((await rejection(env.svc.exportPack(stored.id, 1, undefined, await wallet().signTypedData(toSign)))).code).toBe('signature/invalid');
    const pack = await env.svc.exportPack(stored.id, 1, undefined, await w.signTypedData(toSign));
    const read = await readPackArchive(pack.bytes);
    expect(read.datanet.owner).toBe(w.address);
    // The publication signature is kept: the next export needs no wallet.
    expect((await env.svc.exportPack(stored.id)).manifestHash).toBe(pack.manifestHash);
    expect(read.datanetSignature).toBe(signature);

    // And another browser imports it.
    const other = makeEnv();
    const report = await other.svc.importPack(pack.bytes, pack.fileName);
    expect(report).toMatchObject({ datanetId: stored.id, version: 1, contributions: 1 });
  });

  it('refuses a forged signature, a tampered record, a stale one and a malformed id, writing nothing', async () => {
    const env = makeEnv();
    const w = wallet();
    const prepared = await env.svc.prepareDatanet(draft(w.address));
    const sig = await w.signTypedData(datanetTypedData(prepared));

    // Signed by another account.
    const forged = await wallet().signTypedData(datanetTypedData(prepared));
    expect((await rejection(env.svc.createSignedDatanet(prepared, forged))).code).toBe('signature/invalid');
    // Garbage signature.
    expect((await rejection(env.svc.createSignedDatanet(prepared, '0x1234'))).code).toBe('signature/invalid');
    // Fields changed after signing (the signature covers name, policy and, by hash, the description).
    for (const tampered of [
      { ...prepared, name: 'Another name' },
      { ...prepared, descriptionMd: 'Changed.' },
      { ...prepared, rewardPolicy: { contributorsBps: 1000, ownerBps: 9000 } },
      { ...prepared, owner: wallet().address },
    ] satisfies Datanet[]) {
      expect((await rejection(env.svc.createSignedDatanet(tampered, sig))).code).toBe('signature/invalid');
    }
    // Signed, but not in the form the app prepares.
    const untrimmed = { ...prepared, name: ` ${prepared.name}` };
    expect((await rejection(env.svc.createSignedDatanet(untrimmed, await w.signTypedData(datanetTypedData(untrimmed))))).code).toBe('datanet/invalid');
    const versioned = { ...prepared, currentVersion: 3 };
    expect((await rejection(env.svc.createSignedDatanet(versioned, sig))).code).toBe('datanet/invalid');
    const badId = { ...prepared, id: 'dn-NOTHEX' };
    expect((await rejection(env.svc.createSignedDatanet(badId, await w.signTypedData(datanetTypedData(badId))))).code).toBe('datanet/invalid');
    // An invalid draft inside.
    const noName = { ...prepared, name: 'x' };
    expect((await rejection(env.svc.createSignedDatanet(noName, await w.signTypedData(datanetTypedData(noName))))).code).toBe('datanet/invalid');
    // Too old.
    env.clock.now += SIGNED_DATANET_MAX_AGE_MS + 1;
    expect((await rejection(env.svc.createSignedDatanet(prepared, sig))).code).toBe('signature/invalid');

    expect(await env.db.datanets.count()).toBe(0);
    expect(await env.db.settings.count()).toBe(0);
    await nothingWritten(env, prepared.id);
    await nothingWritten(env, badId.id);
  });

  it('the local-key path still refuses a wallet owner (no key here to sign with)', async () => {
    const env = makeEnv();
    expect((await rejection(env.svc.createDatanet(draft(wallet().address)))).code).toBe('identity/not-found');
    expect(await env.db.datanets.count()).toBe(0);
  });

  it("an owner-moderated wallet-owned Datanet: the owner's wallet-signed vote decides, and the pack exports", async () => {
    const env = makeEnv();
    const cast = await makeCast(env);
    const w = wallet();
    const prepared = await env.svc.prepareDatanet(draft(w.address, 'owner', 'Owner decides'));
    const dn = await env.svc.createSignedDatanet(prepared, await w.signTypedData(datanetTypedData(prepared)));
    const c = await contribute(env, dn.id, cast.alice, text(5));
    // Only the owner votes here.
    expect((await rejection(env.svc.castVote(c.id, cast.bob, 'approve', ''))).code).toBe('validation/not-owner');
    const payload = await env.svc.prepareVote(c.id, w.address, 'approve', '');
    const result = await env.svc.castSignedVote(payload, await w.signTypedData(validationTypedData(payload)));
    expect(result.outcome).toBe('accepted');
    expect(result.validation.role).toBe('owner');
    expect(result.version?.version).toBe(1);
    expect((await env.db.datanets.get(dn.id))?.currentVersion).toBe(1);
    const pack = await env.svc.exportPack(dn.id, 1, undefined, await w.signTypedData(await env.svc.versionToSign(dn.id, 1)));
    const read = await readPackArchive(pack.bytes);
    expect(read.validations.map((v) => v.validator)).toEqual([w.address]);
  });
});
